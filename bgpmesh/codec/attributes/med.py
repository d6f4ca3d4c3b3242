"""MULTI_EXIT_DISC (type 4), RFC 4271 section 5.1.4."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import MULTI_EXIT_DISC, OPTIONAL
from bgpmesh.errors import AttributeLengthError

# +--------+--------+--------+-----------------------------------+
# | 0x80   | 4      | len=4  | metric (4 octets, unsigned)       |
# +--------+--------+--------+-----------------------------------+


@dataclass(frozen=True, slots=True)
class MultiExitDisc:
    value: int

    TYPE_CODE: ClassVar[int] = MULTI_EXIT_DISC
    FLAGS: ClassVar[int] = OPTIONAL
    NAME: ClassVar[str] = "med"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> MultiExitDisc:
        # RFC 7606 section 7.4: length other than 4: treat-as-withdraw
        if len(data) != 4:
            raise AttributeLengthError(f"MULTI_EXIT_DISC length {len(data)}")
        return cls(int.from_bytes(data, "big"))

    def encode(self, session: Any = None) -> bytes:
        return bytes((OPTIONAL, MULTI_EXIT_DISC, 4)) + self.value.to_bytes(4, "big")
