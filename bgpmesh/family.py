"""Address families: (AFI, SAFI) pairs as IANA numbers them.

``Family`` is a NamedTuple so it hashes and compares fast on the hot path and
packs into bus frames as a plain pair.
"""

from __future__ import annotations

from typing import NamedTuple

AFI_IPV4 = 1
AFI_IPV6 = 2
SAFI_UNICAST = 1

AFI_L2VPN = 25
AFI_BGP_LS = 16388
SAFI_MULTICAST = 2
SAFI_MPLS_LABEL = 4
SAFI_MCAST_VPN = 5
SAFI_VPLS = 65
SAFI_EVPN = 70
SAFI_BGP_LS = 71
SAFI_BGP_LS_VPN = 72
SAFI_SR_POLICY = 73
SAFI_MUP = 85
SAFI_MPLS_VPN = 128
SAFI_RTC = 132
SAFI_FLOW = 133
SAFI_FLOW_VPN = 134

_AFI_NAMES = {1: "ipv4", 2: "ipv6", 25: "l2vpn", 16388: "bgp-ls"}
_SAFI_NAMES = {
    1: "unicast",
    2: "multicast",
    4: "nlri-mpls",
    5: "mcast-vpn",
    73: "sr-policy",
    85: "mup",
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
IPV4_MULTICAST = Family(AFI_IPV4, SAFI_MULTICAST)
IPV6_MULTICAST = Family(AFI_IPV6, SAFI_MULTICAST)
