"""Configuration text -> Config values, and broken text -> the exact error place."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgpmesh.config import Api, Config, Neighbor, Process, load_config, parse_config
from bgpmesh.errors import ConfigError
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpmesh.route import Attributes, Route

BASE = """
neighbor 192.0.2.1 {
    local-address 192.0.2.2;
    local-as 65000;
    peer-as 65001;
}
"""


def only_neighbor(text: str) -> Neighbor:
    config = parse_config(text)
    assert len(config.neighbors) == 1
    return config.neighbors[0]


def test_defaults() -> None:
    neighbor = only_neighbor(BASE)
    assert neighbor == Neighbor(
        peer_address="192.0.2.1", local_address="192.0.2.2", router_id="192.0.2.2",
        local_as=65000, peer_as=65001, hold_time=180, passive=False, connect=179,
        listen=179, families=(IPV4_UNICAST, IPV6_UNICAST), apis=(), static=(), group=None,
        description="", source="<string>:2",
    )
    assert neighbor.name == "192.0.2.1"
    assert neighbor.key == ("192.0.2.1", "192.0.2.2")


# (text, {Neighbor field: expected value}) for the only neighbor in the text.
NEIGHBOR_CASES = [
    pytest.param(
        """neighbor 192.0.2.1 { # comment
             description "edge router; rack 4";
             router-id 10.9.9.9; local-address 192.0.2.2; local-as 65000; peer-as 65001;
             hold-time 30; passive; connect 1179; listen 1790;
           }""",
        {"description": "edge router; rack 4", "router_id": "10.9.9.9", "hold_time": 30,
         "passive": True, "connect": 1179, "listen": 1790},
        id="every-scalar",
    ),
    pytest.param(BASE.replace("peer-as 65001;", "peer-as 65001; passive false;"),
                 {"passive": False}, id="passive-false"),
    pytest.param(BASE.replace("peer-as 65001;", "peer-as 65001; passive true;"),
                 {"passive": True}, id="passive-true"),
    pytest.param(BASE.replace("peer-as 65001;", "peer-as 65001; hold-time 0;"),
                 {"hold_time": 0}, id="hold-time-zero"),
    pytest.param(BASE.replace("local-as 65000;", "local-as 4200000000;"),
                 {"local_as": 4200000000}, id="asn4"),
    pytest.param(BASE.replace("local-as 65000;", "local-as 1.10;"),
                 {"local_as": 65546}, id="asdot"),
    pytest.param(
        """neighbor 2001:DB8::1 { local-address 2001:db8:0::2; router-id 1.1.1.1;
             local-as 1; peer-as 2; family { ipv6 unicast; } }""",
        {"peer_address": "2001:db8::1", "local_address": "2001:db8::2",
         "router_id": "1.1.1.1", "families": (IPV6_UNICAST,)},
        id="ipv6-canonical",
    ),
    pytest.param(
        "neighbor 192.0.2.1 { local-as 1; peer-as 2; router-id 1.2.3.4; local-address auto; }",
        {"local_address": None, "router_id": "1.2.3.4"}, id="local-address-auto",
    ),
    pytest.param(
        BASE.replace("peer-as 65001;",
                     "peer-as 65001; family { ipv4 unicast; ipv4 flow; l2vpn evpn; }"),
        {"families": (IPV4_UNICAST, Family(1, 133), Family(25, 70))}, id="families",
    ),
    pytest.param(BASE.replace("peer-as 65001;", "peer-as 65001; family { }"),
                 {"families": (IPV4_UNICAST, IPV6_UNICAST)}, id="empty-family-is-default"),
    pytest.param(
        BASE.replace("peer-as 65001;", """peer-as 65001;
            static {
                route 10.0.0.1 next-hop self;
                route 10.1.2.3/16 next-hop 192.0.2.9 origin egp as-path [ 65001 65002 ]
                      med 7 local-preference 200 community [ 65000:1 no-export ];
                route 2001:db8::1/32 next-hop 2001:db8::9 community 1;
            }"""),
        {"static": (
            Route(IPV4_UNICAST, "10.0.0.1/32", "self"),
            Route(IPV4_UNICAST, "10.1.0.0/16", "192.0.2.9",
                  Attributes(origin=1, as_path=(65001, 65002), med=7, local_pref=200,
                             communities=((65000 << 16) | 1, 0xFFFFFF01))),
            Route(IPV6_UNICAST, "2001:db8::/32", "2001:db8::9", Attributes(communities=(1,))),
        )},
        id="static",
    ),
]


@pytest.mark.parametrize("text, expected", NEIGHBOR_CASES)
def test_neighbor_values(text: str, expected: dict) -> None:
    neighbor = only_neighbor(text)
    for name, value in expected.items():
        assert getattr(neighbor, name) == value, name


PROCESSES = """
process watcher { run /usr/bin/watch.py --fast; encoder text; respawn false; }
process feeder { run "python3 feed.py --count 3"; }
"""


def test_processes_and_apis() -> None:
    config = parse_config(PROCESSES + BASE.replace("peer-as 65001;", """peer-as 65001;
        api {
            processes [ watcher ];
            neighbor-changes;
            receive { parsed; update; notification; }
            send { packets; }
        }
        api speakers { processes [ feeder watcher ]; fsm; negotiated; signal false; }
    """))
    assert config.processes == (
        Process("watcher", ("/usr/bin/watch.py", "--fast"), "text", False),
        Process("feeder", ("python3", "feed.py", "--count", "3"), "json", True),
    )
    assert config.process("feeder").run[0] == "python3"
    with pytest.raises(KeyError):
        config.process("nothing")
    assert config.neighbors[0].apis == (
        Api(None, ("watcher",), True, frozenset({"parsed", "update", "notification"}),
            frozenset({"packets"})),
        Api("speakers", ("feeder", "watcher"), events=frozenset({"fsm", "negotiated"})),
    )


TEMPLATES = """
template {
    neighbor base {
        local-as 65000;
        hold-time 90;
        description "from base";
        family { ipv4 unicast; }
        static { route 10.0.0.0/8 next-hop self; }
    }
    neighbor other {
        inherit base;
        hold-time 60;
        peer-as 65009;
        passive;
    }
}
process p { run /bin/true; }
neighbor 192.0.2.1 {
    inherit other;
    inherit base;
    local-address 192.0.2.2;
    description "own";
    api { processes [ p ]; }
    static { route 10.9.0.0/16 next-hop self; }
}
"""


def test_templates_inherit() -> None:
    neighbor = only_neighbor(TEMPLATES)
    assert neighbor.description == "own"  # the neighbor's own statement wins
    assert neighbor.hold_time == 60  # the first template named wins over later ones
    assert neighbor.local_as == 65000  # from base, through other
    assert neighbor.peer_as == 65009
    assert neighbor.passive is True
    assert neighbor.families == (IPV4_UNICAST,)
    assert [r.prefix for r in neighbor.static] == ["10.9.0.0/16", "10.0.0.0/8", "10.0.0.0/8"]
    assert neighbor.apis == (Api(None, ("p",)),)


GROUPS = """
template { neighbor short { hold-time 9; } }
group edge {
    local-as 65000;
    peer-as 65001;
    hold-time 30;
    inherit short;
    neighbor 192.0.2.1 { local-address 192.0.2.2; }
    neighbor 192.0.2.3 { local-address 192.0.2.4; hold-time 60; inherit short; }
}
neighbor 198.51.100.1 { local-address 198.51.100.2; local-as 1; peer-as 2; }
group core { local-as 65000; peer-as 65000; neighbor 203.0.113.1 { router-id 9.9.9.9; } }
"""


def test_groups() -> None:
    config = parse_config(GROUPS, "conf/g.conf")
    summary = [(n.peer_address, n.group, n.hold_time, n.local_as, n.peer_as, n.source)
               for n in config.neighbors]
    assert summary == [
        ("192.0.2.1", "edge", 30, 65000, 65001, "conf/g.conf:8"),
        ("192.0.2.3", "edge", 60, 65000, 65001, "conf/g.conf:9"),
        ("198.51.100.1", None, 180, 1, 2, "conf/g.conf:11"),
        ("203.0.113.1", "core", 180, 65000, 65000, "conf/g.conf:12"),
    ]


def test_same_peer_with_another_local_address_is_allowed() -> None:
    text = BASE + BASE.replace("192.0.2.2", "192.0.2.3")
    assert [n.key for n in parse_config(text).neighbors] == [
        ("192.0.2.1", "192.0.2.2"), ("192.0.2.1", "192.0.2.3"),
    ]


def test_template_and_process_may_come_later() -> None:
    text = ("neighbor 192.0.2.1 { inherit t; api { processes [ p ]; } }\n"
            "template { neighbor t { local-as 1; peer-as 2; router-id 1.1.1.1; } }\n"
            "process p { run /bin/cat; }\n")
    assert only_neighbor(text).local_as == 1


# (text, line, column, message fragment)
BROKEN = [
    pytest.param("neighbor 192.0.2.1 {\n    local-as 65000;\n    hold-tme 90;\n}\n",
                 3, 5, "unknown neighbor statement 'hold-tme', expected one of: inherit",
                 id="typo-keyword"),
    pytest.param("neighbor 192.0.2.1 {\n    local-as 65000\n    peer-as 65001;\n}\n",
                 3, 5, "expected ';' after 'local-as 65000', found 'peer-as'",
                 id="missing-semicolon"),
    pytest.param("neighbor 192.0.2.1 {\n    local-as 65000;\n    peer-as 65001;\n",
                 3, 19, "missing '}' at end of file, expected one to close 'neighbor "
                 "192.0.2.1' opened at line 1", id="missing-brace"),
    pytest.param("neighbor 192.0.2.1 {\n  local-as 1;\n  peer-as 2 }\n", 3, 13,
                 "expected ';' after 'peer-as 2', found '}'", id="semicolon-before-brace"),
    pytest.param("}\n", 1, 1, "unexpected '}'", id="extra-brace"),
    pytest.param("neighbor 192.0.2.1 {\n  local-address 192.0.2.300;\n}\n", 2, 17,
                 "invalid local-address '192.0.2.300'", id="bad-ip"),
    pytest.param("neighbor 192.0.2.x {\n  local-as 1; peer-as 2; router-id 1.1.1.1;\n}\n",
                 1, 10, "invalid neighbor address '192.0.2.x'", id="bad-peer-ip"),
    pytest.param("neighbor 192.0.2.1 {\n  local-as 4294967296;\n}\n", 2, 12,
                 "local-as 4294967296 out of range, expected 1..4294967295", id="asn-too-big"),
    pytest.param("neighbor 192.0.2.1 {\n  peer-as 0;\n}\n", 2, 11,
                 "peer-as 0 out of range, expected 1..4294967295", id="asn-zero"),
    pytest.param("neighbor 192.0.2.1 {\n  hold-time 2;\n}\n", 2, 13,
                 "hold-time 2 is invalid, expected 0 or 3..65535", id="hold-time-2"),
    pytest.param("neighbor 192.0.2.1 {\n  listen 0;\n}\n", 2, 10,
                 "listen port 0 out of range, expected 1..65535", id="port-zero"),
    pytest.param("neighbor 192.0.2.1 {\n  connect 65536;\n}\n", 2, 11,
                 "connect port 65536 out of range", id="port-too-big"),
    pytest.param("process p { run /bin/true; }\n"
                 "neighbor 192.0.2.1 {\n  local-as 1; peer-as 2; local-address 192.0.2.2;\n"
                 "  api { processes [ p q ]; }\n}\n", 4, 23,
                 "api names process 'q' that is not defined, expected one of: p",
                 id="api-unknown-process"),
    pytest.param(BASE + BASE, 8, 1, "duplicate neighbor 192.0.2.1 (local-address "
                 "192.0.2.2), first defined at <string>:2", id="duplicate-neighbor"),
    pytest.param("neighbor 192.0.2.1 {\n  local-as 1;\n}\n", 1, 1,
                 "neighbor 192.0.2.1 has no peer-as", id="missing-peer-as"),
    pytest.param("neighbor 2001:db8::1 {\n  local-as 1; peer-as 2;\n"
                 "  local-address 2001:db8::2;\n}\n", 1, 1,
                 "neighbor 2001:db8::1 has no router-id and none can be derived",
                 id="no-router-id"),
    pytest.param("neighbor 192.0.2.1 {\n  local-as 1; peer-as 2; local-address 2001:db8::2;\n}",
                 2, 40, "are not of the same family", id="mixed-families"),
    pytest.param("neighbor 192.0.2.1 {\n  inherit nothing;\n}\n", 2, 11,
                 "unknown template 'nothing'", id="unknown-template"),
    pytest.param("template { neighbor a { inherit a; } }\n"
                 "neighbor 192.0.2.1 { inherit a; }\n", 1, 33,
                 "template 'a' inherits itself", id="template-loop"),
    pytest.param("neighbor 192.0.2.1 {\n  family { ipv4 unicorn; }\n}\n", 2, 17,
                 "unknown SAFI 'unicorn' for ipv4", id="bad-family"),
    pytest.param("neighbor 192.0.2.1 {\n  static {\n    route 10.0.0.0/24 next-hop 1.2.3.4 "
                 "med x;\n  }\n}\n", 3, 44, "invalid med 'x', expected a number",
                 id="bad-route-attribute"),
    pytest.param("neighbor 192.0.2.1 {\n  static {\n    route 10.0.0.0/24;\n  }\n}\n",
                 3, 22, "has no next-hop", id="route-without-next-hop"),
    pytest.param("neighbor 192.0.2.1 {\n  local-as 1; peer-as 2; local-address 192.0.2.2;\n"
                 "  family { ipv4 unicast; }\n  static { route 2001:db8::/32 next-hop ::1; }\n}",
                 4, 18, "route 2001:db8::/32 is ipv6 unicast but neighbor 192.0.2.1 does "
                 "not list that family", id="route-family-not-listed"),
    pytest.param("process p {\n  run /bin/true;\n  encoder xml;\n}\n", 3, 11,
                 "invalid encoder 'xml', expected json or text", id="bad-encoder"),
    pytest.param("process p {\n  encoder json;\n}\n", 1, 9, "process 'p' has no 'run'",
                 id="process-without-run"),
    pytest.param("process p { run /a; }\nprocess p { run /b; }\n", 2, 9,
                 "duplicate process 'p', first defined at <string>:1", id="duplicate-process"),
    pytest.param("neighbour 192.0.2.1 { }\n", 1, 1,
                 "unknown top-level statement 'neighbour', expected one of: process, "
                 "template, group, neighbor", id="top-level-typo"),
    pytest.param("neighbor 192.0.2.1 {\n  api { processes [ p ]; recieve { parsed; } }\n}\n",
                 2, 26, "unknown api statement 'recieve'", id="api-typo"),
    pytest.param("neighbor 192.0.2.1 {\n  api { receive { parsd; } }\n}\n", 2, 19,
                 "unknown receive statement 'parsd'", id="receive-typo"),
    pytest.param("neighbor 192.0.2.1 {\n  description \"unfinished;\n}\n", 2, 15,
                 "unterminated string", id="unterminated-string"),
    pytest.param("neighbor 192.0.2.1 {\n  passive maybe;\n}\n", 2, 11,
                 "invalid value 'maybe' for 'passive', expected true or false",
                 id="bad-boolean"),
    pytest.param("neighbor 192.0.2.1 {\n  hold-time;\n}\n", 2, 12,
                 "missing hold time in seconds after 'hold-time'", id="missing-value"),
    pytest.param("neighbor 192.0.2.1 {\n  family;\n}\n", 2, 9,
                 "expected '{' to open the family block, found ';'", id="block-expected"),
    pytest.param("group g {\n  local-as 1;\n  neighbr 192.0.2.1 { }\n}\n", 3, 3,
                 "unknown group statement 'neighbr'", id="group-typo"),
]


@pytest.mark.parametrize("text, line, column, fragment", BROKEN)
def test_broken(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "conf/x.conf")
    error = info.value
    assert (error.filename, error.line, error.column) == ("conf/x.conf", line, column), str(error)
    assert fragment.replace("<string>", "conf/x.conf") in error.message
    assert error.source_line == text.splitlines()[line - 1]
    assert str(error).startswith(f"conf/x.conf:{line}:{column}: ")


def test_error_rendering() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("neighbor 192.0.2.1 {\n    hold-tme 90;\n}\n", "conf/x.conf")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("conf/x.conf:2:5: unknown neighbor statement 'hold-tme', "
                               "expected one of: ")
    assert lines[1:] == ["      hold-tme 90;", "      ^"]


def test_folder_of_two_files(tmp_path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    # b.conf defines what a.conf uses: the folder is one configuration.
    (folder / "a.conf").write_text(
        "neighbor 192.0.2.1 {\n  inherit t;\n  local-address 192.0.2.2;\n"
        "  api { processes [ helper ]; }\n}\n")
    (folder / "b.conf").write_text(
        "template { neighbor t { local-as 1; peer-as 2; } }\n"
        "process helper { run helper.py --x; }\n"
        "process path { run python3 -u; }\n"
        "neighbor 192.0.2.5 { local-as 1; peer-as 3; local-address 192.0.2.6; }\n")
    (folder / "helper.py").write_text("")
    (folder / "notes.txt").write_text("not configuration {")
    config = load_config(folder)
    assert [n.source for n in config.neighbors] == [
        f"{folder}/a.conf:1", f"{folder}/b.conf:4",
    ]
    # A program found next to the configuration is made absolute; others are left.
    assert config.process("helper").run == (os.path.join(str(folder), "helper.py"), "--x")
    assert config.process("path").run == ("python3", "-u")
    assert load_config(folder / "b.conf").process("helper").run[0] == str(folder / "helper.py")


def test_folder_errors_name_their_file(tmp_path) -> None:
    (tmp_path / "a.conf").write_text("process p { run /bin/true; }\n")
    (tmp_path / "b.conf").write_text("\nprocess p { run /bin/true; }\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert (info.value.filename, info.value.line) == (str(tmp_path / "b.conf"), 2)


def test_empty_folder_is_an_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no \\*.conf file"):
        load_config(tmp_path)


def test_empty_configuration() -> None:
    assert parse_config("# nothing\n") == Config((), ())


CONFIG_WORDS = st.sampled_from([
    "neighbor", "192.0.2.1", "2001:db8::1", "{", "}", ";", "[", "]", "process", "p", "run",
    "/bin/true", "template", "group", "g", "inherit", "t", "local-as", "peer-as", "1",
    "local-address", "192.0.2.2", "router-id", "api", "processes", "receive", "parsed",
    "family", "ipv4", "unicast", "static", "route", "10.0.0.0/8", "next-hop", "self",
    "hold-time", "passive", "\"x y\"", "#", "\n", "'", "auto",
])


@settings(max_examples=1000, deadline=None)
@given(st.lists(CONFIG_WORDS, max_size=40))
def test_any_configuration_gives_a_config_or_config_error(words: list[str]) -> None:
    try:
        result = parse_config(" ".join(words))
    except ConfigError as error:
        assert error.line >= 1 and error.column >= 1
    else:
        assert isinstance(result, Config)


def test_a_backslash_ending_a_line_continues_it() -> None:
    # ExaBGP 5.0's examples write long statements so; only a lone "\" at the
    # end of a line is dropped, one elsewhere is a word (and an error here)
    from bgpmesh.config.tokenizer import tokenize

    tokens, _ = tokenize("a \\\nb \\  \nc;\nd \\ e;\n")
    assert [t.text for t in tokens] == ["a", "b", "c", ";", "d", "\\", "e", ";"]
    with pytest.raises(ConfigError, match="expected ';' after"):
        parse_config("neighbor 192.0.2.2 { local-as 1; peer-as 2; router-id 1.1.1.1; \\ }\n")
