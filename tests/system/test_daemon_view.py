"""The daemon seen as one (issue 6): ``bgpmesh status`` with every neighbor,
``bgpmesh stop``, runtime neighbors from the text API, on-wire acks and the
``watch --snapshot`` last-value cache, against a real BIRD."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bgpmesh.api.commands import parse_command
from bgpmesh.errors import CommandError
from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import bird_peer, neighbor_block

pytestmark = pytest.mark.system


def _status(mesh: Bgpmesh) -> dict:
    result = mesh.cli("status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _row(mesh: Bgpmesh, name: str) -> dict:
    return next(r for r in _status(mesh)["neighbors"] if r["name"] == name)


def test_status_stop_runtime_neighbors_wire_acks_and_snapshot(tmp_path, addresses,
                                                              bird_factory):
    pairs = {name: addresses.pair() for name in ("a", "b", "c")}
    (a_bird, a_me), (b_bird, b_me), (c_bird, c_me) = pairs.values()
    bird = bird_factory("10.0.0.2", [
        bird_peer("a", a_bird, a_me, export=[("10.90.0.0/24", {}), ("10.90.1.0/24", {})]),
        bird_peer("b", b_bird, b_me), bird_peer("c", c_bird, c_me)])
    mesh = Bgpmesh(tmp_path / "mesh", neighbor_block(
        a_bird, a_me, static=["10.80.0.0/24 next-hop self"]) + neighbor_block(b_bird, b_me),
        workers=2).start()
    watcher = None
    try:
        bird.wait_established("a", timeout=30)
        bird.wait_established("b", timeout=30)

        # 4. on-wire: once send --wire returns, BIRD has (or is reading) the UPDATE
        sent = mesh.cli("send", "--wire",
                        f"neighbor {a_bird.address} announce route 10.81.0.0/24 next-hop self")
        assert sent.returncode == 0 and sent.stdout.strip() == "done", sent.stderr
        bird.wait_routes("a", lambda r: "10.81.0.0/24" in r, timeout=5)
        # a neighbor that is down counts as done: nothing can be sent to it
        mesh.cli("neighbor", "disable", b_bird.address)
        down = mesh.cli("send", "--wire", "--timeout", "5",
                        f"neighbor {b_bird.address} announce route 10.82.0.0/24 next-hop self")
        assert down.returncode == 0, down.stderr
        assert mesh.cli("neighbor", "enable", b_bird.address).returncode == 0
        bird.wait_established("b", timeout=30)
        bird.wait_routes("b", lambda r: "10.82.0.0/24" in r, timeout=15)

        # 1. one table: workers and neighbors with prefixes and the last error
        bird.wait_routes("a", lambda r: {"10.80.0.0/24", "10.81.0.0/24"} <= set(r), timeout=15)
        wait_until(lambda: _row(mesh, a_bird.address)["received"] == 2, 15,
                   message=lambda: _status(mesh))
        data = _status(mesh)
        assert {r["group"] for r in data["neighbors"]} <= {w["name"] for w in data["workers"]}
        a_row = next(r for r in data["neighbors"] if r["name"] == a_bird.address)
        b_row = next(r for r in data["neighbors"] if r["name"] == b_bird.address)
        assert a_row["state"] == "ESTABLISHED" and a_row["sent"] == 2, a_row
        assert a_row["uptime"] > 0 and a_row["last-error"] == ""
        assert b_row["state"] == "ESTABLISHED" and b_row["sent"] == 1, b_row
        assert b_row["received"] == 0 and b_row["last-error"], b_row  # the disable
        table = mesh.cli("status")
        assert table.returncode == 0, table.stderr
        assert "last error" in table.stdout and a_bird.address in table.stdout
        assert b_row["last-error"] in table.stdout

        # 3. runtime neighbors from the text API (bgpmesh send; the bridge alike)
        block = neighbor_block(c_bird, c_me, static=["10.83.0.0/24 next-hop self"])
        created = mesh.cli("send", "create " + block.replace("\n", " "))
        assert created.returncode == 0, created.stderr
        assert created.stdout.split() == ["neighbor-create:", c_bird.address, "done"]
        bird.wait_established("c", timeout=30)
        bird.wait_routes("c", lambda r: "10.83.0.0/24" in r, timeout=15)
        again = mesh.cli("send", "create " + block.replace("\n", " "))
        assert again.returncode == 1 and "exists already" in again.stderr, again.stderr
        assert any(r["name"] == c_bird.address for r in _status(mesh)["neighbors"])
        off = mesh.cli("send", f"neighbor {c_bird.address} disable")
        assert off.returncode == 0, off.stderr
        wait_until(lambda: bird.protocol_state("c") != "Established", 15)
        on = mesh.cli("send", f"neighbor {c_bird.address} enable")
        assert on.returncode == 0, on.stderr
        bird.wait_established("c", timeout=30)
        gone = mesh.cli("send", f"delete neighbor {c_bird.address}")
        assert gone.returncode == 0, gone.stderr
        wait_until(lambda: bird.protocol_state("c") != "Established", 15)
        unknown = mesh.cli("send", f"delete neighbor {c_bird.address}")
        assert unknown.returncode == 1 and "no neighbor" in unknown.stderr

        # 5. the snapshot first, then live events
        watcher = subprocess.Popen(
            [sys.executable, "-m", "bgpmesh", "watch", "--snapshot", "--type", "state",
             "--count", "1", "--run-dir", str(mesh.run_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = watcher.stdout.readline()
        snapshot = [json.loads(first)]
        while len(snapshot) < 2:
            snapshot.append(json.loads(watcher.stdout.readline()))
        assert {s["type"] for s in snapshot} == {"snapshot"}
        by_name = {s["neighbor"]: s["routes"] for s in snapshot}
        assert [r["nlri"] for r in by_name[a_bird.address]] == ["10.81.0.0/24"]
        assert [r["nlri"] for r in by_name[b_bird.address]] == ["10.82.0.0/24"]
        assert by_name[a_bird.address][0]["family"] == "ipv4 unicast"
        mesh.cli("neighbor", "disable", b_bird.address)
        out, err = watcher.communicate(timeout=30)
        assert watcher.returncode == 0, err
        live = json.loads(out.splitlines()[-1])
        assert live["type"] == "state"

        # 2. stop waits for the supervisor to be gone
        stopped = mesh.cli("stop")
        assert stopped.returncode == 0, stopped.stderr
        assert mesh.process.poll() == 0
    finally:
        if watcher is not None and watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
        mesh.stop()


@pytest.mark.parametrize("line, kind, text", [
    ("create neighbor 127.0.0.9 { local-as 1; peer-as 2; }", "create-neighbor",
     "neighbor 127.0.0.9 { local-as 1; peer-as 2; }"),
    ("delete neighbor 127.0.0.9", "delete-neighbor", "127.0.0.9"),
    ("neighbor 127.0.0.9 enable", "enable-neighbor", "127.0.0.9"),
    ("neighbor 127.0.0.9 disable", "disable-neighbor", "127.0.0.9"),
])
def test_runtime_neighbor_lines_parse(line, kind, text):
    command = parse_command(line)
    assert (command.kind, command.text) == (kind, text)


@pytest.mark.parametrize("line", ["create", "create foo", "create neighbor 127.0.0.9",
                                  "delete neighbor", "delete 127.0.0.9", "enable",
                                  "neighbor 127.0.0.9 local-as 1 disable",
                                  "neighbor 127.0.0.9 enable now"])
def test_runtime_neighbor_lines_refused(line):
    with pytest.raises(CommandError):
        parse_command(line)


def test_script_creates_disables_and_deletes_a_neighbor(tmp_path, addresses, bird_factory):
    (a_bird, a_me), (c_bird, c_me) = addresses.pair(), addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("a", a_bird, a_me), bird_peer("c", c_bird, c_me)])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", relay.process_block()
                   + neighbor_block(a_bird, a_me, processes=["script"])).start()
    try:
        bird.wait_established("a", timeout=30)
        block = neighbor_block(c_bird, c_me, static=["10.84.0.0/24 next-hop self"])
        # done/error in order, from the supervisor's reply
        relay.send("create " + block.replace("\n", " "),
                   "create " + block.replace("\n", " "),
                   f"neighbor {c_bird.address} disable")
        assert relay.wait_acks(3) == ["done", "error", "done"]
        assert "exists already" in mesh.log()
        relay.send(f"neighbor {c_bird.address} enable")
        assert relay.wait_acks(4)[-1] == "done"
        bird.wait_established("c", timeout=30)
        bird.wait_routes("c", lambda r: "10.84.0.0/24" in r, timeout=15)
        relay.send(f"delete neighbor {c_bird.address}", "delete neighbor 10.255.255.1")
        assert relay.wait_acks(6)[-2:] == ["done", "error"]
        wait_until(lambda: "de-configured" in bird.log_text().lower(), 15,
                   message=lambda: bird.log_text()[-2000:])
        assert bird.protocol_state("a") == "Established"
    finally:
        assert mesh.stop() == 0
