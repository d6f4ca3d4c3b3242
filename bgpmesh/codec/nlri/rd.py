"""Route Distinguisher, RFC 4364 section 4.2: shared by the VPN families
(mpls-vpn, flow-vpn, vpls, evpn, bgp-ls-vpn).

Kept as its 8 raw octets so any type round-trips; ``str()`` is the text
ExaBGP shows ("65000:1", "192.0.2.1:7"), ``parse`` the reverse.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

# +-----------------+----------------------------------------+
# | Type (2 octets) | Value (6 octets)                       |
# +-----------------+----------------------------------------+
#   type 0: Administrator 2-octet ASN,  Assigned Number 4 octets
#   type 1: Administrator IPv4 address, Assigned Number 2 octets
#   type 2: Administrator 4-octet ASN,  Assigned Number 2 octets


# RD text by its 8 octets: the JSON of every VPN route shows it, and a peer
# uses a few RDs for many routes.
_TEXT: dict[bytes, str] = {}


@dataclass(frozen=True, slots=True)
class RouteDistinguisher:
    raw: bytes = bytes(8)

    @property
    def type(self) -> int:
        return int.from_bytes(self.raw[:2], "big")

    def __str__(self) -> str:
        try:
            text = _TEXT.get(self.raw)
        except TypeError:  # an unhashable buffer given as raw
            return self._text()
        if text is None:
            if len(_TEXT) >= 4096:
                _TEXT.clear()
            text = _TEXT[self.raw] = self._text()
        return text

    def _text(self) -> str:
        raw = self.raw
        kind = self.type
        if kind == 0:
            return f"{int.from_bytes(raw[2:4], 'big')}:{int.from_bytes(raw[4:], 'big')}"
        if kind == 1:
            return f"{socket.inet_ntop(socket.AF_INET, raw[2:6])}:{int.from_bytes(raw[6:], 'big')}"
        if kind == 2:
            return f"{int.from_bytes(raw[2:6], 'big')}:{int.from_bytes(raw[6:], 'big')}"
        return "0x" + raw.hex()

    @classmethod
    def parse(cls, text: str) -> RouteDistinguisher:
        """"65000:1" (type 0), "192.0.2.1:1" (type 1), "4200000000:1" (type 2)."""
        admin, colon, number = text.rpartition(":")
        if not colon or not number.isdigit():
            raise ValueError(f"not a route distinguisher: {text!r}")
        assigned = int(number)
        if "." in admin:
            return cls(b"\x00\x01" + socket.inet_aton(admin) + assigned.to_bytes(2, "big"))
        asn = int(admin)
        if asn <= 0xFFFF:
            return cls(b"\x00\x00" + asn.to_bytes(2, "big") + assigned.to_bytes(4, "big"))
        return cls(b"\x00\x02" + asn.to_bytes(4, "big") + assigned.to_bytes(2, "big"))
