"""SR Policy (AFI 1/2, SAFI 73), RFC 9830 section 2.1.

Theory of operation: an NLRI names one candidate path of an SR Policy by
(Distinguisher, Policy Color, Endpoint); what the path is (segment lists,
binding SID, preference) travels in the Tunnel Encapsulation attribute
(type 23, RFC 9012), which bgpmesh carries as an unknown attribute.  The
length octet is in bits, as RFC 4760 prefixes are, but only two values are
valid: 96 with an IPv4 endpoint, 192 with an IPv6 one, chosen by the AFI.

Rules of this file: any other length, or one that does not match the AFI,
raises InvalidNetworkField (``base.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bgpmesh.codec.nlri.base import (
    NlriCodec,
    address_octets,
    address_text,
    decode_one,
    need,
    path_id_octets,
)
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import AFI_IPV4, AFI_IPV6, SAFI_SR_POLICY, Family

# +------------------+
# |  NLRI Length     |  1 octet, in bits: 96 (IPv4) or 192 (IPv6)
# +------------------+
# |  Distinguisher   |  4 octets
# +------------------+
# |  Policy Color    |  4 octets
# +------------------+
# |  Endpoint        |  4 or 16 octets, by the AFI
# +------------------+

_BITS = {AFI_IPV4: 96, AFI_IPV6: 192}


@dataclass(frozen=True, slots=True)
class SrPolicy:
    distinguisher: int
    color: int
    endpoint: str
    path_id: int | None = None

    @classmethod
    def unpack(cls, data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[SrPolicy, int]:
        need(data, offset + 1, "SR Policy NLRI")
        bits = data[offset]
        # RFC 9830 2.1: the Endpoint is "an IPv4 (4-octet) address or an IPv6
        # (16-octet) address according to the AFI of the NLRI"
        if bits != _BITS.get(afi):
            raise InvalidNetworkField(f"SR Policy NLRI length {bits} bits for AFI {afi}")
        end = offset + 1 + bits // 8
        need(data, end, "SR Policy NLRI")
        return cls(
            int.from_bytes(data[offset + 1 : offset + 5], "big"),
            int.from_bytes(data[offset + 5 : offset + 9], "big"),
            address_text(data[offset + 9 : end]),
            path_id,
        ), end

    @classmethod
    def decode(cls, data: bytes, afi: int = AFI_IPV4, add_path: bool = False) -> SrPolicy:
        return decode_one(cls, data, afi, add_path)

    def encode(self) -> bytes:
        endpoint = address_octets(self.endpoint)
        return b"".join(
            (
                path_id_octets(self.path_id),
                bytes((64 + len(endpoint) * 8,)),
                self.distinguisher.to_bytes(4, "big"),
                self.color.to_bytes(4, "big"),
                endpoint,
            )
        )


IPV4_SR_POLICY_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_SR_POLICY), "ipv4 sr-policy", SrPolicy)
IPV6_SR_POLICY_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_SR_POLICY), "ipv6 sr-policy", SrPolicy)
