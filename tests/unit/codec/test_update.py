"""UPDATE: vectors, RFC 7606 error handling, End-of-RIB, fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgpmesh.codec import (
    Aggregator,
    AsPath,
    AtomicAggregate,
    Communities,
    LocalPref,
    MessageReader,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    NextHop,
    Origin,
    Session,
    UnknownAttribute,
    Update,
)
from bgpmesh.codec.nlri.prefix import PathPrefix
from bgpmesh.errors import (
    Action,
    AttributeFlagsError,
    AttributeLengthError,
    BgpError,
    DuplicateAttribute,
    DuplicateMultiprotocolAttribute,
    InvalidNetworkField,
    InvalidOriginAttribute,
    MalformedAttributeList,
    MalformedMultiprotocolAttribute,
    MissingWellKnownAttribute,
    UnrecognizedWellKnownAttribute,
)
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family

SESSION = Session()

ORIGIN_IGP = "40010100"
AS_PATH_65001 = "40020602010000fde9"
NEXT_HOP = "400304c0000201"
BASE = ORIGIN_IGP + AS_PATH_65001 + NEXT_HOP


def body(withdrawn: str = "", attributes: str = "", nlri: str = "") -> bytes:
    w, a = bytes.fromhex(withdrawn), bytes.fromhex(attributes)
    return len(w).to_bytes(2, "big") + w + len(a).to_bytes(2, "big") + a + bytes.fromhex(nlri)


# Body hex and the decoded Update.  The first was built by hand and decoded by
# `exabgp decode --update` (5.0.15): origin igp, as-path 65001 {65002 65003}
# (confed 1), next hop 192.0.2.1, med 10, local-preference 100, community
# 65000:1, aggregator 65001:1.2.3.4, atomic-aggregate, attribute-0x63,
# announce 10.0.0.0/24, withdraw 10.1.0.0/24.
VECTORS = [
    (
        "0004" "180a0100"
        "004c"
        "400101" "00"
        "400216" "0201" "0000fde9" "0102" "0000fdea0000fdeb" "0301" "00000001"
        "400304" "c0000201"
        "800404" "0000000a"
        "400504" "00000064"
        "c00804" "fde80001"
        "c00708" "0000fde9" "01020304"
        "400600"
        "e06302" "abcd"
        "180a0000",
        Update(
            withdrawn=("10.1.0.0/24",),
            attributes=(
                Origin(0),
                AsPath(((2, (65001,)), (1, (65002, 65003)), (3, (1,)))),
                NextHop("192.0.2.1"),
                MultiExitDisc(10),
                LocalPref(100),
                Communities((0xFDE80001,)),
                Aggregator(65001, "1.2.3.4"),
                AtomicAggregate(),
                UnknownAttribute(0xE0, 0x63, b"\xab\xcd"),
            ),
            nlri=("10.0.0.0/24",),
        ),
    ),
    # ExaBGP-decoded IPv6 announcement: origin igp, as-path 65000, med 10,
    # community 65000:1, ipv6 unicast 2001:db8::/32 via 2001:db8::1
    (
        "0000" "0038"
        "400101" "00" "400206" "0201" "0000fde8" "800404" "0000000a" "c00804" "fde80001"
        "800e1a" "0002" "01" "10" "20010db8000000000000000000000001" "00" "2020010db8",
        Update(
            attributes=(
                Origin(0),
                AsPath(((2, (65000,)),)),
                MultiExitDisc(10),
                Communities((0xFDE80001,)),
                MpReachNlri(IPV6_UNICAST, ("2001:db8::1",), ("2001:db8::/32",)),
            )
        ),
    ),
    # IPv4 withdrawal only
    ("0008" "180a0100" "0b0a20" "00" "0000", Update(withdrawn=("10.1.0.0/24", "10.32.0.0/11", "0.0.0.0/0"))),
    # IPv4 unicast End-of-RIB (RFC 4724 section 2)
    ("0000" "0000", Update()),
    # IPv6 unicast End-of-RIB: only an empty MP_UNREACH_NLRI
    ("0000" "0006" "800f03" "000201", Update(attributes=(MpUnreachNlri(IPV6_UNICAST),))),
]


@pytest.mark.parametrize(("wire", "update"), VECTORS)
def test_decode(wire: str, update: Update) -> None:
    decoded = Update.decode(bytes.fromhex(wire), SESSION)
    assert decoded == update
    assert decoded.errors == ()


@pytest.mark.parametrize(("wire", "update"), VECTORS)
def test_encode(wire: str, update: Update) -> None:
    assert update.encode(SESSION)[19:].hex() == wire


def test_eor() -> None:
    assert Update().eor_family == IPV4_UNICAST
    assert Update(attributes=(MpUnreachNlri(IPV6_UNICAST),)).eor_family == IPV6_UNICAST
    assert Update(attributes=(MpUnreachNlri(Family(1, 133)),)).is_eor  # any family
    assert not Update(withdrawn=("10.0.0.0/8",)).is_eor
    assert not Update(attributes=(MpUnreachNlri(IPV6_UNICAST, ("::/0",)),)).is_eor


def test_announced_and_withdrawals() -> None:
    update = VECTORS[0][1]
    assert update.announced() == [(IPV4_UNICAST, "10.0.0.0/24", ("192.0.2.1",))]
    assert update.withdrawals() == [(IPV4_UNICAST, "10.1.0.0/24")]
    assert VECTORS[1][1].announced() == [(IPV6_UNICAST, "2001:db8::/32", ("2001:db8::1",))]
    assert VECTORS[4][1].withdrawals() == []


# RFC 7606: (body, strongest error class, action)
ERROR_CASES = [
    # section 7.1: ORIGIN value 3 is undefined: treat-as-withdraw
    (body(attributes="40010103" + AS_PATH_65001 + NEXT_HOP, nlri="180a0000"), InvalidOriginAttribute),
    # section 7.1: ORIGIN of length 2: attribute length error, treat-as-withdraw
    (body(attributes="4001020000" + AS_PATH_65001 + NEXT_HOP, nlri="180a0000"), AttributeLengthError),
    # section 7.4: MED of length 3
    (body(attributes=BASE + "800403000000", nlri="180a0000"), AttributeLengthError),
    # section 4: last attribute overruns the Total Path Attribute Length
    (body(attributes=BASE + "800408000000", nlri=""), AttributeLengthError),
    # section 3: missing well-known ORIGIN while NLRI present
    (body(attributes=AS_PATH_65001 + NEXT_HOP, nlri="180a0000"), MissingWellKnownAttribute),
    # NEXT_HOP is mandatory with IPv4 NLRI
    (body(attributes=ORIGIN_IGP + AS_PATH_65001, nlri="180a0000"), MissingWellKnownAttribute),
    # section 3: ORIGIN marked optional: flags error, treat-as-withdraw
    (body(attributes="c0010100" + AS_PATH_65001 + NEXT_HOP, nlri="180a0000"), AttributeFlagsError),
]


@pytest.mark.parametrize(("wire", "error"), ERROR_CASES)
def test_treat_as_withdraw(wire: bytes, error: type) -> None:
    update = Update.decode(wire, SESSION)
    assert update.treat_as_withdraw
    assert any(type(e) is error for e in update.errors)
    assert max(e.action for e in update.errors) == Action.TREAT_AS_WITHDRAW
    assert update.nlri == () and update.announced() == []
    if wire.endswith(bytes.fromhex("180a0000")):
        assert update.withdrawn == ("10.0.0.0/24",)
    assert not update.is_eor


def test_treat_as_withdraw_moves_mp_reach_to_unreach() -> None:
    mp = "800e1a" "0002" "01" "10" "20010db8000000000000000000000001" "00" "2020010db8"
    update = Update.decode(body(attributes="40010105" + AS_PATH_65001 + mp), SESSION)
    assert update.treat_as_withdraw
    assert update.attributes == (MpUnreachNlri(IPV6_UNICAST, ("2001:db8::/32",)),)
    assert update.withdrawals() == [(IPV6_UNICAST, "2001:db8::/32")]


def test_missing_as_path_with_mp_reach_only() -> None:
    mp = "800e1a" "0002" "01" "10" "20010db8000000000000000000000001" "00" "2020010db8"
    update = Update.decode(body(attributes=ORIGIN_IGP + mp), SESSION)
    assert [type(e) for e in update.errors] == [MissingWellKnownAttribute]
    assert update.errors[0].data == b"\x02"


def test_no_nlri_means_no_missing_attribute_error() -> None:
    assert Update.decode(body(attributes=ORIGIN_IGP), SESSION).errors == ()


def test_attribute_discard_keeps_the_routes() -> None:
    # RFC 7606 7.6: ATOMIC_AGGREGATE with a length other than 0 is discarded
    update = Update.decode(body(attributes=BASE + "40060100", nlri="180a0000"), SESSION)
    assert not update.treat_as_withdraw
    assert update.nlri == ("10.0.0.0/24",)
    assert [type(e) for e in update.errors] == [AttributeLengthError]
    assert update.errors[0].action == Action.ATTRIBUTE_DISCARD
    assert update.attribute(AtomicAggregate) is None


def test_repeated_attribute_is_discarded() -> None:
    update = Update.decode(body(attributes=BASE + "40010102", nlri="180a0000"), SESSION)
    assert update.attribute(Origin) == Origin(0)
    assert [type(e) for e in update.errors] == [DuplicateAttribute]
    assert update.nlri == ("10.0.0.0/24",)


SESSION_RESETS = [
    # section 5.3: an NLRI prefix longer than 32 bits
    (body(attributes=BASE, nlri="21" "0a000000" "00"), InvalidNetworkField),
    # NLRI prefix cut short
    (body(attributes=BASE, nlri="180a00"), InvalidNetworkField),
    # malformed withdrawn routes
    (body(withdrawn="19" "0a00"), InvalidNetworkField),
    # withdrawn routes length beyond the message
    (bytes.fromhex("0010" "0a"), MalformedAttributeList),
    # total path attribute length beyond the message
    (bytes.fromhex("0000" "0010" "400101"), MalformedAttributeList),
    # section 3: MP_UNREACH_NLRI twice
    (body(attributes="800f03000201" "800f03000201"), DuplicateMultiprotocolAttribute),
    # section 7.11: MP_REACH_NLRI with a next hop length of 5
    (body(attributes=ORIGIN_IGP + AS_PATH_65001 + "800e0a" "000201" "05" "0000000000" "00"), MalformedMultiprotocolAttribute),
    # RFC 4271 6.3: unrecognized well-known attribute (type 99, not optional)
    (body(attributes="406300"), UnrecognizedWellKnownAttribute),
]


@pytest.mark.parametrize(("wire", "error"), SESSION_RESETS)
def test_session_reset_raises(wire: bytes, error: type) -> None:
    with pytest.raises(error) as caught:
        Update.decode(wire, SESSION)
    assert caught.value.action == Action.SESSION_RESET


ADD_PATH_V4 = Session(add_path_receive=frozenset({IPV4_UNICAST}),
                      add_path_send=frozenset({IPV4_UNICAST}))


def test_add_path_receive_keeps_path_identifiers() -> None:
    update = Update.decode(body(withdrawn="00000003" "180a0100",
                                attributes=BASE, nlri="00000001" "180a0000" "00000002" "180a0000"),
                           ADD_PATH_V4)
    assert update.nlri == (PathPrefix("10.0.0.0/24", 1), PathPrefix("10.0.0.0/24", 2))
    assert update.withdrawn == (PathPrefix("10.1.0.0/24", 3),)
    # two paths of one prefix: two routes, each its own key
    assert [nlri for _, nlri, _ in update.announced()] == list(update.nlri)
    assert update.withdrawals() == [(IPV4_UNICAST, PathPrefix("10.1.0.0/24", 3))]


def test_add_path_only_for_the_negotiated_family() -> None:
    # IPv4 with ADD-PATH, IPv6 without: the MP_REACH_NLRI prefixes stay text
    mp = "0002" "01" "10" + "20010db8" + "00" * 12 + "00" + "2020010db8"
    mp_attr = "900e" + f"{len(bytes.fromhex(mp)):04x}" + mp
    update = Update.decode(body(attributes=ORIGIN_IGP + AS_PATH_65001 + mp_attr), ADD_PATH_V4)
    assert update.attribute(MpReachNlri).nlri == ("2001:db8::/32",)


def test_add_path_treat_as_withdraw_keeps_the_paths() -> None:
    # MED of length 3: RFC 7606 treat-as-withdraw; the paths are withdrawn one by one
    update = Update.decode(body(attributes=BASE + "800403000000", nlri="00000001" "180a0000"
                                "00000002" "180a0000"), ADD_PATH_V4)
    assert update.treat_as_withdraw
    assert update.withdrawn == (PathPrefix("10.0.0.0/24", 1), PathPrefix("10.0.0.0/24", 2))


def test_mp_add_path_keeps_path_identifiers_and_re_encodes() -> None:
    session = Session(add_path_receive=frozenset({IPV6_UNICAST}), add_path_send=frozenset({IPV6_UNICAST}))
    reach = MpReachNlri(IPV6_UNICAST, ("2001:db8::1",),
                        (PathPrefix("2001:db8::/32", 1), PathPrefix("2001:db8::/32", 9)))
    unreach = MpUnreachNlri(IPV6_UNICAST, (PathPrefix("2001:db8:1::/48", 4),))
    update = Update((), (Origin(0), AsPath(()), reach, unreach), ())
    [decoded] = MessageReader().feed(update.encode(session), session)
    assert decoded.attribute(MpReachNlri) == reach
    assert decoded.attribute(MpUnreachNlri) == unreach


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=120), st.booleans())
def test_any_bytes_give_an_update_or_a_bgp_error(data: bytes, asn4: bool) -> None:
    try:
        update = Update.decode(data, Session(asn4=asn4))
    except BgpError:
        return
    assert isinstance(update, Update)


prefixes = st.lists(
    st.tuples(st.ip_addresses(v=4), st.integers(0, 32)).map(lambda p: f"{p[0]}/{p[1]}"), max_size=10
)


@given(prefixes, prefixes)
def test_round_trip(withdrawn: list[str], nlri: list[str]) -> None:
    from bgpmesh.codec import canonical_prefix

    withdrawn_t = tuple(canonical_prefix(IPV4_UNICAST, p) for p in withdrawn)
    nlri_t = tuple(canonical_prefix(IPV4_UNICAST, p) for p in nlri)
    attributes = (Origin(0), AsPath(((2, (65001,)),)), NextHop("192.0.2.1")) if nlri_t else ()
    update = Update(withdrawn_t, attributes, nlri_t)
    [decoded] = MessageReader().feed(update.encode(SESSION), SESSION)
    assert decoded == update


paths = st.lists(st.tuples(st.ip_addresses(v=4), st.integers(0, 32), st.integers(0, 2**32 - 1)), max_size=10)


@given(paths, paths)
def test_add_path_round_trip(withdrawn: list, nlri: list) -> None:
    from bgpmesh.codec import canonical_prefix

    withdrawn_t = tuple(PathPrefix(canonical_prefix(IPV4_UNICAST, f"{a}/{n}"), i) for a, n, i in withdrawn)
    nlri_t = tuple(PathPrefix(canonical_prefix(IPV4_UNICAST, f"{a}/{n}"), i) for a, n, i in nlri)
    attributes = (Origin(0), AsPath(((2, (65001,)),)), NextHop("192.0.2.1")) if nlri_t else ()
    update = Update(withdrawn_t, attributes, nlri_t)
    [decoded] = MessageReader().feed(update.encode(ADD_PATH_V4), ADD_PATH_V4)
    assert decoded == update


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60), st.binary(max_size=60))
def test_any_add_path_nlri_give_an_update_or_a_bgp_error(withdrawn: bytes, nlri: bytes) -> None:
    session = Session(add_path_receive=frozenset({IPV4_UNICAST, IPV6_UNICAST}))
    try:
        update = Update.decode(body(withdrawn.hex(), BASE, nlri.hex()), session)
    except BgpError:
        return
    assert all(type(p) is PathPrefix for p in update.nlri + update.withdrawn)
    # what decoded encodes back to the same octets (host bits aside: cleared)
    [again] = MessageReader().feed(update.encode(session), session)
    assert again == update
