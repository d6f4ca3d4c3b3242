"""Framing: MessageReader fed whole, byte by byte, and with trailing bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgpmesh.codec import (
    Keepalive,
    MessageReader,
    Notification,
    Open,
    RouteRefresh,
    Session,
    Update,
)
from bgpmesh.errors import (
    BadMessageLength,
    BadMessageType,
    BgpError,
    ConnectionNotSynchronized,
)
from bgpmesh.family import IPV6_UNICAST

SESSION = Session()
MARKER = "ff" * 16

# (hex on the wire, decoded message).  Constructed by hand from RFC 4271 4.x
# layouts, cross-checked with `exabgp decode` (5.0.15) where it decodes them.
SIMPLE_CASES = [
    # KEEPALIVE: marker, length 19, type 4 (RFC 4271 4.4)
    (MARKER + "0013" "04", Keepalive()),
    # NOTIFICATION Cease/Administrative Shutdown, RFC 9003 "hello"
    (MARKER + "001b" "03" "06" "02" "0568656c6c6f", Notification(6, 2, b"\x05hello")),
    # ROUTE-REFRESH ipv6 unicast, subtype BoRR (RFC 7313)
    (MARKER + "0017" "05" "0002" "01" "01", RouteRefresh(IPV6_UNICAST, 1)),
    # OPEN: version 4, AS 65001, hold 90, id 192.0.2.1, no parameters
    (MARKER + "001d" "01" "04" "fde9" "005a" "c0000201" "00", Open(65001, 90, "192.0.2.1")),
    # empty UPDATE: IPv4 unicast End-of-RIB (RFC 4724)
    (MARKER + "0017" "02" "0000" "0000", Update()),
]

STREAM = b"".join(bytes.fromhex(wire) for wire, _ in SIMPLE_CASES)
EXPECTED = [message for _, message in SIMPLE_CASES]


@pytest.mark.parametrize(("wire", "message"), SIMPLE_CASES)
def test_encode_matches_wire(wire: str, message: object) -> None:
    assert message.encode(SESSION).hex() == wire


@pytest.mark.parametrize(("wire", "message"), SIMPLE_CASES)
def test_decode_matches_message(wire: str, message: object) -> None:
    assert MessageReader().feed(bytes.fromhex(wire), SESSION) == [message]


def test_fed_whole() -> None:
    reader = MessageReader()
    assert reader.feed(STREAM, SESSION) == EXPECTED
    assert reader.buffered == 0


def test_fed_byte_by_byte() -> None:
    reader = MessageReader()
    got = []
    for index in range(len(STREAM)):
        got.extend(reader.feed(STREAM[index : index + 1], SESSION))
    assert got == EXPECTED


def test_trailing_partial_bytes_are_kept() -> None:
    reader = MessageReader()
    keepalive = bytes.fromhex(SIMPLE_CASES[0][0])
    assert reader.feed(STREAM + keepalive[:7], SESSION) == EXPECTED
    assert reader.buffered == 7
    assert reader.feed(keepalive[7:], SESSION) == [Keepalive()]
    assert reader.buffered == 0


def test_bad_marker() -> None:
    with pytest.raises(ConnectionNotSynchronized):
        MessageReader().feed(b"\xfe" + b"\xff" * 15 + b"\x00\x13\x04", SESSION)


@pytest.mark.parametrize(
    "wire",
    [
        MARKER + "0012" "04",  # below 19
        MARKER + "0014" "04" "00",  # KEEPALIVE is exactly 19
        MARKER + "001c" "01" + "00" * 9,  # OPEN below 29
        MARKER + "1001" "02" + "00" * 4078,  # 4097 > 4096 without extended message
        MARKER + "0014" "03" "06",  # NOTIFICATION below 21
    ],
)
def test_bad_length_carries_the_length_field(wire: str) -> None:
    with pytest.raises(BadMessageLength) as caught:
        MessageReader().feed(bytes.fromhex(wire), SESSION)
    assert caught.value.data == bytes.fromhex(wire)[16:18]


def test_extended_message_allows_larger_updates() -> None:
    body = b"\x00\x00\x00\x00" + bytes([24, 10, 0, 0]) * 1100  # 4423 octets
    wire = bytes.fromhex(MARKER) + (19 + len(body)).to_bytes(2, "big") + b"\x02" + body
    with pytest.raises(BadMessageLength):
        MessageReader().feed(wire, SESSION)
    # no attributes with NLRI: decoding reports missing ORIGIN etc. (treat-as-withdraw)
    [update] = MessageReader().feed(wire, Session(extended_message=True))
    assert update.treat_as_withdraw and len(update.withdrawn) == 1100


def test_bad_type_carries_the_type() -> None:
    with pytest.raises(BadMessageType) as caught:
        MessageReader().feed(bytes.fromhex(MARKER + "0013" "09"), SESSION)
    assert caught.value.data == b"\x09"


def test_messages_before_an_error_are_on_the_error() -> None:
    keepalive = bytes.fromhex(SIMPLE_CASES[0][0])
    with pytest.raises(BadMessageType) as caught:
        MessageReader().feed(keepalive + bytes.fromhex(MARKER + "0013" "09"), SESSION)
    assert caught.value.messages == [Keepalive()]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=1, max_value=40))
def test_any_bytes_give_messages_or_a_bgp_error(tail: bytes, step: int) -> None:
    # a valid header in front makes the fuzzer reach the body decoders
    data = bytes.fromhex(MARKER) + (19 + len(tail) - 1).to_bytes(2, "big") + tail
    reader = MessageReader()
    try:
        for start in range(0, len(data), step):
            reader.feed(data[start : start + step], SESSION)
    except BgpError:
        pass
