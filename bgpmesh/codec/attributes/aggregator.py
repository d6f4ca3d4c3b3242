"""ATOMIC_AGGREGATE (type 6), AGGREGATOR (type 7), RFC 4271 5.1.6, 5.1.7;
AS4_AGGREGATOR (type 18), RFC 6793 section 3.

``reconcile_aggregator`` applies RFC 6793 section 4.2.3 after decoding, so
callers only ever see one AGGREGATOR with the real AS.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.as_path import AS_TRANS
from bgpmesh.codec.attributes.base import (
    AGGREGATOR,
    AS4_AGGREGATOR,
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


# +--------+--------+--------+----------------------+------------------+
# | 0xC0   | 18     | len=8  | AS (4)               | IPv4 address (4) |
# +--------+--------+--------+----------------------+------------------+


@dataclass(frozen=True, slots=True)
class As4Aggregator:
    asn: int
    address: str

    TYPE_CODE: ClassVar[int] = AS4_AGGREGATOR
    FLAGS: ClassVar[int] = OPTIONAL | TRANSITIVE
    NAME: ClassVar[str] = "as4-aggregator"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> As4Aggregator:
        # RFC 7606 section 7.7 (as AGGREGATOR), RFC 6793 section 6: a bad
        # AS4_AGGREGATOR is discarded
        if len(data) != 8:
            error = AttributeLengthError(f"AS4_AGGREGATOR length {len(data)}")
            error.action = Action.ATTRIBUTE_DISCARD
            raise error
        return cls(int.from_bytes(data[:4], "big"), socket.inet_ntoa(data[4:]))

    def encode(self, session: Any = None) -> bytes:
        value = self.asn.to_bytes(4, "big") + socket.inet_aton(self.address)
        return bytes((OPTIONAL | TRANSITIVE, AS4_AGGREGATOR, 8)) + value


def reconcile_aggregator(
    aggregator: Aggregator | None, as4_aggregator: As4Aggregator | None
) -> tuple[Aggregator | None, bool]:
    """RFC 6793 section 4.2.3, for a session with an OLD speaker.

    "If the AGGREGATOR attribute contains an AS number other than AS_TRANS,
    then: the AS4_AGGREGATOR attribute and the AS4_PATH attribute SHALL be
    ignored ... Otherwise, the AS4_AGGREGATOR attribute ... SHALL be used."
    Returns the AGGREGATOR to keep and whether AS4_PATH may be used.
    """
    if aggregator is None:
        # no AGGREGATOR: AS4_AGGREGATOR alone has nothing to replace
        return None, True
    if aggregator.asn != AS_TRANS:
        return aggregator, False
    if as4_aggregator is None:
        return aggregator, True
    return Aggregator(as4_aggregator.asn, as4_aggregator.address), True
