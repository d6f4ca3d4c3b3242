"""Inbound connections at scale (issue 6): passive ranges spread over the
workers, and the cap on half-open connections.

BIRD plays the peers inside a range, each protocol on its own loopback
address; a flood is plain TCP sockets that connect and never send anything.
"""

from __future__ import annotations

import socket
import zlib

import psutil
import pytest

from tests.daemons.bgpmesh import Bgpmesh
from tests.daemons.bird import BirdPeer
from tests.daemons.waiting import wait_until
from tests.system.test_resilience import protocol_rows

pytestmark = pytest.mark.system

HALF_OPEN_LIMIT = 256  # supervisor/arbiter.py and workers/worker.py


def range_neighbor(prefix: str, my_end, route: str, *, bound: bool = True) -> str:
    local = f"    local-address {my_end.address};\n" if bound else ""
    return (f"neighbor {prefix} {{\n    router-id {my_end.address};\n"
            f"{local}    local-as 65001;\n    peer-as 65002;\n"
            f"    hold-time 30;\n    listen {my_end.port};\n    passive;\n"
            f"    family {{\n        ipv4 unicast;\n    }}\n"
            f"    static {{\n        route {route} next-hop self;\n    }}\n}}\n")


def exact_neighbor(bird_end, my_end) -> str:
    return (f"neighbor {bird_end.address} {{\n    router-id {my_end.address};\n"
            f"    local-address {my_end.address};\n    local-as 65001;\n    peer-as 65002;\n"
            f"    hold-time 30;\n    listen {my_end.port};\n    passive;\n"
            f"    family {{\n        ipv4 unicast;\n    }}\n}}\n")


def active_bird(name: str, address: str, port: int, my_end, mine: str | None = None) -> BirdPeer:
    return BirdPeer(name=name, local_address=address, local_port=port,
                    peer_address=mine or my_end.address, peer_port=my_end.port, local_as=65002,
                    peer_as=65001, passive=False, ipv6=False)


def worker_peers(mesh: Bgpmesh, my_end, anywhere: bool = False) -> dict[str, set[str]]:
    """Worker group -> remote addresses of its TCP connections on our end."""
    out: dict[str, set[str]] = {}
    for group, pid in mesh.worker_pids().items():
        try:
            process = psutil.Process(pid)
            listing = getattr(process, "net_connections", process.connections)(kind="tcp")
        except psutil.Error:
            continue
        out[group] = {c.raddr.ip for c in listing
                      if c.laddr and c.raddr and c.status == psutil.CONN_ESTABLISHED
                      and c.laddr.port == my_end.port
                      and (anywhere or c.laddr.ip == my_end.address)}
    return out


def test_a_range_spreads_its_peers_over_the_workers(tmp_path, addresses, bird_factory):
    bird_end, my_end = addresses.pair()
    base = my_end.address.rsplit(".", 1)[0]
    # six peers, at least one hashing to each of the two workers (as the supervisor does)
    candidates = [f"{base}.{host}" for host in range(10, 60)]
    buckets: dict[int, list[str]] = {0: [], 1: []}
    for address in candidates:
        buckets[zlib.crc32(address.encode()) % 2].append(address)
    peers = buckets[0][:3] + buckets[1][:3]
    names = [f"r{i}" for i in range(len(peers))]
    # BIRD runs one protocol per neighbor address at a time: each protocol
    # talks to its own address of ours, so the range has no local-address
    bird = bird_factory(bird_end.address, [
        active_bird(name, address, bird_end.port, my_end, mine=f"{base}.{200 + i}")
        for i, (name, address) in enumerate(zip(names, peers, strict=True))])
    mesh = Bgpmesh(tmp_path / "mesh", range_neighbor(f"{base}.0/24", my_end, "10.71.0.0/24",
                                                     bound=False),
                   workers=2).start(timeout=30)
    try:
        for name in names:
            bird.wait_established(name, timeout=45)
            bird.wait_routes(name, lambda r: "10.71.0.0/24" in r, timeout=15)
        held = wait_until(lambda: (lambda h: h if sum(map(len, h.values())) == len(peers)
                                   else None)(worker_peers(mesh, my_end, True)), 15,
                          message=lambda: f"per worker: {worker_peers(mesh, my_end, True)}")
        assert len(held) == 2 and all(held.values()), held
        assert set().union(*held.values()) == set(peers)
        # a producer's route for the range reaches every session, on either worker
        sent = mesh.cli("send", "announce route 10.72.0.0/24 next-hop self")
        assert sent.returncode == 0, sent.stderr + sent.stdout
        for name in names:
            bird.wait_routes(name, lambda r: "10.72.0.0/24" in r, timeout=15)
        sent = mesh.cli("send", "withdraw route 10.72.0.0/24 next-hop self")
        assert sent.returncode == 0, sent.stderr + sent.stdout
        for name in names:
            bird.wait_routes(name, lambda r: "10.72.0.0/24" not in r and "10.71.0.0/24" in r,
                             timeout=15)
    finally:
        assert mesh.stop(timeout=30) == 0


def test_a_flood_of_silent_connects_is_capped(tmp_path, addresses, bird_factory):
    bird_end, my_end = addresses.pair()
    block = 40 + addresses.worker % 30  # 127.40-69.x.y: outside the allocator's 127.100+
    bird = bird_factory(bird_end.address, [active_bird("mesh", bird_end.address,
                                                       bird_end.port, my_end)])
    config = exact_neighbor(bird_end, my_end) + \
        range_neighbor(f"127.{block}.0.0/16", my_end, "10.73.0.0/24")
    mesh = Bgpmesh(tmp_path / "mesh", config, workers=2).start(timeout=30)
    try:
        flood: list[socket.socket] = []
        try:
            bird.wait_established("mesh", timeout=45)
            before = protocol_rows(bird)["mesh"]
            for i in range(500):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                flood.append(sock)
                sock.bind((f"127.{block}.{1 + i // 200}.{1 + i % 200}", 0))
                sock.settimeout(5)
                sock.connect((my_end.address, my_end.port))

            def flooded() -> set[str] | None:
                held = set().union(*worker_peers(mesh, my_end).values())
                held.discard(bird_end.address)
                return held if "closed at once" in mesh.log() else None

            held = wait_until(flooded, 20, message=lambda: mesh.log()[-3000:])
            # the workers hold at most the cap; the others were closed at once
            assert 0 < len(held) <= HALF_OPEN_LIMIT, len(held)
            wait_until(lambda: len(set().union(*worker_peers(mesh, my_end).values()))
                       <= HALF_OPEN_LIMIT + 1, 5)
            after = protocol_rows(bird)["mesh"]
            assert after == before and after[1] == "Established", (before, after)
        finally:
            for sock in flood:
                sock.close()
        # the flood gone, a real peer inside the range comes up
        late = f"127.{block}.9.9"
        other = bird_factory(late, [active_bird("late", late, bird_end.port, my_end)],
                             name="late")
        other.wait_established("late", timeout=45)
        other.wait_routes("late", lambda r: "10.73.0.0/24" in r, timeout=15)
        assert protocol_rows(bird)["mesh"] == before
    finally:
        # always: a failure above must not leave bgpmesh running
        assert mesh.stop(timeout=30) == 0
