"""Issue 4: a script that announces 100,000 routes and never reads its stdin
(so 100,000 "done" acks pile up unread) blocks nothing.  ExaBGP 5.0.15 stops
reading such a script after about 13,000 acks; bgpmesh must deliver every
route, keep another neighbor's session and routes, and keep answering
``bgpmesh send``.
"""

from __future__ import annotations

import sys

import pytest

from tests.daemons.bgpmesh import Bgpmesh
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import bird_peer, neighbor_block
from tests.system.test_resilience import protocol_rows, same_since

pytestmark = pytest.mark.system

COUNT = 100_000

# Announce COUNT routes, then sleep forever: stdin (the acks) is never read.
FLOOD = r'''
import sys, time
out = sys.stdout
for i in range(int(sys.argv[1])):
    out.write("announce route 10.%d.%d.%d/32 next-hop self\n"
              % (100 + (i >> 16), (i >> 8) & 255, i & 255))
out.flush()
while True:
    time.sleep(3600)
'''


def test_unread_acks_block_nothing(tmp_path, addresses, bird_factory):
    flood_end, flood_me = addresses.pair()
    calm_end, calm_me = addresses.pair()
    flood_peer = bird_peer("flood", flood_end, flood_me)
    calm_peer = bird_peer("calm", calm_end, calm_me)
    bird = bird_factory("10.0.0.2", [flood_peer, calm_peer])
    script = tmp_path / "flood.py"
    script.write_text(FLOOD)
    config = (f"process flood {{\n    run {sys.executable} {script} {COUNT};\n    encoder text;\n}}\n"
              + neighbor_block(flood_end, flood_me, processes=["flood"])
              + neighbor_block(calm_end, calm_me, static=["198.51.100.0/24 next-hop self"]))
    mesh = Bgpmesh(tmp_path / "mesh", config).start()
    try:
        bird.wait_established("calm", timeout=30)
        since = protocol_rows(bird)["calm"][0]
        wait_until(lambda: bird.imported_count("flood") >= COUNT, 60, interval=0.5,
                   message=lambda: f"BIRD imported {bird.imported_count('flood')} of {COUNT}; "
                                   f"log:\n{mesh.log()[-2000:]}")
        assert bird.imported_count("flood") == COUNT
        # the other neighbor never flapped and still has its route
        assert bird.protocol_state("calm") == "Established"
        assert same_since({"calm": since}, {"calm": protocol_rows(bird)["calm"][0]},
                          ["calm"]) == []
        assert "198.51.100.0/24" in bird.routes("calm")
        # and bgpmesh still answers its command line
        sent = mesh.cli("send", "neighbor", calm_end.address,
                        "announce route 198.51.101.0/24 next-hop self", timeout=20)
        assert sent.returncode == 0, sent.stderr
        wait_until(lambda: "198.51.101.0/24" in bird.routes("calm"), 15,
                   message=lambda: f"calm has {sorted(bird.routes('calm'))}")
        assert mesh.process.poll() is None
    finally:
        assert mesh.stop() == 0
