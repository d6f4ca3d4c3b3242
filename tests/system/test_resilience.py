"""Failure and change under load (issue 6): reload that touches only what
changed, a worker killed mid-stream, and the IPv6 listener.

Every test runs a real BIRD on its own loopback addresses.  Session uptime is
read from BIRD's ``show protocols`` "since" column (HH:MM:SS.mmm): a session
that flapped has a new stamp, one that did not keeps the old one.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest

from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.bird import BirdPeer
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import bird_peer, neighbor_block

pytestmark = pytest.mark.system


def protocol_rows(bird) -> dict[str, tuple[str, str]]:
    """BGP protocol name -> (since, info) from one ``birdc show protocols``."""
    rows = {}
    for line in bird.birdc("show protocols").splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "BGP":
            rows[fields[0]] = (fields[4], fields[5])
    return rows


def seconds(since: str) -> float:
    """A "since" stamp (HH:MM:SS.mmm, local time) as seconds into the day."""
    hours, minutes, rest = since.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


# BIRD prints "since" from its monotonic clock converted to wall time, so one
# unchanged stamp can read a millisecond apart from one call to the next.
JITTER = 0.05


def same_since(before: dict[str, str], after: dict[str, str], names) -> list[str]:
    """The names among ``names`` whose session restarted between the two."""
    return [n for n in names if abs(seconds(after[n]) - seconds(before[n])) > JITTER]


def established(bird, names) -> dict[str, str] | None:
    """name -> since for ``names`` if all are Established, else None."""
    rows = protocol_rows(bird)
    if all(rows.get(n, ("", ""))[1] == "Established" for n in names):
        return {n: rows[n][0] for n in names}
    return None


def prefixes_of(bird, name: str) -> set[str]:
    """The prefixes BIRD imported from protocol ``name`` (no attributes: fast)."""
    out = set()
    for line in bird.birdc(f"show route protocol {name}", timeout=60).splitlines():
        if line and not line[0].isspace() and "/" in line.split()[0]:
            out.add(line.split()[0])
    return out


def test_reload_with_ten_unchanged_neighbors_keeps_their_sessions(tmp_path, addresses,
                                                                 bird_factory):
    kept = [f"kept{i}" for i in range(10)]
    names = kept + ["changed", "removed", "added"]
    pairs = {name: addresses.pair() for name in names}
    bird = bird_factory("10.0.0.2", [bird_peer(n, *pairs[n]) for n in names])

    def block(name, static):
        return neighbor_block(*pairs[name], static=[static])

    kept_blocks = "".join(block(n, f"10.70.{i}.0/24 next-hop self") for i, n in enumerate(kept))
    first = (kept_blocks + block("changed", "10.71.0.0/24 next-hop self med 1")
             + block("removed", "10.72.0.0/24 next-hop self"))
    mesh = Bgpmesh(tmp_path / "mesh", first, workers=2).start()
    try:
        before = wait_until(lambda: established(bird, kept + ["changed", "removed"]), 60,
                            message=lambda: f"not all up: {protocol_rows(bird)}")
        bird.wait_routes("kept9", lambda r: "10.70.9.0/24" in r, timeout=15)
        log_before = len(mesh.log())

        # a broken file: refused, and no session moves
        mesh.config_path.write_text(first + "neighbor 127.1.2.3 {\n  peer-ass 5;\n}\n")
        refused = mesh.cli("reload")
        assert refused.returncode == 1
        assert "peer-ass" in refused.stderr and "nothing changed" in refused.stderr
        assert established(bird, kept + ["changed", "removed"]) == before
        assert bird.protocol_state("added") != "Established"

        second = (kept_blocks + block("changed", "10.71.0.0/24 next-hop self med 2")
                  + block("added", "10.73.0.0/24 next-hop self"))
        mesh.config_path.write_text(second)
        applied = mesh.cli("reload")
        assert applied.returncode == 0, applied.stderr

        bird.wait_established("added", timeout=30)
        bird.wait_routes("added", lambda r: "10.73.0.0/24" in r, timeout=15)
        bird.wait_routes("changed", lambda r: r.get("10.71.0.0/24", {}).get("med") == 2,
                         timeout=30)
        wait_until(lambda: "de-configured" in bird.log_text().lower(), 15,
                   message=lambda: bird.log_text()[-2000:])
        wait_until(lambda: protocol_rows(bird)["removed"][1] != "Established", 15,
                   message=lambda: str(protocol_rows(bird)))
        after = established(bird, kept + ["changed"])
        assert after is not None, protocol_rows(bird)
        # the changed one restarted; the ten did not flap, as BIRD saw it
        assert same_since(before, after, ["changed"]) == ["changed"]
        assert same_since(before, after, kept) == [], (before, after)
        new_log = mesh.log()[log_before:]
        for name in kept:
            assert f"{pairs[name][0].address}: session down" not in new_log
        for i, name in enumerate(kept):
            assert f"10.70.{i}.0/24" in prefixes_of(bird, name)
    finally:
        assert mesh.stop() == 0


def test_worker_killed_during_a_stream_of_announcements_loses_nothing(tmp_path, addresses,
                                                                      bird_factory):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", relay.process_block()
                   + neighbor_block(bird_end, my_end, processes=["script"],
                                    group="stream")).start()
    try:
        bird.wait_established("mesh", timeout=30)
        count = 10_000

        def prefix(i: int) -> str:
            return f"10.{80 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}/32"

        # every tenth route is withdrawn a little after it was announced
        lines = []
        for i in range(count):
            lines.append(f"announce route {prefix(i)} next-hop self")
            if i % 10 == 9:
                lines.append(f"withdraw route {prefix(i - 5)}")
        expected = {prefix(i) for i in range(count)} - {prefix(i - 5) for i in range(count)
                                                        if i % 10 == 9}
        pid = mesh.worker_pids()["stream"]
        since = protocol_rows(bird)["mesh"][0]
        kill_at = 4000

        def stream():
            for start in range(0, len(lines), 250):
                if start == kill_at:
                    # 4,000 lines written, 7,000 to come: kill now, and keep
                    # writing while the worker is dead and restarting
                    killed.append(len(relay.acks()))
                    os.kill(pid, signal.SIGKILL)
                relay.send(*lines[start:start + 250])

        killed: list[int] = []
        writer = threading.Thread(target=stream)
        writer.start()
        writer.join(120)
        assert not writer.is_alive()
        assert killed
        wait_until(lambda: mesh.worker_pids()["stream"] != pid, 15,
                   message=lambda: f"worker not restarted:\n{mesh.log()[-3000:]}")
        wait_until(lambda: len(relay.acks()) >= len(lines), 60,
                   message=lambda: f"acks: {len(relay.acks())} of {len(lines)}")
        # commands the dead worker took but never acked are answered by the
        # supervisor (the replay carries them): every one is done, none error
        acks = relay.acks()
        assert len(acks) == len(lines) and set(acks) == {"done"}, \
            f"{acks.count('error')} error(s) of {len(acks)}"
        bird.wait_established("mesh", timeout=30)
        restarted = protocol_rows(bird)["mesh"][0]
        assert seconds(restarted) - seconds(since) > JITTER  # the session did restart
        wait_until(lambda: bird.imported_count("mesh") == len(expected), 60,
                   message=lambda: f"imported {bird.imported_count('mesh')}, "
                                   f"want {len(expected)}")
        got = prefixes_of(bird, "mesh")
        assert len(got - expected) == 0, sorted(got - expected)[:20]
        assert len(expected - got) == 0, sorted(expected - got)[:20]
        assert mesh.process.poll() is None
    finally:
        assert mesh.stop() == 0


def test_passive_ipv6_neighbor_on_loopback_comes_up(tmp_path, addresses, bird_factory):
    bird_port, my_port = addresses.port("::1"), addresses.port("::1")
    peer = BirdPeer(name="v6", local_address="::1", local_port=bird_port, peer_address="::1",
                    peer_port=my_port, local_as=65002, peer_as=65001, passive=False,
                    ipv4=False, ipv6_next_hop="2001:db8::2")
    bird = bird_factory("10.0.0.2", [peer])
    config = ("neighbor ::1 {\n    router-id 10.0.0.1;\n    local-address ::1;\n"
              "    local-as 65001;\n    peer-as 65002;\n    hold-time 9;\n"
              f"    listen {my_port};\n    passive;\n"
              "    family {\n        ipv6 unicast;\n    }\n"
              "    static {\n        route 2001:db8:66::/48 next-hop 2001:db8::1;\n    }\n}\n")
    mesh = Bgpmesh(tmp_path / "mesh", config).start()
    try:
        bird.wait_established("v6", timeout=30)
        routes = bird.wait_routes("v6", lambda r: "2001:db8:66::/48" in r, timeout=15)
        assert routes["2001:db8:66::/48"]["next_hop"] == "2001:db8::1"
    finally:
        assert mesh.stop() == 0
