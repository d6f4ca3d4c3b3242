"""The route grammar shared by ``static`` configuration lines and API commands.

Everything after the word ``route``::

    PREFIX next-hop IP|self [origin igp|egp|incomplete]
           [as-path [ 1 2 ( 3 4 ) ] | as-path 65000] [med N] [local-preference N]
           [community [ 65000:1 no-export ] | community 65000:1]
           [extended-community ..] [large-community ..] [originator-id IP]
           [cluster-list ..] [aggregator ( ASN:IP )] [atomic-aggregate] [aigp N]
           [attribute [ 0xTYPE 0xFLAG 0xHEX ]] [label ..] [rd RD]
           [path-information N] [split /N] [watchdog NAME] [name NAME] [withdraw]

plus the FlowSpec, VPLS and operational word grammars used by both callers.

Theory of operation: callers split their input into words first (the
configuration tokenizer and the API normaliser both make ``[`` and ``]`` words
of their own), then hand the list and a start index to ``route_from_words`` or
``attributes_from_words``.  Each attribute keyword maps to one small function
in ``_ATTRIBUTE_PARSERS`` that consumes its value words and returns the next
index, so a new attribute is one function and one table entry.

Rules of this file:

- It is on the hot path (a producer may send a million ``announce route``
  lines): no regular expression per word and no ``ipaddress`` objects;
  ``socket.inet_pton`` validates and ``inet_ntop`` canonicalises.
- A mistake raises ``WordError(message, index)``: the index of the word at
  fault (``len(words)`` when a word is missing).  Callers turn it into a
  ``CommandError`` or a ``ConfigError`` with the column of that word, so the
  column arithmetic only runs on the error path.
"""

from __future__ import annotations

import socket
from struct import pack as _struct_pack

from bgpmesh.errors import CommandError
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpmesh.route import ORIGIN_NAMES, Attributes, FlowRoute, Operational, Route, Vpls

_AF_INET = socket.AF_INET
_AF_INET6 = socket.AF_INET6
_inet_pton = socket.inet_pton
_inet_ntop = socket.inet_ntop

MAX_U32 = 0xFFFFFFFF

# RFC 1997 and RFC 3765 well-known communities, in ExaBGP's spelling; ExaBGP
# also accepts "no-peer" and "blackhole" (RFC 7999), so scripts may use them.
WELL_KNOWN_COMMUNITIES = {
    "no-export": 0xFFFFFF01,
    "no-advertise": 0xFFFFFF02,
    "no-export-subconfed": 0xFFFFFF03,
    "nopeer": 0xFFFFFF04,
    "no-peer": 0xFFFFFF04,
    "blackhole": 0xFFFF029A,
}

_ORIGINS = {name: code for code, name in enumerate(ORIGIN_NAMES)}


class WordError(Exception):
    """A word list that does not parse: ``index`` is the word at fault."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


def _word(words: list[str], index: int, expected: str) -> str:
    if index >= len(words):
        raise WordError(f"missing {expected} at end of line", index)
    return words[index]


def _describe(word: str) -> str:
    return repr(word) if len(word) <= 40 else repr(word[:40] + "...")


# -- numbers and addresses ----------------------------------------------------


def parse_int(word: str, index: int, what: str, low: int, high: int) -> int:
    """A decimal integer in ``low..high``; ``what`` names it in errors."""
    # str.isdigit() also accepts non-ASCII digits ('²') that int() refuses.
    if not (word.isascii() and word.isdigit()):
        raise WordError(f"invalid {what} {_describe(word)}, expected a number", index)
    value = int(word)
    if value < low or value > high:
        raise WordError(f"{what} {word} out of range, expected {low}..{high}", index)
    return value


def parse_asn(word: str, index: int, what: str = "AS number", low: int = 1) -> int:
    """An AS number, plain (``65000``) or asdot (``1.10``, RFC 5396)."""
    if "." in word:
        high, _, rest = word.partition(".")
        if high.isascii() and high.isdigit() and rest.isascii() and rest.isdigit():
            top, bottom = int(high), int(rest)
            if top <= 0xFFFF and bottom <= 0xFFFF and (top or bottom) >= low:
                return (top << 16) | bottom
        raise WordError(f"invalid {what} {_describe(word)}, expected {low}..{MAX_U32}", index)
    return parse_int(word, index, what, low, MAX_U32)


def parse_ip(word: str, index: int, what: str = "IP address") -> str:
    """An IPv4 or IPv6 address in canonical text (IPv6 compressed, lower case)."""
    try:
        if ":" in word:
            return _inet_ntop(_AF_INET6, _inet_pton(_AF_INET6, word))
        _inet_pton(_AF_INET, word)
        return word
    except (OSError, ValueError):
        raise WordError(f"invalid {what} {_describe(word)}", index) from None


def parse_ipv4(word: str, index: int, what: str = "IPv4 address") -> str:
    try:
        _inet_pton(_AF_INET, word)
    except (OSError, ValueError):
        raise WordError(f"invalid {what} {_describe(word)}, expected an IPv4 address",
                        index) from None
    return word


_IPV4_LENGTHS = {str(length): length for length in range(33)}
_IPV4_MASKS = [(MAX_U32 << (32 - length)) & MAX_U32 for length in range(33)]


def parse_prefix(word: str, index: int) -> tuple[Family, str]:
    """``10.0.0.1/24`` -> (IPv4 unicast, ``10.0.0.0/24``); a bare address is a host route."""
    slash = word.find("/")
    address = word if slash < 0 else word[:slash]
    if slash > 0 and ":" not in address:
        # The common case, IPv4 with a length written plainly: any text
        # inet_pton accepts for IPv4 is canonical, so when no host bit is set
        # the word is already the answer.
        length = _IPV4_LENGTHS.get(word[slash + 1:])
        if length is not None:
            try:
                packed = _inet_pton(_AF_INET, address)
            except (OSError, ValueError):
                raise WordError(f"invalid prefix {_describe(word)}, expected ADDRESS/LENGTH",
                                index) from None
            if length == 32:  # a host route has no host bits to clear
                return IPV4_UNICAST, word
            value = int.from_bytes(packed, "big")
            masked = value & _IPV4_MASKS[length]
            if masked == value:
                return IPV4_UNICAST, word
            return IPV4_UNICAST, f"{_inet_ntop(_AF_INET, masked.to_bytes(4, 'big'))}/{length}"
    if ":" in address:
        af, family, width = _AF_INET6, IPV6_UNICAST, 128
    else:
        af, family, width = _AF_INET, IPV4_UNICAST, 32
    try:
        packed = _inet_pton(af, address)
    except (OSError, ValueError):
        raise WordError(f"invalid prefix {_describe(word)}, expected ADDRESS/LENGTH",
                        index) from None
    if slash < 0:
        length = width
    else:
        text = word[slash + 1:]
        if not (text.isascii() and text.isdigit()) or int(text) > width:
            raise WordError(f"invalid prefix length in {_describe(word)}, expected 0..{width}",
                            index)
        length = int(text)
    if length != width:
        value = int.from_bytes(packed, "big")
        value &= ~((1 << (width - length)) - 1)
        packed = value.to_bytes(width // 8, "big")
        address = _inet_ntop(af, packed)
    elif af is _AF_INET6:
        address = _inet_ntop(af, packed)
    return family, f"{address}/{length}"


def parse_community(word: str, index: int) -> int:
    """``65000:1``, a well-known name, a 32-bit integer or ``0x`` hex -> 32-bit value."""
    colon = word.find(":")
    if colon >= 0:
        high, low = word[:colon], word[colon + 1:]
        if high.isascii() and high.isdigit() and low.isascii() and low.isdigit():
            top, bottom = int(high), int(low)
            if top <= 0xFFFF and bottom <= 0xFFFF:
                return (top << 16) | bottom
        raise WordError(f"invalid community {_describe(word)}, expected ASN:VALUE "
                        "with both parts 0..65535", index)
    known = WELL_KNOWN_COMMUNITIES.get(word.lower())
    if known is not None:
        return known
    if word[:2].lower() == "0x":
        digits = word[2:]
        try:
            value = int(digits, 16) if digits.isascii() and digits.isalnum() else -1
        except ValueError:
            value = -1
        if 0 <= value <= MAX_U32:
            return value
    elif word.isascii() and word.isdigit() and int(word) <= MAX_U32:
        return int(word)
    raise WordError(f"invalid community {_describe(word)}, expected ASN:VALUE, a 32-bit "
                    f"number or one of: {', '.join(WELL_KNOWN_COMMUNITIES)}", index)


def list_words(words: list[str], index: int, what: str) -> tuple[list[str], int]:
    """``[ a b ]`` or a single word; returns the words and the next index."""
    first = _word(words, index, what)
    if first != "[":
        if first == "]":
            raise WordError(f"unexpected ']', expected {what}", index)
        return [first], index + 1
    end = index + 1
    count = len(words)
    while end < count and words[end] != "]":
        if words[end] == "[":
            raise WordError(f"unexpected '[' inside a list, expected {what} or ']'", end)
        end += 1
    if end >= count:
        raise WordError(f"missing ']' closing the {what} list", count)
    return words[index + 1:end], end + 1


# -- attributes ---------------------------------------------------------------
#
# Each parser takes (words, index of the value, values) and returns the index
# after what it consumed; ``values`` collects the Attributes fields by name.


def _next_hop(words: list[str], index: int, values: dict) -> int:
    word = _word(words, index, "next-hop address or 'self'")
    values["next_hop"] = "self" if word == "self" else parse_ip(word, index, "next-hop")
    return index + 1


def _origin(words: list[str], index: int, values: dict) -> int:
    word = _word(words, index, "origin (igp, egp or incomplete)")
    code = _ORIGINS.get(word.lower())
    if code is None:
        raise WordError(f"invalid origin {_describe(word)}, expected igp, egp or incomplete",
                        index)
    values["origin"] = code
    return index + 1


def _med(words: list[str], index: int, values: dict) -> int:
    values["med"] = parse_int(_word(words, index, "med value"), index, "med", 0, MAX_U32)
    return index + 1


def _local_preference(words: list[str], index: int, values: dict) -> int:
    word = _word(words, index, "local-preference value")
    values["local_pref"] = parse_int(word, index, "local-preference", 0, MAX_U32)
    return index + 1


def _community(words: list[str], index: int, values: dict) -> int:
    items, after = list_words(words, index, "community")
    start = index + 1 if words[index] == "[" else index
    values["communities"] = tuple(
        parse_community(item, start + offset) for offset, item in enumerate(items)
    )
    return after


def _as_path(words: list[str], index: int, values: dict) -> int:
    # RFC 7607 section 2: "A BGP speaker MUST NOT originate or propagate a
    # route with an AS number of zero in the AS_PATH".
    first = _word(words, index, "AS number")
    if first != "[":
        if first in _BRACKETS:
            raise WordError(f"unexpected {first!r}, expected an AS number or '['", index)
        values["as_path"] = (parse_asn(first, index, "AS number in as-path"),)
        return index + 1
    # ExaBGP 4.2 (static/parser.py as_path): "[ 1 2 ( 3 4 ) ]", the parenthesised
    # numbers an AS_SET sent after the sequence; commas are ignored.
    sequence: list[int] = []
    as_set: list[int] | None = None
    position = index + 1
    count = len(words)
    while True:
        if position >= count:
            raise WordError("missing ']' closing the as-path", count)
        word = words[position]
        if word == "]":
            break
        if word == "(":
            if as_set is not None:
                raise WordError("a second AS set, expected one '( ... )' at most", position)
            as_set = []
            position += 1
            while True:
                if position >= count:
                    raise WordError("missing ')' closing the AS set", count)
                word = words[position]
                if word == ")":
                    break
                if word in _BRACKETS:
                    raise WordError(f"unexpected {word!r} inside an AS set, expected an AS "
                                    "number or ')'", position)
                if word != ",":
                    as_set.append(parse_asn(word, position, "AS number in as-path"))
                position += 1
        elif word == "[" or word == ")":
            raise WordError(f"unexpected {word!r} inside a list, expected an AS number or ']'",
                            position)
        elif word != ",":
            sequence.append(parse_asn(word, position, "AS number in as-path"))
        position += 1
    values["as_path"] = tuple(sequence)
    if as_set is not None:
        values["as_set"] = tuple(as_set)
    return position + 1


_BRACKETS = frozenset("[]()")


def _items(words: list[str], index: int, what: str) -> tuple[list[str], int, int]:
    """``list_words`` plus the index of the first item, for error positions."""
    items, after = list_words(words, index, what)
    return items, (index + 1 if words[index] == "[" else index), after


def _hex_or_int(word: str, index: int, what: str, high: int) -> int:
    if word[:2].lower() == "0x":
        digits = word[2:]
        if digits and all(c in _HEX_DIGITS for c in digits):
            value = int(digits, 16)
            if value <= high:
                return value
        raise WordError(f"invalid {what} {_describe(word)}, expected a number 0..{high}",
                        index)
    return parse_int(word, index, what, 0, high)


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
MAX_U64 = (1 << 64) - 1


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _ipv4_value(text: str) -> int | None:
    try:
        return int.from_bytes(_inet_pton(_AF_INET, text), "big")
    except (OSError, ValueError):
        return None


# type/sub-type high bytes for "target", "origin" and "redirect" (RFC 4360,
# RFC 5668, RFC 5575 section 7), by the form of the global administrator.
_EXTENDED_KINDS = {
    # name: (two-octet AS, IPv4, four-octet AS)
    "target": (0x0002, 0x0102, 0x0202),
    "origin": (0x0003, 0x0103, 0x0203),
    "redirect": (0x8008, 0x8108, 0x8208),
}


def parse_extended_community(word: str, index: int) -> int:
    """``target:65000:1``, ``origin:192.0.2.1:5``, ``redirect:65000:7``,
    ``bandwidth:65000:1e9``, ``mup:10:10``, ``0x`` hex or a number -> the 64-bit value."""
    lower = word.lower()
    kind, _, rest = lower.partition(":")
    kinds = _EXTENDED_KINDS.get(kind)
    if kinds is not None:
        admin, _, local = rest.rpartition(":")
        asn4 = admin.endswith("l")
        if asn4:
            admin = admin[:-1]
        if _is_number(local):
            number = int(local)
            if _is_number(admin):
                asn = int(admin)
                if not asn4 and asn <= 0xFFFF and number <= MAX_U32:
                    return (kinds[0] << 48) | (asn << 32) | number
                if asn <= MAX_U32 and number <= 0xFFFF:
                    return (kinds[2] << 48) | (asn << 16) | number
            else:
                address = _ipv4_value(admin)
                if address is not None and number <= 0xFFFF:
                    return (kinds[1] << 48) | (address << 16) | number
        raise WordError(f"invalid extended community {_describe(word)}, expected "
                        f"{kind}:ASN:NUMBER or {kind}:IPV4:NUMBER", index)
    if kind == "mup":
        # draft-mpmz-bess-mup-safi section 3.3.1, Direct-Type Segment
        # Identifier: type 0x0c subtype 0x00, 2 octets then 4 (a number or,
        # as ExaBGP takes it, an IPv4 address)
        admin, _, local = rest.partition(":")
        low = int(local) if _is_number(local) and int(local) <= MAX_U32 else _ipv4_value(local)
        if _is_number(admin) and int(admin) <= 0xFFFF and low is not None:
            return (0x0C00 << 48) | (int(admin) << 32) | low
        raise WordError(f"invalid extended community {_describe(word)}, expected "
                        "mup:0..65535:NUMBER or mup:0..65535:IPV4", index)
    if kind == "bandwidth":
        admin, _, speed = rest.partition(":")
        try:
            rate = float(speed)
        except ValueError:
            rate = -1.0
        if _is_number(admin) and int(admin) <= 0xFFFF and 0 <= rate < 3.4e38:
            encoded = int.from_bytes(_struct_pack(">f", rate), "big")
            return (0x4004 << 48) | (int(admin) << 32) | encoded
        raise WordError(f"invalid extended community {_describe(word)}, expected "
                        "bandwidth:ASN:BYTES-PER-SECOND", index)
    try:
        return _hex_or_int(word, index, "extended community", MAX_U64)
    except WordError:
        raise WordError(f"invalid extended community {_describe(word)}, expected "
                        "target:A:B, origin:A:B, redirect:A:B, bandwidth:A:B, 0xHEX or a "
                        "64-bit number", index) from None


def parse_large_community(word: str, index: int) -> tuple[int, int, int]:
    parts = word.split(":")
    if len(parts) == 3 and all(_is_number(p) and int(p) <= MAX_U32 for p in parts):
        return int(parts[0]), int(parts[1]), int(parts[2])
    raise WordError(f"invalid large community {_describe(word)}, expected A:B:C with each "
                    f"part 0..{MAX_U32}", index)


def parse_rd(word: str, index: int) -> str:
    """A route distinguisher, ``ASN:N`` or ``IPV4:N`` (RFC 4364 section 4.2)."""
    admin, _, number = word.rpartition(":")
    if _is_number(number):
        if _is_number(admin) and int(admin) <= MAX_U32 and int(number) <= MAX_U32 and (
                int(admin) <= 0xFFFF or int(number) <= 0xFFFF):
            return f"{int(admin)}:{int(number)}"
        if _ipv4_value(admin) is not None and int(number) <= 0xFFFF:
            return f"{admin}:{int(number)}"
    raise WordError(f"invalid route distinguisher {_describe(word)}, expected ASN:NUMBER or "
                    "IPV4:NUMBER", index)


def _extended_community(words: list[str], index: int, values: dict) -> int:
    items, start, after = _items(words, index, "extended community")
    values["extended_communities"] = tuple(
        parse_extended_community(item, start + offset) for offset, item in enumerate(items))
    return after


def _large_community(words: list[str], index: int, values: dict) -> int:
    items, start, after = _items(words, index, "large community")
    values["large_communities"] = tuple(
        parse_large_community(item, start + offset) for offset, item in enumerate(items))
    return after


def _originator_id(words: list[str], index: int, values: dict) -> int:
    word = _word(words, index, "originator-id (an IPv4 address)")
    values["originator_id"] = parse_ipv4(word, index, "originator-id")
    return index + 1


def _cluster_list(words: list[str], index: int, values: dict) -> int:
    items, start, after = _items(words, index, "cluster id")
    values["cluster_list"] = tuple(
        parse_ipv4(item, start + offset, "cluster id") for offset, item in enumerate(items))
    return after


def _aggregator(words: list[str], index: int, values: dict) -> int:
    # "( 65000:192.0.2.1 )" as ExaBGP writes it, or the bare word.
    word = _word(words, index, "aggregator ASN:IP")
    position = index + 1 if word == "(" else index
    word = _word(words, position, "aggregator ASN:IP")
    asn, _, address = word.partition(":")
    try:
        value = (parse_asn(asn, position, "aggregator AS number", 0),
                 parse_ipv4(address, position, "aggregator address"))
    except WordError:
        raise WordError(f"invalid aggregator {_describe(word)}, expected ASN:IPV4",
                        position) from None
    if position != index:
        if _word(words, position + 1, "')' closing the aggregator") != ")":
            raise WordError(f"unexpected {_describe(words[position + 1])}, expected ')'",
                            position + 1)
        position += 1
    values["aggregator"] = value
    return position + 1


def _atomic_aggregate(words: list[str], index: int, values: dict) -> int:
    values["atomic_aggregate"] = True
    return index


def _aigp(words: list[str], index: int, values: dict) -> int:
    values["aigp"] = _hex_or_int(_word(words, index, "aigp value"), index, "aigp", MAX_U64)
    return index + 1


def _generic(words: list[str], index: int, values: dict) -> int:
    # ExaBGP: attribute [ 0xTYPE 0xFLAG 0xPAYLOAD ]
    if _word(words, index, "'[' then type, flag and hex payload") != "[":
        raise WordError(f"unexpected {_describe(words[index])}, expected '[ 0xTYPE 0xFLAG "
                        "0xHEX ]'", index)
    code = _hex_or_int(_word(words, index + 1, "attribute type"), index + 1,
                       "attribute type", 255)
    flags = _hex_or_int(_word(words, index + 2, "attribute flag"), index + 2,
                        "attribute flag", 255)
    payload = _word(words, index + 3, "attribute payload in hex")
    digits = payload[2:] if payload[:2].lower() == "0x" else payload
    if payload == "]":
        digits, after = "", index + 3
    else:
        after = index + 4
    if len(digits) % 2 or not all(c in _HEX_DIGITS for c in digits):
        raise WordError(f"invalid attribute payload {_describe(payload)}, expected 0x and "
                        "an even number of hex digits", index + 3)
    if _word(words, after, "']' closing the attribute") != "]":
        raise WordError(f"unexpected {_describe(words[after])}, expected ']'", after)
    values["generic"] = values.get("generic", ()) + ((code, flags, bytes.fromhex(digits)),)
    return after + 1


# Route-level words (NLRI qualifiers, bookkeeping) go in values["_route"], so the
# plain path pays one dict pop for them.


def _route_value(values: dict, key: str, value: object) -> None:
    extra = values.get("_route")
    if extra is None:
        extra = values["_route"] = {}
    extra[key] = value


def _label(words: list[str], index: int, values: dict) -> int:
    items, start, after = _items(words, index, "label")
    _route_value(values, "labels", tuple(
        parse_int(item, start + offset, "label", 0, 0xFFFFF) for offset, item in enumerate(items)))
    return after


def _rd(words: list[str], index: int, values: dict) -> int:
    _route_value(values, "rd", parse_rd(_word(words, index, "route distinguisher"), index))
    return index + 1


def _path_information(words: list[str], index: int, values: dict) -> int:
    word = _word(words, index, "path-information (a number or A.B.C.D)")
    value = _ipv4_value(word) if "." in word else None
    if value is None:
        value = parse_int(word, index, "path-information", 0, MAX_U32)
    _route_value(values, "path_id", value)
    return index + 1


def _split(words: list[str], index: int, values: dict) -> int:
    word = _word(words, index, "split length '/N'")
    if word[:1] != "/" or not _is_number(word[1:]) or int(word[1:]) > 128:
        raise WordError(f"invalid split {_describe(word)}, expected /LENGTH", index)
    _route_value(values, "split", (int(word[1:]), index))
    return index + 1


def _watchdog(words: list[str], index: int, values: dict) -> int:
    _route_value(values, "watchdog", _word(words, index, "watchdog name"))
    return index + 1


def _name(words: list[str], index: int, values: dict) -> int:
    _route_value(values, "name", _word(words, index, "route name"))
    return index + 1


def _withdraw(words: list[str], index: int, values: dict) -> int:
    _route_value(values, "withdrawn", True)
    return index


_ATTRIBUTE_PARSERS = {
    "next-hop": _next_hop,
    "origin": _origin,
    "as-path": _as_path,
    "med": _med,
    "local-preference": _local_preference,
    "community": _community,
    "extended-community": _extended_community,
    "large-community": _large_community,
    "originator-id": _originator_id,
    "cluster-list": _cluster_list,
    "aggregator": _aggregator,
    "atomic-aggregate": _atomic_aggregate,
    "aigp": _aigp,
    "attribute": _generic,
    "label": _label,
    "rd": _rd,
    "route-distinguisher": _rd,
    "path-information": _path_information,
    "split": _split,
    "watchdog": _watchdog,
    "name": _name,
    "withdraw": _withdraw,
}

ATTRIBUTE_KEYWORDS = tuple(_ATTRIBUTE_PARSERS)


def parse_attributes(
    words: list[str], index: int, stop: str | None = None
) -> tuple[str | None, Attributes, dict | None, int]:
    """Attribute keywords from ``index`` to the end or to the word ``stop``.

    Returns (next hop or None, Attributes, route-level values or None, index
    of ``stop`` or ``len(words)``).  Route-level values are ``labels``,
    ``rd``, ``path_id``, ``watchdog``, ``name``, ``withdrawn`` and ``split``
    (the length and the index of its word).
    """
    values: dict = {}
    count = len(words)
    parsers = _ATTRIBUTE_PARSERS
    while index < count:
        word = words[index]
        if word == stop:
            break
        parser = parsers.get(word)
        if parser is None:
            expected = ", ".join(ATTRIBUTE_KEYWORDS)
            if stop:
                expected += f" or {stop}"
            raise WordError(f"unknown route attribute {_describe(word)}, expected one of: "
                            f"{expected}", index)
        index = parser(words, index + 1, values)
    next_hop = values.pop("next_hop", None)
    extra = values.pop("_route", None)
    return next_hop, Attributes(**values) if values else _EMPTY, extra, index


def attributes_from_words(
    words: list[str], index: int, stop: str | None = None
) -> tuple[str | None, Attributes, int]:
    """``parse_attributes`` without the route-level values (an error if any)."""
    start = index
    next_hop, attributes, extra, index = parse_attributes(words, index, stop)
    if extra:
        for position in range(start, index):
            if words[position] in _ROUTE_LEVEL:
                raise WordError(f"{words[position]!r} is not an attribute, expected one of: "
                                f"{', '.join(ATTRIBUTE_KEYWORDS)}", position)
    return next_hop, attributes, index


_ROUTE_LEVEL = frozenset({"label", "rd", "route-distinguisher", "path-information", "split",
                          "watchdog", "name", "withdraw"})
_EMPTY = Attributes()
SAFI_NLRI_MPLS = 4
SAFI_MPLS_VPN = 128
MAX_SPLIT = 65536


def split_prefix(family: Family, prefix: str, length: int) -> list[str]:
    """``10.0.0.0/24`` split /26 -> the four /26 it covers (ExaBGP's ``split``)."""
    address, _, width_text = prefix.partition("/")
    current = int(width_text)
    af, width = (_AF_INET6, 128) if ":" in address else (_AF_INET, 32)
    value = int.from_bytes(_inet_pton(af, address), "big")
    step = 1 << (width - length)
    return [f"{_inet_ntop(af, (value + n * step).to_bytes(width // 8, 'big'))}/{length}"
            for n in range(1 << (length - current))]


def _build_routes(words: list[str], index: int, family: Family, prefix: str,
                  next_hop: str | None, attributes: Attributes, extra: dict,
                  withdraw: bool) -> tuple[Route, ...]:
    labels = extra.get("labels", ())
    rd = extra.get("rd")
    if family.safi == 1 and (rd is not None or labels):
        family = Family(family.afi, SAFI_MPLS_VPN if rd is not None else SAFI_NLRI_MPLS)
    if withdraw:
        next_hop, attributes = None, _EMPTY
    fields = (labels, rd, extra.get("path_id"), extra.get("watchdog"), extra.get("name"),
              extra.get("withdrawn", False))
    split = extra.get("split")
    if split is None:
        return (Route(family, prefix, next_hop, attributes, *fields),)
    length, position = split
    current = int(prefix.partition("/")[2])
    width = 128 if ":" in prefix else 32
    if not current <= length <= width:
        raise WordError(f"split /{length} does not fit {prefix}, expected /{current}..{width}",
                        position)
    if length - current > 16:
        raise WordError(f"split /{length} of {prefix} gives more than {MAX_SPLIT} routes",
                        position)
    return tuple(Route(family, part, next_hop, attributes, *fields)
                 for part in split_prefix(family, prefix, length))


def routes_from_words(words: list[str], index: int, withdraw: bool = False,
                      family: Family | None = None) -> tuple[Route, ...]:
    """As ``route_from_words``, but ``split /N`` may give several routes."""
    word = _word(words, index, "prefix")
    prefix_family, prefix = parse_prefix(word, index)
    if family is not None:
        if prefix_family.afi != family.afi:
            raise WordError(f"prefix {word} is not {family}", index)
        prefix_family = family
    next_hop, attributes, extra, _ = parse_attributes(words, index + 1)
    if not withdraw and next_hop is None:
        raise WordError(f"route {word} has no next-hop, expected 'next-hop IP|self'",
                        len(words))
    if extra is None:
        if withdraw:
            return (Route(prefix_family, prefix),)
        return (Route(prefix_family, prefix, next_hop, attributes),)
    return _build_routes(words, index, prefix_family, prefix, next_hop, attributes, extra,
                         withdraw)


def route_from_words(words: list[str], index: int, withdraw: bool = False,
                     family: Family | None = None) -> Route:
    """``PREFIX next-hop ... attributes`` from ``words[index:]`` to the end.

    An announcement needs a next hop.  A withdrawal accepts and checks the same
    words but keeps neither next hop nor attributes (ExaBGP accepts them).
    ``family``, when given, is the family the caller named (the 5.0 form
    ``announce ipv6 unicast ...``) and the prefix must be of its AFI.  ``split``
    is refused here: use ``routes_from_words``.
    """
    routes = routes_from_words(words, index, withdraw, family)
    if len(routes) != 1:
        raise WordError("'split' gives several routes, expected one route", index)
    return routes[0]


# -- FlowSpec, VPLS and operational ---------------------------------------------
#
# One flat grammar reads both the API's one-line forms and the configuration's
# blocks (the caller flattens the block into words): match components and
# actions have distinct keywords, so "match", "then", braces and semicolons
# are structure only (checked for balance, otherwise skipped).

FLOW_MATCH_NUMERIC = (
    "port", "source-port", "destination-port", "protocol", "next-header", "packet-length",
    "dscp", "traffic-class", "flow-label", "fragment", "tcp-flags", "icmp-type", "icmp-code",
)
FLOW_MATCH = ("source", "destination", *FLOW_MATCH_NUMERIC)
FLOW_ACTIONS = {
    # action: number of argument words
    "accept": 0, "discard": 0, "rate-limit": 1, "redirect": 1, "redirect-to-nexthop": 0,
    "redirect-to-nexthop-ietf": 1, "copy": 1, "mark": 1, "action": 1,
}
_FLOW_IPV6_ONLY = frozenset({"next-header", "flow-label", "traffic-class"})
_FLOW_STRUCTURE = frozenset({"match", "then", "{", "}", ";"})
_FLOW_SAMPLE = frozenset({"sample", "terminal", "sample-terminal"})
_OPERATOR_CHARS = frozenset("=<>!&")
_FLOW_KEYWORDS = frozenset((*FLOW_MATCH, *FLOW_ACTIONS, *_FLOW_STRUCTURE, "[", "]"))


def _flow_value(word: str, index: int, component: str) -> str:
    body = word.lstrip("=<>!&")
    if not body or not all(c.isascii() and (c.isalnum() or c in "=<>!&-+.") for c in word):
        raise WordError(f"invalid {component} value {_describe(word)}, expected "
                        "[OPERATOR]VALUE such as =80, >1024&<2000 or a name", index)
    return word


def _flow_prefix(word: str, index: int) -> str:
    # IPv6 components may carry an offset: "2001:db8::/32/8".
    head, slash, offset = word.rpartition("/")
    if slash and head.count("/") == 1 and ":" in head:
        if not _is_number(offset) or int(offset) > 127:
            raise WordError(f"invalid prefix offset in {_describe(word)}", index)
        return parse_prefix(head, index)[1] + "/" + offset
    return parse_prefix(word, index)[1]


def flow_from_words(words: list[str], index: int, name: str | None = None) -> FlowRoute:
    """A FlowSpec rule from ``words[index:]``; the inverse of how it is written."""
    match: list[tuple[str, tuple[str, ...]]] = []
    actions: list[tuple[str, tuple[str, ...]]] = []
    values: dict = {}
    count = len(words)
    depth = 0
    ipv6 = False
    while index < count:
        word = words[index]
        if word in _FLOW_STRUCTURE:
            if word == "{":
                depth += 1
            elif word == "}":
                depth -= 1
                if depth < 0:
                    raise WordError("unexpected '}', no block is open", index)
            index += 1
        elif word == "source" or word == "destination":
            prefix = _flow_prefix(_word(words, index + 1, f"{word} prefix"), index + 1)
            ipv6 = ipv6 or ":" in prefix
            match.append((word, (prefix,)))
            index += 2
        elif word in FLOW_MATCH:
            ipv6 = ipv6 or word in _FLOW_IPV6_ONLY
            position = index + 1
            if _word(words, position, f"{word} value") == "[":
                items, after = list_words(words, position, f"{word} value")
                start = position + 1
            else:
                after = position
                while after < count and words[after] not in _FLOW_KEYWORDS:
                    after += 1
                items, start = words[position:after], position
                if not items:
                    raise WordError(f"missing {word} value, expected [OPERATOR]VALUE", position)
            match.append((word, tuple(_flow_value(item, start + offset, word)
                                      for offset, item in enumerate(items))))
            index = after
        elif word in FLOW_ACTIONS:
            arity = FLOW_ACTIONS[word]
            arguments = tuple(_word(words, index + 1 + n, f"{word} argument")
                              for n in range(arity))
            _check_action(word, arguments, index + 1)
            actions.append((word, arguments))
            index += 1 + arity
        else:
            parser = _ATTRIBUTE_PARSERS.get(word)
            if parser is None or word in _NOT_FLOW:
                raise WordError(f"unknown flow keyword {_describe(word)}, expected a match "
                                f"component ({', '.join(FLOW_MATCH)}), an action "
                                f"({', '.join(FLOW_ACTIONS)}), rd or next-hop", index)
            index = parser(words, index + 1, values)
    if depth:
        raise WordError("missing '}' at end of line", count)
    if not match:
        raise WordError("flow route has no match component, expected one of: "
                        f"{', '.join(FLOW_MATCH)}", count)
    next_hop = values.pop("next_hop", None)
    extra = values.pop("_route", None) or {}
    rd = extra.get("rd")
    family = Family(2 if ipv6 else 1, 134 if rd is not None else 133)
    return FlowRoute(family, tuple(match), tuple(actions), rd, next_hop,
                     Attributes(**values) if values else _EMPTY, name or extra.get("name"))


_NOT_FLOW = frozenset({"label", "split", "path-information", "watchdog", "withdraw"})


def _check_action(action: str, arguments: tuple[str, ...], index: int) -> None:
    if action in ("rate-limit", "mark"):
        parse_int(arguments[0], index, action, 0, MAX_U32 if action == "rate-limit" else 63)
    elif action in ("copy", "redirect-to-nexthop-ietf"):
        parse_ip(arguments[0], index, f"{action} address")
    elif action == "action" and arguments[0] not in _FLOW_SAMPLE:
        raise WordError(f"invalid action {_describe(arguments[0])}, expected sample, terminal "
                        "or sample-terminal", index)
    elif action == "redirect":
        word = arguments[0]
        if ":" in word and "." not in word.rpartition(":")[0] and word.count(":") == 1:
            parse_extended_community("redirect:" + word, index)
        else:
            parse_ip(word, index, "redirect next-hop")


_VPLS_NUMBERS = {"endpoint": 0xFFFF, "base": 0xFFFFF, "offset": 0xFFFF, "size": 0xFFFF}


def vpls_from_words(words: list[str], index: int, withdraw: bool = False,
                    name: str | None = None) -> Vpls:
    """``endpoint N base N offset N size N rd RD next-hop IP [attributes]``."""
    numbers: dict[str, int] = {}
    values: dict = {}
    count = len(words)
    while index < count:
        word = words[index]
        high = _VPLS_NUMBERS.get(word)
        if high is not None:
            numbers[word] = parse_int(_word(words, index + 1, f"{word} value"), index + 1,
                                      word, 0, high)
            index += 2
            continue
        parser = _ATTRIBUTE_PARSERS.get(word)
        if parser is None or word in _NOT_VPLS:
            raise WordError(f"unknown vpls keyword {_describe(word)}, expected one of: "
                            f"{', '.join(_VPLS_NUMBERS)}, rd, next-hop or an attribute", index)
        index = parser(words, index + 1, values)
    extra = values.pop("_route", None) or {}
    for required in (*_VPLS_NUMBERS, "rd"):
        if required not in numbers and required not in extra:
            raise WordError(f"vpls has no {required}, expected '{required} ...'", count)
    next_hop = values.pop("next_hop", None)
    if not withdraw and next_hop is None:
        raise WordError("vpls has no next-hop, expected 'next-hop IP|self'", count)
    attributes = Attributes(**values) if values else _EMPTY
    if withdraw:
        next_hop, attributes = None, _EMPTY
    return Vpls(numbers["endpoint"], numbers["base"], numbers["offset"], numbers["size"],
                extra["rd"], next_hop, attributes, name or extra.get("name"),
                extra.get("withdrawn", False))


_NOT_VPLS = frozenset({"label", "split", "path-information", "watchdog"})

OPERATIONAL_NAMES = ("adm", "asm", "rpcq", "rpcp", "apcq", "apcp", "lpcq", "lpcp")
_OPERATIONAL_KEYS = ("advisory", "sequence", "counter", "router-id")


def operational_from_words(words: list[str], index: int) -> Operational:
    """``adm afi ipv4 safi unicast advisory "text"`` and its siblings."""
    name = _word(words, index, "operational message name")
    if name not in OPERATIONAL_NAMES:
        raise WordError(f"unknown operational message {_describe(name)}, expected one of: "
                        f"{', '.join(OPERATIONAL_NAMES)}", index)
    index += 1
    afi = safi = None
    pairs: list[tuple[str, str]] = []
    count = len(words)
    while index < count:
        key = words[index]
        if key == "afi" or key == "safi":
            value = _word(words, index + 1, key)
            if key == "afi":
                afi = (value, index + 1)
            else:
                safi = (value, index + 1)
            index += 2
        elif key == "advisory":
            # The rest of the line: ExaBGP keeps the quoted text whole.
            text = " ".join(words[index + 1:])
            if not text:
                raise WordError("missing advisory text at end of line", count)
            pairs.append((key, text.strip("\"'")))
            index = count
        elif key in _OPERATIONAL_KEYS:
            value = _word(words, index + 1, key)
            if key == "router-id":
                parse_ipv4(value, index + 1, key)
            else:
                parse_int(value, index + 1, key, 0, MAX_U32)
            pairs.append((key, value))
            index += 2
        else:
            raise WordError(f"unknown operational keyword {_describe(key)}, expected afi, "
                            f"safi or one of: {', '.join(_OPERATIONAL_KEYS)}", index)
    if afi is None or safi is None:
        raise WordError("operational message has no 'afi AFI safi SAFI'", count)
    try:
        family = Family.from_names(afi[0], safi[0])
    except KeyError:
        raise WordError(f"unknown address family '{afi[0]} {safi[0]}'", afi[1]) from None
    return Operational(name, family, tuple(pairs))


def word_columns(line: str) -> list[int]:
    """1-based column of each word of ``line`` as the API normaliser splits it.

    Only used to report errors, so it favours obviousness over speed: brackets,
    parentheses and commas are words of their own, whitespace separates words.
    """
    columns: list[int] = []
    in_word = False
    separators = "[](),{};" if "{" in line else "[](),"
    for position, char in enumerate(line):
        if char in separators:
            columns.append(position + 1)
            in_word = False
        elif char.isspace():
            in_word = False
        elif not in_word:
            columns.append(position + 1)
            in_word = True
    return columns


def column_of(line: str, index: int) -> int:
    """Column of word ``index`` of ``line``; past the last word: after the line."""
    columns = word_columns(line)
    if index < len(columns):
        return columns[index]
    return len(line.rstrip()) + 1


def split_words(line: str) -> list[str]:
    """ExaBGP's normalisation (``formated``) and the split, in one pass of C loops.

    Brackets, parentheses and commas become words of their own and any run of
    whitespace separates words, as after ExaBGP's tab-to-space, padding and
    space collapsing.
    """
    if "[" in line or "]" in line or "(" in line or ")" in line or "," in line:
        line = (line.replace("[", " [ ").replace("]", " ] ").replace("(", " ( ")
                .replace(")", " ) ").replace(",", " , "))
    if "{" in line:
        # Only flow routes use braces; ';' then separates their statements.
        line = line.replace("{", " { ").replace("}", " } ").replace(";", " ; ")
    return line.split()


def parse_route(text: str, withdraw: bool = False) -> Route:
    """The words after ``route`` as one string; raises CommandError."""
    words = split_words(text)
    try:
        return route_from_words(words, 0, withdraw)
    except WordError as error:
        raise CommandError(error.message, column_of(text, error.index)) from None
