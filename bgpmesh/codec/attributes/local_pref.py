"""LOCAL_PREF (type 5), RFC 4271 section 5.1.5."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import LOCAL_PREF, TRANSITIVE
from bgpmesh.errors import AttributeLengthError

# +--------+--------+--------+-----------------------------------+
# | 0x40   | 5      | len=4  | preference (4 octets, unsigned)   |
# +--------+--------+--------+-----------------------------------+


@dataclass(frozen=True, slots=True)
class LocalPref:
    value: int

    TYPE_CODE: ClassVar[int] = LOCAL_PREF
    FLAGS: ClassVar[int] = TRANSITIVE
    NAME: ClassVar[str] = "local-preference"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> LocalPref:
        # RFC 7606 section 7.5: length other than 4: treat-as-withdraw
        if len(data) != 4:
            raise AttributeLengthError(f"LOCAL_PREF length {len(data)}")
        return cls(int.from_bytes(data, "big"))

    def encode(self, session: Any = None) -> bytes:
        return bytes((TRANSITIVE, LOCAL_PREF, 4)) + self.value.to_bytes(4, "big")
