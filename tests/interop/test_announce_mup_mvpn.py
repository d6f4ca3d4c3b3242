"""MUP and MCAST-VPN routes bgpmesh announces with ExaBGP 5.0's words, read
back by real daemons: ExaBGP 5.0.15 (its JSON, all four MUP route types and
MCAST-VPN types 5 to 7, types 1 to 4 in bgpmesh's words as the raw NLRI
ExaBGP shows for them, then every withdrawal) and GoBGP 3.10 (its RIB,
``gobgp global rib -a ipv4-mup``).

The differential part: the same API lines go to bgpmesh and to ExaBGP
5.0.15 as speakers, each in front of an ExaBGP 5.0.15 capture; the NLRI
bytes each capture received (the ``raw`` of every JSON entry), their next
hops and extended communities must be the same sets.

Shape::

    script -> bgpmesh  -> ExaBGP capture 1
    script -> ExaBGP 5 -> ExaBGP capture 2

Traps: ExaBGP 5.0.15 writes a Type 1 ST route's JSON without the comma after
``endpoint_ip`` (``tests/interop/test_decode_oracle.py``) and an SRv6 SID's
with its format unfilled, so the capture's lines are read here repaired, not
with ``Exabgp.messages``; the Prefix-SID attributes are compared as bytes.
"""

from __future__ import annotations

import json
import re

import pytest

import tests.daemons.exabgp as exabgp_module
from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.exabgp import ExabgpPeer
from tests.daemons.gobgp import GobgpPeer
from tests.daemons.waiting import wait_until
from tests.interop.test_receive_mup_mvpn import exabgp_families
from tests.unit.api.test_nlri_words_mup_mvpn import VECTORS

pytestmark = pytest.mark.interop

MESH_AS, PEER_AS = 65001, 65002
FAMILIES = ["ipv4 unicast", "ipv4 mup", "ipv6 mup", "ipv4 mcast-vpn", "ipv6 mcast-vpn"]

# ExaBGP 5.0's own example lines (conf-srv6-mup.conf, conf-mvpn.conf), next hops
# of the test's, and each family's IPv6 form once
LINES = [
    "announce ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 next-hop 192.0.2.9 "
    "extended-community [ target:10:10 ]",
    "announce ipv4 mup mup-dsd 10.0.0.1 rd 100:100 next-hop 192.0.2.9 "
    "extended-community [ target:10:10 mup:10:10 ] "
    "bgp-prefix-sid-srv6 ( l3-service 2001:db8:1:1:: 0x13 [64,24,16,0,0,0] )",
    "announce ipv6 mup mup-isd 2001:db8::/64 rd 100:100 next-hop 192.0.2.9 "
    "extended-community [ target:10:10 ] bgp-prefix-sid-srv6 ( l2-service 2001:db8:2:2:: )",
    "announce ipv4 mup mup-t1st 192.168.0.1/32 rd 100:100 teid 12345 qfi 9 endpoint 10.0.0.1 "
    "source 10.0.0.3 next-hop 192.0.2.9 extended-community [ target:10:10 ]",
    "announce ipv4 mup mup-t2st 10.0.0.1 rd 100:100 teid 12345/23 next-hop 192.0.2.9 "
    "extended-community [ target:10:10 mup:10:10 ]",
    "announce ipv6 mup mup-t2st 2001:db8::1 rd 100:100 teid 12345/32 next-hop 192.0.2.9 "
    "extended-community [ mup:10:10 ]",
    "announce ipv4 mcast-vpn source-ad source 10.99.12.4 group 239.251.255.228 rd 65000:99999 "
    "next-hop 192.0.2.9 extended-community [ target:65000:99999 ]",
    "announce ipv4 mcast-vpn shared-join rp 10.99.199.1 group 239.251.255.228 rd 65000:99999 "
    "source-as 65000 next-hop 192.0.2.9 extended-community [ target:192.168.94.12:5 ]",
    "announce ipv4 mcast-vpn source-join source 10.99.12.2 group 239.251.255.228 "
    "rd 65000:99999 source-as 65000 next-hop 192.0.2.9",
    "announce ipv6 mcast-vpn source-join source fd12::2 group ff0e::1 rd 65000:99999 "
    "source-as 65000 next-hop 192.0.2.9",
]
# MCAST-VPN types 1 to 4, bgpmesh's words (ExaBGP cannot announce them, and
# shows them as raw): the hand-written NLRI of the unit tests
MESH_ONLY = {line: nlri.upper() for line, nlri in VECTORS
             if line.split()[3] in ("intra-as-i-pmsi-ad", "inter-as-i-pmsi-ad", "s-pmsi-ad",
                                    "leaf-ad")}
COUNTS = {"ipv4 mup": 4, "ipv6 mup": 2, "ipv4 mcast-vpn": 3, "ipv6 mcast-vpn": 1}
MESH_COUNTS = {**COUNTS, "ipv4 mcast-vpn": 3 + len(MESH_ONLY)}


def withdrawals(lines) -> list[str]:
    """Each line as a withdrawal: the NLRI words, no next hop or attributes."""
    return ["withdraw" + line[len("announce"):line.index(" next-hop")] for line in lines]


_T1ST_COMMA = re.compile(r'("endpoint_ip": "[^"]*")("source_ip_len")')
# ExaBGP 5.0.15 writes an SRv6 SID Information sub-TLV's JSON with its format
# left unfilled ("sid": "%s", "endpoint_behavior": %d); the bytes are compared
# instead, from the UPDATE bodies the capture gives with "packets"
_UNFILLED = re.compile(r'"endpoint_behavior": %d')


def capture_messages(capture) -> list[dict]:
    out = []
    for line in capture.relay.lines():
        if line.startswith("{"):
            line = _UNFILLED.sub('"endpoint_behavior": null', _T1ST_COMMA.sub(r"\1, \2", line))
            out.append(json.loads(line).get("neighbor", {}).get("message", {}))
    return out


def capture_updates(capture) -> list[dict]:
    return [m["update"] for m in capture_messages(capture) if "update" in m]


def prefix_sids(capture) -> set[str]:
    """The Prefix-SID attributes (type 40) of the UPDATEs, as hex."""
    found = set()
    for message in capture_messages(capture):
        if message.get("category") != 2 or "body" not in message:
            continue  # UPDATEs only
        body = bytes.fromhex(message["body"].removeprefix("0x"))
        at = 2 + int.from_bytes(body[:2], "big")
        end = at + 2 + int.from_bytes(body[at:at + 2], "big")
        at += 2
        while at < end:
            flags, kind = body[at], body[at + 1]
            wide = flags & 0x10
            length = int.from_bytes(body[at + 2:at + 4], "big") if wide else body[at + 2]
            start = at + (4 if wide else 3)
            if kind == 40:
                found.add(body[start:start + length].hex())
            at = start + length
    return found


def with_packets(monkeypatch) -> None:
    """The capture also gives each UPDATE's bytes."""
    original = exabgp_module.render_config

    def render(*args):
        return original(*args).replace("            update;\n",
                                       "            update;\n            packets;\n")

    monkeypatch.setattr(exabgp_module, "render_config", render)


def announced(capture) -> dict[str, set[tuple]]:
    """family -> {(raw NLRI, next hop, extended communities, every attribute as
    JSON text)} the capture holds."""
    held: dict[str, dict[str, tuple]] = {}
    for update in capture_updates(capture):
        attributes = update.get("attribute", {})
        communities = tuple(c["string"] if isinstance(c, dict) else c
                            for c in attributes.get("extended-community", []))
        text = json.dumps(attributes, sort_keys=True)
        for family, by_hop in update.get("announce", {}).items():
            for hop, entries in by_hop.items():
                for entry in entries:
                    held.setdefault(family, {})[entry["raw"]] = (entry["raw"], hop, communities,
                                                                 text)
        for family, entries in update.get("withdraw", {}).items():
            for entry in entries:
                held.get(family, {}).pop(entry.get("raw"), None)
    return {family: set(routes.values()) for family, routes in held.items() if routes}


def entries(capture) -> dict[str, list[dict]]:
    seen: dict[str, list[dict]] = {}
    for update in capture_updates(capture):
        for family, by_hop in update.get("announce", {}).items():
            for items in by_hop.values():
                seen.setdefault(family, []).extend(items)
    return seen


def complete(capture, counts: dict[str, int]):
    held = announced(capture)
    return all(len(held.get(f, ())) == n for f, n in counts.items()) and held


def capture_peer(speaker_end, capture_end) -> ExabgpPeer:
    return ExabgpPeer(address=speaker_end.address, port=speaker_end.port,
                      local_address=capture_end.address, local_as=PEER_AS, peer_as=MESH_AS,
                      router_id="10.0.0.2")


def mesh_config(relay: Relay, capture_end, mesh_end, families: list[str]) -> str:
    lines = "".join(f"        {f};\n" for f in families)
    return relay.process_block() + (
        f"neighbor {capture_end.address} {{\n"
        f"    router-id {mesh_end.address};\n"
        f"    local-address {mesh_end.address};\n"
        f"    local-as {MESH_AS};\n"
        f"    peer-as {PEER_AS};\n"
        "    hold-time 9;\n"
        f"    connect {capture_end.port};\n"
        f"    family {{\n{lines}    }}\n"
        "    api {\n        processes [ script ];\n    }\n"
        "}\n")


def test_exabgp_reads_what_bgpmesh_announces_as_exabgp_would_send_it(
        tmp_path, addresses, exabgp_factory, monkeypatch):
    exabgp_families(monkeypatch, FAMILIES)
    with_packets(monkeypatch)
    mesh_end, capture1_end = addresses.pair()
    speaker_end, capture2_end = addresses.pair()
    capture1 = exabgp_factory(capture1_end, [capture_peer(mesh_end, capture1_end)], "capture1")
    capture2 = exabgp_factory(capture2_end, [capture_peer(speaker_end, capture2_end)],
                              "capture2")
    # ExaBGP 5.0.15 as the other speaker, connecting to its capture
    speaker = exabgp_factory(speaker_end, [ExabgpPeer(
        address=capture2_end.address, port=capture2_end.port, local_address=speaker_end.address,
        local_as=MESH_AS, peer_as=PEER_AS, router_id="10.0.0.1", passive=False)], "speaker")
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", mesh_config(relay, capture1_end, mesh_end, FAMILIES))
    mesh.start()
    try:
        capture1.wait_established(mesh_end.address, 30)
        capture2.wait_established(speaker_end.address, 30)
        mine = [*LINES, *MESH_ONLY]
        relay.send(*mine)
        assert relay.wait_acks(len(mine)) == ["done"] * len(mine), relay.lines()
        speaker.command(*LINES)

        ours = wait_until(lambda: complete(capture1, MESH_COUNTS), 30,
                          message=lambda: f"capture of bgpmesh: {announced(capture1)}\n"
                                          f"{mesh.log()[-2000:]}")
        theirs = wait_until(lambda: complete(capture2, COUNTS), 30,
                            message=lambda: f"capture of ExaBGP: {announced(capture2)}\n"
                                            f"{speaker.log_text()[-2000:]}")
        # types 1 to 4: the NLRI written by hand, which ExaBGP reads as raw
        only = {route for route in ours["ipv4 mcast-vpn"] if route[0] in MESH_ONLY.values()}
        assert {route[0] for route in only} == set(MESH_ONLY.values())
        assert {(e["code"], e["parsed"]) for e in entries(capture1)["ipv4 mcast-vpn"]
                if e["raw"] in MESH_ONLY.values()} == {(1, False), (2, False), (3, False),
                                                      (4, False)}
        ours["ipv4 mcast-vpn"] -= only
        # the same NLRI bytes, next hops and attributes
        assert ours == theirs
        # RFC 9252: L3 Service TLV 5, Reserved; SID Information sub-TLV 1:
        # Reserved1, SID, Flags, behavior 0x13, Reserved2; SID Structure 1
        assert prefix_sids(capture1) == prefix_sids(capture2) == {
            "05" "0022" "00" "01" "001e" "00" "20010db8000100010000000000000000" "00" "0013" "00"
            "01" "0006" "401810000000",
            # L2 Service TLV 6, no behavior given: 0xffff (opaque), no structure
            "06" "0019" "00" "01" "0015" "00" "20010db8000200020000000000000000" "00" "ffff" "00"}

        # and what ExaBGP makes of them: every MUP type, MCAST-VPN 5 to 7
        seen = entries(capture1)
        mup = {e["code"]: e for e in seen["ipv4 mup"]}
        assert (mup[1]["name"], mup[1]["prefix_ip"], mup[1]["prefix_ip_len"], mup[1]["rd"]) == \
            ("InterworkSegmentDiscoveryRoute", "10.0.1.0", 24, "100:100")
        assert (mup[2]["name"], mup[2]["ip"]) == ("DirectSegmentDiscoveryRoute", "10.0.0.1")
        assert (mup[3]["prefix_ip"], mup[3]["teid"], mup[3]["qfi"], mup[3]["endpoint_ip"],
                mup[3]["source_ip"]) == ("192.168.0.1", "12345", "9", "10.0.0.1", "10.0.0.3")
        assert (mup[4]["endpoint_len"], mup[4]["endpoint_ip"], mup[4]["teid"]) == \
            (55, "10.0.0.1", "12345")
        mup6 = {e["code"]: e for e in seen["ipv6 mup"]}
        assert (mup6[4]["endpoint_len"], mup6[4]["endpoint_ip"]) == (160, "2001:db8::1")
        assert (mup6[1]["prefix_ip"], mup6[1]["prefix_ip_len"]) == ("2001:db8::", 64)
        mvpn = {e["code"]: e for e in seen["ipv4 mcast-vpn"]}
        assert (mvpn[5]["name"], mvpn[5]["source"], mvpn[5]["group"], mvpn[5]["rd"]) == \
            ("Source Active A-D Route", "10.99.12.4", "239.251.255.228", "65000:99999")
        assert (mvpn[6]["source"], mvpn[6]["source-as"]) == ("10.99.199.1", "65000")
        assert mvpn[7]["name"] == "C-Multicast Source Tree Join route"
        ((join6,),) = [seen["ipv6 mcast-vpn"]]
        assert (join6["source"], join6["group"]) == ("fd12::2", "ff0e::1")

        # the withdrawals: every route is gone from both captures
        relay.send(*withdrawals(mine))
        assert relay.wait_acks(2 * len(mine))[len(mine):] == ["done"] * len(mine)
        # ExaBGP wants the whole line back, next hop included
        speaker.command(*("withdraw" + line[len("announce"):] for line in LINES))
        for name, capture in (("bgpmesh", capture1), ("ExaBGP", capture2)):
            wait_until(lambda c=capture: not announced(c), 30,
                       message=lambda c=capture, n=name: f"still held from {n}: {announced(c)}"
                       f"\n{[u for u in capture_updates(c) if 'withdraw' in u]}")
    finally:
        mesh.stop()


# GoBGP 3.10 takes these as its own CLI shows them; what it cannot read is left
# out: an ISD or T1ST prefix shorter than the address (it treats the UPDATE
# as withdraw, its log blaming the attribute after the NLRI: the T1ST reading
# is the whole-address layout ``codec/nlri/mup.py`` tells of) and a T2ST TEID
# of fewer than 32 bits (it shows another TEID).  ExaBGP 5.0.15 reads all of
# them as bgpmesh and ExaBGP itself send them (the test above).
GOBGP_LINES = {
    "announce ipv4 mup mup-isd 10.0.1.1/32 rd 100:100 next-hop 192.0.2.9 "
    "extended-community [ target:10:10 ]": "[type:isd][rd:100:100][prefix:10.0.1.1/32]",
    "announce ipv4 mup mup-dsd 10.0.0.1 rd 100:100 next-hop 192.0.2.9 "
    "extended-community [ target:10:10 mup:10:10 ]": "[type:dsd][rd:100:100][prefix:10.0.0.1]",
    "announce ipv4 mup mup-t1st 192.168.0.1/32 rd 100:100 teid 12345 qfi 9 "
    "endpoint 10.0.0.1 next-hop 192.0.2.9 extended-community [ target:10:10 ]":
        "[type:t1st][rd:100:100][prefix:192.168.0.1/32]",
    "announce ipv4 mup mup-t2st 10.0.0.1 rd 100:100 teid 12345/32 next-hop 192.0.2.9 "
    "extended-community [ target:10:10 mup:10:10 ]":
        "[type:t2st][rd:100:100][endpoint:10.0.0.1][teid:12345]",
}


def test_gobgp_holds_the_mup_routes_bgpmesh_announces(tmp_path, addresses, gobgp_factory):
    gobgp_end, mesh_end = addresses.pair()
    gobgp = gobgp_factory("10.0.0.2", PEER_AS, gobgp_end, [GobgpPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True,
        ipv6=False, families=["ipv4-mup"])])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", mesh_config(relay, gobgp_end, mesh_end,
                                                  ["ipv4 unicast", "ipv4 mup"]))
    mesh.start()

    def keys() -> set[str]:
        return set(gobgp.cli_json("global", "rib", "-a", "ipv4-mup") or {})

    try:
        gobgp.wait_established(mesh_end.address, 30)
        relay.send(*GOBGP_LINES)
        assert relay.wait_acks(len(GOBGP_LINES)) == ["done"] * len(GOBGP_LINES), relay.lines()
        wait_until(lambda: keys() == set(GOBGP_LINES.values()), 30,
                   message=lambda: f"GoBGP holds {keys()}")
        first, second = list(GOBGP_LINES)[:2]
        relay.send(*("withdraw" + line[len("announce"):line.index(" next-hop")]
                     for line in (first, second)))
        wait_until(lambda: keys() == set(list(GOBGP_LINES.values())[2:]), 30,
                   message=lambda: f"GoBGP holds {keys()}")
        assert gobgp.session_state(mesh_end.address) == "Established"
    finally:
        mesh.stop()


SR_POLICIES = [
    "announce ipv4 sr-policy distinguisher 1 color 100 endpoint 192.0.2.9 preference 200 "
    "binding-sid 24000 segment-list [ weight 10 label 16001 label 16002 ] next-hop 192.0.2.1 "
    "extended-community [ target:192.0.2.9:0 ]",
    "announce ipv6 sr-policy distinguisher 1 color 100 endpoint 2001:db8::9 "
    "segment-list [ sid 2001:db8::1 sid 2001:db8::2 ] next-hop 192.0.2.1 "
    "extended-community [ target:192.0.2.9:0 ]",
]


def test_gobgp_accepts_the_sr_policy_routes_bgpmesh_announces(tmp_path, addresses,
                                                              gobgp_factory):
    # GoBGP 3.10's CLI cannot show the family, but its neighbor counters say
    # what it received and accepted; a Tunnel Encapsulation attribute it could
    # not read would make it treat the UPDATE as withdraw (log) or reset
    gobgp_end, mesh_end = addresses.pair()
    gobgp = gobgp_factory("10.0.0.2", PEER_AS, gobgp_end, [GobgpPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True,
        ipv6=False, families=["ipv4-srpolicy", "ipv6-srpolicy"])])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", mesh_config(
        relay, gobgp_end, mesh_end, ["ipv4 unicast", "ipv4 sr-policy", "ipv6 sr-policy"]))
    mesh.start()

    def accepted() -> dict[int, int]:
        afi_safis = gobgp.neighbor(mesh_end.address).get("afi_safis", [])
        return {entry["state"]["family"]["afi"]: entry["state"].get("accepted", 0)
                for entry in afi_safis if entry["state"]["family"]["safi"] == 73}

    try:
        gobgp.wait_established(mesh_end.address, 30)
        relay.send(*SR_POLICIES)
        assert relay.wait_acks(len(SR_POLICIES)) == ["done"] * len(SR_POLICIES), relay.lines()
        wait_until(lambda: accepted() == {1: 1, 2: 1}, 30, message=lambda: str(accepted()))
        relay.send(*withdrawals(SR_POLICIES))
        wait_until(lambda: accepted() == {1: 0, 2: 0}, 30, message=lambda: str(accepted()))
        assert gobgp.session_state(mesh_end.address) == "Established"
        log = gobgp.output_path.read_text()
        assert "treated as withdraw" not in log, log[-2000:]
    finally:
        mesh.stop()
