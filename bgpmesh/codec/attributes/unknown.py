"""Attributes bgpmesh does not interpret, kept as received (RFC 4271 5, 9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bgpmesh.codec.attributes.base import pack_attribute

# +--------+--------+--------+---------------------------+
# | flags  | type   | len    | value, opaque             |
# +--------+--------+--------+---------------------------+


@dataclass(frozen=True, slots=True)
class UnknownAttribute:
    flags: int
    type_code: int
    data: bytes

    NAME = "unknown"

    def encode(self, session: Any = None) -> bytes:
        return pack_attribute(self.flags, self.type_code, self.data)
