"""Configured routes of families beyond unicast reach a peer at worker boot,
and API routes of every family survive a worker restart (the supervisor's
replay keys routes by RD and path id as well as prefix).

The peer is ExaBGP 5.0.15; what it saw is read from its JSON.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.daemons import exabgp as exabgp_module
from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.exabgp import ExabgpPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system

MESH_AS = 65001
PEER_AS = 65002
FAMILIES = ["ipv4 unicast", "ipv4 multicast", "ipv4 nlri-mpls", "ipv4 mpls-vpn", "ipv4 flow"]


@pytest.fixture
def mesh(tmp_path: Path):
    started: list[Bgpmesh] = []

    def factory(config: str) -> Bgpmesh:
        instance = Bgpmesh(tmp_path / f"bgpmesh{len(started)}", config)
        started.append(instance)
        return instance.start()

    yield factory
    for instance in started:
        instance.stop()


@pytest.fixture
def exabgp_peer(tmp_path, addresses, exabgp_factory, monkeypatch):
    original = exabgp_module.render_config

    def render(*args):
        lines = "".join(f"        {f};\n" for f in FAMILIES)
        return original(*args).replace(
            "    family {\n        ipv4 unicast;\n        ipv6 unicast;\n    }\n",
            f"    family {{\n{lines}    }}\n")

    monkeypatch.setattr(exabgp_module, "render_config", render)
    daemon_end, mesh_end = addresses.pair()
    exabgp = exabgp_factory(daemon_end, [ExabgpPeer(
        address=mesh_end.address, port=mesh_end.port, local_address=daemon_end.address,
        local_as=PEER_AS, peer_as=MESH_AS, router_id="10.0.0.2")])
    return exabgp, daemon_end, mesh_end


def config(daemon_end, mesh_end, body: str, relay: Relay | None = None) -> str:
    families = "".join(f"        {f};\n" for f in FAMILIES)
    api = "    api {\n        processes [ script ];\n    }\n" if relay else ""
    return (relay.process_block() if relay else "") + (
        f"neighbor {daemon_end.address} {{\n"
        f"    router-id {mesh_end.address};\n"
        f"    local-address {mesh_end.address};\n"
        f"    local-as {MESH_AS};\n"
        f"    peer-as {PEER_AS};\n"
        "    hold-time 9;\n"
        f"    connect {daemon_end.port};\n"
        f"    family {{\n{families}    }}\n" + api + body + "}\n")


def seen(exabgp) -> dict:
    """{family: {(rd, prefix): labels}} from every announcement ExaBGP printed."""
    out: dict = {}
    for message in exabgp.messages():
        update = message.get("neighbor", {}).get("message", {}).get("update", {})
        for family, by_hop in update.get("announce", {}).items():
            for nlris in by_hop.values():
                for nlri in nlris:
                    key = (nlri.get("rd"), nlri.get("nlri") or nlri.get("string"))
                    out.setdefault(family, {})[key] = nlri.get("label")
    return out


def test_configured_routes_of_other_families_are_announced(exabgp_peer, mesh):
    exabgp, daemon_end, mesh_end = exabgp_peer
    mesh(config(daemon_end, mesh_end, (
        "    static {\n"
        "        route 10.7.0.0/24 next-hop 192.0.2.1 rd 65001:5 label [ 1000 ];\n"
        "        route 10.7.0.0/24 next-hop 192.0.2.1 rd 65001:6 label [ 1001 ];\n"
        "        route 10.6.0.0/24 next-hop 192.0.2.1 label [ 2000 ];\n"
        "    }\n"
        "    announce {\n        ipv4 {\n"
        "            multicast 10.5.0.0/24 next-hop 192.0.2.1;\n"
        "        }\n    }\n")))
    exabgp.wait_established(mesh_end.address, 20)
    routes = wait_until(lambda: {"ipv4 mpls-vpn", "ipv4 nlri-mpls", "ipv4 multicast"}
                        <= set(s := seen(exabgp)) and s, 20,
                        message=lambda: f"ExaBGP saw {seen(exabgp)}")
    assert routes["ipv4 mpls-vpn"] == {("65001:5", "10.7.0.0/24"): [[1000]],
                                       ("65001:6", "10.7.0.0/24"): [[1001]]}
    assert routes["ipv4 nlri-mpls"] == {(None, "10.6.0.0/24"): [[2000]]}
    assert (None, "10.5.0.0/24") in routes["ipv4 multicast"]


def test_api_routes_of_every_family_survive_a_worker_restart(exabgp_peer, mesh, tmp_path):
    exabgp, daemon_end, mesh_end = exabgp_peer
    relay = Relay(tmp_path, "script")
    instance = mesh(config(daemon_end, mesh_end, "", relay))
    exabgp.wait_established(mesh_end.address, 20)
    lines = [
        "announce route 10.7.0.0/24 next-hop 192.0.2.1 rd 65001:5 label [ 1000 ]",
        "announce route 10.7.0.0/24 next-hop 192.0.2.1 rd 65001:6 label [ 1001 ]",
        "withdraw route 10.7.0.0/24 rd 65001:6",
        "announce flow route { match { destination 10.9.0.0/24; } then { discard; } }",
    ]
    relay.send(*lines)
    assert relay.wait_acks(len(lines)) == ["done"] * len(lines)
    wait_until(lambda: {"ipv4 mpls-vpn", "ipv4 flow"} <= set(seen(exabgp)), 20,
               message=lambda: f"ExaBGP saw {seen(exabgp)}")
    before = len(exabgp.messages())
    (pid,) = instance.worker_pids().values()
    os.kill(pid, signal.SIGKILL)

    def replayed():
        later = exabgp.messages()[before:]
        families = set()
        vpn = set()
        for message in later:
            update = message.get("neighbor", {}).get("message", {}).get("update", {})
            for family, by_hop in update.get("announce", {}).items():
                families.add(family)
                for nlris in by_hop.values():
                    vpn.update(n.get("rd") for n in nlris if "rd" in n)
        return {"ipv4 mpls-vpn", "ipv4 flow"} <= families and vpn

    # the replay holds the rd 65001:5 route and the flow, not the withdrawn one
    assert wait_until(replayed, 40, message=lambda: f"after restart: "
                      f"{exabgp.messages()[before:]}") == {"65001:5"}
