"""Flow Specification, "flow" (SAFI 133) and "flow-vpn" (SAFI 134): IPv4
RFC 8955, IPv6 RFC 8956.

Theory of operation: an NLRI is a list of components in ascending type
order.  Prefix components (destination, source) carry a prefix, for IPv6
with an offset; every other component is a list of (operator, value) pairs.
Operators are kept as received (End-of-List bit aside, which is implied by
position), value length bits included, so encode(decode(x)) == x; the JSON
layer reads their meaning.  FlowSpec VPN puts a Route Distinguisher before
the components (RFC 8955 section 8).

Rules of this file: RFC 8955 section 4.2: a component type "MUST precede any
component of higher numeric type value"; an unknown type cannot be skipped
(its length is unknown), so both, and a truncated value, are malformed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bgpmesh.codec.nlri.base import (
    AF,
    NlriCodec,
    decode_one,
    need,
    path_id_octets,
    prefix_octets,
    prefix_text,
)
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.errors import InvalidNetworkField
from bgpmesh.family import AFI_IPV4, AFI_IPV6, SAFI_FLOW, SAFI_FLOW_VPN, Family

# +--------------------------------+
# | length (0xnn or 0xfn nn)       |  under 240: one octet; else 12 bits
# +--------------------------------+
# | [RD (8 octets), flow-vpn only] |
# +--------------------------------+
# | NLRI value (variable)          |  components:
# +--------------------------------+
#   prefix:  type | length | [offset, IPv6] | prefix or pattern
#   others:  type | op | value [| op | value ...]  until op has the e bit
#
# operator octet:  0   1   2 3   4   5    6    7
#                | e | a | len | 0 | lt | gt | eq |   numeric
#                | e | a | len | 0 | 0  |not| m  |   bitmask
#   e: end of list, a: AND with the previous pair, len: value is 1 << len octets

DESTINATION = 1
SOURCE = 2
IP_PROTOCOL = 3  # next header for IPv6
PORT = 4
DESTINATION_PORT = 5
SOURCE_PORT = 6
ICMP_TYPE = 7
ICMP_CODE = 8
TCP_FLAGS = 9
PACKET_LENGTH = 10
DSCP = 11  # traffic class for IPv6
FRAGMENT = 12
FLOW_LABEL = 13  # IPv6 only (RFC 8956 section 3.7)

END_OF_LIST = 0x80
AND = 0x40
BITMASK_TYPES = frozenset((TCP_FLAGS, FRAGMENT))
_LAST_TYPE = {AFI_IPV4: FRAGMENT, AFI_IPV6: FLOW_LABEL}
_SHORT_LENGTH = 240  # RFC 8955 section 4.1
_MAX_LENGTH = 0xFFF


@dataclass(frozen=True, slots=True)
class FlowPrefix:
    """Component 1 or 2; ``offset`` is the IPv6 pattern offset in bits."""

    type: int
    prefix: str
    offset: int = 0


@dataclass(frozen=True, slots=True)
class FlowMatch:
    """Components 3 to 13: (operator without its e bit, value) pairs."""

    type: int
    ops: tuple[tuple[int, int], ...]


FlowComponent = FlowPrefix | FlowMatch


def _unpack_prefix(data: bytes, offset: int, end: int, afi: int, kind: int) -> tuple[FlowPrefix, int]:
    need(data[:end], offset + 1, "flow prefix")
    bits = data[offset]
    if afi == AFI_IPV4:
        stop = offset + 1 + ((bits + 7) >> 3)
        need(data[:end], stop, "flow prefix")
        return FlowPrefix(kind, prefix_text(afi, bits, data[offset + 1 : stop])), stop
    need(data[:end], offset + 2, "flow prefix offset")
    skip = data[offset + 1]
    # RFC 8956 section 3.1: "If length = 0 and offset = 0, this component
    # matches every address; otherwise, length MUST be in the range offset <
    # length < 129"
    if (bits, skip) != (0, 0) and not skip < bits <= 128:
        raise InvalidNetworkField(f"flow IPv6 prefix length {bits} offset {skip}")
    size = (bits - skip + 7) >> 3
    stop = offset + 2 + size
    need(data[:end], stop, "flow prefix pattern")
    pattern = int.from_bytes(data[offset + 2 : stop], "big") >> (size * 8 - (bits - skip))
    address = (pattern << (128 - bits)).to_bytes(16, "big")
    return FlowPrefix(kind, prefix_text(afi, bits, address[: (bits + 7) >> 3]), skip), stop


def _pack_prefix(afi: int, component: FlowPrefix) -> bytes:
    bits, raw = prefix_octets(afi, component.prefix)
    if afi == AFI_IPV4:
        return bytes((component.type, bits)) + raw
    skip = component.offset
    matched = bits - skip
    size = (matched + 7) >> 3
    value = int.from_bytes(raw.ljust(16, b"\x00"), "big") >> (128 - bits) if bits else 0
    value &= (1 << matched) - 1 if matched > 0 else 0
    pattern = (value << (size * 8 - matched)).to_bytes(size, "big") if size else b""
    return bytes((component.type, bits, skip)) + pattern


def _unpack_ops(data: bytes, offset: int, end: int) -> tuple[tuple[tuple[int, int], ...], int]:
    ops = []
    while True:
        need(data[:end], offset + 1, "flow operator")
        op = data[offset]
        size = 1 << ((op >> 4) & 3)
        stop = offset + 1 + size
        need(data[:end], stop, "flow value")
        ops.append((op & ~END_OF_LIST & 0xFF, int.from_bytes(data[offset + 1 : stop], "big")))
        offset = stop
        if op & END_OF_LIST:
            return tuple(ops), offset


def _pack_ops(component: FlowMatch) -> bytes:
    parts = [bytes((component.type,))]
    last = len(component.ops) - 1
    for index, (op, value) in enumerate(component.ops):
        size = 1 << ((op >> 4) & 3)
        parts.append(bytes((op | END_OF_LIST if index == last else op & ~END_OF_LIST & 0xFF,)))
        parts.append(value.to_bytes(size, "big"))
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class FlowSpec:
    afi: int
    components: tuple[FlowComponent, ...]
    path_id: int | None = None

    VPN: ClassVar[bool] = False

    @classmethod
    def unpack(cls, data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[FlowSpec, int]:
        need(data, offset + 1, "flow NLRI length")
        length = data[offset]
        offset += 1
        if length >= _SHORT_LENGTH:
            need(data, offset + 1, "flow NLRI length")
            length = ((length & 0x0F) << 8) | data[offset]
            offset += 1
        end = offset + length
        need(data, end, "flow NLRI")
        rd = None
        if cls.VPN:
            need(data[:end], offset + 8, "flow route distinguisher")
            rd = RouteDistinguisher(bytes(data[offset : offset + 8]))
            offset += 8
        components: list[FlowComponent] = []
        previous = 0
        last_type = _LAST_TYPE.get(afi, FRAGMENT)
        while offset < end:
            kind = data[offset]
            if not previous < kind <= last_type:
                raise InvalidNetworkField(f"flow component type {kind} after {previous}")
            previous = kind
            if kind in (DESTINATION, SOURCE):
                component, offset = _unpack_prefix(data, offset + 1, end, afi, kind)
            else:
                ops, offset = _unpack_ops(data, offset + 1, end)
                component = FlowMatch(kind, ops)
            components.append(component)
        # RFC 8955 section 4.2: the NLRI value is <[component]+>; none would
        # match every packet
        if not components:
            raise InvalidNetworkField("flow NLRI without components")
        if rd is not None:
            return cls(afi, tuple(components), rd, path_id), end  # type: ignore[call-arg]
        return cls(afi, tuple(components), path_id), end

    @classmethod
    def decode(cls, data: bytes, afi: int, add_path: bool = False) -> FlowSpec:
        return decode_one(cls, data, afi, add_path)

    def _value(self) -> bytes:
        if self.afi not in AF:
            raise ValueError(f"flow AFI {self.afi}")
        return b"".join(
            _pack_prefix(self.afi, c) if type(c) is FlowPrefix else _pack_ops(c) for c in self.components
        )

    def encode(self) -> bytes:
        value = self._value()
        return path_id_octets(self.path_id) + _length(len(value)) + value


def _length(size: int) -> bytes:
    if size < _SHORT_LENGTH:
        return bytes((size,))
    if size > _MAX_LENGTH:
        raise ValueError(f"flow NLRI of {size} octets exceeds {_MAX_LENGTH}")
    return (0xF000 | size).to_bytes(2, "big")


@dataclass(frozen=True, slots=True)
class FlowSpecVpn:
    afi: int
    components: tuple[FlowComponent, ...]
    rd: RouteDistinguisher
    path_id: int | None = None

    VPN: ClassVar[bool] = True

    unpack = classmethod(FlowSpec.unpack.__func__)  # type: ignore[attr-defined]

    @classmethod
    def decode(cls, data: bytes, afi: int, add_path: bool = False) -> FlowSpecVpn:
        return decode_one(cls, data, afi, add_path)

    def encode(self) -> bytes:
        value = self.rd.raw + FlowSpec._value(self)  # type: ignore[arg-type]
        return path_id_octets(self.path_id) + _length(len(value)) + value


IPV4_FLOW_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_FLOW), "ipv4 flow", FlowSpec)
IPV6_FLOW_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_FLOW), "ipv6 flow", FlowSpec)
IPV4_FLOW_VPN_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_FLOW_VPN), "ipv4 flow-vpn", FlowSpecVpn)
IPV6_FLOW_VPN_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_FLOW_VPN), "ipv6 flow-vpn", FlowSpecVpn)
