"""IPv4 unicast prefixes (AFI 1, SAFI 1): the UPDATE's own NLRI and Withdrawn
Routes fields (RFC 4271 section 4.3), or MP_(UN)REACH_NLRI (RFC 4760)."""

from __future__ import annotations

import socket

from bgpmesh.codec.nlri.prefix import PrefixCodec
from bgpmesh.family import IPV4_UNICAST

# +---------------------------+
# |   Length (1 octet, 0..32) |
# +---------------------------+
# |   Prefix (0..4 octets)    |
# +---------------------------+

IPV4_UNICAST_CODEC = PrefixCodec(IPV4_UNICAST, "ipv4 unicast", 4, socket.AF_INET)
