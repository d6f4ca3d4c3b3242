"""Shared code for the unicast prefix families (RFC 4271 4.3, RFC 4760 5).

A prefix is carried as its length in bits and only the octets that hold those
bits.  In memory a prefix is canonical text ("10.0.0.0/24"): the bytes form
(``pack``) is the Adj-RIB-Out key, the text form is what the API shows.

Rules of this file: no ``ipaddress`` (too slow for a million routes);
``socket.inet_pton``/``inet_ntop`` and byte arithmetic only.  Host bits past
the prefix length are cleared both ways, so equal prefixes are equal keys.

ADD-PATH (RFC 7911): when the session negotiated receiving several paths for
the family, each NLRI starts with a Path Identifier and ``unpack`` returns
``PathPrefix`` values (the text and the identifier) instead of bare text, so
two paths of one prefix stay two routes: two Adj-RIB-In entries, two stale
keys, two entries in the JSON, each with its ``path-information``.  Without
ADD-PATH nothing changes: text, and ``unpack_ipv4`` for IPv4.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import Family

# +---------------------------+
# |   Length (1 octet)        |
# +---------------------------+
# |   Prefix (variable)       |
# +---------------------------+
#      RFC 4271 section 4.3; with ADD-PATH (RFC 7911 section 3) a 4-octet
#      Path Identifier comes first.

# _MASK[n]: keep the n high bits of the last octet (n in 1..7; 0 keeps all)
_MASK = (0xFF, 0x80, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE)


# a prefix length as written -> its value (plain decimal only), and its octet
_LENGTHS = {str(n): n for n in range(129)}
_LENGTH_OCTET = [bytes((n,)) for n in range(129)]


@dataclass(frozen=True, slots=True)
class PathPrefix:
    """One path of a prefix received with ADD-PATH (RFC 7911 section 3):
    "the Path Identifier ... is used to identify a path" - the pair is the key."""

    prefix: str  # canonical text, as without ADD-PATH
    path_id: int  # 0 .. 2**32-1, 0 included (it is a valid identifier)


@dataclass(frozen=True, slots=True)
class PrefixCodec:
    """Registry entry for one prefix family: ``FAMILIES[family]``."""

    family: Family
    name: str
    width: int  # address octets
    address_family: int  # socket.AF_INET or AF_INET6

    @property
    def max_bits(self) -> int:
        return self.width * 8

    def pack(self, prefix: str) -> bytes:
        """Text to wire NLRI; ValueError if the text is not a prefix of this family."""
        address, slash, bits = prefix.partition("/")
        try:
            raw = socket.inet_pton(self.address_family, address)
        except (OSError, ValueError):
            raise ValueError(f"not an {self.family.afi_name} prefix: {prefix!r}") from None
        length = _LENGTHS.get(bits)
        if length is not None and length <= self.width * 8 and not length & 7:
            return _LENGTH_OCTET[length] + raw[:length >> 3]  # whole octets: no masking
        if slash:
            if not bits.isdigit() or len(bits) > 3:
                raise ValueError(f"bad prefix length in {prefix!r}")
            length = int(bits)
            if length > self.width * 8:
                raise ValueError(f"prefix length {length} too long in {prefix!r}")
        else:
            length = self.width * 8
        octets = (length + 7) >> 3
        spare = length & 7
        if spare:
            last = raw[octets - 1] & _MASK[spare]
            return bytes((length,)) + raw[: octets - 1] + bytes((last,))
        return bytes((length,)) + raw[:octets]

    def pack_path(self, value: str | PathPrefix) -> bytes:
        """``pack`` for a value that may be a ``PathPrefix``: its Path
        Identifier (4 octets) then the prefix.  ValueError as ``pack``."""
        if type(value) is str:
            return self.pack(value)
        return value.path_id.to_bytes(4, "big") + self.pack(value.prefix)

    def unpack(self, data: bytes, add_path: bool = False) -> tuple[str, ...] | tuple[PathPrefix, ...]:
        """Wire NLRI field to canonical texts, or with ``add_path`` to
        ``PathPrefix`` values; InvalidNetworkField if malformed."""
        if add_path:
            return self._unpack_paths(data)
        width = self.width
        if width == 4:
            return unpack_ipv4(data, self.name)
        max_bits = width * 8
        ntop = socket.inet_ntop
        af = self.address_family
        zeros = bytes(width)
        out = []
        append = out.append
        offset = 0
        size = len(data)
        while offset < size:
            length = data[offset]
            octets = (length + 7) >> 3
            end = offset + 1 + octets
            if length > max_bits or end > size:
                raise InvalidNetworkField(f"bad {self.name} NLRI at octet {offset}")
            raw = data[offset + 1 : end]
            spare = length & 7
            if spare and raw[-1] & ~_MASK[spare] & 0xFF:
                raw = raw[:-1] + bytes((raw[-1] & _MASK[spare],))
            append(f"{ntop(af, raw + zeros[octets:])}/{length}")
            offset = end
        return tuple(out)

    def _unpack_paths(self, data: bytes) -> tuple[PathPrefix, ...]:
        # +---------------------------+
        # |   Path Identifier (4)     |  RFC 7911 section 3
        # +---------------------------+
        # |   Length (1 octet)        |
        # +---------------------------+
        # |   Prefix (variable)       |
        # +---------------------------+
        out = []
        append = out.append
        offset = 0
        size = len(data)
        max_bits = self.width * 8
        while offset < size:
            at = offset + 4
            if at >= size:
                raise InvalidNetworkField(f"{self.name} NLRI truncated in path identifier at octet {offset}")
            length = data[at]
            end = at + 1 + ((length + 7) >> 3)
            if length > max_bits or end > size:
                raise InvalidNetworkField(f"bad {self.name} NLRI at octet {at}")
            # one prefix alone, through the plain decoder: same texts, same masking
            (text,) = self.unpack(data[at:end])
            append(PathPrefix(text, int.from_bytes(data[offset:at], "big")))
            offset = end
        return tuple(out)

    def canonical(self, prefix: str) -> str:
        """"10.0.0.1/24" -> "10.0.0.0/24"; a bare address is a host route."""
        return self.unpack(self.pack(prefix))[0]


# _OCTET[n]: the decimal text of an octet.  IPv4 text is built from it, one
# f-string per prefix: inet_ntop and the bytes it needs cost twice as much.
_OCTET = tuple(str(octet) for octet in range(256))


def unpack_ipv4(data: bytes, name: str = "ipv4 unicast") -> tuple[str, ...]:
    """``PrefixCodec.unpack`` for an IPv4 field without Path Identifiers: the
    same texts and the same errors, one branch per octet count."""
    text = _OCTET
    mask = _MASK
    out: list[str] = []
    append = out.append
    offset = 0
    size = len(data)
    while offset < size:
        length = data[offset]
        if length > 24:
            end = offset + 5
            if length > 32 or end > size:
                raise InvalidNetworkField(f"bad {name} NLRI at octet {offset}")
            append(f"{text[data[offset + 1]]}.{text[data[offset + 2]]}.{text[data[offset + 3]]}."
                   f"{text[data[offset + 4] & mask[length & 7]]}/{length}")
        elif length > 16:
            end = offset + 4
            if end > size:
                raise InvalidNetworkField(f"bad {name} NLRI at octet {offset}")
            append(f"{text[data[offset + 1]]}.{text[data[offset + 2]]}."
                   f"{text[data[offset + 3] & mask[length & 7]]}.0/{length}")
        elif length > 8:
            end = offset + 3
            if end > size:
                raise InvalidNetworkField(f"bad {name} NLRI at octet {offset}")
            append(f"{text[data[offset + 1]]}.{text[data[offset + 2] & mask[length & 7]]}.0.0/{length}")
        elif length:
            end = offset + 2
            if end > size:
                raise InvalidNetworkField(f"bad {name} NLRI at octet {offset}")
            append(f"{text[data[offset + 1] & mask[length & 7]]}.0.0.0/{length}")
        else:
            end = offset + 1
            append("0.0.0.0/0")
        offset = end
    return tuple(out)


def ipv4_text(data: bytes, offset: int, length: int) -> str:
    """The IPv4 prefix of ``length`` bits (at most 32) whose octets start at
    ``data[offset]``, host bits cleared; the caller checked the octets are there."""
    text = _OCTET
    octets = (length + 7) >> 3
    last = data[offset + octets - 1] & _MASK[length & 7] if octets else 0
    if octets == 3:
        return f"{text[data[offset]]}.{text[data[offset + 1]]}.{text[last]}.0/{length}"
    if octets == 4:
        return f"{text[data[offset]]}.{text[data[offset + 1]]}.{text[data[offset + 2]]}.{text[last]}/{length}"
    if octets == 2:
        return f"{text[data[offset]]}.{text[last]}.0.0/{length}"
    if octets == 1:
        return f"{text[last]}.0.0.0/{length}"
    return f"0.0.0.0/{length}"
