"""ROUTE-REFRESH message, RFC 2918 section 3; subtypes RFC 7313 section 3.2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bgpmesh.codec.header import MESSAGES, ROUTE_REFRESH, frame
from bgpmesh.errors import InvalidMessageLength
from bgpmesh.family import Family

#  0       7      15      23      31
#  +-------+-------+-------+-------+
#  |      AFI      | Res.  | SAFI  |   Res.: RFC 7313 message subtype
#  +-------+-------+-------+-------+

NORMAL = 0
BEGIN = 1  # BoRR
END = 2  # EoRR
BORR = BEGIN
EORR = END
SUBTYPE_NAMES = {NORMAL: "query", BEGIN: "begin", END: "end"}


@dataclass(frozen=True, slots=True)
class RouteRefresh:
    family: Family
    subtype: int = NORMAL

    TYPE = ROUTE_REFRESH

    @classmethod
    def decode(cls, body: bytes, session: Any = None) -> RouteRefresh:
        subtype = body[2]
        # RFC 7313 section 5: a BoRR or EoRR whose length is not 4 (after the
        # header) is an error "Invalid Message Length", the Data field holding
        # the complete message.  A longer normal request carries ORF entries
        # (RFC 5291) that bgpmesh does not use.
        if len(body) != 4 and subtype in (BEGIN, END):
            raise InvalidMessageLength(f"ROUTE-REFRESH of {len(body)} octets", data=frame(ROUTE_REFRESH, body))
        return cls(Family(int.from_bytes(body[:2], "big"), body[3]), subtype)

    def encode(self, session: Any = None) -> bytes:
        body = self.family.afi.to_bytes(2, "big") + bytes((self.subtype, self.family.safi))
        return frame(ROUTE_REFRESH, body)


MESSAGES[ROUTE_REFRESH] = RouteRefresh
