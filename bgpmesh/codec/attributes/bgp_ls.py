"""BGP-LS Attribute (type 29), RFC 9552 section 5.3.

The value is a list of TLVs, kept as (type, value) pairs in wire order.
``describe`` reads the simple ones (names, metrics, router ids, bandwidths)
for the renderers, with ExaBGP's key names.  RFC 9552 section 8.2.2: a
malformed BGP-LS Attribute is discarded ("attribute discard"); the NLRI stay.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import BGP_LS, OPTIONAL, pack_attribute
from bgpmesh.errors import Action, OptionalAttributeError

# | Type (2) | Length (2) | Value (Length octets) |    RFC 9552 section 5.1


@dataclass(frozen=True, slots=True)
class BgpLsAttribute:
    tlvs: tuple[tuple[int, bytes], ...]

    TYPE_CODE: ClassVar[int] = BGP_LS
    FLAGS: ClassVar[int] = OPTIONAL
    NAME: ClassVar[str] = "bgp-ls"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> BgpLsAttribute:
        tlvs: list[tuple[int, bytes]] = []
        offset = 0
        while offset < len(data):
            if len(data) - offset < 4:
                raise _malformed("BGP-LS TLV header truncated")
            kind, length = struct.unpack_from("!HH", data, offset)
            end = offset + 4 + length
            if end > len(data):
                raise _malformed(f"BGP-LS TLV {kind} overruns")
            tlvs.append((kind, data[offset + 4 : end]))
            offset = end
        return cls(tuple(tlvs))

    def encode(self, session: Any = None) -> bytes:
        value = b"".join(struct.pack("!HH", kind, len(tlv)) + tlv for kind, tlv in self.tlvs)
        return pack_attribute(OPTIONAL, BGP_LS, value)


def _malformed(message: str) -> OptionalAttributeError:
    error = OptionalAttributeError(message)
    error.action = Action.ATTRIBUTE_DISCARD
    return error


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _uint(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _ipv4(value: bytes) -> str:
    return socket.inet_ntoa(value)


def _ipv6(value: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6, value)


def _float(value: bytes) -> float:
    return struct.unpack("!f", value)[0]


def _floats(value: bytes) -> list[float]:
    return [struct.unpack_from("!f", value, i)[0] for i in range(0, len(value), 4)]


def _uints(value: bytes) -> list[int]:
    return [_uint(value[i : i + 4]) for i in range(0, len(value), 4)]


# type -> (ExaBGP JSON key, reader, expected lengths or None for any)
# RFC 9552 sections 5.3.1-5.3.3, RFC 5305/5307/5329 field layouts.
TLV_READERS: dict[int, tuple[str, Any, tuple[int, ...] | None]] = {
    1026: ("node-name", _text, None),
    1027: ("area-id", lambda v: "0x" + v.hex().upper(), None),
    1028: ("local-te-router-ids", _ipv4, (4,)),
    1029: ("local-te-router-ids", _ipv6, (16,)),
    1030: ("remote-te-router-id", _ipv4, (4,)),
    1031: ("remote-te-router-id", _ipv6, (16,)),
    1088: ("admin-group-mask", _uint, (4,)),
    1089: ("maximum-link-bandwidth", _float, (4,)),
    1090: ("maximum-reservable-link-bandwidth", _float, (4,)),
    1091: ("unreserved-bandwidth", _floats, (32,)),
    1092: ("te-metric", _uint, (4,)),
    1095: ("igp-metric", _uint, (1, 2, 3)),
    1096: ("shared-risk-link-groups", _uints, None),
    1098: ("link-name", _text, None),
    1153: ("igp-route-tags", _uints, None),
    1155: ("prefix-metric", _uint, (4,)),
}


def describe(kind: int, value: bytes) -> tuple[str, Any]:
    """One TLV as (key, value); unknown or odd-sized ones as
    ("generic-lsid-<type>", hex)."""
    reader = TLV_READERS.get(kind)
    if reader is not None:
        key, read, sizes = reader
        if (sizes is None or len(value) in sizes) and not (read in (_uints, _floats) and len(value) % 4):
            return key, read(value)
    return f"generic-lsid-{kind}", "0x" + value.hex().upper()
