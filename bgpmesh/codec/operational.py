"""OPERATIONAL message (type 6), draft-ietf-idr-operational-message as ExaBGP
speaks it; sent and accepted only when both OPENs carry capability 185.

The body is one TLV::

    +-------+-------+-------+-------+
    |     Type      |    Length     |   Length: the octets after it
    +-------+-------+-------+-------+
    |      AFI      | SAFI  |  ...      then, by type:
    +-------+-------+-------+-------+
      advisory (ADM, ASM):     UTF-8 text (at most 2048 octets)
      query (RPCQ, APCQ, LPCQ): router-id (4), sequence (4)
      counter (RPCP, APCP, LPCP): router-id (4), sequence (4), counter (4)

Other TLV types decode with their code and raw value, and are not rendered.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from bgpmesh.codec.header import HEADER_SIZE, MESSAGES, OPERATIONAL, frame
from bgpmesh.errors import BadMessageLength
from bgpmesh.family import Family

ADM, ASM, RPCQ, RPCP, APCQ, APCP, LPCQ, LPCP = range(1, 9)
NAMES = {ADM: "ADM", ASM: "ASM", RPCQ: "RPCQ", RPCP: "RPCP", APCQ: "APCQ", APCP: "APCP",
         LPCQ: "LPCQ", LPCP: "LPCP"}
CODES = {name: code for code, name in NAMES.items()}
ADVISORY = frozenset({ADM, ASM})
QUERY = frozenset({RPCQ, APCQ, LPCQ})
COUNTER = frozenset({RPCP, APCP, LPCP})
MAX_ADVISORY = 2048  # ExaBGP truncates longer text to 2045 octets and "..."

_TLV = 4
_FAMILY = 3


@dataclass(frozen=True, slots=True)
class Operational:
    code: int
    family: Family
    advisory: str = ""  # ADM, ASM
    router_id: str = "0.0.0.0"  # queries and counters
    sequence: int = 0
    counter: int = 0  # counters
    raw: bytes = b""  # the value after AFI/SAFI of a type not known here

    TYPE = OPERATIONAL

    @property
    def name(self) -> str:
        return NAMES.get(self.code, str(self.code))

    @property
    def category(self) -> str:
        """ExaBGP's: advisory, query, counter, or unknown."""
        if self.code in ADVISORY:
            return "advisory"
        if self.code in QUERY:
            return "query"
        if self.code in COUNTER:
            return "counter"
        return "unknown"

    @classmethod
    def decode(cls, body: bytes, session: Any = None) -> Operational:
        def short(what: str) -> BadMessageLength:
            return BadMessageLength(f"OPERATIONAL {what}: {len(body)} octets",
                                    data=(HEADER_SIZE + len(body)).to_bytes(2, "big"))

        if len(body) < _TLV + _FAMILY:
            raise short("TLV")
        code = int.from_bytes(body[:2], "big")
        length = int.from_bytes(body[2:4], "big")
        end = _TLV + length
        if length < _FAMILY or end > len(body):
            raise short(f"TLV length {length}")
        family = Family(int.from_bytes(body[4:6], "big"), body[6])
        value = body[_TLV + _FAMILY:end]
        if code in ADVISORY:
            return cls(code, family, advisory=value.decode("utf-8", "replace"))
        if code in QUERY or code in COUNTER:
            need = 12 if code in COUNTER else 8
            if len(value) < need:
                raise short(NAMES[code])
            return cls(code, family, router_id=str(ipaddress.IPv4Address(value[:4])),
                       sequence=int.from_bytes(value[4:8], "big"),
                       counter=int.from_bytes(value[8:12], "big") if code in COUNTER else 0)
        return cls(code, family, raw=value)

    def encode(self, session: Any = None) -> bytes:
        code = self.code
        if code in ADVISORY:
            value = self.advisory.encode("utf-8")
            if len(value) > MAX_ADVISORY:
                value = value[:MAX_ADVISORY - 3] + b"..."
        elif code in QUERY or code in COUNTER:
            value = ipaddress.IPv4Address(self.router_id).packed + \
                self.sequence.to_bytes(4, "big")
            if code in COUNTER:
                value += self.counter.to_bytes(4, "big")
        else:
            value = self.raw
        value = self.family.afi.to_bytes(2, "big") + bytes((self.family.safi,)) + value
        return frame(OPERATIONAL, code.to_bytes(2, "big") + len(value).to_bytes(2, "big") + value)


MESSAGES[OPERATIONAL] = Operational
