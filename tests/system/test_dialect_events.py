"""bgpmesh.api.dialect=5: scripts get ExaBGP 5.0's JSON (issue 3, rendering)."""

from __future__ import annotations

import pytest

from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.system.test_end_to_end import bird_peer, neighbor_block

pytestmark = pytest.mark.system


def test_scripts_get_the_5_0_dialect_when_asked(tmp_path, addresses, bird_factory,
                                                monkeypatch):
    bird_end, my_end = addresses.pair()
    bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end, export=[
        ("203.0.113.0/24", {"bgp_med": 5})])])
    relay = Relay(tmp_path, "script")
    monkeypatch.setenv("bgpmesh_api_dialect", "5")
    mesh = Bgpmesh(tmp_path / "mesh", relay.process_block() + neighbor_block(
        bird_end, my_end, processes=["script"], receive=True)).start()
    try:
        update = relay.wait_message(lambda m: m["type"] == "update" and "203.0.113.0/24" in
                                    str(m["neighbor"]["message"]))
        assert update["exabgp"] == "5.0.0"
        assert update["neighbor"]["router-id"] == my_end.address
        path = update["neighbor"]["message"]["update"]["attribute"]["as-path"]
        assert path == {"0": {"element": "as-sequence", "value": [65002]}}
    finally:
        assert mesh.stop() == 0
