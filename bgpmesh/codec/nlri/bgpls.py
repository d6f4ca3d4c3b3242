"""BGP-LS, "bgp-ls" (AFI 16388, SAFI 71) and "bgp-ls-vpn" (SAFI 72), RFC 9552
(was RFC 7752) section 5.2.

Theory of operation: Node (1), Link (2) and IPv4/IPv6 Topology Prefix (3, 4)
NLRI share one layout: Protocol-ID, Identifier, then TLVs.  The TLVs are kept
in wire order as (type, value) pairs so unknown ones round-trip; those that
hold sub-TLVs (Local and Remote Node Descriptors, 256 and 257) are checked
for framing on decode.  ``node_descriptors`` and friends read them.  NLRI of
other types are kept whole in ``raw``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bgpmesh.codec.nlri.base import NlriCodec, decode_one, need, path_id_octets
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import AFI_BGP_LS, SAFI_BGP_LS, SAFI_BGP_LS_VPN, Family

# +------------------+------------------------+
# | NLRI Type (2)    | Total NLRI Length (2)  |
# +------------------+------------------------+
# | [Route Distinguisher (8), SAFI 72 only]   |
# +-------------------------------------------+
# | Protocol-ID (1)                           |
# +-------------------------------------------+
# | Identifier (8)                            |
# +-------------------------------------------+
# | TLVs: Type (2) | Length (2) | Value       |
# +-------------------------------------------+

NODE = 1
LINK = 2
PREFIX_V4 = 3
PREFIX_V6 = 4
LOCAL_NODE = 256
REMOTE_NODE = 257
_KNOWN = frozenset((NODE, LINK, PREFIX_V4, PREFIX_V6))


def unpack_tlvs(data: bytes) -> tuple[tuple[int, bytes], ...]:
    """(type, value) pairs; InvalidNetworkField if a TLV overruns."""
    out = []
    offset = 0
    size = len(data)
    while offset < size:
        if offset + 4 > size:
            raise InvalidNetworkField("BGP-LS TLV header truncated")
        kind = int.from_bytes(data[offset : offset + 2], "big")
        end = offset + 4 + int.from_bytes(data[offset + 2 : offset + 4], "big")
        if end > size:
            raise InvalidNetworkField(f"BGP-LS TLV {kind} overruns its NLRI")
        out.append((kind, bytes(data[offset + 4 : end])))
        offset = end
    return tuple(out)


def pack_tlvs(tlvs: tuple[tuple[int, bytes], ...]) -> bytes:
    return b"".join(kind.to_bytes(2, "big") + len(value).to_bytes(2, "big") + value for kind, value in tlvs)


@dataclass(frozen=True, slots=True)
class BgpLs:
    nlri_type: int
    protocol_id: int = 0
    identifier: int = 0
    tlvs: tuple[tuple[int, bytes], ...] = ()
    raw: bytes = b""  # the whole body of an NLRI type other than 1 to 4
    rd: RouteDistinguisher | None = None
    path_id: int | None = None

    def descriptors(self, kind: int) -> tuple[tuple[int, bytes], ...]:
        """Sub-TLVs of the Local (256) or Remote (257) Node Descriptors."""
        for tlv_type, value in self.tlvs:
            if tlv_type == kind:
                return unpack_tlvs(value)
        return ()

    def encode(self) -> bytes:
        rd = self.rd.raw if self.rd is not None else b""
        if self.nlri_type in _KNOWN:
            body = bytes((self.protocol_id,)) + self.identifier.to_bytes(8, "big") + pack_tlvs(self.tlvs)
        else:
            body = self.raw
        value = rd + body
        return path_id_octets(self.path_id) + self.nlri_type.to_bytes(2, "big") + len(value).to_bytes(2, "big") + value


class BgpLsReader:
    VPN: ClassVar[bool] = False

    @classmethod
    def unpack(cls, data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[BgpLs, int]:
        need(data, offset + 4, "BGP-LS NLRI header")
        nlri_type = int.from_bytes(data[offset : offset + 2], "big")
        end = offset + 4 + int.from_bytes(data[offset + 2 : offset + 4], "big")
        need(data, end, "BGP-LS NLRI")
        at = offset + 4
        rd = None
        if cls.VPN:
            if at + 8 > end:
                raise InvalidNetworkField("BGP-LS VPN NLRI without route distinguisher")
            rd = RouteDistinguisher(bytes(data[at : at + 8]))
            at += 8
        if nlri_type not in _KNOWN:
            return BgpLs(nlri_type, raw=bytes(data[at:end]), rd=rd, path_id=path_id), end
        if at + 9 > end:
            raise InvalidNetworkField("BGP-LS NLRI shorter than Protocol-ID and Identifier")
        tlvs = unpack_tlvs(data[at + 9 : end])
        for kind, value in tlvs:
            if kind in (LOCAL_NODE, REMOTE_NODE):
                unpack_tlvs(value)
        identifier = int.from_bytes(data[at + 1 : at + 9], "big")
        return BgpLs(nlri_type, data[at], identifier, tlvs, b"", rd, path_id), end

    @classmethod
    def decode(cls, data: bytes, afi: int = AFI_BGP_LS, add_path: bool = False) -> BgpLs:
        return decode_one(cls, data, afi, add_path)


class BgpLsVpnReader(BgpLsReader):
    VPN: ClassVar[bool] = True


BGP_LS_CODEC = NlriCodec(Family(AFI_BGP_LS, SAFI_BGP_LS), "bgp-ls bgp-ls", BgpLsReader)
BGP_LS_VPN_CODEC = NlriCodec(Family(AFI_BGP_LS, SAFI_BGP_LS_VPN), "bgp-ls bgp-ls-vpn", BgpLsVpnReader)
