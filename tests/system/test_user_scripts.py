"""Scripts ExaBGP users run, unchanged, against BIRD; and JSON acks.

ExaBGP's own ``healthcheck`` (PyPI 5.0.15), a flowspec DDoS-mitigation script
and a script that re-announces one neighbor's routes to another (both in
``scripts/``) run as ``process`` programs of ``bgpmesh start``.
``bgpmesh.api.ack-format = json`` makes acks 5.0's ``{"answer": ...}`` lines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.bird import BirdPeer
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import bird_peer, neighbor_block

pytestmark = pytest.mark.system

SCRIPTS = Path(__file__).resolve().parent / "scripts"
# ExaBGP 5.0.15 from the test extra: beside this interpreter, else on PATH
EXABGP = (Path(sys.executable).parent / "exabgp") if os.access(
    Path(sys.executable).parent / "exabgp", os.X_OK) else shutil.which("exabgp")


def process_block(name: str, run: str) -> str:
    return f"process {name} {{\n    run {run};\n    encoder json;\n}}\n"


def test_exabgp_healthcheck_announces_and_withdraws(tmp_path, addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    healthy = tmp_path / "healthy"
    healthy.touch()
    settings = tmp_path / "healthcheck.conf"
    settings.write_text(f"no-syslog\ninterval = 1\nfast-interval = 1\nrise = 1\n"
                        f"fall = 1\nip = 192.0.2.10/32\nno-ip-setup\nwithdraw-on-down\n"
                        f"command = test -f {healthy}\n")
    # the healthcheck reads one line (the ack) per command: no events for it
    block = neighbor_block(bird_end, my_end, processes=["hc"]).replace(
        "        neighbor-changes;\n", "")
    mesh(process_block("hc", f"{EXABGP} healthcheck --config {settings}") + block)
    bird.wait_established("mesh", timeout=30)
    routes = bird.wait_routes("mesh", lambda r: "192.0.2.10/32" in r, timeout=20)
    assert routes["192.0.2.10/32"]["next_hop"] == my_end.address
    healthy.unlink()
    # wait_routes wants a non-empty table: poll for the empty one
    wait_until(lambda: "192.0.2.10/32" not in bird.routes("mesh"), 20,
               message=lambda: str(bird.routes("mesh")))
    healthy.touch()
    bird.wait_routes("mesh", lambda r: "192.0.2.10/32" in r, timeout=20)


def test_flowspec_ddos_script_turns_victims_into_discard_rules(tmp_path, addresses,
                                                              bird_factory, mesh):
    src_bird, src_my = addresses.pair()
    flow_bird, flow_my = addresses.pair()
    detector = bird_peer("detector", src_bird, src_my, export=[("198.51.100.7/32", {})])
    flow = BirdPeer(name="flow", local_address=flow_bird.address, local_port=flow_bird.port,
                    peer_address=flow_my.address, peer_port=flow_my.port, local_as=65002,
                    peer_as=65001, passive=True, ipv4=False, ipv6=False,
                    tables=["flow4 table flowtab4;"],
                    extra=["ipv4 { igp table igp4; import all; export none; };",
                           "flow4 { table flowtab4; import all; export none; };"])
    bird = bird_factory("10.0.0.2", [detector, flow])
    flow_block = neighbor_block(flow_bird, flow_my, processes=["ddos"]).replace(
        "        ipv6 unicast;\n", "        ipv4 flow;\n")
    mesh(process_block("ddos", f"{sys.executable} {SCRIPTS / 'ddos_flowspec.py'} "
                               f"{flow_bird.address}")
         + neighbor_block(src_bird, src_my, processes=["ddos"], receive=True) + flow_block)
    bird.wait_established("detector", timeout=30)
    bird.wait_established("flow", timeout=30)

    def table() -> str:
        return bird.birdc("show route table flowtab4 all")

    shown = wait_until(lambda: "198.51.100.7/32" in (t := table()) and t, 20,
                       message=table)
    assert re.search(r"flow4 \{ dst 198\.51\.100\.7/32; proto 17; \}", shown), shown
    # traffic-rate 0: discard
    assert "(generic, 0x80060000, 0x0)" in shown, shown
    detector.export_static = []
    bird.reconfigure()
    wait_until(lambda: "198.51.100.7/32" not in table(), 20, message=table)


def test_reannounce_script_moves_routes_between_birds(tmp_path, addresses, bird_factory,
                                                      mesh):
    a_bird, a_my = addresses.pair()
    b_bird, b_my = addresses.pair()
    peer_a = bird_peer("a", a_bird, a_my, export=[("203.0.113.0/24", {"bgp_med": 5})])
    bird_a = bird_factory("10.0.0.2", [peer_a], name="bird-a")
    bird_b = bird_factory("10.0.0.3", [bird_peer("b", b_bird, b_my)], name="bird-b")
    mesh(process_block("copy", f"{sys.executable} {SCRIPTS / 'reannounce.py'} "
                               f"{b_bird.address}")
         + neighbor_block(a_bird, a_my, processes=["copy"], receive=True)
         + neighbor_block(b_bird, b_my, processes=["copy"]))
    bird_a.wait_established("a", timeout=30)
    bird_b.wait_established("b", timeout=30)
    routes = bird_b.wait_routes("b", lambda r: "203.0.113.0/24" in r, timeout=20)
    assert routes["203.0.113.0/24"]["next_hop"] == b_my.address
    assert routes["203.0.113.0/24"]["as_path"] == [65001]
    peer_a.export_static = []
    bird_a.reconfigure()
    wait_until(lambda: "203.0.113.0/24" not in bird_b.routes("b"), 20,
               message=lambda: str(bird_b.routes("b")))


def test_json_acks_when_asked(tmp_path, addresses, bird_factory):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    relay = Relay(tmp_path, "script")
    instance = Bgpmesh(tmp_path / "bgpmesh", relay.process_block()
                       + neighbor_block(bird_end, my_end, processes=["script"]),
                       env={"bgpmesh_api_ack_format": "json"})
    instance.start()
    try:
        bird.wait_established("mesh", timeout=30)
        relay.send("announce route 10.5.0.0/24 next-hop self",
                   "this is not a command",
                   "neighbor 192.0.2.99 announce route 10.5.1.0/24 next-hop self")

        def answers() -> list[dict]:
            return [m for m in relay.messages() if "answer" in m]

        got = wait_until(lambda: len(answers()) >= 3 and answers(), 15,
                         message=relay.lines)
        assert got[0] == {"answer": "done", "message": ""}
        assert [a["answer"] for a in got] == ["done", "error", "error"]
        assert all(a["message"] for a in got[1:]), got
        assert relay.acks() == []  # no bare done/error lines
        line = next(x for x in relay.lines() if '"answer"' in x)
        assert line == json.dumps(got[0], separators=(", ", ": "))
        bird.wait_routes("mesh", lambda r: "10.5.0.0/24" in r, timeout=15)
    finally:
        instance.stop()
