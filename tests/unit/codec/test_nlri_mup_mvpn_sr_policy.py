"""MUP (SAFI 85), MCAST-VPN (SAFI 5) and SR Policy (SAFI 73) NLRI
(codec/nlri/mup.py, mvpn.py, sr_policy.py; api/json_nlri.py).

Neither draft-mpmz-bess-mup-safi, RFC 6514 nor RFC 9830 prints an example
in hex, so the vectors are built by hand from their layouts, field by field
below.  The MUP rows and MCAST-VPN types 5 to 7 were wrapped in an UPDATE
and decoded by ``exabgp decode`` 5.0.15, whose JSON entries are the ones
here (its differences are in tests/interop/test_decode_oracle.py); every row
was also dissected by tshark 4.0 (tests/interop/test_tshark_families.py
checks the families it knows).  One table drives decode, encode, JSON and
the text encoder's string.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgpmesh.api.exabgp import text_event
from bgpmesh.api.json import extended_community, update_message, update_message_v5
from bgpmesh.api.json_nlri import entry_text, nlri_json, nlri_text
from bgpmesh.codec import FAMILIES, MpReachNlri, MpUnreachNlri, Session, Update
from bgpmesh.codec.nlri.base import address_octets, address_text, prefix_octets, prefix_text
from bgpmesh.codec.nlri.mup import (
    Mup,
    MupDirectSegment,
    MupInterworkSegment,
    MupType1Session,
    MupType2Session,
    MupUnknown,
)
from bgpmesh.codec.nlri.mvpn import (
    Mvpn,
    MvpnInterAsIpmsiAd,
    MvpnIntraAsIpmsiAd,
    MvpnLeafAd,
    MvpnSharedTreeJoin,
    MvpnSourceActiveAd,
    MvpnSourceTreeJoin,
    MvpnSpmsiAd,
    MvpnUnknown,
)
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.codec.nlri.sr_policy import SrPolicy
from bgpmesh.errors import BgpError, InvalidNetworkField
from bgpmesh.family import Family

SESSION = Session()
RD = RouteDistinguisher.parse("65000:1")  # 0000 fde8 00000001
MUP4, MUP6 = Family(1, 85), Family(2, 85)
MVPN4, MVPN6 = Family(1, 5), Family(2, 5)
SRP4, SRP6 = Family(1, 73), Family(2, 73)

# (family, NLRI hex, value, ExaBGP JSON entry, text encoder string)
VECTORS = [
    (
        MUP4,
        # arch 1 (3gpp-5g), route type 0001 (ISD), length 0c; RD 65000:1;
        # prefix length 0x18 = 24, 10.0.0
        "01" "0001" "0c" "0000fde800000001" "18" "0a0000",
        MupInterworkSegment(RD, "10.0.0.0/24"),
        {"name": "InterworkSegmentDiscoveryRoute", "arch": 1, "code": 1, "prefix_ip_len": 24,
         "prefix_ip": "10.0.0.0", "rd": "65000:1", "raw": "0100010C0000FDE800000001180A0000"},
        "mup:isd::65000:1:10.0.0.0/24",
    ),
    (
        MUP4,
        # route type 0002 (DSD), length 0c: RD then the 4-octet address 10.0.0.1
        "01" "0002" "0c" "0000fde800000001" "0a000001",
        MupDirectSegment(RD, "10.0.0.1"),
        {"name": "DirectSegmentDiscoveryRoute", "arch": 1, "code": 2, "ip": "10.0.0.1", "rd": "65000:1",
         "raw": "0100020C0000FDE8000000010A000001"},
        "mup:dsd::65000:1:10.0.0.1",
    ),
    (
        MUP4,
        # route type 0003 (T1ST), length 0x1b = 27: RD; prefix /24 10.0.0;
        # TEID 0x3039 = 12345; QFI 9; endpoint length 0x20, 192.0.2.1;
        # source length 0x20, 192.0.2.2
        "01" "0003" "1b" "0000fde800000001" "18" "0a0000" "00003039" "09" "20" "c0000201" "20" "c0000202",
        MupType1Session(RD, "10.0.0.0/24", 12345, 9, "192.0.2.1", "192.0.2.2"),
        {"name": "Type1SessionTransformedRoute", "arch": 1, "code": 3, "prefix_ip_len": 24,
         "prefix_ip": "10.0.0.0", "teid": "12345", "qfi": "9", "rd": "65000:1", "endpoint_ip_len": 32,
         "endpoint_ip": "192.0.2.1", "source_ip_len": 32, "source_ip": "192.0.2.2",
         "raw": "0100031B0000FDE800000001180A0000000030390920C000020120C0000202"},
        "mup:t1st::65000:1:10.0.0.0/24:12345:9:192.0.2.1/32:192.0.2.2/32",
    ),
    (
        MUP4,
        # the same without the optional source: length 0x16 = 22
        "01" "0003" "16" "0000fde800000001" "18" "0a0000" "00003039" "09" "20" "c0000201",
        MupType1Session(RD, "10.0.0.0/24", 12345, 9, "192.0.2.1"),
        {"name": "Type1SessionTransformedRoute", "arch": 1, "code": 3, "prefix_ip_len": 24,
         "prefix_ip": "10.0.0.0", "teid": "12345", "qfi": "9", "rd": "65000:1", "endpoint_ip_len": 32,
         "endpoint_ip": "192.0.2.1", "source_ip_len": 0, "source_ip": "",
         "raw": "010003160000FDE800000001180A0000000030390920C0000201"},
        "mup:t1st::65000:1:10.0.0.0/24:12345:9:192.0.2.1/32",
    ),
    (
        MUP4,
        # route type 0004 (T2ST), length 0e: RD; endpoint length 0x28 = 40
        # bits (32 of address, 8 of TEID); 192.0.2.1; TEID octet 0x7b = 123
        "01" "0004" "0e" "0000fde800000001" "28" "c0000201" "7b",
        MupType2Session(RD, "192.0.2.1", 8, 123),
        {"name": "Type2SessionTransformedRoute", "arch": 1, "code": 4, "endpoint_len": 40,
         "endpoint_ip": "192.0.2.1", "rd": "65000:1", "teid": "123", "raw": "0100040E0000FDE80000000128C00002017B"},
        "mup:t2st::65000:1:40:192.0.2.1:123:",
    ),
    (
        MUP6,
        # IPv6 T2ST: endpoint length 0x98 = 152 (128 + 24 TEID bits); 2001:db8::1; TEID 0x0a0b0c
        "01" "0004" "1c" "0000fde800000001" "98" "20010db8000000000000000000000001" "0a0b0c",
        MupType2Session(RD, "2001:db8::1", 24, 0x0A0B0C),
        {"name": "Type2SessionTransformedRoute", "arch": 1, "code": 4, "endpoint_len": 152,
         "endpoint_ip": "2001:db8::1", "rd": "65000:1", "teid": "658188",
         "raw": "0100041C0000FDE8000000019820010DB80000000000000000000000010A0B0C"},
        "mup:t2st::65000:1:152:2001:db8::1:658188:",
    ),
    (
        MUP6,
        # IPv6 ISD: prefix length 0x30 = 48, 2001:db8:1
        "01" "0001" "0f" "0000fde800000001" "30" "20010db80001",
        MupInterworkSegment(RD, "2001:db8:1::/48"),
        {"name": "InterworkSegmentDiscoveryRoute", "arch": 1, "code": 1, "prefix_ip_len": 48,
         "prefix_ip": "2001:db8:1::", "rd": "65000:1", "raw": "0100010F0000FDE8000000013020010DB80001"},
        "mup:isd::65000:1:2001:db8:1::/48",
    ),
    (
        MUP4,
        # architecture 2, route type 0005: not known, kept whole
        "02" "0005" "03" "abcdef",
        MupUnknown(2, 5, bytes.fromhex("abcdef")),
        {"arch": 2, "code": 5, "raw": "02000503ABCDEF"},
        "mup:unknown:0xabcdef",
    ),
    (
        MVPN4,
        # route type 05 (Source Active A-D), length 0x12 = 18: RD; source
        # length 0x20, 192.0.2.1; group length 0x20, 239.1.1.1
        "05" "12" "0000fde800000001" "20" "c0000201" "20" "ef010101",
        MvpnSourceActiveAd(RD, "192.0.2.1", "239.1.1.1"),
        {"code": 5, "parsed": True, "raw": "05120000FDE80000000120C000020120EF010101",
         "name": "Source Active A-D Route", "rd": "65000:1", "source": "192.0.2.1", "group": "239.1.1.1"},
        "mvpn:sourcead::65000:1:192.0.2.1:239.1.1.1",
    ),
    (
        MVPN4,
        # route type 06 (Shared Tree Join), length 0x16 = 22: RD; Source AS
        # 65001; C-RP 192.0.2.1; group 239.1.1.1
        "06" "16" "0000fde800000001" "0000fde9" "20" "c0000201" "20" "ef010101",
        MvpnSharedTreeJoin(RD, 65001, "192.0.2.1", "239.1.1.1"),
        {"code": 6, "parsed": True, "raw": "06160000FDE8000000010000FDE920C000020120EF010101",
         "name": "C-Multicast Shared Tree Join route", "rd": "65000:1", "source-as": "65001",
         "source": "192.0.2.1", "group": "239.1.1.1"},
        "mvpn:shared-join::65000:1:65001:192.0.2.1:239.1.1.1",
    ),
    (
        MVPN4,
        # route type 07 (Source Tree Join), same layout
        "07" "16" "0000fde800000001" "0000fde9" "20" "c0000201" "20" "ef010101",
        MvpnSourceTreeJoin(RD, 65001, "192.0.2.1", "239.1.1.1"),
        {"code": 7, "parsed": True, "raw": "07160000FDE8000000010000FDE920C000020120EF010101",
         "name": "C-Multicast Source Tree Join route", "rd": "65000:1", "source-as": "65001",
         "source": "192.0.2.1", "group": "239.1.1.1"},
        "mvpn:source-join::65000:1:65001:192.0.2.1:239.1.1.1",
    ),
    (
        MVPN6,
        # IPv6 Source Tree Join, length 0x2e = 46: source 2001:db8::1, group ff0e::1
        "07" "2e" "0000fde800000001" "0000fde9" "80" "20010db8000000000000000000000001"
        "80" "ff0e0000000000000000000000000001",
        MvpnSourceTreeJoin(RD, 65001, "2001:db8::1", "ff0e::1"),
        {"code": 7, "parsed": True,
         "raw": "072E0000FDE8000000010000FDE98020010DB800000000000000000000000180FF0E0000000000000000000000000001",
         "name": "C-Multicast Source Tree Join route", "rd": "65000:1", "source-as": "65001",
         "source": "2001:db8::1", "group": "ff0e::1"},
        "mvpn:source-join::65000:1:65001:2001:db8::1:ff0e::1",
    ),
    (
        MVPN4,
        # route type 01 (Intra-AS I-PMSI A-D), length 0c: RD; originating router 192.0.2.1
        "01" "0c" "0000fde800000001" "c0000201",
        MvpnIntraAsIpmsiAd(RD, "192.0.2.1"),
        {"code": 1, "parsed": True, "raw": "010C0000FDE800000001C0000201", "name": "Intra-AS I-PMSI A-D route",
         "rd": "65000:1", "originating-router": "192.0.2.1"},
        "mvpn:intra-as-i-pmsi-ad::65000:1:192.0.2.1",
    ),
    (
        MVPN4,
        # route type 02 (Inter-AS I-PMSI A-D), length 0c: RD; Source AS 65001
        "02" "0c" "0000fde800000001" "0000fde9",
        MvpnInterAsIpmsiAd(RD, 65001),
        {"code": 2, "parsed": True, "raw": "020C0000FDE8000000010000FDE9", "name": "Inter-AS I-PMSI A-D route",
         "rd": "65000:1", "source-as": "65001"},
        "mvpn:inter-as-i-pmsi-ad::65000:1:65001",
    ),
    (
        MVPN4,
        # route type 03 (S-PMSI A-D), length 0x16 = 22: RD; source 192.0.2.1;
        # group 239.1.1.1; originating router 192.0.2.2
        "03" "16" "0000fde800000001" "20" "c0000201" "20" "ef010101" "c0000202",
        MvpnSpmsiAd(RD, "192.0.2.1", "239.1.1.1", "192.0.2.2"),
        {"code": 3, "parsed": True, "raw": "03160000FDE80000000120C000020120EF010101C0000202",
         "name": "S-PMSI A-D route", "rd": "65000:1", "source": "192.0.2.1", "group": "239.1.1.1",
         "originating-router": "192.0.2.2"},
        "mvpn:s-pmsi-ad::65000:1:192.0.2.1:239.1.1.1:192.0.2.2",
    ),
    (
        MVPN4,
        # route type 04 (Leaf A-D), length 0x14 = 20: the route key is the
        # S-PMSI A-D route 03 0e (RD, wildcard source 00, wildcard group 00,
        # originating router 192.0.2.2, RFC 6625); then originating router 192.0.2.3
        "04" "14" "03" "0e" "0000fde800000001" "00" "00" "c0000202" "c0000203",
        MvpnLeafAd(MvpnSpmsiAd(RD, None, None, "192.0.2.2"), "192.0.2.3"),
        {"code": 4, "parsed": True, "raw": "0414030E0000FDE8000000010000C0000202C0000203", "name": "Leaf A-D route",
         "route-key": {"code": 3, "parsed": True, "raw": "030E0000FDE8000000010000C0000202",
                       "name": "S-PMSI A-D route", "rd": "65000:1", "source": "*", "group": "*",
                       "originating-router": "192.0.2.2"},
         "originating-router": "192.0.2.3"},
        "mvpn:leaf-ad::mvpn:s-pmsi-ad::65000:1:*:*:192.0.2.2:192.0.2.3",
    ),
    (
        MVPN4,
        # route type 09: not in RFC 6514, kept whole
        "09" "02" "abcd",
        MvpnUnknown(9, bytes.fromhex("abcd")),
        {"code": 9, "parsed": False, "raw": "0902ABCD"},
        "mvpn:unknown:0xabcd",
    ),
    (
        SRP4,
        # NLRI length 0x60 = 96 bits; distinguisher 1; color 100; endpoint 192.0.2.9
        "60" "00000001" "00000064" "c0000209",
        SrPolicy(1, 100, "192.0.2.9"),
        {"distinguisher": 1, "color": 100, "endpoint": "192.0.2.9"},
        "sr-policy:1:100:192.0.2.9",
    ),
    (
        SRP6,
        # NLRI length 0xc0 = 192 bits; distinguisher 2; color 4294967295; endpoint 2001:db8::9
        "c0" "00000002" "ffffffff" "20010db8000000000000000000000009",
        SrPolicy(2, 0xFFFFFFFF, "2001:db8::9"),
        {"distinguisher": 2, "color": 4294967295, "endpoint": "2001:db8::9"},
        "sr-policy:2:4294967295:2001:db8::9",
    ),
]
IDS = [f"{family}-{text[:30]}" for family, _, _, _, text in VECTORS]


@pytest.mark.parametrize(("family", "wire", "value", "entry", "text"), VECTORS, ids=IDS)
def test_decode(family: Family, wire: str, value: object, entry: dict, text: str) -> None:
    assert FAMILIES[family].unpack(bytes.fromhex(wire)) == (value,)


@pytest.mark.parametrize(("family", "wire", "value", "entry", "text"), VECTORS, ids=IDS)
def test_encode(family: Family, wire: str, value: object, entry: dict, text: str) -> None:
    assert FAMILIES[family].pack(value).hex() == wire
    assert type(value).encode(value).hex() == wire


@pytest.mark.parametrize(("family", "wire", "value", "entry", "text"), VECTORS, ids=IDS)
def test_json_and_text(family: Family, wire: str, value: object, entry: dict, text: str) -> None:
    assert nlri_json(value) == entry
    assert nlri_text(value) == text
    # the text encoder has only the JSON entry: it reads the route back from it
    assert entry_text(str(family), entry) == text


@pytest.mark.parametrize(("family", "wire", "value", "entry", "text"), VECTORS, ids=IDS)
def test_decode_byte_by_byte_and_with_trailing_bytes(family: Family, wire: str, value: object, entry: dict,
                                                     text: str) -> None:
    raw = bytes.fromhex(wire)
    for cut in range(1, len(raw)):
        with pytest.raises(InvalidNetworkField):
            FAMILIES[family].unpack(raw[:cut])
    reader = {85: Mup, 5: Mvpn, 73: SrPolicy}[family.safi]
    with pytest.raises(InvalidNetworkField):
        reader.decode(raw + b"\x00", family.afi)


def test_in_an_update_both_ways() -> None:
    family, wire, value, entry, _ = VECTORS[0]
    # MP_REACH_NLRI: AFI 1, SAFI 85, next hop 4 octets 192.0.2.1, reserved
    reach = MpReachNlri.decode(bytes.fromhex("000155" "04" "c0000201" "00" + wire), SESSION)
    assert reach == MpReachNlri(family, ("192.0.2.1",), (value,))
    assert reach.encode(SESSION)[3:].hex() == "000155" "04" "c0000201" "00" + wire
    body = update_message(Update(attributes=(reach,)))["update"]
    assert body["announce"] == {"ipv4 mup": {"192.0.2.1": [entry]}}
    # the 5.0 dialect changes attributes only: the entries are the same
    assert update_message_v5(Update(attributes=(reach,)))["update"]["announce"] == body["announce"]
    gone = MpUnreachNlri(family, (value,))
    assert MpUnreachNlri.decode(gone.encode(SESSION)[3:], SESSION) == gone
    assert update_message(Update(attributes=(gone,)))["update"]["withdraw"] == {"ipv4 mup": [entry]}


def test_text_encoder_lines() -> None:
    ident = {"peer": "10.0.0.1", "local": "10.0.0.2", "local_as": 1, "peer_as": 2}
    body = {"update": {"announce": {str(f): {"192.0.2.1": [e]} for f, _, _, e, _ in VECTORS[:1]},
                       "withdraw": {"ipv4 sr-policy": [VECTORS[-2][3]]}}}
    assert text_event("update", ident, body) == [
        "neighbor 10.0.0.1 receive update start",
        "neighbor 10.0.0.1 receive update announced mup:isd::65000:1:10.0.0.0/24 next-hop 192.0.2.1 "
        "family ipv4 mup",
        "neighbor 10.0.0.1 receive update withdrawn sr-policy:1:100:192.0.2.9 family ipv4 sr-policy",
        "neighbor 10.0.0.1 receive update end",
    ]


def test_text_of_other_object_families_does_not_fail() -> None:
    # a FlowSpec entry has ExaBGP's "string"; anything else is shown as JSON
    assert entry_text("ipv4 flow", {"string": "flow destination-ipv4 10.0.0.0/24"}) == (
        "flow destination-ipv4 10.0.0.0/24")
    assert entry_text("l2vpn evpn", {"code": 9, "parsed": False}) == '{"code":9,"parsed":false}'
    assert entry_text("ipv4 mup", {"raw": "zz"}) == '{"raw":"zz"}'
    # and the text encoder, which took every entry for {"nlri": ...}, writes them
    ident = {"peer": "10.0.0.1", "local": "10.0.0.2", "local_as": 1, "peer_as": 2}
    body = {"update": {"withdraw": {"ipv4 flow": [{"string": "flow destination-ipv4 10.0.0.0/24"}],
                                    "l2vpn evpn": [{"code": 9, "parsed": False}]}}}
    assert text_event("update", ident, body)[1:3] == [
        "neighbor 10.0.0.1 receive update withdrawn flow destination-ipv4 10.0.0.0/24 family ipv4 flow",
        'neighbor 10.0.0.1 receive update withdrawn {"code":9,"parsed":false} family l2vpn evpn',
    ]


@pytest.mark.parametrize("family", [MUP4, MVPN6, SRP4])
def test_add_path_identifier_is_kept(family: Family) -> None:
    # RFC 7911 section 3: Path Identifier 7 before the NLRI
    _, wire, value, entry, _ = next(row for row in VECTORS if row[0].safi == family.safi)
    value = dataclasses.replace(value, path_id=7)
    raw = bytes.fromhex("00000007" + wire)
    assert FAMILIES[family].unpack(raw, add_path=True) == (value,)
    assert value.encode() == raw
    assert nlri_json(value) == {**entry, "path-information": "0.0.0.7"}


def test_gobgp_3_10_type_1_session_transformed_prefix_is_read() -> None:
    # captured from GoBGP 3.10 ("t1st 10.0.0.0/24 rd 65000:1 teid 12345 qfi 9
    # endpoint 192.0.2.1"): length 0x17, the /24 prefix written as the whole
    # address 0a000000 where the draft has its 3 significant octets
    wire = bytes.fromhex("01" "0003" "17" "0000fde800000001" "18" "0a000000" "00003039" "09" "20" "c0000201")
    assert Mup.decode(wire) == MupType1Session(RD, "10.0.0.0/24", 12345, 9, "192.0.2.1")
    # what is written back (and shown as "raw") is the draft's layout
    assert Mup.decode(wire).encode().hex() == VECTORS[3][1]
    # neither layout fits (no endpoint length octet): the error is the draft layout's
    with pytest.raises(InvalidNetworkField, match="endpoint address length 9"):
        Mup.decode(bytes.fromhex("01" "0003" "16" "0000fde800000001" "18" "0a000000" "00003039" "09" "c0000201"))


def test_values_that_cannot_be_written_are_value_errors() -> None:
    with pytest.raises(ValueError, match="TEID"):
        MupType2Session(RD, "192.0.2.1", 8, 256).encode()
    with pytest.raises(ValueError, match="TEID"):
        MupType2Session(RD, "192.0.2.1", 33, 0).encode()
    with pytest.raises(ValueError):
        SrPolicy(1, 100, "not an address").encode()
    with pytest.raises(ValueError, match="route key"):
        MvpnLeafAd(MvpnIntraAsIpmsiAd(RD, "192.0.2.1", path_id=1), "192.0.2.2").encode()


def test_mup_extended_community() -> None:
    # draft-mpmz-bess-mup-safi 3.2: type 0x0c sub-type 0x00, Direct-Type
    # Segment Identifier 0001 0000000a; ExaBGP 5.0 prints "mup:1:10"
    assert extended_community(0x0C0000010000000A) == "mup:1:10"


@pytest.mark.parametrize(
    ("family", "wire"),
    [
        (MUP4, "01" "0001"),  # header cut
        (MUP4, "01" "0001" "0c" "0000fde800000001" "18" "0a00"),  # body shorter than its length
        (MUP4, "01" "0001" "09" "0000fde800000001" "21"),  # ISD prefix of 33 bits in IPv4
        (MUP4, "01" "0001" "0b" "0000fde800000001" "18" "0a00"),  # ISD prefix needs 3 octets, has 2
        (MUP4, "01" "0001" "0d" "0000fde800000001" "18" "0a000000"),  # ISD with a spare octet
        (MUP4, "01" "0002" "0d" "0000fde800000001" "0a00000100"),  # DSD address of 5 octets
        (MUP4, "01" "0003" "16" "0000fde800000001" "18" "0a0000" "00003039" "09" "21" "c0000201"),  # endpoint 33
        (MUP4, "01" "0003" "17" "0000fde800000001" "18" "0a0000" "00003039" "09" "20" "c0000201" "20"),  # source cut
        (MUP4, "01" "0003" "0e" "0000fde800000001" "18" "0a0000" "0000"),  # TEID cut
        (MUP4, "01" "0004" "0d" "0000fde800000001" "1f" "c0000201"),  # T2ST endpoint 31 bits
        (MUP4, "01" "0004" "11" "0000fde800000001" "41" "c0000201" "0102030405"),  # T2ST TEID of 33 bits
        (MUP4, "01" "0004" "0e" "0000fde800000001" "28" "c0000201"),  # T2ST TEID octet missing
        (MUP6, "01" "0004" "0d" "0000fde800000001" "20" "c0000201"),  # T2ST IPv4-sized endpoint in IPv6
        (MVPN4, "05"),  # header cut
        (MVPN4, "05" "04" "0000fde8"),  # shorter than an RD
        (MVPN4, "05" "12" "0000fde800000001" "21" "c0000201" "20" "ef010101"),  # source length 33
        (MVPN4, "05" "12" "0000fde800000001" "00" "c0000201" "20" "ef010101"),  # wildcard outside S-PMSI A-D
        (MVPN4, "05" "13" "0000fde800000001" "20" "c0000201" "20" "ef010101" "00"),  # a spare octet
        (MVPN4, "06" "12" "0000fde800000001" "20" "c0000201" "20" "ef010101"),  # C-multicast without Source AS
        (MVPN4, "01" "0b" "0000fde800000001" "c00002"),  # originating router of 3 octets
        (MVPN4, "02" "0d" "0000fde800000001" "0000fde900"),  # inter-AS of 13 octets
        (MVPN4, "03" "12" "0000fde800000001" "20" "c0000201" "20" "ef010101"),  # S-PMSI without originator
        (MVPN4, "04" "06" "03" "0e" "0000fde8"),  # leaf A-D route key cut
        (MVPN4, "04" "12" "01" "0c" "0000fde800000001" "c0000201" "c00002"),  # leaf A-D originator of 2
        (SRP4, "c0" "00000001" "00000064" "20010db8000000000000000000000009"),  # IPv6 length in IPv4
        (SRP6, "60" "00000001" "00000064" "c0000209"),  # IPv4 length in IPv6
        (SRP4, "61" "00000001" "00000064" "c000020900"),  # 97 bits
        (SRP4, "60" "00000001" "00000064" "c00002"),  # endpoint cut
    ],
)
def test_malformed_nlri(family: Family, wire: str) -> None:
    with pytest.raises(InvalidNetworkField):
        FAMILIES[family].unpack(bytes.fromhex(wire))


# ---- hypothesis: decode(encode(x)) == x; any bytes -> value or BgpError --------

rds = st.binary(min_size=8, max_size=8).map(RouteDistinguisher)
path_ids = st.none() | st.integers(0, 2**32 - 1)
u32 = st.integers(0, 2**32 - 1)


def _address(version: int | None = None) -> st.SearchStrategy[str]:
    versions = st.sampled_from([4, 6]) if version is None else st.just(version)
    return versions.flatmap(lambda v: st.ip_addresses(v=v)).map(lambda a: address_text(address_octets(str(a))))


def _prefix(afi: int) -> st.SearchStrategy[str]:
    version, bits = (4, 32) if afi == 1 else (6, 128)

    def build(pair: tuple[object, int]) -> str:
        length, raw = prefix_octets(afi, f"{pair[0]}/{pair[1]}")
        return prefix_text(afi, length, raw)

    return st.tuples(st.ip_addresses(v=version), st.integers(0, bits)).map(build)


def _mup(afi: int) -> st.SearchStrategy:
    version = 4 if afi == 1 else 6
    t2st = st.integers(0, 32).flatmap(
        lambda bits: st.builds(MupType2Session, rds, _address(version), st.just(bits),
                               st.integers(0, 2 ** (((bits + 7) >> 3) * 8) - 1), path_ids))
    return st.one_of(
        st.builds(MupInterworkSegment, rds, _prefix(afi), path_ids),
        st.builds(MupDirectSegment, rds, _address(), path_ids),
        st.builds(MupType1Session, rds, _prefix(afi), u32, st.integers(0, 255), _address(),
                  st.none() | _address(), path_ids),
        t2st,
        st.builds(MupUnknown, st.integers(0, 255), st.integers(0, 65535), st.binary(max_size=40), path_ids).filter(
            lambda v: not (v.arch == 1 and 1 <= v.code <= 4)),
    )


def _mvpn(depth: int = 1) -> st.SearchStrategy:
    wildcard = st.none() | _address()
    routes = [
        st.builds(MvpnIntraAsIpmsiAd, rds, _address(), path_ids),
        st.builds(MvpnInterAsIpmsiAd, rds, u32, path_ids),
        st.builds(MvpnSpmsiAd, rds, wildcard, wildcard, _address(), path_ids),
        st.builds(MvpnSourceActiveAd, rds, _address(), _address(), path_ids),
        st.builds(MvpnSharedTreeJoin, rds, u32, _address(), _address(), path_ids),
        st.builds(MvpnSourceTreeJoin, rds, u32, _address(), _address(), path_ids),
        st.builds(MvpnUnknown, st.integers(8, 255), st.binary(max_size=40), path_ids),
    ]
    if depth:
        key = _mvpn(depth - 1).map(lambda v: dataclasses.replace(v, path_id=None))
        routes.append(st.builds(MvpnLeafAd, key, _address(), path_ids))
    return st.one_of(*routes)


VALUES = [
    (MUP4, _mup(1)),
    (MUP6, _mup(2)),
    (MVPN4, _mvpn()),
    (MVPN6, _mvpn()),
    (SRP4, st.builds(SrPolicy, u32, u32, _address(4), path_ids)),
    (SRP6, st.builds(SrPolicy, u32, u32, _address(6), path_ids)),
]


@pytest.mark.parametrize(("family", "values"), VALUES, ids=[str(f) for f, _ in VALUES])
def test_round_trip(family: Family, values: st.SearchStrategy) -> None:
    codec = FAMILIES[family]

    @settings(max_examples=150, deadline=None)
    @given(st.lists(values, min_size=1, max_size=3))
    def check(found: list) -> None:
        add_path = found[0].path_id is not None
        found = [dataclasses.replace(v, path_id=(v.path_id or 1) if add_path else None) for v in found]
        wire = b"".join(codec.pack(v) for v in found)
        assert codec.unpack(wire, add_path) == tuple(found)
        reader = {85: Mup, 5: Mvpn, 73: SrPolicy}[family.safi]
        assert reader.decode(found[0].encode(), family.afi, add_path) == found[0]
        # and the renderers take every value
        entry = nlri_json(found[0])
        assert entry_text(str(family), entry) == nlri_text(found[0])

    check()


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([MUP4, MUP6, MVPN4, MVPN6, SRP4, SRP6]), st.binary(max_size=80), st.booleans())
def test_any_bytes_give_a_value_or_bgp_error(family: Family, nlri: bytes, add_path: bool) -> None:
    try:
        values = FAMILIES[family].unpack(nlri, add_path)
    except BgpError:
        return
    for value in values:
        nlri_json(value)
        nlri_text(value)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([MUP4, MUP6, MVPN4, MVPN6]), st.binary(max_size=60))
def test_any_body_behind_a_valid_header(family: Family, body: bytes) -> None:
    # the header is right, so the body reaches each route type's reader
    for code in range(1, 8):
        header = (bytes((1,)) + code.to_bytes(2, "big") if family.safi == 85 else bytes((code,)))
        try:
            FAMILIES[family].unpack(header + bytes((len(body),)) + body)
        except BgpError:
            pass


def test_adj_rib_in_shows_exabgp_strings() -> None:
    from types import SimpleNamespace

    from workers.api_events import received_routes

    family, wire, value, entry, text = VECTORS[0]
    reach = MpReachNlri(family, ("192.0.2.1",), (value,))
    update = Update(attributes=(reach,))
    peer = SimpleNamespace(adj_rib_in={(f, v): (hops, update) for f, v, hops in update.announced()})
    assert received_routes(peer) == [["ipv4 mup", "mup:isd::65000:1:10.0.0.0/24", "next-hop 192.0.2.1"]]
