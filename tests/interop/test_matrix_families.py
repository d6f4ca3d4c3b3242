"""The interop matrix, family cells: a family bgpmesh announces, read back
from the daemon's own CLI (``birdc``, ``gobgp``, ``vtysh``).

BIRD: flowspec (a ``flow4`` channel), L3VPN (``vpn4 mpls``), labeled unicast
(``ipv4 mpls``).  GoBGP: EVPN, VPLS, RTC (its flowspec, VPN and labeled
cells are in test_families_interop.py).  FRR: L3VPN, EVPN, labeled unicast.

Each test owns its loopback addresses and ports; bgpmesh is the active side,
the daemon passive.  A cell bgpmesh cannot fill yet is a strict xfail that
names what is missing.  EVPN and RTC routes use bgpmesh's own grammar
(``api/nlri_words.py``).
"""

from __future__ import annotations

import re

import pytest

from tests.daemons.addresses import Endpoint
from tests.daemons.bgpmesh import Relay
from tests.daemons.bird import BirdPeer
from tests.daemons.frr import FrrPeer
from tests.daemons.gobgp import GobgpPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system

MESH_AS = 65001
PEER_AS = 65002


def mesh_config(relay: Relay, daemon_end: Endpoint, mesh_end: Endpoint,
                families: list[str]) -> str:
    family_lines = "".join(f"        {f};\n" for f in families)
    return relay.process_block() + (
        f"neighbor {daemon_end.address} {{\n"
        f"    router-id {mesh_end.address};\n"
        f"    local-address {mesh_end.address};\n"
        f"    local-as {MESH_AS};\n"
        f"    peer-as {PEER_AS};\n"
        "    hold-time 9;\n"
        f"    connect {daemon_end.port};\n"
        f"    family {{\n{family_lines}    }}\n"
        "    api {\n        processes [ script ];\n        neighbor-changes;\n    }\n"
        "}\n"
    )


def announce(relay: Relay, *lines: str) -> None:
    before = len(relay.acks())
    relay.send(*lines)
    assert relay.wait_acks(before + len(lines))[before:] == ["done"] * len(lines)


# -- BIRD ------------------------------------------------------------------


def bird_with_channels(bird_factory, daemon_end, mesh_end, tables, channels):
    return bird_factory("10.0.0.2", [BirdPeer(
        name="mesh", local_address=daemon_end.address, local_port=daemon_end.port,
        peer_address=mesh_end.address, peer_port=mesh_end.port, local_as=PEER_AS,
        peer_as=MESH_AS, passive=True, ipv4=False, ipv6=False, tables=tables,
        extra=channels)])


def bird_table(bird, table: str, wanted: str) -> str:
    return wait_until(lambda: wanted in (t := bird.birdc(f"show route table {table} all"))
                      and t, 15,
                      message=lambda: bird.birdc(f"show route table {table} all"))


def test_bird_flowspec(tmp_path, addresses, bird_factory, mesh):
    daemon_end, mesh_end = addresses.pair()
    bird = bird_with_channels(bird_factory, daemon_end, mesh_end, ["flow4 table flowtab4;"], [
        "ipv4 { igp table igp4; import all; export none; };",
        "flow4 { table flowtab4; import all; export none; };"])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, ["ipv4 unicast", "ipv4 flow"]))
    bird.wait_established("mesh", 20)
    announce(relay, "announce flow route { match { destination 10.61.0.0/24; "
                    "destination-port =80; protocol tcp; } then { rate-limit 9600; } }")
    shown = bird_table(bird, "flowtab4", "10.61.0.0/24")
    assert re.search(r"flow4 \{ dst 10\.61\.0\.0/24; proto 6; dport 80; \}", shown), shown
    # traffic-rate (0x8006) with AS 0 and rate 9600.0 as an IEEE float
    assert "(generic, 0x80060000, 0x46160000)" in shown, shown


def test_bird_l3vpn(tmp_path, addresses, bird_factory, mesh):
    daemon_end, mesh_end = addresses.pair()
    bird = bird_with_channels(bird_factory, daemon_end, mesh_end, ["vpn4 table vpntab4;"], [
        "vpn4 mpls { table vpntab4; igp table igp4; import all; export none; };"])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, ["ipv4 mpls-vpn"]))
    bird.wait_established("mesh", 20)
    announce(relay, "announce route 10.62.0.0/24 next-hop 192.0.2.1 rd 65001:5 label [ 1000 ] "
                    "extended-community [ target:65001:5 ]")
    shown = bird_table(bird, "vpntab4", "10.62.0.0/24")
    assert "65001:5 10.62.0.0/24" in shown, shown
    assert re.search(r"BGP.next_hop: 192\.0\.2\.1", shown), shown
    assert "BGP.mpls_label_stack: 1000" in shown, shown
    assert "(rt, 65001, 5)" in shown, shown


def test_bird_labeled_unicast(tmp_path, addresses, bird_factory, mesh):
    daemon_end, mesh_end = addresses.pair()
    bird = bird_with_channels(bird_factory, daemon_end, mesh_end, ["ipv4 table labtab4;"], [
        "ipv4 mpls { table labtab4; igp table igp4; import all; export none; };"])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, ["ipv4 nlri-mpls"]))
    bird.wait_established("mesh", 20)
    announce(relay, "announce route 10.63.0.0/24 next-hop 192.0.2.1 label [ 2000 ]")
    shown = bird_table(bird, "labtab4", "10.63.0.0/24")
    assert re.search(r"BGP.next_hop: 192\.0\.2\.1", shown), shown
    assert "BGP.mpls_label_stack: 2000" in shown, shown


# -- GoBGP -----------------------------------------------------------------


def gobgp_with(gobgp_factory, daemon_end, mesh_end, families):
    return gobgp_factory("10.0.0.2", PEER_AS, daemon_end, [GobgpPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True,
        ipv4=True, ipv6=False, families=families)])


def gobgp_rib(gobgp, family: str) -> dict:
    return wait_until(lambda: gobgp.cli_json("global", "rib", "-a", family), 15,
                      message=lambda: f"GoBGP {family}: {gobgp.cli('global', 'rib', '-a', family)}")


def test_gobgp_vpls(tmp_path, addresses, gobgp_factory, mesh):
    daemon_end, mesh_end = addresses.pair()
    gobgp = gobgp_with(gobgp_factory, daemon_end, mesh_end, ["l2vpn-vpls"])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, ["ipv4 unicast", "l2vpn vpls"]))
    gobgp.wait_established(mesh_end.address, 20)
    announce(relay, "announce vpls endpoint 5 base 10702 offset 1 size 8 rd 192.0.2.1:123 "
                    "next-hop 192.0.2.1")
    # GoBGP 3.10 takes the family (l2vpn-vpls in its config) but its CLI lists
    # no VPLS RIB ("unsupported address family"): read the per-family counters
    def counted() -> tuple[int, int]:
        for entry in gobgp.neighbor(mesh_end.address).get("afi_safis", []):
            state = entry.get("state", {})
            if state.get("family") == {"afi": 25, "safi": 65}:
                return state.get("received", 0), state.get("accepted", 0)
        return 0, 0

    wait_until(lambda: counted() == (1, 1), 15, message=lambda: f"VPLS counters {counted()}")
    announce_count = 1
    relay.send("withdraw vpls endpoint 5 base 10702 offset 1 size 8 rd 192.0.2.1:123 "
               "next-hop 192.0.2.1")
    assert relay.wait_acks(announce_count + 1)[-1] == "done"
    wait_until(lambda: counted() == (0, 0), 15, message=lambda: f"VPLS counters {counted()}")


def test_gobgp_evpn(tmp_path, addresses, gobgp_factory, mesh):
    daemon_end, mesh_end = addresses.pair()
    gobgp = gobgp_with(gobgp_factory, daemon_end, mesh_end, ["l2vpn-evpn"])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, ["ipv4 unicast", "l2vpn evpn"]))
    gobgp.wait_established(mesh_end.address, 20)
    line = ("evpn macadv aa:bb:cc:dd:ee:04 10.64.0.1 esi 0 etag 0 label [ 100 ] "
            "rd 192.0.2.1:64 next-hop 192.0.2.1 extended-community [ target:65001:64 ]")
    announce(relay, "announce " + line)
    rib = gobgp_rib(gobgp, "evpn")
    (key,) = rib
    assert "aa:bb:cc:dd:ee:04" in key and "10.64.0.1" in key and "192.0.2.1:64" in key, rib
    (path,) = rib[key]
    assert path["nlri"]["value"]["mac"] == "aa:bb:cc:dd:ee:04", path
    assert [a["nexthop"] for a in path["attrs"] if a["type"] == 14] == ["192.0.2.1"], path
    (targets,) = [a["value"] for a in path["attrs"] if a["type"] == 16]
    assert targets == [{"type": 0, "subtype": 2, "value": "65001:64"}], path
    # a withdrawal names the route by its key: the label may be left out
    announce(relay, "withdraw evpn macadv aa:bb:cc:dd:ee:04 10.64.0.1 rd 192.0.2.1:64")
    wait_until(lambda: not gobgp.cli_json("global", "rib", "-a", "evpn"), 15,
               message=lambda: gobgp.cli("global", "rib", "-a", "evpn"))


def test_gobgp_rtc(tmp_path, addresses, gobgp_factory, mesh):
    daemon_end, mesh_end = addresses.pair()
    gobgp = gobgp_with(gobgp_factory, daemon_end, mesh_end, ["rtc"])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, ["ipv4 unicast", "ipv4 rtc"]))
    gobgp.wait_established(mesh_end.address, 20)
    announce(relay, "announce rtc origin 65001 route-target 65001:65 next-hop 192.0.2.1")
    rib = gobgp_rib(gobgp, "rtc")
    assert "65001:65" in str(rib)
    announce(relay, "withdraw rtc origin 65001 route-target 65001:65")
    wait_until(lambda: not gobgp.cli_json("global", "rib", "-a", "rtc"), 15,
               message=lambda: gobgp.cli("global", "rib", "-a", "rtc"))


# -- FRR -------------------------------------------------------------------


def frr_with(frr_factory, daemon_end, mesh_end, families, unicast=True):
    return frr_factory("10.0.0.2", PEER_AS, daemon_end, [FrrPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True,
        families=families, unicast=unicast)])


def test_frr_l3vpn(tmp_path, addresses, frr_factory, mesh):
    daemon_end, mesh_end = addresses.pair()
    frr = frr_with(frr_factory, daemon_end, mesh_end, ["ipv4 vpn"])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, ["ipv4 unicast", "ipv4 mpls-vpn"]))
    frr.wait_established(mesh_end.address)
    announce(relay, "announce route 10.65.0.0/24 next-hop 192.0.2.1 rd 65001:5 label [ 1000 ] "
                    "extended-community [ target:65001:5 ]")

    def vpn() -> dict:
        return frr.vtysh_json("show bgp ipv4 vpn 10.65.0.0/24 json")

    shown = wait_until(lambda: (v := vpn()).get("65001:5") and v, 15,
                       message=lambda: f"{vpn()} {frr.vtysh('show bgp ipv4 vpn')}")
    (path,) = shown["65001:5"]["paths"]
    assert path["nexthops"][0]["ip"] == "192.0.2.1", path
    assert path["remoteLabel"] == 1000, path
    assert path["extendedCommunity"]["string"] == "RT:65001:5", path


def test_frr_evpn(tmp_path, addresses, frr_factory, mesh):
    daemon_end, mesh_end = addresses.pair()
    frr = frr_with(frr_factory, daemon_end, mesh_end, ["l2vpn evpn"])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, ["ipv4 unicast", "l2vpn evpn"]))
    frr.wait_established(mesh_end.address)
    announce(relay, "announce evpn macadv aa:bb:cc:dd:ee:05 10.66.0.1 esi 0 etag 0 "
                    "label [ 100 ] rd 192.0.2.1:66 next-hop 192.0.2.1")
    wait_until(lambda: "aa:bb:cc:dd:ee:05" in frr.vtysh("show bgp l2vpn evpn"), 15)
    # an inclusive multicast route with its PMSI tunnel, and an IP prefix route
    announce(relay, "announce evpn multicast 192.0.2.1 rd 192.0.2.1:67 etag 0 "
                    "next-hop 192.0.2.1 pmsi ingress-replication 192.0.2.1 vni 10067 "
                    "encapsulation vxlan extended-community [ target:65001:67 ]",
             "announce evpn prefix 10.66.0.0/16 rd 192.0.2.1:68 gateway 0.0.0.0 vni 10068 "
             "next-hop 192.0.2.1 encapsulation vxlan router-mac 00:11:22:33:44:55")
    shown = wait_until(lambda: "[3]:[0]:[32]:[192.0.2.1]" in (t := frr.vtysh(
        "show bgp l2vpn evpn")) and "[5]:[0]:[16]:[10.66.0.0]" in t and t, 15,
        message=lambda: frr.vtysh("show bgp l2vpn evpn"))
    assert "192.0.2.1:67" in shown and "192.0.2.1:68" in shown, shown
    announce(relay, "withdraw evpn macadv aa:bb:cc:dd:ee:05 10.66.0.1 rd 192.0.2.1:66")
    wait_until(lambda: "aa:bb:cc:dd:ee:05" not in frr.vtysh("show bgp l2vpn evpn"), 15,
               message=lambda: frr.vtysh("show bgp l2vpn evpn"))


def test_frr_labeled_unicast(tmp_path, addresses, frr_factory, mesh):
    daemon_end, mesh_end = addresses.pair()
    frr = frr_with(frr_factory, daemon_end, mesh_end, ["ipv4 labeled-unicast"], unicast=False)
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, ["ipv4 nlri-mpls"]))
    frr.wait_established(mesh_end.address)
    announce(relay, "announce route 10.67.0.0/24 next-hop 192.0.2.1 label [ 2000 ]")

    def labeled() -> dict:
        return frr.vtysh_json("show bgp ipv4 labeled-unicast 10.67.0.0/24 json")

    shown = wait_until(lambda: (v := labeled()).get("paths") and v, 15,
                       message=lambda: f"{labeled()} "
                                       f"{frr.vtysh('show bgp ipv4 labeled-unicast')}")
    (path,) = shown["paths"]
    assert path["nexthops"][0]["ip"] == "192.0.2.1", path
    assert path["remoteLabel"] == 2000, path
