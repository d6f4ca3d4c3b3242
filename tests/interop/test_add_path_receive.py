"""ADD-PATH receive (RFC 7911) from a real BIRD: two paths of one prefix reach a script.

BIRD holds one route per protocol, so two static protocols give it two
routes for 10.53.0.0/24; with ``add paths tx`` on the channel it sends both,
each with its own path identifier, and the script sees both as ExaBGP JSON
(``path-information`` in each NLRI entry).
"""

from __future__ import annotations

import pytest

from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.bird import BirdPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system

STATICS = [
    'protocol static pa { ipv4; route 10.53.0.0/24 blackhole; }',
    'protocol static pb { ipv4; route 10.53.0.0/24 blackhole; }',
]
CHANNEL = ('ipv4 { igp table igp4; import none; export filter { '
           'if proto = "pa" then { bgp_med = 1; accept; } '
           'if proto = "pb" then { bgp_med = 2; accept; } reject; }; add paths tx; };')


def two_path_bird(bird_factory, bird_end, my_end, tables=(), extra=()):
    """BIRD with the two static routes of 10.53.0.0/24, sending both (add paths tx)."""
    return bird_factory("10.0.0.2", [BirdPeer(
        name="mesh", local_address=bird_end.address, local_port=bird_end.port,
        peer_address=my_end.address, peer_port=my_end.port, local_as=65002, peer_as=65001,
        passive=True, ipv4=False, ipv6=False, tables=[*STATICS, *tables],
        extra=[CHANNEL, *extra])])


def receiving_config(relay: Relay, bird_end, my_end, capability: str = "",
                     api: str = "") -> str:
    """bgpmesh with ADD-PATH receive towards BIRD, its updates to ``relay``."""
    return relay.process_block() + (
        f"neighbor {bird_end.address} {{\n"
        f"    router-id {my_end.address};\n    local-address {my_end.address};\n"
        f"    local-as 65001;\n    peer-as 65002;\n    hold-time 9;\n"
        f"    connect {bird_end.port};\n"
        f"    family {{\n        ipv4 unicast;\n    }}\n"
        f"    capability {{\n        add-path receive;\n{capability}    }}\n"
        f"    api {{\n        processes [ script ];\n{api}"
        f"        receive {{\n            parsed;\n            update;\n        }}\n    }}\n}}\n")


def test_two_paths_from_bird_reach_the_script_with_their_path_ids(tmp_path, addresses,
                                                                   bird_factory):
    bird_end, my_end = addresses.pair()
    bird = two_path_bird(bird_factory, bird_end, my_end)
    relay = Relay(tmp_path, "script")
    config = receiving_config(relay, bird_end, my_end)
    mesh = Bgpmesh(tmp_path / "mesh", config).start()

    def paths() -> dict[int, int]:
        """path id -> MED, from every announce of 10.53.0.0/24 the script saw."""
        found = {}
        for message in relay.messages():
            update = message.get("neighbor", {}).get("message", {}).get("update", {})
            med = update.get("attribute", {}).get("med")
            for entries in update.get("announce", {}).get("ipv4 unicast", {}).values():
                for entry in entries:
                    if entry.get("nlri") == "10.53.0.0/24":
                        found[entry.get("path-information")] = med
        return found

    try:
        bird.wait_established("mesh", timeout=30)
        shown = bird.show_protocol("mesh").split("Neighbor capabilities")[-1]
        assert "ADD-PATH" in shown, shown
        got = wait_until(lambda: p if len(p := paths()) == 2 else None, 20,
                         message=lambda: f"{paths()}\n{relay.lines()[-10:]}")
        # two distinct path ids, one per BIRD route, each with its own MED
        assert None not in got, got
        assert sorted(got.values()) == [1, 2], got
    finally:
        assert mesh.stop() == 0


def test_withdrawing_one_path_leaves_the_other_in_the_adj_rib_in(tmp_path, addresses, bird_factory):
    """BIRD withdraws the path of a static protocol it disables: the script
    sees that path withdrawn (with its path id), and ``show adj-rib in``
    keeps the other path of the same prefix."""
    bird_end, my_end = addresses.pair()
    bird = two_path_bird(bird_factory, bird_end, my_end)
    relay = Relay(tmp_path, "script")
    config = receiving_config(relay, bird_end, my_end)
    mesh = Bgpmesh(tmp_path / "mesh", config).start()

    def announced() -> dict[int, str]:
        """MED -> path-information of each announce of 10.53.0.0/24 seen."""
        found = {}
        for message in relay.messages():
            update = message.get("neighbor", {}).get("message", {}).get("update", {})
            for entries in update.get("announce", {}).get("ipv4 unicast", {}).values():
                for entry in entries:
                    if entry.get("nlri") == "10.53.0.0/24":
                        found[update.get("attribute", {}).get("med")] = entry.get("path-information")
        return found

    def withdrawn() -> list[dict]:
        return [entry for message in relay.messages()
                for entry in message.get("neighbor", {}).get("message", {}).get("update", {})
                .get("withdraw", {}).get("ipv4 unicast", [])]

    def shown() -> list[str]:
        before = len(relay.acks())
        relay.send("show adj-rib in")
        relay.wait_acks(before + 1)
        lines = relay.lines()
        cut = [i for i, line in enumerate(lines) if line in ("done", "error")]
        start = cut[before - 1] + 1 if before else 0
        return sorted(line for line in lines[start:cut[before]] if "10.53.0.0/24" in line)

    try:
        bird.wait_established("mesh", timeout=30)
        paths = wait_until(lambda: p if len(p := announced()) == 2 else None, 20,
                           message=lambda: f"{announced()}\n{relay.lines()[-10:]}")
        ours = f"neighbor {bird_end.address} ipv4 unicast 10.53.0.0/24 path-information"
        assert wait_until(lambda: len(s := shown()) == 2 and s, 20,
                          message=lambda: relay.lines()[-10:]) == sorted(
            f"{ours} {paths[med]}" for med in (1, 2))

        bird.disable("pa")  # its route had MED 1
        gone = wait_until(lambda: withdrawn() or None, 20, message=lambda: relay.lines()[-10:])
        assert gone == [{"nlri": "10.53.0.0/24", "path-information": paths[1]}]
        assert wait_until(lambda: len(s := shown()) == 1 and s, 20,
                          message=lambda: relay.lines()[-10:]) == [f"{ours} {paths[2]}"]
    finally:
        assert mesh.stop() == 0


def test_graceful_restart_keeps_and_withdraws_paths_not_prefixes(tmp_path, addresses,
                                                                 bird_factory):
    """BIRD restarts gracefully (``birdc graceful restart``, then ``bird -R``)
    without the static protocol of one path: both paths were stale, and at
    BIRD's End-of-RIB exactly that path is withdrawn, the other kept."""
    from tests.interop.test_graceful_receiving import events, since_down

    bird_end, my_end = addresses.pair()
    bird = two_path_bird(bird_factory, bird_end, my_end, tables=["graceful restart wait 10;"],
                         extra=["graceful restart on;", "graceful restart time 60;"])
    relay = Relay(tmp_path, "script")
    config = receiving_config(relay, bird_end, my_end,
                              capability="        graceful-restart 30;\n",
                              api="        neighbor-changes;\n")
    mesh = Bgpmesh(tmp_path / "mesh", config).start()

    def paths(messages, key: str) -> list[dict]:
        return [entry for m in messages
                for entry in _entries(m.get("neighbor", {}).get("message", {}).get("update", {}), key)
                if entry.get("nlri") == "10.53.0.0/24"]

    def held() -> list[str] | None:
        before = len(relay.acks())
        relay.send("show adj-rib in")
        relay.wait_acks(before + 1)
        lines = relay.lines()
        cut = [i for i, line in enumerate(lines) if line in ("done", "error")]
        start = cut[before - 1] + 1 if before else 0
        shown = sorted(line for line in lines[start:cut[before]] if "10.53.0.0/24" in line)
        return shown if len(shown) == 2 else None

    try:
        bird.wait_established("mesh", timeout=30)
        wait_until(held, 20, interval=0.2, message=lambda: relay.lines()[-10:])
        by_med = {}
        for m in relay.messages():
            update = m.get("neighbor", {}).get("message", {}).get("update", {})
            for entry in _entries(update, "announce"):
                by_med[update.get("attribute", {}).get("med")] = entry["path-information"]
        assert set(by_med) == {1, 2}, by_med
        before = len(events(relay))

        # BIRD restarts without the protocol of the MED 2 path
        bird.peers[0].tables = [STATICS[0], "graceful restart wait 10;"]
        bird.graceful_restart()
        relay.wait_message(lambda m: m.get("type") == "stale", timeout=20)
        bird.start(recovery=True)
        over = relay.wait_message(lambda m: m.get("type") == "stale"
                                  and m["neighbor"]["stale"]["phase"] == "over", timeout=60)
        seen = since_down(relay, before)
        log = f"{seen}\n{mesh.log()[-3000:]}"
        stale = seen[1]["neighbor"]["stale"]
        assert stale["phase"] == "restart" and stale["routes"] == 2, log
        # what BIRD announced again is fresh; only the path it did not is withdrawn
        again = {entry["path-information"] for entry in paths(seen, "announce")}
        assert by_med[1] in again, log
        assert paths(seen, "withdraw") == [{"nlri": "10.53.0.0/24",
                                            "path-information": by_med[2]}], log
        assert over["neighbor"]["stale"]["routes"] == 1, log
    finally:
        assert mesh.stop() == 0


def _entries(update: dict, key: str) -> list[dict]:
    """The ipv4 unicast entries of an update's "announce" or "withdraw"."""
    section = update.get(key, {}).get("ipv4 unicast", {})
    if key == "withdraw":
        return list(section)
    return [entry for entries in section.values() for entry in entries]
