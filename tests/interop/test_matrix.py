"""The interop matrix: bgpmesh against BIRD, FRR, GoBGP and ExaBGP, cell by cell.

Every test starts one real daemon and one ``bgpmesh start`` on loopback
addresses and ports of its own (``pytest -n auto`` safe).  bgpmesh is the
active side and the daemon passive, so no test waits on a daemon's connect
timer.  The cells, one test each per daemon:

- session: both ends agree the session is Established;
- to daemon: IPv4 and IPv6 routes a bgpmesh script announces appear in the
  daemon's own CLI with next hop, AS path, MED, origin and communities;
- from daemon: routes the daemon originates reach the bgpmesh script as
  ExaBGP JSON with their attributes;
- withdraw: a route the script withdraws leaves the daemon's table, and a
  route the daemon withdraws leaves the script's view (ExaBGP JSON
  "withdraw").

The session cell also reads bgpmesh's OPEN back from the daemon (router id,
AS, hold time, families, 4-octet AS), so a daemon that merely tolerates the
OPEN does not pass.

A ``Peer`` adapter gives each daemon the same three verbs (start,
established, routes) so one test body checks them all; a daemon's quirks
(where its IPv6 next hop comes from, GoBGP refusing 127/8 next hops) live in
its adapter.  The last test checks bgpmesh's UPDATE with tshark's BGP
dissector, a decoder independent of every daemon.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary
from tests.daemons.addresses import Endpoint
from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.bird import BirdPeer
from tests.daemons.exabgp import ExabgpPeer, replay_updates
from tests.daemons.frr import FrrPeer
from tests.daemons.gobgp import GobgpPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system

MESH_AS = 65001
PEER_AS = 65002
DAEMONS = ["bird", "frr", "gobgp", "exabgp"]

# What the bgpmesh script announces, and what every daemon must then show.
# Documentation next hops: GoBGP treats a 127/8 NEXT_HOP as withdrawn.
ANNOUNCE = [
    "announce route 10.1.0.0/24 next-hop 192.0.2.1 med 10 community [ 65001:1 65001:2 ]",
    "announce route 10.2.0.0/24 next-hop 192.0.2.1 as-path [ 65001 64999 ] origin egp",
    "announce route 2001:db8:1::/48 next-hop 2001:db8::1 med 5 community [ 65001:3 ]",
]
EXPECTED_AT_DAEMON = {
    "10.1.0.0/24": {"next_hop": "192.0.2.1", "as_path": [65001], "med": 10,
                    "communities": [(65001, 1), (65001, 2)], "origin": "IGP"},
    "10.2.0.0/24": {"next_hop": "192.0.2.1", "as_path": [65001, 64999], "med": None,
                    "communities": [], "origin": "EGP"},
    "2001:db8:1::/48": {"next_hop": "2001:db8::1", "as_path": [65001], "med": 5,
                        "communities": [(65001, 3)], "origin": "IGP"},
}  # fmt: skip

# What every daemon originates towards bgpmesh.
ORIGINATED4 = "203.0.113.0/24"
ORIGINATED6 = "2001:db8:203::/48"
MED4, MED6 = 42, 43
COMMUNITY = (PEER_AS, 7)
DAEMON_NEXT_HOP6 = "2001:db8::2"
GOBGP_NEXT_HOP4 = "192.0.2.2"

Route = dict[str, Any]


def neighbor_block(daemon_end: Endpoint, mesh_end: Endpoint, process: str) -> str:
    return (
        f"neighbor {daemon_end.address} {{\n"
        f"    router-id {mesh_end.address};\n"
        f"    local-address {mesh_end.address};\n"
        f"    local-as {MESH_AS};\n"
        f"    peer-as {PEER_AS};\n"
        "    hold-time 9;\n"
        f"    connect {daemon_end.port};\n"
        "    family {\n        ipv4 unicast;\n        ipv6 unicast;\n    }\n"
        f"    api {{\n        processes [ {process} ];\n        neighbor-changes;\n"
        "        receive {\n            parsed;\n            update;\n        }\n    }\n"
        "}\n"
    )


@dataclass
class Peer:
    """A started daemon seen the same way whatever it is."""

    name: str
    daemon: Any
    established: Callable[[float], None]
    routes: Callable[[], dict[str, Route]]
    next_hop4: str
    """The IPv4 next hop bgpmesh sees on the daemon's routes."""
    next_hop6: str
    facts: Callable[[], dict[str, Any]]
    """What the daemon learned of bgpmesh's OPEN: see ``Gobgp.session_facts``."""
    withdraw4: Callable[[], None]
    """Make the daemon withdraw ``ORIGINATED4``, its own way."""

    def wait_routes(self, predicate: Callable[[dict[str, Route]], object],
                    timeout: float = 15.0) -> dict[str, Route]:
        seen: dict[str, dict[str, Route]] = {}

        def check() -> dict[str, Route] | None:
            seen["last"] = self.routes()
            return seen["last"] if predicate(seen["last"]) else None

        result = wait_until(check, timeout, interval=0.1,
                            message=lambda: f"{self.name} routes never matched: "
                                            f"{seen.get('last')}")
        assert result is not None
        return result


def start_bird(factories, daemon_end: Endpoint, mesh_end: Endpoint) -> Peer:
    community = [COMMUNITY]
    bird = factories["bird"]("10.0.0.2", [BirdPeer(
        name="mesh", local_address=daemon_end.address, local_port=daemon_end.port,
        peer_address=mesh_end.address, peer_port=mesh_end.port, local_as=PEER_AS,
        peer_as=MESH_AS, passive=True, ipv6_next_hop=DAEMON_NEXT_HOP6,
        export_static=[(ORIGINATED4, {"bgp_med": MED4, "bgp_community": community}),
                       (ORIGINATED6, {"bgp_med": MED6, "bgp_community": community})])])
    return Peer("BIRD", bird, lambda timeout: bird.wait_established("mesh", timeout),
                lambda: bird.routes("mesh"), daemon_end.address, DAEMON_NEXT_HOP6,
                lambda: bird_session_facts(bird.show_protocol("mesh")),
                lambda: bird_withdraw(bird, ORIGINATED4))


def bird_withdraw(bird, prefix: str) -> None:
    peer = bird.peers[0]
    peer.export_static = [(p, a) for p, a in peer.export_static if p != prefix]
    bird.reconfigure()


def bird_session_facts(output: str) -> dict[str, Any]:
    """``show protocols all`` -> the keys of ``Gobgp.session_facts``."""
    def value(label: str) -> str:
        match = re.search(rf"^\s*{label}:\s+(.*)$", output, re.MULTILINE)
        return match.group(1).strip() if match else ""

    neighbor_caps = output.split("Neighbor capabilities", 1)[-1].split("Session:", 1)[0]
    announced = re.search(r"AF announced:\s+(.*)", neighbor_caps)
    return {
        "router_id": value("Neighbor ID"),
        "peer_as": int(value("Neighbor AS") or 0),
        "hold_time": int(value("Hold timer").rpartition("/")[2] or 0),
        "families": sorted(announced.group(1).split()) if announced else [],
        "asn4": "4-octet AS numbers" in neighbor_caps,
    }


def start_frr(factories, daemon_end: Endpoint, mesh_end: Endpoint) -> Peer:
    community = [f"{COMMUNITY[0]}:{COMMUNITY[1]}"]
    frr = factories["frr"]("10.0.0.2", PEER_AS, daemon_end, [FrrPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True,
        ipv6_next_hop=DAEMON_NEXT_HOP6,
        networks=[(ORIGINATED4, {"med": MED4, "communities": community}),
                  (ORIGINATED6, {"med": MED6, "communities": community})])])
    return Peer("FRR", frr, lambda timeout: frr.wait_established(mesh_end.address, timeout),
                lambda: {**frr.routes("ipv4"), **frr.routes("ipv6")},
                daemon_end.address, DAEMON_NEXT_HOP6,
                lambda: frr.session_facts(mesh_end.address),
                lambda: frr.vtysh("configure terminal", f"router bgp {PEER_AS}",
                                  "address-family ipv4 unicast", f"no network {ORIGINATED4}"))


def start_gobgp(factories, daemon_end: Endpoint, mesh_end: Endpoint) -> Peer:
    gobgp = factories["gobgp"]("10.0.0.2", PEER_AS, daemon_end, [GobgpPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True)])
    community = [f"{COMMUNITY[0]}:{COMMUNITY[1]}"]
    # GoBGP sends a locally added route with the next hop it was given, not its own
    # address, and gives it origin incomplete unless told otherwise
    gobgp.add_route(ORIGINATED4, GOBGP_NEXT_HOP4, med=MED4, communities=community, origin="igp")
    gobgp.add_route(ORIGINATED6, DAEMON_NEXT_HOP6, med=MED6, communities=community,
                    origin="igp")

    def learned() -> dict[str, Route]:
        # the global RIB also holds GoBGP's own routes: keep those from bgpmesh
        routes = {**gobgp.routes("ipv4"), **gobgp.routes("ipv6")}
        return {prefix: route for prefix, route in routes.items() if route["as_path"]}

    return Peer("GoBGP", gobgp,
                lambda timeout: gobgp.wait_established(mesh_end.address, timeout),
                learned, GOBGP_NEXT_HOP4, DAEMON_NEXT_HOP6,
                lambda: gobgp.session_facts(mesh_end.address),
                lambda: gobgp.delete_route(ORIGINATED4))


def start_exabgp(factories, daemon_end: Endpoint, mesh_end: Endpoint) -> Peer:
    community = f"[ {COMMUNITY[0]}:{COMMUNITY[1]} ]"
    exabgp = factories["exabgp"](daemon_end, [ExabgpPeer(
        address=mesh_end.address, port=mesh_end.port, local_address=daemon_end.address,
        local_as=PEER_AS, peer_as=MESH_AS, router_id="10.0.0.2", passive=True,
        static=[f"{ORIGINATED4} next-hop self med {MED4} community {community}",
                f"{ORIGINATED6} next-hop {DAEMON_NEXT_HOP6} med {MED6} community {community}"],
    )])
    return Peer("ExaBGP", exabgp,
                lambda timeout: exabgp.wait_established(mesh_end.address, timeout),
                exabgp.routes, daemon_end.address, DAEMON_NEXT_HOP6,
                lambda: exabgp.session_facts(mesh_end.address),
                lambda: exabgp.command(f"withdraw route {ORIGINATED4} next-hop self"))


STARTERS = {"bird": start_bird, "frr": start_frr, "gobgp": start_gobgp,
            "exabgp": start_exabgp}


@dataclass
class Cell:
    peer: Peer
    relay: Relay
    mesh: Bgpmesh
    daemon_end: Endpoint
    mesh_end: Endpoint


@pytest.fixture
def cell(request, tmp_path, addresses, mesh) -> Callable[[str], Cell]:
    """``cell(daemon)``: that daemon passive, bgpmesh connecting to it, session up."""

    def start(daemon: str) -> Cell:
        factory_name = f"{daemon}_factory"
        factories = {daemon: request.getfixturevalue(factory_name)}
        daemon_end, mesh_end = addresses.pair()
        peer = STARTERS[daemon](factories, daemon_end, mesh_end)
        relay = Relay(tmp_path, "script")
        instance = mesh(relay.process_block() + neighbor_block(daemon_end, mesh_end,
                                                               "script"))
        peer.established(20)
        return Cell(peer, relay, instance, daemon_end, mesh_end)

    return start


def up_message(relay: Relay) -> dict:
    return relay.wait_message(lambda m: m["type"] == "state"
                              and m["neighbor"]["state"] == "up", timeout=15)


def assert_route(route: Route, expected: dict[str, Any]) -> None:
    seen = {key: route[key] for key in expected}
    assert seen == expected


@pytest.mark.parametrize("daemon", DAEMONS)
def test_session_established(daemon, cell):
    c = cell(daemon)
    up = up_message(c.relay)
    assert up["neighbor"]["address"] == {"local": c.mesh_end.address,
                                         "peer": c.daemon_end.address}
    assert up["neighbor"]["asn"] == {"local": MESH_AS, "peer": PEER_AS}
    # the daemon's side: bgpmesh's OPEN as the daemon understood it
    assert c.peer.facts() == {"router_id": c.mesh_end.address, "peer_as": MESH_AS,
                              "hold_time": 9, "families": ["ipv4", "ipv6"], "asn4": True}
    assert c.mesh.process.poll() is None


@pytest.mark.parametrize("daemon", DAEMONS)
def test_routes_from_bgpmesh_reach_daemon(daemon, cell):
    c = cell(daemon)
    c.relay.send(*ANNOUNCE)
    assert c.relay.wait_acks(len(ANNOUNCE)) == ["done"] * len(ANNOUNCE)
    routes = c.peer.wait_routes(lambda r: set(EXPECTED_AT_DAEMON) <= set(r))
    for prefix, expected in EXPECTED_AT_DAEMON.items():
        assert_route(routes[prefix], expected)


@pytest.mark.parametrize("daemon", DAEMONS)
def test_routes_from_daemon_reach_bgpmesh_script(daemon, cell):
    c = cell(daemon)

    def both() -> dict[str, Route] | None:
        routes = replay_updates(c.relay.messages())
        return routes if ORIGINATED4 in routes and ORIGINATED6 in routes else None

    routes = wait_until(both, 15, message=lambda: f"script received {c.relay.lines()}")
    assert_route(routes[ORIGINATED4], {"next_hop": c.peer.next_hop4, "as_path": [PEER_AS],
                                       "med": MED4, "communities": [COMMUNITY],
                                       "origin": "IGP"})
    assert_route(routes[ORIGINATED6], {"next_hop": c.peer.next_hop6, "as_path": [PEER_AS],
                                       "med": MED6, "communities": [COMMUNITY],
                                       "origin": "IGP"})
    update = c.relay.wait_message(lambda m: m["type"] == "update"
                                  and ORIGINATED4 in str(m["neighbor"]["message"]))
    assert update["neighbor"]["address"]["peer"] == c.daemon_end.address


@pytest.mark.parametrize("daemon", DAEMONS)
def test_withdrawal_from_daemon_reaches_bgpmesh_script(daemon, cell):
    c = cell(daemon)

    def script_routes(predicate: Callable[[dict[str, Route]], bool]) -> dict[str, Route]:
        return wait_until(lambda: predicate(r := replay_updates(c.relay.messages())) and r, 15,
                          message=lambda: f"script received {c.relay.lines()}")

    script_routes(lambda r: ORIGINATED4 in r and ORIGINATED6 in r)
    c.peer.withdraw4()
    routes = script_routes(lambda r: ORIGINATED4 not in r)
    assert set(routes) == {ORIGINATED6}
    withdraw = c.relay.wait_message(lambda m: m["type"] == "update" and "withdraw" in
                                    m["neighbor"]["message"].get("update", {}))
    assert withdraw["neighbor"]["message"]["update"]["withdraw"] == {
        "ipv4 unicast": [{"nlri": ORIGINATED4}]}


@pytest.mark.parametrize("daemon", DAEMONS)
def test_withdrawal_from_bgpmesh_removes_route_at_daemon(daemon, cell):
    c = cell(daemon)
    c.relay.send(*ANNOUNCE)
    assert c.relay.wait_acks(len(ANNOUNCE)) == ["done"] * len(ANNOUNCE)
    c.peer.wait_routes(lambda r: set(EXPECTED_AT_DAEMON) <= set(r))
    c.relay.send("withdraw route 10.1.0.0/24", "withdraw route 2001:db8:1::/48")
    assert c.relay.wait_acks(len(ANNOUNCE) + 2)[-2:] == ["done", "done"]
    routes = c.peer.wait_routes(lambda r: "10.1.0.0/24" not in r
                                and "2001:db8:1::/48" not in r)
    assert "10.2.0.0/24" in routes


def _leaves(node: Any, out: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every ``field: value`` under one dissected BGP message, values in wire order."""
    if isinstance(node, list):
        for item in node:
            _leaves(item, out)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                out.setdefault(key, []).append(value)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                out.setdefault(key, []).extend(value)
            else:
                _leaves(value, out)
    return out


def tshark_updates(capture: Path, port: int, sender: str) -> dict[str, dict[str, list[str]]]:
    """Prefix -> fields of the UPDATE from ``sender`` that carried it, TCP ``port`` as BGP.

    Per message, not per frame: one TCP segment often carries several
    UPDATEs, and ``-T fields`` would mix their attributes.  Reads the capture
    while dumpcap may still write it; a truncated last record only makes
    tshark complain.
    """
    result = subprocess.run(
        ["tshark", "-r", str(capture), "-d", f"tcp.port=={port},bgp", "-Y", "bgp.type == 2",
         "-T", "json", "--no-duplicate-keys"], capture_output=True, text=True, timeout=30)
    try:
        packets = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:  # cut short by the record dumpcap is writing
        return {}
    updates: dict[str, dict[str, list[str]]] = {}
    for packet in packets:
        layers = packet["_source"]["layers"]
        if layers["ip"]["ip.src"] != sender:
            continue
        messages = layers["bgp"] if isinstance(layers["bgp"], list) else [layers["bgp"]]
        for message in messages:
            fields = _leaves(message, {})
            if fields.get("bgp.type") != ["2"]:
                continue
            for prefix in (fields.get("bgp.nlri_prefix", [])
                           + fields.get("bgp.mp_reach_nlri_ipv6_prefix", [])):
                updates[prefix] = fields
    return updates


def test_tshark_decodes_bgpmesh_update(tmp_path, addresses, bird_factory, mesh):
    """Wireshark's BGP dissector, an independent decoder, reads our UPDATEs as meant."""
    require_binary("tshark")
    dumpcap = require_binary("dumpcap")
    daemon_end, mesh_end = addresses.pair()
    capture = tmp_path / "session.pcapng"
    stderr = tmp_path / "dumpcap.stderr"
    with open(stderr, "wb") as err:
        capturing = subprocess.Popen(
            [dumpcap, "-i", "lo", "-f", f"tcp port {daemon_end.port}", "-w", str(capture)],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    wanted = {"10.1.0.0", "10.2.0.0", "2001:db8:1::"}
    try:
        wait_until(lambda: "Capturing on" in stderr.read_text() or capturing.poll() is not None,
                   10, message=lambda: stderr.read_text())
        assert capturing.poll() is None, stderr.read_text()
        peer = start_bird({"bird": bird_factory}, daemon_end, mesh_end)
        relay = Relay(tmp_path, "script")
        mesh(relay.process_block() + neighbor_block(daemon_end, mesh_end, "script"))
        peer.established(20)
        relay.send(*ANNOUNCE)
        relay.wait_acks(len(ANNOUNCE))
        peer.wait_routes(lambda r: set(EXPECTED_AT_DAEMON) <= set(r))
        # the kernel hands dumpcap packets in blocks: wait until ours are written
        def decoded() -> dict[str, dict[str, list[str]]] | None:
            updates = tshark_updates(capture, daemon_end.port, mesh_end.address)
            return updates if wanted <= set(updates) else None

        updates = wait_until(decoded, 10, interval=0.2, message=lambda: (
            f"prefixes in the capture: {set(tshark_updates(capture, daemon_end.port, mesh_end.address))}"))
    finally:
        capturing.send_signal(signal.SIGTERM)
        try:
            capturing.wait(10)
        except subprocess.TimeoutExpired:
            capturing.kill()
            capturing.wait()

    attribute = "bgp.update.path_attribute."
    first = updates["10.1.0.0"]
    assert first[attribute + "next_hop"] == ["192.0.2.1"]
    assert first[attribute + "multi_exit_disc"] == ["10"]
    # 4-octet ASNs are negotiated with BIRD: the AS_PATH has as4 fields
    assert first[attribute + "as_path_segment.as4"] == ["65001"]
    assert first[attribute + "community_as"] == ["65001", "65001"]
    assert first[attribute + "community_value"] == ["1", "2"]
    assert first[attribute + "origin"] == ["0"]
    second = updates["10.2.0.0"]
    assert second[attribute + "as_path_segment.as4"] == ["65001", "64999"]
    assert second[attribute + "origin"] == ["1"]
    assert attribute + "multi_exit_disc" not in second
    third = updates["2001:db8:1::"]
    assert third[attribute + "mp_reach_nlri.next_hop.ipv6"] == ["2001:db8::1"]
    assert third[attribute + "multi_exit_disc"] == ["5"]
    assert third[attribute + "community_as"] == ["65001"]
    assert third[attribute + "community_value"] == ["3"]
    assert attribute + "next_hop" not in third  # IPv6 only in MP_REACH_NLRI
