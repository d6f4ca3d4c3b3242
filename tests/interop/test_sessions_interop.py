"""Session features against real daemons: graceful restart, capabilities, ranges.

bgpmesh runs as ``bgpmesh start`` (supervisor, bridge, one worker); BIRD 2 is
the peer, with its own loopback address and port per test.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.daemons.bgpmesh import Relay
from tests.daemons.bird import BirdPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system


def neighbor(bird_end, my_end, *, extra: str = "", processes=(), passive=False,
             address=None, peer_as="65002") -> str:
    api = f"    api {{\n        processes [ {' '.join(processes)} ];\n    }}\n" if processes \
        else ""
    port = f"    listen {my_end.port};\n    passive;\n" if passive else \
        f"    connect {bird_end.port};\n"
    return (f"neighbor {address or bird_end.address} {{\n"
            f"    router-id {my_end.address};\n"
            f"    local-address {my_end.address};\n"
            f"    local-as 65001;\n"
            f"    peer-as {peer_as};\n"
            f"    hold-time 9;\n"
            f"{port}"
            f"    family {{\n        ipv4 unicast;\n    }}\n"
            f"{extra}{api}"
            "}\n")


def bird_peer(bird_end, my_end, *, passive=True, extra=()) -> BirdPeer:
    return BirdPeer(name="mesh", local_address=bird_end.address, local_port=bird_end.port,
                    peer_address=my_end.address, peer_port=my_end.port, local_as=65002,
                    peer_as=65001, passive=passive, ipv6=False, extra=list(extra))


def test_graceful_restart_keeps_routes_through_a_killed_worker(tmp_path, addresses,
                                                               bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end,
                                               extra=["graceful restart on;"])])
    relay = Relay(tmp_path, "script")
    instance = mesh(relay.process_block() + neighbor(
        bird_end, my_end, processes=["script"],
        extra="    capability {\n        graceful-restart 60;\n    }\n"
              "    static {\n        route 10.30.0.0/24 next-hop self;\n    }\n"))
    bird.wait_established("mesh", timeout=30)
    relay.send("announce route 10.31.0.0/24 next-hop self",
               "announce route 10.32.0.0/24 next-hop self")
    assert relay.wait_acks(2) == ["done", "done"]
    bird.wait_routes("mesh", lambda r: {"10.30.0.0/24", "10.31.0.0/24", "10.32.0.0/24"}
                     <= set(r), timeout=15)
    assert "restart" in bird.show_protocol("mesh").lower()

    pid = instance.worker_pids()["auto-0"]
    os.kill(pid, signal.SIGKILL)
    # while the worker is gone, a producer withdraws one route: the
    # supervisor records it, the restarted worker does not resend it, and the
    # End-of-RIB after the replayed table makes BIRD drop it as stale
    relay.send("withdraw route 10.32.0.0/24")
    deadline = time.monotonic() + 60
    samples = 0
    saw_down = False
    while time.monotonic() < deadline:
        routes = bird.routes("mesh")
        samples += 1
        assert {"10.30.0.0/24", "10.31.0.0/24"} <= set(routes), \
            f"route lost during the restart (sample {samples}): {sorted(routes)}"
        state = bird.protocol_state("mesh")
        if state != "Established":
            saw_down = True
        elif saw_down or instance.worker_pids()["auto-0"] != pid:
            if "10.32.0.0/24" not in routes:
                break
        time.sleep(0.02)
    else:
        raise AssertionError(f"the session did not come back clean:\n{instance.log()}")
    assert instance.worker_pids()["auto-0"] != pid
    assert samples > 5
    # fresh: the restarted worker's OPEN said Restart State, BIRD's GR is over
    text = bird.log_text()
    assert "graceful restart" in text.lower(), text[-3000:]
    routes = bird.wait_routes("mesh", lambda r: {"10.30.0.0/24", "10.31.0.0/24"} <= set(r)
                              and "10.32.0.0/24" not in r, timeout=10)
    assert routes["10.31.0.0/24"]["next_hop"] == my_end.address


def test_only_the_first_session_after_a_worker_restart_says_restart_state(
        tmp_path, addresses, bird_factory, mesh):
    """With idle-hold the driver keeps one FSM across sessions: the OPEN of
    the session after the restarted worker's first must carry R=0 again
    (RFC 4724 section 3: the bit is for the restart, not for later sessions)."""
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end,
                                               extra=["graceful restart on;"])])
    relay = Relay(tmp_path, "script")
    instance = mesh(relay.process_block() + neighbor(
        bird_end, my_end,
        extra="    idle-hold 1;\n"
              "    capability {\n        graceful-restart 60;\n    }\n"
              "    api {\n        processes [ script ];\n"
              "        send {\n            open;\n        }\n    }\n"))
    bird.wait_established("mesh", timeout=30)

    def restart_flags() -> list[list[str]]:
        return [m["neighbor"]["open"]["capabilities"]["64"]["restart-flags"]
                for m in relay.messages() if m.get("type") == "open"]

    def since_restart() -> list[list[str]]:
        """The OPENs from the restarted worker's first one (ExaBGP's JSON
        calls the R bit "forwarding").  The first session's OPEN may reach
        the script late, or not at all (that session comes up as bgpmesh
        starts, maybe before the script's subscription does)."""
        flags = restart_flags()
        return flags[flags.index(["forwarding"]):] if ["forwarding"] in flags else []

    pid = instance.worker_pids()["auto-0"]
    os.kill(pid, signal.SIGKILL)
    wait_until(since_restart, 30, message=lambda: relay.lines())
    assert restart_flags().count(["forwarding"]) == 1
    bird.wait_established("mesh", timeout=30)
    # BIRD resets the session (Cease); the kept, damped FSM opens the next one
    bird.birdc("restart mesh")
    wait_until(lambda: len(since_restart()) == 2, 30,
               message=lambda: f"{relay.lines()}\n{instance.log()[-2000:]}")
    assert since_restart() == [["forwarding"], []], instance.log()[-3000:]
    bird.wait_established("mesh", timeout=30)


def test_long_lived_graceful_restart_keeps_routes_past_the_restart_time(
        tmp_path, addresses, bird_factory, mesh):
    """RFC 9494 as the restarting speaker: a worker stopped (SIGSTOP) for
    longer than the 2 s restart time, until the supervisor's heartbeat check
    kills and restarts it.  BIRD keeps the route throughout, LLGR-stale
    (LLGR_STALE, 65535:6) once the restart time is over, fresh once the new
    worker is back."""
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end, extra=[
        "graceful restart on;", "long lived graceful restart on;"])])
    instance = mesh(neighbor(bird_end, my_end, extra=(
        "    capability {\n        graceful-restart 2;\n"
        "        long-lived-graceful-restart 600;\n    }\n"
        "    static {\n        route 10.37.0.0/24 next-hop self;\n    }\n")))
    bird.wait_established("mesh", timeout=30)
    bird.wait_routes("mesh", lambda r: "10.37.0.0/24" in r, timeout=15)
    assert "LL stale time: 600" in bird.show_protocol("mesh"), bird.show_protocol("mesh")
    pid = instance.worker_pids()["auto-0"]
    os.kill(pid, signal.SIGSTOP)
    try:
        samples = []  # (BIRD's protocol state, LLGR-stale?)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            routes = bird.routes("mesh")
            assert "10.37.0.0/24" in routes, \
                f"route lost (sample {len(samples)}): {samples[-5:]}\n{instance.log()[-2000:]}"
            stale = (65535, 6) in routes["10.37.0.0/24"]["communities"]
            samples.append((bird.protocol_state("mesh"), stale))
            if any(s for _, s in samples) and samples[-1] == ("Established", False):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"not fresh again: {samples[-5:]}\n{instance.log()[-3000:]}")
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    # the stopped worker was replaced; BIRD held the route LLGR-stale meanwhile
    assert instance.worker_pids()["auto-0"] != pid
    assert [s for _, s in samples].count(True) >= 5, samples


def test_without_graceful_restart_bird_drops_the_routes(tmp_path, addresses, bird_factory,
                                                        mesh):
    """The control: same kill, no GR capability, and the routes do go away."""
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end,
                                               extra=["graceful restart on;"])])
    instance = mesh(neighbor(bird_end, my_end,
                             extra="    static {\n        route 10.33.0.0/24 next-hop self;\n"
                                   "    }\n"))
    bird.wait_established("mesh", timeout=30)
    bird.wait_routes("mesh", lambda r: "10.33.0.0/24" in r, timeout=15)
    pid = instance.worker_pids()["auto-0"]
    os.kill(pid, signal.SIGKILL)
    # poll fast: the restarted worker sends the route again within a second
    wait_until(lambda: "10.33.0.0/24" not in bird.routes("mesh"), 10, interval=0.01,
               message="BIRD kept the route of a speaker without graceful restart")
    bird.wait_routes("mesh", lambda r: "10.33.0.0/24" in r, timeout=30)
    assert instance.worker_pids()["auto-0"] != pid


def test_sigterm_sends_the_shutdown_communication(tmp_path, addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end)])
    instance = mesh(neighbor(bird_end, my_end))
    bird.wait_established("mesh", timeout=30)
    assert instance.stop() == 0
    wait_until(lambda: "bgpmesh shutting down" in bird.log_text(), 10,
               message=lambda: bird.log_text()[-2000:])


def test_peer_as_auto_and_capabilities_seen_by_bird(tmp_path, addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end, extra=[
        "enable extended messages on;", "graceful restart on;"])])
    mesh(neighbor(bird_end, my_end, peer_as="auto", extra=(
        "    host-name edge1;\n    domain-name example.net;\n"
        "    capability {\n        route-refresh;\n        graceful-restart 77;\n"
        "        software-version;\n    }\n"
        "    static {\n        route 10.34.0.0/24 next-hop self;\n    }\n")))
    bird.wait_established("mesh", timeout=30)
    routes = bird.wait_routes("mesh", lambda r: "10.34.0.0/24" in r, timeout=15)
    assert routes["10.34.0.0/24"]["as_path"] == [65001]  # eBGP, as the OPEN told
    shown = bird.show_protocol("mesh")
    neighbor_caps = shown.split("Neighbor capabilities")[-1]
    for needle in ("Extended message", "Graceful restart", "Restart time: 77",
                   "Enhanced refresh", "Hostname: edge1"):  # BIRD shows no domain
        assert needle in neighbor_caps, shown


def test_a_passive_range_accepts_a_peer_inside_it(tmp_path, addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end, passive=False)])
    prefix = bird_end.address.rsplit(".", 1)[0] + ".0/24"
    mesh(neighbor(bird_end, my_end, passive=True, address=prefix,
                  extra="    static {\n        route 10.35.0.0/24 next-hop self;\n    }\n"))
    bird.wait_established("mesh", timeout=30)
    bird.wait_routes("mesh", lambda r: "10.35.0.0/24" in r, timeout=15)


def test_both_sides_active_end_with_one_session(tmp_path, addresses, bird_factory, mesh):
    """BIRD and bgpmesh both connect: each side may see two connections, and
    collision resolution (RFC 4271 6.8) leaves one session with the routes."""
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end, passive=False)])
    instance = mesh(neighbor(bird_end, my_end, extra=(
        f"    listen {my_end.port};\n"
        "    static {\n        route 10.36.0.0/24 next-hop self;\n    }\n")))
    bird.wait_established("mesh", timeout=30)
    bird.wait_routes("mesh", lambda r: "10.36.0.0/24" in r, timeout=15)
    assert "not listening" not in instance.log()
    # stable: no flapping from the two connections
    time.sleep(2)
    assert bird.protocol_state("mesh") == "Established"
    assert instance.log().count("session established") == 1, instance.log()
