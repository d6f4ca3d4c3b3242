"""Topology: unique neighbor names, stable group assignment, topology.json."""

from __future__ import annotations

import json
import zlib

from hypothesis import given
from hypothesis import strategies as st

from bgpmesh.config.model import Api, Config, Neighbor
from bgpmesh.topology import NeighborRef, assign_groups, build, dumps, loads, neighbor_names


def neighbor(peer: str, local: str | None = None, group: str | None = None,
             apis: tuple[Api, ...] = ()) -> Neighbor:
    return Neighbor(peer, local, "192.0.2.254", 65000, 65001, group=group, apis=apis)


# -- names ------------------------------------------------------------------------


def test_names_are_addresses_when_unique():
    ns = [neighbor("10.0.0.1", "10.0.0.254"), neighbor("10.0.0.2"), neighbor("2001:db8::1")]
    assert neighbor_names(ns) == ["10.0.0.1", "10.0.0.2", "2001:db8::1"]


def test_shared_address_gets_local_suffix():
    ns = [neighbor("10.0.0.1", "10.0.0.254"), neighbor("10.0.0.2"),
          neighbor("10.0.0.1", "10.0.1.254")]
    assert neighbor_names(ns) == ["10.0.0.1%10.0.0.254", "10.0.0.2", "10.0.0.1%10.0.1.254"]


def test_shared_address_one_without_local():
    ns = [neighbor("10.0.0.1"), neighbor("10.0.0.1", "10.0.0.254")]
    names = neighbor_names(ns)
    assert names[1] == "10.0.0.1%10.0.0.254"
    assert len(set(names)) == 2


addresses = st.sampled_from(["10.0.0.1", "10.0.0.10", "10.0.0.100", "2001:db8::1"])
locals_ = st.sampled_from([None, "10.0.0.254", "10.0.1.254", "2001:db8::fe"])
keys = st.lists(st.tuples(addresses, locals_), unique=True, max_size=12)


@given(keys)
def test_names_unique_for_unique_keys(pairs):
    # the configuration parser rejects two neighbors with one (peer, local) key
    ns = [neighbor(peer, local) for peer, local in pairs]
    names = neighbor_names(ns)
    assert len(names) == len(ns)
    assert len(set(names)) == len(names)
    for n, name in zip(ns, names, strict=True):
        assert name.split("%")[0] == n.peer_address


# -- groups -----------------------------------------------------------------------


def test_explicit_group_is_kept():
    ns = [neighbor("10.0.0.1", group="edge"), neighbor("10.0.0.2", group="core")]
    assert assign_groups(ns, 4) == ["edge", "core"]


def test_auto_group_is_crc32_of_address_and_local():
    n = neighbor("10.0.0.1", "10.0.0.254")
    slot = zlib.crc32(b"10.0.0.1|10.0.0.254") % 7
    assert assign_groups([n], 7) == [f"auto-{slot}"]
    assert assign_groups([neighbor("10.0.0.1")], 7) == [f"auto-{zlib.crc32(b'10.0.0.1|None') % 7}"]


def test_auto_groups_known_values():
    # literal values: if these change, every auto-placed session moves on upgrade
    ns = [neighbor(f"10.0.0.{i}") for i in range(1, 6)]
    assert assign_groups(ns, 4) == ["auto-3", "auto-1", "auto-0", "auto-0", "auto-1"]


def test_no_workers_means_one_group():
    ns = [neighbor("10.0.0.1"), neighbor("10.0.0.2", "10.0.0.254")]
    assert assign_groups(ns, 0) == ["auto-0", "auto-0"]
    assert assign_groups(ns, -3) == ["auto-0", "auto-0"]
    assert assign_groups(ns, 1) == ["auto-0", "auto-0"]


def test_mixed_explicit_and_auto():
    ns = [neighbor("10.0.0.1", group="rr"), neighbor("10.0.0.2")]
    groups = assign_groups(ns, 3)
    assert groups[0] == "rr"
    assert groups[1].startswith("auto-")


@given(keys, st.integers(1, 16))
def test_assignment_is_stable_and_independent_of_order(pairs, workers):
    ns = [neighbor(peer, local) for peer, local in pairs]
    groups = assign_groups(ns, workers)
    assert groups == assign_groups(ns, workers)
    assert assign_groups(ns[::-1], workers) == groups[::-1]
    assert all(0 <= int(g.removeprefix("auto-")) < workers for g in groups)


# -- build, dumps / loads ------------------------------------------------------------


def test_build():
    api = Api(None, ("watcher", "announcer"))
    config = Config(neighbors=(
        neighbor("10.0.0.1", "10.0.0.254", group="edge",
                 apis=(api, Api(None, ("announcer", "other")))),
        neighbor("10.0.0.1", "10.0.1.254", group="edge"),
    ))
    refs = build(config, 4)
    assert refs == [
        NeighborRef("10.0.0.1%10.0.0.254", "edge", "10.0.0.1", "10.0.0.254", 65000, 65001,
                    "192.0.2.254", ("watcher", "announcer", "other"),
                    ("ipv4 unicast", "ipv6 unicast")),
        NeighborRef("10.0.0.1%10.0.1.254", "edge", "10.0.0.1", "10.0.1.254", 65000, 65001,
                    "192.0.2.254", (), ("ipv4 unicast", "ipv6 unicast")),
    ]


REFS = [
    NeighborRef("10.0.0.1", "auto-0", "10.0.0.1", None, 65000, 65001, "192.0.2.254"),
    NeighborRef("2001:db8::1%2001:db8::fe", "edge", "2001:db8::1", "2001:db8::fe", 4200000000,
                65001, "192.0.2.254", ("watcher", "announcer"), ("ipv6 unicast", "ipv6 mup")),
]


def test_dumps_loads_round_trip():
    text = dumps(REFS, pid=1234, workers=["auto-0", "edge"])
    refs, extra = loads(text)
    assert refs == REFS
    assert isinstance(refs[1].processes, tuple) and isinstance(refs[1].families, tuple)
    assert extra == {"pid": 1234, "workers": ["auto-0", "edge"]}


def test_dumps_is_plain_json():
    data = json.loads(dumps(REFS[:1]))
    assert data == {"neighbors": [{
        "name": "10.0.0.1", "group": "auto-0", "peer_address": "10.0.0.1",
        "local_address": None, "local_as": 65000, "peer_as": 65001,
        "router_id": "192.0.2.254", "processes": [], "families": []}]}
    assert loads(dumps([])) == ([], {})


refs = st.builds(
    NeighborRef,
    name=st.text(max_size=10),
    group=st.text(max_size=10),
    peer_address=st.text(max_size=10),
    local_address=st.none() | st.text(max_size=10),
    local_as=st.integers(0, 2**32 - 1),
    peer_as=st.integers(0, 2**32 - 1),
    router_id=st.text(max_size=10),
    processes=st.lists(st.text(max_size=5), max_size=3).map(tuple),
)


@given(st.lists(refs, max_size=5))
def test_dumps_loads_round_trip_any(items):
    assert loads(dumps(items)) == (items, {})
