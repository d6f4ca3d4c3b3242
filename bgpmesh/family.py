"""Address families: (AFI, SAFI) pairs as IANA numbers them.

``Family`` is a NamedTuple so it hashes and compares fast on the hot path and
packs into bus frames as a plain pair.
"""

from __future__ import annotations

from typing import NamedTuple

AFI_IPV4 = 1
AFI_IPV6 = 2
SAFI_UNICAST = 1

_AFI_NAMES = {1: "ipv4", 2: "ipv6", 25: "l2vpn", 16388: "bgp-ls"}
_SAFI_NAMES = {
    1: "unicast",
    2: "multicast",
    4: "nlri-mpls",
    70: "evpn",
    65: "vpls",
    71: "bgp-ls",
    72: "bgp-ls-vpn",
    128: "mpls-vpn",
    132: "rtc",
    133: "flow",
    134: "flow-vpn",
}
_AFI_CODES = {v: k for k, v in _AFI_NAMES.items()}
_SAFI_CODES = {v: k for k, v in _SAFI_NAMES.items()}


class Family(NamedTuple):
    afi: int
    safi: int

    @property
    def afi_name(self) -> str:
        return _AFI_NAMES.get(self.afi, str(self.afi))

    @property
    def safi_name(self) -> str:
        return _SAFI_NAMES.get(self.safi, str(self.safi))

    def __str__(self) -> str:
        # ExaBGP's spelling, used as JSON keys: "ipv4 unicast"
        return f"{self.afi_name} {self.safi_name}"

    @classmethod
    def from_names(cls, afi: str, safi: str) -> Family:
        """``Family.from_names("ipv6", "unicast")``; KeyError if unknown."""
        return cls(_AFI_CODES[afi.lower()], _SAFI_CODES[safi.lower()])


IPV4_UNICAST = Family(AFI_IPV4, SAFI_UNICAST)
IPV6_UNICAST = Family(AFI_IPV6, SAFI_UNICAST)
