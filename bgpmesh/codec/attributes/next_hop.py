"""NEXT_HOP (type 3), RFC 4271 section 5.1.3."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import NEXT_HOP, TRANSITIVE
from bgpmesh.errors import AttributeLengthError

# +--------+--------+--------+-----------------------------------+
# | 0x40   | 3      | len=4  | IPv4 address (4 octets)           |
# +--------+--------+--------+-----------------------------------+


@dataclass(frozen=True, slots=True)
class NextHop:
    address: str

    TYPE_CODE: ClassVar[int] = NEXT_HOP
    FLAGS: ClassVar[int] = TRANSITIVE
    NAME: ClassVar[str] = "next-hop"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> NextHop:
        # RFC 7606 section 7.3: a length other than 4 is an attribute length
        # error (treat-as-withdraw).  Whether the address is usable is a
        # question of meaning for validate(), not of syntax.
        if len(data) != 4:
            raise AttributeLengthError(f"NEXT_HOP length {len(data)}")
        return cls(socket.inet_ntoa(data))

    def encode(self, session: Any = None) -> bytes:
        return bytes((TRANSITIVE, NEXT_HOP, 4)) + socket.inet_aton(self.address)
