"""ROUTE-REFRESH (RFC 2918 section 3, RFC 7313 subtypes)."""

from __future__ import annotations

import pytest

from bgpmesh.codec import MessageReader, RouteRefresh, Session
from bgpmesh.errors import InvalidMessageLength
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST

SESSION = Session()


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ("00010001", RouteRefresh(IPV4_UNICAST)),  # AFI 1, reserved 0, SAFI 1
        ("00020201", RouteRefresh(IPV6_UNICAST, 2)),  # EoRR
    ],
)
def test_table(wire: str, message: RouteRefresh) -> None:
    assert message.encode()[19:].hex() == wire
    assert RouteRefresh.decode(bytes.fromhex(wire), SESSION) == message


def test_borr_with_extra_octets_is_invalid_message_length() -> None:
    wire = bytes.fromhex("ff" * 16 + "0018" "05" "00010101" "00")
    with pytest.raises(InvalidMessageLength) as caught:
        MessageReader().feed(wire, SESSION)
    assert caught.value.data == wire


def test_normal_request_with_orf_is_accepted() -> None:
    wire = bytes.fromhex("ff" * 16 + "0018" "05" "00010001" "00")
    assert MessageReader().feed(wire, SESSION) == [RouteRefresh(IPV4_UNICAST)]
