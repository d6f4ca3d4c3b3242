"""Only to Customer, OTC (type 35), RFC 9234 section 5.

Decode checks the length; the ingress and egress rules of section 5 need the
session's BGP Role and live with the policy, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import OPTIONAL, OTC, TRANSITIVE, length_error

# +--------+--------+--------+---------------------+
# | 0xC0   | 35     | len=4  | AS number (4)       |
# +--------+--------+--------+---------------------+


@dataclass(frozen=True, slots=True)
class OnlyToCustomer:
    asn: int

    TYPE_CODE: ClassVar[int] = OTC
    FLAGS: ClassVar[int] = OPTIONAL | TRANSITIVE
    NAME: ClassVar[str] = "otc"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> OnlyToCustomer:
        # RFC 9234 section 5: "If the OTC Attribute is malformed (i.e., the
        # length of the attribute value is not 4 octets), the UPDATE message
        # ... MUST be handled using the approach of 'treat-as-withdraw'"
        if len(data) != 4:
            raise length_error(f"OTC length {len(data)}")
        return cls(int.from_bytes(data, "big"))

    def encode(self, session: Any = None) -> bytes:
        return bytes((OPTIONAL | TRANSITIVE, OTC, 4)) + self.asn.to_bytes(4, "big")
