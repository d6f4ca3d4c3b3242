"""Capabilities advertised in OPEN (RFC 5492): ``CAPABILITIES[code]``.

A capability bgpmesh does not know decodes to ``UnknownCapability`` and is
otherwise ignored, as RFC 5492 section 5 asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.errors import OpenMessageError
from bgpmesh.family import Family

# +------------------------------+
# | Capability Code (1 octet)    |
# +------------------------------+
# | Capability Length (1 octet)  |
# +------------------------------+
# | Capability Value (variable)  |
# +------------------------------+
#                 RFC 5492 section 4

MULTIPROTOCOL = 1  # RFC 4760
ROUTE_REFRESH = 2  # RFC 2918
EXTENDED_MESSAGE = 6  # RFC 8654
FOUR_OCTET_AS = 65  # RFC 6793


def _tlv(code: int, value: bytes) -> bytes:
    return bytes((code, len(value))) + value


# +-------+-------+-------+-------+
# |  AFI (2)      | Res.  | SAFI  |   RFC 4760 section 8
# +-------+-------+-------+-------+


@dataclass(frozen=True, slots=True)
class Multiprotocol:
    family: Family

    CODE: ClassVar[int] = MULTIPROTOCOL
    NAME: ClassVar[str] = "multiprotocol"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> Multiprotocol:
        if len(data) != 4:
            raise OpenMessageError(f"multiprotocol capability length {len(data)}")
        return cls(Family(int.from_bytes(data[:2], "big"), data[3]))

    def encode(self, session: Any = None) -> bytes:
        return _tlv(MULTIPROTOCOL, self.family.afi.to_bytes(2, "big") + bytes((0, self.family.safi)))


# (no value)                          RFC 2918 section 2


@dataclass(frozen=True, slots=True)
class RouteRefreshCapability:
    CODE: ClassVar[int] = ROUTE_REFRESH
    NAME: ClassVar[str] = "route-refresh"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> RouteRefreshCapability:
        return cls()

    def encode(self, session: Any = None) -> bytes:
        return _tlv(ROUTE_REFRESH, b"")


# (no value)                          RFC 8654 section 3


@dataclass(frozen=True, slots=True)
class ExtendedMessage:
    CODE: ClassVar[int] = EXTENDED_MESSAGE
    NAME: ClassVar[str] = "extended-message"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> ExtendedMessage:
        return cls()

    def encode(self, session: Any = None) -> bytes:
        return _tlv(EXTENDED_MESSAGE, b"")


# +-------+-------+-------+-------+
# |  AS number (4 octets)         |   RFC 6793 section 3
# +-------+-------+-------+-------+


@dataclass(frozen=True, slots=True)
class FourOctetAs:
    asn: int

    CODE: ClassVar[int] = FOUR_OCTET_AS
    NAME: ClassVar[str] = "asn4"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> FourOctetAs:
        if len(data) != 4:
            raise OpenMessageError(f"four-octet AS capability length {len(data)}")
        return cls(int.from_bytes(data, "big"))

    def encode(self, session: Any = None) -> bytes:
        return _tlv(FOUR_OCTET_AS, self.asn.to_bytes(4, "big"))


# | code | length | value, opaque |


@dataclass(frozen=True, slots=True)
class UnknownCapability:
    code: int
    data: bytes

    NAME: ClassVar[str] = "unknown"

    def encode(self, session: Any = None) -> bytes:
        return _tlv(self.code, self.data)


CAPABILITIES: dict[int, Any] = {
    cls.CODE: cls for cls in (Multiprotocol, RouteRefreshCapability, ExtendedMessage, FourOctetAs)
}


def decode_capabilities(data: bytes) -> list[Any]:
    """The capabilities in one Capabilities Optional Parameter value."""
    out: list[Any] = []
    offset = 0
    size = len(data)
    while offset < size:
        if size - offset < 2:
            raise OpenMessageError("capability header truncated")
        code = data[offset]
        end = offset + 2 + data[offset + 1]
        if end > size:
            raise OpenMessageError(f"capability {code} overruns its parameter")
        value = data[offset + 2 : end]
        cls = CAPABILITIES.get(code)
        out.append(cls.decode(value) if cls is not None else UnknownCapability(code, value))
        offset = end
    return out
