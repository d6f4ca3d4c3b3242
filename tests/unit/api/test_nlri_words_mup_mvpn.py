"""MUP and MCAST-VPN routes in ExaBGP 5.0's words: API line -> NlriRoute -> wire NLRI.

The lines are those ExaBGP 5.0.15's examples use (``conf-srv6-mup.conf``,
``conf-mvpn.conf``); the wire vectors are written by hand from
draft-mpmz-bess-mup-safi section 3 and RFC 6514 section 4, annotated per
field (``tests/interop/test_exabgp_differential.py`` checks the same lines
against ExaBGP's own encoder).  Broken lines give a CommandError at the
column of the word at fault.
"""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgpmesh import bus
from bgpmesh.api.commands import parse_command
from bgpmesh.api.dispatch import describe, unsupported
from bgpmesh.api.nlri_words import nlri_text
from bgpmesh.codec.nlri import mup, mvpn
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.codec.packer import encode_attributes, pack_announce, pack_withdraw, rib_entry
from bgpmesh.codec.session import Session
from bgpmesh.codec.update import Update
from bgpmesh.config.parser import parse_config
from bgpmesh.errors import CommandError, ConfigError
from bgpmesh.family import Family
from bgpmesh.route import NlriRoute

MUP4, MUP6 = Family(1, 85), Family(2, 85)
MVPN4, MVPN6 = Family(1, 5), Family(2, 5)
RD100 = "0000006400000064"  # type 0, 100:100
RD99999 = "0000fde80001869f"  # type 0, 65000:99999


def nlri_hex(line: str) -> str:
    (route,) = parse_command(line).routes
    return rib_entry(route)[1].hex()


VECTORS = [
    # MUP header: architecture 1 (3gpp-5g), route type (2 octets), length
    # ISD: RD, prefix length 24, three octets of prefix
    ("announce ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 next-hop 2001::1",
     "01" "0001" "0c" + RD100 + "18" "0a0001"),
    # DSD: RD, the 4-octet address (no length octet: the body length says)
    ("announce ipv4 mup mup-dsd 10.0.0.1 rd 100:100 next-hop 2001::2",
     "01" "0002" "0c" + RD100 + "0a000001"),
    # T1ST: RD, prefix 32 192.168.0.1, TEID 12345, QFI 9, endpoint length 32
    # and address, then the optional source length and address
    ("announce ipv4 mup mup-t1st 192.168.0.1/32 rd 100:100 teid 12345 qfi 9 "
     "endpoint 10.0.0.1 next-hop 10.0.0.2",
     "01" "0003" "17" + RD100 + "20" "c0a80001" "00003039" "09" "20" "0a000001"),
    ("announce ipv4 mup mup-t1st 192.168.0.1/32 rd 100:100 teid 12345 qfi 9 "
     "endpoint 10.0.0.1 source 10.0.0.3 next-hop 10.0.0.2",
     "01" "0003" "1c" + RD100 + "20" "c0a80001" "00003039" "09" "20" "0a000001" "20" "0a000003"),
    # T2ST: RD, endpoint length 32 + 23 TEID bits = 55, the address, then
    # the TEID in (23 + 7) // 8 = 3 octets
    ("announce ipv4 mup mup-t2st 10.0.0.1 rd 100:100 teid 12345/23 next-hop 10.0.0.2",
     "01" "0004" "10" + RD100 + "37" "0a000001" "003039"),
    # a 0-bit TEID: endpoint length 32, no TEID octet
    ("announce ipv4 mup mup-t2st 10.0.0.1 rd 100:100 teid 0/0 next-hop 10.0.0.2",
     "01" "0004" "0d" + RD100 + "20" "0a000001"),
    ("announce ipv6 mup mup-t2st 2001::1 rd 100:100 teid 12345/32 next-hop 10.0.0.2",
     "01" "0004" "1d" + RD100 + "a0" "20010000000000000000000000000001" "00003039"),
    ("announce ipv6 mup mup-isd 2001::/64 rd 100:100 next-hop 2001::2",
     "01" "0001" "11" + RD100 + "40" "2001000000000000"),
    # MCAST-VPN: route type, length; type 5 RD, source length and address,
    # group length and address
    ("announce ipv4 mcast-vpn source-ad source 10.99.12.4 group 239.251.255.228 "
     "rd 65000:99999 next-hop 10.10.6.4 extended-community [ target:65000:99999 ]",
     "05" "12" + RD99999 + "20" "0a630c04" "20" "effbffe4"),
    # type 6, (C-*, C-G): RD, source AS, the RP as the source, the group
    ("announce ipv4 mcast-vpn shared-join rp 10.99.199.1 group 239.251.255.228 "
     "rd 65000:99999 source-as 65000 next-hop 10.10.6.3",
     "06" "16" + RD99999 + "0000fde8" "20" "0a63c701" "20" "effbffe4"),
    # type 7, (C-S, C-G)
    ("announce ipv4 mcast-vpn source-join source 10.99.12.2 group 239.251.255.228 "
     "rd 65000:99999 source-as 65000 next-hop 10.10.6.3",
     "07" "16" + RD99999 + "0000fde8" "20" "0a630c02" "20" "effbffe4"),
    ("announce ipv6 mcast-vpn source-ad source fd12::4 group ff0e::1 rd 65000:99999 "
     "next-hop 10.10.6.4",
     "05" "2a" + RD99999 + "80" "fd120000000000000000000000000004"
     "80" "ff0e0000000000000000000000000001"),
    # bgpmesh's words for types 1 to 4.  Type 1: RD, the originating router's
    # address with no length octet (RFC 6515 section 2: 4 or 16 by the length)
    ("announce ipv4 mcast-vpn intra-as-i-pmsi-ad rd 65000:99999 "
     "originating-router 192.0.2.1 next-hop 192.0.2.1",
     "01" "0c" + RD99999 + "c0000201"),
    ("announce ipv4 mcast-vpn intra-as-i-pmsi-ad rd 65000:99999 "
     "originating-router 2001:db8::1 next-hop 192.0.2.1",
     "01" "18" + RD99999 + "20010db8000000000000000000000001"),
    # type 2: RD, source AS (4 octets)
    ("announce ipv4 mcast-vpn inter-as-i-pmsi-ad rd 65000:99999 source-as 65001 "
     "next-hop 192.0.2.1",
     "02" "0c" + RD99999 + "0000fde9"),
    # type 3: RD, the RFC 6625 wildcard source (length 0), the group, the originator
    ("announce ipv4 mcast-vpn s-pmsi-ad source * group 239.1.1.1 rd 65000:99999 "
     "originating-router 192.0.2.2 next-hop 192.0.2.1",
     "03" "12" + RD99999 + "00" "20" "ef010101" "c0000202"),
    # type 4: the whole S-PMSI A-D route it answers (type, length, body), then
    # the originator
    ("announce ipv4 mcast-vpn leaf-ad route-key [ s-pmsi-ad source 192.0.2.1 group 239.1.1.1 "
     "rd 65000:99999 originating-router 192.0.2.2 ] originating-router 192.0.2.3 "
     "next-hop 192.0.2.1",
     "04" "1c" "03" "16" + RD99999 + "20" "c0000201" "20" "ef010101" "c0000202" "c0000203"),
]


@pytest.mark.parametrize("line, expected", VECTORS)
def test_lines_give_the_nlri(line: str, expected: str) -> None:
    assert nlri_hex(line) == expected
    # and the withdrawal names the same route
    withdraw = "withdraw" + line[len("announce"):line.index(" next-hop")]
    assert nlri_hex(withdraw) == expected


@pytest.mark.parametrize("line, expected", VECTORS)
def test_words_are_written_back(line: str, expected: str) -> None:
    (route,) = parse_command(line).routes
    afi, safi = line.split()[1:3]
    again = parse_command(f"announce {afi} {safi} {nlri_text(route.nlri)} next-hop self")
    assert again.routes[0].nlri == route.nlri
    assert describe(route) == f"{afi} {safi} {nlri_text(route.nlri)}"
    assert unsupported(route) == ""


def test_values_are_the_codec_classes() -> None:
    (route,) = parse_command("announce ipv4 mup mup-t1st 10.1.0.0/16 rd 1.2.3.4:5 teid 7 qfi 1 "
                             "endpoint 2001:db8::1 next-hop self").routes
    assert route.family == MUP4
    # the endpoint may be of the other family (the draft gives it a length octet)
    assert route.nlri == mup.MupType1Session(RouteDistinguisher.parse("1.2.3.4:5"), "10.1.0.0/16",
                                             7, 1, "2001:db8::1")
    (route,) = parse_command("withdraw ipv6 mcast-vpn shared-join rp fd00::1 group ff0e::1 "
                             "rd 65000:1 source-as 4200000000").routes
    assert route.family == MVPN6 and route.next_hop is None
    assert route.nlri == mvpn.MvpnSharedTreeJoin(RouteDistinguisher.parse("65000:1"),
                                                 4200000000, "fd00::1", "ff0e::1")


def test_mup_extended_community() -> None:
    (route,) = parse_command("announce ipv4 mup mup-dsd 10.0.0.1 rd 100:100 next-hop 2001::2 "
                             "extended-community [ target:10:10 mup:10:10 mup:1:10.0.0.1 ]"
                             ).routes
    # type 0x0c subtype 0x00, 2 then 4 octets (draft-mpmz-bess-mup-safi 3.3.1)
    assert route.attributes.extended_communities == (
        0x0002000A0000000A, 0x0C00000A0000000A, 0x0C0000010A000001)
    from bgpmesh.api.json import extended_community

    assert extended_community(0x0C00000A0000000A) == "mup:10:10"


def test_srv6_prefix_sid() -> None:
    # RFC 9252 in a Prefix-SID attribute (40, optional transitive), as ExaBGP's
    # conf-srv6-mup.conf writes it: L3 Service TLV 5 (length 34, Reserved), SID
    # Information sub-TLV 1 (length 30: Reserved1, SID, Flags 0, behavior 0x48,
    # Reserved2), SID Structure sub-sub-TLV 1 (length 6: 64, 24, 16, 0, 0, 0)
    (route,) = parse_command(
        "announce ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 next-hop 2001::1 "
        "bgp-prefix-sid-srv6 ( l3-service 2001:db8:1:1:: 0x48 [64,24,16,0,0,0] )").routes
    assert route.attributes.generic == ((40, 0xC0, bytes.fromhex(
        "05" "0022" "00" "01" "001e" "00" "20010db8000100010000000000000000" "00" "0048" "00"
        "01" "0006" "401810000000")),)
    # L2 Service TLV 6, behavior in decimal, no structure
    (route,) = parse_command("announce ipv6 mup mup-dsd 2001::1 rd 100:100 next-hop 2001::2 "
                             "bgp-prefix-sid-srv6 ( l2-service 2001:db8:2:2:: 24 )").routes
    assert route.attributes.generic[0][2].hex() == (
        "06" "0019" "00" "01" "0015" "00" "20010db8000200020000000000000000" "00" "0018" "00")


def test_exabgp_example_configurations_load_unchanged() -> None:
    from pathlib import Path

    import exabgp

    from bgpmesh.config.parser import load_config

    examples = Path(exabgp.__file__).parents[4] / "etc" / "exabgp" / "examples"
    if not examples.is_dir():
        # pip puts them under the environment's prefix; CI installs exabgp 5.0.15
        from tests.conftest import in_ci

        if in_ci():
            pytest.fail(f"no ExaBGP examples in {examples}; CI is set", pytrace=False)
        pytest.skip(f"no ExaBGP examples in {examples}")
    mup_config = load_config(examples / "conf-srv6-mup.conf")
    mvpn_config = load_config(examples / "conf-mvpn.conf")
    assert len(mup_config.neighbors[0].nlri_routes) == 10
    assert len(mvpn_config.neighbors[0].nlri_routes) == 6


def test_update_decodes_with_next_hop_and_attributes() -> None:
    (route,) = parse_command("announce ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 "
                             "next-hop 2001::1 extended-community [ mup:10:10 ]").routes
    family, key, next_hop, attributes = rib_entry(route)
    session = Session()
    (message,) = pack_announce(family, encode_attributes(attributes, 65001, 65002, session),
                               next_hop, [key], session)
    update = Update.decode(message[19:], session)
    ((found_family, nlri, hops),) = list(update.announced())
    assert (found_family, nlri, hops) == (MUP4, route.nlri, ("2001::1",))
    (withdrawal,) = pack_withdraw(family, [key], session)
    assert list(Update.decode(withdrawal[19:], session).withdrawals()) == [(MUP4, route.nlri)]


def test_configuration_takes_exabgp_blocks() -> None:
    config = parse_config(
        "neighbor 192.0.2.2 {\n local-as 65001; peer-as 65002; router-id 192.0.2.1;\n"
        " family { ipv4 mup; ipv6 mcast-vpn; }\n"
        " announce {\n  ipv4 {\n   mup \\\n   mup-t2st 10.0.0.1 rd 100:100 teid 12345/32 \\\n"
        "   next-hop 10.0.0.2 extended-community [ target:10:10 mup:10:10 ];\n  }\n"
        "  ipv6 {\n   mcast-vpn source-ad source fd12::4 group ff0e::1 rd 65000:99999 "
        "next-hop 10.10.6.4;\n  }\n }\n}\n")
    (neighbor,) = config.neighbors
    nlris = {(r.family, type(r.nlri)) for r in neighbor.nlri_routes}
    assert nlris == {(MUP4, mup.MupType2Session), (MVPN6, mvpn.MvpnSourceActiveAd)}


def test_configuration_error_names_the_spot() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("neighbor 192.0.2.2 {\n local-as 65001; peer-as 65002;\n"
                     " announce { ipv4 { mup mup-isd 10.0.1.0/24 rd 100 next-hop 1.2.3.4; } }\n}\n")
    assert "invalid route distinguisher '100'" in str(caught.value)
    assert caught.value.line == 3


BROKEN = [
    ("announce ipv4 mup", 18, "missing MUP route type"),
    ("announce ipv4 mup mup-xyz 10.0.0.0/8 rd 1:1 next-hop self", 19,
     "unknown MUP route type 'mup-xyz'"),
    ("announce ipv4 mup mup-isd 2001::/64 rd 1:1 next-hop self", 27,
     "prefix 2001::/64 is not an IPv4 address"),
    ("announce ipv6 mup mup-t2st 10.0.0.1 rd 1:1 teid 1/8 next-hop self", 28,
     "endpoint 10.0.0.1 is not an IPv6 address"),
    ("announce ipv4 mup mup-isd 10.0.0.0/8 next-hop self", 51, "mup mup-isd has no rd"),
    ("announce ipv4 mup mup-isd 10.0.0.0/8 rd 1:1", 44, "has no next-hop"),
    ("announce ipv4 mup mup-t1st 10.0.0.0/8 rd 1:1 qfi 1 endpoint 10.0.0.1 next-hop self", 83,
     "mup mup-t1st has no teid, expected 'teid N'"),
    ("announce ipv4 mup mup-t1st 10.0.0.0/8 rd 1:1 teid 1 qfi 256 endpoint 10.0.0.1 "
     "next-hop self", 57, "qfi 256 out of range"),
    ("announce ipv4 mup mup-t1st 10.0.0.0/8 rd 1:1 teid 1 qfi 1 endpoint 10.0.0 "
     "next-hop self", 68, "invalid endpoint address '10.0.0'"),
    ("announce ipv4 mup mup-t2st 10.0.0.1 rd 1:1 teid 12345 next-hop self", 49,
     "invalid teid '12345', expected TEID/BITS"),
    ("announce ipv4 mup mup-t2st 10.0.0.1 rd 1:1 teid 12345/33 next-hop self", 49,
     "teid length 33 out of range"),
    ("announce ipv4 mup mup-t2st 10.0.0.1 rd 1:1 teid 256/8 next-hop self", 49,
     "teid 256 does not fit in 8 bits"),
    ("announce ipv4 mup mup-dsd 10.0.0.1 rd 1:1 teid 1/8 next-hop self", 43,
     "unknown mup mup-dsd keyword 'teid', expected rd, next-hop"),
    ("announce ipv4 mup mup-dsd 10.0.0.1 rd 1:1 next-hop self extended-community mup:65536:1",
     76, "invalid extended community 'mup:65536:1'"),
    ("announce ipv4 mup mup-isd 10.0.0.0/8 rd 1:1 next-hop self bgp-prefix-sid-srv6 "
     "l3-service 2001:db8::", 79, "expected '(' after bgp-prefix-sid-srv6"),
    ("announce ipv4 mup mup-isd 10.0.0.0/8 rd 1:1 next-hop self bgp-prefix-sid-srv6 "
     "( l4-service 2001:db8:: )", 81, "unknown SRv6 service 'l4-service'"),
    ("announce ipv4 mup mup-isd 10.0.0.0/8 rd 1:1 next-hop self bgp-prefix-sid-srv6 "
     "( l3-service 10.0.0.1 )", 92, "SRv6 SID 10.0.0.1 is not an IPv6 address"),
    ("announce ipv4 mup mup-isd 10.0.0.0/8 rd 1:1 next-hop self bgp-prefix-sid-srv6 "
     "( l3-service 2001:db8:: 0x10000 )", 103, "SRv6 endpoint behavior 0x10000 out of range"),
    ("announce ipv4 mup mup-isd 10.0.0.0/8 rd 1:1 next-hop self bgp-prefix-sid-srv6 "
     "( l3-service 2001:db8:: 1 [ 64, 24, 16 ] )", 118,
     "expected ',' between the six SID structure lengths"),
    ("announce ipv4 mup mup-isd 10.0.0.0/8 rd 1:1 next-hop self bgp-prefix-sid-srv6 "
     "( l3-service 2001:db8:: 1 [ 64,24,16,0,0,256 ] )", 120, "SID structure length 256 out"),
    ("announce ipv4 mup mup-isd 10.0.0.0/8 rd 1:1 next-hop self bgp-prefix-sid-srv6 "
     "( l3-service 2001:db8:: 1", 104, "missing ')' at end of line"),
    ("announce ipv4 mcast-vpn", 24, "missing MCAST-VPN route type"),
    ("announce ipv4 mcast-vpn source-tree 10.0.0.1 next-hop self", 25,
     "unknown MCAST-VPN route type 'source-tree', expected one of: intra-as-i-pmsi-ad"),
    ("announce ipv4 mcast-vpn source-ad source 10.0.0.1 rd 1:1 next-hop self", 71,
     "mcast-vpn source-ad has no group, expected 'group IP'"),
    ("announce ipv4 mcast-vpn source-ad source 10.0.0.1 group ff0e::1 rd 1:1 next-hop self",
     57, "group ff0e::1 is not an IPv4 address"),
    ("announce ipv4 mcast-vpn source-ad source 10.0.0.1 group 239.0.0.1 rd 1:1 source-as 1 "
     "next-hop self", 74, "unknown mcast-vpn source-ad keyword 'source-as'"),
    ("announce ipv4 mcast-vpn source-join source 10.0.0.1 group 239.0.0.1 rd 1:1 "
     "next-hop self", 89, "mcast-vpn source-join has no source-as"),
    ("announce ipv4 mcast-vpn shared-join rp 10.0.0.1 group 239.0.0.1 rd 1:1 "
     "source-as 4294967296 next-hop self", 82, "source-as 4294967296 out of range"),
    ("announce ipv4 mcast-vpn shared-join source 10.0.0.1 group 239.0.0.1 rd 1:1 "
     "source-as 1 next-hop self", 37, "unknown mcast-vpn shared-join keyword 'source'"),
    ("announce ipv4 mcast-vpn source-ad source 10.0.0.1 source 10.0.0.2 group 239.0.0.1 "
     "rd 1:1 next-hop self", 51, "source given twice"),
    ("announce ipv4 mcast-vpn source-ad source * group 239.0.0.1 rd 1:1 next-hop self", 42,
     "invalid source address '*'"),
    ("announce ipv4 mcast-vpn s-pmsi-ad source * group * rd 1:1 next-hop self", 72,
     "mcast-vpn s-pmsi-ad has no originating-router"),
    ("announce ipv4 mcast-vpn leaf-ad originating-router 192.0.2.3 next-hop self", 75,
     "mcast-vpn leaf-ad has no route-key, expected 'route-key [ TYPE ... ]'"),
    ("announce ipv4 mcast-vpn leaf-ad route-key s-pmsi-ad next-hop self", 43,
     "expected '[ TYPE ... ]' after route-key"),
    # an error inside the key points into it
    ("announce ipv4 mcast-vpn leaf-ad route-key [ inter-as-i-pmsi-ad rd 1:x source-as 1 ] "
     "originating-router 192.0.2.3 next-hop self", 67, "invalid route distinguisher '1:x'"),
    ("announce ipv4 mcast-vpn leaf-ad route-key [ inter-as-i-pmsi-ad rd 1:1 source-as 1 "
     "med 5 ] originating-router 192.0.2.3 next-hop self", 45,
     "a route key holds only the route's own words"),
    ("announce ipv4 mcast-vpn leaf-ad route-key [ leaf-ad route-key [ inter-as-i-pmsi-ad ] ] "
     "next-hop self", 63, "unexpected '[' inside a list"),
]


@pytest.mark.parametrize("line, column, message", BROKEN)
def test_broken_lines(line: str, column: int, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(line)
    assert message in str(caught.value), caught.value
    assert caught.value.column == column, (caught.value.column, caught.value)


# ---- hypothesis: words and the bus give back the value ---------------------

rds = st.one_of(
    st.tuples(st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1)),
    st.tuples(st.integers(0x10000, 2**32 - 1), st.integers(0, 0xFFFF)),
).map(lambda p: RouteDistinguisher.parse(f"{p[0]}:{p[1]}"))


def _address(version: int) -> st.SearchStrategy[str]:
    from bgpmesh.codec.nlri.base import address_octets, address_text

    return st.ip_addresses(v=version).map(lambda a: address_text(address_octets(str(a))))


def _prefix(version: int) -> st.SearchStrategy[str]:
    from bgpmesh.api.routes import parse_prefix

    width = 32 if version == 4 else 128
    return st.tuples(st.ip_addresses(v=version), st.integers(0, width)).map(
        lambda p: parse_prefix(f"{p[0]}/{p[1]}", 0)[1])


def _t2st(version: int) -> st.SearchStrategy:
    return st.integers(0, 32).flatmap(lambda bits: st.builds(
        mup.MupType2Session, rds, _address(version), st.just(bits), st.integers(0, 2**bits - 1)))


def _values(version: int) -> st.SearchStrategy:
    anywhere = _address(4) | _address(6)
    return st.one_of(
        st.builds(mup.MupInterworkSegment, rds, _prefix(version)),
        st.builds(mup.MupDirectSegment, rds, _address(version)),
        st.builds(mup.MupType1Session, rds, _prefix(version), st.integers(0, 2**32 - 1),
                  st.integers(0, 255), anywhere, st.none() | anywhere),
        _t2st(version),
        st.builds(mvpn.MvpnSourceActiveAd, rds, _address(version), _address(version)),
        st.builds(mvpn.MvpnSharedTreeJoin, rds, st.integers(0, 2**32 - 1), _address(version),
                  _address(version)),
        st.builds(mvpn.MvpnSourceTreeJoin, rds, st.integers(0, 2**32 - 1), _address(version),
                  _address(version)),
        st.builds(mvpn.MvpnIntraAsIpmsiAd, rds, anywhere),
        _spmsi(version).flatmap(lambda key: st.builds(
            mvpn.MvpnLeafAd, st.just(key) | st.builds(mvpn.MvpnInterAsIpmsiAd, rds,
                                                      st.integers(0, 2**32 - 1)), anywhere)),
        _spmsi(version),
    )


def _spmsi(version: int) -> st.SearchStrategy:
    wildcard = st.none() | _address(version)
    return st.builds(mvpn.MvpnSpmsiAd, rds, wildcard, wildcard, _address(4) | _address(6))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([4, 6]).flatmap(lambda v: st.tuples(st.just(v), _values(v))),
       st.none() | st.integers(0, 2**32 - 1))
def test_words_and_bus_round_trip(pair, path_id) -> None:
    version, value = pair
    afi = f"ipv{version}"
    safi = "mup" if type(value).__module__.endswith(".mup") else "mcast-vpn"
    line = f"announce {afi} {safi} {nlri_text(value)} next-hop self"
    if path_id is not None:
        line += f" path-information {path_id}"
    (route,) = parse_command(line).routes
    assert route.nlri == value and route.path_id == path_id
    assert unsupported(route) == ""
    item = bus.route_to_wire(route)
    again = bus.route_from_wire(msgpack.unpackb(msgpack.packb(item, use_bin_type=True),
                                                raw=False))
    assert again == route


NEAR_MISS = st.sampled_from([
    "announce", "withdraw", "ipv4", "ipv6", "mup", "mcast-vpn", "mup-isd", "mup-dsd",
    "mup-t1st", "mup-t2st", "teid", "qfi", "endpoint", "source", "rp", "group", "rd",
    "source-as", "originating-router", "route-key", "source-ad", "shared-join", "source-join",
    "intra-as-i-pmsi-ad", "inter-as-i-pmsi-ad", "s-pmsi-ad", "leaf-ad", "next-hop", "self",
    "bgp-prefix-sid-srv6", "(", ")", "l3-service", "l2-service", "0x48", ",", "[", "]", "*",
    "extended-community", "mup:10:10", "mup:1", "target:1:1", "path-information", "0", "1",
    "255", "256", "12345/23", "1/33", "4294967296", "1:1", "192.0.2.1:7", "10.0.0.1",
    "10.0.0.0/8", "2001:db8::1", "2001:db8::/129", "::", "x", "",
    "sr-policy", "distinguisher", "color", "preference", "binding-sid", "priority",
    "segment-list", "weight", "label", "sid",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(NEAR_MISS, max_size=16))
def test_near_miss_lines_give_a_route_or_a_command_error(words: list[str]) -> None:
    line = " ".join(words)
    try:
        command = parse_command(line)
    except CommandError as error:
        assert 1 <= error.column <= len(line) + 1
        return
    for route in command.routes:
        if type(route) is NlriRoute:
            assert unsupported(route) == ""  # what parses, encodes


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([line for line, _ in VECTORS]).flatmap(
    lambda line: st.tuples(st.just(line.split()),
                           st.integers(0, len(line.split()) - 1), NEAR_MISS)))
def test_one_word_changed_in_a_good_line(case) -> None:
    words, at, word = case
    words = [*words[:at], word, *words[at + 1:]]
    test_near_miss_lines_give_a_route_or_a_command_error.hypothesis.inner_test(words)


# ---- SR Policy (bgpmesh's words) --------------------------------------------


def test_sr_policy_nlri_and_tunnel_encapsulation() -> None:
    (route,) = parse_command(
        "announce ipv4 sr-policy distinguisher 1 color 100 endpoint 192.0.2.9 preference 200 "
        "binding-sid 24000 priority 3 segment-list [ weight 10 label 16001 label 16002 ] "
        "next-hop 192.0.2.1 extended-community [ target:192.0.2.9:0 ]").routes
    # RFC 9830 2.1: length 96 bits, distinguisher, color, endpoint
    assert rib_entry(route)[1].hex() == "60" "00000001" "00000064" "c0000209"
    ((code, flags, tunnel),) = route.attributes.generic
    assert (code, flags) == (23, 0xC0)  # Tunnel Encapsulation, optional transitive
    assert tunnel.hex() == (
        "000f" "0030"  # SR Policy tunnel type 15, length 48
        "0c" "06" "00" "00" "000000c8"  # Preference 200
        "0d" "06" "00" "00" "05dc0000"  # Binding SID: label 24000 << 12
        "0f" "02" "03" "00"  # Priority 3
        "80" "0019" "00"  # Segment List (2-octet length, 25), RESERVED
        "09" "06" "00" "00" "0000000a"  # Weight 10
        "01" "06" "00" "00" "03e81000"  # Type A: label 16001 << 12
        "01" "06" "00" "00" "03e82000")  # Type A: label 16002 << 12
    assert describe(route) == "ipv4 sr-policy distinguisher 1 color 100 endpoint 192.0.2.9"
    # SRv6: Type B segments, an IPv6 binding SID, two segment lists
    (route,) = parse_command(
        "announce ipv6 sr-policy distinguisher 7 color 9 endpoint 2001:db8::9 "
        "binding-sid 2001:db8::b segment-list [ sid 2001:db8::1 ] segment-list [ label 3 ] "
        "next-hop 2001:db8::1").routes
    assert rib_entry(route)[1].hex() == "c0" "00000007" "00000009" "20010db8" + "00" * 11 + "09"
    tunnel = route.attributes.generic[0][2].hex()
    assert tunnel == ("000f" "0038"
                      "0d" "12" "0000" "20010db800000000000000000000000b"
                      "80" "0015" "00" "0d" "12" "0000" "20010db8000000000000000000000001"
                      "80" "0009" "00" "01" "06" "0000" "00003000")
    # a withdrawal names the candidate path only
    (route,) = parse_command("withdraw ipv4 sr-policy distinguisher 1 color 100 "
                             "endpoint 192.0.2.9").routes
    assert route.attributes.generic == () and route.next_hop is None


SR_BROKEN = [
    ("announce ipv4 sr-policy color 1 endpoint 10.0.0.1 segment-list [ label 1 ] next-hop self",
     89, "sr-policy has no distinguisher, expected 'distinguisher N'"),
    ("announce ipv4 sr-policy distinguisher 1 color 1 endpoint 2001:db8::1 "
     "segment-list [ label 1 ] next-hop self", 58, "endpoint 2001:db8::1 is not an IPv4"),
    ("announce ipv4 sr-policy distinguisher 1 color 1 endpoint 10.0.0.1 next-hop self", 80,
     "sr-policy has no segment-list"),
    ("announce ipv4 sr-policy distinguisher 1 color 1 endpoint 10.0.0.1 segment-list label 1 "
     "next-hop self", 80, "expected '[ [weight N] label N|sid IPV6 ... ]' after segment-list"),
    ("announce ipv4 sr-policy distinguisher 1 color 1 endpoint 10.0.0.1 segment-list "
     "[ weight 1 ] next-hop self", 91, "a segment list needs at least one segment"),
    ("announce ipv4 sr-policy distinguisher 1 color 1 endpoint 10.0.0.1 segment-list "
     "[ label 1 weight 1 ] next-hop self", 90, "weight comes first in a segment list"),
    ("announce ipv4 sr-policy distinguisher 1 color 1 endpoint 10.0.0.1 segment-list "
     "[ label 1048576 ] next-hop self", 88, "label 1048576 out of range"),
    ("announce ipv4 sr-policy distinguisher 1 color 1 endpoint 10.0.0.1 segment-list "
     "[ sid 10.0.0.2 ] next-hop self", 86, "SRv6 SID 10.0.0.2 is not an IPv6 address"),
    ("announce ipv4 sr-policy distinguisher 1 color 1 endpoint 10.0.0.1 segment-list "
     "[ hop 1 ] next-hop self", 82, "unknown segment list word 'hop'"),
    ("announce ipv4 sr-policy distinguisher 1 color 1 endpoint 10.0.0.1 priority 256 "
     "segment-list [ label 1 ] next-hop self", 76, "priority 256 out of range"),
]


@pytest.mark.parametrize("line, column, message", SR_BROKEN)
def test_sr_policy_broken_lines(line: str, column: int, message: str) -> None:
    test_broken_lines(line, column, message)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([4, 6]).flatmap(lambda v: st.tuples(
    st.just(v), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), _address(v))))
def test_sr_policy_words_round_trip(case) -> None:
    from bgpmesh.codec.nlri.sr_policy import SrPolicy

    version, distinguisher, color, endpoint = case
    value = SrPolicy(distinguisher, color, endpoint)
    (route,) = parse_command(f"announce ipv{version} sr-policy {nlri_text(value)} "
                             "segment-list [ label 16 ] next-hop self").routes
    assert route.nlri == value and unsupported(route) == ""
