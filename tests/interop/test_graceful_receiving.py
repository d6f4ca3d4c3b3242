"""Graceful restart with bgpmesh as the receiving speaker (RFC 4724 section
4.2), against BIRD 2 restarting for real: ``birdc graceful restart``, then
``bird -R`` with the same configuration (less one route).

What a script must see: ``down``, a ``stale`` event, no withdrawal while the
peer is away, the routes again, then the withdrawal of the one route the
restarted peer did not announce, at its End-of-RIB.
"""

from __future__ import annotations

import os
import re
import signal

import pytest

from tests.daemons.bgpmesh import Relay
from tests.daemons.bird import BirdPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system

KEPT = "10.81.0.0/24"
DROPPED = "10.81.1.0/24"


def neighbor(bird_end, my_end, *, capability: str, extra: str = "") -> str:
    return (f"neighbor {bird_end.address} {{\n"
            f"{extra}"
            f"    router-id {my_end.address};\n"
            f"    local-address {my_end.address};\n"
            "    local-as 65001;\n"
            "    peer-as 65002;\n"
            "    hold-time 9;\n"
            f"    connect {bird_end.port};\n"
            "    family {\n        ipv4 unicast;\n    }\n"
            f"    capability {{\n{capability}    }}\n"
            "    api {\n        processes [ script ];\n        neighbor-changes;\n"
            "        receive {\n            parsed;\n            update;\n        }\n    }\n"
            "}\n")


def bird_peer(bird_end, my_end, *, extra=()) -> BirdPeer:
    return BirdPeer(name="mesh", local_address=bird_end.address, local_port=bird_end.port,
                    peer_address=my_end.address, peer_port=my_end.port, local_as=65002,
                    peer_as=65001, ipv6=False,
                    export_static=[(KEPT, {}), (DROPPED, {})],
                    extra=["graceful restart on;", "graceful restart time 60;", *extra],
                    # a BIRD in recovery waits this long at most for its peers
                    tables=["graceful restart wait 10;"])


def announced(message: dict) -> set[str]:
    update = message["neighbor"].get("message", {}).get("update", {})
    return {item["nlri"] if isinstance(item, dict) else item
            for hops in update.get("announce", {}).values()
            for items in hops.values() for item in items}


def withdrawn(message: dict) -> set[str]:
    update = message["neighbor"].get("message", {}).get("update", {})
    return {item["nlri"] if isinstance(item, dict) else item
            for items in update.get("withdraw", {}).values() for item in items}


def events(relay: Relay) -> list[dict]:
    return [m for m in relay.messages() if m.get("type") in ("state", "update", "stale")]


def since_down(relay: Relay, before: int) -> list[dict]:
    """The events from the first ``down`` after the first ``before`` ones
    (the first session's End-of-RIB may still come after ``wait_held``)."""
    seen = events(relay)[before:]
    first = next(i for i, m in enumerate(seen)
                 if m["type"] == "state" and m["neighbor"]["state"] == "down")
    return seen[first:]


def wait_held(relay: Relay, prefixes: set[str]) -> None:
    """Until bgpmesh's Adj-RIB-In holds ``prefixes`` (``show adj-rib in``):
    the events of a session that comes up as bgpmesh starts may reach a
    script before its subscription does, so they are no signal."""
    def held() -> bool:
        before = len(relay.acks())
        relay.send("show adj-rib in")
        relay.wait_acks(before + 1)
        return all(any(line.endswith(" " + p) for line in relay.lines()) for p in prefixes)

    wait_until(held, 20, interval=0.2, message=lambda: relay.lines())


def test_bird_restarts_gracefully_and_the_script_sees_no_withdrawal_until_end_of_rib(
        tmp_path, addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    instance = mesh(relay.process_block() + neighbor(
        bird_end, my_end, capability="        graceful-restart 30;\n"))
    bird.wait_established("mesh", timeout=30)
    wait_held(relay, {KEPT, DROPPED})
    before = len(events(relay))

    # BIRD restarts without DROPPED
    bird.peers[0].export_static = [(KEPT, {})]
    bird.graceful_restart()
    relay.wait_message(lambda m: m.get("type") == "stale", timeout=20)
    bird.start(recovery=True)
    over = relay.wait_message(lambda m: m.get("type") == "stale"
                              and m["neighbor"]["stale"]["phase"] == "over", timeout=60)
    seen = since_down(relay, before)
    kinds = [(m["type"], m["neighbor"].get("state") or m["neighbor"].get("stale", {})
              .get("phase")) for m in seen]
    log = f"{kinds}\n{instance.log()[-3000:]}"
    # down, then the routes are stale for BIRD's restart time
    assert kinds[0] == ("state", "down"), log
    stale = seen[1]["neighbor"]["stale"]
    assert stale["family"] == "ipv4 unicast" and stale["phase"] == "restart", log
    assert stale["routes"] == 2 and stale["until"] > seen[1]["time"] + 50, log
    # no withdrawal at all until the End-of-RIB of the restarted BIRD; then
    # exactly the route it did not announce again
    first = next(i for i, m in enumerate(seen) if m["type"] == "update" and withdrawn(m))
    assert ("state", "up") in kinds[:first], log
    assert KEPT in set().union(*map(announced, seen[:first])), log
    assert withdrawn(seen[first]) == {DROPPED}, log
    assert sum(1 for m in seen if m["type"] == "update" and withdrawn(m)) == 1, log
    assert over["neighbor"]["stale"] == {"family": "ipv4 unicast", "phase": "over",
                                         "routes": 1, "reason": "End-of-RIB"}, log
    # then BIRD's End-of-RIB itself
    eor = [i for i, m in enumerate(seen) if m["type"] == "update"
           and "eor" in m["neighbor"]["message"]]
    assert eor and eor[-1] > first, log


@pytest.mark.parametrize("capability, extra", [
    ("        asn4;\n", ""),
    ("        graceful-restart 30;\n", "    adj-rib-in false;\n"),
], ids=["no-graceful-restart", "no-adj-rib-in"])
def test_without_graceful_restart_nothing_is_stale(tmp_path, addresses, bird_factory, mesh,
                                                   capability, extra):
    """The controls: no graceful-restart of ours, or no Adj-RIB-In to keep
    the routes in, so BIRD's restart is a plain down."""
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    mesh(relay.process_block() + neighbor(bird_end, my_end, capability=capability,
                                          extra=extra))
    bird.wait_established("mesh", timeout=30)
    # no Adj-RIB-In to ask: BIRD's count of routes it sent is the signal
    wait_until(lambda: re.search(r"Routes:\s+\d+ imported, 2 exported",
                                 bird.show_protocol("mesh")), 20,
               message=lambda: bird.show_protocol("mesh"))
    bird.graceful_restart()
    relay.wait_message(lambda m: m.get("type") == "state"
                       and m["neighbor"]["state"] == "down", timeout=20)
    bird.start(recovery=True)
    bird.wait_established("mesh", timeout=30)
    wait_until(lambda: sum(1 for m in events(relay) if m["type"] == "update"
                           and "eor" in m["neighbor"]["message"]) >= 2, 30,
               message=lambda: relay.lines())
    assert not [m for m in relay.messages() if m.get("type") == "stale"]


# -- long-lived graceful restart (RFC 9494) ------------------------------------

NO_LLGR_ROUTE = "10.81.2.0/24"


def communities(message: dict) -> list:
    update = message["neighbor"].get("message", {}).get("update", {})
    return update.get("attribute", {}).get("community", [])


def test_bird_stays_away_long_lived_stale_then_withdrawn(tmp_path, addresses, bird_factory,
                                                         mesh):
    """BIRD offers a 1 s restart time and a 4 s long-lived stale time, then
    stays away: the routes are stale, then LLGR-stale (NO_LLGR's withdrawn,
    the others announced again with LLGR_STALE), then withdrawn."""
    bird_end, my_end = addresses.pair()
    peer = bird_peer(bird_end, my_end, extra=[
        "long lived graceful restart on;", "long lived stale time 4;"])
    peer.extra.remove("graceful restart time 60;")
    peer.extra.append("graceful restart time 1;")
    peer.export_static.append((NO_LLGR_ROUTE, {"bgp_community": [(65535, 7)]}))
    bird = bird_factory("10.0.0.2", [peer])
    relay = Relay(tmp_path, "script")
    instance = mesh(relay.process_block() + neighbor(
        bird_end, my_end, capability="        graceful-restart 30;\n"
                                     "        long-lived-graceful-restart 3600;\n"))
    bird.wait_established("mesh", timeout=30)
    every = {KEPT, DROPPED, NO_LLGR_ROUTE}
    wait_held(relay, every)
    before = len(events(relay))
    bird.graceful_restart()
    over = relay.wait_message(lambda m: m.get("type") == "stale"
                              and m["neighbor"]["stale"]["phase"] == "over", timeout=30)
    seen = since_down(relay, before)
    log = f"{[(m['type'], m['neighbor'].get('stale')) for m in seen]}\n" \
          f"{relay.lines()[-12:]}\n{instance.log()[-3000:]}"
    phases = [m["neighbor"]["stale"]["phase"] for m in seen if m["type"] == "stale"]
    assert phases == ["restart", "long-lived", "over"], log
    long_lived = next(m for m in seen if m["type"] == "stale"
                      and m["neighbor"]["stale"]["phase"] == "long-lived")
    assert long_lived["neighbor"]["stale"]["routes"] == 2, log
    # BIRD's own stale time, not ours
    assert 3 < long_lived["neighbor"]["stale"]["until"] - long_lived["time"] <= 4.5, log
    updates = [m for m in seen if m["type"] == "update"]
    # NO_LLGR's route leaves when the long-lived phase begins, the others are
    # announced again with LLGR_STALE (65535:6)
    assert [withdrawn(m) for m in updates if withdrawn(m)] == [{NO_LLGR_ROUTE},
                                                               {KEPT, DROPPED}], log
    tagged = [m for m in updates if announced(m)]
    assert set().union(*map(announced, tagged)) == {KEPT, DROPPED}, log
    assert all([65535, 6] in communities(m) for m in tagged), log
    assert over["neighbor"]["stale"]["reason"] == "the long-lived stale time ran out", log
    assert over["neighbor"]["stale"]["routes"] == 2, log


def test_silent_bird_hold_timer_then_back_without_forwarding_state(tmp_path, addresses,
                                                                   bird_factory, mesh):
    """BIRD stopped (SIGSTOP) past the 9 s hold time: our hold timer ends the
    session, which is a restart too (stale, no withdrawal); BIRD continued
    comes back as a plain restart, without the Forwarding State bit, so every
    stale route goes at once (RFC 4724 4.2)."""
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    instance = mesh(relay.process_block() + neighbor(
        bird_end, my_end, capability="        graceful-restart 30;\n"))
    bird.wait_established("mesh", timeout=30)
    wait_held(relay, {KEPT, DROPPED})
    before = len(events(relay))
    pid = bird.process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        relay.wait_message(lambda m: m.get("type") == "stale", timeout=30)
    finally:
        os.kill(pid, signal.SIGCONT)
    over = relay.wait_message(lambda m: m.get("type") == "stale"
                              and m["neighbor"]["stale"]["phase"] == "over", timeout=60)
    seen = since_down(relay, before)
    log = f"{[(m['type'], m['neighbor'].get('state'), m['neighbor'].get('stale')) for m in seen]}" \
          f"\n{instance.log()[-3000:]}"
    assert seen[0]["neighbor"]["state"] == "down", log
    assert "4/0" in seen[0]["neighbor"]["reason"], log  # Hold Timer Expired
    assert seen[1]["neighbor"]["stale"]["phase"] == "restart", log
    assert over["neighbor"]["stale"] == {
        "family": "ipv4 unicast", "phase": "over", "routes": 2,
        "reason": "the peer did not preserve its forwarding state"}, log
    first = next(i for i, m in enumerate(seen) if m["type"] == "update" and withdrawn(m))
    assert ("state", "up") in [(m["type"], m["neighbor"].get("state")) for m in seen[:first]]
    assert withdrawn(seen[first]) == {KEPT, DROPPED}, log


def test_bird_stays_away_past_its_restart_time(tmp_path, addresses, bird_factory, mesh):
    """BIRD offers a 2 s restart time and does not come back: the stale
    routes are withdrawn when it runs out (RFC 4724 4.2), not before."""
    bird_end, my_end = addresses.pair()
    peer = bird_peer(bird_end, my_end)
    peer.extra.remove("graceful restart time 60;")
    peer.extra.append("graceful restart time 2;")
    bird = bird_factory("10.0.0.2", [peer])
    relay = Relay(tmp_path, "script")
    mesh(relay.process_block() + neighbor(bird_end, my_end,
                                          capability="        graceful-restart 30;\n"))
    bird.wait_established("mesh", timeout=30)
    wait_held(relay, {KEPT, DROPPED})
    before = len(events(relay))
    bird.graceful_restart()
    over = relay.wait_message(lambda m: m.get("type") == "stale"
                              and m["neighbor"]["stale"]["phase"] == "over", timeout=30)
    seen = since_down(relay, before)
    stale = next(m for m in seen if m["type"] == "stale")
    assert [m["type"] for m in seen] == ["state", "stale", "update", "stale"], relay.lines()
    assert withdrawn(seen[2]) == {KEPT, DROPPED}
    assert over["neighbor"]["stale"]["reason"] == "the restart time ran out"
    # not before BIRD's restart time (the event times are the worker's clock)
    assert over["time"] >= stale["neighbor"]["stale"]["until"] - 0.5


def test_text_encoder_lines(tmp_path, addresses, bird_factory, mesh):
    """The same restart as a text-encoder script reads it."""
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer(bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    mesh(relay.process_block(encoder="text") + neighbor(
        bird_end, my_end, capability="        graceful-restart 30;\n"))
    bird.wait_established("mesh", timeout=30)
    wait_held(relay, {KEPT, DROPPED})
    bird.peers[0].export_static = [(KEPT, {})]
    bird.graceful_restart()
    bird.start(recovery=True)
    peer = bird_end.address
    wait_until(lambda: any(" stale over " in line for line in relay.lines()), 60,
               message=lambda: relay.lines())
    lines = relay.lines()
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith(f"neighbor {peer} down")):]
    stale = [line for line in lines if line.startswith(f"neighbor {peer} stale ")]
    assert re.fullmatch(rf"neighbor {re.escape(peer)} stale restart routes 2 until [\d.]+ reason "
                        r"waiting for the peer family ipv4 unicast", stale[0]), lines
    assert stale[-1] == f"neighbor {peer} stale over routes 1 reason End-of-RIB family ipv4 unicast"
    withdrawals = [line for line in lines if " update withdrawn " in line]
    assert withdrawals == [f"neighbor {peer} receive update withdrawn {DROPPED} family ipv4 unicast"]
    assert lines.index(withdrawals[0]) < lines.index(stale[-1])
