"""EVPN (AFI 25, SAFI 70): route types 1 to 4 of RFC 7432 section 7 and
type 5 of RFC 9136 section 3.

Theory of operation: each NLRI is a route type, a length and a body; one
class per known type reads its body, any other type is kept as
``EvpnUnknown`` with its raw body (RFC 7432 section 7: "a speaker ... MUST
ignore" a route type it does not know, which it can only do since the length
says where it ends).  Labels are the raw 3-octet fields.

``route_key()`` is the NLRI with only the fields that name the route: each
route type's section says some fields are "to be treated as a route
attribute as opposed to being part of the route" (the labels, the ESI of
types 2 and 5, the gateway of type 5).  An Adj-RIB-Out keys routes with it,
so a new label replaces a route instead of adding one, and a withdrawal
carries it with those fields zeroed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bgpmesh.codec.nlri.base import (
    NlriCodec,
    address_octets,
    address_text,
    decode_one,
    prefix_octets,
    prefix_text,
    typed_encoder,
    unpack_typed,
)
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import AFI_L2VPN, SAFI_EVPN, Family

# +-----------------------------------+
# |    Route Type (1 octet)           |
# +-----------------------------------+
# |     Length (1 octet)              |
# +-----------------------------------+
# | Route Type specific (variable)    |
# +-----------------------------------+
#
# 1 Ethernet A-D:   RD 8 | ESI 10 | Ethernet Tag 4 | MPLS Label 3
# 2 MAC/IP:         RD 8 | ESI 10 | Ethernet Tag 4 | MAC len 1 | MAC 6 |
#                   IP len 1 | IP 0/4/16 | MPLS Label1 3 | [MPLS Label2 3]
# 3 Inclusive Mcast:RD 8 | Ethernet Tag 4 | IP len 1 | Originating IP 4/16
# 4 Ethernet Seg.:  RD 8 | ESI 10 | IP len 1 | Originating IP 4/16
# 5 IP Prefix:      RD 8 | ESI 10 | Ethernet Tag 4 | Prefix len 1 |
#                   Prefix 4/16 | Gateway IP 4/16 | MPLS Label 3

ETHERNET_AD = 1
MAC_IP = 2
INCLUSIVE_MULTICAST = 3
ETHERNET_SEGMENT = 4
IP_PREFIX = 5


def _rd(body: bytes) -> RouteDistinguisher:
    return RouteDistinguisher(bytes(body[:8]))


def _u(body: bytes, start: int, size: int) -> int:
    return int.from_bytes(body[start : start + size], "big")


def _ip(body: bytes, at: int) -> tuple[str, int]:
    """An IP length octet (bits) and address; (text, offset after)."""
    bits = body[at]
    if bits not in (32, 128):
        raise InvalidNetworkField(f"EVPN IP address length {bits}")
    end = at + 1 + bits // 8
    if end > len(body):
        raise InvalidNetworkField("EVPN IP address truncated")
    return address_text(body[at + 1 : end]), end


def _ip_octets(text: str) -> bytes:
    raw = address_octets(text)
    return bytes((len(raw) * 8,)) + raw


NO_ESI = bytes(10)  # RFC 7432 section 5: ESI 0 denotes a single-homed site


@dataclass(frozen=True, slots=True)
class EvpnEthernetAd:
    rd: RouteDistinguisher
    esi: bytes
    etag: int
    label: int
    path_id: int | None = None

    CODE = ETHERNET_AD

    @classmethod
    def from_body(cls, body: bytes, path_id: int | None) -> EvpnEthernetAd:
        if len(body) != 25:
            raise InvalidNetworkField(f"EVPN Ethernet A-D length {len(body)}")
        return cls(_rd(body), bytes(body[8:18]), _u(body, 18, 4), _u(body, 22, 3), path_id)

    def body(self) -> bytes:
        return self.rd.raw + self.esi + self.etag.to_bytes(4, "big") + self.label.to_bytes(3, "big")

    def route_key(self) -> EvpnEthernetAd:
        # RFC 7432 section 7.1: "only the Ethernet Segment Identifier and the
        # Ethernet Tag ID are considered to be part of the prefix in the NLRI"
        return replace(self, label=0)


@dataclass(frozen=True, slots=True)
class EvpnMacIp:
    rd: RouteDistinguisher
    esi: bytes
    etag: int
    mac: bytes
    ip: str | None
    labels: tuple[int, ...]  # one or two raw label fields
    path_id: int | None = None

    CODE = MAC_IP

    @classmethod
    def from_body(cls, body: bytes, path_id: int | None) -> EvpnMacIp:
        if len(body) < 33:
            raise InvalidNetworkField(f"EVPN MAC/IP length {len(body)}")
        # RFC 7432 section 7.2: "The MAC Address Length field is in bits, and
        # it is set to 48."
        if body[22] != 48:
            raise InvalidNetworkField(f"EVPN MAC length {body[22]}")
        mac = bytes(body[23:29])
        ip: str | None = None
        at = 30
        if body[29]:
            ip, at = _ip(body, 29)
        rest = len(body) - at
        if rest not in (3, 6):
            raise InvalidNetworkField(f"EVPN MAC/IP has {rest} octets of labels")
        labels = tuple(_u(body, start, 3) for start in range(at, len(body), 3))
        return cls(_rd(body), bytes(body[8:18]), _u(body, 18, 4), mac, ip, labels, path_id)

    def body(self) -> bytes:
        ip = _ip_octets(self.ip) if self.ip is not None else b"\x00"
        labels = b"".join(label.to_bytes(3, "big") for label in self.labels)
        return self.rd.raw + self.esi + self.etag.to_bytes(4, "big") + b"\x30" + self.mac + ip + labels

    def route_key(self) -> EvpnMacIp:
        # RFC 7432 section 7.2: "The Ethernet Segment Identifier, MPLS Label1,
        # and MPLS Label2 fields are to be treated as route attributes"
        return replace(self, esi=NO_ESI, labels=(0,))


@dataclass(frozen=True, slots=True)
class EvpnMulticast:
    rd: RouteDistinguisher
    etag: int
    ip: str
    path_id: int | None = None

    CODE = INCLUSIVE_MULTICAST

    @classmethod
    def from_body(cls, body: bytes, path_id: int | None) -> EvpnMulticast:
        if len(body) < 13:
            raise InvalidNetworkField(f"EVPN inclusive multicast length {len(body)}")
        ip, end = _ip(body, 12)
        if end != len(body):
            raise InvalidNetworkField("EVPN inclusive multicast length")
        return cls(_rd(body), _u(body, 8, 4), ip, path_id)

    def body(self) -> bytes:
        return self.rd.raw + self.etag.to_bytes(4, "big") + _ip_octets(self.ip)

    def route_key(self) -> EvpnMulticast:
        return self  # RFC 7432 section 7.3: every field names the route


@dataclass(frozen=True, slots=True)
class EvpnSegment:
    rd: RouteDistinguisher
    esi: bytes
    ip: str
    path_id: int | None = None

    CODE = ETHERNET_SEGMENT

    @classmethod
    def from_body(cls, body: bytes, path_id: int | None) -> EvpnSegment:
        if len(body) < 19:
            raise InvalidNetworkField(f"EVPN ethernet segment length {len(body)}")
        ip, end = _ip(body, 18)
        if end != len(body):
            raise InvalidNetworkField("EVPN ethernet segment length")
        return cls(_rd(body), bytes(body[8:18]), ip, path_id)

    def body(self) -> bytes:
        return self.rd.raw + self.esi + _ip_octets(self.ip)

    def route_key(self) -> EvpnSegment:
        return self  # RFC 7432 section 7.4: every field names the route


@dataclass(frozen=True, slots=True)
class EvpnPrefix:
    rd: RouteDistinguisher
    esi: bytes
    etag: int
    prefix: str
    gateway: str
    label: int
    path_id: int | None = None

    CODE = IP_PREFIX

    @classmethod
    def from_body(cls, body: bytes, path_id: int | None) -> EvpnPrefix:
        # RFC 9136 section 3.1: "The Length field ... is 34 octets for IPv4
        # ... and 58 for IPv6"; the family of prefix and gateway follows it
        if len(body) == 34:
            afi, width = 1, 4
        elif len(body) == 58:
            afi, width = 2, 16
        else:
            raise InvalidNetworkField(f"EVPN IP prefix length {len(body)}")
        bits = body[22]
        prefix = prefix_text(afi, bits, bytes(body[23 : 23 + ((bits + 7) >> 3)]))
        gateway = address_text(body[23 + width : 23 + 2 * width])
        label = _u(body, 23 + 2 * width, 3)
        return cls(_rd(body), bytes(body[8:18]), _u(body, 18, 4), prefix, gateway, label, path_id)

    def body(self) -> bytes:
        afi = 2 if ":" in self.prefix else 1
        bits, raw = prefix_octets(afi, self.prefix)
        width = 16 if afi == 2 else 4
        gateway = address_octets(self.gateway)
        if len(gateway) != width:
            raise ValueError("EVPN prefix and gateway of different families")
        return b"".join(
            (
                self.rd.raw,
                self.esi,
                self.etag.to_bytes(4, "big"),
                bytes((bits,)),
                raw.ljust(width, b"\x00"),
                gateway,
                self.label.to_bytes(3, "big"),
            )
        )

    def route_key(self) -> EvpnPrefix:
        # RFC 9136 section 3.1: "The RD, Ethernet Tag ID, IP prefix length,
        # and IP prefix are part of the route key ...  The ESI, Gateway IP
        # Address, and MPLS Label fields are not part of the route key"
        gateway = "::" if ":" in self.prefix else "0.0.0.0"
        return replace(self, esi=NO_ESI, gateway=gateway, label=0)


@dataclass(frozen=True, slots=True)
class EvpnUnknown:
    code: int
    raw: bytes
    path_id: int | None = None

    @property
    def CODE(self) -> int:  # noqa: N802 - same spelling as the known types
        return self.code

    def body(self) -> bytes:
        return self.raw

    def route_key(self) -> EvpnUnknown:
        return self


ROUTE_TYPES: dict[int, Any] = {
    cls.CODE: cls for cls in (EvpnEthernetAd, EvpnMacIp, EvpnMulticast, EvpnSegment, EvpnPrefix)
}
EvpnRoute = EvpnEthernetAd | EvpnMacIp | EvpnMulticast | EvpnSegment | EvpnPrefix | EvpnUnknown


class Evpn:
    """Reads any EVPN route type; ``encode(route)`` writes one."""

    @staticmethod
    def unpack(data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[EvpnRoute, int]:
        code, body, end = unpack_typed(data, offset, "EVPN")
        kind = ROUTE_TYPES.get(code)
        if kind is None:
            return EvpnUnknown(code, body, path_id), end
        return kind.from_body(body, path_id), end

    @classmethod
    def decode(cls, data: bytes, afi: int = AFI_L2VPN, add_path: bool = False) -> EvpnRoute:
        return decode_one(cls, data, afi, add_path)


_encode = typed_encoder("EVPN")
for _cls in (*ROUTE_TYPES.values(), EvpnUnknown):
    _cls.encode = _encode

EVPN_CODEC = NlriCodec(Family(AFI_L2VPN, SAFI_EVPN), "l2vpn evpn", Evpn)
