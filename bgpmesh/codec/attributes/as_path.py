"""AS_PATH (type 2, RFC 4271 5.1.2) and AS4_PATH (type 17, RFC 6793).

Theory of operation: in memory a path always holds 4-octet AS numbers.  On a
session without the four-octet AS capability the wire AS_PATH holds 2-octet
numbers, AS_TRANS standing in for the large ones, and an AS4_PATH carries the
real ones; ``merge_as4_path`` rebuilds the path on receipt (RFC 6793 4.2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from struct import Struct
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import AS4_PATH, AS_PATH, OPTIONAL, TRANSITIVE, pack_attribute
from bgpmesh.errors import Action, MalformedAsPath

# +-----------------+-----------------+------------------------------+
# | segment type(1) | segment len (1) | AS numbers (2 or 4 octets)*n |  repeated
# +-----------------+-----------------+------------------------------+

AS_SET = 1
AS_SEQUENCE = 2
AS_CONFED_SEQUENCE = 3  # RFC 5065
AS_CONFED_SET = 4
AS_TRANS = 23456  # RFC 6793 section 9

SEGMENT_NAMES = {
    AS_SET: "as-set",
    AS_SEQUENCE: "as-sequence",
    AS_CONFED_SEQUENCE: "confederation-sequence",
    AS_CONFED_SET: "confederation-set",
}

Segments = tuple[tuple[int, tuple[int, ...]], ...]

_SEGMENT_HEAD = Struct("!BB")


def decode_segments(data: bytes, width: int) -> Segments:
    segments = []
    offset = 0
    size = len(data)
    fmt = "!%d" + ("I" if width == 4 else "H")
    while offset < size:
        if size - offset < 2:
            raise MalformedAsPath("segment header truncated")
        seg_type, count = _SEGMENT_HEAD.unpack_from(data, offset)
        # RFC 7606 section 7.2: an unrecognized segment type, a zero segment
        # length or a segment overrun makes the AS_PATH malformed.
        if seg_type not in SEGMENT_NAMES:
            raise MalformedAsPath(f"segment type {seg_type}")
        end = offset + 2 + count * width
        if count == 0 or end > size:
            raise MalformedAsPath("segment length")
        segments.append((seg_type, Struct(fmt % count).unpack_from(data, offset + 2)))
        offset = end
    return tuple(segments)


def encode_segments(segments: Segments, width: int) -> bytes:
    parts = []
    code = "I" if width == 4 else "H"
    for seg_type, asns in segments:
        for start in range(0, len(asns), 255):
            chunk = asns[start : start + 255]
            if width == 2:
                chunk = tuple(asn if asn <= 0xFFFF else AS_TRANS for asn in chunk)
            parts.append(bytes((seg_type, len(chunk))))
            parts.append(Struct(f"!{len(chunk)}{code}").pack(*chunk))
    return b"".join(parts)


def path_length(segments: Segments) -> int:
    """RFC 4271 9.1.2.2 a: an AS_SET counts 1, confederation segments 0."""
    total = 0
    for seg_type, asns in segments:
        if seg_type == AS_SEQUENCE:
            total += len(asns)
        elif seg_type == AS_SET:
            total += 1
    return total


def merge_as4_path(as_path: Segments, as4_path: Segments) -> Segments:
    """RFC 6793 section 4.2.3: the leading ASes of AS_PATH the AS4_PATH does not
    cover, then AS4_PATH.  "if the number of AS numbers in the AS_PATH attribute
    is less than the number of AS numbers in the AS4_PATH attribute, then the
    AS4_PATH attribute SHALL be ignored"."""
    # RFC 6793 section 6: confederation segments in AS4_PATH are discarded.
    as4_path = tuple(s for s in as4_path if s[0] in (AS_SEQUENCE, AS_SET))
    keep = path_length(as_path) - path_length(as4_path)
    if keep < 0:
        return as_path
    merged = []
    for seg_type, asns in as_path:
        if seg_type in (AS_CONFED_SEQUENCE, AS_CONFED_SET):
            merged.append((seg_type, asns))
            continue
        if keep <= 0:
            break
        if seg_type == AS_SET:
            merged.append((seg_type, asns))
            keep -= 1
        else:
            merged.append((seg_type, asns[:keep]))
            keep -= min(keep, len(asns))
    merged.extend(as4_path)
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class AsPath:
    segments: Segments = ()

    TYPE_CODE: ClassVar[int] = AS_PATH
    FLAGS: ClassVar[int] = TRANSITIVE
    NAME: ClassVar[str] = "as-path"

    @classmethod
    def sequence(cls, asns: tuple[int, ...]) -> AsPath:
        return cls(((AS_SEQUENCE, tuple(asns)),) if asns else ())

    @classmethod
    def decode(cls, data: bytes, session: Any) -> AsPath:
        return cls(decode_segments(data, 4 if session.asn4 else 2))

    def encode(self, session: Any) -> bytes:
        if session.asn4:
            return pack_attribute(TRANSITIVE, AS_PATH, encode_segments(self.segments, 4))
        encoded = pack_attribute(TRANSITIVE, AS_PATH, encode_segments(self.segments, 2))
        if any(asn > 0xFFFF for _, asns in self.segments for asn in asns):
            # RFC 6793 section 4.2.2: a NEW speaker sending to an OLD one
            # "SHOULD" send AS4_PATH, confederation segments left out.
            real = tuple(s for s in self.segments if s[0] in (AS_SEQUENCE, AS_SET))
            encoded += As4Path(real).encode(session)
        return encoded

    def asns(self) -> tuple[int, ...]:
        return tuple(asn for _, asns in self.segments for asn in asns)


@dataclass(frozen=True, slots=True)
class As4Path:
    segments: Segments = ()

    TYPE_CODE: ClassVar[int] = AS4_PATH
    FLAGS: ClassVar[int] = OPTIONAL | TRANSITIVE
    NAME: ClassVar[str] = "as4-path"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> As4Path:
        try:
            return cls(decode_segments(data, 4))
        except MalformedAsPath as error:
            # RFC 7606 section 7.2 via RFC 6793 section 6: a malformed
            # AS4_PATH is discarded, the UPDATE is kept.
            error.action = Action.ATTRIBUTE_DISCARD
            raise

    def encode(self, session: Any = None) -> bytes:
        return pack_attribute(OPTIONAL | TRANSITIVE, AS4_PATH, encode_segments(self.segments, 4))
