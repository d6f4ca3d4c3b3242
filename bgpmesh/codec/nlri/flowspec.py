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
    NlriCodec,
    decode_one,
    need,
    path_id_octets,
    prefix_octets,
    prefix_text,
)
from bgpmesh.codec.nlri.prefix import ipv4_text
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.codec.slots import builder
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


def _need_in(data: bytes, end: int, stop: int, what: str) -> None:
    """``need(data[:end], stop, what)`` without copying ``data[:end]``."""
    limit = end if end < len(data) else len(data)
    if stop > limit:
        raise InvalidNetworkField(f"{what} truncated: needs {stop} octets, has {limit}")


def _unpack_prefix(data: bytes, offset: int, end: int, afi: int, kind: int) -> tuple[FlowPrefix, int]:
    _need_in(data, end, offset + 1, "flow prefix")
    bits = data[offset]
    if afi == AFI_IPV4:
        stop = offset + 1 + ((bits + 7) >> 3)
        _need_in(data, end, stop, "flow prefix")
        return _flow_prefix(kind, prefix_text(afi, bits, data[offset + 1 : stop]), 0), stop
    _need_in(data, end, offset + 2, "flow prefix offset")
    skip = data[offset + 1]
    # RFC 8956 section 3.1: "If length = 0 and offset = 0, this component
    # matches every address; otherwise, length MUST be in the range offset <
    # length < 129"
    if (bits, skip) != (0, 0) and not skip < bits <= 128:
        raise InvalidNetworkField(f"flow IPv6 prefix length {bits} offset {skip}")
    size = (bits - skip + 7) >> 3
    stop = offset + 2 + size
    _need_in(data, end, stop, "flow prefix pattern")
    pattern = int.from_bytes(data[offset + 2 : stop], "big") >> (size * 8 - (bits - skip))
    address = (pattern << (128 - bits)).to_bytes(16, "big")
    return _flow_prefix(kind, prefix_text(afi, bits, address[: (bits + 7) >> 3]), skip), stop


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


def _pack_ops(component: FlowMatch) -> bytes:
    parts = [bytes((component.type,))]
    last = len(component.ops) - 1
    for index, (op, value) in enumerate(component.ops):
        size = 1 << ((op >> 4) & 3)
        parts.append(bytes((op | END_OF_LIST if index == last else op & ~END_OF_LIST & 0xFF,)))
        parts.append(value.to_bytes(size, "big"))
    return b"".join(parts)


# _STEP[op]: the octets an operator and its value take, 1 + (1 << len)
_STEP = bytes(1 + (1 << ((op >> 4) & 3)) for op in range(256))
_HOST_BITS = (0, 0x7F, 0x3F, 0x1F, 0x0F, 0x07, 0x03, 0x01)  # by prefix length & 7
_SHORT_HEADS = tuple(bytes((size,)) for size in range(_SHORT_LENGTH))

# Components by their wire octets (type octet first), one table per AFI.
# Rules repeat components (protocol =tcp, destination-port =80, the prefix
# under attack) over many NLRI, and the values are frozen: equal octets share
# one value, decoded once.  Only components decoded without error go in; a
# hit is octets already checked.  Cleared when full.
_SHARED: dict[int, dict[bytes, FlowComponent]] = {AFI_IPV4: {}, AFI_IPV6: {}}
# id(component) -> (component, its octets): what packing it gives, by AFI,
# for every component once packed and every shared match component (whose
# octets are what packing gives).  The entry holds the component, so its id
# cannot be reused while the entry lives.  Cleared when full.
_PACKED: dict[int, dict[int, tuple[FlowComponent, bytes]]] = {AFI_IPV4: {}, AFI_IPV6: {}}
_TABLE_MAX = 4096
# AFI -> (_SHARED[afi], _PACKED[afi], IPv4?, its last component type)
_AFI_STATE = {afi: (_SHARED[afi], _PACKED[afi], afi == AFI_IPV4, _LAST_TYPE[afi]) for afi in _SHARED}


def _match(raw: bytes) -> FlowMatch:
    """The component of ``raw`` (type, then operator and value pairs), which
    the caller has walked: every value is there, the last operator ends it."""
    ops = []
    at = 1
    size = len(raw)
    while at < size:
        op = raw[at]
        stop = at + _STEP[op]
        ops.append((op & 0x7F, int.from_bytes(raw[at + 1 : stop], "big")))
        at = stop
    return _flow_match(raw[0], tuple(ops))


@dataclass(frozen=True, slots=True)
class FlowSpec:
    afi: int
    components: tuple[FlowComponent, ...]
    path_id: int | None = None

    VPN: ClassVar[bool] = False

    @classmethod
    def unpack(cls, data: bytes, offset: int, afi: int, path_id: int | None) -> tuple[FlowSpec, int]:
        size = len(data)
        if offset >= size:
            need(data, offset + 1, "flow NLRI length")
        length = data[offset]
        offset += 1
        if length >= _SHORT_LENGTH:
            need(data, offset + 1, "flow NLRI length")
            length = ((length & 0x0F) << 8) | data[offset]
            offset += 1
        end = offset + length
        if end > size:
            need(data, end, "flow NLRI")  # so below, checks against ``end`` suffice
        rd = None
        if cls.VPN:
            _need_in(data, end, offset + 8, "flow route distinguisher")
            rd = RouteDistinguisher(bytes(data[offset : offset + 8]))
            offset += 8
        state = _AFI_STATE.get(afi)
        if state is None:
            shared, packed, ipv4, last_type = {}, {}, False, FRAGMENT  # not an AFI of ours: nothing is kept
        else:
            shared, packed, ipv4, last_type = state
            if len(shared) >= _TABLE_MAX:
                shared.clear()
        step = _STEP
        components: list[FlowComponent] = []
        append = components.append
        previous = 0
        while offset < end:
            start = offset
            kind = data[offset]
            if not previous < kind <= last_type:
                raise InvalidNetworkField(f"flow component type {kind} after {previous}")
            previous = kind
            if kind <= 2:  # DESTINATION, SOURCE
                # where the prefix would stop; its checks are _unpack_prefix's
                if ipv4:
                    stop = offset + 2 + ((data[offset + 1] + 7) >> 3) if offset + 1 < end else 0
                else:
                    stop = offset + 3 + ((data[offset + 1] - data[offset + 2] + 7) >> 3) \
                        if offset + 2 < end else 0
                component = shared.get(data[start:stop]) if start + 2 <= stop <= end else None
                if component is None:
                    if ipv4 and start + 2 <= stop <= end and data[offset + 1] <= 32:
                        # a new IPv4 prefix whose octets are there: _unpack_prefix's
                        # value without its checks, made above
                        component = _flow_prefix(kind, ipv4_text(data, offset + 2, data[offset + 1]), 0)
                    else:
                        component, stop = _unpack_prefix(data, offset + 1, end, afi, kind)
                    raw = data[start:stop]
                    shared[raw] = component
                    if ipv4 and not data[stop - 1] & _HOST_BITS[data[offset + 1] & 7]:
                        # no host bits set: these octets are what packing gives
                        if len(packed) >= _TABLE_MAX:
                            packed.clear()
                        packed[id(component)] = (component, raw)
                offset = stop
            else:
                # walk the operators: each says how long its value is
                offset += 1
                while True:
                    if offset >= end:
                        raise InvalidNetworkField(f"flow operator truncated: needs {offset + 1} octets, has {end}")
                    op = data[offset]
                    offset += step[op]
                    if offset > end:
                        raise InvalidNetworkField(f"flow value truncated: needs {offset} octets, has {end}")
                    if op & 0x80:  # END_OF_LIST
                        break
                raw = data[start:offset]
                component = shared.get(raw)
                if component is None:
                    component = shared[raw] = _match(raw)
                    if len(packed) >= _TABLE_MAX:
                        packed.clear()
                    packed[id(component)] = (component, raw)
            append(component)
        # RFC 8955 section 4.2: the NLRI value is <[component]+>; none would
        # match every packet
        if not components:
            raise InvalidNetworkField("flow NLRI without components")
        if rd is not None:
            return _flow_spec_vpn(afi, tuple(components), rd, path_id), end
        return _flow_spec(afi, tuple(components), path_id), end

    @classmethod
    def decode(cls, data: bytes, afi: int, add_path: bool = False) -> FlowSpec:
        return decode_one(cls, data, afi, add_path)

    def _value(self) -> bytes:
        afi = self.afi
        packed = _PACKED.get(afi)
        if packed is None:
            raise ValueError(f"flow AFI {afi}")
        if len(packed) >= _TABLE_MAX:
            packed.clear()
        parts = []
        for component in self.components:
            entry = packed.get(id(component))
            if entry is None:
                raw = _pack_prefix(afi, component) if type(component) is FlowPrefix else _pack_ops(component)
                entry = packed[id(component)] = (component, raw)
            parts.append(entry[1])
        return b"".join(parts)

    def encode(self) -> bytes:
        value = self._value()
        size = len(value)
        head = _SHORT_HEADS[size] if size < _SHORT_LENGTH else _length(size)
        if self.path_id is None:
            return head + value
        return path_id_octets(self.path_id) + head + value


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


_flow_match = builder(FlowMatch)
_flow_prefix = builder(FlowPrefix)
_flow_spec = builder(FlowSpec)
_flow_spec_vpn = builder(FlowSpecVpn)


IPV4_FLOW_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_FLOW), "ipv4 flow", FlowSpec)
IPV6_FLOW_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_FLOW), "ipv6 flow", FlowSpec)
IPV4_FLOW_VPN_CODEC = NlriCodec(Family(AFI_IPV4, SAFI_FLOW_VPN), "ipv4 flow-vpn", FlowSpecVpn)
IPV6_FLOW_VPN_CODEC = NlriCodec(Family(AFI_IPV6, SAFI_FLOW_VPN), "ipv6 flow-vpn", FlowSpecVpn)


# -- from the producer's words ------------------------------------------------
#
# ``FlowRoute.match`` holds ExaBGP's words: ("destination-port", ("=80",
# ">1024&<2000")).  Each value is one OR-ed term; "&" joins AND-ed pairs
# inside it (ExaBGP 5.0 ``configuration/flow/parser.py`` ``_generic_condition``).
# A numeric value with no operator means "="; a bitmask one means "any of
# these bits" (operator 0), "=" all of them, "!" none, "!=" not all.

COMPONENT_TYPES = {
    "destination": DESTINATION,
    "source": SOURCE,
    "protocol": IP_PROTOCOL,
    "next-header": IP_PROTOCOL,
    "port": PORT,
    "destination-port": DESTINATION_PORT,
    "source-port": SOURCE_PORT,
    "icmp-type": ICMP_TYPE,
    "icmp-code": ICMP_CODE,
    "tcp-flags": TCP_FLAGS,
    "packet-length": PACKET_LENGTH,
    "dscp": DSCP,
    "traffic-class": DSCP,
    "fragment": FRAGMENT,
    "flow-label": FLOW_LABEL,
}

_NUMERIC_OPS = (("<=", 0x05), (">=", 0x03), ("!=", 0x06), ("=", 0x01), ("<", 0x04),
                (">", 0x02), ("true", 0x07), ("false", 0x00))
_BITMASK_OPS = (("!=", 0x03), ("=", 0x01), ("!", 0x02))
PROTOCOL_NUMBERS = {
    "icmp": 1, "igmp": 2, "tcp": 6, "egp": 8, "udp": 17, "rsvp": 46, "gre": 47, "esp": 50,
    "ah": 51, "icmpv6": 58, "ospf": 89, "ipip": 94, "pim": 103, "sctp": 132,
}
ICMP_TYPE_NUMBERS = {
    "echo-reply": 0, "unreachable": 3, "redirect": 5, "echo-request": 8,
    "router-advertisement": 9, "router-solicit": 10, "time-exceeded": 11,
    "parameter-problem": 12, "timestamp": 13, "timestamp-reply": 14, "photuris": 40,
    "experimental-mobility": 41, "extended-echo-request": 42, "extended-echo-reply": 43,
    "experimental-one": 253, "experimental-two": 254,
}
TCP_FLAG_BITS = {"fin": 1, "syn": 2, "rst": 4, "push": 8, "ack": 16, "urg": 32, "urgent": 32,
                 "ece": 64, "cwr": 128, "ns": 256}
FRAGMENT_BITS = {"not-a-fragment": 0, "dont-fragment": 1, "is-fragment": 2,
                 "first-fragment": 4, "last-fragment": 8}


def _term_value(kind: int, text: str) -> int:
    if text.isdigit():
        return int(text)
    names = {IP_PROTOCOL: PROTOCOL_NUMBERS, ICMP_TYPE: ICMP_TYPE_NUMBERS,
             TCP_FLAGS: TCP_FLAG_BITS, FRAGMENT: FRAGMENT_BITS}.get(kind)
    if names is None:
        raise ValueError(f"flow value {text!r} is not a number")
    value = 0
    # bitmask values may name several bits: "syn+ack"
    for part in text.lower().split("+"):
        if part not in names:
            raise ValueError(f"unknown flow value {part!r}")
        value |= names[part]
    return value


def _op_length(value: int) -> int:
    # the len field: value is 1 << len octets
    if value < 0x100:
        return 0x00
    if value < 0x10000:
        return 0x10
    if value < 0x100000000:
        return 0x20
    raise ValueError(f"flow value {value} exceeds 32 bits")


def _terms(kind: int, values: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    table = _BITMASK_OPS if kind in BITMASK_TYPES else _NUMERIC_OPS
    default = 0x00 if kind in BITMASK_TYPES else 0x01
    ops: list[tuple[int, int]] = []
    for value in values:
        for position, term in enumerate(value.split("&")):
            if not term:
                if position == 0:
                    continue  # "&>10": ExaBGP's leading AND joins the previous term
                raise ValueError(f"empty flow term in {value!r}")
            op = default
            for symbol, code in table:
                if term.lower().startswith(symbol):
                    op, term = code, term[len(symbol):]
                    break
            number = 0 if op in (0x00, 0x07) and kind not in BITMASK_TYPES and not term \
                else _term_value(kind, term)
            joined = AND if position or value.startswith("&") else 0
            ops.append((joined | _op_length(number) | op, number))
    if not ops:
        raise ValueError("flow component without a value")
    return tuple(ops)


def components_from_match(afi: int, match: tuple[tuple[str, tuple[str, ...]], ...]
                          ) -> tuple[FlowComponent, ...]:
    """``FlowRoute.match`` to components in ascending type order (RFC 8955
    section 4.2: a component "MUST precede any component of higher numeric
    type value"); a component named twice has its terms OR-ed."""
    prefixes: dict[int, FlowPrefix] = {}
    terms: dict[int, list[tuple[int, int]]] = {}
    for name, values in match:
        kind = COMPONENT_TYPES.get(name)
        if kind is None or kind > _LAST_TYPE[afi]:
            raise ValueError(f"flow component {name!r} is not one of {Family(afi, 133)}")
        if kind in (DESTINATION, SOURCE):
            if kind in prefixes or len(values) != 1:
                raise ValueError(f"flow {name} takes one prefix")
            text = values[0]
            offset = 0
            if afi == AFI_IPV6 and text.count("/") == 2:
                text, _, skip = text.rpartition("/")
                offset = int(skip)
            prefix_octets(afi, text)  # ValueError if not of this AFI
            prefixes[kind] = FlowPrefix(kind, text, offset)
        else:
            terms.setdefault(kind, []).extend(_terms(kind, values))
    out: list[FlowComponent] = []
    for kind in sorted((*prefixes, *terms)):
        out.append(prefixes[kind] if kind in prefixes else FlowMatch(kind, tuple(terms[kind])))
    return tuple(out)
