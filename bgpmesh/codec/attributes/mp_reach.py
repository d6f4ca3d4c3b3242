"""MP_REACH_NLRI (type 14), RFC 4760 section 3; IPv6 next hops RFC 2545.

A family without a codec in ``FAMILIES`` decodes to ``UnknownAttribute`` so
it is carried, not lost.  Next hops are text: one address, or for IPv6 a
global address then a link-local one (RFC 2545 section 3), or none at all
(FlowSpec, RFC 8955 section 4: length 0).  The VPN families carry each
address after an all-zero Route Distinguisher (RFC 4364 section 4.3.2, RFC
4659 section 3.2.1); it is dropped on decode and written back on encode.
NLRI are prefix text for the prefix families (``PathPrefix`` values when
ADD-PATH is received for the family, RFC 7911), objects for the others
(``codec/nlri/base.py``).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import MP_REACH_NLRI, OPTIONAL, pack_attribute
from bgpmesh.codec.attributes.unknown import UnknownAttribute
from bgpmesh.codec.nlri import FAMILIES, NlriCodec, codec_for
from bgpmesh.codec.nlri.prefix import PathPrefix
from bgpmesh.codec.slots import builder
from bgpmesh.errors import MalformedMultiprotocolAttribute
from bgpmesh.family import SAFI_MCAST_VPN, SAFI_MPLS_VPN, Family

# +---------------------------------------------------------+
# | Address Family Identifier (2 octets)                    |
# +---------------------------------------------------------+
# | Subsequent Address Family Identifier (1 octet)          |
# +---------------------------------------------------------+
# | Length of Next Hop Network Address (1 octet)            |
# +---------------------------------------------------------+
# | Network Address of Next Hop (variable)                  |
# +---------------------------------------------------------+
# | Reserved (1 octet)                                      |
# +---------------------------------------------------------+
# | Network Layer Reachability Information (variable)       |
# +---------------------------------------------------------+


# SAFIs whose next hop is a VPN address: RD (8 zero octets) then the address
VPN_NEXT_HOP_SAFIS = frozenset((SAFI_MPLS_VPN,))
_RD_ZERO = bytes(8)

# AFI and SAFI octets -> (family, codec), for the families of FAMILIES when
# this module was imported; any other goes the long way (Family, FAMILIES).
_HEADS = {family.afi.to_bytes(2, "big") + bytes((family.safi,)): (family, codec)
          for family, codec in FAMILIES.items()}


def decode_next_hops(data: bytes, allow_empty: bool = False) -> tuple[str, ...]:
    size = len(data)
    if size == 0 and allow_empty:
        return ()
    if size in (12, 24):
        # RD + IPv4 or RD + IPv6; "the RD is set to zero", whatever it holds
        return decode_next_hops(data[8:])
    if size == 48:
        return decode_next_hops(data[8:24] + data[32:])
    if size == 4:
        return (socket.inet_ntop(socket.AF_INET, data),)
    if size == 16:
        return (socket.inet_ntop(socket.AF_INET6, data),)
    if size == 32:
        return (
            socket.inet_ntop(socket.AF_INET6, data[:16]),
            socket.inet_ntop(socket.AF_INET6, data[16:]),
        )
    raise MalformedMultiprotocolAttribute(f"next hop length {size}")


def encode_next_hops(family: Family, next_hops: tuple[str, ...]) -> bytes:
    """Addresses to wire; an IPv4 next hop of an IPv6 route becomes ::ffff:a.b.c.d,
    except for MCAST-VPN: RFC 6515 section 2, the provider's IPv4 addresses
    are "always encoded ... as 4-octet addresses", the length telling the
    family, whatever the AFI (ExaBGP 5.0.15 sends them so too)."""
    parts = []
    rd = _RD_ZERO if family.safi in VPN_NEXT_HOP_SAFIS else b""
    for address in next_hops:
        parts.append(rd)
        if ":" in address:
            parts.append(socket.inet_pton(socket.AF_INET6, address))
        elif family.afi == 2 and family.safi != SAFI_MCAST_VPN:
            parts.append(b"\x00" * 10 + b"\xff\xff" + socket.inet_pton(socket.AF_INET, address))
        else:
            parts.append(socket.inet_pton(socket.AF_INET, address))
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class MpReachNlri:
    family: Family
    next_hop: tuple[str, ...]
    nlri: tuple[Any, ...] = ()  # prefix text (or PathPrefix), or NLRI objects

    TYPE_CODE: ClassVar[int] = MP_REACH_NLRI
    FLAGS: ClassVar[int] = OPTIONAL
    NAME: ClassVar[str] = "mp-reach-nlri"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> MpReachNlri | UnknownAttribute:
        # RFC 7606 section 7.11: a length that cannot hold the fields, or a next
        # hop length the family cannot use, hides the NLRI: not treat-as-withdraw.
        if len(data) < 5:
            raise MalformedMultiprotocolAttribute(f"MP_REACH_NLRI length {len(data)}")
        length = data[3]
        if 5 + length > len(data):
            raise MalformedMultiprotocolAttribute(f"MP_REACH_NLRI next hop length {length}")
        head = _HEADS.get(data[:3])
        if head is None:
            family = Family(int.from_bytes(data[:2], "big"), data[2])
            codec = FAMILIES.get(family)
            if codec is None:
                return UnknownAttribute(OPTIONAL, MP_REACH_NLRI, data)
        else:
            family, codec = head
        # a prefix family always has a next hop; FlowSpec has none, others may not
        next_hop = decode_next_hops(data[4 : 4 + length], type(codec) is NlriCodec)
        # the octet after the next hop is Reserved, "ignored upon receipt"
        nlri = codec.unpack(data[5 + length :], family in session.add_path_receive)
        return _mp_reach(family, next_hop, nlri)

    def encode(self, session: Any = None) -> bytes:
        family = self.family
        codec = codec_for(family)
        pack = codec.pack_path if self.nlri and type(self.nlri[0]) is PathPrefix else codec.pack
        next_hop = encode_next_hops(family, self.next_hop) if self.next_hop else b""
        value = b"".join(
            (
                family.afi.to_bytes(2, "big"),
                bytes((family.safi, len(next_hop))),
                next_hop,
                b"\x00",
                *map(pack, self.nlri),
            )
        )
        return pack_attribute(OPTIONAL, MP_REACH_NLRI, value)


_mp_reach = builder(MpReachNlri)
