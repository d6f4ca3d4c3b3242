"""Text API lines -> Command values; garbage -> CommandError with its column."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgpmesh.api.commands import Command, parse_command
from bgpmesh.api.routes import parse_route
from bgpmesh.api.selector import Selector, matching, selects
from bgpmesh.config.model import Neighbor
from bgpmesh.errors import CommandError
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpmesh.route import NO_ATTRIBUTES, Attributes, FlowRoute, Operational, Route, Vpls

V4 = IPV4_UNICAST
V6 = IPV6_UNICAST
C = (65000 << 16) | 1  # 65000:1


def announce(*routes: Route, selectors: tuple = ()) -> Command:
    return Command("announce-route", selectors, routes)


COMMANDS = [
    # routes and each attribute
    ("announce route 10.0.0.0/24 next-hop 192.0.2.1",
     announce(Route(V4, "10.0.0.0/24", "192.0.2.1"))),
    ("announce route 10.0.0.77/24 next-hop self", announce(Route(V4, "10.0.0.0/24", "self"))),
    ("announce route 10.0.0.1 next-hop self", announce(Route(V4, "10.0.0.1/32", "self"))),
    ("announce route 0.0.0.0/0 next-hop self", announce(Route(V4, "0.0.0.0/0", "self"))),
    ("announce route 2001:DB8:0:0::1/32 next-hop 2001:db8::ff",
     announce(Route(V6, "2001:db8::/32", "2001:db8::ff"))),
    ("announce route 2001:db8::1 next-hop ::1", announce(Route(V6, "2001:db8::1/128", "::1"))),
    ("announce route 10.0.0.0/8 next-hop self origin igp",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(origin=0)))),
    ("announce route 10.0.0.0/8 next-hop self origin INCOMPLETE",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(origin=2)))),
    ("announce route 10.0.0.0/8 next-hop self as-path [ 1 2 4200000000 ]",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(as_path=(1, 2, 4200000000))))),
    ("announce route 10.0.0.0/8 next-hop self as-path [1 2]",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(as_path=(1, 2))))),
    ("announce route 10.0.0.0/8 next-hop self as-path 65000",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(as_path=(65000,))))),
    ("announce route 10.0.0.0/8 next-hop self as-path [ ]",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(as_path=())))),
    ("announce route 10.0.0.0/8 next-hop self med 0",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(med=0)))),
    ("announce route 10.0.0.0/8 next-hop self local-preference 4294967295",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(local_pref=4294967295)))),
    ("announce route 10.0.0.0/8 next-hop self community 65000:1",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(communities=(C,))))),
    ("announce route 10.0.0.0/8 next-hop self community [65000:1 no-export no-advertise "
     "no-export-subconfed nopeer 7 0xFFFF029A]",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(communities=(
         C, 0xFFFFFF01, 0xFFFFFF02, 0xFFFFFF03, 0xFFFFFF04, 7, 0xFFFF029A))))),
    ("\tannounce   route 10.0.0.0/8\tnext-hop self med 5 origin egp community [ 1:2 ] "
     "as-path [ 3 ] local-preference 9  ",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(
         origin=1, as_path=(3,), med=5, local_pref=9, communities=((1 << 16) | 2,))))),
    # withdraw: next hop and attributes checked, then dropped
    ("withdraw route 10.0.0.0/8", Command("withdraw-route", routes=(Route(V4, "10.0.0.0/8"),))),
    ("withdraw route 10.0.0.0/8 next-hop 1.2.3.4 med 5 community [ no-export ]",
     Command("withdraw-route", routes=(Route(V4, "10.0.0.0/8"),))),
    # bulk
    ("announce attributes next-hop 192.0.2.1 med 10 community [ 65000:1 ] nlri 10.0.0.0/24 "
     "10.0.1.0/24 2001:db8::/48",
     announce(Route(V4, "10.0.0.0/24", "192.0.2.1", Attributes(med=10, communities=(C,))),
              Route(V4, "10.0.1.0/24", "192.0.2.1", Attributes(med=10, communities=(C,))),
              Route(V6, "2001:db8::/48", "192.0.2.1", Attributes(med=10, communities=(C,))))),
    ("announce attribute next-hop self nlri 10.0.0.0/24",
     announce(Route(V4, "10.0.0.0/24", "self"))),
    ("withdraw attributes next-hop self med 1 nlri 10.0.0.0/24 10.0.1.0/24",
     Command("withdraw-route", routes=(Route(V4, "10.0.0.0/24"), Route(V4, "10.0.1.0/24")))),
    # 5.0 form
    ("announce ipv4 unicast 10.0.0.0/24 next-hop 1.2.3.4 med 3",
     announce(Route(V4, "10.0.0.0/24", "1.2.3.4", Attributes(med=3)))),
    ("announce ipv6 unicast 2001:db8::/32 next-hop self",
     announce(Route(V6, "2001:db8::/32", "self"))),
    ("withdraw ipv6 unicast 2001:db8::/32", Command("withdraw-route",
                                                    routes=(Route(V6, "2001:db8::/32"),))),
    # the rest
    ("announce eor", Command("announce-eor", family=V4)),
    ("announce eor ipv6 unicast", Command("announce-eor", family=V6)),
    ("announce eor l2vpn evpn", Command("announce-eor", family=Family(25, 70))),
    ("announce route-refresh ipv4 unicast", Command("announce-route-refresh", family=V4)),
    ("teardown 2", Command("teardown", arg=2)),
    ("shutdown", Command("shutdown")),
    ("version", Command("version")),
    ("help", Command("help")),
    ("# a note  ", Command("comment", text="a note")),
    ("  #", Command("comment", text="")),
    # every attribute ExaBGP accepts
    ("announce route 10.0.0.0/8 next-hop self as-path [ 1 2 ( 3 4 ) ]",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(as_path=(1, 2), as_set=(3, 4))))),
    ("announce route 10.0.0.0/8 next-hop self extended-community [ target:65000:1 "
     "origin:192.0.2.1:7 target:4200000000:2 redirect:65000:9 0x0002fde800000001 ]",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(extended_communities=(
         0x0002FDE800000001, 0x0103C00002010007, 0x0202FA56EA000002, 0x8008FDE800000009,
         0x0002FDE800000001))))),
    ("announce route 10.0.0.0/8 next-hop self large-community [ 65000:1:2 4200000000:0:1 ]",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(
         large_communities=((65000, 1, 2), (4200000000, 0, 1)))))),
    ("announce route 10.0.0.0/8 next-hop self originator-id 1.1.1.1 cluster-list "
     "[ 2.2.2.2 3.3.3.3 ] aggregator ( 65000:192.0.2.1 ) atomic-aggregate aigp 100",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(
         originator_id="1.1.1.1", cluster_list=("2.2.2.2", "3.3.3.3"),
         aggregator=(65000, "192.0.2.1"), atomic_aggregate=True, aigp=100)))),
    ("announce route 10.0.0.0/8 next-hop self attribute [ 0x20 0xc0 0xabcd ]",
     announce(Route(V4, "10.0.0.0/8", "self", Attributes(generic=((0x20, 0xC0, b"\xab\xcd"),))))),
    ("announce route 10.0.0.0/8 next-hop self rd 65000:1 label [ 100 ] path-information 1.2.3.4",
     announce(Route(Family(1, 128), "10.0.0.0/8", "self", labels=(100,), rd="65000:1",
                    path_id=0x01020304))),
    ("announce route 10.0.0.0/8 next-hop self label 16",
     announce(Route(Family(1, 4), "10.0.0.0/8", "self", labels=(16,)))),
    ("announce route 10.0.0.0/8 next-hop self path-information 7 watchdog dns name web",
     announce(Route(V4, "10.0.0.0/8", "self", path_id=7, watchdog="dns", name="web"))),
    ("announce route 10.0.0.0/24 next-hop self split /26 med 1",
     announce(*(Route(V4, f"10.0.0.{n}/26", "self", Attributes(med=1))
                for n in (0, 64, 128, 192)))),
    ("withdraw route 10.0.0.0/8 rd 1.2.3.4:5 next-hop self",
     Command("withdraw-route", routes=(Route(Family(1, 128), "10.0.0.0/8", rd="1.2.3.4:5"),))),
    ("announce attributes next-hop self label [ 5 ] nlri 10.0.0.0/8",
     announce(Route(Family(1, 4), "10.0.0.0/8", "self", labels=(5,)))),
    ("announce ipv4 multicast 224.0.0.0/4 next-hop self",
     announce(Route(Family(1, 2), "224.0.0.0/4", "self"))),
    ("announce ipv6 mpls-vpn 2001:db8::/32 next-hop self rd 1:1 label 3",
     announce(Route(Family(2, 128), "2001:db8::/32", "self", labels=(3,), rd="1:1"))),
    # flow, vpls, watchdog, operational
    ("announce flow route { match { source 10.0.0.1/32; destination-port =80 >1024&<2000; "
     "protocol [ tcp udp ]; } then { discard; community [ 1:2 ]; } }",
     Command("announce-flow", routes=(FlowRoute(
         Family(1, 133),
         (("source", ("10.0.0.1/32",)), ("destination-port", ("=80", ">1024&<2000")),
          ("protocol", ("tcp", "udp"))),
         (("discard", ()),), attributes=Attributes(communities=((1 << 16) | 2,))),))),
    ("withdraw flow route { match { destination 2001:db8::/32/8; } }",
     Command("withdraw-flow", routes=(FlowRoute(
         Family(2, 133), (("destination", ("2001:db8::/32/8",)),)),))),
    ("announce flow route destination 133.130.1.219/32 discard",
     Command("announce-flow", routes=(FlowRoute(
         Family(1, 133), (("destination", ("133.130.1.219/32",)),), (("discard", ()),)),))),
    ("announce flow route rd 65000:1 next-hop 1.2.3.4 source 10.0.0.0/8 rate-limit 9600 "
     "redirect 65000:7 mark 10 action sample copy 1.1.1.1 redirect-to-nexthop",
     Command("announce-flow", routes=(FlowRoute(
         Family(1, 134), (("source", ("10.0.0.0/8",)),),
         (("rate-limit", ("9600",)), ("redirect", ("65000:7",)), ("mark", ("10",)),
          ("action", ("sample",)), ("copy", ("1.1.1.1",)), ("redirect-to-nexthop", ())),
         rd="65000:1", next_hop="1.2.3.4"),))),
    ("announce ipv4 flow destination 10.0.0.0/8 discard",
     Command("announce-flow", routes=(FlowRoute(
         Family(1, 133), (("destination", ("10.0.0.0/8",)),), (("discard", ()),)),))),
    ("announce vpls endpoint 5 base 10702 offset 1 size 8 rd 192.0.2.1:123 "
     "next-hop 192.0.2.1 med 5",
     Command("announce-vpls", routes=(Vpls(5, 10702, 1, 8, "192.0.2.1:123", "192.0.2.1",
                                           Attributes(med=5)),))),
    ("withdraw vpls endpoint 5 base 10702 offset 1 size 8 rd 192.0.2.1:123",
     Command("withdraw-vpls", routes=(Vpls(5, 10702, 1, 8, "192.0.2.1:123"),))),
    ("announce watchdog dns", Command("announce-watchdog", text="dns")),
    ("neighbor 10.0.0.1 withdraw watchdog dns",
     Command("withdraw-watchdog", (Selector("10.0.0.1"),), text="dns")),
    ('announce operational adm afi ipv4 safi unicast advisory "this is a test"',
     Command("announce-operational", routes=(Operational(
         "adm", V4, (("advisory", "this is a test"),)),))),
    ("announce operational rpcq afi ipv6 safi unicast sequence 7",
     Command("announce-operational", routes=(Operational(
         "rpcq", V6, (("sequence", "7"),)),))),
    # show, rib and daemon commands
    ("show neighbor", Command("show-neighbor")),
    ("show neighbor summary", Command("show-neighbor", options=("summary",))),
    ("show neighbor 10.0.0.1 extensive json",
     Command("show-neighbor", (Selector("10.0.0.1"),), options=("extensive", "json"))),
    ("show neighbor configuration", Command("show-neighbor", options=("configuration",))),
    ("show adj-rib in", Command("show-adj-rib", text="in")),
    ("show adj-rib out extensive json",
     Command("show-adj-rib", text="out", options=("extensive", "json"))),
    ("flush adj-rib out", Command("flush-adj-rib-out")),
    ("neighbor 10.0.0.1 flush adj-rib out",
     Command("flush-adj-rib-out", (Selector("10.0.0.1"),))),
    ("clear adj-rib in", Command("clear-adj-rib", text="in")),
    ("clear adj-rib out", Command("clear-adj-rib", text="out")),
    ("reload", Command("reload")),
    ("restart", Command("restart")),
    ("reset", Command("reset")),
    ("enable-ack", Command("enable-ack")),
    ("disable-ack", Command("disable-ack")),
    ("silence-ack", Command("silence-ack")),
    ("neighbor 10.0.0.1 family-allowed in-open announce eor",
     Command("announce-eor", (Selector("10.0.0.1", family_allowed="in-open"),), family=V4)),
    ("neighbor 10.0.0.1 family-allowed ipv4-unicast/ipv6-unicast announce eor",
     Command("announce-eor", (Selector("10.0.0.1",
                                       family_allowed="ipv4-unicast/ipv6-unicast"),),
             family=V4)),
    # selectors
    ("neighbor 10.0.0.1 announce route 10.0.0.0/8 next-hop self",
     announce(Route(V4, "10.0.0.0/8", "self"), selectors=(Selector("10.0.0.1"),))),
    ("neighbor 10.0.0.1 local-ip 10.0.0.2 local-as 65000 peer-as 1.10 router-id 1.1.1.1 "
     "teardown 4",
     Command("teardown", (Selector("10.0.0.1", "10.0.0.2", 65000, 65546, "1.1.1.1"),), arg=4)),
    ("neighbor 10.0.0.1 peer-as 2, neighbor 2001:DB8::1 announce eor",
     Command("announce-eor", (Selector("10.0.0.1", peer_as=2), Selector("2001:db8::1")),
             family=V4)),
    ("neighbor * announce eor", Command("announce-eor", (Selector(),), family=V4)),
    ("neighbor * peer-as 5 announce eor",
     Command("announce-eor", (Selector(peer_as=5),), family=V4)),
]


@pytest.mark.parametrize("line, expected", COMMANDS, ids=[c[0].strip() for c in COMMANDS])
def test_command(line: str, expected: Command) -> None:
    assert parse_command(line) == expected


def test_bulk_routes_share_one_attributes_object() -> None:
    command = parse_command("announce attributes next-hop self med 1 nlri 10.0.0.0/8 11.0.0.0/8")
    first, second = command.routes
    assert first.attributes is second.attributes


def test_withdraw_keeps_no_attributes() -> None:
    route = parse_command("withdraw route 10.0.0.0/8 med 5").routes[0]
    assert route.next_hop is None and route.attributes == NO_ATTRIBUTES


def test_parse_route() -> None:
    assert parse_route("10.0.0.0/8 next-hop self med 1") == Route(
        V4, "10.0.0.0/8", "self", Attributes(med=1))
    with pytest.raises(CommandError) as info:
        parse_route("10.0.0.0/8 next-hop self med 1 bogus")
    assert info.value.column == 32


# (line, column, message fragment)
GARBAGE = [
    ("", 1, "empty command"),
    ("   \t ", 1, "empty command"),
    ("annonce route 10.0.0.0/8 next-hop self", 1, "unknown command 'annonce', expected one of:"),
    ("announce", 9, "missing what to announce"),
    ("announce rout 10.0.0.0/8", 10, "unknown announce command 'rout'"),
    ("announce route", 15, "missing prefix"),
    ("announce route 10.0.0.0/8", 26, "has no next-hop"),
    ("announce route 10.0.0.0/33 next-hop self", 16, "invalid prefix length"),
    ("announce route 10.0.0.256/8 next-hop self", 16, "invalid prefix '10.0.0.256/8'"),
    ("announce route 10.0.0.0/x next-hop self", 16, "invalid prefix length"),
    ("announce route 2001:db8::/129 next-hop self", 16, "expected 0..128"),
    ("announce route 10.0.0.0/8 next-hop 1.2.3", 36, "invalid next-hop '1.2.3'"),
    ("announce route 10.0.0.0/8 next-hop", 35, "missing next-hop address or 'self'"),
    ("announce route 10.0.0.0/8 next-hop self origin bgp", 48, "invalid origin 'bgp'"),
    ("announce route 10.0.0.0/8 next-hop self med -1", 45, "invalid med '-1'"),
    ("announce route 10.0.0.0/8 next-hop self med 4294967296", 45, "med 4294967296 out of"),
    ("announce route 10.0.0.0/8 next-hop self as-path [ 1 0 ]", 53, "AS number in as-path 0"),
    ("announce route 10.0.0.0/8 next-hop self as-path [ 1 2", 54, "missing ']'"),
    ("announce route 10.0.0.0/8 next-hop self community [ 65536:1 ]", 53,
     "invalid community '65536:1'"),
    ("announce route 10.0.0.0/8 next-hop self community no-such", 51,
     "invalid community 'no-such'"),
    ("announce route 10.0.0.0/8 next-hop self bgp-prefix-sid [ 1 ]", 41,
     "unknown route attribute 'bgp-prefix-sid', expected one of: next-hop"),
    ("announce ipv4 unicast 2001:db8::/32 next-hop self", 23, "is not ipv4 unicast"),
    ("announce ipv4 flow 10.0.0.0/8", 20, "unknown flow keyword '10.0.0.0/8'"),
    ("announce ipv4 multicast 2001:db8::/32 next-hop self", 25, "is not ipv4 multicast"),
    ("announce route 10.0.0.0/8 next-hop self as-path [ 1 ( 2 ( 3 ) ) ]", 57,
     "unexpected '(' inside an AS set"),
    ("announce route 10.0.0.0/8 next-hop self as-path [ 1 ( 2 ]", 57,
     "unexpected ']' inside an AS set"),
    ("announce route 10.0.0.0/8 next-hop self extended-community target:1", 60,
     "invalid extended community 'target:1'"),
    ("announce route 10.0.0.0/8 next-hop self large-community 1:2", 57,
     "invalid large community '1:2'"),
    ("announce route 10.0.0.0/8 next-hop self aggregator ( 1:1.2.3 )", 54, "invalid aggregator"),
    ("announce route 10.0.0.0/8 next-hop self label [ 1048576 ]", 49, "label 1048576 out of"),
    ("announce route 10.0.0.0/8 next-hop self rd 1.2.3:4", 44, "invalid route distinguisher"),
    ("announce route 10.0.0.0/8 next-hop self split /7", 47, "does not fit 10.0.0.0/8"),
    ("announce route 10.0.0.0/8 next-hop self split /30", 47, "more than 65536 routes"),
    ("announce route 10.0.0.0/8 next-hop self attribute [ 0x20 0xc0 0xabc ]", 63,
     "invalid attribute payload"),
    ("announce flow route { match { destination 10.0.0.0/8; } then { discard; }", 74,
     "missing '}'"),
    ("announce flow route { match { destination-port ; } }", 48, "missing destination-port"),
    ("announce flow route { then { discard; } }", 42, "has no match component"),
    ("announce flow route destination 10.0.0.0/8 rate-limit fast", 55, "invalid rate-limit"),
    ("announce flow route destination 10.0.0.0/8 action jump", 51, "invalid action 'jump'"),
    ("announce flow route destination 10.0.0.0/8 port =8$0", 49, "invalid port value"),
    ("announce vpls endpoint 5 base 10702 offset 1 size 8 next-hop self", 66, "has no rd"),
    ("announce watchdog", 18, "missing watchdog name"),
    ("announce operational adm afi ipv4", 34, "has no 'afi AFI safi SAFI'"),
    ("announce operational xyz afi ipv4 safi unicast", 22, "unknown operational message"),
    ("show", 5, "expected 'neighbor' or 'adj-rib'"),
    ("show neighbor summary extensive", 15, "expected one of summary"),
    ("show adj-rib sideways", 14, "expected 'in' or 'out'"),
    ("show adj-rib in fast", 17, "unexpected 'fast'"),
    ("flush adj-rib in", 15, "only the adj-rib out"),
    ("clear adj-rib", 14, "expected 'in' or 'out'"),
    ("neighbor 10.0.0.1 reload", 1, "'reload' takes no neighbor selector"),
    ("announce l2vpn vpls 10.0.0.0/8", 21, "unknown vpls keyword '10.0.0.0/8'"),
    ("announce l2vpn evpn", 20, "missing EVPN route type"),
    ("announce attributes next-hop self nlri", 39, "missing prefix after 'nlri'"),
    ("announce attributes next-hop self 10.0.0.0/8", 35, "unknown route attribute"),
    ("announce attributes med 1 nlri 10.0.0.0/8", 27, "has no next-hop"),
    ("announce attributes next-hop self nlri 10.0.0.0/8 bad", 51, "invalid prefix 'bad'"),
    ("withdraw attribute nlri 10.0.0.0/8", 10, "unknown withdraw command 'attribute'"),
    ("announce eor ipv4", 18, "missing SAFI"),
    ("announce eor ipv4 bogus", 14, "unknown address family 'ipv4 bogus'"),
    ("announce eor ipv4 unicast now", 27, "unexpected 'now', expected end of line"),
    ("announce route-refresh", 23, "missing address family"),
    ("teardown", 9, "missing Cease subcode"),
    ("teardown x", 10, "invalid Cease subcode 'x'"),
    ("teardown 256", 10, "Cease subcode 256 out of range"),
    ("shutdown now", 10, "unexpected 'now'"),
    ("neighbor 10.0.0.1 shutdown", 1, "'shutdown' takes no neighbor selector"),
    ("neighbor", 9, "missing neighbor address"),
    ("neighbor 10.0.0.300 announce eor", 10, "invalid neighbor address"),
    ("neighbor 10.0.0.1", 18, "missing command after the neighbor selector"),
    ("neighbor 10.0.0.1 local-as", 27, "missing value after 'local-as'"),
    ("neighbor 10.0.0.1 local-as 0 announce eor", 28, "local-as 0 out of range"),
    ("neighbor 10.0.0.1 router-id ::1 announce eor", 29, "expected an IPv4 address"),
    ("neighbor 10.0.0.1 family-allowed ipv4-bogus announce eor", 34,
     "invalid family-allowed 'ipv4-bogus'"),
    ("neighbor 10.0.0.1, announce eor", 20, "expected 'neighbor' after ','"),
]


@pytest.mark.parametrize("line, column, fragment", GARBAGE, ids=[g[0] or "empty" for g in GARBAGE])
def test_garbage(line: str, column: int, fragment: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_command(line)
    assert fragment in info.value.message
    assert info.value.column == column, info.value.message


def neighbor(peer: str, local: str = "192.0.2.254", local_as: int = 65000,
             peer_as: int = 65001, router_id: str = "1.1.1.1") -> Neighbor:
    return Neighbor(peer, local, router_id, local_as, peer_as)


A = neighbor("10.0.0.1")
B = neighbor("10.0.0.2", peer_as=65002)
C6 = neighbor("2001:db8::1", local="2001:db8::2")
ALL = [A, B, C6]

# (selector text before "announce eor", the neighbors of ALL it selects)
SELECTIONS = [
    ("", [A, B, C6]),
    ("neighbor 10.0.0.1", [A]),
    ("neighbor 2001:db8:0::1", [C6]),
    ("neighbor 10.0.0.9", []),
    ("neighbor 10.0.0.1 peer-as 65001", [A]),
    ("neighbor 10.0.0.1 peer-as 65002", []),  # AND within a selector
    ("neighbor 10.0.0.2 local-ip 192.0.2.254 local-as 65000 router-id 1.1.1.1", [B]),
    ("neighbor 10.0.0.2 local-ip 192.0.2.253", []),
    ("neighbor 10.0.0.2 router-id 9.9.9.9", []),
    ("neighbor 10.0.0.2 local-as 1", []),
    ("neighbor 10.0.0.1 , neighbor 10.0.0.2", [A, B]),  # OR across selectors
    ("neighbor 10.0.0.1 peer-as 9, neighbor 10.0.0.2", [B]),
    ("neighbor *", [A, B, C6]),
    ("neighbor * peer-as 65002", [A, B, C6]),  # 4.2: the star short-circuits
    ("neighbor 10.0.0.9, neighbor *", [A, B, C6]),
    ("neighbor 10.0.0.1 family-allowed in-open", [A]),
    ("neighbor 10.0.0.1 family-allowed ipv4-unicast", []),  # no multi-session
]


@pytest.mark.parametrize("text, expected", SELECTIONS)
def test_selection(text: str, expected: list) -> None:
    selectors = parse_command(f"{text} announce eor").selectors
    assert matching(selectors, ALL) == expected
    assert [selects(selectors, n) for n in ALL] == [n in expected for n in ALL]


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_gives_a_command_or_command_error(line: str) -> None:
    try:
        result = parse_command(line)
    except CommandError as error:
        assert error.column >= 1
    else:
        assert isinstance(result, Command)


WORDS = st.sampled_from([
    "announce", "withdraw", "route", "attributes", "nlri", "eor", "route-refresh", "ipv4",
    "ipv6", "unicast", "flow", "neighbor", "*", ",", "[", "]", "(", "local-ip", "local-as",
    "peer-as", "router-id", "next-hop", "self", "origin", "igp", "as-path", "med",
    "local-preference", "community", "no-export", "65000:1", "0x10", "1", "0", "1.10",
    "4294967296", "10.0.0.0/8", "10.0.0.1", "2001:db8::/32", "::1", "/", "/33", "teardown",
    "shutdown", "version", "help", "#", "\t", "\u00b2", "\x00", "{", "}", ";", "match",
    "then", "source", "destination", "port", "=80", "discard", "rate-limit", "redirect",
    "vpls", "endpoint", "base", "offset", "size", "rd", "65000:1", "label", "split", "/26",
    "watchdog", "operational", "adm", "afi", "safi", "advisory", "show", "adj-rib", "in",
    "out", "json", "extensive", "flush", "clear", "family-allowed", "in-open", "aggregator",
    ")", "extended-community", "target:1:1", "large-community", "1:2:3", "attribute",
    "0x20", "0xc0", "0xab", "path-information",
])


@settings(max_examples=1000, deadline=None)
@given(st.lists(WORDS, max_size=14))
def test_near_miss_commands_give_a_command_or_command_error(words: list[str]) -> None:
    line = " ".join(words)
    try:
        result = parse_command(line)
    except CommandError as error:
        assert 1 <= error.column <= len(line) + 1
    else:
        assert isinstance(result, Command)
