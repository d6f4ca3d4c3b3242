"""IPv6 unicast prefixes (AFI 2, SAFI 1), carried in MP_REACH_NLRI and
MP_UNREACH_NLRI only (RFC 2545, RFC 4760)."""

from __future__ import annotations

import socket

from bgpmesh.codec.nlri.prefix import PrefixCodec
from bgpmesh.family import IPV6_UNICAST

# +---------------------------+
# |   Length (1 octet, 0..128)|
# +---------------------------+
# |   Prefix (0..16 octets)   |
# +---------------------------+

IPV6_UNICAST_CODEC = PrefixCodec(IPV6_UNICAST, "ipv6 unicast", 16, socket.AF_INET6)
