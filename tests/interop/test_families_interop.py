"""Families beyond unicast, announced by a bgpmesh script, read back from real
daemons: FlowSpec (RFC 8955/8956) and L3VPN (RFC 4364) and labeled unicast
(RFC 8277) at GoBGP, every family at ExaBGP (its JSON; the five EVPN route
types too, announced and withdrawn), labeled unicast at FRR.

Each test has its own loopback addresses and ports; bgpmesh is the active
side.  The daemons' harnesses render unicast-only configurations, so the
family lines are swapped in here (``monkeypatch`` of their pure
``render_config``).
"""

from __future__ import annotations

import pytest

from tests.daemons import exabgp as exabgp_module
from tests.daemons import gobgp as gobgp_module
from tests.daemons.addresses import Endpoint
from tests.daemons.bgpmesh import Relay
from tests.daemons.exabgp import ExabgpPeer
from tests.daemons.gobgp import GobgpPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system

MESH_AS = 65001
PEER_AS = 65002

FLOW4 = ("announce flow route { match { destination 10.9.0.0/24; destination-port =80; "
         "protocol tcp; } then { rate-limit 9600; } }")
FLOW4_DISCARD = ("announce flow route { match { source 10.8.0.0/16; } then { discard; } }")
FLOW6 = ("announce flow route { match { destination 2001:db8:9::/48; next-header udp; } "
         "then { redirect 65001:7; } }")
VPN4 = "announce route 10.7.0.0/24 next-hop 192.0.2.1 rd 65001:5 label [ 1000 ]"
LABELED4 = "announce route 10.6.0.0/24 next-hop 192.0.2.1 label [ 2000 ]"
MULTICAST4 = "announce ipv4 multicast 10.5.0.0/24 next-hop 192.0.2.1"
VPLS = ("announce vpls endpoint 5 base 10702 offset 1 size 8 rd 192.0.2.1:123 "
        "next-hop 192.0.2.1")
# one route of each EVPN type (bgpmesh's grammar, api/nlri_words.py)
EVPN = [
    "announce evpn ethernet-ad rd 65001:1 esi 00:11:22:33:44:55:66:77:88:99 etag 5 "
    "label [ 100 ] next-hop 192.0.2.1 extended-community [ target:65001:1 ]",
    "announce evpn macadv aa:bb:cc:dd:ee:07 10.4.0.1 rd 192.0.2.1:2 label [ 101 ] "
    "next-hop 192.0.2.1",
    "announce evpn multicast 192.0.2.1 rd 65001:3 etag 3 next-hop 192.0.2.1",
    "announce evpn ethernet-segment 00:11:22:33:44:55:66:77:88:99 192.0.2.1 rd 65001:4 "
    "next-hop 192.0.2.1",
    "announce evpn prefix 10.3.0.0/16 rd 65001:5 gateway 10.4.0.1 label 5 next-hop 192.0.2.1",
]


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


def gobgp_families(monkeypatch, families: list[str]) -> None:
    original = gobgp_module.render_config

    def render(*args):
        text = original(*args)
        block = '      afi-safi-name = "ipv4-unicast"'
        lines = block
        for family in families:
            lines += ("\n  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n"
                      f'      afi-safi-name = "{family}"')
        return text.replace(block, lines)

    monkeypatch.setattr(gobgp_module, "render_config", render)


def test_flowspec_and_vpn_reach_gobgp(tmp_path, addresses, gobgp_factory, mesh, monkeypatch):
    gobgp_families(monkeypatch, ["ipv4-flowspec", "ipv6-flowspec", "l3vpn-ipv4-unicast",
                                 "ipv4-labelled-unicast"])
    daemon_end, mesh_end = addresses.pair()
    gobgp = gobgp_factory("10.0.0.2", PEER_AS, daemon_end, [GobgpPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True,
        ipv6=False)])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end,
                     ["ipv4 unicast", "ipv4 flow", "ipv6 flow", "ipv4 mpls-vpn",
                      "ipv4 nlri-mpls"]))
    gobgp.wait_established(mesh_end.address, 20)
    lines = [FLOW4, FLOW4_DISCARD, FLOW6, VPN4, LABELED4]
    relay.send(*lines)
    assert relay.wait_acks(len(lines)) == ["done"] * len(lines)

    def rib(family: str):
        return gobgp.cli_json("global", "rib", "-a", family) or {}

    flows = wait_until(lambda: len(r := rib("ipv4-flowspec")) == 2 and r, 15,
                       message=lambda: f"GoBGP ipv4-flowspec: {rib('ipv4-flowspec')}")
    text = " ".join(flows)
    assert "10.9.0.0/24" in text and "10.8.0.0/16" in text and "80" in text
    rates = sorted(c.get("rate") for paths in flows.values() for path in paths
                   for a in path["attrs"] if a["type"] == 16 for c in a["value"])
    assert rates == [0.0, 9600.0]  # discard is traffic-rate 0

    flows6 = wait_until(lambda: rib("ipv6-flowspec"), 15)
    assert "2001:db8:9::/48" in " ".join(flows6)
    (paths6,) = flows6.values()
    (community,) = [c for a in paths6[0]["attrs"] if a["type"] == 16 for c in a["value"]]
    assert community["type"] == 128 and community["subtype"] == 8  # redirect 65001:7

    vpn = wait_until(lambda: rib("vpnv4"), 15, message=lambda: f"vpnv4: {rib('vpnv4')}")
    (key,) = vpn
    assert "65001:5" in key and "10.7.0.0/24" in key
    (path,) = vpn[key]
    assert path["nlri"]["labels"] == [1000]
    assert [a["nexthop"] for a in path["attrs"] if a["type"] == 14] == ["192.0.2.1"]

    labeled = wait_until(lambda: rib("ipv4-mpls"), 15)
    (path,) = next(iter(labeled.values()))
    assert path["nlri"]["labels"] == [2000]

    relay.send(FLOW4.replace("announce", "withdraw", 1),
               "withdraw route 10.7.0.0/24 rd 65001:5")  # labels do not name the route
    assert relay.wait_acks(len(lines) + 2)[-2:] == ["done", "done"]
    wait_until(lambda: len(rib("ipv4-flowspec")) == 1 and not rib("vpnv4"), 15,
               message=lambda: f"left: {rib('ipv4-flowspec')} {rib('vpnv4')}")


def exabgp_families(monkeypatch, families: list[str]) -> None:
    original = exabgp_module.render_config

    def render(*args):
        lines = "".join(f"        {f};\n" for f in families)
        return original(*args).replace(
            "    family {\n        ipv4 unicast;\n        ipv6 unicast;\n    }\n",
            f"    family {{\n{lines}    }}\n")

    monkeypatch.setattr(exabgp_module, "render_config", render)


def test_every_family_reaches_exabgp(tmp_path, addresses, exabgp_factory, mesh, monkeypatch):
    families = ["ipv4 unicast", "ipv4 multicast", "ipv4 nlri-mpls", "ipv4 mpls-vpn",
                "ipv4 flow", "ipv6 flow", "l2vpn vpls", "l2vpn evpn"]
    exabgp_families(monkeypatch, families)
    daemon_end, mesh_end = addresses.pair()
    exabgp = exabgp_factory(daemon_end, [ExabgpPeer(
        address=mesh_end.address, port=mesh_end.port, local_address=daemon_end.address,
        local_as=PEER_AS, peer_as=MESH_AS, router_id="10.0.0.2")])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, families))
    exabgp.wait_established(mesh_end.address, 20)
    lines = [FLOW4, FLOW6, VPN4, LABELED4, MULTICAST4, VPLS, *EVPN]
    relay.send(*lines)
    assert relay.wait_acks(len(lines)) == ["done"] * len(lines)

    def announced() -> dict:
        seen: dict = {}
        for message in exabgp.messages():
            update = message.get("neighbor", {}).get("message", {}).get("update", {})
            for family, by_hop in update.get("announce", {}).items():
                for hop, nlris in by_hop.items():
                    for nlri in nlris:
                        seen.setdefault(family, []).append(
                            (hop, nlri, update.get("attribute", {})))
        return seen

    wanted = {"ipv4 flow", "ipv6 flow", "ipv4 mpls-vpn", "ipv4 nlri-mpls", "ipv4 multicast",
              "l2vpn vpls", "l2vpn evpn"}
    seen = wait_until(lambda: wanted <= set(a := announced()) and
                      len(a.get("l2vpn evpn", ())) == len(EVPN) and a, 20,
                      message=lambda: f"ExaBGP saw {announced()}")
    ((hop, flow, attributes),) = seen["ipv4 flow"]
    assert hop == "no-nexthop"
    assert flow["destination-ipv4"] == ["10.9.0.0/24"] and flow["destination-port"] == ["=80"]
    assert flow["protocol"] == ["=tcp"]
    assert [c["string"] for c in attributes["extended-community"]] == ["rate-limit:9600"]
    ((_, flow6, attributes6),) = seen["ipv6 flow"]
    assert flow6["next-header"] == ["=udp"]
    assert [c["string"] for c in attributes6["extended-community"]] == ["redirect:65001:7"]
    ((hop, vpn, _),) = seen["ipv4 mpls-vpn"]
    assert (hop, vpn["nlri"], vpn["rd"], vpn["label"]) == \
        ("192.0.2.1", "10.7.0.0/24", "65001:5", [[1000]])
    ((hop, labeled, _),) = seen["ipv4 nlri-mpls"]
    assert (hop, labeled["nlri"], labeled["label"]) == ("192.0.2.1", "10.6.0.0/24", [[2000]])
    ((hop, multicast, _),) = seen["ipv4 multicast"]
    assert (hop, multicast["nlri"]) == ("192.0.2.1", "10.5.0.0/24")
    ((hop, vpls, _),) = seen["l2vpn vpls"]
    assert (vpls["rd"], vpls["endpoint"], vpls["base"], vpls["offset"], vpls["size"]) == \
        ("192.0.2.1:123", 5, 10702, 1, 8)
    evpn = {nlri["code"]: (hop, nlri, attributes) for hop, nlri, attributes in seen["l2vpn evpn"]}
    assert sorted(evpn) == [1, 2, 3, 4, 5] and {h for h, _, _ in evpn.values()} == {"192.0.2.1"}
    hop, ad, attributes = evpn[1]
    assert (ad["rd"], ad["esi"], ad["ethernet-tag"], ad["label"]) == \
        ("65001:1", "00:11:22:33:44:55:66:77:88:99", 5, [[100, 1601]])
    assert [c["string"] for c in attributes["extended-community"]] == ["target:65001:1"]
    mac = evpn[2][1]
    assert (mac["rd"], mac["mac"], mac["ip"], mac["esi"], mac["label"]) == \
        ("192.0.2.1:2", "AA:BB:CC:DD:EE:07", "10.4.0.1", "-", [[101, 1617]])
    multicast = evpn[3][1]
    assert (multicast["rd"], multicast["ethernet-tag"], multicast["ip"]) == \
        ("65001:3", 3, "192.0.2.1")
    segment = evpn[4][1]
    assert (segment["rd"], segment["esi"], segment["ip"]) == \
        ("65001:4", "00:11:22:33:44:55:66:77:88:99", "192.0.2.1")
    prefix = evpn[5][1]
    assert (prefix["rd"], prefix["ip"], prefix["iplen"], prefix["gateway"], prefix["label"]) == \
        ("65001:5", "10.3.0.0", 16, "10.4.0.1", [[5, 81]])
    # the withdrawals name each route by its key alone (RFC 7432 section 7)
    relay.send(*(line.replace("announce", "withdraw", 1) for line in EVPN))
    assert relay.wait_acks(len(lines) + len(EVPN))[len(lines):] == ["done"] * len(EVPN)

    def withdrawn() -> set:
        codes = set()
        for message in exabgp.messages():
            update = message.get("neighbor", {}).get("message", {}).get("update", {})
            codes.update(nlri["code"] for nlri in update.get("withdraw", {}).get("l2vpn evpn", ()))
        return codes

    wait_until(lambda: withdrawn() == {1, 2, 3, 4, 5}, 20,
               message=lambda: f"ExaBGP saw EVPN withdrawals of {withdrawn()}")


def test_configured_flow_and_vpls_are_announced_at_boot(tmp_path, addresses, exabgp_factory,
                                                         mesh, monkeypatch):
    families = ["ipv4 unicast", "ipv4 flow", "l2vpn vpls"]
    exabgp_families(monkeypatch, families)
    daemon_end, mesh_end = addresses.pair()
    exabgp = exabgp_factory(daemon_end, [ExabgpPeer(
        address=mesh_end.address, port=mesh_end.port, local_address=daemon_end.address,
        local_as=PEER_AS, peer_as=MESH_AS, router_id="10.0.0.2")])
    relay = Relay(tmp_path, "script")
    config = mesh_config(relay, daemon_end, mesh_end, families).rstrip().removesuffix("}") + (
        "    flow {\n        route block-web {\n"
        "            match {\n                destination 10.4.0.0/24;\n"
        "                destination-port =443;\n            }\n"
        "            then {\n                discard;\n            }\n        }\n    }\n"
        "    l2vpn {\n        vpls site7 {\n            endpoint 3;\n            base 10800;\n"
        "            offset 1;\n            size 8;\n            rd 192.0.2.1:7;\n"
        "            next-hop 192.0.2.1;\n        }\n    }\n}\n")
    mesh(config)
    exabgp.wait_established(mesh_end.address, 20)

    def families_seen() -> dict:
        seen: dict = {}
        for message in exabgp.messages():
            update = message.get("neighbor", {}).get("message", {}).get("update", {})
            for family, by_hop in update.get("announce", {}).items():
                for nlris in by_hop.values():
                    seen.setdefault(family, []).extend(
                        (n, update.get("attribute", {})) for n in nlris)
        return seen

    seen = wait_until(lambda: {"ipv4 flow", "l2vpn vpls"} <= set(s := families_seen()) and s,
                      20, message=lambda: f"ExaBGP saw {families_seen()}")
    ((flow, attributes),) = seen["ipv4 flow"]
    assert flow["destination-ipv4"] == ["10.4.0.0/24"] and flow["destination-port"] == ["=443"]
    assert [c["string"] for c in attributes["extended-community"]] == ["rate-limit:0"]
    ((vpls, _),) = seen["l2vpn vpls"]
    assert (vpls["rd"], vpls["endpoint"], vpls["base"]) == ("192.0.2.1:7", 3, 10800)
