"""Scale and flow control (issue 6): 100,000 routes past stuck consumers, and
300 neighbors on 2 workers, each against a real BIRD on loopback.

Session uptime is BIRD's "since" column of ``show protocols``: unchanged
means the session never flapped.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

import psutil
import pytest
import zmq

from tests.daemons.addresses import worker_index
from tests.daemons.bgpmesh import Bgpmesh
from tests.daemons.bird import BirdPeer
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import bird_peer, neighbor_block
from tests.system.test_resilience import JITTER, protocol_rows, same_since, seconds

pytestmark = pytest.mark.system

COUNT_SCRIPT = r'''
import json, os, sys
result, want = sys.argv[1], int(sys.argv[2])
seen = set()
for raw in sys.stdin:
    if not raw.startswith("{"):
        continue
    message = json.loads(raw)
    if message.get("type") != "update":
        continue
    update = message["neighbor"]["message"].get("update", {})
    for hops in update.get("announce", {}).values():
        for nlris in hops.values():
            seen.update(n["nlri"] if isinstance(n, dict) else n for n in nlris)
    with open(result + ".tmp", "w") as out:
        out.write(str(len(seen)))
    os.replace(result + ".tmp", result)
'''

STUCK_SCRIPT = r'''
import time
while True:
    time.sleep(3600)  # never reads stdin
'''


class RssSampler:
    """Peak RSS of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def sample(self) -> int:
        total = 0
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        return total

    def loop(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, self.sample())
            self.done.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.done.set()
        self.thread.join(5)


def test_stuck_consumers_do_not_stop_100000_routes(tmp_path, addresses, bird_factory):
    count = 100_000
    bird_end, my_end = addresses.pair()
    exported = [(f"10.{100 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}/32", {})
                for i in range(count)]
    peer = bird_peer("feed", bird_end, my_end)
    peer.hold_time, peer.keepalive_time = 9, 3
    bird = bird_factory("10.0.0.2", [peer])
    counter, stuck = tmp_path / "count.py", tmp_path / "stuck.py"
    counter.write_text(COUNT_SCRIPT)
    stuck.write_text(STUCK_SCRIPT)
    result = tmp_path / "counted"
    processes = (f"process reader {{\n    run {sys.executable} {counter} {result} {count};\n"
                 f"    encoder json;\n}}\n"
                 f"process stuck {{\n    run {sys.executable} {stuck};\n"
                 f"    encoder json;\n}}\n")
    mesh = Bgpmesh(tmp_path / "mesh", processes + neighbor_block(
        bird_end, my_end, processes=["reader", "stuck"], receive=True)).start()
    context = zmq.Context()
    subscriber = context.socket(zmq.SUB)
    subscriber.setsockopt(zmq.LINGER, 0)
    try:
        topology = json.loads((mesh.run_dir / "topology.json").read_text())
        subscriber.setsockopt(zmq.SUBSCRIBE, b"")
        subscriber.connect(topology["endpoints"]["event_out"])  # and never receives
        bird.wait_established("feed", timeout=30)
        since = protocol_rows(bird)["feed"][0]
        with RssSampler(mesh.process.pid) as sampler:
            started = time.monotonic()
            peer.export_static = exported  # BIRD sends them all at once
            bird.write_config()
            # parsing 100,000 routes can outlast reconfigure()'s birdc deadline
            assert "Reconfigur" in bird.birdc("configure", timeout=90)
            wait_until(lambda: result.exists() and int(result.read_text() or 0) >= count, 120,
                       message=lambda: f"reader counted "
                                       f"{result.read_text() if result.exists() else 0}; "
                                       f"log:\n{mesh.log()[-3000:]}")
            elapsed = time.monotonic() - started
        print(f"\n100,000 routes to the reading script in {elapsed:.1f}s; peak RSS of the "
              f"bgpmesh tree {sampler.peak / 2**20:.0f} MiB")
        assert int(result.read_text()) == count
        assert bird.protocol_state("feed") == "Established"
        assert same_since({"feed": since}, {"feed": protocol_rows(bird)["feed"][0]},
                          ["feed"]) == []  # the session never flapped
        assert "session down" not in mesh.log()
        assert mesh.process.poll() is None
        assert sampler.peak < 1.5 * 2**30
    finally:
        subscriber.close()
        context.term()
        assert mesh.stop() == 0


def test_300_neighbors_on_two_workers(tmp_path, addresses, bird_factory):
    total = 300
    block = 70 + worker_index() % 30  # 127.70-99.x.y: outside the allocator's 127.100+
    bird_ends = [f"127.{block}.{1 + i // 100}.{2 * (i % 100) + 1}" for i in range(total)]
    my_ends = [f"127.{block}.{1 + i // 100}.{2 * (i % 100) + 2}" for i in range(total)]
    bird_port, my_port = addresses.port(bird_ends[0]), addresses.port(my_ends[0])
    names = [f"p{i}" for i in range(total)]
    peers = [BirdPeer(name=names[i], local_address=bird_ends[i], local_port=bird_port,
                      peer_address=my_ends[i], peer_port=my_port, local_as=65002,
                      peer_as=65001, ipv6=False, hold_time=90, keepalive_time=30)
             for i in range(total)]
    bird = bird_factory(bird_ends[0], peers)

    def neighbor(i: int) -> str:
        return (f"neighbor {bird_ends[i]} {{\n    router-id {my_ends[i]};\n"
                f"    local-address {my_ends[i]};\n    local-as 65001;\n    peer-as 65002;\n"
                f"    hold-time 90;\n    connect {bird_port};\n    listen {my_port};\n"
                f"    family {{\n        ipv4 unicast;\n    }}\n"
                f"    static {{\n        route 10.90.{i // 250}.{i % 250}/32 next-hop self;\n"
                f"    }}\n}}\n")

    halves = {"g0": range(0, total, 2), "g1": range(1, total, 2)}
    config = "".join(f"group {g} {{\n" + "".join(neighbor(i) for i in members) + "}\n"
                     for g, members in halves.items())
    mesh = Bgpmesh(tmp_path / "mesh", config, workers=2).start(timeout=60)
    try:
        def all_up() -> dict[str, str] | None:
            rows = protocol_rows(bird)
            if len(rows) == total and all(info == "Established" for _, info in rows.values()):
                return {name: since for name, (since, _) in rows.items()}
            return None

        def states() -> str:
            rows = protocol_rows(bird)
            return str(sorted({info for _, info in rows.values()}))

        before = wait_until(all_up, 120, interval=0.5,
                            message=lambda: f"not all Established: {states()}")
        wait_until(lambda: imported_total(bird) == total, 30, interval=0.5,
                   message=lambda: f"imported {imported_total(bird)} of {total}")

        status = mesh.cli("status", "--json")
        assert status.returncode == 0, status.stderr
        data = json.loads(status.stdout)
        workers = {w["name"]: w for w in data["workers"]}
        assert set(workers) == {"g0", "g1"}
        assert workers["g0"]["neighbors"] == workers["g1"]["neighbors"] == total // 2
        listed = data.get("neighbors")
        if listed:  # the per-neighbor rows of `bgpmesh status`, where available
            assert len(listed) == total

        pids = mesh.worker_pids()
        wait_until(lambda: time.time() - last_change(before) > 2 * JITTER, 5)
        killed_at = time.time()
        os.kill(pids["g0"], signal.SIGKILL)
        wait_until(lambda: mesh.worker_pids()["g0"] != pids["g0"], 30,
                   message=lambda: f"g0 not restarted:\n{mesh.log()[-3000:]}")
        # every g0 session restarts (a new "since"), every g1 one is untouched
        killed = time_of_day(killed_at) - JITTER

        def g0_back() -> dict[str, str] | None:
            up = all_up()
            if up and all(seconds(up[names[i]]) >= killed for i in halves["g0"]):
                return up
            return None

        after = wait_until(g0_back, 120, interval=0.5,
                           message=lambda: f"g0 did not come back: {states()}")
        assert same_since(before, after, [names[i] for i in halves["g1"]]) == []
        assert mesh.worker_pids()["g1"] == pids["g1"]
        wait_until(lambda: imported_total(bird) == total, 30, interval=0.5,
                   message=lambda: f"imported {imported_total(bird)} of {total}")
    finally:
        assert mesh.stop(timeout=30) == 0


def time_of_day(epoch: float) -> float:
    """Local seconds into the day, as BIRD's "since" column counts them."""
    now = time.localtime(epoch)
    return now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec + epoch % 1


def last_change(sinces: dict[str, str]) -> float:
    """Epoch of the latest "since" stamp (today, local time)."""
    midnight = time.mktime(time.localtime()[:3] + (0, 0, 0, 0, 0, -1))
    return midnight + max(seconds(s) for s in sinces.values())


def imported_total(bird) -> int:
    """Routes imported over every protocol of ``bird``, in one birdc call."""
    total = 0
    for line in bird.birdc("show protocols all", timeout=30).splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == "Routes:" and fields[2].startswith("imported"):
            total += int(fields[1])
    return total
