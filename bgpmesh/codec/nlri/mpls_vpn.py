"""MPLS L3VPN, "mpls-vpn" (SAFI 128): VPN-IPv4 (RFC 4364 section 4.3.4) and
VPN-IPv6 (RFC 4659 section 3.2) prefixes.

The Length counts label, Route Distinguisher and prefix bits.  The next hop
of these routes is itself a VPN address with an all-zero RD (RFC 4364
section 4.3.2, RFC 4659 section 3.2.1): see ``attributes/mp_reach.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bgpmesh.codec.nlri.base import (
    _MASK,
    NlriCodec,
    decode_one,
    need,
    pack_labels,
    path_id_octets,
    prefix_octets,
    prefix_text,
    unpack_labels,
)
from bgpmesh.codec.nlri.prefix import _OCTET
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.codec.slots import builder
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
    def unpack_field(cls, data: bytes, afi: int, add_path: bool) -> tuple[VpnPrefix, ...]:
        """A whole NLRI field.  The usual prefix (one label, bottom of stack
        set; an IPv4 prefix; all its octets there) is read inline, the RD
        shared by its octets, the text built from octet strings; anything
        else takes the checked path, ``unpack``."""
        out = []
        append = out.append
        offset = 0
        size = len(data)
        make = _vpn_prefix
        rds = _RDS
        text = _OCTET
        mask = _MASK
        path_id = None
        fast = afi == 1
        rd = None
        raw_rd = b""
        while offset < size:
            if add_path:
                need(data, offset + 5, "path identifier")
                path_id = int.from_bytes(data[offset : offset + 4], "big")
                offset += 4
            bits = data[offset] - 88  # 88: one label and the RD
            end = offset + 12 + ((bits + 7) >> 3)
            if not fast or not 0 <= bits <= 32 or end > size or not data[offset + 3] & 1:
                value, offset = cls.unpack(data, offset, afi, path_id)
                append(value)
                continue
            # prefixes of one RD come in runs: compared in place, no copy
            if rd is None or not data.startswith(raw_rd, offset + 4):
                raw_rd = data[offset + 4 : offset + 12]
                rd = rds.get(raw_rd)
                if rd is None:
                    if len(rds) >= 4096:
                        rds.clear()
                    rd = rds[raw_rd] = RouteDistinguisher(bytes(raw_rd))
            at = offset + 12
            # the prefix text, one branch per octet count (prefix.ipv4_text);
            # the length too is text from the table
            if bits > 24:
                prefix = (f"{text[data[at]]}.{text[data[at + 1]]}.{text[data[at + 2]]}."
                          f"{text[data[at + 3] & mask[bits & 7]]}/{text[bits]}")
            elif bits > 16:
                prefix = (f"{text[data[at]]}.{text[data[at + 1]]}.{text[data[at + 2] & mask[bits & 7]]}"
                          f".0/{text[bits]}")
            elif bits > 8:
                prefix = f"{text[data[at]]}.{text[data[at + 1] & mask[bits & 7]]}.0.0/{text[bits]}"
            elif bits:
                prefix = f"{text[data[at] & mask[bits & 7]]}.0.0.0/{text[bits]}"
            else:
                prefix = "0.0.0.0/0"
            append(make(afi, rd, prefix, ((data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3],),
                        path_id))
            offset = end
        return tuple(out)

    @classmethod
    def unpack(cls, data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[VpnPrefix, int]:
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


_vpn_prefix = builder(VpnPrefix)

IPV4_VPN_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_MPLS_VPN), "ipv4 mpls-vpn", VpnPrefix)
IPV6_VPN_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_MPLS_VPN), "ipv6 mpls-vpn", VpnPrefix)
