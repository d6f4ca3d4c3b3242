"""MUP and MCAST-VPN routes a real daemon originates, as a bgpmesh script
reads them: GoBGP 3 sends the four MUP route types (its own encoder, not
ExaBGP's), ExaBGP 5.0.15 sends MCAST-VPN types 5 to 7 and MUP.  The entries
must be the JSON of tests/unit/codec/test_nlri_mup_mvpn_sr_policy.py, so the
families are negotiated by name in the OPEN and the wire of two other
implementations decodes to it.

No daemon here originates SR Policy routes (GoBGP's CLI has no syntax for
them, BIRD, FRR and ExaBGP 5.0 do not know the family), so SR Policy is
tested with hex vectors and tshark only.

Each test owns its loopback addresses and ports; the daemon is passive.
"""

from __future__ import annotations

import pytest

from tests.daemons import exabgp as exabgp_module
from tests.daemons.addresses import Endpoint
from tests.daemons.bgpmesh import Relay
from tests.daemons.exabgp import ExabgpPeer
from tests.daemons.gobgp import GobgpPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system

MESH_AS = 65001
PEER_AS = 65002


def mesh_config(relay: Relay, daemon_end: Endpoint, mesh_end: Endpoint, families: list[str]) -> str:
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
        "    api {\n        processes [ script ];\n        neighbor-changes;\n"
        "        receive { parsed; update; }\n    }\n"
        "}\n"
    )


def received(relay: Relay) -> dict[str, list[tuple[str, dict, dict]]]:
    """family -> [(next hop, entry, attributes)] of every UPDATE the script read."""
    seen: dict[str, list[tuple[str, dict, dict]]] = {}
    for message in relay.messages():
        update = message.get("neighbor", {}).get("message", {}).get("update", {})
        for family, by_hop in update.get("announce", {}).items():
            for hop, entries in by_hop.items():
                seen.setdefault(family, []).extend((hop, e, update.get("attribute", {})) for e in entries)
    return seen


def _without_raw(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if key != "raw"}


def test_gobgp_mup_routes_reach_a_script(tmp_path, addresses, gobgp_factory, mesh):
    daemon_end, mesh_end = addresses.pair()
    gobgp = gobgp_factory("10.0.0.2", PEER_AS, daemon_end, [GobgpPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True, ipv6=False,
        families=["ipv4-mup", "ipv6-mup"])])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, ["ipv4 unicast", "ipv4 mup", "ipv6 mup"]))
    gobgp.wait_established(mesh_end.address, 20)
    for route in (
        "t1st 10.0.0.0/24 rd 65000:1 rt 65000:1 teid 12345 qfi 9 endpoint 192.0.2.1 nexthop 192.0.2.9",
        "t2st 192.0.2.1 rd 65000:1 rt 65000:1 teid 12345 mup 1:10 "
        "nexthop 192.0.2.9",
        "isd 10.1.0.0/16 rd 65000:1 prefix 2001:db8:1:1::/64 locator-node-length 24 function-length 16 "
        "behavior ENDM_GTP4E rt 65000:1 nexthop 2001:db8::9",
        "dsd 10.0.0.1 rd 65000:1 prefix 2001:db8:1:1::/64 locator-node-length 24 function-length 16 "
        "behavior END_DT4 rt 65000:1 mup 1:11 nexthop 2001:db8::9",
    ):
        gobgp.cli("global", "rib", "add", "-a", "ipv4-mup", *route.split())

    seen = wait_until(lambda: len((r := received(relay)).get("ipv4 mup", [])) == 4 and r, 20,
                      message=lambda: f"script read {relay.lines()}")
    entries = {entry["code"]: (hop, entry, attributes) for hop, entry, attributes in seen["ipv4 mup"]}
    # GoBGP wants an IPv6 next hop (the SRv6 SID's node) for the discovery routes
    assert [entries[code][0] for code in (1, 2, 3, 4)] == ["2001:db8::9", "2001:db8::9", "192.0.2.9",
                                                          "192.0.2.9"]
    assert _without_raw(entries[3][1]) == {
        "name": "Type1SessionTransformedRoute", "arch": 1, "code": 3, "prefix_ip_len": 24,
        "prefix_ip": "10.0.0.0", "teid": "12345", "qfi": "9", "rd": "65000:1", "endpoint_ip_len": 32,
        "endpoint_ip": "192.0.2.1", "source_ip_len": 0, "source_ip": ""}
    # endpoint length 64: 32 bits of address, all 32 bits of the TEID
    assert _without_raw(entries[4][1]) == {
        "name": "Type2SessionTransformedRoute", "arch": 1, "code": 4, "endpoint_len": 64,
        "endpoint_ip": "192.0.2.1", "rd": "65000:1", "teid": "12345"}
    assert [c["string"] for c in entries[4][2]["extended-community"]] == ["target:65000:1", "mup:1:10"]
    assert _without_raw(entries[1][1]) == {
        "name": "InterworkSegmentDiscoveryRoute", "arch": 1, "code": 1, "prefix_ip_len": 16,
        "prefix_ip": "10.1.0.0", "rd": "65000:1"}
    assert _without_raw(entries[2][1]) == {
        "name": "DirectSegmentDiscoveryRoute", "arch": 1, "code": 2, "ip": "10.0.0.1", "rd": "65000:1"}

    gobgp.cli("global", "rib", "del", "-a", "ipv4-mup", *"t2st 192.0.2.1 rd 65000:1 rt 65000:1 "
              "teid 12345 mup 1:10 nexthop 192.0.2.9".split())

    def withdrawn() -> list:
        out = []
        for message in relay.messages():
            update = message.get("neighbor", {}).get("message", {}).get("update", {})
            out.extend(update.get("withdraw", {}).get("ipv4 mup", []))
        return out

    (gone,) = wait_until(withdrawn, 20, message=lambda: f"script read {relay.lines()}")
    assert gone["code"] == 4 and gone["endpoint_ip"] == "192.0.2.1"


def exabgp_families(monkeypatch, families: list[str]) -> None:
    original = exabgp_module.render_config

    def render(*args):
        lines = "".join(f"        {f};\n" for f in families)
        return original(*args).replace(
            "    family {\n        ipv4 unicast;\n        ipv6 unicast;\n    }\n",
            f"    family {{\n{lines}    }}\n")

    monkeypatch.setattr(exabgp_module, "render_config", render)


def test_exabgp_mcast_vpn_and_mup_routes_reach_a_script(tmp_path, addresses, exabgp_factory, mesh,
                                                        monkeypatch):
    families = ["ipv4 unicast", "ipv4 mcast-vpn", "ipv6 mcast-vpn", "ipv4 mup"]
    exabgp_families(monkeypatch, families)
    daemon_end, mesh_end = addresses.pair()
    exabgp = exabgp_factory(daemon_end, [ExabgpPeer(
        address=mesh_end.address, port=mesh_end.port, local_address=daemon_end.address,
        local_as=PEER_AS, peer_as=MESH_AS, router_id="10.0.0.2")])
    relay = Relay(tmp_path, "script")
    mesh(mesh_config(relay, daemon_end, mesh_end, families))
    exabgp.wait_established(mesh_end.address, 20)
    exabgp.command(
        "announce ipv4 mcast-vpn source-ad source 192.0.2.1 group 239.1.1.1 rd 65000:1 next-hop 192.0.2.9",
        "announce ipv4 mcast-vpn shared-join rp 192.0.2.1 group 239.1.1.1 rd 65000:1 source-as 65001 "
        "next-hop 192.0.2.9",
        "announce ipv4 mcast-vpn source-join source 192.0.2.1 group 239.1.1.1 rd 65000:1 source-as 65001 "
        "next-hop 192.0.2.9",
        "announce ipv6 mcast-vpn source-join source 2001:db8::1 group ff0e::1 rd 65000:1 source-as 65001 "
        "next-hop 2001:db8::9",
        # ExaBGP's TEID is value/bits: 12 bits of TEID after the address, endpoint length 44
        "announce ipv4 mup mup-t2st 192.0.2.1 rd 65000:1 teid 2748/12 next-hop 192.0.2.9 "
        "extended-community [ mup:1:10 ]",
        "announce ipv4 mup mup-t1st 10.0.0.0/24 rd 65000:1 teid 12345 qfi 9 endpoint 192.0.2.1 "
        "source 192.0.2.2 next-hop 192.0.2.9",
        "announce ipv4 mup mup-isd 10.1.0.0/16 rd 65000:1 next-hop 192.0.2.9",
        "announce ipv4 mup mup-dsd 10.0.0.1 rd 65000:1 next-hop 192.0.2.9",
    )

    def complete():
        seen = received(relay)
        return len(seen.get("ipv4 mcast-vpn", [])) == 3 and seen.get("ipv6 mcast-vpn") and len(
            seen.get("ipv4 mup", [])) == 4 and seen

    seen = wait_until(complete, 20, message=lambda: f"script read {relay.lines()}")
    by_code = {entry["code"]: entry for _, entry, _ in seen["ipv4 mcast-vpn"]}
    assert by_code[5] == {"code": 5, "parsed": True, "raw": "05120000FDE80000000120C000020120EF010101",
                          "name": "Source Active A-D Route", "rd": "65000:1", "source": "192.0.2.1",
                          "group": "239.1.1.1"}
    assert by_code[6]["source-as"] == "65001" and by_code[6]["source"] == "192.0.2.1"
    assert by_code[7]["name"] == "C-Multicast Source Tree Join route" and by_code[7]["group"] == "239.1.1.1"
    ((hop, join6, _),) = seen["ipv6 mcast-vpn"]
    assert hop == "2001:db8::9"
    assert (join6["source"], join6["group"], join6["source-as"]) == ("2001:db8::1", "ff0e::1", "65001")
    mup = {entry["code"]: (hop, entry, attributes) for hop, entry, attributes in seen["ipv4 mup"]}
    assert {hop for hop, _, _ in mup.values()} == {"192.0.2.9"}
    hop, t2st, attributes = mup[4]
    assert _without_raw(t2st) == {"name": "Type2SessionTransformedRoute", "arch": 1, "code": 4,
                                  "endpoint_len": 44, "endpoint_ip": "192.0.2.1", "rd": "65000:1",
                                  "teid": "2748"}
    assert [c["string"] for c in attributes["extended-community"]] == ["mup:1:10"]
    assert (mup[3][1]["prefix_ip"], mup[3][1]["source_ip"], mup[3][1]["qfi"]) == ("10.0.0.0", "192.0.2.2", "9")
    assert (mup[1][1]["prefix_ip"], mup[1][1]["prefix_ip_len"]) == ("10.1.0.0", 16)
    assert mup[2][1]["ip"] == "10.0.0.1"
