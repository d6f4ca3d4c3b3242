"""The BIRD harness itself: two BIRDs peer on loopback and exchange attributes.

Parametrized twice so that ``pytest tests/interop -n 2`` runs two copies at
once: both must get their own addresses and ports, or one fails to bind.
"""

from __future__ import annotations

import pytest

from tests.daemons.bird import BirdPeer

PREFIX4 = "198.51.100.0/24"
PREFIX6 = "2001:db8:100::/48"
ATTRIBUTES = {"bgp_med": 10, "bgp_community": [(65000, 1), (65000, 2)]}


@pytest.mark.parametrize("copy", [1, 2])
def test_two_birds_exchange_med_and_community(copy, addresses, bird_factory):
    left, right = addresses.pair()
    passive = bird_factory(
        "10.0.0.1",
        [
            BirdPeer(
                name="to_active",
                local_address=left.address,
                local_port=left.port,
                peer_address=right.address,
                peer_port=right.port,
                local_as=65001,
                peer_as=65002,
                passive=True,
                export_static=[(PREFIX4, ATTRIBUTES), (PREFIX6, {"bgp_med": 20})],
            )
        ],
        name="passive",
    )
    active = bird_factory(
        "10.0.0.2",
        [
            BirdPeer(
                name="to_passive",
                local_address=right.address,
                local_port=right.port,
                peer_address=left.address,
                peer_port=left.port,
                local_as=65002,
                peer_as=65001,
                passive=False,
            )
        ],
        name="active",
    )

    active.wait_established("to_passive", timeout=30)
    assert passive.protocol_state("to_active") == "Established"

    routes = active.wait_routes(
        "to_passive", lambda seen: PREFIX4 in seen and PREFIX6 in seen, timeout=15
    )
    route4 = routes[PREFIX4]
    assert route4["med"] == 10
    assert route4["communities"] == [(65000, 1), (65000, 2)]
    assert route4["as_path"] == [65001]
    assert route4["origin"] == "IGP"
    assert route4["next_hop"] == left.address
    route6 = routes[PREFIX6]
    assert route6["med"] == 20
    assert route6["communities"] == []
    assert route6["next_hop"] == passive.peers[0].ipv6_next_hop
    assert active.imported_count("to_passive") == 2
    assert active.imported_count("to_passive", channel="ipv6") == 1
    # Each protocol exports only its own statics: nothing flows back.
    assert passive.imported_count("to_active") == 0
