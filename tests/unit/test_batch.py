"""Route commands in ``batch`` frames: the bridge folds them, the worker and the
supervisor read them, and every command still gets exactly one done/error in order."""

from __future__ import annotations

import collections
import types

from bgpmesh import bus
from bgpmesh.api.commands import parse_command
from bgpmesh.family import IPV4_UNICAST
from bgpmesh.route import Attributes
from bgpmesh.supervisor.arbiter import Supervisor
from bgpmesh.supervisor.bridge import Bridge
from bgpmesh.topology import NeighborRef
from bgpmesh.workers.rib import AdjRibOut
from bgpmesh.workers.worker import Worker

A = NeighborRef("10.0.0.1", "g0", "10.0.0.1", None, 65000, 65001, "192.0.2.1", ("p",))
B = NeighborRef("10.0.0.2", "g1", "10.0.0.2", None, 65000, 65002, "192.0.2.1", ("p",))


class Pub:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, dict]] = []

    def send_multipart(self, frames) -> None:
        self.sent.append(bus.unpack(frames))


class Flag:
    def set(self) -> None:
        pass


def bridge() -> Bridge:
    process = types.SimpleNamespace(name="p", encoder="json")
    neighbors = [types.SimpleNamespace(apis=[]), types.SimpleNamespace(apis=[])]
    b = Bridge(process, [A, B], neighbors, {}, supervisor_pid=1)
    b.pub = Pub()
    b.out_ready = Flag()
    return b


def lines(*texts: str) -> list[str]:
    return list(texts)


def answers(b: Bridge) -> list[str]:
    """What the program will read, a run's copies (write_many) spelled out."""
    out = []
    for item in b.out:
        out.extend([item[0]] * item[1] if type(item) is tuple else [item])
    return out


def test_consecutive_routes_travel_as_one_batch_per_group_in_order():
    b = bridge()
    b.handle_lines(lines(
        "announce route 10.1.0.0/24 next-hop 192.0.2.9 med 5",
        "announce route 10.2.0.0/24 next-hop 192.0.2.9 med 5",
        "neighbor 10.0.0.1 announce route 10.3.0.0/24 next-hop self",
        "announce eor",
        "withdraw route 10.1.0.0/24",
    ))
    kinds = [(topic, msg["kind"], msg.get("seqs") or msg["id"][1]) for topic, msg in b.pub.sent]
    assert kinds == [
        (b"w/g0|", "batch", [1, 2]), (b"w/g1|", "batch", [1, 2]),
        (b"w/g0|", "batch", [3]),
        (b"w/g0|", "command", 4), (b"w/g1|", "command", 4),
        (b"w/g0|", "batch", [5]), (b"w/g1|", "batch", [5]),
    ]
    first = b.pub.sent[0][1]
    assert first["attributes"] == [bus.attributes_to_wire(Attributes(med=5))]  # sent once
    assert (first["family"], first["prefixes"], first["hops"], first["index"],
            first["counts"]) == ([1, 1], ["10.1.0.0/24", "10.2.0.0/24"],
                                 ["192.0.2.9", "192.0.2.9"], [0, 0], None)
    withdrawal = b.pub.sent[-1][1]
    assert (withdrawal["op"], withdrawal["prefixes"], withdrawal["hops"]) == \
        ("withdraw", ["10.1.0.0/24"], [])
    full = list(bus.batch_routes(first))
    assert full == [bus.route_to_wire(parse_command(
        "announce route 10.1.0.0/24 next-hop 192.0.2.9 med 5").routes[0]),
        bus.route_to_wire(parse_command(
            "announce route 10.2.0.0/24 next-hop 192.0.2.9 med 5").routes[0])]


def test_acks_fold_per_command_in_order_with_parse_errors_between():
    b = bridge()
    b.handle_lines(lines(
        "neighbor 10.0.0.1 announce route 10.1.0.0/24 next-hop self",
        "announce nonsense",
        "neighbor 10.0.0.1 announce route 10.2.0.0/24 next-hop self",
        "neighbor 10.0.0.9 announce route 10.3.0.0/24 next-hop self",  # matches nobody
    ))
    assert answers(b) == []  # the first command waits for its worker
    # the parse error never reaches a worker, so it does not split the batch
    batches = [msg for _, msg in b.pub.sent]
    assert [m["seqs"] for m in batches] == [[1, 3]]
    b.on_acks(bus.unpack(bus.acks(b.publisher, [1, 3], "g0", {3: "bad route"}))[1])
    assert answers(b) == ["done", "error", "error", "error"]


def test_a_command_reaching_two_groups_is_done_once_both_ack():
    b = bridge()
    b.handle_lines(lines("announce route 10.1.0.0/24 next-hop self"))
    b.on_acks(bus.unpack(bus.acks(b.publisher, [1], "g1"))[1])
    assert answers(b) == []
    b.on_acks(bus.unpack(bus.acks(b.publisher, [1], "g0"))[1])
    assert answers(b) == ["done"]


class FakePeer:
    def __init__(self) -> None:
        self.rib = AdjRibOut()


def worker() -> Worker:
    w = Worker.__new__(Worker)
    w.group = "g0"
    w.peers = {"10.0.0.1": FakePeer()}
    w.pub = Pub()
    w.dirty = set()
    w.flush_scheduled = True  # no loop here: flushing is not under test
    w.watchdogs = {}
    return w


def test_worker_applies_a_batch_and_answers_with_one_acks_frame():
    b = bridge()
    b.handle_lines(lines(
        "neighbor 10.0.0.1 announce route 10.1.0.0/24 next-hop self community [ 65000:1 ]",
        "neighbor 10.0.0.1 announce route 10.2.0.0/24 next-hop 192.0.2.9",
    ))
    msg = b.pub.sent[0][1]
    msg["prefixes"].append("not a prefix")
    msg["hops"].append(None)
    msg["index"].append(0)
    msg["seqs"].append(99)
    w = worker()
    w.on_batch(msg)
    rib = w.peers["10.0.0.1"].rib
    assert len(rib) == 2
    [(_topic, ack)] = w.pub.sent
    assert (ack["kind"], ack["seqs"], ack["group"], list(ack["errors"])) == \
        ("acks", [1, 2, 99], "g0", [99])
    announce, _ = rib.take_pending()
    next_hops = sorted(next_hop for (_f, next_hop, _a) in announce)
    assert next_hops == ["192.0.2.9", "self"]
    assert all(family == IPV4_UNICAST for (family, _n, _a) in announce)


def test_supervisor_keeps_batched_routes_for_replay():
    b = bridge()
    b.handle_lines(lines(
        "neighbor 10.0.0.1 announce route 10.1.0.0/24 next-hop self med 7",
        "neighbor 10.0.0.1 announce route 10.2.0.0/24 next-hop self",
    ))
    b.handle_lines(lines("neighbor 10.0.0.1 withdraw route 10.1.0.0/24"))
    s = supervisor()
    for _topic, msg in b.pub.sent:
        s.record(msg)
    kept = parse_command("announce route 10.2.0.0/24 next-hop self").routes[0]
    state = s.shadow["10.0.0.1"]
    assert list(state) == ["10.2.0.0/24"]  # unicast: the prefix text names the route
    assert [bus.shadow_route(k, v) for k, v in state.items()] == [bus.route_to_wire(kept)]


def supervisor() -> Supervisor:
    s = Supervisor.__new__(Supervisor)
    s.shadow = {"10.0.0.1": {}}
    s.interned = {}
    s.neighbors_by_name = {"10.0.0.1": (A, types.SimpleNamespace(static=()))}
    return s


def test_the_shadow_shares_attributes_and_values_between_routes_and_batches():
    b = bridge()
    b.handle_lines(lines(*(f"neighbor 10.0.0.1 announce route 10.0.{i}.0/24 next-hop self "
                           "community [ 65000:1 ]" for i in range(3))))
    b.handle_lines(lines("neighbor 10.0.0.1 announce route 10.9.0.0/24 next-hop self "
                         "community [ 65000:1 ]"))
    s = supervisor()
    for _topic, msg in b.pub.sent:
        s.record(msg)
    values = list(s.shadow["10.0.0.1"].values())
    assert len(values) == 4
    assert all(v[1] is values[0][1] for v in values)  # one attribute list
    assert values[0] is values[1] is values[2]  # one value per batch and pair


def test_batches_are_capped():
    b = bridge()
    from bgpmesh.supervisor import bridge as module

    b.handle_lines(lines(*(f"neighbor 10.0.0.1 announce route 10.0.{i % 256}.{i // 256}/32 "
                           "next-hop self" for i in range(module.BATCH_LIMIT + 1))))
    sizes = [len(msg["seqs"]) for _, msg in b.pub.sent]
    assert sizes == [module.BATCH_LIMIT, 1]
    assert isinstance(b.pending, collections.OrderedDict)


def test_a_batched_route_goes_only_to_neighbors_configured_for_its_family():
    v4 = NeighborRef("10.0.0.1", "g0", "10.0.0.1", None, 65000, 65001, "192.0.2.1", ("p",),
                     ("ipv4 unicast",))
    both = NeighborRef("10.0.0.2", "g1", "10.0.0.2", None, 65000, 65002, "192.0.2.1", ("p",),
                       ("ipv4 unicast", "ipv6 unicast"))
    process = types.SimpleNamespace(name="p", encoder="json")
    neighbors = [types.SimpleNamespace(apis=[]), types.SimpleNamespace(apis=[])]
    b = Bridge(process, [v4, both], neighbors, {}, supervisor_pid=1)
    b.pub = Pub()
    b.out_ready = Flag()
    b.handle_lines(lines("announce route 10.1.0.0/24 next-hop 192.0.2.9",
                         "announce route 2001:db8::/32 next-hop 2001:db8::9",
                         "neighbor 10.0.0.1 announce route 2001:db8:1::/48 next-hop 2001:db8::9"))
    sent = [(topic, msg["kind"], msg["neighbors"]) for topic, msg in b.pub.sent]
    assert sent == [(b"w/g0|", "batch", ["10.0.0.1"]), (b"w/g1|", "batch", ["10.0.0.2"]),
                    (b"w/g1|", "batch", ["10.0.0.2"])]
    # the last one reaches no neighbor configured for IPv6: refused, the families
    # named (its answer waits behind the first two, which wait for their workers)
    assert b.pending[3].ok is False
    assert b.pending[3].error == ("2001:db8:1::/48: no selected neighbor is configured for "
                                  "ipv6 unicast (their families: 10.0.0.1: ipv4 unicast)")


def test_a_failed_command_inside_a_run_is_the_only_error():
    b = bridge()
    b.handle_lines(lines(*(f"neighbor 10.0.0.1 announce route 10.0.{i}.0/24 next-hop self"
                           for i in range(5))))
    [(_topic, msg)] = b.pub.sent
    assert msg["seqs"] == [1, 2, 3, 4, 5]
    assert len(b.pending) == 1  # one run waits for them all
    b.on_acks(bus.unpack(bus.acks(b.publisher, msg["seqs"], "g0", {3: "bad route"}))[1])
    assert answers(b) == ["done", "done", "error", "done", "done"]


def test_a_run_of_successes_is_answered_at_once_and_json_acks_too():
    b = bridge()
    b.ack_json = True
    b.handle_lines(lines(*(f"neighbor 10.0.0.1 announce route 10.0.{i}.0/24 next-hop self"
                           for i in range(3))))
    [(_topic, msg)] = b.pub.sent
    b.on_acks(bus.unpack(bus.acks(b.publisher, msg["seqs"], "g0"))[1])
    assert len(b.out) == 1  # one entry in the queue
    assert answers(b) == ['{"answer": "done", "message": ""}'] * 3


def test_commands_of_many_routes_and_of_other_families_batch_in_their_own_frames():
    b = bridge()
    b.handle_lines(lines(
        "neighbor 10.0.0.1 announce route 10.1.0.0/24 next-hop self",
        "neighbor 10.0.0.1 announce attributes next-hop self med 3 nlri 10.2.0.0/24 10.3.0.0/24",
        "neighbor 10.0.0.1 announce route 2001:db8::/32 next-hop 2001:db8::1",
        "neighbor 10.0.0.1 announce route 10.4.0.0/24 next-hop self",
    ))
    frames = [msg for _, msg in b.pub.sent]
    assert [(m["family"], m["seqs"], m["counts"]) for m in frames] == [
        ([1, 1], [1, 2], [1, 2]), ([2, 1], [3], None), ([1, 1], [4], None)]
    assert [r[2] for r in bus.batch_routes(frames[0])] == \
        ["10.1.0.0/24", "10.2.0.0/24", "10.3.0.0/24"]
    assert bus.batch_owners(frames[0]) == [1, 2, 2]
    w = worker()
    for m in frames:
        w.on_batch(m)
    assert len(w.peers["10.0.0.1"].rib) == 5
    assert all(not ack["errors"] for _, ack in w.pub.sent)
    for m in frames:
        b.on_acks(bus.unpack(bus.acks(b.publisher, m["seqs"], "g0"))[1])
    assert answers(b) == ["done"] * 4


def test_silenced_commands_in_a_batch_get_no_answer():
    b = bridge()
    b.ack = False
    b.handle_lines(lines(*(f"neighbor 10.0.0.1 announce route 10.0.{i}.0/24 next-hop self"
                           for i in range(3))))
    [(_topic, msg)] = b.pub.sent
    b.on_acks(bus.unpack(bus.acks(b.publisher, msg["seqs"], "g0"))[1])
    assert answers(b) == []
    assert not b.pending and not b.silent


def test_a_worker_keeps_one_value_per_attribute_set_across_batches():
    b = bridge()
    for i in range(2):
        b.handle_lines(lines(f"neighbor 10.0.0.1 announce route 10.0.{i}.0/24 next-hop self "
                             "med 4"))
    w = worker()
    for _, m in b.pub.sent:
        w.on_batch(m)
    values = list(w.peers["10.0.0.1"].rib.routes.values())
    assert values[0] is values[1]
    b.handle_lines(lines("neighbor 10.0.0.1 withdraw route 10.0.0.0/24"))
    w.on_batch(b.pub.sent[-1][1])
    assert len(w.peers["10.0.0.1"].rib) == 1
