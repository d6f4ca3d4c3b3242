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
``announce-flow``           ``announce flow route { match {...} then {...} }``
``withdraw-flow``           or 5.0's brace-less form; ``routes`` holds FlowRoute
``announce-vpls``           ``announce vpls endpoint N base N offset N size N
``withdraw-vpls``           rd RD next-hop IP ...``; ``routes`` holds Vpls
``announce-nlri``           ``announce evpn TYPE ...``, ``announce rtc ...``
``withdraw-nlri``           (bgpmesh extensions, ``nlri_words.py``), also as
                            ``announce l2vpn evpn|ipv4 rtc|ipv6 rtc ...``;
                            ExaBGP 5.0's ``announce ipv4|ipv6 mup ...`` and
                            ``announce ipv4|ipv6 mcast-vpn ...``;
                            ``routes`` holds one NlriRoute
``announce-watchdog``       ``announce|withdraw watchdog NAME``: ``text``
``withdraw-watchdog``
``announce-eor``            ``announce eor [AFI SAFI]`` (IPv4 unicast if none)
``announce-route-refresh``  ``announce route-refresh AFI SAFI``
``announce-operational``    ``announce operational adm afi ipv4 safi ...``:
                            ``routes`` holds one Operational
``teardown``                ``teardown N``: ``arg`` is the Cease subcode
``show-neighbor``           ``show neighbor [IP] [summary|extensive|
                            configuration] [json]``: ``options``
``show-adj-rib``            ``show adj-rib in|out [IP] [extensive] [json]``:
                            ``text`` is in or out
``flush-adj-rib-out``       ``flush adj-rib out``
``clear-adj-rib``           ``clear adj-rib in|out``: ``text`` is in or out
``shutdown`` ``reload``     no arguments and no selector
``restart`` ``version``
``help`` ``reset`` ``crash``
``enable-ack``              5.0 per-process acknowledgement switches
``disable-ack``
``silence-ack``
``comment``                 a line starting with ``#``; ``text`` is the rest
``create-neighbor``         ``create neighbor ADDRESS { ... }``: ``text`` is the
                            ``neighbor`` block as in a configuration file
``delete-neighbor``         ``delete neighbor ADDRESS``: ``text`` is ADDRESS
``enable-neighbor``         ``neighbor ADDRESS enable|disable``: ``text`` is
``disable-neighbor``        ADDRESS (one neighbor, by address, nothing else)
==========================  ===============================================

Rules: any line that is not exactly one of these raises ``CommandError`` with
the 1-based column of the word at fault in the line as given, and what was
expected.  Nothing else escapes (a hypothesis test holds this file to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bgpmesh.api.nlri_words import FAMILY_GRAMMARS, GRAMMARS
from bgpmesh.api.routes import (
    WordError,
    column_of,
    flow_from_words,
    operational_from_words,
    parse_attributes,
    parse_int,
    parse_ip,
    parse_prefix,
    routes_from_words,
    split_prefix,
    split_words,
    vpls_from_words,
)
from bgpmesh.api.selector import Selector, parse_selectors
from bgpmesh.errors import CommandError
from bgpmesh.family import IPV4_UNICAST, Family
from bgpmesh.route import (
    NO_ATTRIBUTES,
    Attributes,
    FlowRoute,
    NlriRoute,
    Operational,
    Route,
    Vpls,
)

ANNOUNCE_ROUTE = "announce-route"
WITHDRAW_ROUTE = "withdraw-route"
ANNOUNCE_EOR = "announce-eor"
ANNOUNCE_ROUTE_REFRESH = "announce-route-refresh"
ANNOUNCE_FLOW = "announce-flow"
WITHDRAW_FLOW = "withdraw-flow"
ANNOUNCE_VPLS = "announce-vpls"
WITHDRAW_VPLS = "withdraw-vpls"
ANNOUNCE_NLRI = "announce-nlri"
WITHDRAW_NLRI = "withdraw-nlri"
ANNOUNCE_WATCHDOG = "announce-watchdog"
WITHDRAW_WATCHDOG = "withdraw-watchdog"
ANNOUNCE_OPERATIONAL = "announce-operational"
TEARDOWN = "teardown"
SHOW_NEIGHBOR = "show-neighbor"
SHOW_ADJ_RIB = "show-adj-rib"
FLUSH_ADJ_RIB_OUT = "flush-adj-rib-out"
CLEAR_ADJ_RIB = "clear-adj-rib"
SHUTDOWN = "shutdown"
RELOAD = "reload"
RESTART = "restart"
VERSION = "version"
HELP = "help"
RESET = "reset"
CRASH = "crash"
ENABLE_ACK = "enable-ack"
DISABLE_ACK = "disable-ack"
SILENCE_ACK = "silence-ack"
COMMENT = "comment"
CREATE_NEIGHBOR = "create-neighbor"
DELETE_NEIGHBOR = "delete-neighbor"
ENABLE_NEIGHBOR = "enable-neighbor"
DISABLE_NEIGHBOR = "disable-neighbor"


@dataclass(frozen=True, slots=True)
class Command:
    """One parsed line.  ``routes`` holds Route values, or FlowRoute for the
    flow kinds, Vpls for the vpls kinds, NlriRoute for the nlri kinds and one
    Operational for announce-operational."""

    kind: str
    selectors: tuple[Selector, ...] = ()
    routes: tuple[Route | FlowRoute | Vpls | NlriRoute | Operational, ...] = ()
    family: Family | None = None
    text: str = ""
    arg: int | None = None
    # show-*: any of summary, extensive, configuration, json.  One new field
    # only: each field costs the hot path its share of the frozen __init__.
    options: tuple[str, ...] = ()


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
    return Command(ANNOUNCE_ROUTE, selectors, routes_from_words(words, index))


def _withdraw_route(words: list[str], index: int, selectors: tuple) -> Command:
    return Command(WITHDRAW_ROUTE, selectors, routes_from_words(words, index, withdraw=True))


def _bulk(words: list[str], index: int, withdraw: bool) -> tuple[Route, ...]:
    next_hop, attributes, extra, index = parse_attributes(words, index, stop="nlri")
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
    if extra is None:
        for position in range(index + 1, len(words)):
            family, prefix = parse_prefix(words[position], position)
            routes.append(Route(family, prefix, next_hop, attributes))
        return tuple(routes)
    labels = extra.get("labels", ())
    rd = extra.get("rd")
    fields = (labels, rd, extra.get("path_id"), extra.get("watchdog"), extra.get("name"),
              extra.get("withdrawn", False))
    split = extra.get("split")
    for position in range(index + 1, len(words)):
        family, prefix = parse_prefix(words[position], position)
        if rd is not None or labels:
            family = Family(family.afi, 128 if rd is not None else 4)
        parts = [prefix]
        if split is not None:
            length, at = split
            current = int(prefix.partition("/")[2])
            if not current <= length <= (128 if ":" in prefix else 32) or length - current > 16:
                raise WordError(f"split /{length} does not fit {prefix}", at)
            parts = split_prefix(family, prefix, length)
        for part in parts:
            routes.append(Route(family, part, next_hop, attributes, *fields))
    return tuple(routes)


def _announce_attributes(words: list[str], index: int, selectors: tuple) -> Command:
    return Command(ANNOUNCE_ROUTE, selectors, _bulk(words, index, withdraw=False))


def _withdraw_attributes(words: list[str], index: int, selectors: tuple) -> Command:
    return Command(WITHDRAW_ROUTE, selectors, _bulk(words, index, withdraw=True))


# 5.0: "announce ipv4 SAFI ..."; SAFIs whose NLRI is a prefix, and flow.
_PREFIX_SAFIS = frozenset({1, 2, 4, 128})
_FLOW_SAFIS = frozenset({133, 134})


def _family_command(words: list[str], index: int, selectors: tuple, withdraw: bool) -> Command:
    # The AFI word was the sub-verb.
    family = _family(words, index - 1)
    if family.safi in _PREFIX_SAFIS:
        routes = routes_from_words(words, index + 1, withdraw=withdraw, family=family)
        return Command(WITHDRAW_ROUTE if withdraw else ANNOUNCE_ROUTE, selectors, routes)
    if family.safi in _FLOW_SAFIS:
        flow = flow_from_words(words, index + 1)
        return Command(WITHDRAW_FLOW if withdraw else ANNOUNCE_FLOW, selectors, (flow,))
    grammar = FAMILY_GRAMMARS.get(family)
    if grammar is not None:
        route = GRAMMARS[grammar](words, index + 1, withdraw, family=family)
        return Command(WITHDRAW_NLRI if withdraw else ANNOUNCE_NLRI, selectors, (route,))
    if family.safi == 65:
        return _vpls(withdraw)(words, index + 1, selectors)
    raise WordError(f"family '{family}' is not supported by 'announce', expected unicast, "
                    "multicast, nlri-mpls, mpls-vpn, flow, flow-vpn, vpls, evpn, rtc, mup "
                    "or mcast-vpn", index)


def _announce_family(words: list[str], index: int, selectors: tuple) -> Command:
    return _family_command(words, index, selectors, False)


def _withdraw_family(words: list[str], index: int, selectors: tuple) -> Command:
    return _family_command(words, index, selectors, True)


def _flow(withdraw: bool) -> _Handler:
    def handle(words: list[str], index: int, selectors: tuple) -> Command:
        # "flow route { ... }" or 5.0's "flow route destination ... discard".
        if index < len(words) and words[index] == "route":
            index += 1
        flow = flow_from_words(words, index)
        return Command(WITHDRAW_FLOW if withdraw else ANNOUNCE_FLOW, selectors, (flow,))

    return handle


def _vpls(withdraw: bool) -> _Handler:
    def handle(words: list[str], index: int, selectors: tuple) -> Command:
        vpls = vpls_from_words(words, index, withdraw)
        return Command(WITHDRAW_VPLS if withdraw else ANNOUNCE_VPLS, selectors, (vpls,))

    return handle


def _nlri(grammar: str, withdraw: bool) -> _Handler:
    def handle(words: list[str], index: int, selectors: tuple) -> Command:
        route = GRAMMARS[grammar](words, index, withdraw)
        return Command(WITHDRAW_NLRI if withdraw else ANNOUNCE_NLRI, selectors, (route,))

    return handle


def _watchdog(kind: str) -> _Handler:
    def handle(words: list[str], index: int, selectors: tuple) -> Command:
        if index >= len(words):
            raise WordError("missing watchdog name at end of line", index)
        _no_more(words, index + 1)
        return Command(kind, selectors, text=words[index])

    return handle


def _announce_operational(words: list[str], index: int, selectors: tuple) -> Command:
    return Command(ANNOUNCE_OPERATIONAL, selectors, (operational_from_words(words, index),))


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
    "flow": _flow(False),
    "vpls": _vpls(False),
    "evpn": _nlri("evpn", False),
    "rtc": _nlri("rtc", False),
    "l2vpn": _announce_family,
    "watchdog": _watchdog(ANNOUNCE_WATCHDOG),
    "eor": _announce_eor,
    "route-refresh": _announce_route_refresh,
    "operational": _announce_operational,
}

_WITHDRAW: dict[str, _Handler] = {
    "route": _withdraw_route,
    "attributes": _withdraw_attributes,
    "ipv4": _withdraw_family,
    "ipv6": _withdraw_family,
    "flow": _flow(True),
    "vpls": _vpls(True),
    "evpn": _nlri("evpn", True),
    "rtc": _nlri("rtc", True),
    "l2vpn": _withdraw_family,
    "watchdog": _watchdog(WITHDRAW_WATCHDOG),
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


def _rib_direction(words: list[str], index: int, verb: str) -> str:
    if index >= len(words) or words[index] != "adj-rib":
        raise WordError(f"expected 'adj-rib' after {verb!r}", index)
    if index + 1 >= len(words) or words[index + 1] not in ("in", "out"):
        raise WordError(f"expected 'in' or 'out' after '{verb} adj-rib'", index + 1)
    return words[index + 1]


def _peer_filter(words: list[str], index: int, selectors: tuple) -> tuple:
    # 4.2 also takes the neighbor after "show ...": "show neighbor 10.0.0.1 extensive".
    if index < len(words) and (":" in words[index] or words[index][:1].isdigit()):
        address = parse_ip(words[index], index, "neighbor address")
        return (*selectors, Selector(address))
    return selectors


def _options(words: list[str], index: int, allowed: tuple[str, ...]) -> tuple[str, ...]:
    options = []
    for position in range(index, len(words)):
        word = words[position]
        if word not in allowed:
            raise WordError(f"unexpected {word!r}, expected one of: {', '.join(allowed)} "
                            "or end of line", position)
        if word not in options:
            options.append(word)
    return tuple(options)


_NEIGHBOR_OPTIONS = ("summary", "extensive", "configuration", "json")
_RIB_OPTIONS = ("extensive", "json")


def _show(words: list[str], index: int, selectors: tuple) -> Command:
    what = words[index] if index < len(words) else ""
    if what == "neighbor" or what == "neighbors":
        index += 1
        with_peer = _peer_filter(words, index, selectors)
        index += len(with_peer) - len(selectors)
        options = _options(words, index, _NEIGHBOR_OPTIONS)
        if len([o for o in options if o != "json"]) > 1:
            raise WordError("expected one of summary, extensive or configuration", index)
        return Command(SHOW_NEIGHBOR, with_peer, options=options)
    if what == "adj-rib":
        direction = _rib_direction(words, index, "show")
        index += 2
        with_peer = _peer_filter(words, index, selectors)
        index += len(with_peer) - len(selectors)
        return Command(SHOW_ADJ_RIB, with_peer, text=direction,
                       options=_options(words, index, _RIB_OPTIONS))
    raise WordError("expected 'neighbor' or 'adj-rib' after 'show'", index)


def _flush(words: list[str], index: int, selectors: tuple) -> Command:
    if _rib_direction(words, index, "flush") != "out":
        raise WordError("expected 'out': only the adj-rib out can be flushed", index + 1)
    _no_more(words, index + 2)
    return Command(FLUSH_ADJ_RIB_OUT, selectors)


def _clear(words: list[str], index: int, selectors: tuple) -> Command:
    direction = _rib_direction(words, index, "clear")
    _no_more(words, index + 2)
    return Command(CLEAR_ADJ_RIB, selectors, text=direction)


def _switch(kind: str) -> _Handler:
    """``neighbor ADDRESS enable|disable``: one plain address selector."""
    def handle(words: list[str], index: int, selectors: tuple) -> Command:
        if len(selectors) != 1 or selectors[0].peer is None or \
                selectors[0] != Selector(peer=selectors[0].peer):
            raise WordError(f"{words[index - 1]!r} needs exactly one 'neighbor ADDRESS' "
                            f"before it", 0)
        _no_more(words, index)
        return Command(kind, text=selectors[0].peer)

    return handle


def _delete(words: list[str], index: int, selectors: tuple) -> Command:
    if selectors:
        raise WordError("'delete' takes no neighbor selector", 0)
    if index >= len(words) or words[index] != "neighbor":
        raise WordError("expected 'neighbor' after 'delete'", index)
    if index + 1 >= len(words):
        raise WordError("missing the neighbor's address after 'delete neighbor'", index + 1)
    _no_more(words, index + 2)
    return Command(DELETE_NEIGHBOR, text=words[index + 1])


def _create(line: str) -> Command:
    """``create neighbor ADDRESS { ... }``: the block is checked by the
    supervisor's configuration parser, so only its head is looked at here."""
    text = line.strip()[len("create"):].strip()
    words = split_words(text)
    if not words or words[0] != "neighbor":
        raise CommandError("expected 'neighbor' after 'create'", column_of(line, 1))
    if len(words) < 3 or words[2] != "{" or words[-1] != "}":
        raise CommandError("expected 'neighbor ADDRESS { ... }' after 'create'",
                           column_of(line, 1))
    return Command(CREATE_NEIGHBOR, text=text)


_VERBS: dict[str, _Handler] = {
    "announce": _sub_verb(_ANNOUNCE, "announce"),
    "withdraw": _sub_verb(_WITHDRAW, "withdraw"),
    "teardown": _teardown,
    "show": _show,
    "flush": _flush,
    "clear": _clear,
    "shutdown": _bare(SHUTDOWN),
    "reload": _bare(RELOAD),
    "restart": _bare(RESTART),
    "version": _bare(VERSION),
    "help": _bare(HELP),
    "reset": _bare(RESET),
    "crash": _bare(CRASH),
    "enable-ack": _bare(ENABLE_ACK),
    "disable-ack": _bare(DISABLE_ACK),
    "silence-ack": _bare(SILENCE_ACK),
    "delete": _delete,
    "enable": _switch(ENABLE_NEIGHBOR),
    "disable": _switch(DISABLE_NEIGHBOR),
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
            expected += (", or a selector qualifier (local-ip, local-as, peer-as, router-id, "
                         "family-allowed)")
        raise WordError(f"unknown command {words[index]!r}, expected one of: {expected}",
                        index)
    return handler(words, index + 1, selectors)


# -- the fast path -------------------------------------------------------------
#
# Nearly every line a producer sends is "[neighbor ...] announce|withdraw route
# PREFIX ATTRIBUTES", and producers repeat the same selectors and attributes
# line after line.  So the selector text before the verb and the attribute
# text after the prefix are parsed once and cached, keyed by the raw text:
# the same text always gives the same words, so the same values.  Anything
# else (other shapes, route-level words such as rd or split, any error)
# returns None and the general parser does the work and words the errors.

_CACHE_LIMIT = 4096
_selector_cache: dict[str, tuple[Selector, ...]] = {}
_attribute_cache: dict[str, tuple[str | None, Attributes]] = {}
_WITHDRAW_VERB = {"announce": False, "withdraw": True}


def _cached_selectors(head: str) -> tuple[Selector, ...] | None:
    selectors = _selector_cache.get(head)
    if selectors is None:
        # With a '{' later in the line the general split pads '}' and ';' too.
        if "{" in head or "}" in head or ";" in head:
            return None
        words = split_words(head)
        try:
            selectors, index = parse_selectors(words)
        except WordError:
            return None
        if index != len(words) or not selectors:
            return None
        if len(_selector_cache) >= _CACHE_LIMIT:
            _selector_cache.clear()
        _selector_cache[head] = selectors
    return selectors


def _cached_attributes(text: str) -> tuple[str | None, Attributes] | None:
    found = _attribute_cache.get(text)
    if found is None:
        try:
            next_hop, attributes, extra, _ = parse_attributes(split_words(text), 0)
        except WordError:
            return None
        if extra is not None:
            return None
        found = (next_hop, attributes)
        if len(_attribute_cache) >= _CACHE_LIMIT:
            _attribute_cache.clear()
        _attribute_cache[text] = found
    return found


def route_line(line: str) -> tuple | None:
    """The fast path without values: ``(withdraw, selectors, family, prefix,
    next_hop, attributes)`` for a line of the common shape, else None (then
    ``parse_command`` gives the Command or the error).  A bridge builds its
    batch frames straight from these, with no Command or Route per line.
    ``next_hop`` is None in a withdrawal; an announcement always has one."""
    selectors: tuple[Selector, ...] = ()
    if line.startswith("neighbor "):
        at = line.find(" announce route ")
        if at < 0:
            at = line.find(" withdraw route ")
            if at < 0:
                return None
        found = _cached_selectors(line[:at])
        if found is None:
            return None
        selectors, line = found, line[at + 1:]
    parts = line.split(None, 3)
    if len(parts) < 3 or parts[1] != "route":
        return None
    withdraw = _WITHDRAW_VERB.get(parts[0])
    if withdraw is None:
        return None
    # A prefix that parses holds none of the characters the general split pads,
    # so the words after it are exactly the split of the rest of the line.
    try:
        family, prefix = parse_prefix(parts[2], 2)
    except WordError:
        return None
    found = _cached_attributes(parts[3] if len(parts) == 4 else "")
    if found is None:
        return None
    if withdraw:
        return (True, selectors, family, prefix, None, NO_ATTRIBUTES)
    next_hop, attributes = found
    if next_hop is None:
        return None
    return (False, selectors, family, prefix, next_hop, attributes)


def _fast_route(line: str) -> Command | None:
    found = route_line(line)
    if found is None:
        return None
    withdraw, selectors, family, prefix, next_hop, attributes = found
    if withdraw:
        return Command(WITHDRAW_ROUTE, selectors, (Route(family, prefix),))
    return Command(ANNOUNCE_ROUTE, selectors, (Route(family, prefix, next_hop, attributes),))


def parse_command(line: str) -> Command:
    """Parse one API line; raises CommandError naming the column at fault."""
    command = _fast_route(line)
    if command is not None:
        return command
    stripped = line.strip()
    if stripped.startswith("#"):
        return Command(COMMENT, text=stripped[1:].strip())
    if stripped.startswith("create ") or stripped == "create":
        return _create(line)
    words = split_words(line)
    if not words:
        raise CommandError("empty command, expected one of: " + ", ".join(_VERBS), 1)
    try:
        return _parse_words(words)
    except WordError as error:
        raise CommandError(error.message, column_of(line, error.index)) from None
