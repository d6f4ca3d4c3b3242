"""ATOMIC_AGGREGATE (type 6) and AGGREGATOR (type 7), RFC 4271 5.1.6, 5.1.7."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.as_path import AS_TRANS
from bgpmesh.codec.attributes.base import (
    AGGREGATOR,
    ATOMIC_AGGREGATE,
    OPTIONAL,
    TRANSITIVE,
)
from bgpmesh.errors import Action, AttributeLengthError

# +--------+--------+--------+
# | 0x40   | 6      | len=0  |
# +--------+--------+--------+


@dataclass(frozen=True, slots=True)
class AtomicAggregate:
    TYPE_CODE: ClassVar[int] = ATOMIC_AGGREGATE
    FLAGS: ClassVar[int] = TRANSITIVE
    NAME: ClassVar[str] = "atomic-aggregate"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> AtomicAggregate:
        # RFC 7606 section 7.6: length other than 0: attribute discard
        if data:
            error = AttributeLengthError(f"ATOMIC_AGGREGATE length {len(data)}")
            error.action = Action.ATTRIBUTE_DISCARD
            raise error
        return cls()

    def encode(self, session: Any = None) -> bytes:
        return bytes((TRANSITIVE, ATOMIC_AGGREGATE, 0))


# +--------+--------+--------+----------------------+------------------+
# | 0xC0   | 7      | len    | AS (2, or 4 if asn4) | IPv4 address (4) |
# +--------+--------+--------+----------------------+------------------+


@dataclass(frozen=True, slots=True)
class Aggregator:
    asn: int
    address: str

    TYPE_CODE: ClassVar[int] = AGGREGATOR
    FLAGS: ClassVar[int] = OPTIONAL | TRANSITIVE
    NAME: ClassVar[str] = "aggregator"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> Aggregator:
        width = 4 if session.asn4 else 2
        # RFC 7606 section 7.7: length other than 6 (or 8): attribute discard
        if len(data) != width + 4:
            error = AttributeLengthError(f"AGGREGATOR length {len(data)}")
            error.action = Action.ATTRIBUTE_DISCARD
            raise error
        return cls(int.from_bytes(data[:width], "big"), socket.inet_ntoa(data[width:]))

    def encode(self, session: Any) -> bytes:
        address = socket.inet_aton(self.address)
        if session.asn4:
            return bytes((OPTIONAL | TRANSITIVE, AGGREGATOR, 8)) + self.asn.to_bytes(4, "big") + address
        asn = self.asn if self.asn <= 0xFFFF else AS_TRANS
        return bytes((OPTIONAL | TRANSITIVE, AGGREGATOR, 6)) + asn.to_bytes(2, "big") + address
