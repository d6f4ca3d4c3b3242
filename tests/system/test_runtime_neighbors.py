"""Neighbors added, removed, stopped and started at run time (issue 6), and
the event sequence numbers that make a lossy subscriber see its loss."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bgpmesh import bus
from tests.daemons.bgpmesh import Bgpmesh
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import bird_peer, neighbor_block

pytestmark = pytest.mark.system


def _topology_names(mesh: Bgpmesh) -> set[str]:
    data = json.loads((mesh.run_dir / "topology.json").read_text())
    return {n["name"] for n in data["neighbors"]}


def test_create_disable_enable_delete_against_bird(tmp_path, addresses, bird_factory):
    pairs = {name: addresses.pair() for name in ("fixed", "runtime")}
    bird = bird_factory("10.0.0.2", [bird_peer(name, b, m) for name, (b, m) in pairs.items()])
    base_bird, base_mine = pairs["fixed"]
    run_bird, run_mine = pairs["runtime"]
    mesh = Bgpmesh(tmp_path / "mesh", neighbor_block(
        base_bird, base_mine, static=["10.70.0.0/24 next-hop self"]), workers=2).start()
    watcher = None
    try:
        bird.wait_established("fixed", timeout=30)

        # the grammar and the errors are the configuration's
        broken = mesh.cli("neighbor", "create", f"neighbor {run_bird.address} {{\n hold-tme 5;\n}}")
        assert broken.returncode == 1 and "hold-tme" in broken.stderr, broken.stderr
        two = mesh.cli("neighbor", "create", neighbor_block(run_bird, run_mine) * 2)
        assert two.returncode == 1 and "refused" in two.stderr, two.stderr
        again = mesh.cli("neighbor", "create", neighbor_block(base_bird, base_mine))
        assert again.returncode == 1 and "exists already" in again.stderr, again.stderr

        created = mesh.cli("neighbor", "create", neighbor_block(
            run_bird, run_mine, static=["10.71.0.0/24 next-hop self"]))
        assert created.returncode == 0, created.stderr
        assert created.stdout.strip() == f"created {run_bird.address}"
        bird.wait_established("runtime", timeout=30)
        bird.wait_routes("runtime", lambda r: "10.71.0.0/24" in r, timeout=15)
        assert _topology_names(mesh) == {base_bird.address, run_bird.address}
        # clients resolve it like a configured one
        sent = mesh.cli("send", f"neighbor {run_bird.address} announce route 10.72.0.0/24 "
                                "next-hop self")
        assert sent.returncode == 0, sent.stderr
        bird.wait_routes("runtime", lambda r: "10.72.0.0/24" in r, timeout=15)

        watcher = subprocess.Popen(
            [sys.executable, "-m", "bgpmesh", "watch", "--type", "state", "--count", "2",
             "--run-dir", str(mesh.run_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        disabled = mesh.cli("neighbor", "disable", run_bird.address)
        assert disabled.returncode == 0, disabled.stderr
        wait_until(lambda: bird.protocol_state("runtime") != "Established", 15,
                   message=lambda: bird.show_protocol("runtime"))
        wait_until(lambda: "administrative shutdown" in bird.log_text().lower(), 15,
                   message=lambda: bird.log_text()[-2000:])
        assert run_bird.address in _topology_names(mesh)  # stopped, not forgotten

        enabled = mesh.cli("neighbor", "enable", run_bird.address)
        assert enabled.returncode == 0, enabled.stderr
        bird.wait_established("runtime", timeout=30)
        # the producer's route survived the pause
        bird.wait_routes("runtime", lambda r: {"10.71.0.0/24", "10.72.0.0/24"} <= set(r),
                         timeout=15)

        out, err = watcher.communicate(timeout=30)
        assert watcher.returncode == 0, err
        assert len(out.splitlines()) == 2
        assert "lost" not in err

        deleted = mesh.cli("neighbor", "delete", run_bird.address)
        assert deleted.returncode == 0, deleted.stderr
        wait_until(lambda: "de-configured" in bird.log_text().lower(), 15,
                   message=lambda: bird.log_text()[-2000:])
        assert _topology_names(mesh) == {base_bird.address}
        unknown = mesh.cli("neighbor", "disable", run_bird.address)
        assert unknown.returncode == 1 and "no neighbor" in unknown.stderr

        # the configured neighbor never flapped
        assert f"{base_bird.address}: session down" not in mesh.log()
        assert bird.protocol_state("fixed") == "Established"
    finally:
        if watcher is not None and watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
        assert mesh.stop() == 0


def test_sequence_gaps_counts_holes_per_publisher_and_topic():
    gaps = bus.SequenceGaps()
    a, b = b"ev/state/192.0.2.1|", b"ev/update/192.0.2.1|"
    assert gaps.see(a, {"publisher": "auto-0:10", "seq": 5}) == 0  # joined late
    assert gaps.see(a, {"publisher": "auto-0:10", "seq": 6}) == 0
    assert gaps.see(b, {"publisher": "auto-0:10", "seq": 1}) == 0  # its own sequence
    assert gaps.see(a, {"publisher": "auto-0:10", "seq": 9}) == 2
    assert gaps.see(a, {"publisher": "auto-0:11", "seq": 1}) == 0  # a restarted worker
    assert gaps.see(a, {}) == 0  # frames without seq are not counted
    assert gaps.lost == 2
