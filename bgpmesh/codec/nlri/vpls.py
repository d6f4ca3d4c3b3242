"""L2VPN VPLS (AFI 25, SAFI 65), RFC 4761 section 3.2.2: the label block a
VE offers its peers."""

from __future__ import annotations

from dataclasses import dataclass

from bgpmesh.codec.nlri.base import NlriCodec, decode_one, need, path_id_octets
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import AFI_L2VPN, SAFI_VPLS, Family

# +------------------------------------+
# |  Length (2 octets), 17             |
# +------------------------------------+
# |  Route Distinguisher  (8 octets)   |
# +------------------------------------+
# |  VE ID (2 octets)                  |
# +------------------------------------+
# |  VE Block Offset (2 octets)        |
# +------------------------------------+
# |  VE Block Size (2 octets)          |
# +------------------------------------+
# |  Label Base (3 octets)             |
# +------------------------------------+

_LENGTH = 17


@dataclass(frozen=True, slots=True)
class Vpls:
    rd: RouteDistinguisher
    endpoint: int  # VE ID
    offset: int
    size: int
    base: int  # raw 24-bit label field; the label is base >> 4
    path_id: int | None = None

    @classmethod
    def unpack(cls, data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[Vpls, int]:
        need(data, offset + 2, "VPLS length")
        length = int.from_bytes(data[offset : offset + 2], "big")
        if length != _LENGTH:
            raise InvalidNetworkField(f"VPLS NLRI length {length}, not {_LENGTH}")
        at = offset + 2
        need(data, at + _LENGTH, "VPLS NLRI")
        value = cls(
            RouteDistinguisher(bytes(data[at : at + 8])),
            int.from_bytes(data[at + 8 : at + 10], "big"),
            int.from_bytes(data[at + 10 : at + 12], "big"),
            int.from_bytes(data[at + 12 : at + 14], "big"),
            int.from_bytes(data[at + 14 : at + 17], "big"),
            path_id,
        )
        return value, at + _LENGTH

    @classmethod
    def decode(cls, data: bytes, afi: int = AFI_L2VPN, add_path: bool = False) -> Vpls:
        return decode_one(cls, data, afi, add_path)

    def encode(self) -> bytes:
        return b"".join(
            (
                path_id_octets(self.path_id),
                _LENGTH.to_bytes(2, "big"),
                self.rd.raw,
                self.endpoint.to_bytes(2, "big"),
                self.offset.to_bytes(2, "big"),
                self.size.to_bytes(2, "big"),
                self.base.to_bytes(3, "big"),
            )
        )


VPLS_CODEC = NlriCodec(Family(AFI_L2VPN, SAFI_VPLS), "l2vpn vpls", Vpls)
