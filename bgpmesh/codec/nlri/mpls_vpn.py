"""MPLS L3VPN, "mpls-vpn" (SAFI 128): VPN-IPv4 (RFC 4364 section 4.3.4) and
VPN-IPv6 (RFC 4659 section 3.2) prefixes.

The Length counts label, Route Distinguisher and prefix bits.  The next hop
of these routes is itself a VPN address with an all-zero RD (RFC 4364
section 4.3.2, RFC 4659 section 3.2.1): see ``attributes/mp_reach.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bgpmesh.codec.nlri.base import (
    NlriCodec,
    decode_one,
    need,
    pack_labels,
    path_id_octets,
    prefix_octets,
    prefix_text,
    unpack_labels,
)
from bgpmesh.codec.nlri.prefix import ipv4_text
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import AFI_IPV4, AFI_IPV6, SAFI_MPLS_VPN, Family

# +---------------------------------+
# |   Length (1 octet, bits)        |
# +---------------------------------+
# |   Label (3 octets) ...          |
# +---------------------------------+
# |   Route Distinguisher (8)       |
# +---------------------------------+
# |   IPv4/IPv6 prefix (variable)   |
# +---------------------------------+


# Route Distinguishers by their 8 octets: a peer sends a few, over and over
# (the values are frozen, so sharing them is safe).
_RDS: dict[bytes, RouteDistinguisher] = {}


@dataclass(frozen=True, slots=True)
class VpnPrefix:
    afi: int
    rd: RouteDistinguisher
    prefix: str
    labels: tuple[int, ...]
    path_id: int | None = None

    @classmethod
    def unpack(cls, data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[VpnPrefix, int]:
        # Fast path, the usual case: one label (bottom of stack) and an IPv4
        # prefix, all there.  Anything else takes the checked path below.
        bits = data[offset] - 88 if offset < len(data) else -1
        if afi == 1 and 0 <= bits <= 32:
            end = offset + 12 + ((bits + 7) >> 3)
            if end <= len(data) and data[offset + 3] & 1:
                label = (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3]
                raw_rd = data[offset + 4 : offset + 12]
                rd = _RDS.get(raw_rd)
                if rd is None:
                    if len(_RDS) >= 4096:
                        _RDS.clear()
                    rd = _RDS[raw_rd] = RouteDistinguisher(bytes(raw_rd))
                return cls(afi, rd, ipv4_text(data, offset + 12, bits), (label,), path_id), end
        return cls._unpack(data, offset, afi, path_id)

    @classmethod
    def _unpack(cls, data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[VpnPrefix, int]:
        need(data, offset + 1, "VPN NLRI")
        bits = data[offset]
        labels, offset, bits = unpack_labels(data, offset + 1, bits)
        if bits < 64:
            raise InvalidNetworkField("VPN NLRI too short for its route distinguisher")
        need(data, offset + 8, "route distinguisher")
        rd = RouteDistinguisher(bytes(data[offset : offset + 8]))
        offset += 8
        bits -= 64
        end = offset + ((bits + 7) >> 3)
        need(data, end, "VPN prefix")
        return cls(afi, rd, prefix_text(afi, bits, data[offset:end]), labels, path_id), end

    @classmethod
    def decode(cls, data: bytes, afi: int, add_path: bool = False) -> VpnPrefix:
        return decode_one(cls, data, afi, add_path)

    def encode(self) -> bytes:
        bits, raw = prefix_octets(self.afi, self.prefix)
        labels = pack_labels(self.labels)
        length = bits + 8 * (len(labels) + 8)
        return path_id_octets(self.path_id) + bytes((length,)) + labels + self.rd.raw + raw


IPV4_VPN_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_MPLS_VPN), "ipv4 mpls-vpn", VpnPrefix)
IPV6_VPN_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_MPLS_VPN), "ipv6 mpls-vpn", VpnPrefix)
