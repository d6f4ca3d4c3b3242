"""Path attributes added for issue 3: one table drives decode and encode,
RFC 7606 actions per attribute, hypothesis round trips.

The wire values of types 9, 10, 16, 22, 25, 32 below, inside one UPDATE,
were decoded by `exabgp decode` 5.0.15 to the same values (see
tests/unit/test_decode.py for the JSON comparison).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpmesh.codec import (
    Aggregator,
    Aigp,
    As4Aggregator,
    AsPath,
    BgpLsAttribute,
    ClusterList,
    ExtendedCommunities,
    Ipv6ExtendedCommunities,
    LargeCommunities,
    OnlyToCustomer,
    OriginatorId,
    PmsiTunnel,
    PrefixSid,
    Session,
    UnknownAttribute,
    decode_attributes,
)
from bgpmesh.errors import Action, BgpError

ASN4 = Session()
ASN2 = Session(asn4=False)

VECTORS = [
    # RFC 4456 section 8: optional non-transitive, 4 octets
    ("800904" "c0000201", OriginatorId("192.0.2.1")),
    ("800a08" "c0000201" "c0000202", ClusterList(("192.0.2.1", "192.0.2.2"))),
    # RFC 4360: route target 65000:1 (type 0x00/0x02), rate-limit 1000
    # (RFC 8955 7, type 0x80/0x06, IEEE float 0x447a0000)
    ("c01010" "0002fde800000001" "8006fde8447a0000", ExtendedCommunities((0x0002FDE800000001, 0x8006FDE8447A0000))),
    # RFC 6514 section 5: flags 0, ingress replication (6), label 0x000064, 192.0.2.1
    ("c01609" "00" "06" "000064" "c0000201", PmsiTunnel(0, 6, 0x64, bytes.fromhex("c0000201"))),
    # RFC 5701: route target 2001:db8::1:1
    (
        "c01914" "0002" "20010db8000000000000000000000001" "0001",
        Ipv6ExtendedCommunities((0x000220010DB80000000000000000000000010001,)),
    ),
    # RFC 7311 section 3: AIGP TLV type 1, length 11, metric 100
    ("801a0b" "01000b" "0000000000000064", Aigp(100)),
    # RFC 9552 5.3: node name (1026) "rtr1", IGP metric (1095) 10
    ("801d0d" "04020004" "72747231" "04470001" "0a", BgpLsAttribute(((1026, b"rtr1"), (1095, b"\x0a")))),
    # RFC 8092: 65000:1:2
    ("c0200c" "0000fde8" "00000001" "00000002", LargeCommunities(((65000, 1, 2),))),
    # RFC 9234 section 5: OTC 65000
    ("c02304" "0000fde8", OnlyToCustomer(65000)),
    # RFC 8669 3.1 and 3.2: label index 100; SRGB base 16000 range 8000
    (
        "c02815" "010007" "00" "0000" "00000064" "030008" "0000" "003e80" "001f40",
        PrefixSid(100, ((16000, 8000),)),
    ),
    # RFC 6793 section 3
    ("c01208" "00011170" "c0000201", As4Aggregator(70000, "192.0.2.1")),
]


@pytest.mark.parametrize(("wire", "value"), VECTORS)
def test_decode(wire: str, value: object) -> None:
    attributes, errors, _ = decode_attributes(bytes.fromhex(wire), ASN4 if type(value) is not As4Aggregator else ASN2)
    assert errors == []
    assert attributes == ([value] if type(value) is not As4Aggregator else [])


@pytest.mark.parametrize(("wire", "value"), VECTORS)
def test_encode(wire: str, value: object) -> None:
    assert value.encode(ASN4).hex() == wire


# (wire, action): RFC 7606 section 7 and the attributes' own RFCs
MALFORMED = [
    ("800903" "c00002", Action.TREAT_AS_WITHDRAW),  # RFC 7606 7.9
    ("800a00", Action.TREAT_AS_WITHDRAW),  # RFC 7606 7.10
    ("800a05" "c000020100", Action.TREAT_AS_WITHDRAW),
    ("c01007" "00020000000000", Action.TREAT_AS_WITHDRAW),  # RFC 7606 7.14
    ("c01913" + "00" * 19, Action.TREAT_AS_WITHDRAW),
    ("c0200b" + "00" * 11, Action.TREAT_AS_WITHDRAW),  # RFC 8092 6
    ("c02303" "00fde8", Action.TREAT_AS_WITHDRAW),  # RFC 9234 5
    ("c01604" "00060000", Action.TREAT_AS_WITHDRAW),
    ("801a0a" "01000a" "00000000000064", Action.ATTRIBUTE_DISCARD),  # RFC 7311 3
    ("801d03" "040200", Action.ATTRIBUTE_DISCARD),  # RFC 9552 8.2.2
    ("c02809" "010006" "000000000064", Action.ATTRIBUTE_DISCARD),  # RFC 8669 6
    ("c01206" "0001c0000201", Action.ATTRIBUTE_DISCARD),  # RFC 6793 6
]


@pytest.mark.parametrize(("wire", "action"), MALFORMED)
def test_malformed(wire: str, action: Action) -> None:
    attributes, errors, _ = decode_attributes(bytes.fromhex(wire), ASN2)
    assert attributes == []
    assert [error.action for error in errors] == [action]


@pytest.mark.parametrize(
    ("aggregator", "as4", "expected"),
    [
        # RFC 6793 4.2.3: AGGREGATOR is AS_TRANS: AS4_AGGREGATOR replaces it
        ("c00706" "5ba0" "c0000201", "c01208" "00011170" "c0000202", Aggregator(70000, "192.0.2.2")),
        # not AS_TRANS: AS4_AGGREGATOR (and AS4_PATH) are ignored
        ("c00706" "fde9" "c0000201", "c01208" "00011170" "c0000202", Aggregator(65001, "192.0.2.1")),
        ("c00706" "5ba0" "c0000201", "", Aggregator(23456, "192.0.2.1")),
    ],
)
def test_as4_aggregator_reconciliation(aggregator: str, as4: str, expected: Aggregator) -> None:
    attributes, errors, _ = decode_attributes(bytes.fromhex(aggregator + as4), ASN2)
    assert errors == []
    assert attributes == [expected]


def test_as4_path_ignored_when_aggregator_is_not_as_trans() -> None:
    wire = "400204" "0201" "5ba0" "c00706" "fde9" "c0000201" "c01106" "0201" "00011170"
    attributes, _, _ = decode_attributes(bytes.fromhex(wire), ASN2)
    assert AsPath(((2, (23456,)),)) in attributes


def test_unknown_optional_transitive_is_passed_on_partial() -> None:
    # RFC 4271 section 5: "the Partial bit ... set to 1"
    assert UnknownAttribute(0xC0, 0x63, b"\xab").encode().hex() == "e06301ab"
    assert UnknownAttribute(0x80, 0x64, b"\xab").encode().hex() == "806401ab"


ipv4 = st.ip_addresses(v=4).map(str)
u32 = st.integers(0, 0xFFFFFFFF)
attributes = st.one_of(
    st.builds(OriginatorId, ipv4),
    st.builds(ClusterList, st.lists(ipv4, min_size=1, max_size=80).map(tuple)),
    st.builds(ExtendedCommunities, st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=40).map(tuple)),
    st.builds(Ipv6ExtendedCommunities, st.lists(st.integers(0, 2**160 - 1), min_size=1, max_size=20).map(tuple)),
    st.builds(LargeCommunities, st.lists(st.tuples(u32, u32, u32), min_size=1, max_size=30).map(tuple)),
    st.builds(OnlyToCustomer, u32),
    st.builds(Aigp, st.integers(0, 2**64 - 1),
              st.lists(st.tuples(st.integers(2, 255), st.binary(max_size=20)), max_size=3).map(tuple)),
    st.builds(PmsiTunnel, st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFFFF), st.binary(max_size=20)),
    st.builds(PrefixSid, st.none() | u32, st.lists(st.tuples(st.integers(0, 0xFFFFFF), st.integers(0, 0xFFFFFF)),
                                                  max_size=5).map(tuple),
              st.lists(st.tuples(st.sampled_from([2, 4, 5, 6]), st.binary(max_size=20)), max_size=3).map(tuple)),
    st.builds(BgpLsAttribute, st.lists(st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=30)),
                                       max_size=5).map(tuple)),
)


@given(attributes)
def test_round_trip(value: object) -> None:
    decoded, errors, _ = decode_attributes(value.encode(ASN4), ASN4)
    assert errors == []
    assert decoded == [value]


@given(st.sampled_from([9, 10, 16, 18, 22, 25, 26, 29, 32, 35, 40]), st.binary(max_size=80))
def test_any_value_decodes_or_errors(type_code: int, value: bytes) -> None:
    flags = 0x80 if type_code in (9, 10, 26, 29) else 0xC0
    wire = bytes((flags, type_code, len(value))) + value
    try:
        decode_attributes(wire, ASN2)
    except BgpError:
        pass
