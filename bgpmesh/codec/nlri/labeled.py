"""Labeled unicast, "nlri-mpls" (SAFI 4), RFC 8277.

The Length counts label bits and prefix bits together; labels are read until
one has the Bottom-of-Stack bit (RFC 8277 section 2.2, Multiple Labels
Capability) or is the withdrawal value 0x800000 (section 2.4).
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
from bgpmesh.family import AFI_IPV4, AFI_IPV6, SAFI_MPLS_LABEL, Family

# +---------------------------+
# |   Length (1 octet, bits)  |
# +---------------------------+
# |   Label (3 octets) ...    |  one or more, the last with S=1
# +---------------------------+
# |   Prefix (variable)       |
# +---------------------------+


@dataclass(frozen=True, slots=True)
class LabeledPrefix:
    afi: int
    prefix: str
    labels: tuple[int, ...]  # raw 24-bit label fields
    path_id: int | None = None

    @classmethod
    def unpack(cls, data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[LabeledPrefix, int]:
        need(data, offset + 1, "labeled NLRI")
        bits = data[offset]
        labels, offset, bits = unpack_labels(data, offset + 1, bits)
        end = offset + ((bits + 7) >> 3)
        need(data, end, "labeled prefix")
        return cls(afi, prefix_text(afi, bits, data[offset:end]), labels, path_id), end

    @classmethod
    def decode(cls, data: bytes, afi: int, add_path: bool = False) -> LabeledPrefix:
        return decode_one(cls, data, afi, add_path)

    def encode(self) -> bytes:
        bits, raw = prefix_octets(self.afi, self.prefix)
        labels = pack_labels(self.labels)
        return path_id_octets(self.path_id) + bytes((bits + 8 * len(labels),)) + labels + raw


IPV4_MPLS_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_MPLS_LABEL), "ipv4 nlri-mpls", LabeledPrefix)
IPV6_MPLS_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_MPLS_LABEL), "ipv6 nlri-mpls", LabeledPrefix)
