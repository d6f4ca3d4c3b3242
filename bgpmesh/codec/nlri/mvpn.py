"""MCAST-VPN (AFI 1/2, SAFI 5): the seven route types of RFC 6514 section 4.

Theory of operation: as in EVPN, each NLRI is a route type, a length in
octets and a body; one class per type reads its body, any other type is
kept as ``MvpnUnknown`` with its raw body (the length says where it ends).
Addresses carry their own length octet (32 or 128 bits, RFC 6514 sections
4.3 to 4.6), so an IPv6 customer source can ride in an IPv4 route (RFC
6515); the Originating Router's IP Address has no length octet and is
whatever is left of the body, 4 or 16 octets (RFC 6515 section 2).  The
Leaf A-D route's Route Key is itself an MCAST-VPN NLRI (RFC 6514 section
4.4), read with the same classes.

Rules of this file: a body whose fields do not add up to its length raises
InvalidNetworkField (``base.py``).  RFC 6625 wildcards (a source or group
length of 0, "*") are taken in the S-PMSI A-D route, the only type they are
defined for, and kept as None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bgpmesh.codec.nlri.base import (
    NlriCodec,
    address_octets,
    address_text,
    decode_one,
    need,
    typed_encoder,
    unpack_typed,
)
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import AFI_IPV4, AFI_IPV6, SAFI_MCAST_VPN, Family

# +-----------------------------------+
# |    Route Type (1 octet)           |
# +-----------------------------------+
# |     Length (1 octet)              |
# +-----------------------------------+
# | Route Type specific (variable)    |
# +-----------------------------------+
#
# 1 Intra-AS I-PMSI A-D (4.1):  RD 8 | Originating Router's IP 4/16
# 2 Inter-AS I-PMSI A-D (4.2):  RD 8 | Source AS 4
# 3 S-PMSI A-D (4.3):           RD 8 | Source Length 1 | Source 0/4/16 |
#                               Group Length 1 | Group 0/4/16 | Originating Router's IP 4/16
# 4 Leaf A-D (4.4):             Route Key (an MCAST-VPN NLRI) | Originating Router's IP 4/16
# 5 Source Active A-D (4.5):    RD 8 | Source Length 1 | Source 4/16 | Group Length 1 | Group 4/16
# 6 Shared Tree Join (4.6):     RD 8 | Source AS 4 | Source Length 1 | Source 4/16 |
# 7 Source Tree Join (4.6):                          Group Length 1 | Group 4/16

INTRA_AS_I_PMSI_AD = 1
INTER_AS_I_PMSI_AD = 2
S_PMSI_AD = 3
LEAF_AD = 4
SOURCE_ACTIVE_AD = 5
SHARED_TREE_JOIN = 6
SOURCE_TREE_JOIN = 7


def _rd(body: bytes) -> RouteDistinguisher:
    return RouteDistinguisher(bytes(body[:8]))


def _address(body: bytes, at: int, what: str, wildcard: bool = False) -> tuple[str | None, int]:
    """A length octet (bits) then the address; (text or None for "*", offset after)."""
    need(body, at + 1, what)
    bits = body[at]
    if bits == 0 and wildcard:
        return None, at + 1
    # RFC 6514 4.3, 4.5, 4.6: 32 for IPv4, 128 for IPv6, other values "outside the scope"
    if bits not in (32, 128):
        raise InvalidNetworkField(f"{what} length {bits}")
    end = at + 1 + bits // 8
    need(body, end, what)
    return address_text(body[at + 1 : end]), end


def _address_octets(text: str | None) -> bytes:
    if text is None:
        return b"\x00"
    raw = address_octets(text)
    return bytes((len(raw) * 8,)) + raw


def _originator(body: bytes, at: int, what: str) -> str:
    """The Originating Router's IP Address: the rest of the body, 4 or 16 octets."""
    if len(body) - at not in (4, 16):
        raise InvalidNetworkField(f"MCAST-VPN {what} route of {len(body)} octets")
    return address_text(body[at:])


def _source_group(body: bytes, at: int, what: str, wildcard: bool = False) -> tuple[str | None, str | None, int]:
    source, at = _address(body, at, f"MCAST-VPN {what} multicast source", wildcard)
    group, at = _address(body, at, f"MCAST-VPN {what} multicast group", wildcard)
    return source, group, at


@dataclass(frozen=True, slots=True)
class MvpnIntraAsIpmsiAd:
    rd: RouteDistinguisher
    originator: str
    path_id: int | None = None

    CODE = INTRA_AS_I_PMSI_AD

    @classmethod
    def from_body(cls, body: bytes, path_id: int | None) -> MvpnIntraAsIpmsiAd:
        return cls(_rd(body), _originator(body, 8, "intra-AS I-PMSI A-D"), path_id)

    def body(self) -> bytes:
        return self.rd.raw + address_octets(self.originator)


@dataclass(frozen=True, slots=True)
class MvpnInterAsIpmsiAd:
    rd: RouteDistinguisher
    source_as: int
    path_id: int | None = None

    CODE = INTER_AS_I_PMSI_AD

    @classmethod
    def from_body(cls, body: bytes, path_id: int | None) -> MvpnInterAsIpmsiAd:
        if len(body) != 12:
            raise InvalidNetworkField(f"MCAST-VPN inter-AS I-PMSI A-D route of {len(body)} octets")
        return cls(_rd(body), int.from_bytes(body[8:12], "big"), path_id)

    def body(self) -> bytes:
        return self.rd.raw + self.source_as.to_bytes(4, "big")


@dataclass(frozen=True, slots=True)
class MvpnSpmsiAd:
    rd: RouteDistinguisher
    source: str | None  # None: the RFC 6625 wildcard
    group: str | None
    originator: str
    path_id: int | None = None

    CODE = S_PMSI_AD

    @classmethod
    def from_body(cls, body: bytes, path_id: int | None) -> MvpnSpmsiAd:
        need(body, 8, "MCAST-VPN S-PMSI A-D route")
        source, group, at = _source_group(body, 8, "S-PMSI A-D", wildcard=True)
        return cls(_rd(body), source, group, _originator(body, at, "S-PMSI A-D"), path_id)

    def body(self) -> bytes:
        return self.rd.raw + _address_octets(self.source) + _address_octets(self.group) + address_octets(
            self.originator
        )


@dataclass(frozen=True, slots=True)
class MvpnLeafAd:
    route_key: Any  # the MCAST-VPN route this one answers, without a path identifier
    originator: str
    path_id: int | None = None

    CODE = LEAF_AD

    @classmethod
    def from_body(cls, body: bytes, path_id: int | None) -> MvpnLeafAd:
        key, at = Mvpn.unpack(body, 0, AFI_IPV4, None)
        return cls(key, _originator(body, at, "leaf A-D"), path_id)

    def body(self) -> bytes:
        if self.route_key.path_id is not None:
            raise ValueError("a leaf A-D route key has no path identifier")
        return self.route_key.encode() + address_octets(self.originator)


@dataclass(frozen=True, slots=True)
class MvpnSourceActiveAd:
    rd: RouteDistinguisher
    source: str
    group: str
    path_id: int | None = None

    CODE = SOURCE_ACTIVE_AD

    @classmethod
    def from_body(cls, body: bytes, path_id: int | None) -> MvpnSourceActiveAd:
        need(body, 8, "MCAST-VPN source active A-D route")
        source, group, at = _source_group(body, 8, "source active A-D")
        if at != len(body):
            raise InvalidNetworkField(f"MCAST-VPN source active A-D route of {len(body)} octets")
        return cls(_rd(body), source, group, path_id)

    def body(self) -> bytes:
        return self.rd.raw + _address_octets(self.source) + _address_octets(self.group)


@dataclass(frozen=True, slots=True)
class MvpnSharedTreeJoin:
    """C-multicast route for (C-*, C-G): ``source`` is the C-RP (RFC 6514 section 4.6)."""

    rd: RouteDistinguisher
    source_as: int
    source: str
    group: str
    path_id: int | None = None

    CODE = SHARED_TREE_JOIN


@dataclass(frozen=True, slots=True)
class MvpnSourceTreeJoin:
    """C-multicast route for (C-S, C-G)."""

    rd: RouteDistinguisher
    source_as: int
    source: str
    group: str
    path_id: int | None = None

    CODE = SOURCE_TREE_JOIN


def _join_from_body(cls: Any, body: bytes, path_id: int | None) -> Any:
    need(body, 12, "MCAST-VPN C-multicast route")
    source, group, at = _source_group(body, 12, "C-multicast")
    if at != len(body):
        raise InvalidNetworkField(f"MCAST-VPN C-multicast route of {len(body)} octets")
    return cls(_rd(body), int.from_bytes(body[8:12], "big"), source, group, path_id)


def _join_body(self: Any) -> bytes:
    return self.rd.raw + self.source_as.to_bytes(4, "big") + _address_octets(self.source) + _address_octets(self.group)


# the two C-multicast routes share a layout (RFC 6514 section 4.6)
for _join in (MvpnSharedTreeJoin, MvpnSourceTreeJoin):
    _join.from_body = classmethod(_join_from_body)
    _join.body = _join_body


@dataclass(frozen=True, slots=True)
class MvpnUnknown:
    code: int
    raw: bytes
    path_id: int | None = None

    @property
    def CODE(self) -> int:  # noqa: N802 - same spelling as the known types
        return self.code

    def body(self) -> bytes:
        return self.raw


ROUTE_TYPES: dict[int, Any] = {
    cls.CODE: cls
    for cls in (
        MvpnIntraAsIpmsiAd,
        MvpnInterAsIpmsiAd,
        MvpnSpmsiAd,
        MvpnLeafAd,
        MvpnSourceActiveAd,
        MvpnSharedTreeJoin,
        MvpnSourceTreeJoin,
    )
}
MvpnRoute = (
    MvpnIntraAsIpmsiAd
    | MvpnInterAsIpmsiAd
    | MvpnSpmsiAd
    | MvpnLeafAd
    | MvpnSourceActiveAd
    | MvpnSharedTreeJoin
    | MvpnSourceTreeJoin
    | MvpnUnknown
)


class Mvpn:
    """Reads any MCAST-VPN route type; ``route.encode()`` writes one."""

    @staticmethod
    def unpack(data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[MvpnRoute, int]:
        code, body, end = unpack_typed(data, offset, "MCAST-VPN")
        kind = ROUTE_TYPES.get(code)
        if kind is None:
            return MvpnUnknown(code, body, path_id), end
        if code != LEAF_AD and len(body) < 8:
            raise InvalidNetworkField(f"MCAST-VPN route type {code} of {len(body)} octets")
        return kind.from_body(body, path_id), end

    @classmethod
    def decode(cls, data: bytes, afi: int = AFI_IPV4, add_path: bool = False) -> MvpnRoute:
        return decode_one(cls, data, afi, add_path)


_encode = typed_encoder("MCAST-VPN")
for _cls in (*ROUTE_TYPES.values(), MvpnUnknown):
    _cls.encode = _encode

IPV4_MVPN_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_MCAST_VPN), "ipv4 mcast-vpn", Mvpn)
IPV6_MVPN_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_MCAST_VPN), "ipv6 mcast-vpn", Mvpn)
