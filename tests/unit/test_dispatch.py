"""plan(): a parsed command -> one command frame per worker group it reaches."""

from __future__ import annotations

import pytest

from bgpmesh import bus
from bgpmesh.api.commands import parse_command
from bgpmesh.api.dispatch import plan
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST
from bgpmesh.route import Attributes, Route
from bgpmesh.topology import NeighborRef


def ref(name: str, group: str, peer: str | None = None, local: str | None = None,
        local_as: int = 65000, peer_as: int = 65001, router_id: str = "192.0.2.254"):
    return NeighborRef(name, group, peer or name, local, local_as, peer_as, router_id)


A1 = ref("10.0.0.1", "auto-0")
A2 = ref("10.0.0.2", "auto-1", peer_as=65002)
A3 = ref("10.0.0.3", "auto-0", router_id="192.0.2.253")
B1 = ref("10.0.0.4%10.0.1.254", "edge", "10.0.0.4", "10.0.1.254")
B2 = ref("10.0.0.4%10.0.2.254", "edge", "10.0.0.4", "10.0.2.254", local_as=65100)
ALL = [A1, A2, A3, B1, B2]


def frames_by_group(result) -> dict[bytes, dict]:
    out = {}
    for frames in result.frames:
        topic, payload = bus.unpack(frames)
        assert topic not in out, "one frame per group"
        out[topic] = payload
    return out


def test_no_selector_reaches_every_group_once():
    result = plan(parse_command("announce route 10.0.0.0/24 next-hop 192.0.2.1 med 5"),
                  ALL, "cli-1", 7)
    assert result.error == ""
    assert not result.local
    assert result.groups == {"auto-0", "auto-1", "edge"}
    frames = frames_by_group(result)
    assert set(frames) == {b"w/auto-0|", b"w/auto-1|", b"w/edge|"}
    assert frames[b"w/auto-0|"] == {
        "v": bus.VERSION, "kind": "command", "id": ["cli-1", 7], "op": "announce",
        "neighbors": ["10.0.0.1", "10.0.0.3"],
        "routes": [[1, 1, "10.0.0.0/24", "192.0.2.1",
                    *bus.attributes_to_wire(Attributes(med=5))]],
        "family": None, "arg": None, "text": "",
    }
    assert frames[b"w/auto-1|"]["neighbors"] == ["10.0.0.2"]
    assert frames[b"w/edge|"]["neighbors"] == ["10.0.0.4%10.0.1.254", "10.0.0.4%10.0.2.254"]


def test_routes_decode_back():
    command = parse_command("announce attributes next-hop 192.0.2.1 local-preference 200 "
                            "nlri 10.0.0.0/24 10.0.1.0/24")
    result = plan(command, [A1], "p", 1)
    (payload,) = frames_by_group(result).values()
    cache: dict = {}
    routes = tuple(bus.route_from_wire(w, cache) for w in payload["routes"])
    assert routes == command.routes
    assert routes == (
        Route(IPV4_UNICAST, "10.0.0.0/24", "192.0.2.1", Attributes(local_pref=200)),
        Route(IPV4_UNICAST, "10.0.1.0/24", "192.0.2.1", Attributes(local_pref=200)),
    )
    assert routes[0].attributes is routes[1].attributes


def test_selector_by_address():
    result = plan(parse_command("neighbor 10.0.0.2 withdraw route 10.0.0.0/24"), ALL, "p", 1)
    assert result.groups == {"auto-1"}
    (payload,) = frames_by_group(result).values()
    assert payload["op"] == "withdraw"
    assert payload["neighbors"] == ["10.0.0.2"]
    assert payload["routes"] == [bus.withdrawal_to_wire(1, 1, "10.0.0.0/24")]


def test_selector_shared_address_with_qualifier():
    result = plan(parse_command("neighbor 10.0.0.4 local-as 65100 teardown 2"), ALL, "p", 1)
    assert result.groups == {"edge"}
    (payload,) = frames_by_group(result).values()
    assert payload["neighbors"] == ["10.0.0.4%10.0.2.254"]
    assert payload["op"] == "teardown"
    assert payload["arg"] == 2
    assert payload["routes"] == []


def test_selector_shared_address_both():
    result = plan(parse_command("neighbor 10.0.0.4 teardown 0"), ALL, "p", 1)
    (payload,) = frames_by_group(result).values()
    assert payload["neighbors"] == ["10.0.0.4%10.0.1.254", "10.0.0.4%10.0.2.254"]


def test_selectors_ored_across_groups():
    line = ("neighbor 10.0.0.3 router-id 192.0.2.253 , neighbor 10.0.0.2 peer-as 65002 , "
            "neighbor 10.0.0.4 local-ip 10.0.1.254 announce route 10.9.0.0/16 next-hop self")
    result = plan(parse_command(line), ALL, "p", 3)
    frames = frames_by_group(result)
    assert result.groups == {"auto-0", "auto-1", "edge"}
    assert frames[b"w/auto-0|"]["neighbors"] == ["10.0.0.3"]
    assert frames[b"w/auto-1|"]["neighbors"] == ["10.0.0.2"]
    assert frames[b"w/edge|"]["neighbors"] == ["10.0.0.4%10.0.1.254"]


def test_star_selects_all():
    result = plan(parse_command("neighbor * teardown 2"), ALL, "p", 1)
    assert result.groups == {"auto-0", "auto-1", "edge"}
    assert len(result.frames) == 3


def test_candidates_limit_the_match():
    # a script only reaches the neighbors whose api lists it
    result = plan(parse_command("neighbor * announce eor"), [A2, B1], "p", 1)
    assert result.groups == {"auto-1", "edge"}
    result = plan(parse_command("neighbor 10.0.0.1 announce eor"), [A2, B1], "p", 1)
    assert result.frames == []
    assert result.error == "no neighbor matches the command"


@pytest.mark.parametrize("line", [
    "neighbor 10.0.0.9 teardown 2",  # unknown address
    "neighbor 10.0.0.1 peer-as 65009 teardown 2",  # qualifier fails
    "neighbor 10.0.0.4 local-ip 10.0.3.254 teardown 2",
])
def test_nothing_matches_is_an_error(line):
    result = plan(parse_command(line), ALL, "p", 1)
    assert result.error == "no neighbor matches the command"
    assert result.frames == []
    assert result.groups == set()
    assert not result.local


def test_no_candidates_is_an_error():
    result = plan(parse_command("announce route 10.0.0.0/24 next-hop self"), [], "p", 1)
    assert result.error == "no neighbor matches the command"
    assert result.frames == []


@pytest.mark.parametrize("line, family", [
    ("announce eor", [1, 1]),
    ("announce eor ipv6 unicast", [2, 1]),
    ("announce route-refresh ipv6 unicast", [2, 1]),
    ("announce route-refresh ipv4 unicast", [1, 1]),
])
def test_family_commands(line, family):
    result = plan(parse_command(line), [A1], "p", 1)
    (payload,) = frames_by_group(result).values()
    assert payload["family"] == family
    assert payload["op"] == line.split()[1]
    assert payload["routes"] == []


def test_ipv6_route():
    result = plan(parse_command("announce route 2001:db8::/32 next-hop 2001:db8::1"),
                  [A1], "p", 1)
    (payload,) = frames_by_group(result).values()
    route = bus.route_from_wire(payload["routes"][0])
    assert route == Route(IPV6_UNICAST, "2001:db8::/32", "2001:db8::1")
    assert payload["family"] is None


@pytest.mark.parametrize("line", ["shutdown", "version", "help", "# a comment"])
def test_daemon_commands_are_local(line):
    result = plan(parse_command(line), ALL, "p", 1)
    assert result.local
    assert result.frames == []
    assert result.groups == set()
    assert result.error == ""


def test_local_even_without_candidates():
    assert plan(parse_command("version"), [], "p", 1).local


def test_id_carries_publisher_and_seq():
    result = plan(parse_command("teardown 3"), ALL, "bridge-announcer", -5)
    for payload in frames_by_group(result).values():
        assert payload["id"] == ["bridge-announcer", -5]


@pytest.mark.parametrize("line, reason", [
    ("announce route 10.0.0.0/24 rd 65000:1 next-hop 192.0.2.1", "needs a label"),
    ("announce flow route { match { destination 2001:db8::/32; } then "
     "{ redirect-to-nexthop-ietf 2001:db8::1; } }", "not supported"),
])
def test_routes_this_version_cannot_announce_are_refused_not_stripped(line, reason):
    refs = [NeighborRef("10.0.0.1", "auto-0", "10.0.0.1", None, 65001, 65002, "10.0.0.254")]
    result = plan(parse_command(line), refs, "cli-1", 1)
    assert not result.frames and reason in result.error


def test_operational_command_reaches_the_workers():
    result = plan(parse_command('announce operational adm afi ipv4 safi unicast advisory "a b"'),
                  [A1], "p", 1)
    (payload,) = frames_by_group(result).values()
    assert payload["op"] == "operational"
    assert payload["routes"] == [["adm", 1, 1, [["advisory", "a b"]]]]


def test_a_family_a_neighbor_is_not_configured_for_is_refused_for_it():
    # RFC 4760: a route goes only where its family can be negotiated
    v4 = NeighborRef("10.0.0.1", "auto-0", "10.0.0.1", None, 65000, 65001, "192.0.2.254",
                     (), ("ipv4 unicast",))
    mup = NeighborRef("10.0.0.2", "auto-0", "10.0.0.2", None, 65000, 65002, "192.0.2.254",
                      (), ("ipv4 unicast", "ipv4 mup"))
    line = "announce ipv4 mup mup-isd 10.0.0.0/24 rd 1:1 next-hop 192.0.2.1"
    # only the neighbor configured for it gets the route
    (payload,) = frames_by_group(plan(parse_command(line), [v4, mup], "p", 1)).values()
    assert payload["neighbors"] == ["10.0.0.2"]
    # none is: the command is refused, naming the families
    result = plan(parse_command(line), [v4], "p", 2)
    assert result.error == ("ipv4 mup mup-isd 10.0.0.0/24 rd 1:1: no selected neighbor is "
                            "configured for ipv4 mup (their families: 10.0.0.1: ipv4 unicast)")
    assert not result.frames
    withdraw = plan(parse_command("neighbor 10.0.0.1 withdraw route 2001:db8::/32"),
                    [v4, mup], "p", 3)
    assert "no selected neighbor is configured for ipv6 unicast" in withdraw.error
    # families not known (an older topology.json): the worker is left to decide
    assert plan(parse_command(line), [A1], "p", 4).error == ""
    # commands without routes are not concerned
    assert plan(parse_command("announce eor ipv4 mup"), [v4], "p", 5).error == ""
