"""ORIGIN (type 1), RFC 4271 section 5.1.1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import ORIGIN, TRANSITIVE
from bgpmesh.errors import AttributeLengthError, InvalidOriginAttribute

# +--------+--------+--------+--------+
# | 0x40   | 1      | len=1  | value  |  0 IGP, 1 EGP, 2 INCOMPLETE
# +--------+--------+--------+--------+

_ENCODED = tuple(bytes((TRANSITIVE, ORIGIN, 1, value)) for value in range(3))


@dataclass(frozen=True, slots=True)
class Origin:
    value: int

    TYPE_CODE: ClassVar[int] = ORIGIN
    FLAGS: ClassVar[int] = TRANSITIVE
    NAME: ClassVar[str] = "origin"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> Origin:
        # RFC 7606 section 7.1: wrong length or undefined value: treat-as-withdraw
        if len(data) != 1:
            raise AttributeLengthError(f"ORIGIN length {len(data)}")
        if data[0] > 2:
            raise InvalidOriginAttribute(f"ORIGIN value {data[0]}")
        return cls(data[0])

    def encode(self, session: Any = None) -> bytes:
        return _ENCODED[self.value]
