"""The whole path: script -> bridge -> bus -> worker -> TCP -> a real BIRD, and back.

Each test starts ``bgpmesh start`` as a subprocess with its own configuration,
run folder and loopback addresses, against BIRD 2 started by the test.  BIRD
is passive unless said otherwise: bgpmesh connects to it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.daemons.bgpmesh import Relay
from tests.daemons.bird import BirdPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]


def neighbor_block(bird_end, my_end, *, local_as=65001, peer_as=65002, processes=(),
                   receive=False, passive=False, group=None, static=()) -> str:
    api = ""
    if processes:
        api = (f"    api {{\n        processes [ {' '.join(processes)} ];\n"
               f"        neighbor-changes;\n")
        if receive:
            api += "        receive {\n            parsed;\n            update;\n        }\n"
        api += "    }\n"
    port = f"    listen {my_end.port};\n    passive;\n" if passive else \
        f"    connect {bird_end.port};\n"
    statics = "".join(f"        route {s};\n" for s in static)
    body = (f"neighbor {bird_end.address} {{\n"
            f"    router-id {my_end.address};\n"
            f"    local-address {my_end.address};\n"
            f"    local-as {local_as};\n"
            f"    peer-as {peer_as};\n"
            f"    hold-time 9;\n"
            f"{port}"
            f"    family {{\n        ipv4 unicast;\n        ipv6 unicast;\n    }}\n"
            f"{api}"
            + (f"    static {{\n{statics}    }}\n" if statics else "")
            + "}\n")
    if group:
        return f"group {group} {{\n{body}}}\n"
    return body


def bird_peer(name, bird_end, my_end, *, passive=True, export=()) -> BirdPeer:
    return BirdPeer(name=name, local_address=bird_end.address, local_port=bird_end.port,
                    peer_address=my_end.address, peer_port=my_end.port, local_as=65002,
                    peer_as=65001, passive=passive, export_static=list(export))


def test_script_routes_reach_bird_and_bird_routes_reach_script(tmp_path, addresses,
                                                               bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end, export=[
        ("203.0.113.0/24", {"bgp_med": 42, "bgp_community": [(65002, 7)]})])])
    relay = Relay(tmp_path, "script")
    mesh(relay.process_block() + neighbor_block(bird_end, my_end, processes=["script"],
                                                receive=True))
    bird.wait_established("mesh", timeout=30)

    relay.send(
        "announce route 10.1.0.0/24 next-hop self med 10 community [ 65001:1 65001:2 ]",
        "announce route 10.2.0.0/24 next-hop 192.0.2.1 as-path [ 65001 64999 ] origin egp",
        "announce route 10.3.0.0/24 next-hop self local-preference 300",
        "announce route 2001:db8:1::/48 next-hop 2001:db8::1 med 5",
    )
    assert relay.wait_acks(4) == ["done"] * 4
    routes = bird.wait_routes("mesh", lambda r: {"10.1.0.0/24", "10.2.0.0/24", "10.3.0.0/24",
                                                 "2001:db8:1::/48"} <= set(r), timeout=15)
    assert routes["10.1.0.0/24"]["med"] == 10
    assert routes["10.1.0.0/24"]["communities"] == [(65001, 1), (65001, 2)]
    assert routes["10.1.0.0/24"]["next_hop"] == my_end.address
    assert routes["10.1.0.0/24"]["as_path"] == [65001]  # eBGP default: our AS
    assert routes["10.2.0.0/24"]["as_path"] == [65001, 64999]
    assert routes["10.2.0.0/24"]["origin"] == "EGP"
    assert routes["10.2.0.0/24"]["next_hop"] == "192.0.2.1"
    assert routes["2001:db8:1::/48"]["med"] == 5
    assert routes["2001:db8:1::/48"]["next_hop"] == "2001:db8::1"

    relay.send("withdraw route 10.2.0.0/24")
    assert relay.wait_acks(5)[-1] == "done"
    bird.wait_routes("mesh", lambda r: "10.2.0.0/24" not in r and "10.1.0.0/24" in r,
                     timeout=15)

    # BIRD's export reaches the script as ExaBGP JSON
    up = relay.wait_message(lambda m: m["type"] == "state" and m["neighbor"]["state"] == "up")
    assert up["exabgp"] == "4.0.1"
    assert up["neighbor"]["address"] == {"local": my_end.address, "peer": bird_end.address}
    assert up["neighbor"]["asn"] == {"local": 65001, "peer": 65002}
    assert up["neighbor"]["state"] == "up"
    update = relay.wait_message(
        lambda m: m["type"] == "update"
        and "203.0.113.0/24" in str(m["neighbor"]["message"].get("update", {}).get("announce")))
    body = update["neighbor"]["message"]["update"]
    assert body["attribute"]["med"] == 42
    assert body["attribute"]["community"] == [[65002, 7]]
    assert body["attribute"]["as-path"] == [65002]
    assert body["announce"]["ipv4 unicast"] == {bird_end.address: [{"nlri": "203.0.113.0/24"}]}


def test_garbage_from_a_script_is_an_error_and_changes_nothing(tmp_path, addresses,
                                                               bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    instance = mesh(relay.process_block() + neighbor_block(bird_end, my_end,
                                                           processes=["script"]))
    bird.wait_established("mesh", timeout=30)
    relay.send("announce route 10.9.0.0/24 next-hop self")
    relay.wait_acks(1)
    relay.send("this is not a command",
               "announce route 10.9.1.0/24 next-hop",
               "neighbor 192.0.2.99 announce route 10.9.2.0/24 next-hop self",
               "announce route 10.9.3.0/24 next-hop self")
    assert relay.wait_acks(5) == ["done", "error", "error", "error", "done"]
    routes = bird.wait_routes("mesh", lambda r: "10.9.3.0/24" in r, timeout=15)
    assert set(routes) == {"10.9.0.0/24", "10.9.3.0/24"}
    assert bird.protocol_state("mesh") == "Established"
    assert instance.process.poll() is None


def test_send_and_watch_over_the_bus(tmp_path, addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    peer = bird_peer("mesh", bird_end, my_end)
    bird = bird_factory("10.0.0.2", [peer])
    instance = mesh(neighbor_block(bird_end, my_end))
    bird.wait_established("mesh", timeout=30)

    result = instance.cli("send", "announce route 10.7.0.0/24 next-hop self med 7")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "done"
    routes = bird.wait_routes("mesh", lambda r: "10.7.0.0/24" in r, timeout=15)
    assert routes["10.7.0.0/24"]["med"] == 7

    result = instance.cli("send", "neighbor 192.0.2.99 announce route 10.8.0.0/24 next-hop self")
    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[-1] == "error"

    watcher = subprocess.Popen(
        [sys.executable, "-m", "bgpmesh", "watch", "--run-dir", str(instance.run_dir),
         "--type", "update", "--count", "1"], stdout=subprocess.PIPE, text=True)
    try:
        # watch connects without a handshake, so it may miss what happens
        # first: change the exported route until it has printed one update
        med = iter(range(1, 1000))

        def printed() -> bool:
            if watcher.poll() is not None:
                return True
            peer.export_static = [("198.18.0.0/24", {"bgp_med": next(med)})]
            bird.reconfigure()
            return False

        wait_until(printed, 20, interval=0.5, message="bgpmesh watch printed nothing")
        out, _ = watcher.communicate(timeout=5)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert '"198.18.0.0/24"' in out
    assert '"exabgp": "4.0.1"' in out


def test_two_workers_survive_a_killed_worker(tmp_path, addresses, bird_factory, mesh):
    pairs = [addresses.pair() for _ in range(4)]
    bird = bird_factory("10.0.0.2", [bird_peer(f"p{i}", b, m) for i, (b, m) in
                                     enumerate(pairs)])
    relay = Relay(tmp_path, "script")
    blocks = "".join(
        f"group g{g} {{\n" + "".join(
            neighbor_block(b, m, processes=["script"], static=[f"192.0.2.{i}/32 next-hop self"])
            for i, (b, m) in enumerate(pairs) if i % 2 == g) + "}\n"
        for g in (0, 1))
    instance = mesh(relay.process_block() + blocks)
    for i in range(4):
        bird.wait_established(f"p{i}", timeout=30)
    relay.send("announce route 10.5.0.0/24 next-hop self med 5")
    assert relay.wait_acks(1) == ["done"]
    for i in range(4):
        bird.wait_routes(f"p{i}", lambda r, i=i: {"10.5.0.0/24", f"192.0.2.{i}/32"} <= set(r),
                         timeout=15)

    pids = instance.worker_pids()
    assert set(pids) == {"g0", "g1"}
    os.kill(pids["g0"], signal.SIGKILL)
    wait_until(lambda: instance.worker_pids()["g0"] != pids["g0"], 15,
               message=lambda: f"worker g0 was not restarted:\n{instance.log()}")
    # the sessions of g0 come back with the API route and the static route
    for i in (0, 2):
        bird.wait_routes(f"p{i}", lambda r, i=i: {"10.5.0.0/24", f"192.0.2.{i}/32"} <= set(r),
                         timeout=30)
        assert bird.protocol_state(f"p{i}") == "Established"
    # g1 was not touched, and `bgpmesh status` tells the story
    assert instance.worker_pids()["g1"] == pids["g1"]
    status = instance.cli("status", "--json")
    assert status.returncode == 0, status.stderr
    workers = {w["name"]: w for w in json.loads(status.stdout)["workers"]}
    assert workers["g0"]["restarts"] == 1 and workers["g1"]["restarts"] == 0
    assert workers["g0"]["pid"] == instance.worker_pids()["g0"]
    assert workers["g0"]["neighbors"] == 2 and workers["g0"]["rss"] > 0
    for i in (1, 3):
        assert bird.protocol_state(f"p{i}") == "Established"
    relay.send("announce route 10.6.0.0/24 next-hop self")
    assert relay.wait_acks(2) == ["done", "done"]
    for i in range(4):
        bird.wait_routes(f"p{i}", lambda r: "10.6.0.0/24" in r, timeout=15)


def test_passive_neighbor_gets_the_connection_the_supervisor_accepted(tmp_path, addresses,
                                                                      bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end, passive=False)])
    mesh(neighbor_block(bird_end, my_end, passive=True,
                        static=["10.4.0.0/24 next-hop self med 4"]))
    bird.wait_established("mesh", timeout=30)
    routes = bird.wait_routes("mesh", lambda r: "10.4.0.0/24" in r, timeout=15)
    assert routes["10.4.0.0/24"]["med"] == 4


def test_sigterm_closes_sessions_with_administrative_shutdown(tmp_path, addresses,
                                                              bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    instance = mesh(neighbor_block(bird_end, my_end))
    bird.wait_established("mesh", timeout=30)
    assert instance.stop() == 0
    wait_until(lambda: "Administrative shutdown" in bird.log_text(), 10,
               message=lambda: bird.log_text()[-2000:])


def test_a_config_typo_is_one_line_naming_file_and_line(tmp_path):
    conf = tmp_path / "broken.conf"
    conf.write_text("neighbor 127.0.0.9 {\n    local-as 65001;\n    peer-az 65002;\n}\n")
    result = subprocess.run([sys.executable, "-m", "bgpmesh", "start", str(conf),
                             "--run-dir", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    first = result.stderr.strip().splitlines()[0]
    assert f"{conf}:3:5:" in first
    assert "peer-az" in first
    assert not (tmp_path / "run").exists()  # nothing was started


def test_shipped_example_configuration_runs_on_its_own(tmp_path, addresses):
    """`bgpmesh start conf/` peers with itself and prints what it receives.

    Run on a copy whose two fixed ports are swapped for free ones, so that a
    developer running the example on this machine does not fail the test;
    everything else (addresses, scripts, routes) is the shipped file.
    """
    conf = tmp_path / "conf"
    conf.mkdir()
    text = (ROOT / "conf" / "bgpmesh.conf").read_text()
    assert "1790" in text and "1791" in text
    text = text.replace("1790", str(addresses.port("127.0.0.2")))
    text = text.replace("1791", str(addresses.port("127.0.0.1")))
    text = text.replace("../scripts/", f"{ROOT}/scripts/")
    (conf / "bgpmesh.conf").write_text(text)
    log = tmp_path / "out.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bgpmesh", "start", str(conf), "--run-dir",
             str(tmp_path / "run")], stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: '"10.10.3.0/24"' in log.read_text()
                       and '"2001:db8:10::/48"' in log.read_text(), 30,
                       message=lambda: log.read_text())
            text = log.read_text()
            assert '"state": "up"' in text
            assert '"198.51.100.0/24"' in text  # the static route
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(20) == 0


def test_every_attribute_a_script_gives_reaches_bird_and_the_rest_is_refused(
        tmp_path, addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    mesh(relay.process_block() + neighbor_block(bird_end, my_end, processes=["script"]))
    bird.wait_established("mesh", timeout=30)
    relay.send(
        "announce route 10.11.0.0/24 next-hop self extended-community [ target:65000:7 ] "
        "large-community [ 65001:2:3 ] aggregator ( 65001:192.0.2.5 ) atomic-aggregate",
        "announce route 10.12.0.0/24 rd 65000:1 next-hop self",  # mpls-vpn needs a label
        "announce route 10.13.0.0/24 next-hop self watchdog dog",
        "announce route 10.14.0.0/24 next-hop self",
    )
    assert relay.wait_acks(4) == ["done", "error", "done", "done"]
    routes = bird.wait_routes(
        "mesh", lambda r: {"10.11.0.0/24", "10.13.0.0/24", "10.14.0.0/24"} <= set(r),
        timeout=15)
    route = routes["10.11.0.0/24"]
    assert ("rt", "65000", "7") in route["ext_communities"]
    assert route["large_communities"] == [(65001, 2, 3)]
    assert route["attributes"]["aggregator"] == "192.0.2.5 AS65001"
    assert "atomic_aggr:" in route["attributes"]  # BIRD prints the flag with no value
    assert "10.12.0.0/24" not in routes


def test_a_killed_worker_gets_back_a_bulk_of_batched_routes(tmp_path, addresses, bird_factory,
                                                            mesh):
    """Thousands of route lines travel as batch frames (columns, shared
    attribute sets); the supervisor's shadow keeps them by prefix text, and
    after a SIGKILL the restarted worker gets exactly the announced and not
    withdrawn ones, each with its own attributes."""
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    instance = mesh(relay.process_block() + neighbor_block(bird_end, my_end,
                                                          processes=["script"]))
    bird.wait_established("mesh", timeout=30)
    count = 3000
    relay.send(*(f"announce route 10.8.{i >> 8}.{i & 255}/32 next-hop self med {i % 3}"
                 for i in range(count)))
    relay.send(*(f"withdraw route 10.8.{i >> 8}.{i & 255}/32" for i in range(0, count, 2)))
    # another family: a batch of its own, answered in order all the same
    relay.send("announce route 2001:db8:8::/48 next-hop 2001:db8::1 community [ 65000:8 ]")
    acks = relay.wait_acks(count + count // 2 + 1, timeout=30)
    assert acks == ["done"] * (count + count // 2 + 1)
    kept = {f"10.8.{i >> 8}.{i & 255}/32": i % 3 for i in range(1, count, 2)}
    bird.wait_routes("mesh", lambda r: set(kept) <= set(r), timeout=30)

    pid = instance.worker_pids()
    os.kill(next(iter(pid.values())), signal.SIGKILL)
    wait_until(lambda: instance.worker_pids() and instance.worker_pids() != pid, 15,
               message=lambda: f"the worker was not restarted:\n{instance.log()}")
    bird.wait_established("mesh", timeout=30)
    routes = bird.wait_routes("mesh", lambda r: set(kept) <= set(r), timeout=30)
    ipv4 = {prefix: route for prefix, route in routes.items() if prefix.startswith("10.8.")}
    assert set(ipv4) == set(kept)
    assert all(ipv4[prefix]["med"] == med for prefix, med in kept.items())
