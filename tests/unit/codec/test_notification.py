"""NOTIFICATION (RFC 4271 4.5), names, RFC 9003 shutdown communication."""

from __future__ import annotations

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
