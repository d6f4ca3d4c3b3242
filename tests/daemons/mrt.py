"""Write a routing table as an MRT TABLE_DUMP_V2 file (RFC 6396), for ``gobgp mrt inject``.

Theory of operation: the benchmark hands GoBGP its N routes the way GoBGP
ingests a table fastest, as an MRT dump that ``gobgp mrt inject global FILE``
streams into gobgpd over gRPC.  ``write_table`` writes one PEER_INDEX_TABLE
record naming a single peer, then one RIB_IPV4_UNICAST (or RIB_IPV6_UNICAST)
record per prefix, each with one RIB entry of that peer.  Nothing here
decodes MRT: the unit test reads the file back field by field.

Every record starts with the common header (RFC 6396 section 2)::

    +--------+--------+--------+--------+
    |            Timestamp              |
    +--------+--------+--------+--------+
    |      Type       |     Subtype     |     Type 13 = TABLE_DUMP_V2
    +--------+--------+--------+--------+
    |              Length               |     octets after the header
    +--------+--------+--------+--------+

PEER_INDEX_TABLE (subtype 1, section 4.3.1)::

    Collector BGP ID (4) | View Name Length (2) | View Name | Peer Count (2)
    then per peer: Peer Type (1) | Peer BGP ID (4) | Peer IP (4 or 16) | Peer AS (2 or 4)
    Peer Type: 0x01 = IPv6 peer address, 0x02 = four-octet Peer AS

RIB_IPV4_UNICAST / RIB_IPV6_UNICAST (subtypes 2 and 4, section 4.3.2)::

    Sequence Number (4) | Prefix Length (1) | Prefix (ceil(len / 8)) | Entry Count (2)
    then per entry: Peer Index (2) | Originated Time (4) | Attribute Length (2) | Attributes

The attributes are BGP path attributes (RFC 4271 4.3) with two MRT rules
(section 4.3.4): AS_PATH always holds four-octet AS numbers, and for IPv6
MP_REACH_NLRI carries only the next hop length and the next hop (no AFI, SAFI
or NLRI).
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

TABLE_DUMP_V2 = 13
PEER_INDEX_TABLE = 1
RIB_IPV4_UNICAST = 2
RIB_IPV6_UNICAST = 4

PEER_TYPE_IPV6 = 0x01
PEER_TYPE_AS4 = 0x02

# path attribute flags and type codes (RFC 4271 4.3, RFC 1997, RFC 4760)
_TRANSITIVE = 0x40
_OPTIONAL = 0x80
_EXTENDED = 0x10
ORIGIN, AS_PATH, NEXT_HOP, MED, COMMUNITIES, MP_REACH_NLRI = 1, 2, 3, 4, 8, 14
AS_SEQUENCE = 2
_ORIGINS = {"igp": 0, "egp": 1, "incomplete": 2}


@dataclass(frozen=True, slots=True)
class MrtPeer:
    """The one peer of the dump, whose index (0) every RIB entry names."""

    bgp_id: str
    address: str
    asn: int


@dataclass(frozen=True, slots=True)
class MrtAttributes:
    """The path attributes every route of the dump carries."""

    next_hop: str
    origin: str = "igp"
    as_path: Sequence[int] = ()
    med: int | None = None
    communities: Sequence[tuple[int, int]] = ()


def _attribute(flags: int, code: int, value: bytes) -> bytes:
    if len(value) > 255:
        return struct.pack("!BBH", flags | _EXTENDED, code, len(value)) + value
    return struct.pack("!BBB", flags, code, len(value)) + value


def encode_attributes(attributes: MrtAttributes) -> bytes:
    """The attribute octets of a RIB entry (section 4.3.4 rules applied)."""
    if attributes.origin not in _ORIGINS:
        raise ValueError(f"origin must be one of {sorted(_ORIGINS)}, not {attributes.origin!r}")
    hop = ipaddress.ip_address(attributes.next_hop)
    out = [_attribute(_TRANSITIVE, ORIGIN, bytes([_ORIGINS[attributes.origin]]))]
    path = b""
    for start in range(0, len(attributes.as_path), 255):  # a segment holds at most 255
        chunk = attributes.as_path[start:start + 255]
        path += struct.pack(f"!BB{len(chunk)}I", AS_SEQUENCE, len(chunk), *chunk)
    out.append(_attribute(_TRANSITIVE, AS_PATH, path))
    if hop.version == 4:
        out.append(_attribute(_TRANSITIVE, NEXT_HOP, hop.packed))
    if attributes.med is not None:
        out.append(_attribute(_OPTIONAL, MED, struct.pack("!I", attributes.med)))
    if attributes.communities:
        value = b"".join(struct.pack("!HH", high, low) for high, low in attributes.communities)
        out.append(_attribute(_OPTIONAL | _TRANSITIVE, COMMUNITIES, value))
    if hop.version == 6:
        out.append(_attribute(_OPTIONAL, MP_REACH_NLRI, bytes([16]) + hop.packed))
    return b"".join(out)


def record(subtype: int, body: bytes, timestamp: int = 0) -> bytes:
    """One MRT record: the common header, then ``body``."""
    return struct.pack("!IHHI", timestamp, TABLE_DUMP_V2, subtype, len(body)) + body


def peer_index_table(peer: MrtPeer, collector_id: str, view: str = "") -> bytes:
    address = ipaddress.ip_address(peer.address)
    kind = PEER_TYPE_AS4 | (PEER_TYPE_IPV6 if address.version == 6 else 0)
    name = view.encode()
    body = (ipaddress.IPv4Address(collector_id).packed + struct.pack("!H", len(name)) + name
            + struct.pack("!HB", 1, kind) + ipaddress.IPv4Address(peer.bgp_id).packed
            + address.packed + struct.pack("!I", peer.asn))
    return record(PEER_INDEX_TABLE, body)


def rib_record(sequence: int, prefix: str, attributes: bytes, originated: int = 0) -> bytes:
    """A RIB_IPV4/IPV6_UNICAST record of ``prefix`` with one entry of peer 0."""
    network = ipaddress.ip_network(prefix)
    length = network.prefixlen
    subtype = RIB_IPV4_UNICAST if network.version == 4 else RIB_IPV6_UNICAST
    body = (struct.pack("!IB", sequence, length) + network.network_address.packed[:(length + 7) // 8]
            + struct.pack("!HHIH", 1, 0, originated, len(attributes)) + attributes)
    return record(subtype, body)


def write_table(out: BinaryIO, peer: MrtPeer, prefixes: Iterable[str],
                attributes: MrtAttributes, collector_id: str = "192.0.2.254") -> int:
    """Write the whole dump; the number of prefixes written.  All prefixes
    share ``attributes`` (encoded once)."""
    out.write(peer_index_table(peer, collector_id))
    encoded = encode_attributes(attributes)
    count = 0
    for count, prefix in enumerate(prefixes, 1):
        out.write(rib_record(count - 1, prefix, encoded))
    return count
