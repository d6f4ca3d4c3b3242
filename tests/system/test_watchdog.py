"""Watchdogs (ExaBGP 4.2) and ``signal`` events, against BIRD.

Routes tagged ``watchdog NAME`` (from the API or ``static``) leave the
Adj-RIB-Out on ``withdraw watchdog NAME`` and come back on ``announce watchdog
NAME``; a static ``watchdog NAME withdraw`` starts held back.  The state is in
the supervisor's shadow Adj-RIB-Out, so a worker killed and restarted keeps it.
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import bird_peer
from tests.system.test_resilience import prefixes_of

pytestmark = pytest.mark.system


def config(relay, bird_end, my_end) -> str:
    return relay.process_block() + (
        f"neighbor {bird_end.address} {{\n"
        f"    router-id {my_end.address};\n    local-address {my_end.address};\n"
        f"    local-as 65001;\n    peer-as 65002;\n    hold-time 9;\n"
        f"    connect {bird_end.port};\n"
        f"    family {{\n        ipv4 unicast;\n    }}\n"
        f"    api {{\n        processes [ {relay.name} ];\n        signal;\n    }}\n"
        f"    static {{\n"
        f"        route 10.50.0.0/24 next-hop self watchdog web;\n"
        f"        route 10.51.0.0/24 next-hop self watchdog dns withdraw;\n"
        f"        route 10.52.0.0/24 next-hop self;\n"
        f"    }}\n}}\n")


def test_watchdogs_toggle_routes_and_survive_a_worker_restart(tmp_path, addresses,
                                                               bird_factory):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", config(relay, bird_end, my_end)).start()

    def holds(wanted: set[str]):
        return wait_until(lambda: prefixes_of(bird, "mesh") == wanted, 20,
                          message=lambda: f"BIRD has {prefixes_of(bird, 'mesh')}, "
                                          f"want {wanted}")

    try:
        bird.wait_established("mesh", timeout=30)
        holds({"10.50.0.0/24", "10.52.0.0/24"})  # dns starts withdrawn
        relay.send("announce route 10.53.0.0/24 next-hop self watchdog web",
                   "announce route 10.54.0.0/24 next-hop self watchdog dns withdraw")
        assert relay.wait_acks(2) == ["done", "done"]
        holds({"10.50.0.0/24", "10.52.0.0/24", "10.53.0.0/24"})
        relay.send("withdraw watchdog web", "announce watchdog dns")
        assert relay.wait_acks(4)[2:] == ["done", "done"]
        state = {"10.51.0.0/24", "10.52.0.0/24", "10.54.0.0/24"}
        holds(state)

        # the worker dies: its replay brings back the watchdogs as they are
        pid = next(iter(mesh.worker_pids().values()))
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: next(iter(mesh.worker_pids().values()), pid) != pid, 15)
        bird.wait_established("mesh", timeout=30)
        holds(state)
        relay.send("announce watchdog web")  # remembered across the restart
        assert relay.wait_acks(5)[4] == "done"
        holds(state | {"10.50.0.0/24", "10.53.0.0/24"})
        relay.send("withdraw watchdog dns")
        assert relay.wait_acks(6)[5] == "done"
        holds({"10.50.0.0/24", "10.52.0.0/24", "10.53.0.0/24"})
    finally:
        assert mesh.stop() == 0


def test_signal_event_reaches_scripts_whose_api_asks(tmp_path, addresses, bird_factory):
    bird_end, my_end = addresses.pair()
    bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", config(relay, bird_end, my_end)).start()
    try:
        wait_until(lambda: mesh.worker_pids(), 15)
        os.kill(mesh.process.pid, signal.SIGUSR1)
        message = relay.wait_message(lambda m: m.get("type") == "signal")
        assert message["neighbor"]["address"]["peer"] == bird_end.address
        assert message["neighbor"]["code"] == str(int(signal.SIGUSR1))
        assert message["neighbor"]["name"] == "SIGUSR1"
        assert mesh.process.poll() is None  # a reload, not a stop
    finally:
        assert mesh.stop() == 0
