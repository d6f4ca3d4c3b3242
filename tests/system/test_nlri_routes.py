"""EVPN and RTC routes through everything VPLS and unicast routes go through:
configuration, API, Adj-RIB-Out replace, show adj-rib out, a killed worker's
replay, reload, clear adj-rib out (read back from GoBGP), route refresh
(asked by ExaBGP: GoBGP's soft reset in sends no ROUTE-REFRESH).

bgpmesh is the active side, the daemon the passive one.  Each step waits on
what the daemon's own RIB (``gobgp global rib -a evpn|rtc``, ExaBGP's JSON)
or bgpmesh's answers show.
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.exabgp import ExabgpPeer
from tests.daemons.gobgp import GobgpPeer
from tests.daemons.waiting import wait_until
from tests.interop.test_families_interop import exabgp_families

pytestmark = pytest.mark.system

MESH_AS, PEER_AS = 65001, 65002
MACADV = ("evpn macadv aa:bb:cc:dd:ee:08 10.68.0.1 rd 192.0.2.1:68 label [ {label} ] "
          "next-hop 192.0.2.1 extended-community [ target:65001:68 ]")
RTC = "rtc origin 65001 route-target 65001:68 next-hop 192.0.2.1"


def config(relay: Relay, gobgp_end, mesh_end, etag: int) -> str:
    return relay.process_block() + "group evpn {\n" + (
        f"neighbor {gobgp_end.address} {{\n"
        f"    router-id {mesh_end.address};\n"
        f"    local-address {mesh_end.address};\n"
        f"    local-as {MESH_AS};\n"
        f"    peer-as {PEER_AS};\n"
        "    hold-time 9;\n"
        f"    connect {gobgp_end.port};\n"
        "    family {\n        ipv4 unicast;\n        l2vpn evpn;\n        ipv4 rtc;\n    }\n"
        "    capability {\n        route-refresh;\n    }\n"
        "    announce {\n        l2vpn {\n"
        f"            evpn multicast 192.0.2.1 rd 65001:9 etag {etag} next-hop 192.0.2.1;\n"
        "        }\n    }\n"
        "    api {\n        processes [ script ];\n    }\n"
        "}\n"
    ) + "}\n"


def test_evpn_and_rtc_routes_live_like_the_others(tmp_path, addresses, gobgp_factory):
    gobgp_end, mesh_end = addresses.pair()
    gobgp = gobgp_factory("10.0.0.2", PEER_AS, gobgp_end, [GobgpPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True,
        ipv4=True, ipv6=False, families=["l2vpn-evpn", "rtc"])])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", config(relay, gobgp_end, mesh_end, 9)).start()

    def rib(family: str) -> dict:
        return gobgp.cli_json("global", "rib", "-a", family) or {}

    def evpn_keys() -> set[str]:
        return set(rib("evpn"))

    def wait_evpn(predicate, what: str) -> set[str]:
        return wait_until(lambda: predicate(k := evpn_keys()) and k, 20,
                          message=lambda: f"{what}: GoBGP has {evpn_keys()}")

    def command(line: str) -> None:
        before = len(relay.acks())
        relay.send(line)
        assert relay.wait_acks(before + 1)[before:] == ["done"], relay.lines()[-5:]

    def macadv_labels() -> list:
        # GoBGP shows an EVPN label as the whole 3-octet field: label << 4 | S
        return [[raw >> 4 for raw in path["nlri"]["value"]["labels"]]
                for key, paths in rib("evpn").items()
                if "aa:bb:cc:dd:ee:08" in key for path in paths]

    try:
        gobgp.wait_established(mesh_end.address, 30)
        # the configured route is announced at boot
        wait_evpn(lambda keys: any("[etag:9]" in k for k in keys),
                  "the configured multicast route")
        command("announce " + MACADV.format(label=100))
        command("announce " + RTC)
        wait_evpn(lambda keys: any("aa:bb:cc:dd:ee:08" in k for k in keys), "macadv")
        wait_until(lambda: "65001:68" in str(rib("rtc")), 20, message=lambda: rib("rtc"))

        # a new label replaces the route (RFC 7432 7.2: labels are not its key)
        command("announce " + MACADV.format(label=200))
        wait_until(lambda: macadv_labels() == [[200]], 20, message=macadv_labels)
        assert len(evpn_keys()) == 2

        # show adj-rib out names them in the words that announce them
        count = len(relay.lines())
        relay.send("show adj-rib out")
        relay.wait_acks(len(relay.acks()) + 1)
        shown = relay.lines()[count:]
        peer = gobgp_end.address
        assert f"neighbor {peer} l2vpn evpn macadv aa:bb:cc:dd:ee:08 10.68.0.1 rd 192.0.2.1:68 " \
               "esi 0 etag 0 label [ 200 ]" in shown, shown
        assert f"neighbor {peer} l2vpn evpn multicast 192.0.2.1 rd 65001:9 etag 9" in shown, shown
        assert f"neighbor {peer} ipv4 rtc origin 65001 route-target 65001:68" in shown, shown

        # a killed worker is restarted and the supervisor replays its routes
        pid = mesh.worker_pids()["evpn"]
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: mesh.worker_pids()["evpn"] != pid, 20,
                   message=lambda: mesh.log()[-3000:])
        gobgp.wait_established(mesh_end.address, 30)
        wait_until(lambda: len(evpn_keys()) == 2 and macadv_labels() == [[200]]
                   and "65001:68" in str(rib("rtc")), 30,
                   message=lambda: f"after the restart: {evpn_keys()} {rib('rtc')}")

        # reload: the configured route changes, the script's routes stay
        mesh.config_path.write_text(config(relay, gobgp_end, mesh_end, 10))
        reloaded = mesh.cli("reload")
        assert reloaded.returncode == 0, reloaded.stderr
        wait_evpn(lambda keys: len(keys) == 2 and not any("[etag:9]" in k for k in keys)
                  and any("[etag:10]" in k for k in keys), "the reloaded multicast route")
        wait_until(lambda: macadv_labels() == [[200]] and "65001:68" in str(rib("rtc")), 20,
                   message=lambda: f"after reload: {evpn_keys()} {rib('rtc')}")

        # withdraw by key, then clear what is left
        command("withdraw " + RTC)
        wait_until(lambda: not rib("rtc"), 20, message=lambda: rib("rtc"))
        command("clear adj-rib out")
        wait_until(lambda: not evpn_keys(), 20, message=lambda: evpn_keys())
        assert mesh.process.poll() is None
    finally:
        assert mesh.stop() == 0


def test_route_refresh_sends_the_evpn_table_again(tmp_path, addresses, exabgp_factory,
                                                  monkeypatch):
    exabgp_families(monkeypatch, ["ipv4 unicast", "l2vpn evpn"])
    exa_end, mesh_end = addresses.pair()
    exabgp = exabgp_factory(exa_end, [ExabgpPeer(
        address=mesh_end.address, port=mesh_end.port, local_address=exa_end.address,
        local_as=PEER_AS, peer_as=MESH_AS, router_id="10.0.0.2",
        capabilities=["route-refresh"])])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", config(relay, exa_end, mesh_end, 9)).start()
    try:
        exabgp.wait_established(mesh_end.address)

        def carried() -> int:
            return sum(1 for m in exabgp.messages() if m.get("type") == "update"
                       and "AA:BB:CC:DD:EE:08" in str(m["neighbor"]["message"]))

        relay.send("announce " + MACADV.format(label=100))
        wait_until(lambda: carried() == 1, 15, message=lambda: exabgp.relay.lines())
        exabgp.command("announce route-refresh l2vpn evpn")
        wait_until(lambda: carried() == 2, 15, message=lambda: exabgp.relay.lines())
    finally:
        assert mesh.stop() == 0


def test_show_adj_rib_in_names_evpn_routes_as_adj_rib_out_does(tmp_path, addresses,
                                                               gobgp_factory):
    # GoBGP originates the route; bgpmesh's Adj-RIB-In keeps it (the default).
    # No RTC this time: GoBGP would hold back EVPN routes no RTC route asks for
    gobgp_end, mesh_end = addresses.pair()
    gobgp = gobgp_factory("10.0.0.2", PEER_AS, gobgp_end, [GobgpPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True,
        ipv4=True, ipv6=False, families=["l2vpn-evpn"])])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", config(relay, gobgp_end, mesh_end, 9)).start()

    def shown(what: str) -> list[str]:
        count = len(relay.lines())
        relay.send(f"show adj-rib {what}")
        relay.wait_acks(len(relay.acks()) + 1)
        return [line for line in relay.lines()[count:] if "l2vpn evpn" in line]

    try:
        gobgp.wait_established(mesh_end.address, 30)
        gobgp.cli("global", "rib", "add", "-a", "evpn", *"macadv aa:bb:cc:dd:ee:09 10.69.0.1 "
                  "etag 0 label 300 rd 192.0.2.2:69 rt 65002:69 nexthop 192.0.2.2".split())
        peer = gobgp_end.address
        received = wait_until(lambda: shown("in"), 20, message=lambda: relay.lines()[-5:])
        # GoBGP writes "label 300" as the whole 3-octet field (no Bottom of
        # Stack bit), which reads back as the VXLAN spelling
        assert received == [f"neighbor {peer} l2vpn evpn macadv aa:bb:cc:dd:ee:09 10.69.0.1 "
                            "rd 192.0.2.2:69 esi 0 etag 0 vni [ 300 ]"], received
        # the same words as the route bgpmesh itself announces, in the other table
        assert shown("out") == [f"neighbor {peer} l2vpn evpn multicast 192.0.2.1 rd 65001:9 "
                                "etag 9"]
    finally:
        assert mesh.stop() == 0
