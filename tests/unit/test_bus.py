"""Bus frames: topics, pack/unpack, and routes on the wire.

A frame off the bus is untrusted: ``unpack`` gives a payload or a
``FrameError``, nothing else, whatever the bytes.  Routes survive
``route_to_wire`` -> msgpack -> ``route_from_wire`` unchanged, and a decoder's
cache makes routes with equal attribute sets share one ``Attributes``.
"""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpmesh import bus
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpmesh.route import NO_ATTRIBUTES, Attributes, Route

# -- topics -------------------------------------------------------------------


def test_topics():
    assert bus.worker_topic("auto-0") == b"w/auto-0|"
    assert bus.ack_topic("cli-1") == b"ack/cli-1|"
    assert bus.event_topic("update", "10.0.0.1") == b"ev/update/10.0.0.1|"
    assert bus.system_topic("topology") == b"sys/topology|"
    assert bus.TOPIC_SUPERVISOR == b"sup|"
    assert bus.TOPIC_BROADCAST == b"w/*|"


def test_topic_terminator_stops_prefix_collisions():
    # ZeroMQ filters by prefix: without the '|' one neighbor's subscription
    # would also receive the events of 10.0.0.10, 10.0.0.100, ...
    short = bus.event_topic("state", "10.0.0.1")
    assert not bus.event_topic("state", "10.0.0.10").startswith(short)
    assert not bus.worker_topic("g10").startswith(bus.worker_topic("g1"))
    assert bus.event_topic("state", "10.0.0.1").startswith(b"ev/state/")


# -- pack / unpack --------------------------------------------------------------


def test_pack_unpack_round_trip():
    frames = bus.pack(bus.worker_topic("g"), "command", id=["cli", 7], op="announce",
                      neighbors=["10.0.0.1"], routes=[], family=None, arg=None, text="")
    assert len(frames) == 2
    assert frames[0] == b"w/g|"
    topic, payload = bus.unpack(frames)
    assert topic == b"w/g|"
    assert payload == {"v": bus.VERSION, "kind": "command", "id": ["cli", 7],
                       "op": "announce", "neighbors": ["10.0.0.1"], "routes": [],
                       "family": None, "arg": None, "text": ""}


def test_pack_sets_version_and_kind_over_fields():
    _, payload = bus.unpack(bus.pack(b"t|", "ping", v=99, id=["x", 1]))
    assert payload["v"] == bus.VERSION
    assert payload["kind"] == "ping"


@pytest.mark.parametrize("frames", [
    [],
    [b"t|"],
    [b"t|", msgpack.packb({"v": 1, "kind": "x"}), b""],
])
def test_unpack_wrong_frame_count(frames):
    with pytest.raises(bus.FrameError, match="expected 2 frames"):
        bus.unpack(frames)


@pytest.mark.parametrize("payload", [
    b"",  # nothing
    b"\xc1",  # never-used msgpack byte
    b"\x92\x01",  # array of 2 with 1 element: truncated
    msgpack.packb({"v": 1, "kind": "x"}) + b"\x00",  # trailing bytes
    b"\xa2\xff\xfe",  # str that is not UTF-8
])
def test_unpack_not_msgpack(payload):
    with pytest.raises(bus.FrameError, match="not msgpack"):
        bus.unpack([b"t|", payload])


@pytest.mark.parametrize("value", [
    [1, "command"],  # not a map
    "command",
    None,
    {"kind": "command"},  # no version
    {"v": 2, "kind": "command"},  # another schema version
    {"v": 1},  # no kind
])
def test_unpack_not_ours(value):
    with pytest.raises(bus.FrameError, match="v/kind"):
        bus.unpack([b"t|", msgpack.packb(value)])


@given(st.lists(st.binary(max_size=64), max_size=4))
def test_unpack_any_bytes_gives_payload_or_frame_error(frames):
    try:
        topic, payload = bus.unpack(frames)
    except bus.FrameError:
        return
    assert topic == frames[0]
    assert isinstance(payload, dict)
    assert payload["v"] == bus.VERSION
    assert "kind" in payload


@given(st.binary(max_size=64))
def test_unpack_any_payload_bytes_gives_payload_or_frame_error(data):
    # One topic, any payload: reaches the msgpack decoder every time.
    try:
        bus.unpack([b"t|", data])
    except bus.FrameError:
        pass


@given(st.binary(max_size=32))
def test_unpack_msgpack_prefix_then_garbage(tail):
    frame = msgpack.packb({"v": 1, "kind": "x", "b": 1})
    try:
        _, payload = bus.unpack([b"t|", frame[:-1] + tail])
    except bus.FrameError:
        return
    assert payload["v"] == 1


# -- routes ----------------------------------------------------------------------

ROUTE = Route(IPV4_UNICAST, "10.0.0.0/24", "192.0.2.1",
              Attributes(origin=0, as_path=(65001, 65002), med=10, local_pref=200,
                         communities=((65000 << 16) | 1,)))


def test_route_to_wire_is_a_flat_list():
    # every Attributes field, in order, after the next hop (see the bus docstring)
    assert bus.route_to_wire(ROUTE) == [
        1, 1, "10.0.0.0/24", "192.0.2.1", 0, [65001, 65002], 10, 200, [(65000 << 16) | 1],
        None, [], [], None, [], None, False, None, [],
    ]


def test_route_to_wire_absent_values_are_nil():
    route = Route(IPV6_UNICAST, "2001:db8::/32")
    assert bus.route_to_wire(route) == bus.withdrawal_to_wire(2, 1, "2001:db8::/32")


def test_route_wire_keeps_empty_as_path_apart_from_absent():
    # () is "send an empty AS_PATH", None is "the session default": not the same.
    empty = Route(IPV4_UNICAST, "10.0.0.0/8", "self", Attributes(as_path=()))
    wire = bus.route_to_wire(empty)
    assert wire[5] == []
    assert bus.route_from_wire(wire) == empty
    assert bus.route_from_wire(bus.route_to_wire(Route(IPV4_UNICAST, "10.0.0.0/8"))) == Route(
        IPV4_UNICAST, "10.0.0.0/8")


def test_route_from_wire_after_msgpack():
    wire = msgpack.unpackb(msgpack.packb([bus.route_to_wire(ROUTE)]), raw=False)
    route = bus.route_from_wire(wire[0])
    assert route == ROUTE
    assert type(route.family) is Family
    assert route.attributes.as_path == (65001, 65002)
    assert isinstance(route.attributes.communities, tuple)


def test_route_from_wire_cache_shares_attributes():
    other = Route(IPV4_UNICAST, "10.0.1.0/24", "192.0.2.2", ROUTE.attributes)
    different = Route(IPV4_UNICAST, "10.0.2.0/24", "192.0.2.1", Attributes(med=11))
    cache: dict = {}
    a, b, c = (bus.route_from_wire(bus.route_to_wire(r), cache) for r in (ROUTE, other, different))
    assert (a, b, c) == (ROUTE, other, different)
    assert a.attributes is b.attributes
    assert c.attributes is not a.attributes
    assert len(cache) == 2
    # a later frame decoded with the same cache reuses the same object
    again = bus.route_from_wire(bus.route_to_wire(ROUTE), cache)
    assert again.attributes is a.attributes


def test_route_from_wire_without_cache_builds_new_attributes():
    a = bus.route_from_wire(bus.route_to_wire(ROUTE))
    b = bus.route_from_wire(bus.route_to_wire(ROUTE))
    assert a == b
    assert a.attributes is not b.attributes


def test_route_from_wire_cache_tells_empty_as_path_from_none():
    cache: dict = {}
    tail = bus.EMPTY_ATTRIBUTES[5:]
    none = bus.route_from_wire([1, 1, "10.0.0.0/8", "self", None, None, None, None, [], *tail],
                               cache)
    empty = bus.route_from_wire([1, 1, "10.0.0.0/8", "self", None, [], None, None, [], *tail],
                                cache)
    assert none.attributes == NO_ATTRIBUTES
    assert empty.attributes.as_path == ()
    assert len(cache) == 2


u32 = st.integers(0, 2**32 - 1)
optional_u32 = st.none() | u32
attributes = st.builds(
    Attributes,
    origin=st.none() | st.integers(0, 2),
    as_path=st.none() | st.lists(u32, max_size=6).map(tuple),
    med=optional_u32,
    local_pref=optional_u32,
    communities=st.lists(u32, max_size=6).map(tuple),
)
routes = st.builds(
    Route,
    family=st.builds(Family, st.integers(0, 2**16 - 1), st.integers(0, 255)),
    prefix=st.text(max_size=20),
    next_hop=st.none() | st.text(max_size=20),
    attributes=attributes,
)


@given(routes)
def test_route_wire_round_trip(route):
    packed = msgpack.packb(bus.route_to_wire(route), use_bin_type=True)
    assert bus.route_from_wire(msgpack.unpackb(packed, raw=False)) == route


@given(st.lists(routes, max_size=8))
def test_route_wire_round_trip_through_a_frame_with_cache(items):
    frames = bus.pack(b"w/g|", "command", routes=[bus.route_to_wire(r) for r in items])
    _, payload = bus.unpack(frames)
    cache: dict = {}
    decoded = [bus.route_from_wire(w, cache) for w in payload["routes"]]
    assert decoded == items
    by_value: dict = {}
    for route in decoded:
        # equal attribute sets are one object
        assert by_value.setdefault(route.attributes, route.attributes) is route.attributes


def test_neighbor_ident():
    assert bus.neighbor_ident("10.0.0.1", None, 65000, 65001) == {
        "peer": "10.0.0.1", "local": None, "local_as": 65000, "peer_as": 65001}


def test_every_attribute_field_crosses_the_bus():
    full = Attributes(
        origin=1, as_path=(1, 2), med=3, local_pref=4, communities=(5,), as_set=(6, 7),
        extended_communities=(0x0002FDE800000001,), large_communities=((1, 2, 3),),
        originator_id="192.0.2.1", cluster_list=("192.0.2.2",), aggregator=(65000, "192.0.2.3"),
        atomic_aggregate=True, aigp=9, generic=((0x63, 0xC0, b"\x01"),))
    route = Route(IPV4_UNICAST, "10.0.0.0/24", "192.0.2.9", full)
    _, payload = bus.unpack(bus.pack(b"t|", "command", routes=[bus.route_to_wire(route)]))
    back = bus.route_from_wire(payload["routes"][0], {})
    assert back == route
    hash(back.attributes)  # still usable as a grouping key
