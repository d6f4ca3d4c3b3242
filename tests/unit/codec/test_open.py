"""OPEN, capabilities and negotiation (RFC 4271 4.2/6.2, RFC 5492, RFC 6793)."""

from __future__ import annotations

import pytest

from bgpmesh.codec import (
    CAPABILITIES,
    FourOctetAs,
    GracefulRestart,
    Multiprotocol,
    Open,
    RouteRefreshCapability,
    Session,
    negotiate,
)
from bgpmesh.errors import (
    BadBgpIdentifier,
    BadPeerAs,
    OpenMessageError,
    UnacceptableHoldTime,
    UnsupportedOptionalParameter,
    UnsupportedVersionNumber,
)
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family

SESSION = Session()

# Built by hand and decoded by `exabgp decode --open` (5.0.15): version 4,
# asn 23456 (AS_TRANS), hold 90, router id 192.0.2.1, multiprotocol ipv4 and
# ipv6 unicast, route-refresh, asn4 70000, capability 64 (graceful restart,
# restart time 120, no flags, no families) with value 0078.
OPEN_WIRE = (
    "04" "5ba0" "005a" "c0000201" "1a"
    "02" "18"
    "0104" "00010001"
    "0104" "00020001"
    "0200"
    "4104" "00011170"
    "4002" "0078"
)
OPEN = Open(
    70000,
    90,
    "192.0.2.1",
    (
        Multiprotocol(IPV4_UNICAST),
        Multiprotocol(IPV6_UNICAST),
        RouteRefreshCapability(),
        FourOctetAs(70000),
        GracefulRestart(0, 120),
    ),
)


def test_encode() -> None:
    assert OPEN.encode()[19:].hex() == OPEN_WIRE


def test_decode_keeps_the_two_octet_field() -> None:
    decoded = Open.decode(bytes.fromhex(OPEN_WIRE), SESSION)
    assert decoded.asn == 23456
    assert decoded.peer_asn == 70000
    assert decoded.capabilities == OPEN.capabilities
    assert decoded.capability(FourOctetAs) == FourOctetAs(70000)
    assert decoded.capability(type(None)) is None


def test_registry() -> None:
    assert CAPABILITIES[65] is FourOctetAs


def test_extended_optional_parameters() -> None:
    # RFC 9072: Non-Ext OP Len 255, Non-Ext OP Type 255, 2-octet lengths
    wire = "04" "fde9" "005a" "c0000201" "ff" "ff" "0007" "02" "0004" "0200" "0600"
    decoded = Open.decode(bytes.fromhex(wire), SESSION)
    assert decoded.capability(RouteRefreshCapability) == RouteRefreshCapability()


@pytest.mark.parametrize(
    ("wire", "error"),
    [
        ("04" "fde9" "005a" "c0000201" "03" "010100", UnsupportedOptionalParameter),
        ("04" "fde9" "005a" "c0000201" "05" "0203" "0104", OpenMessageError),
        ("04" "fde9" "005a" "c0000201" "04", OpenMessageError),
    ],
)
def test_malformed(wire: str, error: type) -> None:
    with pytest.raises(error):
        Open.decode(bytes.fromhex(wire), SESSION)


@pytest.mark.parametrize(
    ("message", "expected", "error"),
    [
        (Open(65001, 90, "192.0.2.1", version=3), None, UnsupportedVersionNumber),
        (Open(65001, 90, "192.0.2.1"), 65002, BadPeerAs),
        (Open(23456, 90, "192.0.2.1", (FourOctetAs(70000),)), 70001, BadPeerAs),
        (Open(65001, 2, "192.0.2.1"), None, UnacceptableHoldTime),
        (Open(65001, 1, "192.0.2.1"), None, UnacceptableHoldTime),
        (Open(65001, 90, "0.0.0.0"), None, BadBgpIdentifier),
    ],
)
def test_validate(message: Open, expected: int | None, error: type) -> None:
    with pytest.raises(error) as caught:
        message.validate(expected)
    if error is UnsupportedVersionNumber:
        assert caught.value.data == b"\x00\x04"


def test_validate_accepts() -> None:
    OPEN.validate(70000)
    Open(65001, 0, "192.0.2.1").validate(65001)


def test_negotiate() -> None:
    local = Open(65000, 180, "192.0.2.2", (Multiprotocol(IPV4_UNICAST), Multiprotocol(IPV6_UNICAST),
                                          RouteRefreshCapability(), FourOctetAs(65000)))
    negotiated = negotiate(local, OPEN)
    assert negotiated.session == Session(asn4=True)
    assert negotiated.families == {IPV4_UNICAST, IPV6_UNICAST}
    assert negotiated.route_refresh
    assert (negotiated.hold_time, negotiated.keepalive_time) == (90, 30)


def test_negotiate_without_capabilities_is_ipv4_only_and_two_octet() -> None:
    local = Open(65000, 0, "192.0.2.2", (Multiprotocol(IPV6_UNICAST), Multiprotocol(IPV4_UNICAST)))
    negotiated = negotiate(local, Open(65001, 90, "192.0.2.1"))
    assert negotiated.families == {IPV4_UNICAST}
    assert not negotiated.session.asn4 and not negotiated.route_refresh
    assert (negotiated.hold_time, negotiated.keepalive_time) == (0, 0)


def test_extended_optional_parameters_are_sent_when_needed() -> None:
    # RFC 9072 section 2: 255, 255, 2-octet length, then type + 2-octet length
    many = tuple(Multiprotocol(Family(afi, 1)) for afi in range(1, 50))
    message = Open(65001, 90, "192.0.2.1", many)
    body = message.encode()[19:]
    assert body[9] == 255 and body[10] == 255
    assert int.from_bytes(body[11:13], "big") == len(body) - 13
    assert body[13] == 2 and int.from_bytes(body[14:16], "big") == 6 * 49
    assert Open.decode(body, SESSION) == message
    # the classic form is kept when it fits
    assert Open.decode(OPEN.encode()[19:], SESSION).capabilities == OPEN.capabilities
