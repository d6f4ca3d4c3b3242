"""ExaBGP 4.2 configuration statements -> ``Config``.

Theory of operation: ``tokenizer.build_tree`` has already checked braces and
semicolons; this file walks the statement tree.  Each section has a table of
keyword -> handler (``_TOP``, ``_NEIGHBOR``, ``_API``, ``_PROCESS``, ...); a
handler reads one statement into a mutable draft.  An unknown keyword is an
error that lists the table's keys, never silently skipped.  A new statement is
one handler and one table entry.

Neighbors are resolved once every file is read, so a template, a group or a
process may be used before it is defined.  Precedence, strongest first:

1. the neighbor's own statements;
2. its ``inherit`` templates, in the order named (a template may inherit too);
3. the enclosing ``group``'s statements, then the group's own templates.

Scalars take the strongest value; ``api`` blocks and ``static`` routes add up
(own first); ``family`` is taken whole from the strongest block that has one.

Rules: every error is a ``ConfigError`` pointing at the token at fault (a
missing value points at the ``;`` where it was due).  No I/O here except that
``parse_config(..., base_dir=...)`` checks whether a relative ``run`` program
exists next to the configuration.

bgpmesh extensions, not ExaBGP statements (ExaBGP would refuse them):
``max-prefixes``, ``delay-open``, ``idle-hold`` and ``role`` (see their
handlers).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bgpmesh.api.nlri_words import FAMILY_GRAMMARS, GRAMMARS
from bgpmesh.api.routes import (
    WordError,
    flow_from_words,
    list_words,
    operational_from_words,
    parse_asn,
    parse_int,
    parse_ip,
    parse_ipv4,
    parse_prefix,
    routes_from_words,
    vpls_from_words,
)
from bgpmesh.config.model import (
    API_EVENTS,
    API_MESSAGES,
    Api,
    Capability,
    Config,
    Neighbor,
    Process,
)
from bgpmesh.config.tokenizer import Statement, Token, parse_tree
from bgpmesh.errors import ConfigError
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpmesh.route import Route

_TRUE = frozenset({"true", "enable", "enabled"})
_FALSE = frozenset({"false", "disable", "disabled"})

# Families ExaBGP 4.2/5.0 accept in a ``family`` block (configuration/neighbor/
# family.py), with their IANA codes: family.py does not name them all.
_IP_SAFIS = {"unicast": 1, "multicast": 2, "nlri-mpls": 4, "mcast-vpn": 5, "sr-policy": 73,
             "mup": 85, "mpls-vpn": 128, "rtc": 132, "flow": 133, "flow-vpn": 134}
_FAMILY_CODES = {
    "ipv4": (1, _IP_SAFIS),
    "ipv6": (2, _IP_SAFIS),
    "l2vpn": (25, {"vpls": 65, "evpn": 70}),
    "bgp-ls": (16388, {"bgp-ls": 71, "bgp-ls-vpn": 72}),
}
_FAMILIES = {afi: tuple(safis) for afi, (_, safis) in _FAMILY_CODES.items()}
# "family { all; }": every family ExaBGP 4.2 knows how to announce.
_ALL_FAMILIES = tuple(Family(1, code) for code in (1, 2, 4, 128, 133, 134)) + tuple(
    Family(2, code) for code in (1, 2, 4, 128, 133, 134)) + (Family(25, 65), Family(25, 70))


def _family_code(afi: Token, safi: Token) -> Family:
    entry = _FAMILY_CODES.get(afi.text) if not afi.quoted else None
    if entry is None:
        raise afi.error(f"unknown family {afi.text!r}, expected one of: "
                        f"{', '.join(_FAMILY_CODES)}")
    code, safis = entry
    if safi.text not in safis:
        raise safi.error(f"unknown SAFI {safi.text!r} for {afi.text}, expected one of: "
                         f"{', '.join(safis)}")
    return Family(code, safis[safi.text])


# -- drafts: what statements say before templates and groups are applied -----


@dataclass
class _ApiDraft:
    api: Api
    process_tokens: list[Token]


@dataclass
class _Draft:
    """A neighbor, template or group body as written."""

    token: Token  # the keyword that opened it, for errors and ``source``
    address: Token | None = None  # a neighbor's address word
    settings: dict[str, Any] = field(default_factory=dict)
    families: tuple[Family, ...] | None = None
    apis: list[_ApiDraft] = field(default_factory=list)
    static: list[tuple[Route, Token]] = field(default_factory=list)
    inherits: list[Token] = field(default_factory=list)
    setting_tokens: dict[str, Token] = field(default_factory=dict)
    lists: dict[str, list] = field(default_factory=dict)  # flows, vpls, operational, ...

    def add(self, name: str, value: Any) -> None:
        self.lists.setdefault(name, []).append(value)

    def set(self, name: str, value: Any, token: Token) -> None:
        self.settings[name] = value
        self.setting_tokens[name] = token

    def fill_from(self, weaker: _Draft) -> None:
        for name, value in weaker.settings.items():
            if name not in self.settings:
                self.settings[name] = value
                self.setting_tokens[name] = weaker.setting_tokens[name]
        if self.families is None:
            self.families = weaker.families
        self.apis.extend(weaker.apis)
        self.static.extend(weaker.static)
        for name, values in weaker.lists.items():
            self.lists.setdefault(name, []).extend(values)


@dataclass
class _GroupDraft:
    name: str
    body: _Draft
    neighbors: list[tuple[Token, _Draft]] = field(default_factory=list)


@dataclass
class _State:
    processes: dict[str, tuple[Process, Token]] = field(default_factory=dict)
    templates: dict[str, _Draft] = field(default_factory=dict)
    groups: dict[str, _GroupDraft] = field(default_factory=dict)
    # (group or None, neighbor draft) in order of appearance
    neighbors: list[tuple[_GroupDraft | None, _Draft]] = field(default_factory=list)
    base_dir: str | None = None


# -- statement shape helpers ---------------------------------------------------


def _words_text(statement: Statement, upto: int) -> str:
    return " ".join(token.text for token in statement.words[:upto])


def _simple(statement: Statement) -> None:
    if statement.is_block:
        raise statement.end.error(f"{statement.keyword.text!r} is not a block, expected ';'")


def _block(statement: Statement, what: str) -> tuple[Statement, ...]:
    if not statement.is_block:
        raise statement.end.error(f"expected '{{' to open the {what} block, found ';'")
    assert statement.children is not None
    return statement.children


def _one_value(statement: Statement, what: str) -> Token:
    """The single word after the keyword."""
    _simple(statement)
    words = statement.words
    if len(words) < 2:
        raise statement.end.error(f"missing {what} after {words[0].text!r}")
    if len(words) > 2:
        raise words[2].error(f"expected ';' after '{_words_text(statement, 2)}', "
                             f"found {words[2].text!r}")
    if words[1].punctuation:
        raise words[1].error(f"unexpected {words[1].text!r}, expected {what}")
    return words[1]


def _optional_bool(statement: Statement) -> bool:
    """``keyword;`` (true) or ``keyword true|false;``."""
    _simple(statement)
    if len(statement.words) == 1:
        return True
    token = _one_value(statement, "true or false")
    word = token.text.lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise token.error(f"invalid value {token.text!r} for {statement.keyword.text!r}, "
                      "expected true or false")


def _no_words(statement: Statement, what: str) -> None:
    if len(statement.words) > 1:
        raise statement.words[1].error(f"unexpected {statement.words[1].text!r}, expected "
                                       f"'{{' to open the {what} block")


def _check(token: Token, parse: Callable[..., Any], *args: Any) -> Any:
    """Run a word parser from ``api.routes`` on one token; WordError -> ConfigError."""
    try:
        return parse(token.text, 0, *args)
    except WordError as error:
        raise token.error(error.message) from None


def _dispatch(table: dict[str, Callable], section: str, statement: Statement,
              *args: Any) -> None:
    keyword = statement.keyword
    handler = table.get(keyword.text) if not keyword.quoted else None
    if handler is None:
        raise keyword.error(f"unknown {section} statement {keyword.text!r}, expected one of: "
                            f"{', '.join(table)}")
    handler(*args, statement)


# -- neighbor statements -------------------------------------------------------


def _description(draft: _Draft, statement: Statement) -> None:
    _simple(statement)
    if len(statement.words) < 2:
        raise statement.end.error("missing text after 'description'")
    # ExaBGP takes the rest of the statement; quoting it is the usual style.
    draft.set("description", " ".join(t.text for t in statement.words[1:]), statement.keyword)


def _router_id(draft: _Draft, statement: Statement) -> None:
    token = _one_value(statement, "router-id (an IPv4 address)")
    draft.set("router_id", _check(token, parse_ipv4, "router-id"), token)


def _local_address(draft: _Draft, statement: Statement) -> None:
    token = _one_value(statement, "local address")
    value = None if token.text == "auto" else _check(token, parse_ip, "local-address")
    draft.set("local_address", value, token)


def _asn_setting(name: str, keyword: str) -> Callable[[_Draft, Statement], None]:
    def handle(draft: _Draft, statement: Statement) -> None:
        token = _one_value(statement, "AS number")
        if token.text == "auto" and name == "peer_as":
            # ExaBGP 5.0: take whatever AS the peer's OPEN says.
            draft.set(name, None, token)
            return
        draft.set(name, _check(token, parse_asn, keyword), token)

    return handle


def _hold_time(draft: _Draft, statement: Statement) -> None:
    token = _one_value(statement, "hold time in seconds")
    value = _check(token, parse_int, "hold-time", 0, 65535)
    # RFC 4271 section 4.2: "Hold Time MUST be either zero or at least three seconds."
    if value in (1, 2):
        raise token.error(f"hold-time {value} is invalid, expected 0 or 3..65535")
    draft.set("hold_time", value, token)


def _passive(draft: _Draft, statement: Statement) -> None:
    draft.set("passive", _optional_bool(statement), statement.keyword)


def _port_setting(name: str) -> Callable[[_Draft, Statement], None]:
    def handle(draft: _Draft, statement: Statement) -> None:
        token = _one_value(statement, "TCP port")
        draft.set(name, _check(token, parse_int, name + " port", 1, 65535), token)

    return handle


def _inherit(draft: _Draft, statement: Statement) -> None:
    _simple(statement)
    tokens = statement.words[1:]
    if not tokens:
        raise statement.end.error("missing template name after 'inherit'")
    names = [t for t in tokens if not t.punctuation]
    if not names:
        raise tokens[0].error("expected a template name")
    draft.inherits.extend(names)


def _family(draft: _Draft, statement: Statement) -> None:
    _no_words(statement, "family")
    families: list[Family] = []
    mode = None
    for child in _block(statement, "family"):
        afi = child.keyword
        if afi.text in ("all", "minimal") and not afi.quoted:
            _simple(child)
            if len(child.words) > 1:
                raise child.words[1].error(f"unexpected {child.words[1].text!r}, expected ';'")
            mode = afi
            continue
        if afi.text in _FAMILY_CODES and not afi.quoted:
            _simple(child)
            if len(child.words) < 2:
                raise child.end.error(f"missing SAFI for {afi.text} "
                                      f"({', '.join(_FAMILIES[afi.text])})")
            if len(child.words) > 2:
                raise child.words[2].error(f"expected ';' after '{_words_text(child, 2)}', "
                                           f"found {child.words[2].text!r}")
        family = _family_code(afi, child.words[1] if len(child.words) > 1 else child.end)
        if family not in families:
            families.append(family)
    if mode is not None:
        if families:
            raise mode.error(f"'{mode.text}' cannot be used with a list of families")
        draft.set("family_mode", mode.text, mode)
        draft.families = _ALL_FAMILIES if mode.text == "all" else None
        return
    # An empty block means the default, as ExaBGP falls back when none is listed.
    draft.families = tuple(families) or None


def _word_list(statement: Statement, tokens: list[Token], words: list[str],
               skip_keyword: bool = False) -> None:
    """Flatten a statement and its children into words, keeping their tokens."""
    for token in statement.words[1 if skip_keyword else 0:]:
        tokens.append(token)
        words.append(token.text)
    if statement.children is not None:
        tokens.append(statement.end)
        words.append("{")
        for child in statement.children:
            _word_list(child, tokens, words)
        tokens.append(statement.end)
        words.append("}")
    else:
        tokens.append(statement.end)
        words.append(";")


def _run_words(tokens: list[Token], end: Token, parse: Callable[[list[str]], Any],
               words: list[str] | None = None) -> Any:
    """Run a word parser of ``api.routes``; WordError -> ConfigError at its token."""
    if words is None:
        words = [t.text for t in tokens]
    try:
        return parse(words)
    except WordError as error:
        at = tokens[error.index] if error.index < len(tokens) else end
        raise at.error(error.message) from None


def _route_statement(child: Statement, family: Family | None = None) -> tuple[list, Token]:
    """``route PREFIX attrs;`` or ``route PREFIX { attr value; ... }`` -> routes."""
    tokens = list(child.words[1:])
    if child.is_block:
        assert child.children is not None
        for statement in child.children:
            # Each "keyword value;" inside the block reads as the same words inline.
            _simple(statement)
            tokens.extend(statement.words)
    words = [t.text for t in tokens]
    routes = _run_words(tokens, child.end,
                        lambda w: routes_from_words(w, 0, family=family), words)
    return routes, (child.words[1] if len(child.words) > 1 else child.keyword)


def _static(draft: _Draft, statement: Statement) -> None:
    _no_words(statement, "static")
    for child in _block(statement, "static"):
        keyword = child.keyword
        if keyword.text != "route" or keyword.quoted:
            raise keyword.error(f"unknown static statement {keyword.text!r}, expected one of: "
                                "route")
        routes, token = _route_statement(child)
        draft.static.extend((route, token) for route in routes)


_ANNOUNCE_SAFIS = ("unicast", "multicast", "nlri-mpls", "mpls-vpn")
# bgpmesh extensions: the SAFIs whose routes an ``nlri_words`` grammar reads
_ANNOUNCE_NLRI: dict[str, tuple[str, ...]] = {"ipv4": (), "ipv6": ()}
for _nlri_family in FAMILY_GRAMMARS:
    _ANNOUNCE_NLRI[_nlri_family.afi_name] = (*_ANNOUNCE_NLRI.get(_nlri_family.afi_name, ()),
                                             _nlri_family.safi_name)


def _announce(draft: _Draft, statement: Statement) -> None:
    # announce { ipv4 { unicast 10.0.0.0/24 next-hop 1.2.3.4; } ipv6 { ... } }
    # and (bgpmesh) announce { l2vpn { evpn macadv ...; } ipv4 { rtc ...; } }
    _no_words(statement, "announce")
    for block in _block(statement, "announce"):
        afi = block.keyword
        if afi.text not in _ANNOUNCE_NLRI or afi.quoted:
            raise afi.error(f"unknown announce statement {afi.text!r}, expected one of: "
                            f"{', '.join(_ANNOUNCE_NLRI)}")
        _no_words(block, afi.text)
        ip = afi.text in ("ipv4", "ipv6")
        safis = (*(_ANNOUNCE_SAFIS if ip else ()), *_ANNOUNCE_NLRI[afi.text])
        for child in _block(block, afi.text):
            safi = child.keyword
            if safi.text not in safis or safi.quoted:
                raise safi.error(f"unknown {afi.text} statement {safi.text!r}, expected one "
                                 f"of: {', '.join(safis)}")
            if safi.text in _ANNOUNCE_NLRI[afi.text]:
                _nlri_statement(draft, child, _family_code(afi, safi))
                continue
            routes, token = _route_statement(child, _family_code(afi, safi))
            draft.static.extend((route, token) for route in routes)


def _nlri_statement(draft: _Draft, child: Statement, family: Family,
                    name: str | None = None) -> None:
    """``evpn WORDS;`` or ``rtc { WORD VALUE; ... }``: one NlriRoute (bgpmesh)."""
    grammar = FAMILY_GRAMMARS[family]
    tokens = list(child.words[1:])
    if child.is_block:
        assert child.children is not None
        for inner in child.children:
            _simple(inner)
            tokens.extend(inner.words)
    route = _run_words(tokens, child.end,
                       lambda w: GRAMMARS[grammar](w, 0, False, name=name, family=family))
    draft.add("nlri_routes", (route, child.keyword))


def _flow(draft: _Draft, statement: Statement) -> None:
    # flow { route NAME { rd ..; next-hop ..; match { .. } then { .. } } }
    _no_words(statement, "flow")
    for child in _block(statement, "flow"):
        keyword = child.keyword
        if keyword.text != "route" or keyword.quoted:
            raise keyword.error(f"unknown flow statement {keyword.text!r}, expected one of: "
                                "route")
        name = None
        if child.is_block and len(child.words) == 2:
            name = child.words[1].text
        elif child.is_block and len(child.words) > 2:
            raise child.words[2].error(f"unexpected {child.words[2].text!r}, expected '{{' "
                                       "after the flow route name")
        tokens: list[Token] = []
        words: list[str] = []
        if child.is_block:
            assert child.children is not None
            for inner in child.children:
                _word_list(inner, tokens, words)
        else:
            _word_list(child, tokens, words, skip_keyword=True)
        flow = _run_words(tokens, child.end, lambda w, n=name: flow_from_words(w, 0, n), words)
        draft.add("flows", flow)


def _l2vpn(draft: _Draft, statement: Statement) -> None:
    # l2vpn { vpls NAME { endpoint 5; base 10702; offset 1; size 8; rd ..; next-hop ..; } }
    # and (bgpmesh) l2vpn { evpn macadv ...; evpn NAME { macadv ...; rd ...; } }
    _no_words(statement, "l2vpn")
    for child in _block(statement, "l2vpn"):
        keyword = child.keyword
        if keyword.text not in ("vpls", "evpn") or keyword.quoted:
            raise keyword.error(f"unknown l2vpn statement {keyword.text!r}, expected one of: "
                                "vpls, evpn")
        name = child.words[1].text if len(child.words) > 1 and child.is_block else None
        if keyword.text == "evpn":
            if name is not None:
                child = Statement(child.words[:1] + child.words[2:], child.children, child.end)
            _nlri_statement(draft, child, Family(25, 70), name)
            continue
        tokens: list[Token] = []
        if child.is_block:
            assert child.children is not None
            for inner in child.children:
                _simple(inner)
                tokens.extend(inner.words)
        else:
            tokens.extend(child.words[1:])
        vpls = _run_words(tokens, child.end, lambda w, n=name: vpls_from_words(w, 0, name=n))
        draft.add("vpls", vpls)


def _operational(draft: _Draft, statement: Statement) -> None:
    # operational { adm afi ipv4 safi unicast advisory "text"; }
    _no_words(statement, "operational")
    for child in _block(statement, "operational"):
        _simple(child)
        tokens = list(child.words)
        draft.add("operational", _run_words(tokens, child.end,
                                            lambda w: operational_from_words(w, 0)))


# capability { asn4; route-refresh; graceful-restart 120; add-path send/receive; ... }

_CAPABILITY_FLAGS = {
    "asn4": "asn4", "route-refresh": "route_refresh", "multi-session": "multi_session",
    "operational": "operational", "aigp": "aigp", "extended-message": "extended_message",
    "nexthop": "nexthop", "software-version": "software_version",
}
_ADD_PATH = ("send", "receive", "send/receive", "disable")


def _capability_flag(draft: _Draft, statement: Statement) -> None:
    name = _CAPABILITY_FLAGS[statement.keyword.text]
    draft.set("capability." + name, _optional_bool(statement), statement.keyword)


def _graceful_restart(draft: _Draft, statement: Statement) -> None:
    _simple(statement)
    if len(statement.words) == 1:
        # No time given: ExaBGP offers the hold time (resolved in _finish).
        draft.set("capability.graceful_restart", True, statement.keyword)
        return
    token = _one_value(statement, "restart time in seconds")
    if token.text.lower() in _FALSE:
        value: Any = None
    elif token.text.lower() in _TRUE:
        value = True
    else:
        # RFC 4724 section 3: the Restart Time is a 12-bit field.
        value = _check(token, parse_int, "graceful-restart time", 0, 4095)
    draft.set("capability.graceful_restart", value, token)


def _long_lived_graceful_restart(draft: _Draft, statement: Statement) -> None:
    # bgpmesh extension, not ExaBGP: "long-lived-graceful-restart [AFI SAFI]
    # SECONDS;" offers the Long-Lived Graceful Restart capability (RFC 9494)
    # with that long-lived stale time, for one family or (without AFI SAFI)
    # every family of the neighbor; repeated for several families.
    _simple(statement)
    words = statement.words[1:]
    if len(words) not in (1, 3):
        at = words[3] if len(words) > 3 else statement.end
        raise at.error("expected 'long-lived-graceful-restart [AFI SAFI] SECONDS;'")
    family = _family_code(words[0], words[1]) if len(words) == 3 else None
    # RFC 9494 section 3: the Long-lived Stale Time is 24 bits
    seconds = _check(words[-1], parse_int, "long-lived stale time", 0, 0xFFFFFF)
    name = "capability.long_lived_graceful_restart"
    entries = tuple(e for e in draft.settings.get(name, ()) if e[0] != family)
    draft.set(name, (*entries, (family, seconds)), statement.keyword)


def _capability_add_path(draft: _Draft, statement: Statement) -> None:
    token = _one_value(statement, "send, receive or send/receive")
    if token.text not in _ADD_PATH:
        raise token.error(f"invalid add-path {token.text!r}, expected one of: "
                          f"{', '.join(_ADD_PATH)}")
    draft.set("capability.add_path", None if token.text == "disable" else token.text, token)


_CAPABILITY: dict[str, Callable[[_Draft, Statement], None]] = {
    **{keyword: _capability_flag for keyword in _CAPABILITY_FLAGS},
    "graceful-restart": _graceful_restart,
    "long-lived-graceful-restart": _long_lived_graceful_restart,
    "add-path": _capability_add_path,
}


def _capability(draft: _Draft, statement: Statement) -> None:
    _no_words(statement, "capability")
    for child in _block(statement, "capability"):
        _dispatch(_CAPABILITY, "capability", child, draft)


def _add_path(draft: _Draft, statement: Statement) -> None:
    # add-path { ipv4 unicast; ipv6 unicast; }: families for ADD-PATH
    _no_words(statement, "add-path")
    families = []
    for child in _block(statement, "add-path"):
        _simple(child)
        if len(child.words) != 2:
            at = child.words[2] if len(child.words) > 2 else child.end
            raise at.error("expected 'AFI SAFI;' such as 'ipv4 unicast;'")
        families.append(_family_code(child.words[0], child.words[1]))
    draft.set("add_path_families", tuple(families), statement.keyword)


def _nexthop(draft: _Draft, statement: Statement) -> None:
    # nexthop { ipv4 unicast ipv6; }: RFC 8950, NLRI family then next-hop AFI
    _no_words(statement, "nexthop")
    pairs = []
    for child in _block(statement, "nexthop"):
        _simple(child)
        if len(child.words) != 3:
            at = child.words[3] if len(child.words) > 3 else child.end
            raise at.error("expected 'AFI SAFI NEXTHOP-AFI;' such as 'ipv4 unicast ipv6;'")
        family = _family_code(child.words[0], child.words[1])
        afi = child.words[2]
        if afi.text not in ("ipv4", "ipv6"):
            raise afi.error(f"invalid next-hop AFI {afi.text!r}, expected ipv4 or ipv6")
        pairs.append((family, 1 if afi.text == "ipv4" else 2))
    draft.set("nexthops", tuple(pairs), statement.keyword)


def _text_setting(name: str, what: str) -> Callable[[_Draft, Statement], None]:
    def handle(draft: _Draft, statement: Statement) -> None:
        _simple(statement)
        if len(statement.words) < 2:
            raise statement.end.error(f"missing {what} after {statement.keyword.text!r}")
        draft.set(name, " ".join(t.text for t in statement.words[1:]), statement.keyword)

    return handle


def _bool_setting(name: str) -> Callable[[_Draft, Statement], None]:
    def handle(draft: _Draft, statement: Statement) -> None:
        draft.set(name, _optional_bool(statement), statement.keyword)

    return handle


def _ttl_setting(name: str) -> Callable[[_Draft, Statement], None]:
    def handle(draft: _Draft, statement: Statement) -> None:
        token = _one_value(statement, "TTL (1..255)")
        draft.set(name, _check(token, parse_int, name.replace("_", "-"), 1, 255), token)

    return handle


def _md5_ip(draft: _Draft, statement: Statement) -> None:
    token = _one_value(statement, "IP address")
    draft.set("md5_ip", _check(token, parse_ip, "md5-ip"), token)


def _rate_limit(draft: _Draft, statement: Statement) -> None:
    token = _one_value(statement, "messages per second or 'disable'")
    value = 0 if token.text == "disable" else _check(token, parse_int, "rate-limit", 0,
                                                     0xFFFFFFFF)
    draft.set("rate_limit", value, token)


def _max_prefixes(draft: _Draft, statement: Statement) -> None:
    # bgpmesh extension, not ExaBGP: "max-prefixes N [teardown|warn];".  Past
    # N prefixes received, teardown (the default) closes the session with
    # Cease 6/1 (RFC 4486); warn only logs.
    _simple(statement)
    words = statement.words
    if len(words) < 2:
        raise statement.end.error("missing prefix count after 'max-prefixes'")
    if len(words) > 3:
        raise words[3].error(f"expected ';' after '{_words_text(statement, 3)}', "
                             f"found {words[3].text!r}")
    token = words[1]
    draft.set("max_prefixes", _check(token, parse_int, "max-prefixes", 0, 0xFFFFFFFF), token)
    if len(words) == 3:
        action = words[2]
        if action.quoted or action.text not in ("teardown", "warn"):
            raise action.error(f"invalid max-prefixes action {action.text!r}, expected one "
                               "of: teardown, warn")
        draft.set("max_prefixes_teardown", action.text == "teardown", action)
    else:
        draft.set("max_prefixes_teardown", True, token)


def _delay_open(draft: _Draft, statement: Statement) -> None:
    # bgpmesh extension, not ExaBGP: "delay-open SECONDS;" turns on RFC 4271
    # 8.1.1 DelayOpen: our OPEN waits that long for the peer's; 0 is off.
    token = _one_value(statement, "delay in seconds")
    draft.set("delay_open", _check(token, parse_int, "delay-open", 0, 65535), token)


def _idle_hold(draft: _Draft, statement: Statement) -> None:
    # bgpmesh extension, not ExaBGP: "idle-hold SECONDS [max SECONDS];" turns
    # on RFC 4271 8.1.1 DampPeerOscillations: after a drop the session waits
    # SECONDS before it starts again, doubling at each drop up to max (300 s
    # unless given); 0 is off.
    _simple(statement)
    words = statement.words
    if len(words) < 2:
        raise statement.end.error("missing seconds after 'idle-hold'")
    if len(words) not in (2, 4) or (len(words) == 4 and words[2].text != "max"):
        bad = words[2] if len(words) > 2 and words[2].text != "max" else words[-1]
        raise bad.error(f"expected 'idle-hold SECONDS [max SECONDS];', found {bad.text!r}")
    token = words[1]
    hold = _check(token, parse_int, "idle-hold", 0, 65535)
    draft.set("idle_hold", hold, token)
    if len(words) == 4:
        most = _check(words[3], parse_int, "idle-hold max", 1, 65535)
        if most < hold:
            raise words[3].error(f"idle-hold max {most} is below idle-hold {hold}")
        draft.set("idle_hold_max", most, words[3])
    else:
        draft.set("idle_hold_max", max(300, hold), token)


_ROLES = ("provider", "rs", "rs-client", "customer", "peer")


def _role(draft: _Draft, statement: Statement) -> None:
    # bgpmesh extension (neither ExaBGP 4.2, 5.0 nor main has one): "role
    # provider|rs|rs-client|customer|peer;" sends the RFC 9234 BGP Role
    # capability, refuses a peer whose role does not pair (2/11), and applies
    # the OTC ingress and egress rules of section 5.
    token = _one_value(statement, "BGP role")
    if token.quoted or token.text not in _ROLES:
        raise token.error(f"invalid role {token.text!r}, expected one of: {', '.join(_ROLES)}")
    draft.set("role", token.text, token)


# api { processes [ A B ]; neighbor-changes; receive { ... } send { ... } }


@dataclass
class _ApiValues:
    processes: list[Token] = field(default_factory=list)
    neighbor_changes: bool = False
    receive: set[str] = field(default_factory=set)
    send: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    processes_match: list[str] = field(default_factory=list)


def _api_processes_match(values: _ApiValues, statement: Statement) -> None:
    _simple(statement)
    tokens = list(statement.words[1:])
    words = [t.text if not t.quoted else "\0" + t.text for t in tokens]
    try:
        patterns, after = list_words(words, 0, "regular expression")
    except WordError as error:
        at = tokens[error.index] if error.index < len(tokens) else statement.end
        raise at.error(error.message) from None
    if after < len(tokens):
        raise tokens[after].error(f"expected ';' after the pattern list, found "
                                  f"{tokens[after].text!r}")
    start = 1 if words and words[0] == "[" else 0
    for token in tokens[start:start + len(patterns)]:
        try:
            re.compile(token.text)
        except re.error as error:
            raise token.error(f"invalid regular expression {token.text!r}: {error}") from None
        values.processes_match.append(token.text)


def _api_processes(values: _ApiValues, statement: Statement) -> None:
    _simple(statement)
    tokens = list(statement.words[1:])
    words = [t.text if not t.quoted else "\0" + t.text for t in tokens]
    try:
        names, after = list_words(words, 0, "process name")
    except WordError as error:
        at = tokens[error.index] if error.index < len(tokens) else statement.end
        raise at.error(error.message) from None
    if after < len(tokens):
        raise tokens[after].error(f"expected ';' after the process list, found "
                                  f"{tokens[after].text!r}")
    start = 1 if words and words[0] == "[" else 0
    values.processes.extend(tokens[start:start + len(names)])


def _api_neighbor_changes(values: _ApiValues, statement: Statement) -> None:
    values.neighbor_changes = _optional_bool(statement)


def _api_event(values: _ApiValues, statement: Statement) -> None:
    if _optional_bool(statement):
        values.events.add(statement.keyword.text)
    else:
        values.events.discard(statement.keyword.text)


def _api_direction(values: _ApiValues, statement: Statement) -> None:
    direction = statement.keyword.text
    _no_words(statement, direction)
    chosen = values.receive if direction == "receive" else values.send
    for child in _block(statement, direction):
        keyword = child.keyword
        if keyword.quoted or keyword.text not in API_MESSAGES:
            raise keyword.error(f"unknown {direction} statement {keyword.text!r}, expected "
                                f"one of: {', '.join(sorted(API_MESSAGES))}")
        if _optional_bool(child):
            chosen.add(keyword.text)
        else:
            chosen.discard(keyword.text)


_API: dict[str, Callable[[_ApiValues, Statement], None]] = {
    "processes": _api_processes,
    "processes-match": _api_processes_match,
    "neighbor-changes": _api_neighbor_changes,
    "receive": _api_direction,
    "send": _api_direction,
    **{event: _api_event for event in sorted(API_EVENTS)},
}


def _api(draft: _Draft, statement: Statement) -> None:
    words = statement.words
    if len(words) > 2:
        raise words[2].error(f"unexpected {words[2].text!r}, expected '{{' to open the api "
                             "block")
    name = words[1].text if len(words) == 2 else None
    values = _ApiValues()
    for child in _block(statement, "api"):
        _dispatch(_API, "api", child, values)
    api = Api(name, tuple(t.text for t in values.processes), values.neighbor_changes,
              frozenset(values.receive), frozenset(values.send), frozenset(values.events),
              tuple(values.processes_match))
    draft.apis.append(_ApiDraft(api, values.processes))


_NEIGHBOR: dict[str, Callable[[_Draft, Statement], None]] = {
    "inherit": _inherit,
    "description": _description,
    "router-id": _router_id,
    "local-address": _local_address,
    "local-as": _asn_setting("local_as", "local-as"),
    "peer-as": _asn_setting("peer_as", "peer-as"),
    "hold-time": _hold_time,
    "passive": _passive,
    "connect": _port_setting("connect"),
    "listen": _port_setting("listen"),
    "family": _family,
    "api": _api,
    "static": _static,
    "announce": _announce,
    "flow": _flow,
    "l2vpn": _l2vpn,
    "operational": _operational,
    "capability": _capability,
    "add-path": _add_path,
    "nexthop": _nexthop,
    "md5-password": _text_setting("md5_password", "password"),
    "md5-base64": _bool_setting("md5_base64"),
    "md5-ip": _md5_ip,
    "incoming-ttl": _ttl_setting("incoming_ttl"),
    "outgoing-ttl": _ttl_setting("outgoing_ttl"),
    "group-updates": _bool_setting("group_updates"),
    "auto-flush": _bool_setting("auto_flush"),
    "adj-rib-in": _bool_setting("adj_rib_in"),
    "adj-rib-out": _bool_setting("adj_rib_out"),
    "manual-eor": _bool_setting("manual_eor"),
    "rate-limit": _rate_limit,
    "max-prefixes": _max_prefixes,
    "delay-open": _delay_open,
    "idle-hold": _idle_hold,
    "role": _role,
    "host-name": _text_setting("host_name", "host name"),
    "domain-name": _text_setting("domain_name", "domain name"),
    "source-interface": _text_setting("source_interface", "interface name"),
}


def _neighbor_body(statement: Statement) -> _Draft:
    draft = _Draft(statement.keyword, _neighbor_address(statement))
    for child in _block(statement, "neighbor"):
        _dispatch(_NEIGHBOR, "neighbor", child, draft)
    return draft


def _neighbor_address(statement: Statement) -> Token:
    words = statement.words
    if len(words) < 2:
        raise statement.end.error("missing neighbor address after 'neighbor'")
    if len(words) > 2:
        raise words[2].error(f"unexpected {words[2].text!r}, expected '{{' after the "
                             "neighbor address")
    return words[1]


# -- top level -----------------------------------------------------------------


def _process_run(values: dict, statement: Statement) -> None:
    _simple(statement)
    tokens = statement.words[1:]
    if not tokens:
        raise statement.end.error("missing program after 'run'")
    argv = [t.text for t in tokens]
    if len(tokens) == 1 and tokens[0].quoted and any(c.isspace() for c in argv[0]):
        # ExaBGP 4.2 would look for a program named "python3 x.py"; splitting the
        # quoted command line is the only reading that can work.
        try:
            argv = shlex.split(argv[0])
        except ValueError as error:
            raise tokens[0].error(f"invalid command line: {error}") from None
        if not argv:
            raise tokens[0].error("empty command line after 'run'")
    values["run"] = (argv, tokens[0])


def _process_encoder(values: dict, statement: Statement) -> None:
    token = _one_value(statement, "encoder (json or text)")
    if token.text not in ("json", "text"):
        raise token.error(f"invalid encoder {token.text!r}, expected json or text")
    values["encoder"] = token.text


def _process_respawn(values: dict, statement: Statement) -> None:
    values["respawn"] = _optional_bool(statement)


_PROCESS: dict[str, Callable[[dict, Statement], None]] = {
    "run": _process_run,
    "encoder": _process_encoder,
    "respawn": _process_respawn,
}


def _process(state: _State, statement: Statement) -> None:
    words = statement.words
    if len(words) < 2:
        raise (statement.end.error("missing process name after 'process'"))
    if len(words) > 2:
        raise words[2].error(f"unexpected {words[2].text!r}, expected '{{' after the process "
                             "name")
    name = words[1]
    if name.text in state.processes:
        first = state.processes[name.text][1]
        raise name.error(f"duplicate process {name.text!r}, first defined at {first.where}")
    values: dict = {}
    for child in _block(statement, "process"):
        _dispatch(_PROCESS, "process", child, values)
    if "run" not in values:
        raise name.error(f"process {name.text!r} has no 'run' statement")
    argv, program = values.pop("run")
    if state.base_dir is not None and not os.path.isabs(argv[0]):
        # A program next to the configuration wins; otherwise the name is left
        # for the PATH ("python3") or the working directory.
        candidate = os.path.join(state.base_dir, argv[0])
        if os.path.isfile(candidate):
            argv[0] = os.path.abspath(candidate)
    state.processes[name.text] = (Process(name.text, tuple(argv), **values), name)


def _template(state: _State, statement: Statement) -> None:
    _no_words(statement, "template")
    for child in _block(statement, "template"):
        keyword = child.keyword
        if keyword.text != "neighbor" or keyword.quoted:
            raise keyword.error(f"unknown template statement {keyword.text!r}, expected one "
                                "of: neighbor")
        name = _neighbor_address(child)
        if name.quoted or name.punctuation:
            raise name.error(f"unexpected {name.text!r}, expected a template name")
        if name.text in state.templates:
            first = state.templates[name.text].token
            raise name.error(f"duplicate template {name.text!r}, first defined at "
                             f"{first.where}")
        draft = _neighbor_body(child)
        draft.token = name
        state.templates[name.text] = draft


def _group(state: _State, statement: Statement) -> None:
    words = statement.words
    if len(words) < 2:
        raise statement.end.error("missing group name after 'group'")
    if len(words) > 2:
        raise words[2].error(f"unexpected {words[2].text!r}, expected '{{' after the group "
                             "name")
    name = words[1]
    if name.text in state.groups:
        first = state.groups[name.text].body.token
        raise name.error(f"duplicate group {name.text!r}, first defined at {first.where}")
    group = _GroupDraft(name.text, _Draft(name))
    state.groups[name.text] = group
    for child in _block(statement, "group"):
        keyword = child.keyword
        if keyword.text == "neighbor" and not keyword.quoted:
            state.neighbors.append((group, _neighbor_body(child)))
        else:
            _dispatch(_GROUP_STATEMENTS, "group", child, group.body)


# "neighbor" is handled by _group itself; the entry makes error messages list it.
_GROUP_STATEMENTS: dict[str, Any] = {**_NEIGHBOR, "neighbor": None}


def _neighbor(state: _State, statement: Statement) -> None:
    state.neighbors.append((None, _neighbor_body(statement)))


_TOP: dict[str, Callable[[_State, Statement], None]] = {
    "process": _process,
    "template": _template,
    "group": _group,
    "neighbor": _neighbor,
}


# -- resolution ----------------------------------------------------------------


def _resolve(draft: _Draft, templates: dict[str, _Draft], seen: tuple[str, ...]) -> _Draft:
    merged = _Draft(draft.token, draft.address, dict(draft.settings), draft.families,
                    list(draft.apis), list(draft.static), [], dict(draft.setting_tokens),
                    {name: list(values) for name, values in draft.lists.items()})
    for token in draft.inherits:
        template = templates.get(token.text)
        if template is None:
            known = ", ".join(templates) or "none defined"
            raise token.error(f"unknown template {token.text!r}, expected one of: {known}")
        if token.text in seen:
            raise token.error(f"template {token.text!r} inherits itself "
                              f"({' -> '.join((*seen, token.text))})")
        merged.fill_from(_resolve(template, templates, (*seen, token.text)))
    return merged


def _finish(state: _State, group: _GroupDraft | None, draft: _Draft) -> Neighbor:
    merged = _resolve(draft, state.templates, ())
    if group is not None:
        merged.fill_from(_resolve(group.body, state.templates, ()))
    keyword = draft.token
    address_token = draft.address
    assert address_token is not None
    peer_address, peer_range = _peer(address_token)
    settings = merged.settings
    where = f"neighbor {address_token.text}"
    for required in ("local_as", "peer_as"):
        if required not in settings:
            raise keyword.error(f"{where} has no {required.replace('_', '-')}, expected "
                                f"'{required.replace('_', '-')} N;'")
    local_address = settings.get("local_address")
    if local_address is not None and (":" in local_address) != (":" in peer_address):
        raise merged.setting_tokens["local_address"].error(
            f"local-address {local_address} and peer address {peer_address} are not of the "
            "same family")
    router_id = settings.get("router_id")
    if router_id is None:
        if local_address is None or ":" in local_address:
            raise keyword.error(f"{where} has no router-id and none can be derived from an "
                                "IPv4 local-address, expected 'router-id A.B.C.D;'")
        router_id = local_address
    flows = tuple(merged.lists.get("flows", ()))
    vpls = tuple(merged.lists.get("vpls", ()))
    nlri_routes = merged.lists.get("nlri_routes", [])
    if settings.get("family_mode") == "minimal" and merged.families is None:
        # "minimal": the families of the routes configured, IPv4 unicast if none.
        used: list[Family] = []
        for family in [r.family for r, _ in merged.static] + [f.family for f in flows] + (
                [Family(25, 65)] if vpls else []) + [r.family for r, _ in nlri_routes]:
            if family not in used:
                used.append(family)
        families = tuple(used) or (IPV4_UNICAST,)
    else:
        families = merged.families or (IPV4_UNICAST, IPV6_UNICAST)
    static = []
    for route, token in merged.static:
        # ExaBGP refuses a static route of a family not announced, bar IPv4 unicast.
        if route.family not in families and route.family != IPV4_UNICAST:
            raise token.error(f"route {route.prefix} is {route.family} but {where} does not "
                              "list that family")
        static.append(route)
    for route, token in nlri_routes:
        if route.family not in families:
            raise token.error(f"{route.family} route but {where} does not list that family, "
                              f"expected '{route.family};' in its family block")
    hold_time = settings.get("hold_time", 180)
    capability = {name[11:]: value for name, value in settings.items()
                  if name.startswith("capability.")}
    if capability.get("graceful_restart") is True:
        capability["graceful_restart"] = hold_time
    apis = []
    for api_draft in merged.apis:
        for token in api_draft.process_tokens:
            if token.text not in state.processes:
                known = ", ".join(state.processes) or "none defined"
                raise token.error(f"api names process {token.text!r} that is not defined, "
                                  f"expected one of: {known}")
        apis.append(api_draft.api)
    return Neighbor(
        peer_address=peer_address,
        local_address=local_address,
        router_id=router_id,
        local_as=settings["local_as"],
        peer_as=settings["peer_as"],
        hold_time=hold_time,
        passive=settings.get("passive", False) or peer_range is not None,
        connect=settings.get("connect", 179),
        listen=settings.get("listen", 179),
        families=families,
        apis=tuple(apis),
        static=tuple(static),
        group=group.name if group is not None else None,
        description=settings.get("description", ""),
        source=keyword.where,
        peer_range=peer_range,
        md5_password=settings.get("md5_password"),
        md5_base64=settings.get("md5_base64", False),
        md5_ip=settings.get("md5_ip"),
        incoming_ttl=settings.get("incoming_ttl"),
        outgoing_ttl=settings.get("outgoing_ttl"),
        group_updates=settings.get("group_updates", True),
        auto_flush=settings.get("auto_flush", True),
        adj_rib_in=settings.get("adj_rib_in", True),
        adj_rib_out=settings.get("adj_rib_out", True),
        manual_eor=settings.get("manual_eor", False),
        rate_limit=settings.get("rate_limit", 0),
        max_prefixes=settings.get("max_prefixes", 0),
        max_prefixes_teardown=settings.get("max_prefixes_teardown", True),
        delay_open=settings.get("delay_open", 0),
        idle_hold=settings.get("idle_hold", 0),
        idle_hold_max=settings.get("idle_hold_max", 300),
        role=settings.get("role"),
        host_name=settings.get("host_name"),
        domain_name=settings.get("domain_name"),
        source_interface=settings.get("source_interface"),
        capability=Capability(**capability),
        add_path_families=settings.get("add_path_families", ()),
        nexthops=settings.get("nexthops", ()),
        flows=flows,
        vpls=vpls,
        nlri_routes=tuple(route for route, _ in nlri_routes),
        operational=tuple(merged.lists.get("operational", ())),
    )


def _peer(token: Token) -> tuple[str, str | None]:
    """A neighbor's address, or for a prefix (5.0's passive ranges) the prefix twice."""
    if "/" not in token.text:
        return _check(token, parse_ip, "neighbor address"), None
    try:
        family, prefix = parse_prefix(token.text, 0)
    except WordError as error:
        raise token.error(error.message) from None
    address, _, length = prefix.partition("/")
    if int(length) == (32 if family.afi == 1 else 128):
        return address, None
    return prefix, prefix


def _build(statements: list[Statement], base_dir: str | None) -> Config:
    state = _State(base_dir=base_dir)
    for statement in statements:
        _dispatch(_TOP, "top-level", statement, state)
    neighbors: list[Neighbor] = []
    seen: dict[tuple[str, str | None], Neighbor] = {}
    for group, draft in state.neighbors:
        neighbor = _finish(state, group, draft)
        if neighbor.key in seen:
            raise draft.token.error(
                f"duplicate neighbor {neighbor.peer_address} (local-address "
                f"{neighbor.local_address or 'auto'}), first defined at "
                f"{seen[neighbor.key].source}")
        seen[neighbor.key] = neighbor
        neighbors.append(neighbor)
    return Config(tuple(p for p, _ in state.processes.values()), tuple(neighbors))


def parse_config(text: str, filename: str = "<string>", *,
                 base_dir: str | None = None) -> Config:
    """Parse one configuration text.

    ``base_dir``, when given, is where a relative ``run`` program is looked
    for; without it no file is touched.
    """
    return _build(list(parse_tree(text, filename)), base_dir)


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read a configuration file, or every ``*.conf`` of a folder in name order."""
    path = os.fspath(path)
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.endswith(".conf")
                       and os.path.isfile(os.path.join(path, n)))
        if not names:
            raise ConfigError(f"no *.conf file in folder {path}", path, 0, 0)
        files = [os.path.join(path, name) for name in names]
        base_dir = path
    else:
        files = [path]
        base_dir = os.path.dirname(path) or "."
    statements: list[Statement] = []
    for filename in files:
        try:
            with open(filename, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read configuration: {error}", filename, 0, 0) from None
        statements.extend(parse_tree(text, filename))
    return _build(statements, base_dir)
