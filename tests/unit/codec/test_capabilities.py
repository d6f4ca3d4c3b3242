"""Capabilities (RFC 5492 and the RFCs below): one table drives decode and
encode; hypothesis round trips; negotiation of ADD-PATH (RFC 7911 5).

The OPEN carrying codes 1, 2, 5, 6, 64, 65, 69, 70, 73, 75 and 185 below was
decoded by `exabgp decode --open` 5.0.15 to the same values (it shows 9 and
71 as unknown).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpmesh.api.json import open_message
from bgpmesh.codec import (
    CAPABILITIES,
    AddPath,
    BgpRole,
    EnhancedRouteRefresh,
    ExtendedNextHop,
    FourOctetAs,
    Fqdn,
    GracefulRestart,
    LongLivedGracefulRestart,
    Multiprotocol,
    MultiSession,
    Open,
    Operational,
    Session,
    SoftwareVersion,
    UnknownCapability,
    negotiate,
)
from bgpmesh.codec.capabilities import decode_capabilities
from bgpmesh.errors import BgpError, OpenMessageError
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family

# (whole capability TLV hex, value)
VECTORS = [
    # RFC 8950 section 3: NLRI AFI 1, NLRI SAFI 1, next hop AFI 2
    ("0506" "0001" "0001" "0002", ExtendedNextHop(((IPV4_UNICAST, 2),))),
    # RFC 9234 section 4.1: role 2 is RS-Client
    ("0901" "02", BgpRole(2)),
    # RFC 4724 section 3: R bit, restart time 120; ipv4 unicast, F bit
    ("4006" "8078" "0001" "01" "80", GracefulRestart(8, 120, ((IPV4_UNICAST, 0x80),))),
    ("4002" "0078", GracefulRestart(0, 120)),
    # RFC 7911 section 4: ipv4 unicast send/receive, ipv6 unicast receive
    ("4508" "0001" "01" "03" "0002" "01" "01", AddPath(((IPV4_UNICAST, 3), (IPV6_UNICAST, 1)))),
    ("4600", EnhancedRouteRefresh()),
    # RFC 9494 section 3: ipv4 unicast, F bit, stale time 3600
    ("4707" "0001" "01" "80" "000e10", LongLivedGracefulRestart(((IPV4_UNICAST, 0x80, 3600),))),
    # draft-walton-bgp-hostname-capability: "rtr1" / "ex.com"
    ("490c" "04" "72747231" "06" "65782e636f6d", Fqdn("rtr1", "ex.com")),
    # draft-abraitis-bgp-version-capability: "bgp-1"
    ("4b06" "05" "6267702d31", SoftwareVersion("bgp-1")),
    ("4401" "01", MultiSession((1,))),
    ("b900", Operational()),
    ("4104" "00011170", FourOctetAs(70000)),
]


@pytest.mark.parametrize(("wire", "value"), VECTORS)
def test_decode(wire: str, value: object) -> None:
    assert decode_capabilities(bytes.fromhex(wire)) == [value]


@pytest.mark.parametrize(("wire", "value"), VECTORS)
def test_encode(wire: str, value: object) -> None:
    assert value.encode().hex() == wire


def test_registry() -> None:
    for code in (5, 6, 9, 64, 65, 68, 69, 70, 71, 73, 75, 185):
        assert CAPABILITIES[code].CODE == code
    assert decode_capabilities(bytes.fromhex("9902abcd")) == [UnknownCapability(0x99, b"\xab\xcd")]


@pytest.mark.parametrize(
    "wire",
    [
        "0505" "0001000100",  # extended next hop: not a multiple of 6
        "0900",  # role: RFC 9234 wants exactly one octet
        "0902" "0102",
        "4001" "00",  # graceful restart: no restart time
        "4005" "0078000101",  # graceful restart: a partial family
        "4503" "000101",  # ADD-PATH: a partial family
        "4706" "000101800000",  # LLGR: not a multiple of 7
        "4903" "05616263",  # hostname longer than the value
        "4b02" "0561",  # software version longer than the value
        "4b00",
    ],
)
def test_malformed(wire: str) -> None:
    with pytest.raises(OpenMessageError):
        decode_capabilities(bytes.fromhex(wire))


def test_peer_strings_are_replaced_not_trusted() -> None:
    (value,) = decode_capabilities(bytes.fromhex("4b03" "02ff22"))
    assert value == SoftwareVersion('\ufffd"')


families = st.builds(Family, st.integers(0, 0xFFFF), st.integers(0, 255))
capabilities = st.one_of(
    st.builds(ExtendedNextHop, st.lists(st.tuples(st.builds(Family, st.integers(0, 0xFFFF),
                                                            st.integers(0, 0xFFFF)),
                                                  st.integers(0, 0xFFFF)), max_size=40).map(tuple)),
    st.builds(BgpRole, st.integers(0, 255)),
    st.builds(GracefulRestart, st.integers(0, 15), st.integers(0, 0xFFF),
              st.lists(st.tuples(families, st.integers(0, 255)), max_size=60).map(tuple)),
    st.builds(AddPath, st.lists(st.tuples(families, st.integers(0, 255)), max_size=60).map(tuple)),
    st.builds(LongLivedGracefulRestart,
              st.lists(st.tuples(families, st.integers(0, 255), st.integers(0, 0xFFFFFF)), max_size=35).map(tuple)),
    st.builds(Fqdn, st.text(max_size=20), st.text(max_size=20)),
    st.builds(SoftwareVersion, st.text(max_size=20)),
    st.builds(MultiSession, st.lists(st.integers(0, 255), max_size=20).map(tuple)),
)


@given(capabilities)
def test_round_trip(value: object) -> None:
    assert decode_capabilities(value.encode()) == [value]


@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise(data: bytes) -> None:
    try:
        decode_capabilities(data)
    except BgpError:
        pass


def _open(*capabilities: object) -> Open:
    return Open(65001, 90, "192.0.2.1", (Multiprotocol(IPV4_UNICAST), Multiprotocol(IPV6_UNICAST)) + capabilities)


@pytest.mark.parametrize(
    ("local", "remote", "receive", "send"),
    [
        # RFC 7911 section 5: receive needs our "receive" and their "send"
        (3, 3, {IPV4_UNICAST}, {IPV4_UNICAST}),
        (1, 2, {IPV4_UNICAST}, set()),
        (2, 1, set(), {IPV4_UNICAST}),
        (1, 1, set(), set()),
        (None, 3, set(), set()),
    ],
)
def test_negotiate_add_path(local: int | None, remote: int, receive: set, send: set) -> None:
    mine = _open(AddPath(((IPV4_UNICAST, local),))) if local else _open()
    theirs = _open(AddPath(((IPV4_UNICAST, remote), (IPV6_UNICAST, 1))))
    negotiated = negotiate(mine, theirs)
    assert negotiated.session.add_path_receive == receive
    assert negotiated.session.add_path_send == send
    assert negotiated.session.asn4 is False


def test_negotiate_other_capabilities() -> None:
    both = (EnhancedRouteRefresh(), ExtendedNextHop(((IPV4_UNICAST, 2),)), FourOctetAs(65001))
    negotiated = negotiate(_open(*both), _open(*both))
    assert negotiated.enhanced_route_refresh
    assert negotiated.extended_next_hop == {(IPV4_UNICAST, 2)}
    assert negotiated.session == Session(extended_next_hop=frozenset({(IPV4_UNICAST, 2)}))
    assert not negotiate(_open(), _open(*both)).enhanced_route_refresh


def test_json_matches_exabgp() -> None:
    # keys and values as `exabgp decode --open` 5.0.15 printed them
    message = _open(
        ExtendedNextHop(((IPV4_UNICAST, 2),)),
        GracefulRestart(8, 120, ((IPV4_UNICAST, 0x80),)),
        AddPath(((IPV4_UNICAST, 3),)),
        EnhancedRouteRefresh(),
        Fqdn("rtr1", "ex.com"),
        SoftwareVersion("bgp-1"),
        Operational(),
        UnknownCapability(153, b"\xab\xcd"),
    )
    capabilities = open_message(message)["open"]["capabilities"]
    assert capabilities["5"] == {"name": "nexthop", "conversion": ["ipv4/unicast/ipv6"]}
    assert capabilities["64"] == {
        "name": "graceful restart",
        "time": 120,
        "address-family-flags": {"ipv4/unicast": ["restart"]},
        "restart-flags": ["forwarding"],
    }
    assert capabilities["69"] == {"name": "addpath", "ipv4/unicast": "send/receive"}
    assert capabilities["70"] == {"name": "enhanced-route-refresh"}
    assert capabilities["73"] == {"host-name": "rtr1", "domain-name": "ex.com"}
    assert capabilities["75"] == {"software": "bgp-1"}
    assert capabilities["185"] == {"name": "operational"}
    assert capabilities["153"] == {"name": "unknown", "iana": "reserved", "value": 153, "raw": "ABCD"}
