"""COMMUNITIES (type 8), RFC 1997."""

from __future__ import annotations

from dataclasses import dataclass
from struct import Struct
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import COMMUNITIES, OPTIONAL, TRANSITIVE, pack_attribute
from bgpmesh.errors import AttributeLengthError

# +--------+--------+--------+-------------------+-------------------+
# | 0xC0   | 8      | len    | AS (2) : value (2)| ... 4 octets each |
# +--------+--------+--------+-------------------+-------------------+

NO_EXPORT = 0xFFFFFF01
NO_ADVERTISE = 0xFFFFFF02
NO_EXPORT_SUBCONFED = 0xFFFFFF03


@dataclass(frozen=True, slots=True)
class Communities:
    values: tuple[int, ...]

    TYPE_CODE: ClassVar[int] = COMMUNITIES
    FLAGS: ClassVar[int] = OPTIONAL | TRANSITIVE
    NAME: ClassVar[str] = "community"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> Communities:
        # RFC 7606 section 7.8: "the length ... not a non-zero multiple of 4"
        # is malformed: treat-as-withdraw
        if not data or len(data) & 3:
            raise AttributeLengthError(f"COMMUNITIES length {len(data)}")
        return cls(Struct(f"!{len(data) >> 2}I").unpack(data))

    def encode(self, session: Any = None) -> bytes:
        value = Struct(f"!{len(self.values)}I").pack(*self.values)
        return pack_attribute(OPTIONAL | TRANSITIVE, COMMUNITIES, value)
