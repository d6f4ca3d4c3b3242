"""MP_UNREACH_NLRI (type 15), RFC 4760 section 4.  Empty, it is the End-of-RIB
marker of its family (RFC 4724 section 2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import MP_UNREACH_NLRI, OPTIONAL, pack_attribute
from bgpmesh.codec.attributes.unknown import UnknownAttribute
from bgpmesh.codec.nlri import FAMILIES, codec_for
from bgpmesh.codec.nlri.prefix import PathPrefix
from bgpmesh.errors import MalformedMultiprotocolAttribute
from bgpmesh.family import Family

# +---------------------------------------------------------+
# | Address Family Identifier (2 octets)                    |
# +---------------------------------------------------------+
# | Subsequent Address Family Identifier (1 octet)          |
# +---------------------------------------------------------+
# | Withdrawn Routes (variable)                             |
# +---------------------------------------------------------+


@dataclass(frozen=True, slots=True)
class MpUnreachNlri:
    family: Family
    nlri: tuple[Any, ...] = ()  # prefix text (or PathPrefix), or NLRI objects

    TYPE_CODE: ClassVar[int] = MP_UNREACH_NLRI
    FLAGS: ClassVar[int] = OPTIONAL
    NAME: ClassVar[str] = "mp-unreach-nlri"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> MpUnreachNlri | UnknownAttribute:
        if len(data) < 3:
            raise MalformedMultiprotocolAttribute(f"MP_UNREACH_NLRI length {len(data)}")
        family = Family(int.from_bytes(data[:2], "big"), data[2])
        if len(data) == 3:
            return cls(family)  # End-of-RIB, any family
        codec = FAMILIES.get(family)
        if codec is None:
            return UnknownAttribute(OPTIONAL, MP_UNREACH_NLRI, data)
        return cls(family, codec.unpack(data[3:], family in session.add_path_receive))

    def encode(self, session: Any = None) -> bytes:
        value = self.family.afi.to_bytes(2, "big") + bytes((self.family.safi,))
        if self.nlri:
            codec = codec_for(self.family)
            pack = codec.pack_path if type(self.nlri[0]) is PathPrefix else codec.pack
            value += b"".join(map(pack, self.nlri))
        return pack_attribute(OPTIONAL, MP_UNREACH_NLRI, value)
