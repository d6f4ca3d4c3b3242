"""show / clear adj-rib in: the Adj-RIB-In ExaBGP keeps by default (issue 4)."""

from __future__ import annotations

import pytest

from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import Relay, bird_peer, neighbor_block

pytestmark = pytest.mark.system


def test_show_and_clear_adj_rib_in(tmp_path, addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end, export=[
        ("203.0.113.0/24", {"bgp_med": 5, "bgp_community": [(65002, 9)]}),
        ("198.51.100.0/24", {})])])
    relay = Relay(tmp_path, "script")
    mesh(relay.process_block() + neighbor_block(bird_end, my_end, processes=["script"]))
    bird.wait_established("mesh", timeout=30)

    def shown(extensive: bool = False) -> list[str]:
        before = len(relay.acks())
        relay.send("show adj-rib in extensive" if extensive else "show adj-rib in")
        relay.wait_acks(before + 1)
        lines = relay.lines()
        # the lines between the previous ack and this one
        cut = [i for i, line in enumerate(lines) if line in ("done", "error")]
        start = cut[before - 1] + 1 if before else 0
        return [line for line in lines[start:cut[before]]]

    plain = wait_until(lambda: len(s := shown()) == 2 and s, 20,
                       message=lambda: f"adj-rib in: {relay.lines()}")
    assert sorted(plain) == [f"neighbor {bird_end.address} ipv4 unicast 198.51.100.0/24",
                             f"neighbor {bird_end.address} ipv4 unicast 203.0.113.0/24"]
    (rich,) = [line for line in shown(extensive=True) if "203.0.113.0/24" in line]
    assert f"next-hop {bird_end.address}" in rich
    assert "med 5" in rich and "65002" in rich

    before = len(relay.acks())
    relay.send("clear adj-rib in")
    assert relay.wait_acks(before + 1)[-1] == "done"
    assert shown() == []
    assert bird.protocol_state("mesh") == "Established"  # clearing touches no session
