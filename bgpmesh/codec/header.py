"""Message framing: the 19-octet header and the incremental reader.

Theory of operation: bytes arrive in arbitrary pieces.  ``MessageReader.feed``
appends them to one buffer, walks it with an offset, decodes every complete
message and drops the consumed prefix once per call, so a burst of N messages
costs O(N) and never re-slices the buffer per message.

Rules of this file: the header is checked before the body is looked at
(RFC 4271 section 6.1); message classes register themselves in ``MESSAGES``
by type code when their module is imported (``bgpmesh.codec`` imports them all).
"""

from __future__ import annotations

from struct import Struct
from typing import Any

from bgpmesh.errors import (
    BadMessageLength,
    BadMessageType,
    BgpError,
    ConnectionNotSynchronized,
)

#  0                   1                   2                   3
#  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# |                                                               |
# +                                                               +
# |                           Marker                              |
# +                          (16 octets, all ones)                +
# |                                                               |
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# |          Length               |      Type     |
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#                                           RFC 4271 section 4.1

MARKER = b"\xff" * 16
HEADER_SIZE = 19

OPEN = 1
UPDATE = 2
NOTIFICATION = 3
KEEPALIVE = 4
ROUTE_REFRESH = 5
OPERATIONAL = 6  # draft-ietf-idr-operational-message (ExaBGP)

# RFC 4271 section 6.1 (and RFC 2918 section 3 for ROUTE-REFRESH): the
# smallest legal message of each type, and whether it has a fixed size.
MIN_LENGTH = {OPEN: 29, UPDATE: 23, NOTIFICATION: 21, KEEPALIVE: 19, ROUTE_REFRESH: 23,
              OPERATIONAL: 26}  # a TLV header, AFI and SAFI
FIXED_LENGTH = {KEEPALIVE: 19}  # ROUTE-REFRESH may carry ORFs (RFC 5291)
_UPDATE_MIN = MIN_LENGTH[UPDATE]

_LENGTH_TYPE = Struct("!HB")

# type code -> message class with ``decode(body, session)``; filled by the
# message modules themselves.
MESSAGES: dict[int, Any] = {}


def frame(message_type: int, body: bytes) -> bytes:
    """The whole message: marker, length, type, body."""
    return MARKER + _LENGTH_TYPE.pack(HEADER_SIZE + len(body), message_type) + body


def check_header(header: bytes, max_size: int) -> tuple[int, int]:
    """Return (length, type) of a 19-octet header or raise the RFC 4271 6.1 error."""
    if header[:16] != MARKER:
        raise ConnectionNotSynchronized("marker is not all ones")
    length, message_type = _LENGTH_TYPE.unpack_from(header, 16)
    # RFC 4271 section 6.1: "if the Length field of the message header is less
    # than 19 or greater than 4096, or if the Length field of an OPEN message
    # is less than the minimum length ... the Error Subcode MUST be set to Bad
    # Message Length.  The Data field MUST contain the erroneous Length field."
    if message_type not in MIN_LENGTH:
        if length < HEADER_SIZE or length > max_size:
            raise BadMessageLength(f"length {length}", data=header[16:18])
        raise BadMessageType(f"type {message_type}", data=header[18:19])
    if (
        length < MIN_LENGTH[message_type]
        or length > max_size
        or FIXED_LENGTH.get(message_type, length) != length
    ):
        raise BadMessageLength(f"length {length} for type {message_type}", data=header[16:18])
    return length, message_type


class MessageReader:
    """Incremental framer: feed bytes, get decoded messages.

    If a message is bad, ``feed`` raises its ``BgpError``; the messages decoded
    before it in the same call are on the error as ``error.messages``.  After an
    error the reader is not usable: the session is going down.
    """

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes, session: Any) -> list[Any]:
        buffer = self._buffer
        buffer += data
        size = len(buffer)
        max_size = session.max_size
        offset = 0
        messages: list[Any] = []
        # One memoryview per call: slicing it copies only the message itself.
        with memoryview(buffer) as view:
            try:
                while size - offset >= HEADER_SIZE:
                    length = (buffer[offset + 16] << 8) | buffer[offset + 17]
                    message_type = buffer[offset + 18]
                    # an UPDATE whose header is right needs no more checks
                    if (message_type != UPDATE or not _UPDATE_MIN <= length <= max_size
                            or not buffer.startswith(MARKER, offset)):
                        length, message_type = check_header(
                            bytes(view[offset : offset + HEADER_SIZE]), max_size
                        )
                    end = offset + length
                    if end > size:
                        break
                    body = bytes(view[offset + HEADER_SIZE : end])
                    messages.append(MESSAGES[message_type].decode(body, session))
                    offset = end
            except BgpError as error:
                error.messages = messages
                raise
        if offset:
            del buffer[:offset]
        return messages
