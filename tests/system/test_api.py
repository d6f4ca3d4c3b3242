"""The ExaBGP text API beyond routes, driven by a script against a real BIRD
(issues 4 and 6): reload, acknowledgements, show / flush / clear, opt-in events."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import bird_peer, neighbor_block

pytestmark = pytest.mark.system


def neighbor(bird_end, my_end, api: str, static=()) -> str:
    statics = "".join(f"        route {s};\n" for s in static)
    return (f"neighbor {bird_end.address} {{\n"
            f"    router-id {my_end.address};\n    local-address {my_end.address};\n"
            f"    local-as 65001;\n    peer-as 65002;\n    hold-time 9;\n"
            f"    connect {bird_end.port};\n"
            f"    family {{\n        ipv4 unicast;\n    }}\n"
            f"    api {{\n{api}    }}\n"
            + (f"    static {{\n{statics}    }}\n" if statics else "") + "}\n")


def after(relay: Relay, count: int) -> list[str]:
    """What the script received after the first ``count`` lines."""
    return relay.lines()[count:]


def test_reload_from_the_script_reaches_added_neighbors(tmp_path, addresses, bird_factory):
    (a_bird, a_me), (b_bird, b_me) = addresses.pair(), addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("a", a_bird, a_me), bird_peer("b", b_bird, b_me)])
    relay = Relay(tmp_path, "script")
    first = relay.process_block() + neighbor_block(a_bird, a_me, processes=["script"])
    mesh = Bgpmesh(tmp_path / "mesh", first).start()
    try:
        bird.wait_established("a", timeout=30)
        # a neighbor the script does not know yet: no match
        relay.send(f"neighbor {b_bird.address} announce route 10.71.0.0/24 next-hop self")
        assert relay.wait_acks(1) == ["error"]

        mesh.config_path.write_text(first + neighbor_block(b_bird, b_me, processes=["script"]))
        relay.send("reload")
        relay.wait_acks(2)
        assert [x for x in relay.lines() if not x.startswith("{")][-2:] == [
            "reload in progress", "done"]
        bird.wait_established("b", timeout=30)
        relay.send(f"neighbor {b_bird.address} announce route 10.71.0.0/24 next-hop self")
        assert relay.wait_acks(3)[-1] == "done"
        bird.wait_routes("b", lambda r: "10.71.0.0/24" in r, timeout=15)
        # the new neighbor's events reach the script too
        relay.wait_message(lambda m: m["type"] == "state" and m["neighbor"]["state"] == "up"
                           and m["neighbor"]["address"]["peer"] == b_bird.address)

        # a broken file: refused, nothing changed
        mesh.config_path.write_text(first + "neighbor 127.1.2.3 {\n  hold-tme 5;\n}\n")
        relay.send("reload")
        assert relay.wait_acks(4)[-1] == "error"
        assert bird.protocol_state("b") == "Established"

        # b removed: its session goes, and the script no longer reaches it
        mesh.config_path.write_text(first)
        relay.send("reload")
        assert relay.wait_acks(5)[-1] == "done"
        relay.send(f"neighbor {b_bird.address} announce route 10.72.0.0/24 next-hop self")
        assert relay.wait_acks(6)[-1] == "error"
    finally:
        assert mesh.stop() == 0


def test_acks_off_by_environment_and_switched_by_the_script(tmp_path, addresses,
                                                           bird_factory):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", relay.process_block()
                   + neighbor_block(bird_end, my_end, processes=["script"]))
    (mesh.directory / "exabgp.env").write_text("[exabgp.api]\nack = false\n")
    mesh.start()
    try:
        bird.wait_established("mesh", timeout=30)
        relay.send("announce route 10.73.0.0/24 next-hop self", "not a command")
        bird.wait_routes("mesh", lambda r: "10.73.0.0/24" in r, timeout=15)
        relay.send("enable-ack")  # done
        relay.send("announce route 10.73.1.0/24 next-hop self")  # done
        relay.send("disable-ack")  # done, then silence
        relay.send("announce route 10.73.2.0/24 next-hop self")
        relay.send("enable-ack")  # done
        relay.send("silence-ack")  # silent at once
        relay.send("announce route 10.73.3.0/24 next-hop self")
        bird.wait_routes("mesh", lambda r: "10.73.3.0/24" in r, timeout=15)
        relay.send("enable-ack", "version")
        relay.wait_acks(6)
        assert relay.acks() == ["done"] * 6
        assert relay.lines()[-2:] == ["bgpmesh 0.1.0", "done"]
    finally:
        assert mesh.stop() == 0


def test_show_flush_clear_and_opt_in_events(tmp_path, addresses, bird_factory):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end, export=[
        ("203.0.113.0/24", {"bgp_med": 3})])])
    relay = Relay(tmp_path, "script")
    text = Relay(tmp_path, "text")
    api = ("        processes [ script text ];\n        neighbor-changes;\n"
           "        negotiated;\n        fsm;\n"
           "        receive {\n            parsed;\n            open;\n            keepalive;\n"
           "            update;\n            packets;\n        }\n"
           "        send {\n            parsed;\n            update;\n        }\n")
    mesh = Bgpmesh(tmp_path / "mesh", relay.process_block() + text.process_block("text")
                   + neighbor(bird_end, my_end, api, static=["10.74.9.0/24 next-hop self"]))
    mesh.start()
    try:
        bird.wait_established("mesh", timeout=30)
        relay.wait_message(lambda m: m["type"] == "state" and m["neighbor"]["state"] == "up")
        relay.send("announce route 10.74.0.0/24 next-hop self med 5 community [ 65001:7 ]")
        assert relay.wait_acks(1) == ["done"]
        bird.wait_routes("mesh", lambda r: {"10.74.0.0/24", "10.74.9.0/24"} <= set(r),
                         timeout=15)

        # events beyond state and update
        peer_open = relay.wait_message(lambda m: m["type"] == "open" and "open" in m["neighbor"])
        assert peer_open["neighbor"]["direction"] == "receive"
        assert peer_open["neighbor"]["open"]["asn"] == 65002
        negotiated = relay.wait_message(lambda m: m["type"] == "negotiated")
        assert negotiated["neighbor"]["negotiated"]["hold_time"] == 9
        assert "ipv4 unicast" in negotiated["neighbor"]["negotiated"]["families"]
        fsm = relay.wait_message(lambda m: m["type"] == "fsm"
                                 and m["neighbor"]["state"] == "ESTABLISHED")
        assert "direction" not in fsm["neighbor"]
        relay.wait_message(lambda m: m["type"] == "keepalive"
                           and m["neighbor"]["direction"] == "receive"
                           and "message" not in m["neighbor"])
        raw = relay.wait_message(lambda m: "message" in m["neighbor"]
                                 and "category" in m["neighbor"]["message"])
        assert raw["neighbor"]["message"]["header"].startswith("F" * 32)
        sent = relay.wait_message(
            lambda m: m["type"] == "update" and m["neighbor"].get("direction") == "send"
            and "10.74.0.0/24" in json.dumps(m["neighbor"]["message"]))
        assert sent["neighbor"]["message"]["update"]["attribute"]["med"] == 5
        wait_until(lambda: any(line.startswith(f"neighbor {bird_end.address} receive keepalive")
                               for line in text.lines()), 30,
                   message=lambda: text.lines())
        assert f"neighbor {bird_end.address} up" in text.lines()

        # show neighbor
        count = len(relay.lines())
        relay.send("show neighbor summary")
        relay.wait_acks(2)
        lines = after(relay, count)
        lines = [x for x in lines if not x.startswith("{")]
        assert lines[0] == ("Peer            AS        up/down state       |     #sent     "
                            "#recvd")
        assert lines[1].startswith(f"{bird_end.address:<15} 65002   ")
        assert " established " in lines[1]
        assert lines[-1] == "done"

        count = len(relay.lines())
        relay.send(f"show neighbor {bird_end.address} extensive")
        relay.wait_acks(3)
        lines = [x for x in after(relay, count) if not x.startswith("{")]
        assert lines[0] == f"Neighbor {bird_end.address}"
        assert any(x.split() == ["state", "ESTABLISHED"] for x in lines)
        assert any(x.split()[:3] == ["AS", "65001", "65002"] for x in lines)

        count = len(relay.lines())
        relay.send("show neighbor json")
        relay.wait_acks(4)
        rows = [json.loads(x) for x in after(relay, count) if x.startswith("[")][0]
        assert rows[0]["peer-address"] == bird_end.address and rows[0]["peer-as"] == 65002

        count = len(relay.lines())
        relay.send("show neighbor configuration")
        relay.wait_acks(5)
        lines = [x for x in after(relay, count) if not x.startswith("{")]
        assert f"neighbor {bird_end.address} {{" in lines and "    peer-as 65002;" in lines

        # show adj-rib out / in
        count = len(relay.lines())
        relay.send("show adj-rib out")
        relay.wait_acks(6)
        lines = [x for x in after(relay, count) if not x.startswith("{")]
        assert f"neighbor {bird_end.address} ipv4 unicast 10.74.0.0/24" in lines
        assert f"neighbor {bird_end.address} ipv4 unicast 10.74.9.0/24" in lines
        count = len(relay.lines())
        relay.send("show adj-rib out extensive")
        relay.wait_acks(7)
        lines = [x for x in after(relay, count) if "10.74.0.0/24" in x]
        assert lines[0].startswith(f"neighbor {bird_end.address} local-ip {my_end.address} "
                                   "local-as 65001 peer-as 65002")
        assert "med 5" in lines[0] and "community [ 65001:7 ]" in lines[0]
        count = len(relay.lines())
        relay.send("show adj-rib in")
        relay.wait_acks(8)
        # what BIRD sent us, as ExaBGP's adj-rib-in keeps it by default
        shown = [x for x in after(relay, count) if not x.startswith("{")]
        assert shown[-1] == "done"
        assert any(line.endswith("ipv4 unicast 203.0.113.0/24") for line in shown[:-1])

        # flush: the table again (BIRD keeps it); clear: everything withdrawn
        relay.send("flush adj-rib out")
        assert relay.wait_acks(9)[-1] == "done"
        relay.send("clear adj-rib out")
        assert relay.wait_acks(10)[-1] == "done"
        wait_until(lambda: not ({"10.74.0.0/24", "10.74.9.0/24"} & set(bird.routes("mesh"))),
                   15, message=lambda: bird.routes("mesh"))
        relay.send("announce route 10.74.1.0/24 next-hop self")
        assert relay.wait_acks(11)[-1] == "done"
        routes = bird.wait_routes("mesh", lambda r: "10.74.1.0/24" in r, timeout=15)
        assert "10.74.0.0/24" not in routes
        assert bird.protocol_state("mesh") == "Established"
    finally:
        assert mesh.stop() == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to daemon.user needs root")
def test_scripts_run_as_daemon_user(tmp_path, addresses):
    bird_end, my_end = addresses.pair()
    # a folder "nobody" can read (pytest's tmp_path is root's alone)
    folder = Path(tempfile.mkdtemp(prefix="bm-user-"))
    os.chmod(folder, 0o755)
    script = folder / "whoami.sh"
    script.write_text('echo "# uid $(id -u)"\ncat >/dev/null\n')
    os.chmod(script, 0o755)
    config = (f"process who {{\n    run /bin/sh {script};\n    encoder text;\n}}\n"
              + neighbor_block(bird_end, my_end, processes=["who"]))
    mesh = Bgpmesh(tmp_path / "mesh", config)
    (mesh.directory / "exabgp.env").write_text("[exabgp.daemon]\nuser = nobody\n")
    mesh.start()
    try:
        wait_until(lambda: "says: uid" in mesh.log(), 15, message=mesh.log)
        import pwd

        assert f"says: uid {pwd.getpwnam('nobody').pw_uid}" in mesh.log()
    finally:
        assert mesh.stop() == 0
        shutil.rmtree(folder)
