"""Capabilities advertised in OPEN (RFC 5492): ``CAPABILITIES[code]``.

A capability bgpmesh does not know decodes to ``UnknownCapability`` and is
otherwise ignored, as RFC 5492 section 5 asks.  Names (``NAME``) are the
ones ExaBGP's JSON uses; rendering lives in ``bgpmesh.api.json``.

Rules of this file: ``decode(value)`` gets the capability value only and
raises ``OpenMessageError`` when its length cannot be right; ``encode()``
returns the whole TLV.  Strings from the peer (hostname, software version)
are decoded with replacement characters: escaping is the renderer's job.
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
EXTENDED_NEXT_HOP = 5  # RFC 8950
EXTENDED_MESSAGE = 6  # RFC 8654
BGP_ROLE = 9  # RFC 9234
GRACEFUL_RESTART = 64  # RFC 4724
FOUR_OCTET_AS = 65  # RFC 6793
MULTISESSION = 68  # draft-ietf-idr-bgp-multisession
ADD_PATH = 69  # RFC 7911
ENHANCED_ROUTE_REFRESH = 70  # RFC 7313
LONG_LIVED_GRACEFUL_RESTART = 71  # RFC 9494
FQDN = 73  # draft-walton-bgp-hostname-capability
SOFTWARE_VERSION = 75  # draft-abraitis-bgp-version-capability
OPERATIONAL = 185  # ExaBGP's draft-ietf-idr-operational-message


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


def _family(data: bytes, offset: int) -> Family:
    """A 2-octet AFI then a 1-octet SAFI."""
    return Family(int.from_bytes(data[offset : offset + 2], "big"), data[offset + 2])


def _pack_family(family: Family) -> bytes:
    return family.afi.to_bytes(2, "big") + bytes((family.safi,))


def _entries(data: bytes, size: int, name: str) -> range:
    """Offsets of the fixed-size entries of a capability value."""
    if len(data) % size:
        raise OpenMessageError(f"{name} capability length {len(data)}")
    return range(0, len(data), size)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# +-----------------------------------------------------+
# | NLRI AFI - 1 (2 octets)                             |
# | NLRI SAFI - 1 (2 octets)                            |
# | Nexthop AFI - 1 (2 octets)                          |
# | ....                                                |   RFC 8950 section 3
# +-----------------------------------------------------+


@dataclass(frozen=True, slots=True)
class ExtendedNextHop:
    """(NLRI family, next hop AFI) pairs: IPv4 routes over IPv6 next hops."""

    entries: tuple[tuple[Family, int], ...]

    CODE: ClassVar[int] = EXTENDED_NEXT_HOP
    NAME: ClassVar[str] = "nexthop"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> ExtendedNextHop:
        return cls(
            tuple(
                (
                    Family(int.from_bytes(data[i : i + 2], "big"), int.from_bytes(data[i + 2 : i + 4], "big")),
                    int.from_bytes(data[i + 4 : i + 6], "big"),
                )
                for i in _entries(data, 6, "extended next hop")
            )
        )

    def encode(self, session: Any = None) -> bytes:
        value = b"".join(
            family.afi.to_bytes(2, "big") + family.safi.to_bytes(2, "big") + afi.to_bytes(2, "big")
            for family, afi in self.entries
        )
        return _tlv(EXTENDED_NEXT_HOP, value)


# +--------------------+
# | Role (1 octet)     |   RFC 9234 section 4.1
# +--------------------+

ROLE_NAMES = {0: "provider", 1: "rs", 2: "rs-client", 3: "customer", 4: "peer"}


@dataclass(frozen=True, slots=True)
class BgpRole:
    role: int

    CODE: ClassVar[int] = BGP_ROLE
    NAME: ClassVar[str] = "role"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> BgpRole:
        # RFC 9234 section 4.1: "the length of the Capability Value ... MUST
        # be 1"; a wrong length is a malformed capability (RFC 5492)
        if len(data) != 1:
            raise OpenMessageError(f"BGP role capability length {len(data)}")
        return cls(data[0])

    def encode(self, session: Any = None) -> bytes:
        return _tlv(BGP_ROLE, bytes((self.role,)))

    @property
    def name(self) -> str:
        return ROLE_NAMES.get(self.role, f"unknown-{self.role}")


# +--------------------------------------------------+
# | Restart Flags (4 bits) | Restart Time (12 bits)  |
# +--------------------------------------------------+
# | AFI (16 bits) | SAFI (8 bits) | Flags (8 bits)   |  repeated
# +--------------------------------------------------+
#   restart flags: R 0x8 (restarting), N 0x4 (RFC 8538 notification);
#   per-family flags: F 0x80 (forwarding state preserved)   RFC 4724 3


@dataclass(frozen=True, slots=True)
class GracefulRestart:
    restart_flags: int
    restart_time: int
    families: tuple[tuple[Family, int], ...] = ()

    CODE: ClassVar[int] = GRACEFUL_RESTART
    NAME: ClassVar[str] = "graceful restart"
    RESTART_STATE: ClassVar[int] = 0x8
    NOTIFICATION: ClassVar[int] = 0x4
    FORWARDING_STATE: ClassVar[int] = 0x80

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> GracefulRestart:
        if len(data) < 2:
            raise OpenMessageError(f"graceful restart capability length {len(data)}")
        head = int.from_bytes(data[:2], "big")
        rest = data[2:]
        families = tuple((_family(rest, i), rest[i + 3]) for i in _entries(rest, 4, "graceful restart"))
        return cls(head >> 12, head & 0x0FFF, families)

    def encode(self, session: Any = None) -> bytes:
        value = ((self.restart_flags << 12) | (self.restart_time & 0x0FFF)).to_bytes(2, "big")
        value += b"".join(_pack_family(family) + bytes((flags,)) for family, flags in self.families)
        return _tlv(GRACEFUL_RESTART, value)


# +---------------------------+
# | AFI (2) | SAFI (1) | S/R  |  S/R: 1 receive, 2 send, 3 both   RFC 7911 4
# +---------------------------+

ADD_PATH_RECEIVE = 1
ADD_PATH_SEND = 2
ADD_PATH_NAMES = {1: "receive", 2: "send", 3: "send/receive"}


@dataclass(frozen=True, slots=True)
class AddPath:
    families: tuple[tuple[Family, int], ...]

    CODE: ClassVar[int] = ADD_PATH
    NAME: ClassVar[str] = "addpath"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> AddPath:
        return cls(tuple((_family(data, i), data[i + 3]) for i in _entries(data, 4, "ADD-PATH")))

    def encode(self, session: Any = None) -> bytes:
        return _tlv(ADD_PATH, b"".join(_pack_family(family) + bytes((mode,)) for family, mode in self.families))

    def mode(self, family: Family) -> int:
        for entry, mode in self.families:
            if entry == family:
                return mode
        return 0


# (no value)                          RFC 7313 section 3.1


@dataclass(frozen=True, slots=True)
class EnhancedRouteRefresh:
    CODE: ClassVar[int] = ENHANCED_ROUTE_REFRESH
    NAME: ClassVar[str] = "enhanced-route-refresh"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> EnhancedRouteRefresh:
        return cls()

    def encode(self, session: Any = None) -> bytes:
        return _tlv(ENHANCED_ROUTE_REFRESH, b"")


# +--------------------------------------------------+
# | AFI (16 bits) | SAFI (8 bits) | Flags (8 bits)   |
# | Long-lived Stale Time (24 bits)                  |  repeated
# +--------------------------------------------------+
#   flags: F 0x80 (forwarding state preserved)        RFC 9494 section 3


@dataclass(frozen=True, slots=True)
class LongLivedGracefulRestart:
    families: tuple[tuple[Family, int, int], ...]

    CODE: ClassVar[int] = LONG_LIVED_GRACEFUL_RESTART
    NAME: ClassVar[str] = "long-lived graceful restart"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> LongLivedGracefulRestart:
        return cls(
            tuple(
                (_family(data, i), data[i + 3], int.from_bytes(data[i + 4 : i + 7], "big"))
                for i in _entries(data, 7, "long-lived graceful restart")
            )
        )

    def encode(self, session: Any = None) -> bytes:
        value = b"".join(
            _pack_family(family) + bytes((flags,)) + stale.to_bytes(3, "big")
            for family, flags, stale in self.families
        )
        return _tlv(LONG_LIVED_GRACEFUL_RESTART, value)


# +--------------------------------+
# | Hostname Length (1 octet)      |
# | Hostname (variable)            |
# | Domain Name Length (1 octet)   |
# | Domain Name (variable)         |   draft-walton-bgp-hostname-capability 3
# +--------------------------------+


@dataclass(frozen=True, slots=True)
class Fqdn:
    host_name: str
    domain_name: str = ""

    CODE: ClassVar[int] = FQDN
    NAME: ClassVar[str] = "hostname"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> Fqdn:
        if not data or data[0] + 2 > len(data):
            raise OpenMessageError("FQDN capability truncated")
        host_end = 1 + data[0]
        domain_end = host_end + 1 + data[host_end]
        if domain_end > len(data):
            raise OpenMessageError("FQDN capability domain name truncated")
        return cls(_text(data[1:host_end]), _text(data[host_end + 1 : domain_end]))

    def encode(self, session: Any = None) -> bytes:
        host = self.host_name.encode("utf-8")[:64]
        domain = self.domain_name.encode("utf-8")[:255 - 2 - len(host)]
        return _tlv(FQDN, bytes((len(host),)) + host + bytes((len(domain),)) + domain)


# +--------------------------------+
# | Version Length (1 octet)       |
# | Software Version (variable)    |   draft-abraitis-bgp-version-capability 3
# +--------------------------------+


@dataclass(frozen=True, slots=True)
class SoftwareVersion:
    version: str

    CODE: ClassVar[int] = SOFTWARE_VERSION
    NAME: ClassVar[str] = "software-version"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> SoftwareVersion:
        if not data or data[0] + 1 > len(data):
            raise OpenMessageError("software version capability truncated")
        return cls(_text(data[1 : 1 + data[0]]))

    def encode(self, session: Any = None) -> bytes:
        # the draft caps the string at 64 octets
        version = self.version.encode("utf-8")[:64]
        return _tlv(SOFTWARE_VERSION, bytes((len(version),)) + version)


# | capability codes, 1 octet each |   draft-ietf-idr-bgp-multisession 4, as
#                                      ExaBGP sends it


@dataclass(frozen=True, slots=True)
class MultiSession:
    codes: tuple[int, ...] = ()

    CODE: ClassVar[int] = MULTISESSION
    NAME: ClassVar[str] = "multisession"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> MultiSession:
        return cls(tuple(data))

    def encode(self, session: Any = None) -> bytes:
        return _tlv(MULTISESSION, bytes(self.codes))


# (no value)                          ExaBGP's operational messages


@dataclass(frozen=True, slots=True)
class Operational:
    CODE: ClassVar[int] = OPERATIONAL
    NAME: ClassVar[str] = "operational"

    @classmethod
    def decode(cls, data: bytes, session: Any = None) -> Operational:
        return cls()

    def encode(self, session: Any = None) -> bytes:
        return _tlv(OPERATIONAL, b"")


# | code | length | value, opaque |


@dataclass(frozen=True, slots=True)
class UnknownCapability:
    code: int
    data: bytes

    NAME: ClassVar[str] = "unknown"

    def encode(self, session: Any = None) -> bytes:
        return _tlv(self.code, self.data)


CAPABILITIES: dict[int, Any] = {
    cls.CODE: cls
    for cls in (
        Multiprotocol,
        RouteRefreshCapability,
        ExtendedNextHop,
        ExtendedMessage,
        BgpRole,
        GracefulRestart,
        FourOctetAs,
        MultiSession,
        AddPath,
        EnhancedRouteRefresh,
        LongLivedGracefulRestart,
        Fqdn,
        SoftwareVersion,
        Operational,
    )
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
