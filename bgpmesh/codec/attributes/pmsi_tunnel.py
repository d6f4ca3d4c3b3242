"""P-Multicast Service Interface Tunnel, PMSI_TUNNEL (type 22), RFC 6514 5."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import (
    OPTIONAL,
    PMSI_TUNNEL,
    TRANSITIVE,
    length_error,
    pack_attribute,
)

# +---------------------------------+
# |  Flags (1 octet)                |
# +---------------------------------+
# |  Tunnel Type (1 octet)          |
# +---------------------------------+
# |  MPLS Label (3 octets)          |
# +---------------------------------+
# |  Tunnel Identifier (variable)   |
# +---------------------------------+

TUNNEL_TYPE_NAMES = {
    0: "No tunnel",
    1: "RSVP-TE P2MP LSP",
    2: "mLDP P2MP LSP",
    3: "PIM-SSM Tree",
    4: "PIM-SM Tree",
    5: "BIDIR-PIM Tree",
    6: "Ingress Replication",
    7: "mLDP MP2MP LSP",
}
INGRESS_REPLICATION = 6


@dataclass(frozen=True, slots=True)
class PmsiTunnel:
    flags: int
    tunnel_type: int
    label: int  # the 3 label octets as an integer (label << 4 | TC/S, or a VNI)
    tunnel_id: bytes = b""

    TYPE_CODE: ClassVar[int] = PMSI_TUNNEL
    FLAGS: ClassVar[int] = OPTIONAL | TRANSITIVE
    NAME: ClassVar[str] = "pmsi"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> PmsiTunnel:
        # RFC 6514 names no error handling; RFC 7606 section 2 makes
        # treat-as-withdraw the default for a malformed attribute
        if len(data) < 5:
            raise length_error(f"PMSI_TUNNEL length {len(data)}")
        return cls(data[0], data[1], int.from_bytes(data[2:5], "big"), data[5:])

    def encode(self, session: Any = None) -> bytes:
        value = bytes((self.flags, self.tunnel_type)) + self.label.to_bytes(3, "big") + self.tunnel_id
        return pack_attribute(OPTIONAL | TRANSITIVE, PMSI_TUNNEL, value)
