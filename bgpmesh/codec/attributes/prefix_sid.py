"""BGP Prefix-SID (type 40), RFC 8669.

The Label-Index TLV (1) and Originator SRGB TLV (3) are decoded; other TLVs
(SRv6 services, RFC 9252) are kept raw and re-encoded as received.  RFC 8669
section 6: a malformed Prefix-SID attribute is discarded, the route stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import OPTIONAL, PREFIX_SID, TRANSITIVE, pack_attribute
from bgpmesh.errors import Action, OptionalAttributeError

# TLV: | Type (1) | Length (2) | Value |                 RFC 8669 section 3
#
# Label-Index TLV, type 1, length 7:
# | Reserved (1) | Flags (2) | Label Index (4) |         RFC 8669 3.1
#
# Originator SRGB TLV, type 3, length 2 + 6n:
# | Flags (2) | SRGB 1: Base (3) Range (3) | ... |       RFC 8669 3.2

LABEL_INDEX = 1
ORIGINATOR_SRGB = 3


def _malformed(message: str) -> OptionalAttributeError:
    error = OptionalAttributeError(message)
    error.action = Action.ATTRIBUTE_DISCARD
    return error


@dataclass(frozen=True, slots=True)
class PrefixSid:
    label_index: int | None = None
    srgbs: tuple[tuple[int, int], ...] = ()  # (base, range)
    others: tuple[tuple[int, bytes], ...] = ()  # (type, value) of other TLVs

    TYPE_CODE: ClassVar[int] = PREFIX_SID
    FLAGS: ClassVar[int] = OPTIONAL | TRANSITIVE
    NAME: ClassVar[str] = "bgp-prefix-sid"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> PrefixSid:
        label_index: int | None = None
        srgbs: tuple[tuple[int, int], ...] = ()
        others: list[tuple[int, bytes]] = []
        offset = 0
        while offset < len(data):
            if len(data) - offset < 3:
                raise _malformed("Prefix-SID TLV header truncated")
            kind = data[offset]
            start = offset + 3
            end = start + int.from_bytes(data[offset + 1 : start], "big")
            if end > len(data):
                raise _malformed(f"Prefix-SID TLV {kind} overruns")
            value = data[start:end]
            offset = end
            if kind == LABEL_INDEX:
                if len(value) != 7 or label_index is not None:
                    raise _malformed("Label-Index TLV repeated or not 7 octets")
                label_index = int.from_bytes(value[3:7], "big")
            elif kind == ORIGINATOR_SRGB:
                if len(value) < 8 or (len(value) - 2) % 6 or srgbs:
                    raise _malformed("Originator SRGB TLV repeated or of bad length")
                srgbs = tuple(
                    (int.from_bytes(value[i : i + 3], "big"), int.from_bytes(value[i + 3 : i + 6], "big"))
                    for i in range(2, len(value), 6)
                )
            else:
                others.append((kind, value))
        return cls(label_index, srgbs, tuple(others))

    def encode(self, session: Any = None) -> bytes:
        value = b""
        if self.label_index is not None:
            value += bytes((LABEL_INDEX, 0, 7, 0, 0, 0)) + self.label_index.to_bytes(4, "big")
        if self.srgbs:
            body = b"\x00\x00" + b"".join(base.to_bytes(3, "big") + size.to_bytes(3, "big") for base, size in self.srgbs)
            value += bytes((ORIGINATOR_SRGB,)) + len(body).to_bytes(2, "big") + body
        value += b"".join(bytes((kind,)) + len(tlv).to_bytes(2, "big") + tlv for kind, tlv in self.others)
        return pack_attribute(OPTIONAL | TRANSITIVE, PREFIX_SID, value)
