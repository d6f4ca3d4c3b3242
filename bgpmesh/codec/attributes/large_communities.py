"""LARGE_COMMUNITY (type 32), RFC 8092."""

from __future__ import annotations

from dataclasses import dataclass
from struct import Struct
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import (
    LARGE_COMMUNITIES,
    OPTIONAL,
    TRANSITIVE,
    length_error,
    pack_attribute,
)

# +--------+--------+--------+------------------------------------------+
# | 0xC0   | 32     | len    | Global Admin (4) | Local 1 (4) | Local 2 (4) | ...
# +--------+--------+--------+------------------------------------------+
#                                                   RFC 8092 section 3

_TRIPLE = Struct("!III")


@dataclass(frozen=True, slots=True)
class LargeCommunities:
    values: tuple[tuple[int, int, int], ...]

    TYPE_CODE: ClassVar[int] = LARGE_COMMUNITIES
    FLAGS: ClassVar[int] = OPTIONAL | TRANSITIVE
    NAME: ClassVar[str] = "large-community"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> LargeCommunities:
        # RFC 8092 section 6: "a LARGE_COMMUNITY attribute with a length that
        # is not a non-zero multiple of 12 ... MUST be treated as malformed and
        # the 'treat-as-withdraw' approach used"
        if not data or len(data) % 12:
            raise length_error(f"LARGE_COMMUNITY length {len(data)}")
        return cls(tuple(_TRIPLE.iter_unpack(data)))

    def encode(self, session: Any = None) -> bytes:
        value = b"".join(_TRIPLE.pack(*triple) for triple in self.values)
        return pack_attribute(OPTIONAL | TRANSITIVE, LARGE_COMMUNITIES, value)
