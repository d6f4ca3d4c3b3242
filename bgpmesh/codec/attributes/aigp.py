"""Accumulated IGP Metric, AIGP (type 26), RFC 7311.

The value is a list of TLVs; only type 1 (the AIGP TLV, an 8-octet metric)
is defined.  RFC 7311 section 3: TLVs of unknown type are kept and passed on,
and a malformed attribute is discarded (the route stays, the metric goes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import AIGP, OPTIONAL, pack_attribute
from bgpmesh.errors import Action, OptionalAttributeError

# +--------+----------------+-------------------------------+
# | Type 1 | Length 11 (2)  | Accumulated IGP Metric (8)    |   RFC 7311 3.1
# +--------+----------------+-------------------------------+

AIGP_TLV = 1


def _malformed(message: str) -> OptionalAttributeError:
    error = OptionalAttributeError(message)
    error.action = Action.ATTRIBUTE_DISCARD
    return error


@dataclass(frozen=True, slots=True)
class Aigp:
    metric: int
    others: tuple[tuple[int, bytes], ...] = ()  # TLVs of other types, as received

    TYPE_CODE: ClassVar[int] = AIGP
    FLAGS: ClassVar[int] = OPTIONAL
    NAME: ClassVar[str] = "aigp"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> Aigp:
        metric: int | None = None
        others: list[tuple[int, bytes]] = []
        offset = 0
        while offset < len(data):
            if len(data) - offset < 3:
                raise _malformed("AIGP TLV header truncated")
            kind = data[offset]
            length = int.from_bytes(data[offset + 1 : offset + 3], "big")
            end = offset + length
            # the TLV length counts its own 3-octet header
            if length < 3 or end > len(data):
                raise _malformed(f"AIGP TLV length {length}")
            if kind == AIGP_TLV:
                # RFC 7311 section 3.1: one AIGP TLV, of length 11
                if length != 11 or metric is not None:
                    raise _malformed("AIGP TLV repeated or not 11 octets")
                metric = int.from_bytes(data[offset + 3 : end], "big")
            else:
                others.append((kind, data[offset + 3 : end]))
            offset = end
        if metric is None:
            raise _malformed("AIGP attribute without an AIGP TLV")
        return cls(metric, tuple(others))

    def encode(self, session: Any = None) -> bytes:
        value = bytes((AIGP_TLV, 0, 11)) + self.metric.to_bytes(8, "big")
        value += b"".join(bytes((kind,)) + (len(tlv) + 3).to_bytes(2, "big") + tlv for kind, tlv in self.others)
        return pack_attribute(OPTIONAL, AIGP, value)
