"""IPv4 and IPv6 multicast (SAFI 2, RFC 4760 section 6): prefixes laid out
exactly as unicast ones, only the SAFI differs; MP attributes only."""

from __future__ import annotations

import socket

from bgpmesh.codec.nlri.prefix import PrefixCodec
from bgpmesh.family import IPV4_MULTICAST, IPV6_MULTICAST

# +---------------------------+
# |   Length (1 octet)        |
# +---------------------------+
# |   Prefix (variable)       |
# +---------------------------+

IPV4_MULTICAST_CODEC = PrefixCodec(IPV4_MULTICAST, "ipv4 multicast", 4, socket.AF_INET)
IPV6_MULTICAST_CODEC = PrefixCodec(IPV6_MULTICAST, "ipv6 multicast", 16, socket.AF_INET6)
