"""BGP-MUP (AFI 1/2, SAFI 85), draft-mpmz-bess-mup-safi section 3.

Theory of operation: like EVPN, each NLRI is a header saying what it is and
how long it is, then a body; the header here is an Architecture Type, a
2-octet Route Type and a 1-octet Length.  The routes of architecture 1
(3gpp-5g) are read by one class each; any other (architecture, route type)
is kept as ``MupUnknown`` with its raw body, which the Length lets us step
over.  The family of the prefixes inside follows the AFI of the NLRI (the
Interwork Segment Discovery prefix, the Type 1 ST prefix, the Type 2 ST
endpoint); the addresses that carry their own length octet (the Type 1 ST
endpoint and source) and the Direct Segment Discovery address (4 or 16
octets by the body length) may be of either family.

Rules of this file: the body length must be exactly what its fields use
(InvalidNetworkField otherwise, see ``base.py``); a prefix keeps its host
bits cleared, as every other family here does.
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
    path_id_octets,
    prefix_octets,
    prefix_text,
)
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import AFI_IPV4, AFI_IPV6, SAFI_MUP, Family

# +-----------------------------------+
# |    Architecture Type (1 octet)    |   1: 3gpp-5g
# +-----------------------------------+
# |       Route Type (2 octets)       |
# +-----------------------------------+
# |         Length (1 octet)          |   of the body, in octets
# +-----------------------------------+
# |  Route Type specific (variable)   |
# +-----------------------------------+
#
# 1 Interwork Segment Discovery (ISD):  RD 8 | Prefix Length 1 | Prefix (variable)
# 2 Direct Segment Discovery (DSD):     RD 8 | Address 4/16
# 3 Type 1 Session Transformed (T1ST):  RD 8 | Prefix Length 1 | Prefix (variable) |
#                                       TEID 4 | QFI 1 | Endpoint Length 1 (bits) |
#                                       Endpoint 4/16 | [Source Length 1 | Source 4/16]
# 4 Type 2 Session Transformed (T2ST):  RD 8 | Endpoint Length 1 (bits) |
#                                       Endpoint 4/16 | TEID (0 to 4 octets)
#
# The T2ST Endpoint Length counts the address and the TEID bits after it: an
# IPv4 endpoint with a 16-bit TEID is 48.  The TEID is the integer of the
# octets present (their trailing spare bits included, so they round-trip).

ARCH_3GPP_5G = 1
ISD = 1
DSD = 2
T1ST = 3
T2ST = 4

_WIDTH = {AFI_IPV4: 4, AFI_IPV6: 16}


def _rd(body: bytes) -> RouteDistinguisher:
    return RouteDistinguisher(bytes(body[:8]))


def _prefix(body: bytes, at: int, afi: int, what: str) -> tuple[str, int]:
    """A prefix length octet (bits) and its significant octets; (text, offset after)."""
    need(body, at + 1, what)
    bits = body[at]
    if bits > _WIDTH[afi] * 8:
        raise InvalidNetworkField(f"{what} prefix length {bits}")
    end = at + 1 + ((bits + 7) >> 3)
    need(body, end, what)
    return prefix_text(afi, bits, bytes(body[at + 1 : end])), end


def _prefix_octets(afi: int, prefix: str) -> bytes:
    bits, raw = prefix_octets(afi, prefix)
    return bytes((bits,)) + raw


def _address(body: bytes, at: int, what: str) -> tuple[str, int]:
    """An address length octet (32 or 128 bits) and the address."""
    need(body, at + 1, what)
    bits = body[at]
    if bits not in (32, 128):
        raise InvalidNetworkField(f"{what} address length {bits}")
    end = at + 1 + bits // 8
    need(body, end, what)
    return address_text(body[at + 1 : end]), end


def _address_octets(text: str) -> bytes:
    raw = address_octets(text)
    return bytes((len(raw) * 8,)) + raw


def _afi(text: str) -> int:
    return AFI_IPV6 if ":" in text else AFI_IPV4


@dataclass(frozen=True, slots=True)
class MupInterworkSegment:
    """Interwork Segment Discovery route."""

    rd: RouteDistinguisher
    prefix: str
    path_id: int | None = None

    CODE = ISD

    @classmethod
    def from_body(cls, body: bytes, afi: int, path_id: int | None) -> MupInterworkSegment:
        need(body, 9, "MUP interwork segment discovery route")
        prefix, end = _prefix(body, 8, afi, "MUP interwork segment discovery")
        if end != len(body):
            raise InvalidNetworkField(f"MUP interwork segment discovery route of {len(body)} octets")
        return cls(_rd(body), prefix, path_id)

    def body(self) -> bytes:
        return self.rd.raw + _prefix_octets(_afi(self.prefix), self.prefix)


@dataclass(frozen=True, slots=True)
class MupDirectSegment:
    """Direct Segment Discovery route."""

    rd: RouteDistinguisher
    address: str
    path_id: int | None = None

    CODE = DSD

    @classmethod
    def from_body(cls, body: bytes, afi: int, path_id: int | None) -> MupDirectSegment:
        if len(body) not in (12, 24):
            raise InvalidNetworkField(f"MUP direct segment discovery route of {len(body)} octets")
        return cls(_rd(body), address_text(body[8:]), path_id)

    def body(self) -> bytes:
        return self.rd.raw + address_octets(self.address)


@dataclass(frozen=True, slots=True)
class MupType1Session:
    """Type 1 Session Transformed route (3gpp-5g: TEID, QFI, endpoint, source)."""

    rd: RouteDistinguisher
    prefix: str
    teid: int
    qfi: int
    endpoint: str
    source: str | None = None
    path_id: int | None = None

    CODE = T1ST

    @classmethod
    def from_body(cls, body: bytes, afi: int, path_id: int | None) -> MupType1Session:
        try:
            return cls._read(body, afi, path_id, False)
        except InvalidNetworkField as error:
            # GoBGP 3.10 writes this prefix as a whole address (4 or 16
            # octets, whatever its length) and resets no session over it;
            # its later "fix prefix format in Type 1 ST route" reads the
            # draft's layout.  Only a body the draft's layout cannot read is
            # tried this way, so a conformant route is never read twice.
            try:
                return cls._read(body, afi, path_id, True)
            except InvalidNetworkField:
                raise error from None

    @classmethod
    def _read(cls, body: bytes, afi: int, path_id: int | None, whole: bool) -> MupType1Session:
        need(body, 9, "MUP type 1 session transformed route")
        if whole:
            width = _WIDTH[afi]
            need(body, 9 + width, "MUP type 1 session transformed route")
            bits = body[8]
            if bits > width * 8 or (bits + 7) >> 3 == width:
                raise InvalidNetworkField("MUP type 1 session transformed prefix")
            prefix, at = prefix_text(afi, bits, bytes(body[9 : 9 + ((bits + 7) >> 3)])), 9 + width
        else:
            prefix, at = _prefix(body, 8, afi, "MUP type 1 session transformed")
        need(body, at + 5, "MUP type 1 session transformed route")
        teid = int.from_bytes(body[at : at + 4], "big")
        qfi = body[at + 4]
        endpoint, at = _address(body, at + 5, "MUP type 1 session transformed endpoint")
        source = None
        if at < len(body):
            source, at = _address(body, at, "MUP type 1 session transformed source")
        if at != len(body):
            raise InvalidNetworkField(f"MUP type 1 session transformed route of {len(body)} octets")
        return cls(_rd(body), prefix, teid, qfi, endpoint, source, path_id)

    def body(self) -> bytes:
        source = _address_octets(self.source) if self.source is not None else b""
        return b"".join(
            (
                self.rd.raw,
                _prefix_octets(_afi(self.prefix), self.prefix),
                self.teid.to_bytes(4, "big"),
                bytes((self.qfi,)),
                _address_octets(self.endpoint),
                source,
            )
        )


@dataclass(frozen=True, slots=True)
class MupType2Session:
    """Type 2 Session Transformed route (3gpp-5g: endpoint and leading TEID bits)."""

    rd: RouteDistinguisher
    endpoint: str
    teid_bits: int  # 0 to 32: Endpoint Length less the address
    teid: int = 0  # the integer of the (teid_bits + 7) // 8 octets on the wire
    path_id: int | None = None

    CODE = T2ST

    @classmethod
    def from_body(cls, body: bytes, afi: int, path_id: int | None) -> MupType2Session:
        need(body, 9, "MUP type 2 session transformed route")
        width = _WIDTH[afi]
        bits = body[8] - width * 8
        if not 0 <= bits <= 32:
            raise InvalidNetworkField(f"MUP type 2 session transformed endpoint length {body[8]}")
        end = 9 + width + ((bits + 7) >> 3)
        if len(body) != end:
            raise InvalidNetworkField(f"MUP type 2 session transformed route of {len(body)} octets")
        teid = int.from_bytes(body[9 + width :], "big")
        return cls(_rd(body), address_text(body[9 : 9 + width]), bits, teid, path_id)

    def body(self) -> bytes:
        address = address_octets(self.endpoint)
        if not 0 <= self.teid_bits <= 32:
            raise ValueError(f"MUP TEID of {self.teid_bits} bits")
        if not 0 <= self.teid < 1 << (((self.teid_bits + 7) >> 3) * 8):
            raise ValueError(f"MUP TEID {self.teid} does not fit its {self.teid_bits} bits")
        return b"".join(
            (
                self.rd.raw,
                bytes((len(address) * 8 + self.teid_bits,)),
                address,
                self.teid.to_bytes((self.teid_bits + 7) >> 3, "big"),
            )
        )


@dataclass(frozen=True, slots=True)
class MupUnknown:
    """A route of an architecture or route type this file does not know."""

    arch: int
    code: int
    raw: bytes
    path_id: int | None = None

    @property
    def CODE(self) -> int:  # noqa: N802 - same spelling as the known types
        return self.code

    def body(self) -> bytes:
        return self.raw


ROUTE_TYPES: dict[int, Any] = {
    cls.CODE: cls for cls in (MupInterworkSegment, MupDirectSegment, MupType1Session, MupType2Session)
}
MupRoute = MupInterworkSegment | MupDirectSegment | MupType1Session | MupType2Session | MupUnknown


class Mup:
    """Reads any BGP-MUP route; ``route.encode()`` writes one."""

    @staticmethod
    def unpack(data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[MupRoute, int]:
        need(data, offset + 4, "MUP NLRI header")
        arch = data[offset]
        code = (data[offset + 1] << 8) | data[offset + 2]
        end = offset + 4 + data[offset + 3]
        need(data, end, "MUP NLRI")
        body = bytes(data[offset + 4 : end])
        kind = ROUTE_TYPES.get(code) if arch == ARCH_3GPP_5G else None
        if kind is None:
            return MupUnknown(arch, code, body, path_id), end
        if afi not in _WIDTH:
            raise InvalidNetworkField(f"MUP NLRI of AFI {afi}")
        return kind.from_body(body, afi, path_id), end

    @classmethod
    def decode(cls, data: bytes, afi: int = AFI_IPV4, add_path: bool = False) -> MupRoute:
        return decode_one(cls, data, afi, add_path)


def _encode(self: Any) -> bytes:
    body = self.body()
    if len(body) > 255:
        raise ValueError(f"MUP route of {len(body)} octets")
    arch = self.arch if type(self) is MupUnknown else ARCH_3GPP_5G
    return path_id_octets(self.path_id) + bytes((arch,)) + self.CODE.to_bytes(2, "big") + bytes((len(body),)) + body


for _cls in (*ROUTE_TYPES.values(), MupUnknown):
    _cls.encode = _encode

IPV4_MUP_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_MUP), "ipv4 mup", Mup)
IPV6_MUP_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_MUP), "ipv6 mup", Mup)
