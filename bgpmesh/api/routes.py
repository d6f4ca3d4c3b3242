"""The route grammar shared by ``static`` configuration lines and API commands.

Everything after the word ``route``::

    PREFIX next-hop IP|self [origin igp|egp|incomplete]
           [as-path [ 1 2 3 ] | as-path 65000] [med N] [local-preference N]
           [community [ 65000:1 no-export ] | community 65000:1]

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

from bgpmesh.errors import CommandError
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpmesh.route import ORIGIN_NAMES, Attributes, Route

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


def parse_prefix(word: str, index: int) -> tuple[Family, str]:
    """``10.0.0.1/24`` -> (IPv4 unicast, ``10.0.0.0/24``); a bare address is a host route."""
    slash = word.find("/")
    address = word if slash < 0 else word[:slash]
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


def _as_path(words: list[str], index: int, values: dict) -> int:
    items, after = list_words(words, index, "AS number")
    start = index + 1 if words[index] == "[" else index
    # RFC 7607 section 2: "A BGP speaker MUST NOT originate or propagate a
    # route with an AS number of zero in the AS_PATH".
    values["as_path"] = tuple(
        parse_asn(item, start + offset, "AS number in as-path")
        for offset, item in enumerate(items)
    )
    return after


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


_ATTRIBUTE_PARSERS = {
    "next-hop": _next_hop,
    "origin": _origin,
    "as-path": _as_path,
    "med": _med,
    "local-preference": _local_preference,
    "community": _community,
}

ATTRIBUTE_KEYWORDS = tuple(_ATTRIBUTE_PARSERS)


def attributes_from_words(
    words: list[str], index: int, stop: str | None = None
) -> tuple[str | None, Attributes, int]:
    """Parse attribute keywords from ``index`` to the end or to the word ``stop``.

    Returns (next hop or None, Attributes, index of ``stop`` or ``len(words)``).
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
    return next_hop, Attributes(**values) if values else _EMPTY, index


_EMPTY = Attributes()


def route_from_words(words: list[str], index: int, withdraw: bool = False,
                     family: Family | None = None) -> Route:
    """``PREFIX next-hop ... attributes`` from ``words[index:]`` to the end.

    An announcement needs a next hop.  A withdrawal accepts and checks the same
    words but keeps neither next hop nor attributes (ExaBGP accepts them).
    ``family``, when given, is the family the caller named (the 5.0 form
    ``announce ipv6 unicast ...``) and the prefix must belong to it.
    """
    word = _word(words, index, "prefix")
    prefix_family, prefix = parse_prefix(word, index)
    if family is not None and prefix_family != family:
        raise WordError(f"prefix {word} is not {family}", index)
    next_hop, attributes, _ = attributes_from_words(words, index + 1)
    if withdraw:
        return Route(prefix_family, prefix)
    if next_hop is None:
        raise WordError(f"route {word} has no next-hop, expected 'next-hop IP|self'",
                        len(words))
    return Route(prefix_family, prefix, next_hop, attributes)


def word_columns(line: str) -> list[int]:
    """1-based column of each word of ``line`` as the API normaliser splits it.

    Only used to report errors, so it favours obviousness over speed: brackets,
    parentheses and commas are words of their own, whitespace separates words.
    """
    columns: list[int] = []
    in_word = False
    for position, char in enumerate(line):
        if char in "[](),":
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
    return line.split()


def parse_route(text: str, withdraw: bool = False) -> Route:
    """The words after ``route`` as one string; raises CommandError."""
    words = split_words(text)
    try:
        return route_from_words(words, 0, withdraw)
    except WordError as error:
        raise CommandError(error.message, column_of(text, error.index)) from None
