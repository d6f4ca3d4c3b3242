"""Registry entry and wire helpers for the families whose NLRI are objects.

Theory of operation: the unicast families keep each prefix as text (see
``prefix.py``); every other family decodes each NLRI to a frozen dataclass
of its own module.  Each such class has

- ``unpack(data, offset, afi, path_id) -> (value, end)``: one NLRI read from
  ``data[offset:]``; the caller has already taken the ADD-PATH Path Identifier
  (RFC 7911 section 3) and hands it in;
- ``decode(data, afi, add_path=False)``: exactly one NLRI, nothing after it;
- ``encode()``: the wire NLRI, Path Identifier first when it has one;
- optionally ``unpack_field(data, afi, add_path) -> tuple``: a whole NLRI
  field, for a class that reads one faster than NLRI by NLRI (``VpnPrefix``);
  it must give what ``unpack`` in a loop gives, errors included.

``NlriCodec`` is the ``FAMILIES`` entry that walks an MP_(UN)REACH_NLRI field
with such a class.  Rules of this file: a malformed NLRI raises
``InvalidNetworkField`` (RFC 7606 section 5.3 and 7.11: a bad NLRI in an MP
attribute cannot be skipped, the session is reset), never IndexError.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from bgpmesh.codec.nlri.prefix import ipv4_text
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import Family

_MASK = (0xFF, 0x80, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE)
AF = {1: socket.AF_INET, 2: socket.AF_INET6}
WIDTH = {1: 4, 2: 16}


def need(data: bytes, end: int, what: str) -> None:
    """InvalidNetworkField unless ``data`` holds ``end`` octets."""
    if end > len(data):
        raise InvalidNetworkField(f"{what} truncated: needs {end} octets, has {len(data)}")


def prefix_text(afi: int, bits: int, raw: bytes) -> str:
    """Prefix of ``bits`` from its significant octets ``raw``, host bits cleared."""
    if afi == 1 and bits <= 32 and len(raw) == (bits + 7) >> 3:
        return ipv4_text(raw, 0, bits)
    width = WIDTH[afi]
    if bits > width * 8:
        raise InvalidNetworkField(f"prefix length {bits} too long")
    spare = bits & 7
    if spare and raw:
        raw = raw[:-1] + bytes((raw[-1] & _MASK[spare],))
    return f"{socket.inet_ntop(AF[afi], raw + bytes(width - len(raw)))}/{bits}"


def prefix_octets(afi: int, prefix: str) -> tuple[int, bytes]:
    """("10.0.0.0/24") -> (24, b"\\x0a\\x00\\x00"); ValueError on bad text."""
    address, _, bits = prefix.partition("/")
    try:
        raw = socket.inet_pton(AF[afi], address)
    except (OSError, KeyError):
        raise ValueError(f"not a prefix of AFI {afi}: {prefix!r}") from None
    length = int(bits) if bits else len(raw) * 8
    if not 0 <= length <= len(raw) * 8:
        raise ValueError(f"bad prefix length in {prefix!r}")
    octets = (length + 7) >> 3
    raw = raw[:octets]
    if length & 7:
        raw = raw[:-1] + bytes((raw[-1] & _MASK[length & 7],))
    return length, raw


def address_text(raw: bytes) -> str:
    """An IPv4 or IPv6 address from 4 or 16 octets."""
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw)
    if len(raw) == 16:
        return socket.inet_ntop(socket.AF_INET6, raw)
    raise InvalidNetworkField(f"address of {len(raw)} octets")


def address_octets(text: str) -> bytes:
    """4 or 16 octets from address text; ValueError on bad text (as ``prefix_octets``)."""
    try:
        return socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
    except (OSError, TypeError):
        raise ValueError(f"not an IP address: {text!r}") from None


def path_id_octets(path_id: int | None) -> bytes:
    return b"" if path_id is None else path_id.to_bytes(4, "big")


# +------------------------------+
# | Label (20 bits) |TC |S|      |  RFC 3032 section 2.1, RFC 8277 section 2
# +------------------------------+
#   3 octets each; S (Bottom of Stack) marks the last label.  Labels are kept
#   as the raw 24-bit field, so TC and S round-trip.

WITHDRAWN_LABEL = 0x800000  # RFC 8277 section 2.4; also 0 from older speakers


def unpack_typed(data: bytes, offset: int, what: str) -> tuple[int, bytes, int]:
    """A Route Type (1 octet), Length (1 octet), body NLRI, as EVPN (RFC 7432
    section 7) and MCAST-VPN (RFC 6514 section 4) write them: (type, body,
    offset after)."""
    need(data, offset + 2, f"{what} NLRI header")
    end = offset + 2 + data[offset + 1]
    need(data, end, f"{what} NLRI")
    return data[offset], bytes(data[offset + 2 : end]), end


def typed_encoder(what: str) -> Any:
    """``encode()`` for the route types of such a family: each type has
    ``CODE``, ``path_id`` and ``body()``."""
    def encode(self: Any) -> bytes:
        body = self.body()
        if len(body) > 255:
            raise ValueError(f"{what} route of {len(body)} octets")
        return path_id_octets(self.path_id) + bytes((self.CODE, len(body))) + body

    return encode


def unpack_labels(data: bytes, offset: int, bits: int) -> tuple[tuple[int, ...], int, int]:
    """(labels, offset after them, bits left) from a labelled prefix."""
    labels = []
    while True:
        if bits < 24:
            raise InvalidNetworkField("label stack overruns the NLRI length")
        need(data, offset + 3, "label")
        raw = int.from_bytes(data[offset : offset + 3], "big")
        labels.append(raw)
        offset += 3
        bits -= 24
        if raw & 1 or raw in (WITHDRAWN_LABEL, 0):
            return tuple(labels), offset, bits


def pack_labels(labels: tuple[int, ...]) -> bytes:
    return b"".join(raw.to_bytes(3, "big") for raw in labels)


@dataclass(frozen=True, slots=True)
class NlriCodec:
    """``FAMILIES[family]`` for a family of NLRI objects of class ``nlri``."""

    family: Family
    name: str
    nlri: Any  # the NLRI class

    def unpack(self, data: bytes, add_path: bool = False) -> tuple[Any, ...]:
        """A whole NLRI field to values; InvalidNetworkField if malformed."""
        afi = self.family.afi
        whole = getattr(self.nlri, "unpack_field", None)
        if whole is not None:
            # the class reads a whole field itself, one call for all its NLRI
            return whole(data, afi, add_path)
        out = []
        offset = 0
        size = len(data)
        unpack = self.nlri.unpack
        while offset < size:
            path_id = None
            if add_path:
                need(data, offset + 5, "path identifier")
                path_id = int.from_bytes(data[offset : offset + 4], "big")
                offset += 4
            value, offset = unpack(data, offset, afi, path_id)
            out.append(value)
        return tuple(out)

    def pack(self, value: Any) -> bytes:
        if isinstance(value, str):
            raise ValueError(f"{self.name} NLRI are objects, not text: {value!r}")
        return value.encode()

    def canonical(self, prefix: str) -> str:
        raise ValueError(f"{self.name} NLRI have no text form")


def decode_one(cls: Any, data: bytes, afi: int, add_path: bool) -> Any:
    """``cls.decode``: exactly one NLRI in ``data``."""
    offset = 0
    path_id = None
    if add_path:
        need(data, 5, "path identifier")
        path_id = int.from_bytes(data[:4], "big")
        offset = 4
    value, end = cls.unpack(data, offset, afi, path_id)
    if end != len(data):
        raise InvalidNetworkField(f"{len(data) - end} octets after the NLRI")
    return value
