"""The bus over TCP: CurveZMQ keys or no bus at all (issue: one daemon, many cores)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.daemons.bgpmesh import Bgpmesh
from tests.system.test_end_to_end import bird_peer, neighbor_block

pytestmark = pytest.mark.system


def bgpmesh(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bgpmesh", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_curve_bus_takes_commands_from_known_keys_only(tmp_path, addresses, bird_factory):
    keys = tmp_path / "keys"
    clients = tmp_path / "clients"
    for name in ("server", "client", "stranger"):
        assert bgpmesh("keys", name, "--dir", str(keys)).returncode == 0
    clients.mkdir()
    (clients / "client.key").write_text((keys / "client.key").read_text())
    assert oct((keys / "client.key_secret").stat().st_mode & 0o777) == "0o600"

    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    bus_address = addresses.address()
    port = addresses.port(bus_address)
    addresses.port(bus_address)  # PORT+1 carries events; keep the allocator off it
    endpoint = f"tcp://{bus_address}:{port}"
    mesh = Bgpmesh(tmp_path / "mesh", neighbor_block(bird_end, my_end), extra_args=(
        "--bus", endpoint, "--bus-secret-key", str(keys / "server.key_secret"),
        "--bus-client-keys", str(clients))).start()
    try:
        bird.wait_established("mesh", timeout=30)
        sent = bgpmesh("send", "--bus", endpoint, "--server-key", str(keys / "server.key"),
                       "--client-key", str(keys / "client.key_secret"),
                       "announce route 10.80.0.0/24 next-hop self med 80")
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.strip().splitlines()[-1] == "done"
        routes = bird.wait_routes("mesh", lambda r: "10.80.0.0/24" in r, timeout=15)
        assert routes["10.80.0.0/24"]["med"] == 80

        refused = bgpmesh("send", "--bus", endpoint, "--server-key", str(keys / "server.key"),
                          "--client-key", str(keys / "stranger.key_secret"), "--timeout", "2",
                          "announce route 10.81.0.0/24 next-hop self")
        assert refused.returncode == 2
        assert "does not answer" in refused.stderr
        assert "10.81.0.0/24" not in bird.routes("mesh")
    finally:
        assert mesh.stop() == 0


def test_a_tcp_bus_without_keys_is_refused_before_anything_starts(tmp_path, addresses):
    bird_end, my_end = addresses.pair()
    conf = tmp_path / "mesh.conf"
    conf.write_text(neighbor_block(bird_end, my_end))
    result = bgpmesh("start", str(conf), "--run-dir", str(tmp_path / "run"), "--bus",
                     f"tcp://{my_end.address}:{my_end.port}")
    assert result.returncode == 2
    assert "CurveZMQ" in result.stderr and "bgpmesh keys" in result.stderr
    assert not (tmp_path / "run").exists()
