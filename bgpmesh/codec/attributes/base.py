"""What every path attribute shares: flags and the TLV header.

Each attribute class carries ``TYPE_CODE``, ``FLAGS`` (its Optional and
Transitive bits, RFC 4271 section 5) and ``NAME``; ``decode(value, session)``
gets the attribute's value only, ``encode(session)`` returns the whole TLV.
"""

from __future__ import annotations

from bgpmesh.errors import Action, AttributeLengthError

# 0                   1
# 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
# |  Attr. Flags  |Attr. Type Code|  then a 1-octet length, or 2 octets
# +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  when Extended Length is set; then value
#   O T P E: Optional, Transitive, Partial, Extended Length (RFC 4271 4.3)

OPTIONAL = 0x80
TRANSITIVE = 0x40
PARTIAL = 0x20
EXTENDED_LENGTH = 0x10

ORIGIN = 1
AS_PATH = 2
NEXT_HOP = 3
MULTI_EXIT_DISC = 4
LOCAL_PREF = 5
ATOMIC_AGGREGATE = 6
AGGREGATOR = 7
COMMUNITIES = 8
ORIGINATOR_ID = 9  # RFC 4456
CLUSTER_LIST = 10  # RFC 4456
MP_REACH_NLRI = 14
MP_UNREACH_NLRI = 15
EXTENDED_COMMUNITIES = 16  # RFC 4360
AS4_PATH = 17
AS4_AGGREGATOR = 18
PMSI_TUNNEL = 22  # RFC 6514
IPV6_EXTENDED_COMMUNITIES = 25  # RFC 5701
AIGP = 26  # RFC 7311
BGP_LS = 29  # RFC 9552
LARGE_COMMUNITIES = 32  # RFC 8092
OTC = 35  # RFC 9234
PREFIX_SID = 40  # RFC 8669


def pack_attribute(flags: int, type_code: int, value: bytes) -> bytes:
    """The TLV, with Extended Length set exactly when the value needs it."""
    length = len(value)
    if length > 255:
        return bytes((flags | EXTENDED_LENGTH, type_code, length >> 8, length & 0xFF)) + value
    return bytes((flags & ~EXTENDED_LENGTH & 0xFF, type_code, length)) + value


def length_error(message: str, action: Action = Action.TREAT_AS_WITHDRAW) -> AttributeLengthError:
    """An Attribute Length Error carrying the RFC 7606 action its RFC names."""
    error = AttributeLengthError(message)
    error.action = action
    return error
