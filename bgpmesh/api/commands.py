"""The text API: one line from a producer -> one ``Command``.

Theory of operation: a line is normalised as ExaBGP 4.2 does (``formated``:
tabs to spaces, brackets, parentheses and commas padded, spaces collapsed) by
splitting it into words.  Leading ``neighbor ...`` selectors are taken off
(``selector.py``), then the first word picks a handler from ``_VERBS`` and the
second, for ``announce`` and ``withdraw``, one from ``_ANNOUNCE`` /
``_WITHDRAW``.  A new command is one handler and one table entry.

Kinds produced:

==========================  ===============================================
``announce-route``          ``announce route P next-hop ...``, the bulk
                            ``announce attribute(s) ... nlri P1 P2``, 5.0's
                            ``announce ipv4|ipv6 unicast P ...``
``withdraw-route``          the same with ``withdraw``; next hop and
                            attributes are checked, then dropped
``announce-eor``            ``announce eor [AFI SAFI]`` (IPv4 unicast if none)
``announce-route-refresh``  ``announce route-refresh AFI SAFI``
``teardown``                ``teardown N``: ``arg`` is the Cease subcode
``shutdown`` ``version``    no arguments
``help``
``comment``                 a line starting with ``#``; ``text`` is the rest
==========================  ===============================================

Rules: any line that is not exactly one of these raises ``CommandError`` with
the 1-based column of the word at fault in the line as given, and what was
expected.  Nothing else escapes (a hypothesis test holds this file to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bgpmesh.api.routes import (
    WordError,
    attributes_from_words,
    column_of,
    parse_int,
    parse_prefix,
    route_from_words,
    split_words,
)
from bgpmesh.api.selector import Selector, parse_selectors
from bgpmesh.errors import CommandError
from bgpmesh.family import IPV4_UNICAST, Family
from bgpmesh.route import NO_ATTRIBUTES, Route

ANNOUNCE_ROUTE = "announce-route"
WITHDRAW_ROUTE = "withdraw-route"
ANNOUNCE_EOR = "announce-eor"
ANNOUNCE_ROUTE_REFRESH = "announce-route-refresh"
TEARDOWN = "teardown"
SHUTDOWN = "shutdown"
VERSION = "version"
HELP = "help"
COMMENT = "comment"


@dataclass(frozen=True, slots=True)
class Command:
    kind: str
    selectors: tuple[Selector, ...] = ()
    routes: tuple[Route, ...] = ()
    family: Family | None = None
    text: str = ""
    arg: int | None = None


# -- handlers: (words, index after the verb words, selectors) -> Command ------

_Handler = Callable[[list[str], int, tuple[Selector, ...]], Command]


def _no_more(words: list[str], index: int) -> None:
    if index < len(words):
        raise WordError(f"unexpected {words[index]!r}, expected end of line", index)


def _family(words: list[str], index: int) -> Family:
    if index >= len(words):
        raise WordError("missing address family (e.g. 'ipv4 unicast') at end of line", index)
    if index + 1 >= len(words):
        raise WordError(f"missing SAFI after {words[index]!r} at end of line", index + 1)
    try:
        family = Family.from_names(words[index], words[index + 1])
    except KeyError:
        raise WordError(f"unknown address family '{words[index]} {words[index + 1]}'",
                        index) from None
    return family


def _announce_route(words: list[str], index: int, selectors: tuple) -> Command:
    route = route_from_words(words, index)
    return Command(ANNOUNCE_ROUTE, selectors, (route,))


def _withdraw_route(words: list[str], index: int, selectors: tuple) -> Command:
    route = route_from_words(words, index, withdraw=True)
    return Command(WITHDRAW_ROUTE, selectors, (route,))


def _bulk(words: list[str], index: int, withdraw: bool) -> tuple[Route, ...]:
    next_hop, attributes, index = attributes_from_words(words, index, stop="nlri")
    if index >= len(words):
        raise WordError("missing 'nlri' followed by prefixes", index)
    if index + 1 >= len(words):
        raise WordError("missing prefix after 'nlri'", index + 1)
    if withdraw:
        next_hop, attributes = None, NO_ATTRIBUTES
    elif next_hop is None:
        raise WordError("bulk announcement has no next-hop, expected 'next-hop IP|self' "
                        "before 'nlri'", index)
    routes = []
    for position in range(index + 1, len(words)):
        family, prefix = parse_prefix(words[position], position)
        routes.append(Route(family, prefix, next_hop, attributes))
    return tuple(routes)


def _announce_attributes(words: list[str], index: int, selectors: tuple) -> Command:
    return Command(ANNOUNCE_ROUTE, selectors, _bulk(words, index, withdraw=False))


def _withdraw_attributes(words: list[str], index: int, selectors: tuple) -> Command:
    return Command(WITHDRAW_ROUTE, selectors, _bulk(words, index, withdraw=True))


def _family_route(words: list[str], index: int, withdraw: bool) -> Route:
    # 5.0: "announce ipv4 unicast PREFIX ..."; the AFI word was the sub-verb.
    family = _family(words, index - 1)
    if family.safi != IPV4_UNICAST.safi:
        raise WordError(f"family '{family}' is not supported by 'announce', expected "
                        "'unicast'", index)
    return route_from_words(words, index + 1, withdraw=withdraw, family=family)


def _announce_family(words: list[str], index: int, selectors: tuple) -> Command:
    return Command(ANNOUNCE_ROUTE, selectors, (_family_route(words, index, False),))


def _withdraw_family(words: list[str], index: int, selectors: tuple) -> Command:
    return Command(WITHDRAW_ROUTE, selectors, (_family_route(words, index, True),))


def _announce_eor(words: list[str], index: int, selectors: tuple) -> Command:
    family = IPV4_UNICAST
    if index < len(words):
        family = _family(words, index)
        _no_more(words, index + 2)
    return Command(ANNOUNCE_EOR, selectors, family=family)


def _announce_route_refresh(words: list[str], index: int, selectors: tuple) -> Command:
    family = _family(words, index)
    _no_more(words, index + 2)
    return Command(ANNOUNCE_ROUTE_REFRESH, selectors, family=family)


_ANNOUNCE: dict[str, _Handler] = {
    "route": _announce_route,
    "attributes": _announce_attributes,
    "attribute": _announce_attributes,
    "ipv4": _announce_family,
    "ipv6": _announce_family,
    "eor": _announce_eor,
    "route-refresh": _announce_route_refresh,
}

_WITHDRAW: dict[str, _Handler] = {
    "route": _withdraw_route,
    "attributes": _withdraw_attributes,
    "ipv4": _withdraw_family,
    "ipv6": _withdraw_family,
}


def _sub_verb(table: dict[str, _Handler], verb: str) -> _Handler:
    def handle(words: list[str], index: int, selectors: tuple) -> Command:
        if index >= len(words):
            raise WordError(f"missing what to {verb}, expected one of: "
                            f"{', '.join(table)}", index)
        handler = table.get(words[index])
        if handler is None:
            raise WordError(f"unknown {verb} command {words[index]!r}, expected one of: "
                            f"{', '.join(table)}", index)
        return handler(words, index + 1, selectors)

    return handle


def _teardown(words: list[str], index: int, selectors: tuple) -> Command:
    if index >= len(words):
        raise WordError("missing Cease subcode after 'teardown', expected 0..255", index)
    subcode = parse_int(words[index], index, "Cease subcode", 0, 255)
    _no_more(words, index + 1)
    return Command(TEARDOWN, selectors, arg=subcode)


def _bare(kind: str) -> _Handler:
    def handle(words: list[str], index: int, selectors: tuple) -> Command:
        if selectors:
            raise WordError(f"{kind!r} takes no neighbor selector", 0)
        _no_more(words, index)
        return Command(kind)

    return handle


_VERBS: dict[str, _Handler] = {
    "announce": _sub_verb(_ANNOUNCE, "announce"),
    "withdraw": _sub_verb(_WITHDRAW, "withdraw"),
    "teardown": _teardown,
    "shutdown": _bare(SHUTDOWN),
    "version": _bare(VERSION),
    "help": _bare(HELP),
}


def _parse_words(words: list[str]) -> Command:
    selectors, index = parse_selectors(words)
    if index >= len(words):
        raise WordError(f"missing command after the neighbor selector, expected one of: "
                        f"{', '.join(_VERBS)}", index)
    handler = _VERBS.get(words[index])
    if handler is None:
        expected = ", ".join(_VERBS)
        if selectors:
            expected += ", or a selector qualifier (local-ip, local-as, peer-as, router-id)"
        raise WordError(f"unknown command {words[index]!r}, expected one of: {expected}",
                        index)
    return handler(words, index + 1, selectors)


def parse_command(line: str) -> Command:
    """Parse one API line; raises CommandError naming the column at fault."""
    stripped = line.strip()
    if stripped.startswith("#"):
        return Command(COMMENT, text=stripped[1:].strip())
    words = split_words(line)
    if not words:
        raise CommandError("empty command, expected one of: " + ", ".join(_VERBS), 1)
    try:
        return _parse_words(words)
    except WordError as error:
        raise CommandError(error.message, column_of(line, error.index)) from None
