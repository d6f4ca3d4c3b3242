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
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bgpmesh.api.routes import (
    WordError,
    list_words,
    parse_asn,
    parse_int,
    parse_ip,
    parse_ipv4,
    route_from_words,
)
from bgpmesh.config.model import API_EVENTS, API_MESSAGES, Api, Config, Neighbor, Process
from bgpmesh.config.tokenizer import Statement, Token, parse_tree
from bgpmesh.errors import ConfigError
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpmesh.route import Route

_TRUE = frozenset({"true", "enable", "enabled"})
_FALSE = frozenset({"false", "disable", "disabled"})

# Families ExaBGP 4.2 accepts in a ``family`` block (configuration/neighbor/family.py).
_FAMILIES = {
    "ipv4": ("unicast", "multicast", "nlri-mpls", "mpls-vpn", "flow", "flow-vpn"),
    "ipv6": ("unicast", "multicast", "nlri-mpls", "mpls-vpn", "flow", "flow-vpn"),
    "l2vpn": ("vpls", "evpn"),
    "bgp-ls": ("bgp-ls", "bgp-ls-vpn"),
}


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
    for child in _block(statement, "family"):
        afi = child.keyword
        safis = _FAMILIES.get(afi.text) if not afi.quoted else None
        if safis is None:
            raise afi.error(f"unknown family {afi.text!r}, expected one of: "
                            f"{', '.join(_FAMILIES)}")
        safi = _one_value(child, f"SAFI for {afi.text} ({', '.join(safis)})")
        if safi.text not in safis:
            raise safi.error(f"unknown SAFI {safi.text!r} for {afi.text}, expected one of: "
                             f"{', '.join(safis)}")
        family = Family.from_names(afi.text, safi.text)
        if family not in families:
            families.append(family)
    # An empty block means the default, as ExaBGP falls back when none is listed.
    draft.families = tuple(families) or None


def _static(draft: _Draft, statement: Statement) -> None:
    _no_words(statement, "static")
    for child in _block(statement, "static"):
        keyword = child.keyword
        if keyword.text != "route" or keyword.quoted:
            raise keyword.error(f"unknown static statement {keyword.text!r}, expected one of: "
                                "route")
        if child.is_block:
            raise child.end.error("the block form of 'route' is not supported, expected "
                                  "'route PREFIX next-hop ...;'")
        tokens = child.words[1:]
        words = [t.text for t in tokens]
        try:
            route = route_from_words(words, 0)
        except WordError as error:
            at = tokens[error.index] if error.index < len(tokens) else child.end
            raise at.error(error.message) from None
        draft.static.append((route, child.words[1] if tokens else keyword))


# api { processes [ A B ]; neighbor-changes; receive { ... } send { ... } }


@dataclass
class _ApiValues:
    processes: list[Token] = field(default_factory=list)
    neighbor_changes: bool = False
    receive: set[str] = field(default_factory=set)
    send: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)


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
              frozenset(values.receive), frozenset(values.send), frozenset(values.events))
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
                    list(draft.apis), list(draft.static), [], dict(draft.setting_tokens))
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
    peer_address = _check(address_token, parse_ip, "neighbor address")
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
    families = merged.families or (IPV4_UNICAST, IPV6_UNICAST)
    static = []
    for route, token in merged.static:
        # ExaBGP refuses a static route of a family not announced, bar IPv4 unicast.
        if route.family not in families and route.family != IPV4_UNICAST:
            raise token.error(f"route {route.prefix} is {route.family} but {where} does not "
                              "list that family")
        static.append(route)
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
        hold_time=settings.get("hold_time", 180),
        passive=settings.get("passive", False),
        connect=settings.get("connect", 179),
        listen=settings.get("listen", 179),
        families=families,
        apis=tuple(apis),
        static=tuple(static),
        group=group.name if group is not None else None,
        description=settings.get("description", ""),
        source=keyword.where,
    )


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
