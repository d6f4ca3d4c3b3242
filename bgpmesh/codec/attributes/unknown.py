"""Attributes bgpmesh does not interpret, kept as received (RFC 4271 5, 9).

RFC 4271 section 5: an unrecognized optional transitive attribute is passed
on "with the Partial bit in the Attribute Flags octet set to 1", so
``encode`` sets it; an optional non-transitive one keeps its flags (the
speaker decides whether to pass it on at all, RFC 4271 section 9.1.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bgpmesh.codec.attributes.base import OPTIONAL, PARTIAL, TRANSITIVE, pack_attribute

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
        flags = self.flags
        if flags & OPTIONAL and flags & TRANSITIVE:
            flags |= PARTIAL
        return pack_attribute(flags, self.type_code, self.data)
