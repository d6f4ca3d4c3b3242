"""Path attributes: one table drives decode and encode; hypothesis round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpmesh.codec import (
    ATTRIBUTES,
    Aggregator,
    As4Path,
    AsPath,
    AtomicAggregate,
    Communities,
    LocalPref,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    NextHop,
    Origin,
    Session,
    UnknownAttribute,
    canonical_prefix,
    decode_attributes,
)
from bgpmesh.codec.attributes.as_path import merge_as4_path
from bgpmesh.errors import Action, BgpError, MalformedAsPath
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST

ASN4 = Session()
ASN2 = Session(asn4=False)

# (session, wire hex of the whole attribute, value).  Layouts from RFC 4271
# 4.3/5.1, RFC 1997, RFC 4760 3-4, RFC 2545 3; the same bytes inside UPDATEs
# were decoded by `exabgp decode` 5.0.15 to the values below.
VECTORS = [
    # flags 0x40 (transitive), type 1, length 1, IGP
    (ASN4, "400101" "00", Origin(0)),
    (ASN4, "400101" "02", Origin(2)),
    # AS_SEQUENCE of 65001, then AS_SET {65002, 65003}, 4-octet ASNs
    (
        ASN4,
        "400216" "0201" "0000fde9" "0102" "0000fdea0000fdeb" "0301" "00000001",
        AsPath(((2, (65001,)), (1, (65002, 65003)), (3, (1,)))),
    ),
    # the same AS_SEQUENCE with 2-octet ASNs
    (ASN2, "400204" "0201" "fde9", AsPath(((2, (65001,)),))),
    (ASN4, "400200", AsPath(())),
    (ASN4, "400304" "c0000201", NextHop("192.0.2.1")),
    (ASN4, "800404" "0000000a", MultiExitDisc(10)),
    (ASN4, "400504" "00000064", LocalPref(100)),
    (ASN4, "400600", AtomicAggregate()),
    (ASN4, "c00708" "0000fde9" "01020304", Aggregator(65001, "1.2.3.4")),
    (ASN2, "c00706" "fde9" "01020304", Aggregator(65001, "1.2.3.4")),
    # COMMUNITIES 65000:1 and NO_EXPORT (RFC 1997)
    (ASN4, "c00808" "fde80001" "ffffff01", Communities((0xFDE80001, 0xFFFFFF01))),
    # MP_REACH_NLRI ipv6 unicast, next hop 2001:db8::1, 2001:db8::/32
    (
        ASN4,
        "800e1a" "0002" "01" "10" "20010db8000000000000000000000001" "00" "2020010db8",
        MpReachNlri(IPV6_UNICAST, ("2001:db8::1",), ("2001:db8::/32",)),
    ),
    # RFC 2545 section 3: global and link-local next hops (length 32)
    (
        ASN4,
        "800e2a" "0002" "01" "20" "20010db8000000000000000000000001"
        "fe800000000000000000000000000001" "00" "2020010db8",
        MpReachNlri(IPV6_UNICAST, ("2001:db8::1", "fe80::1"), ("2001:db8::/32",)),
    ),
    (ASN4, "800f08" "0002" "01" "2020010db8", MpUnreachNlri(IPV6_UNICAST, ("2001:db8::/32",))),
    (ASN4, "800f03" "0002" "01", MpUnreachNlri(IPV6_UNICAST, ())),
    (ASN4, "e06302" "abcd", UnknownAttribute(0xE0, 0x63, b"\xab\xcd")),
]


@pytest.mark.parametrize(("session", "wire", "value"), VECTORS)
def test_encode(session: Session, wire: str, value: object) -> None:
    assert value.encode(session).hex() == wire


@pytest.mark.parametrize(("session", "wire", "value"), VECTORS)
def test_decode(session: Session, wire: str, value: object) -> None:
    assert decode_attributes(bytes.fromhex(wire), session)[:2] == ([value], [])


def test_registry_is_keyed_by_type_code() -> None:
    assert ATTRIBUTES[1] is Origin and ATTRIBUTES[14] is MpReachNlri


def test_extended_length_when_value_exceeds_255() -> None:
    communities = Communities(tuple(range(64)))  # 256 octets
    wire = communities.encode(ASN4)
    assert wire[:4].hex() == "d0080100"  # flags 0xC0|0x10, type 8, length 256
    assert decode_attributes(wire, ASN4)[0] == [communities]
    assert Communities(tuple(range(63))).encode(ASN4)[:3].hex() == "c008fc"


def test_large_asn_to_old_speaker_uses_as_trans_and_as4_path() -> None:
    path = AsPath(((2, (65001, 4200000000)),))
    wire = path.encode(ASN2)
    # AS_PATH with AS_TRANS (23456 = 0x5ba0), then AS4_PATH (0xC0, 17)
    assert wire.hex() == "400206" "0202" "fde9" "5ba0" "c0110a" "0202" "0000fde9" "fa56ea00"
    assert decode_attributes(wire, ASN2)[0] == [path]


def test_as4_path_merge_keeps_leading_as_path() -> None:
    # RFC 6793 section 4.2.3: AS_PATH has 3 ASes, AS4_PATH 2: keep 1 leading
    as_path = ((2, (65001, 23456, 65003)),)
    as4_path = ((2, (4200000000, 65003)),)
    assert merge_as4_path(as_path, as4_path) == ((2, (65001,)), (2, (4200000000, 65003)))
    # a longer AS4_PATH is ignored
    assert merge_as4_path(((2, (1,)),), as4_path) == ((2, (1,)),)


def test_as4_path_between_new_speakers_is_discarded() -> None:
    wire = bytes.fromhex("400206" "0201" "0000fde9" "c01106" "0201" "fa56ea00")
    assert decode_attributes(wire, ASN4)[0] == [AsPath(((2, (65001,)),))]


@pytest.mark.parametrize(
    "wire",
    [
        "400204" "0501" "fde9",  # segment type 5
        "400202" "0200",  # zero-length segment
        "400204" "0202" "fde9",  # segment overrun
        "400201" "02",  # truncated segment header
    ],
)
def test_malformed_as_path_is_treat_as_withdraw(wire: str) -> None:
    _, errors, _ = decode_attributes(bytes.fromhex(wire), ASN2)
    assert [type(e) for e in errors] == [MalformedAsPath]
    assert errors[0].action == Action.TREAT_AS_WITHDRAW
    assert errors[0].data == bytes.fromhex(wire)  # RFC 4271 6.3: the attribute


def test_malformed_as4_path_is_discarded() -> None:
    _, errors, _ = decode_attributes(bytes.fromhex("c01103" "020100"), ASN2)
    assert errors[0].action == Action.ATTRIBUTE_DISCARD


asns = st.integers(min_value=0, max_value=2**32 - 1)
segments = st.lists(
    st.tuples(st.sampled_from([1, 2, 3, 4]), st.lists(asns, min_size=1, max_size=255).map(tuple)),
    max_size=4,
).map(tuple)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(lambda a: canonical_prefix(IPV6_UNICAST, str(a))[:-4])


def _prefixes(version: int, bits: int) -> st.SearchStrategy[tuple[str, ...]]:
    family = IPV4_UNICAST if version == 4 else IPV6_UNICAST

    def build(pair: tuple[object, int]) -> str:
        # inet_ntop's spelling (RFC 5952: "::ffff:0.0.0.0/96"), not ipaddress's
        return canonical_prefix(family, f"{pair[0]}/{pair[1]}")

    single = st.tuples(st.ip_addresses(v=version), st.integers(0, bits)).map(build)
    return st.lists(single, max_size=20).map(tuple)


attributes = st.one_of(
    st.integers(0, 2).map(Origin),
    segments.map(AsPath),
    ipv4.map(NextHop),
    asns.map(MultiExitDisc),
    asns.map(LocalPref),
    st.just(AtomicAggregate()),
    st.builds(Aggregator, asns, ipv4),
    st.lists(asns, min_size=1, max_size=100).map(tuple).map(Communities),
    st.builds(MpReachNlri, st.just(IPV6_UNICAST), st.tuples(ipv6), _prefixes(6, 128)),
    st.builds(MpReachNlri, st.just(IPV6_UNICAST), st.tuples(ipv6, ipv6), _prefixes(6, 128)),
    st.builds(MpReachNlri, st.just(IPV4_UNICAST), st.tuples(ipv4), _prefixes(4, 32)),
    st.builds(MpUnreachNlri, st.just(IPV6_UNICAST), _prefixes(6, 128)),
    st.builds(
        UnknownAttribute,
        st.sampled_from([0x80, 0xE0]),
        st.integers(19, 255).filter(lambda code: code not in ATTRIBUTES),
        st.binary(max_size=300),
    ),
)


@given(attributes)
def test_round_trip_asn4(value: object) -> None:
    assert decode_attributes(value.encode(ASN4), ASN4)[:2] == ([value], [])


@given(segments.map(lambda s: tuple(x for x in s if x[0] in (1, 2))).map(AsPath))
def test_as_path_round_trip_to_old_speaker(path: AsPath) -> None:
    # without confederation segments the AS4_PATH merge restores the path
    assert decode_attributes(path.encode(ASN2), ASN2)[0] == [path]


@given(st.binary(max_size=120), st.booleans())
def test_any_bytes_decode_or_report(data: bytes, asn4: bool) -> None:
    found, errors, _ = decode_attributes(data, Session(asn4=asn4))
    assert all(isinstance(error, BgpError) for error in errors)


def test_as4_path_class_round_trip() -> None:
    value = As4Path(((2, (4200000000,)),))
    assert As4Path.decode(value.encode()[3:], ASN2) == value
