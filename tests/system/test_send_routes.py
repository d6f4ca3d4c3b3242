"""``client.send_routes``: many routes from a program straight onto the bus, in batch frames."""

from __future__ import annotations

import pytest

from bgpmesh.family import IPV4_UNICAST, Family
from bgpmesh.route import Attributes
from bgpmesh.supervisor.client import ClientError, send_routes
from tests.system.test_end_to_end import bird_peer, neighbor_block

pytestmark = pytest.mark.system


def test_thousands_of_routes_reach_bird_and_leave_it(tmp_path, addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("mesh", bird_end, my_end)])
    instance = mesh(neighbor_block(bird_end, my_end))
    bird.wait_established("mesh", timeout=30)
    prefixes = [f"10.{80 + i // 256}.{i % 256}.0/24" for i in range(3000)]
    done, errors = send_routes(str(instance.run_dir), IPV4_UNICAST, prefixes, "192.0.2.7",
                               Attributes(med=7), chunk=1000)
    assert (done, errors) == (3000, [])
    routes = bird.wait_routes("mesh", lambda r: len(r) == 3000, timeout=30)
    assert routes["10.91.183.0/24"]["med"] == 7
    assert routes["10.80.0.0/24"]["next_hop"] == "192.0.2.7"
    # withdrawn the same way, all but the last thousand
    done, errors = send_routes(str(instance.run_dir), IPV4_UNICAST, prefixes[:2000],
                               "192.0.2.7", Attributes(), withdraw=True, chunk=1000)
    assert (done, errors) == (2000, [])
    routes = bird.wait_routes("mesh", lambda r: len(r) == 1000, timeout=30)
    assert set(routes) == set(prefixes[2000:])
    # a family no neighbor is configured for is refused, naming it
    with pytest.raises(ClientError, match="no neighbor is configured for ipv4 flow"):
        send_routes(str(instance.run_dir), Family(1, 133), ["10.0.0.0/24"], "192.0.2.7",
                    Attributes())
