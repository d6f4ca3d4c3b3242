"""More session features against real daemons (issue 5): the received-prefix
limit and ADD-PATH send with BIRD, route refresh, TCP MD5 and IPv6 transport
with FRR.

bgpmesh runs as ``bgpmesh start``; each test owns its loopback addresses and
ports (``::1`` is shared, so IPv6 tests differ by port only).
"""

from __future__ import annotations

import re
import time

import pytest

from tests.daemons.addresses import Endpoint
from tests.daemons.bird import BirdPeer
from tests.daemons.frr import FrrPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system


def neighbor(peer_end, my_end, *, extra: str = "", families: str = "ipv4 unicast;",
             router_id: str | None = None, peer_as: int = 65002) -> str:
    return (f"neighbor {peer_end.address} {{\n"
            f"    router-id {router_id or my_end.address};\n"
            f"    local-address {my_end.address};\n"
            f"    local-as 65001;\n"
            f"    peer-as {peer_as};\n"
            f"    hold-time 9;\n"
            f"    connect {peer_end.port};\n"
            f"    family {{\n        {families}\n    }}\n"
            f"{extra}"
            "}\n")


# -- max-prefixes (a bgpmesh extension) with BIRD -----------------------------


def exporting_bird(bird_factory, bird_end, my_end, count: int):
    routes = [(f"10.50.{i}.0/24", {}) for i in range(count)]
    return bird_factory("10.0.0.2", [BirdPeer(
        name="mesh", local_address=bird_end.address, local_port=bird_end.port,
        peer_address=my_end.address, peer_port=my_end.port, local_as=65002, peer_as=65001,
        passive=True, ipv6=False, export_static=routes)])


def test_max_prefixes_teardown_sends_cease_6_1_to_bird(addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = exporting_bird(bird_factory, bird_end, my_end, 5)
    instance = mesh(neighbor(bird_end, my_end, extra="    max-prefixes 3 teardown;\n"))
    # BIRD logs the Cease subcode 1 (RFC 4486) it received
    wait_until(lambda: "maximum number of prefixes" in bird.log_text().lower(), 30,
               message=lambda: f"{bird.log_text()[-2000:]}\n{instance.log()[-3000:]}")
    assert "over the limit of 3" in instance.log()


def test_max_prefixes_warn_only_logs(addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    bird = exporting_bird(bird_factory, bird_end, my_end, 5)
    instance = mesh(neighbor(bird_end, my_end, extra="    max-prefixes 3 warn;\n"))
    bird.wait_established("mesh", timeout=30)
    wait_until(lambda: "over the limit of 3" in instance.log(), 20,
               message=lambda: instance.log()[-3000:])
    time.sleep(1)  # a window in which a teardown would show: warn mode must not send one
    assert bird.protocol_state("mesh") == "Established"
    assert "maximum number of prefixes" not in bird.log_text().lower()
    assert instance.log().count("over the limit of 3") == 1  # once, not per UPDATE


# -- ADD-PATH send with BIRD (add paths rx) ----------------------------------


def test_add_path_send_two_paths_for_one_prefix_reach_bird(addresses, bird_factory, mesh):
    bird_end, my_end = addresses.pair()
    # the IPv4 channel written out: BIRD takes "add paths" per channel only
    bird = bird_factory("10.0.0.2", [BirdPeer(
        name="mesh", local_address=bird_end.address, local_port=bird_end.port,
        peer_address=my_end.address, peer_port=my_end.port, local_as=65002, peer_as=65001,
        passive=True, ipv4=False, ipv6=False, extra=[
            "ipv4 { igp table igp4; import all; export none; add paths rx; };"])])
    mesh(neighbor(bird_end, my_end, extra=(
        "    capability {\n        add-path send;\n    }\n"
        "    static {\n"
        "        route 10.51.0.0/24 next-hop 192.0.2.1 path-information 1;\n"
        "        route 10.51.0.0/24 next-hop 192.0.2.2 path-information 2;\n"
        "    }\n")))
    bird.wait_established("mesh", timeout=30)
    theirs = bird.show_protocol("mesh").split("Neighbor capabilities")[-1]
    assert re.search(r"ADD-PATH\s+RX:\s+TX: ipv4", theirs), theirs  # we send
    wait_until(lambda: bird.imported_count("mesh") == 2, 15,
               message=lambda: bird.birdc("show route all protocol mesh"))
    shown = bird.birdc("show route all protocol mesh")
    assert shown.count("10.51.0.0/24") == 1  # one prefix ...
    hops = set(re.findall(r"BGP.next_hop: (\S+)", shown))
    assert hops == {"192.0.2.1", "192.0.2.2"}  # ... two paths


# -- route refresh and TCP MD5 with FRR --------------------------------------


def frr_peer(frr_factory, frr_end, my_end, **options):
    return frr_factory("10.0.0.3", 65002, frr_end, [FrrPeer(
        address=my_end.address, port=my_end.port, peer_as=65001, passive=True, **options)])


def updates_received(frr, address: str) -> int:
    return frr.neighbor(address)["messageStats"]["updatesRecv"]


def test_route_refresh_from_frr_makes_bgpmesh_resend(addresses, frr_factory, mesh):
    frr_end, my_end = addresses.pair()
    frr = frr_peer(frr_factory, frr_end, my_end)
    mesh(neighbor(frr_end, my_end, extra=(
        "    static {\n        route 10.52.0.0/24 next-hop 192.0.2.1;\n    }\n")))
    frr.wait_established(my_end.address)
    frr.wait_routes("ipv4", lambda r: "10.52.0.0/24" in r, timeout=15)
    facts = frr.neighbor(my_end.address)
    assert "routeRefresh" in str(facts.get("neighborCapabilities", facts))
    before = updates_received(frr, my_end.address)
    frr.vtysh(f"clear bgp {my_end.address} soft in")
    # the table again (one UPDATE) and End-of-RIB
    wait_until(lambda: updates_received(frr, my_end.address) >= before + 2, 15,
               message=lambda: frr.neighbor(my_end.address)["messageStats"])
    assert frr.neighbor(my_end.address)["messageStats"]["routeRefreshSent"] >= 1
    assert "10.52.0.0/24" in frr.routes("ipv4")


def test_tcp_md5_with_frr(addresses, frr_factory, mesh):
    frr_end, my_end = addresses.pair()
    frr = frr_peer(frr_factory, frr_end, my_end)
    frr.vtysh("configure terminal", "router bgp 65002",
              f"neighbor {my_end.address} password s3cret-md5")
    mesh(neighbor(frr_end, my_end, extra=(
        "    md5-password s3cret-md5;\n"
        "    static {\n        route 10.53.0.0/24 next-hop 192.0.2.1;\n    }\n")))
    frr.wait_established(my_end.address)
    frr.wait_routes("ipv4", lambda r: "10.53.0.0/24" in r, timeout=15)


def test_tcp_md5_wrong_key_never_establishes_with_frr(addresses, frr_factory, mesh):
    frr_end, my_end = addresses.pair()
    frr = frr_peer(frr_factory, frr_end, my_end)
    frr.vtysh("configure terminal", "router bgp 65002",
              f"neighbor {my_end.address} password s3cret-md5")
    instance = mesh(neighbor(frr_end, my_end, extra="    md5-password wrong-key;\n"))
    wait_until(lambda: "connect to" in instance.log() and "failed" in instance.log(), 20,
               message=lambda: instance.log()[-3000:])
    assert frr.session_state(my_end.address) != "Established"


# -- IPv6 transport with FRR over ::1 ----------------------------------------


def test_session_over_ipv6_loopback_with_frr(addresses, frr_factory, mesh):
    frr_end = Endpoint("::1", addresses.port("::1"))
    my_end = Endpoint("::1", addresses.port("::1"))
    frr = frr_factory("10.0.0.3", 65002, frr_end, [FrrPeer(
        address="::1", port=my_end.port, peer_as=65001, passive=True)])
    mesh(neighbor(frr_end, my_end, router_id="10.0.0.1", families="ipv6 unicast;",
                  extra=("    static {\n"
                         "        route 2001:db8:54::/48 next-hop 2001:db8::1;\n"
                         "    }\n")))
    frr.wait_established("::1")
    routes = frr.wait_routes("ipv6", lambda r: "2001:db8:54::/48" in r, timeout=15)
    assert routes["2001:db8:54::/48"]["next_hop"] == "2001:db8::1"
