"""BGP Role and OTC (RFC 9234) with BIRD 2 (``local role``), extended next
hop on send (RFC 8950) with FRR (issue 5).

bgpmesh runs as ``bgpmesh start``; each test owns its loopback addresses and
ports.
"""

from __future__ import annotations

import re

import pytest

from tests.daemons.addresses import Endpoint
from tests.daemons.bird import BirdPeer
from tests.daemons.frr import FrrPeer
from tests.daemons.waiting import wait_until
from tests.interop.test_sessions_more import neighbor

pytestmark = pytest.mark.system

STATIC = "    static {\n        route 10.60.0.0/24 next-hop 192.0.2.1;\n    }\n"


def role_bird(bird_factory, bird_end, my_end, role: str):
    return bird_factory("10.0.0.2", [BirdPeer(
        name="mesh", local_address=bird_end.address, local_port=bird_end.port,
        peer_address=my_end.address, peer_port=my_end.port, local_as=65002, peer_as=65001,
        passive=True, ipv6=False, extra=[f"local role {role};"])])


def test_role_provider_to_bird_customer_marks_routes_with_otc(addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = role_bird(bird_factory, bird_end, my_end, "customer")
    instance = mesh(neighbor(bird_end, my_end, extra="    role provider;\n" + STATIC))
    bird.wait_established("mesh", timeout=30)
    shown = bird.show_protocol("mesh")
    assert re.search(r"Role:\s+provider", shown.split("Neighbor capabilities")[-1]), shown
    wait_until(lambda: "10.60.0.0/24" in bird.birdc("show route all protocol mesh"), 15,
               message=lambda: instance.log()[-3000:])
    # RFC 9234 section 5 egress: to a customer, OTC = our AS
    assert re.search(r"BGP\.otc:\s+65001", bird.birdc("show route all protocol mesh"))


def test_role_mismatch_with_bird_never_establishes(addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = role_bird(bird_factory, bird_end, my_end, "customer")
    instance = mesh(neighbor(bird_end, my_end, extra="    role customer;\n"))
    # one side or the other says Role Mismatch (2/11); no session either way
    wait_until(lambda: "role mismatch" in (bird.log_text() + instance.log()).lower(), 30,
               message=lambda: f"{bird.log_text()[-2000:]}\n{instance.log()[-3000:]}")
    assert bird.protocol_state("mesh") != "Established"


def test_ipv4_route_over_ipv6_next_hop_reaches_frr(addresses, frr_factory, mesh):
    # FRR offers extended next hop on sessions over IPv6 only: both on ::1
    frr_end = Endpoint("::1", addresses.port("::1"))
    my_end = Endpoint("::1", addresses.port("::1"))
    frr = frr_factory("10.0.0.3", 65002, frr_end, [FrrPeer(
        address="::1", port=my_end.port, peer_as=65001, passive=True,
        router=[" neighbor ::1 capability extended-nexthop"])])
    instance = mesh(neighbor(frr_end, my_end, router_id="10.0.0.1", extra=(
        "    capability {\n        nexthop;\n    }\n"
        "    nexthop {\n        ipv4 unicast ipv6;\n    }\n"
        "    static {\n        route 10.61.0.0/24 next-hop 2001:db8::61;\n"
        "        route 10.61.1.0/24 next-hop 192.0.2.61;\n    }\n")))
    frr.wait_established("::1")
    capabilities = frr.neighbor("::1").get("neighborCapabilities", {})
    assert "advertisedAndReceived" in repr(capabilities.get("extendedNexthop")), (
        capabilities, instance.log()[-2000:])
    routes = frr.wait_routes("ipv4", lambda r: len(r) == 2, timeout=15)
    assert routes["10.61.0.0/24"]["next_hop"] == "2001:db8::61", (routes, instance.log()[-2000:])
    assert routes["10.61.1.0/24"]["next_hop"] == "192.0.2.61"
