"""EVPN and RTC routes: API words -> NlriRoute -> wire NLRI, and back.

Wire vectors are built by hand from RFC 7432 section 7 (types 1 to 4), RFC
9136 section 3.1 (type 5) and RFC 4684 section 4 (RTC), annotated per field.
Broken lines give a CommandError at the column of the word at fault.
"""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgpmesh import bus
from bgpmesh.api.commands import Command, parse_command
from bgpmesh.api.dispatch import describe, unsupported
from bgpmesh.api.nlri_words import nlri_text
from bgpmesh.api.routes import split_words
from bgpmesh.codec.nlri import evpn
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.codec.nlri.rtc import RouteTargetConstraint
from bgpmesh.codec.packer import NlriKey, encode_attributes, pack_announce, pack_withdraw, rib_entry
from bgpmesh.codec.session import Session
from bgpmesh.codec.update import Update
from bgpmesh.errors import CommandError
from bgpmesh.family import Family
from bgpmesh.route import Attributes, NlriRoute

EVPN = Family(25, 70)
RTC4, RTC6 = Family(1, 132), Family(2, 132)
RD1 = "0000fde800000001"  # type 0, 65000:1
ESI = "00112233445566778899"
NO_ESI = "00" * 10


def rd(text: str) -> RouteDistinguisher:
    return RouteDistinguisher.parse(text)


def wire(line: str) -> tuple[bytes, bytes]:
    """(announced NLRI, withdrawn NLRI) of an API line."""
    (route,) = parse_command(line).routes
    _, key, _, _ = rib_entry(route)
    if type(key) is NlriKey:
        return key.announce, key.withdraw
    return key, key


# (line, announced NLRI hex, withdrawn NLRI hex or None when the same)
VECTORS = [
    # type 1, Ethernet A-D: type 01, length 25, RD, ESI, Ethernet Tag 5,
    # label 100 (0x064 << 4 | Bottom of Stack); the label is not part of the route
    ("announce evpn ethernet-ad rd 65000:1 esi 00:11:22:33:44:55:66:77:88:99 etag 5 "
     "label [ 100 ] next-hop 192.0.2.1",
     "01" "19" + RD1 + ESI + "00000005" "000641",
     "01" "19" + RD1 + ESI + "00000005" "000000"),
    # type 1 per ES (RFC 7432 section 8.2.1): MAX-ET and label 0
    ("announce evpn a-d rd 65000:1 esi 00:11:22:33:44:55:66:77:88:99 etag 4294967295 "
     "next-hop self",
     "01" "19" + RD1 + ESI + "ffffffff" "000000", None),
    # type 2, MAC/IP: RD type 1 192.0.2.1:64, ESI 0, tag 0, MAC length 48,
    # MAC, IP length 32, IP, label 100; ESI and labels are not part of the route
    ("announce evpn macadv aa:bb:cc:dd:ee:04 10.64.0.1 esi 0 etag 0 label [ 100 ] "
     "rd 192.0.2.1:64 next-hop 192.0.2.1",
     "02" "25" "0001c00002010040" + NO_ESI + "00000000" "30" "aabbccddee04" "20" "0a400001"
     "000641",
     "02" "25" "0001c00002010040" + NO_ESI + "00000000" "30" "aabbccddee04" "20" "0a400001"
     "000000"),
    # type 2 without IP (IP length 0), two VXLAN VNIs (RFC 8365: the whole field)
    ("announce evpn mac-ip AA:BB:CC:DD:EE:05 rd 65000:1 esi 00:11:22:33:44:55:66:77:88:99 "
     "vni [ 10010 20020 ] next-hop 192.0.2.1",
     "02" "24" + RD1 + ESI + "00000000" "30" "aabbccddee05" "00" "00271a" "004e34",
     "02" "21" + RD1 + NO_ESI + "00000000" "30" "aabbccddee05" "00" "000000"),
    # type 3, Inclusive Multicast: RD, tag 3, IP length 128, originating IPv6 address
    ("announce evpn multicast 2001:db8::1 rd 65000:1 etag 3 next-hop 2001:db8::1",
     "03" "1d" + RD1 + "00000003" "80" "20010db8000000000000000000000001", None),
    # type 4, Ethernet Segment: RD, ESI, IP length 32, originating router's IP
    ("announce evpn ethernet-segment 00:11:22:33:44:55:66:77:88:99 192.0.2.9 rd 65000:1 "
     "next-hop 192.0.2.9",
     "04" "17" + RD1 + ESI + "20" "c0000209", None),
    # type 5, IP Prefix (IPv4, length 34): RD, ESI, tag, prefix length 16,
    # prefix padded to 4 octets, gateway, label 5; ESI, gateway and label are
    # not part of the route
    ("announce evpn prefix 10.1.0.0/16 rd 65000:1 gateway 10.0.0.9 label 5 next-hop 10.0.0.9",
     "05" "22" + RD1 + NO_ESI + "00000000" "10" "0a010000" "0a000009" "000051",
     "05" "22" + RD1 + NO_ESI + "00000000" "10" "0a010000" "00000000" "000000"),
    # type 5, IPv6 (length 58): prefix and gateway are 16 octets each
    ("announce evpn ip-prefix 2001:db8::/32 rd 65000:1 etag 7 vni 5000 next-hop 2001:db8::1",
     "05" "3a" + RD1 + NO_ESI + "00000007" "20" "20010db8" + "00" * 12 + "00" * 16 + "001388",
     "05" "3a" + RD1 + NO_ESI + "00000007" "20" "20010db8" + "00" * 12 + "00" * 16 + "000000"),
    # RTC: length 96, origin AS 65001, route target 65001:65 (type 0x00 subtype 0x02)
    ("announce rtc origin 65001 route-target 65001:65 next-hop 192.0.2.1",
     "60" "0000fde9" "0002fde900000041", None),
    ("announce rtc origin-as 4200000000 rt target:192.0.2.1:7 next-hop 192.0.2.1",
     "60" "fa56ea00" "0102c00002010007", None),
    ("announce rtc origin 65001 next-hop 192.0.2.1", "20" "0000fde9", None),  # origin only
    ("announce rtc default next-hop 192.0.2.1", "00", None),  # the default route
    ("announce ipv6 rtc next-hop 2001:db8::1", "00", None),
]


@pytest.mark.parametrize("line, announced, withdrawn", VECTORS)
def test_wire_nlri(line: str, announced: str, withdrawn: str | None) -> None:
    assert wire(line) == (bytes.fromhex(announced), bytes.fromhex(withdrawn or announced))


@pytest.mark.parametrize("line, announced, withdrawn", VECTORS)
def test_text_reads_back_as_the_same_route(line: str, announced: str, withdrawn) -> None:
    (route,) = parse_command(line).routes
    words = split_words(nlri_text(route.nlri))
    again = parse_command(f"announce {describe(route).split()[0]} {' '.join(words)} "
                          f"next-hop {route.next_hop}").routes[0]
    if route.family == RTC6:
        again = parse_command(f"announce ipv6 rtc {' '.join(words)} next-hop ::1").routes[0]
    assert again.nlri == route.nlri


def test_the_values_parsed() -> None:
    line = ("announce evpn macadv aa:bb:cc:dd:ee:04 10.64.0.1 esi 0 etag 0 label [ 100 ] "
            "rd 192.0.2.1:64 next-hop 192.0.2.1 extended-community [ target:65001:64 ] "
            "med 5 path-information 9")
    assert parse_command(line) == Command("announce-nlri", routes=(NlriRoute(
        EVPN, evpn.EvpnMacIp(rd("192.0.2.1:64"), bytes(10), 0, bytes.fromhex("aabbccddee04"),
                             "10.64.0.1", (0x641,)),
        "192.0.2.1", Attributes(med=5, extended_communities=(0x0002FDE900000040,)),
        path_id=9),))
    assert parse_command("neighbor 10.0.0.1 withdraw rtc origin 65001 route-target 65001:65 "
                         "next-hop 192.0.2.1 med 5").routes == (NlriRoute(
        RTC4, RouteTargetConstraint(96, 65001, bytes.fromhex("0002fde900000041"))),)
    # RFC 4684's word "origin" and the ORIGIN attribute live side by side
    (route,) = parse_command("announce rtc origin igp origin 65001 next-hop self").routes
    assert (route.nlri, route.attributes.origin) == (RouteTargetConstraint(32, 65001), 0)
    assert parse_command("announce l2vpn evpn multicast 10.0.0.1 rd 1:1 next-hop self") \
        .routes[0].nlri == evpn.EvpnMulticast(rd("1:1"), 0, "10.0.0.1")


def test_evpn_extended_communities_and_pmsi_by_name() -> None:
    (route,) = parse_command(
        "announce evpn macadv aa:bb:cc:dd:ee:04 rd 1:1 vni 10010 next-hop self "
        "extended-community [ target:1:1 ] encap vxlan router-mac 00:11:22:33:44:55 "
        "mac-mobility 7 esi-label 16 default-gateway pmsi ingress-replication 2001:db8::1 "
        "label 20").routes
    assert route.attributes.extended_communities == (
        0x0002000100000001,  # target:1:1 as given, then the named ones in order
        0x030C000000000008,  # encapsulation, tunnel type 8 (VXLAN)
        0x0603001122334455,  # router's MAC
        0x0600000000000007,  # MAC mobility, not sticky, sequence 7
        0x0601000000000100,  # ESI label 16 (<< 4), all-active
        0x030D000000000000,  # default gateway
    )
    # PMSI_TUNNEL, optional transitive: flags 0, ingress replication, label 20
    # with S, the IPv6 endpoint
    assert route.attributes.generic == ((22, 0xC0, bytes.fromhex(
        "00" "06" "000141" "20010db8000000000000000000000001")),)


def test_mac_mobility_reads_as_exabgp_writes_it() -> None:
    from bgpmesh.api.json import extended_community

    assert extended_community(0x0600010000000005) == "mac-mobility:5:sticky"
    assert extended_community(0x0600000000000007) == "mac-mobility:7"


def test_withdrawal_needs_only_the_route_key() -> None:
    # no label, another ESI: still the route announced above
    announced = wire("announce evpn macadv aa:bb:cc:dd:ee:04 10.64.0.1 label [ 100 ] "
                     "rd 192.0.2.1:64 next-hop 192.0.2.1")
    withdrawn = wire("withdraw evpn macadv aa:bb:cc:dd:ee:04 10.64.0.1 rd 192.0.2.1:64 "
                     "esi 01:01:01:01:01:01:01:01:01:01")
    assert withdrawn[1] == announced[1]


def test_a_new_label_replaces_the_route() -> None:
    from workers.peer import announce_route
    from workers.rib import AdjRibOut

    rib = AdjRibOut()
    for label in (100, 200):
        announce_route(rib, parse_command(
            f"announce evpn macadv aa:bb:cc:dd:ee:04 rd 1:1 label {label} next-hop self"
        ).routes[0])
    ((family, key),) = rib.routes
    assert family == EVPN and key.announce[-3:] == bytes.fromhex("000c81")  # 200 << 4 | 1


def test_update_decodes_with_attributes_and_next_hop() -> None:
    (route,) = parse_command("announce evpn prefix 10.1.0.0/16 rd 65000:1 label 5 "
                             "next-hop 192.0.2.1 extended-community [ target:65000:1 ]").routes
    family, key, next_hop, attributes = rib_entry(route)
    session = Session()
    (message,) = pack_announce(family, encode_attributes(attributes, 65001, 65002, session),
                               next_hop, [key], session)
    update = Update.decode(message[19:], session)
    ((found_family, nlri, hops),) = list(update.announced())
    assert (found_family, nlri, hops) == (EVPN, route.nlri, ("192.0.2.1",))
    (withdrawal,) = pack_withdraw(family, [key], session)
    assert list(Update.decode(withdrawal[19:], session).withdrawals()) == \
        [(EVPN, route.nlri.route_key())]


BROKEN = [
    ("announce evpn", 14, "missing EVPN route type"),
    ("announce evpn mac aa:bb:cc:dd:ee:ff", 15, "unknown EVPN route type 'mac'"),
    ("announce evpn macadv aa:bb:cc:dd:ee rd 1:1 label 1 next-hop self", 22,
     "invalid MAC address 'aa:bb:cc:dd:ee'"),
    ("announce evpn macadv aa:bb:cc:dd:ee:ff 10.0.0.300 rd 1:1 label 1 next-hop self", 40,
     "invalid IP address '10.0.0.300'"),
    ("announce evpn macadv aa:bb:cc:dd:ee:ff rd 1:1 next-hop self", 60, "has no label"),
    ("announce evpn macadv aa:bb:cc:dd:ee:ff rd 1:1 label [ 1 2 3 ] next-hop self", 55,
     "expected one or two label values, got 3"),
    ("announce evpn macadv aa:bb:cc:dd:ee:ff rd 1:1 label 1048576 next-hop self", 53,
     "label 1048576 out of range"),
    ("announce evpn macadv aa:bb:cc:dd:ee:ff rd 1:1 label 1 vni 2 next-hop self", 55,
     "vni given twice"),
    ("announce evpn macadv aa:bb:cc:dd:ee:ff label 1 next-hop self", 61, "has no rd"),
    ("announce evpn macadv aa:bb:cc:dd:ee:ff rd 1:1 label 1", 54, "has no next-hop"),
    ("announce evpn a-d rd 1:1 esi 1:2:3 next-hop self", 30, "invalid ESI '1:2:3'"),
    ("announce evpn a-d rd 1:1 label [ 1 2 ] next-hop self", 32, "takes one label"),
    ("announce evpn a-d rd x:1 next-hop self", 22, "invalid route distinguisher 'x:1'"),
    ("announce evpn a-d rd 1:1 etag 4294967296 next-hop self", 31, "etag 4294967296 out of range"),
    ("announce evpn multicast rd 1:1 next-hop self", 25, "invalid originating router's IP"),
    ("announce evpn multicast 10.0.0.1 rd 1:1 esi 0 next-hop self", 41,
     "unknown evpn multicast keyword 'esi', expected rd, etag, next-hop"),
    ("announce evpn es 0 rd 1:1 next-hop self", 20, "invalid originating router's IP"),
    ("announce evpn prefix 10.0.0.0/33 rd 1:1 next-hop self", 22, "invalid prefix length"),
    ("announce evpn prefix 10.0.0.0/8 rd 1:1 gateway 2001:db8::1 next-hop self", 48,
     "gateway 2001:db8::1 is not of the family of 10.0.0.0/8"),
    ("announce evpn prefix 10.0.0.0/8 rd 1:1 split /9 next-hop self", 40,
     "unknown evpn prefix keyword 'split'"),
    ("announce evpn multicast 10.0.0.1 rd 1:1 encapsulation foo next-hop self", 55,
     "unknown encapsulation 'foo', expected one of: l2tpv3, gre"),
    ("announce evpn multicast 10.0.0.1 rd 1:1 pmsi rsvp 10.0.0.1 next-hop self", 46,
     "unknown PMSI tunnel type 'rsvp', expected ingress-replication"),
    ("announce evpn multicast 10.0.0.1 rd 1:1 pmsi ingress-replication 10.0.0.1 label "
     "1048576 next-hop self", 81, "PMSI label 1048576 out of range"),
    ("announce evpn multicast 10.0.0.1 rd 1:1 pmsi ingress-replication next-hop self", 66,
     "invalid PMSI tunnel endpoint 'next-hop'"),
    ("announce evpn multicast 10.0.0.1 rd 1:1 pmsi ingress-replication 10.0.0.1 "
     "pmsi ingress-replication 10.0.0.2 next-hop self", 75, "pmsi given twice"),
    ("announce evpn macadv aa:bb:cc:dd:ee:ff rd 1:1 label 1 router-mac 1:2 next-hop self",
     66, "invalid MAC address '1:2'"),
    ("announce evpn macadv aa:bb:cc:dd:ee:ff rd 1:1 label 1 mac-mobility x next-hop self",
     68, "invalid mac-mobility sequence number 'x'"),
    ("announce rtc route-target 1:1 next-hop self", 27, "route-target without origin"),
    ("announce rtc origin 1 origin-as 2 next-hop self", 23, "origin AS given twice"),
    ("announce rtc default origin 1 next-hop self", 14, "default is the zero-length RTC route"),
    ("announce rtc origin 1 route-target 1.2.3:4 next-hop self", 36,
     "invalid route target '1.2.3:4'"),
    ("announce rtc origin 1 label 5 next-hop self", 23, "unknown rtc keyword 'label'"),
    ("announce rtc origin 1", 22, "rtc has no next-hop"),
    ("announce l2vpn bogus 1", 10, "unknown address family 'l2vpn bogus'"),
]


@pytest.mark.parametrize("line, column, message", BROKEN)
def test_broken_lines(line: str, column: int, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(line)
    assert message in str(caught.value), caught.value
    assert caught.value.column == column, (caught.value.column, caught.value)


def test_dispatch_accepts_and_names_them() -> None:
    (route,) = parse_command("announce evpn multicast 10.0.0.1 rd 1:1 next-hop self").routes
    assert unsupported(route) == ""
    assert describe(route) == "evpn multicast 10.0.0.1 rd 1:1 etag 0"
    foreign = NlriRoute(EVPN, RouteTargetConstraint(0), "self")  # an RTC NLRI as EVPN
    assert "not a l2vpn evpn NLRI" in unsupported(foreign)


# ---- hypothesis: words and the bus give back the value ---------------------

rd_texts = st.one_of(
    st.tuples(st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1)).map(lambda p: f"{p[0]}:{p[1]}"),
    st.tuples(st.ip_addresses(v=4), st.integers(0, 0xFFFF)).map(lambda p: f"{p[0]}:{p[1]}"),
    st.tuples(st.integers(0x10000, 2**32 - 1), st.integers(0, 0xFFFF)).map(
        lambda p: f"{p[0]}:{p[1]}"),
)
rds = rd_texts.map(RouteDistinguisher.parse)
esis = st.binary(min_size=10, max_size=10)
tags = st.integers(0, 2**32 - 1)
raw_labels = st.integers(0, 2**24 - 1)


def _address(version: int) -> st.SearchStrategy[str]:
    from bgpmesh.codec.nlri.base import address_octets, address_text

    return st.ip_addresses(v=version).map(lambda a: address_text(address_octets(str(a))))


def _prefix_route(version: int) -> st.SearchStrategy:
    from bgpmesh.api.routes import parse_prefix

    width = 32 if version == 4 else 128
    prefixes = st.tuples(st.ip_addresses(v=version), st.integers(0, width)).map(
        lambda p: parse_prefix(f"{p[0]}/{p[1]}", 0)[1])
    return st.builds(evpn.EvpnPrefix, rds, esis, tags, prefixes, _address(version), raw_labels)


EVPN_VALUES = st.one_of(
    st.builds(evpn.EvpnEthernetAd, rds, esis, tags, raw_labels),
    st.builds(evpn.EvpnMacIp, rds, esis, tags, st.binary(min_size=6, max_size=6),
              st.none() | _address(4) | _address(6),
              st.lists(raw_labels, min_size=1, max_size=2).map(tuple)),
    st.builds(evpn.EvpnMulticast, rds, tags, _address(4) | _address(6)),
    st.builds(evpn.EvpnSegment, rds, esis, _address(4) | _address(6)),
    _prefix_route(4), _prefix_route(6),
)
RTC_VALUES = st.one_of(
    st.just(RouteTargetConstraint(0)),
    st.integers(0, 2**32 - 1).map(lambda asn: RouteTargetConstraint(32, asn)),
    st.tuples(st.integers(0, 2**32 - 1), st.sampled_from([0x0002, 0x0102, 0x0202]),
              st.integers(0, 2**48 - 1)).map(lambda p: RouteTargetConstraint(
                  96, p[0], ((p[1] << 48) | p[2]).to_bytes(8, "big"))),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(EVPN_VALUES.map(lambda v: ("evpn", v)), RTC_VALUES.map(lambda v: ("rtc", v))),
       st.none() | st.integers(0, 2**32 - 1))
def test_words_and_bus_round_trip(pair, path_id) -> None:
    word, value = pair
    line = f"announce {word} {nlri_text(value)} next-hop self"
    if path_id is not None:
        line += f" path-information {path_id}"
    (route,) = parse_command(line).routes
    assert route.nlri == value
    assert route.path_id == path_id
    item = bus.route_to_wire(route)
    again = bus.route_from_wire(msgpack.unpackb(msgpack.packb(item, use_bin_type=True),
                                                raw=False))
    assert again == route
    # the shadow's withdrawal names the same Adj-RIB-Out entry
    withdrawal = bus.route_from_wire(bus.withdrawal_from_identity(bus.route_identity(item)))
    assert rib_entry(withdrawal)[1] == rib_entry(route)[1]


NEAR_MISS = st.sampled_from([
    "announce", "withdraw", "evpn", "rtc", "l2vpn", "ipv4", "ipv6", "ethernet-ad", "a-d",
    "macadv", "multicast", "es", "ethernet-segment", "prefix", "rd", "esi", "etag", "label",
    "vni", "gateway", "gw", "origin", "origin-as", "route-target", "rt", "default", "igp",
    "next-hop", "self", "path-information", "name", "withdraw", "extended-community",
    "encapsulation", "vxlan", "router-mac", "mac-mobility", "sticky", "esi-label",
    "single-active", "default-gateway", "pmsi", "ingress-replication",
    "target:1:1", "[", "]", "0", "1", "4294967296", "16777216", "1:1", "192.0.2.1:7",
    "aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee", "0:1:2:3:4:5:6:7:8:9", "10.0.0.1", "10.0.0.0/8",
    "2001:db8::1", "2001:db8::/129", "::", "x", "",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(NEAR_MISS, max_size=14))
def test_near_miss_lines_give_a_route_or_a_command_error(words: list[str]) -> None:
    line = " ".join(words)
    try:
        command = parse_command(line)
    except CommandError as error:
        assert 1 <= error.column <= len(line) + 1
        return
    for route in command.routes:
        if type(route) is NlriRoute:
            # what parses, encodes and reads back as itself
            assert unsupported(route) == ""
