"""EXTENDED_COMMUNITIES (type 16, RFC 4360) and IPv6 Address Specific
Extended Communities (type 25, RFC 5701).

Values are kept as integers (8 or 20 octets, big-endian), in wire order:
they re-encode exactly and compare cheaply.  ``describe`` reads one value
into a (kind, fields) pair for the renderers; kinds are ExaBGP's words.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import (
    EXTENDED_COMMUNITIES,
    IPV6_EXTENDED_COMMUNITIES,
    OPTIONAL,
    TRANSITIVE,
    length_error,
    pack_attribute,
)

# +--------+--------+--------------------------------------------+
# | Type   | Sub-T. | Value (6 octets)                           |   RFC 4360 2
# +--------+--------+--------------------------------------------+
#   Type high bits: 0x80 IANA authority (0 = IANA), 0x40 non-transitive.


@dataclass(frozen=True, slots=True)
class ExtendedCommunities:
    values: tuple[int, ...]

    TYPE_CODE: ClassVar[int] = EXTENDED_COMMUNITIES
    FLAGS: ClassVar[int] = OPTIONAL | TRANSITIVE
    NAME: ClassVar[str] = "extended-community"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> ExtendedCommunities:
        # RFC 7606 section 7.14: "the length ... not a non-zero multiple of 8"
        # is malformed: treat-as-withdraw
        if not data or len(data) & 7:
            raise length_error(f"EXTENDED_COMMUNITIES length {len(data)}")
        return cls(tuple(int.from_bytes(data[i : i + 8], "big") for i in range(0, len(data), 8)))

    def encode(self, session: Any = None) -> bytes:
        value = b"".join(community.to_bytes(8, "big") for community in self.values)
        return pack_attribute(OPTIONAL | TRANSITIVE, EXTENDED_COMMUNITIES, value)


# +--------+--------+---------------------------------+------------------+
# | Type   | Sub-T. | Global Admin: IPv6 address (16) | Local Admin (2)  |  RFC 5701 2
# +--------+--------+---------------------------------+------------------+


@dataclass(frozen=True, slots=True)
class Ipv6ExtendedCommunities:
    values: tuple[int, ...]

    TYPE_CODE: ClassVar[int] = IPV6_EXTENDED_COMMUNITIES
    FLAGS: ClassVar[int] = OPTIONAL | TRANSITIVE
    NAME: ClassVar[str] = "extended-community-ipv6"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> Ipv6ExtendedCommunities:
        # RFC 5701 section 2 fixes 20 octets per community; RFC 7606 section 7
        # (as for type 16): otherwise malformed, treat-as-withdraw
        if not data or len(data) % 20:
            raise length_error(f"IPv6 EXTENDED_COMMUNITIES length {len(data)}")
        return cls(tuple(int.from_bytes(data[i : i + 20], "big") for i in range(0, len(data), 20)))

    def encode(self, session: Any = None) -> bytes:
        value = b"".join(community.to_bytes(20, "big") for community in self.values)
        return pack_attribute(OPTIONAL | TRANSITIVE, IPV6_EXTENDED_COMMUNITIES, value)


# (type, sub-type) -> how the 6 value octets read.  Route target and origin
# per RFC 4360 3.1-3.2 and RFC 5668 (4-octet AS); FlowSpec actions RFC 8955
# section 7 and RFC 7674 (redirect to IPv4/4-octet AS); redirect to next hop
# draft-ietf-idr-flowspec-redirect-ip; encapsulation RFC 9012 section 4.1;
# link bandwidth draft-ietf-idr-link-bandwidth; MAC mobility RFC 7432 7.7.
_AS2_NUMBER = struct.Struct("!HI")
_IP_NUMBER = struct.Struct("!4sH")
_AS4_NUMBER = struct.Struct("!IH")

ENCAPSULATION_NAMES = {
    1: "L2TPv3",
    2: "GRE",
    7: "IP-in-IP",
    8: "VXLAN",
    9: "NVGRE",
    10: "MPLS",
    11: "MPLS-in-GRE",
    12: "VXLAN-GPE",
    13: "MPLS-in-UDP",
}


def describe(value: int) -> tuple[str, tuple[Any, ...]]:
    """One 8-octet extended community as (kind, fields).

    ``("target", (65000, 1))``, ``("redirect", ("192.0.2.1", 100))``,
    ``("rate-limit", (65000, 1000.0))``; ``("unknown", ())`` otherwise.
    """
    raw = value.to_bytes(8, "big")
    kind, subtype, body = raw[0], raw[1], raw[2:]
    # the non-transitive bit (0x40) does not change a route target's layout
    if subtype in (0x02, 0x03) and kind & 0x3F in (0x00, 0x01, 0x02):
        name = "target" if subtype == 0x02 else "origin"
        return name, _admin(kind & 0x3F, body)
    if kind == 0x80 and subtype == 0x06:
        asn, rate = struct.unpack("!Hf", body)
        return "rate-limit", (asn, rate)
    if kind == 0x80 and subtype == 0x07:
        return "action", (bool(body[5] & 0x02), bool(body[5] & 0x01))
    if kind in (0x80, 0x81, 0x82) and subtype == 0x08:
        return "redirect", _admin(kind - 0x80, body)
    if kind == 0x80 and subtype == 0x09:
        return "mark", (body[5] & 0x3F,)
    if kind == 0x01 and subtype == 0x0C:
        # redirect-ip: IPv4 address, then a copy flag in the low bit
        return "redirect-to-nexthop-ietf", (socket.inet_ntoa(body[:4]), bool(body[5] & 0x01))
    if kind == 0x03 and subtype == 0x0C:
        return "encap", (int.from_bytes(body[4:6], "big"),)
    if kind == 0x06 and subtype == 0x00:
        # Flags, Reserved, Sequence Number; "the low-order bit of the Flags
        # octet is defined as the 'Sticky/static' flag"
        return "mac-mobility", (int.from_bytes(body[2:6], "big"), bool(body[0] & 0x01))
    if kind == 0x40 and subtype == 0x04:
        asn, bandwidth = struct.unpack("!Hf", body)
        return "bandwidth", (asn, bandwidth)
    if kind == 0x0C and subtype == 0x00:
        # draft-mpmz-bess-mup-safi 3.2: MUP Extended Community, Direct-Type
        # Segment Identifier (6 octets, shown as 2-octet:4-octet as ExaBGP does)
        return "mup", _AS2_NUMBER.unpack(body)
    return "unknown", ()


def _admin(layout: int, body: bytes) -> tuple[Any, ...]:
    if layout == 0:
        return _AS2_NUMBER.unpack(body)
    if layout == 1:
        address, number = _IP_NUMBER.unpack(body)
        return socket.inet_ntoa(address), number
    return _AS4_NUMBER.unpack(body)


def describe_ipv6(value: int) -> tuple[str, tuple[Any, ...]]:
    """One 20-octet IPv6 address specific extended community (RFC 5701)."""
    raw = value.to_bytes(20, "big")
    address = socket.inet_ntop(socket.AF_INET6, raw[2:18])
    number = int.from_bytes(raw[18:20], "big")
    if raw[0] & 0x3F == 0x00 and raw[1] == 0x02:
        return "target", (address, number)
    if raw[0] & 0x3F == 0x00 and raw[1] == 0x03:
        return "origin", (address, number)
    return "unknown", ()


# -- FlowSpec actions from the producer's words -------------------------------
#
# RFC 8955 section 7: traffic-rate-bytes 0x8006 (2-octet AS, 4-octet IEEE
# float; "a traffic-rate of 0 should result on all traffic ... being
# discarded"), traffic-action 0x8007 (S bit 0x02, T bit 0x01 in the last
# octet), redirect 0x8008 (2-octet AS : 4-octet number; RFC 7674: 0x8108 IPv4
# : 2-octet, 0x8208 4-octet AS : 2-octet), traffic-marking 0x8009 (DSCP in
# the last octet).  Redirect to an address: 0x0800 with the address as the
# route's next hop, copy bit in the last octet (draft-simpson-idr-flowspec-
# redirect, what ExaBGP sends for "redirect IP"), or 0x010C with the address
# inside (draft-ietf-idr-flowspec-redirect-ip).


def _traffic_rate(rate: float) -> int:
    return int.from_bytes(b"\x80\x06\x00\x00" + struct.pack("!f", rate), "big")


def flow_actions(actions: tuple[tuple[str, tuple[str, ...]], ...]
                 ) -> tuple[tuple[int, ...], str | None]:
    """``FlowRoute.actions`` to (extended communities, next hop or None);
    ValueError for what cannot be encoded."""
    out: list[int] = []
    next_hop = None
    for action, arguments in actions:
        if action == "accept":
            continue
        if action == "discard":
            out.append(_traffic_rate(0.0))
        elif action == "rate-limit":
            out.append(_traffic_rate(float(int(arguments[0]))))
        elif action == "mark":
            out.append(int.from_bytes(b"\x80\x09" + bytes(5) + bytes((int(arguments[0]),)),
                                      "big"))
        elif action == "action":
            bits = {"sample": 0x02, "terminal": 0x01, "sample-terminal": 0x03}[arguments[0]]
            out.append(int.from_bytes(b"\x80\x07" + bytes(5) + bytes((bits,)), "big"))
        elif action in ("redirect", "copy"):
            target = arguments[0]
            admin, colon, number = target.rpartition(":")
            if colon and admin.isdigit() and number.isdigit():
                asn, value = int(admin), int(number)
                if asn > 0xFFFF:
                    raw = b"\x82\x08" + _AS4_NUMBER.pack(asn, value)
                else:
                    raw = b"\x80\x08" + _AS2_NUMBER.pack(asn, value)
                out.append(int.from_bytes(raw, "big"))
            else:
                next_hop = target
                copy = b"\x01" if action == "copy" else b"\x00"
                out.append(int.from_bytes(b"\x08\x00" + bytes(5) + copy, "big"))
        elif action == "redirect-to-nexthop":
            out.append(int.from_bytes(b"\x08\x00" + bytes(6), "big"))
        elif action == "redirect-to-nexthop-ietf":
            address = arguments[0]
            if ":" in address:
                raise ValueError("redirect-to-nexthop-ietf to an IPv6 address is not supported")
            out.append(int.from_bytes(b"\x01\x0c" + socket.inet_aton(address) + b"\x00\x00",
                                      "big"))
        else:
            raise ValueError(f"unknown flow action {action!r}")
    return tuple(out), next_hop
