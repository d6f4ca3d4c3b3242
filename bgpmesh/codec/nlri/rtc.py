"""Route Target Constraint, "rtc" (SAFI 132), RFC 4684 section 4.

The NLRI is a prefix over (Origin AS, Route Target): length 0 is the default
route, 32 an origin AS alone, 33 to 96 an origin AS and part of a route
target.  Only the octets the length covers are on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass

from bgpmesh.codec.nlri.base import NlriCodec, decode_one, need, path_id_octets
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import AFI_IPV4, AFI_IPV6, SAFI_RTC, Family

# +-------------------------------+
# | Length (1 octet, bits)        |
# +-------------------------------+
# | Origin AS (4 octets)          |
# +-------------------------------+
# | Route Target (8 octets)       |  both cut to Length bits
# +-------------------------------+


@dataclass(frozen=True, slots=True)
class RouteTargetConstraint:
    bits: int  # 0, or 32 to 96
    origin: int = 0
    route_target: bytes = b""  # the route target octets present, (bits - 32 + 7) // 8
    path_id: int | None = None

    @classmethod
    def unpack(
        cls, data: bytes, offset: int, afi: int, path_id: int | None
    ) -> tuple[RouteTargetConstraint, int]:
        need(data, offset + 1, "RTC NLRI")
        bits = data[offset]
        # RFC 4684 section 4: the prefix length is 0 (default) or 32 to 96
        if bits and not 32 <= bits <= 96:
            raise InvalidNetworkField(f"RTC prefix length {bits}")
        end = offset + 1 + ((bits + 7) >> 3)
        need(data, end, "RTC NLRI")
        if not bits:
            return cls(0, 0, b"", path_id), end
        origin = int.from_bytes(data[offset + 1 : offset + 5], "big")
        return cls(bits, origin, bytes(data[offset + 5 : end]), path_id), end

    @classmethod
    def decode(cls, data: bytes, afi: int = AFI_IPV4, add_path: bool = False) -> RouteTargetConstraint:
        return decode_one(cls, data, afi, add_path)

    def encode(self) -> bytes:
        head = path_id_octets(self.path_id) + bytes((self.bits,))
        if not self.bits:
            return head
        return head + self.origin.to_bytes(4, "big") + self.route_target


IPV4_RTC_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_RTC), "ipv4 rtc", RouteTargetConstraint)
IPV6_RTC_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_RTC), "ipv6 rtc", RouteTargetConstraint)
