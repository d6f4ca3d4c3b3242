"""NOTIFICATION (RFC 4271 4.5), names, RFC 9003 shutdown communication."""

from __future__ import annotations

import pytest

from bgpmesh.codec import Notification, Session
from bgpmesh.errors import AttributeLengthError

SESSION = Session()


def test_round_trip() -> None:
    message = Notification(3, 5, b"\x40\x01\x02\x00\x00")
    assert Notification.decode(message.encode()[19:], SESSION) == message


def test_names() -> None:
    assert Notification(6, 2).name == "Cease"
    assert Notification(6, 2).subcode_name == "Administrative Shutdown"
    assert Notification(4, 0).subcode_name == "Unspecific"
    assert str(Notification(3, 11)) == "UPDATE Message Error / Malformed AS_PATH"
    assert Notification(99, 1).name == "Unknown Error 99"


def test_shutdown_communication() -> None:
    assert Notification(6, 2, b"\x05hello").shutdown_communication == "hello"
    assert Notification(6, 2, b"\x09hello").shutdown_communication is None
    assert Notification(6, 3, b"\x05hello").shutdown_communication is None


def test_from_error() -> None:
    error = AttributeLengthError("x", data=b"\x40\x01\x00")
    assert Notification.from_error(error) == Notification(3, 5, b"\x40\x01\x00")


@pytest.mark.parametrize(
    ("code", "subcode", "name", "subcode_name"),
    [
        (2, 7, "OPEN Message Error", "Unsupported Capability"),  # RFC 5492
        (2, 11, "OPEN Message Error", "Role Mismatch"),  # RFC 9234
        (5, 2, "Finite State Machine Error", "Receive Unexpected Message in OpenConfirm State"),  # RFC 6608
        (6, 9, "Cease", "Hard Reset"),  # RFC 8538
        (6, 10, "Cease", "BFD Down"),  # RFC 9384
        (7, 1, "ROUTE-REFRESH Message Error", "Invalid Message Length"),  # RFC 7313
        (8, 0, "Send Hold Timer Expired", "Unspecific"),  # RFC 9687
    ],
)
def test_rfc_names(code: int, subcode: int, name: str, subcode_name: str) -> None:
    message = Notification(code, subcode)
    assert (message.name, message.subcode_name) == (name, subcode_name)


def test_shutdown_communication_is_length_checked() -> None:
    # RFC 9003 section 2: a length octet then UTF-8, at most 255 octets
    assert Notification.shutdown("maintenance").encode()[19:].hex() == "06020b" + b"maintenance".hex()
    assert Notification(6, 2, b"\x05abc").shutdown_communication is None  # length overruns
    assert Notification(6, 2, b"\x02\xff\xfe").shutdown_communication is None  # not UTF-8
    assert Notification(6, 3, b"\x01a").shutdown_communication is None  # not subcode 2 or 4
    long = Notification.shutdown("\u00e9" * 200, 4)
    assert long.data[0] == 254 and long.shutdown_communication == "\u00e9" * 127
