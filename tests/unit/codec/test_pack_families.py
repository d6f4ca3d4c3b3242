"""Announcing every family the codec decodes: a producer's route (as the API
parses it) -> Adj-RIB-Out key -> UPDATE, then decoded back by our decoder.

The hex cases were cross-checked with ExaBGP 5.0.15: ``exabgp decode HEX``
prints the route the API line asked for (families, labels, RD, FlowSpec
components and actions, VPLS fields).
"""

from __future__ import annotations

import pytest

from bgpmesh import bus
from bgpmesh.api.commands import parse_command
from bgpmesh.codec.attributes.extended_communities import describe
from bgpmesh.codec.header import MessageReader
from bgpmesh.codec.packer import (
    NlriKey,
    encode_attributes,
    pack_announce,
    pack_withdraw,
    rib_entry,
)
from bgpmesh.codec.session import Session
from bgpmesh.codec.update import Update
from bgpmesh.family import Family
from workers.peer import announce_route, route_key, withdraw_route
from workers.rib import AdjRibOut

SESSION = Session()
LOCAL_AS, PEER_AS = 65000, 65001


def _announce(line: str, session: Session = SESSION, self_ip: str = "192.0.2.9") -> bytes:
    route = parse_command(line).routes[0]
    family, key, next_hop, attributes = rib_entry(route)
    raw = encode_attributes(attributes, LOCAL_AS, PEER_AS, session)
    messages = pack_announce(family, raw, self_ip if next_hop == "self" else next_hop, [key],
                             session)
    assert len(messages) == 1
    return messages[0]


def _decode(message: bytes, session: Session = SESSION) -> Update:
    (update,) = MessageReader().feed(message, session)
    assert isinstance(update, Update)
    return update


def _mp(update: Update):
    (mp,) = [a for a in update.attributes if type(a).__name__ in ("MpReachNlri", "MpUnreachNlri")]
    return mp


# ORIGIN IGP (40 01 01 00), AS_PATH [65000] (40 02 06 02 01 0000fde8) in
# every case; then the MP_REACH_NLRI (80 0e) and any EXTENDED_COMMUNITIES (c0 10)
HEAD = "4001010040020602010000fde8"

EXABGP_CHECKED = [
    (
        "announce route 10.0.0.0/24 next-hop 1.2.3.4 label [100] rd 65000:1",
        # AFI 1 SAFI 128, next hop 12: RD 0 + 1.2.3.4; NLRI length 0x70 = 112
        # bits: label 100 (0x000641, S set), RD 0:65000:1, 10.0.0/24
        HEAD + "800e200001800c00000000000000000102030400"
        "70000641" "0000fde800000001" "0a0000",
    ),
    (
        "announce route 10.0.1.0/24 next-hop 1.2.3.4 label [100 200]",
        # AFI 1 SAFI 4 (nlri-mpls), length 72 bits: labels 100, 200 (S on the last)
        HEAD + "800e1300010404010203040048000640000c810a0001",
    ),
    (
        "announce ipv4 multicast 10.0.2.0/24 next-hop 1.2.3.4",
        # IPv4 multicast rides MP_REACH_NLRI, SAFI 2
        HEAD + "800e0d000102040102030400180a0002",
    ),
    (
        "announce flow route { match { source 10.0.0.1/32; destination-port =80 >1024&<2000; "
        "protocol tcp; tcp-flags [ syn ack ]; fragment is-fragment; } then { discard; } }",
        # AFI 1 SAFI 133, next hop length 0; NLRI 0x1a octets: source (2) /32,
        # protocol (3) =6, destination-port (5) =80 | >1024 & <2000,
        # tcp-flags (9) syn | ack, fragment (12) is-fragment; discard is
        # traffic-rate 0 (80 06 0000 00000000)
        HEAD + "800e2000018500001a02200a000001038106050150120400d407d009000280100c8002"
        "c010088006000000000000",
    ),
    (
        "announce flow route { match { destination 2001:db8::/32; next-header udp; } then "
        "{ rate-limit 9600; redirect 65000:12; mark 10; action sample-terminal; } }",
        # RFC 8956 destination: length 32, offset 0, pattern 2001:0db8; then
        # traffic-rate 9600.0, redirect 65000:12, mark DSCP 10, action S+T
        HEAD + "800e1000028500000a01200020010db8038111c01020"
        "8006000046160000" "8008fde80000000c" "800900000000000a" "8007000000000003",
    ),
    (
        "announce flow route destination 10.0.0.0/8 redirect 192.0.2.1",
        # redirect to an address: it is the next hop, with 08 00 (redirect to next hop)
        HEAD + "800e0d00018504c0000201000301080ac010080800000000000000",
    ),
    (
        "announce vpls endpoint 5 base 10702 offset 1 size 8 rd 192.0.2.1:123 "
        "next-hop 192.0.2.1",
        # AFI 25 SAFI 65, length 17, RD 192.0.2.1:123, VE 5, offset 1, size 8,
        # label base 10702 (0x029ce1 with S)
        HEAD + "800e1c00194104c00002010000110001c0000201007b000500010008029ce1",
    ),
    # EVPN (AFI 25 SAFI 70, next hop 4 octets), RFC 7432 section 7 and RFC 9136
    # section 3.1: route type, length, then the type's fields (bgpmesh grammar)
    (
        "announce evpn ethernet-ad rd 65000:1 esi 00:11:22:33:44:55:66:77:88:99 etag 5 "
        "label [ 100 ] next-hop 192.0.2.1 extended-community [ target:65000:1 ]",
        # type 1, length 25: RD 65000:1, ESI, tag 5, label 100 (S set); RT 65000:1
        HEAD + "800e2400194604c000020100" "0119" "0000fde800000001" "00112233445566778899"
        "00000005" "000641" "c010080002fde800000001",
    ),
    (
        "announce evpn macadv aa:bb:cc:dd:ee:04 10.64.0.1 rd 192.0.2.1:64 label [ 100 200 ] "
        "next-hop 192.0.2.1",
        # type 2, length 40: RD 192.0.2.1:64, ESI 0, tag 0, MAC length 48, MAC,
        # IP length 32, IP, label1 100, label2 200 (S on the last, as ExaBGP)
        HEAD + "800e3300194604c000020100" "0228" "0001c00002010040" "00000000000000000000"
        "00000000" "30" "aabbccddee04" "20" "0a400001" "000640" "000c81",
    ),
    (
        "announce evpn multicast 192.0.2.1 rd 65000:1 etag 3 next-hop 192.0.2.1",
        # type 3, length 17: RD, tag 3, IP length 32, originating router 192.0.2.1
        HEAD + "800e1c00194604c000020100" "0311" "0000fde800000001" "00000003" "20" "c0000201",
    ),
    (
        "announce evpn ethernet-segment 00:11:22:33:44:55:66:77:88:99 192.0.2.1 rd 65000:1 "
        "next-hop 192.0.2.1",
        # type 4, length 23: RD, ESI, IP length 32, originating router
        HEAD + "800e2200194604c000020100" "0417" "0000fde800000001" "00112233445566778899"
        "20" "c0000201",
    ),
    (
        "announce evpn prefix 10.1.0.0/16 rd 65000:1 gateway 10.0.0.9 label 5 "
        "next-hop 192.0.2.1",
        # type 5, length 34 (IPv4): RD, ESI 0, tag 0, prefix length 16, prefix
        # in 4 octets, gateway 10.0.0.9, label 5
        HEAD + "800e2d00194604c000020100" "0522" "0000fde800000001" "00000000000000000000"
        "00000000" "10" "0a010000" "0a000009" "000051",
    ),
    (
        "announce evpn prefix 2001:db8::/32 rd 65000:1 etag 7 label 6 next-hop 192.0.2.1",
        # type 5, length 58 (IPv6): prefix and gateway in 16 octets each.  An
        # IPv4 next hop: ExaBGP 5.0.15 refuses a 16-octet one in l2vpn evpn
        # ("expected 4"), which RFC 7432 section 7 allows
        HEAD + "800e4500194604c000020100" "053a" "0000fde800000001"
        "00000000000000000000" "00000007" "20" "20010db8000000000000000000000000"
        "00000000000000000000000000000000" "000061",
    ),
    (
        "announce evpn multicast 192.0.2.1 rd 65000:1 etag 3 next-hop 192.0.2.1 "
        "pmsi ingress-replication 192.0.2.1 vni 10010 encapsulation vxlan",
        # type 3 as above; encapsulation VXLAN (03 0c, tunnel type 8, RFC 9012
        # 4.1); PMSI_TUNNEL (c0 16, RFC 6514 5): flags 0, ingress replication
        # (6), VNI 10010 in the label field (RFC 8365 5.1.3), endpoint 192.0.2.1
        HEAD + "800e1c00194604c000020100" "0311" "0000fde800000001" "00000003" "20" "c0000201"
        "c01008" "030c000000000008" "c01609" "00" "06" "00271a" "c0000201",
    ),
    (
        "announce evpn macadv aa:bb:cc:dd:ee:05 10.64.0.2 rd 65000:1 vni 10010 "
        "next-hop 192.0.2.1 router-mac 00:11:22:33:44:55 mac-mobility 5 sticky esi-label 100 "
        "single-active default-gateway",
        # type 2 with VNI 10010 as the whole label field; extended communities
        # router's MAC (06 03, RFC 9135 8.1), MAC mobility sticky sequence 5
        # (06 00, RFC 7432 7.7), ESI label 100 single-active (06 01, 7.5),
        # default gateway (03 0d, 7.8)
        HEAD + "800e3000194604c000020100" "0225" "0000fde800000001" "00000000000000000000"
        "00000000" "30" "aabbccddee05" "20" "0a400002" "00271a"
        "c01020" "0603001122334455" "0600010000000005" "0601010000000640" "030d000000000000",
    ),
    (
        "announce rtc origin 65001 route-target 65001:65 next-hop 192.0.2.1",
        # AFI 1 SAFI 132 (RFC 4684 section 4): length 96, origin AS 65001,
        # route target 65001:65 (type 0x00 sub-type 0x02)
        HEAD + "800e1600018404c000020100" "60" "0000fde9" "0002fde900000041",
    ),
    (
        "announce rtc default next-hop 192.0.2.1",
        # the default RTC route: length 0
        HEAD + "800e0a00018404c000020100" "00",
    ),
]


@pytest.mark.parametrize("line, attributes", EXABGP_CHECKED)
def test_announce_matches_the_hex_exabgp_decodes(line, attributes):
    message = _announce(line)
    assert message[23:].hex() == attributes


@pytest.mark.parametrize("line", [case[0] for case in EXABGP_CHECKED])
def test_announce_then_withdraw_decode_with_our_decoder(line):
    route = parse_command(line).routes[0]
    family, key, _, _ = rib_entry(route)
    update = _decode(_announce(line))
    mp = _mp(update)
    assert mp.family == family and len(mp.nlri) == 1
    (withdrawal,) = pack_withdraw(family, [key], SESSION)
    mp = _mp(_decode(withdrawal))
    assert type(mp).__name__ == "MpUnreachNlri" and mp.family == family


def test_vpn_route_decodes_to_what_was_asked():
    mp = _mp(_decode(_announce(EXABGP_CHECKED[0][0])))
    (nlri,) = mp.nlri
    assert mp.next_hop == ("1.2.3.4",)
    assert (str(nlri.rd), nlri.prefix, nlri.labels) == ("65000:1", "10.0.0.0/24", (100 << 4 | 1,))


def test_withdrawal_of_a_labelled_route_carries_the_withdrawn_label():
    # RFC 8277 section 2.4: 0x800000 in place of the label stack
    key = route_key(parse_command(
        "withdraw route 10.0.0.0/24 rd 65000:1").routes[0])
    (message,) = pack_withdraw(Family(1, 128), [key], SESSION)
    assert message.hex().endswith("70800000" "0000fde800000001" "0a0000")


def test_labels_do_not_name_a_route():
    announced = route_key(parse_command(
        "announce route 10.0.0.0/24 next-hop 1.2.3.4 label [100] rd 65000:1").routes[0])
    withdrawn = route_key(parse_command("withdraw route 10.0.0.0/24 rd 65000:1").routes[0])
    other_rd = route_key(parse_command("withdraw route 10.0.0.0/24 rd 65000:2").routes[0])
    assert announced == withdrawn and announced != other_rd


def test_relabelling_replaces_the_route():
    rib = AdjRibOut()
    first = parse_command("announce route 10.0.0.0/24 next-hop 1.2.3.4 label [100] rd 65000:1")
    second = parse_command("announce route 10.0.0.0/24 next-hop 1.2.3.4 label [200] rd 65000:1")
    announce_route(rib, first.routes[0])
    rib.take_pending()
    announce_route(rib, second.routes[0])
    announce, withdraw = rib.take_pending()
    ((_, keys),) = announce.items()
    assert not withdraw and keys[0].announce[1:4] == (200 << 4 | 1).to_bytes(3, "big")
    withdraw_route(rib, parse_command("withdraw route 10.0.0.0/24 rd 65000:1").routes[0])
    assert len(rib) == 0


def test_flow_withdrawal_needs_only_the_match():
    rib = AdjRibOut()
    announce_route(rib, parse_command(
        "announce flow route { match { destination 10.0.0.0/8; } then { discard; } }").routes[0])
    withdraw_route(rib, parse_command(
        "withdraw flow route { match { destination 10.0.0.0/8; } }").routes[0])
    assert len(rib) == 0


def test_flow_actions_are_extended_communities():
    route = parse_command("announce flow route destination 10.0.0.0/8 rate-limit 1000 "
                          "redirect 4200000000:7").routes[0]
    _, _, next_hop, attributes = rib_entry(route)
    assert next_hop == ""  # RFC 8955: no next hop
    kinds = [describe(value) for value in attributes.extended_communities]
    assert kinds == [("rate-limit", (0, 1000.0)), ("redirect", (4200000000, 7))]


@pytest.mark.parametrize("line", [
    "announce route 10.0.3.0/24 next-hop 1.2.3.4 path-information 7",
    "announce route 2001:db8::/32 next-hop 2001:db8::1 path-information 7",
    "announce route 10.0.0.0/24 next-hop 1.2.3.4 label [100] rd 65000:1 path-information 7",
])
def test_path_id_is_sent_only_when_add_path_send_was_negotiated(line):
    route = parse_command(line).routes[0]
    family = route.family
    key = route_key(route)
    assert isinstance(key, NlriKey) and key.path_id == 7
    with_path = Session(add_path_send=frozenset((family,)), add_path_receive=frozenset((family,)))
    for session, expected in ((SESSION, None), (with_path, 7)):
        update = _decode(_announce(line, session), session)
        nlri = update.nlri if family == Family(1, 1) else _mp(update).nlri
        (value,) = nlri
        if expected is not None and not isinstance(value, str):
            assert value.path_id == expected
        (withdrawal,) = pack_withdraw(family, [key], session)
        _decode(withdrawal, session)


def test_plain_routes_get_path_zero_on_an_add_path_session():
    session = Session(add_path_send=frozenset((Family(1, 1),)),
                      add_path_receive=frozenset((Family(1, 1),)))
    route = parse_command("announce route 10.0.0.0/24 next-hop 1.2.3.4").routes[0]
    family, key, _, attributes = rib_entry(route)
    assert type(key) is bytes
    raw = encode_attributes(attributes, LOCAL_AS, PEER_AS, session)
    (message,) = pack_announce(family, raw, "1.2.3.4", [key], session)
    assert message.endswith(bytes(4) + b"\x18\x0a\x00\x00")


@pytest.mark.parametrize("line", [case[0] for case in EXABGP_CHECKED] + [
    "announce route 10.0.0.0/24 next-hop 1.2.3.4 path-information 3 name x",
    "announce flow route { rd 65000:1; match { destination 10.0.0.0/8; } then { discard; } }",
])
def test_every_route_crosses_the_bus_whole(line):
    import msgpack

    route = parse_command(line).routes[0]
    item = msgpack.unpackb(msgpack.packb(bus.route_to_wire(route)))
    assert bus.route_from_wire(item) == route
    identity = bus.route_identity(item)
    withdrawal = bus.route_from_wire(bus.withdrawal_from_identity(identity))
    assert route_key(withdrawal) == route_key(route)


def test_identity_tells_rd_and_path_apart_but_not_labels():
    def identity(line):
        return bus.route_identity(bus.route_to_wire(parse_command(line).routes[0]))

    base = "announce route 10.0.0.0/24 next-hop 1.2.3.4"
    assert identity(base) == identity(base + " name n")
    assert identity(base + " label [5]") == identity(base + " label [6]")
    assert identity(base + " rd 1:1 label [5]") != identity(base + " rd 1:2 label [5]")
    assert identity(base + " path-information 1") != identity(base + " path-information 2")
