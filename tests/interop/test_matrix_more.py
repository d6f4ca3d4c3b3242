"""The interop matrix, cells that had no test (issue 5): TCP MD5 with GoBGP
and ExaBGP (right key up, wrong key never), connection collision with GoBGP,
ADD-PATH with two paths for one prefix reaching ExaBGP 5.0, GTSM with FRR,
GoBGP and ExaBGP, extended next hop with BIRD, GoBGP and ExaBGP, IPv6
transport with BIRD and GoBGP, and graceful restart with GoBGP or FRR
restarting for real (bgpmesh the receiving speaker, as
test_graceful_receiving.py does with BIRD).

Theory of operation: every test starts one real daemon on its own loopback
address and port (the ``addresses`` fixture) and one ``bgpmesh start``, then
waits on a positive signal -- a session state, a route, a log line -- never on
a fixed delay.  A wrong MD5 key shows as bgpmesh's connect attempt failing:
the kernel of the daemon's side drops SYNs whose TCP MD5 option (RFC 2385)
does not verify, so the attempt times out and the daemon never sees a
session.
"""

from __future__ import annotations

import socket
import time

import pytest

from tests.daemons.addresses import Endpoint
from tests.daemons.bgpmesh import Relay
from tests.daemons.bird import BirdPeer
from tests.daemons.exabgp import ExabgpPeer
from tests.daemons.gobgp import GobgpPeer
from tests.daemons.waiting import wait_until
from tests.interop.test_graceful_receiving import (
    DROPPED,
    KEPT,
    announced,
    events,
    since_down,
    wait_held,
    withdrawn,
)
from tests.interop.test_graceful_receiving import neighbor as gr_neighbor
from tests.interop.test_matrix_sessions import (
    MESH_AS,
    PEER_AS,
    established_connections,
    frr_peer,
    gobgp_peer,
    neighbor,
    static,
)

pytestmark = pytest.mark.system

KEY = "s3cret-md5"


def connect_failed(instance) -> bool:
    """bgpmesh logged a failed connect attempt (a dropped SYN times out)."""
    return any("connect to" in line and "failed" in line
               for line in instance.log().splitlines())


# -- TCP MD5 with GoBGP ------------------------------------------------------


def test_md5_right_key_gobgp(addresses, gobgp_factory, mesh):
    gobgp_end, my_end = addresses.pair()
    gobgp = gobgp_peer(gobgp_factory, gobgp_end, my_end, password=KEY)
    mesh(neighbor(gobgp_end, my_end, extra=(
        f"    md5-password {KEY};\n" + static("10.78.0.0/24 next-hop 192.0.2.1"))))
    gobgp.wait_established(my_end.address, 20)
    gobgp.wait_routes("ipv4", lambda r: "10.78.0.0/24" in r)


def test_md5_wrong_key_refused_gobgp(addresses, gobgp_factory, mesh):
    gobgp_end, my_end = addresses.pair()
    gobgp = gobgp_peer(gobgp_factory, gobgp_end, my_end, password=KEY)
    instance = mesh(neighbor(gobgp_end, my_end, extra="    md5-password wrong-key;\n"))
    wait_until(lambda: connect_failed(instance), 30, message=lambda: instance.log()[-3000:])
    assert gobgp.session_state(my_end.address) != "Established"
    assert "session established" not in instance.log()


# -- TCP MD5 with ExaBGP -----------------------------------------------------


def exabgp_peer(exabgp_factory, exa_end, my_end, **options):
    return exabgp_factory(exa_end, [ExabgpPeer(
        address=my_end.address, port=my_end.port, local_address=exa_end.address,
        local_as=PEER_AS, peer_as=MESH_AS, router_id="10.0.0.2", **options)])


def test_md5_right_key_exabgp(addresses, exabgp_factory, mesh):
    exa_end, my_end = addresses.pair()
    exabgp = exabgp_peer(exabgp_factory, exa_end, my_end, md5_password=KEY)
    mesh(neighbor(exa_end, my_end, extra=(
        f"    md5-password {KEY};\n" + static("10.79.0.0/24 next-hop 192.0.2.1"))))
    exabgp.wait_established(my_end.address)
    exabgp.wait_routes(lambda r: "10.79.0.0/24" in r)


def test_md5_wrong_key_refused_exabgp(addresses, exabgp_factory, mesh):
    exa_end, my_end = addresses.pair()
    exabgp = exabgp_peer(exabgp_factory, exa_end, my_end, md5_password=KEY)
    instance = mesh(neighbor(exa_end, my_end, extra="    md5-password wrong-key;\n"))
    wait_until(lambda: connect_failed(instance), 30, message=lambda: instance.log()[-3000:])
    assert exabgp.session_state(my_end.address) != "up"
    assert "session established" not in instance.log()


# -- ADD-PATH: two paths for one prefix reach ExaBGP --------------------------


def test_add_path_two_paths_exabgp(addresses, exabgp_factory, mesh):
    """ExaBGP 5.0.15 with ``add-path receive``: both paths of 10.80.0.0/24
    arrive, each with its path identifier in ExaBGP's JSON
    (``{"nlri": ..., "path-information": "0.0.0.1"}``)."""
    exa_end, my_end = addresses.pair()
    exabgp = exabgp_peer(exabgp_factory, exa_end, my_end, capabilities=["add-path receive"])
    mesh(neighbor(exa_end, my_end, extra=(
        "    capability {\n        add-path send;\n    }\n"
        + static("10.80.0.0/24 next-hop 192.0.2.1 path-information 1",
                 "10.80.0.0/24 next-hop 192.0.2.2 path-information 2"))))
    exabgp.wait_established(my_end.address)

    def paths() -> dict[str, str]:
        """path identifier -> next hop, for 10.80.0.0/24, from ExaBGP's JSON."""
        found = {}
        for message in exabgp.messages():
            if message.get("type") != "update":
                continue
            announce = message["neighbor"]["message"].get("update", {}).get("announce", {})
            for next_hop, entries in announce.get("ipv4 unicast", {}).items():
                for entry in entries:
                    if isinstance(entry, dict) and entry.get("nlri") == "10.80.0.0/24":
                        found[entry.get("path-information")] = next_hop
        return found

    found = wait_until(lambda: len(p := paths()) == 2 and p, 15,
                       message=lambda: exabgp.relay.lines())
    assert found == {"0.0.0.1": "192.0.2.1", "0.0.0.2": "192.0.2.2"}


# -- collision with GoBGP ------------------------------------------------------


def gobgp_knocks(address: str, port: int, source: str, timeout: float) -> None:
    """Listen on ``address:port`` until GoBGP's active side connects from
    ``source``: proof that its connect loop runs.  The connection is closed
    at once; GoBGP retries every second (``connect-retry = 1``)."""
    with socket.create_server((address, port)) as server:
        server.settimeout(1.0)
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection, (peer, _port) = server.accept()
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"GoBGP never connected to {address}:{port}") from None
                continue
            connection.close()
            if peer == source:
                return


def test_collision_gobgp_both_active(addresses, gobgp_factory, mesh):
    """GoBGP active (its connect loop seen running first), bgpmesh active and
    listening: both open a connection, and collision resolution (RFC 4271
    6.8) leaves one session, which then outlives two keepalive intervals."""
    gobgp_end, my_end = addresses.pair()
    gobgp = gobgp_factory("10.0.0.2", PEER_AS, gobgp_end, [GobgpPeer(
        address=my_end.address, port=my_end.port, peer_as=MESH_AS, passive=False,
        ipv6=False)])
    gobgp_knocks(my_end.address, my_end.port, gobgp_end.address, 30)
    instance = mesh(neighbor(gobgp_end, my_end, extra=(
        f"    listen {my_end.port};\n" + static("10.81.0.0/24 next-hop 192.0.2.1"))))
    gobgp.wait_established(my_end.address, 20)
    gobgp.wait_routes("ipv4", lambda r: "10.81.0.0/24" in r)

    def messages() -> dict:
        return gobgp.neighbor(my_end.address)["state"]["messages"]

    # GoBGP sent an OPEN on each of the two connections and received one:
    # both sides were active at once, and one connection was dropped
    assert messages()["sent"]["open"] >= 2, messages()
    # the session that won keeps going: two more keepalives (3 s apart)
    before = messages()["received"].get("keepalive", 0)
    wait_until(lambda: messages()["received"].get("keepalive", 0) >= before + 2, 20,
               message=lambda: f"{messages()}\n{instance.log()[-2000:]}")
    assert gobgp.session_state(my_end.address) == "Established"
    assert messages()["received"]["open"] == 1, messages()
    assert len(established_connections(my_end.address, gobgp_end.address)) == 1
    assert instance.log().count("session established") == 1, instance.log()


# -- GTSM (RFC 5082) with FRR and GoBGP ----------------------------------------
#
# Both ends send with TTL 255 and take nothing below 255 (a directly
# connected peer, one hop): bgpmesh with ``outgoing-ttl 255`` and
# ``incoming-ttl 255``, the daemon with its GTSM setting read back.  No
# wrong-TTL test: with bgpmesh sending at TTL 254, FRR 8.4 still took the
# first OPEN (it answered OPEN and KEEPALIVE, bgpmesh went Established, and
# only later segments were dropped, ending in a hold timer expiry) -- the
# minimum TTL evidently lands on the accepted connection after data is
# already queued.  GoBGP dropped everything in the one run tried, which is no
# proof it cannot race the same way.

GTSM = "    incoming-ttl 255;\n    outgoing-ttl 255;\n"


def test_gtsm_frr(addresses, frr_factory, mesh):
    frr_end, my_end = addresses.pair()
    frr = frr_peer(frr_factory, frr_end, my_end,
                   router=[f" neighbor {my_end.address} ttl-security hops 1"])
    mesh(neighbor(frr_end, my_end, extra=GTSM + static("10.82.0.0/24 next-hop 192.0.2.1")))
    frr.wait_established(my_end.address)
    frr.wait_routes("ipv4", lambda r: "10.82.0.0/24" in r)
    # FRR shows its GTSM hop count only when ttl-security is on
    assert frr.neighbor(my_end.address)["externalBgpNbrMaxHopsAway"] == 1


def test_gtsm_gobgp(addresses, gobgp_factory, mesh):
    gobgp_end, my_end = addresses.pair()
    gobgp = gobgp_peer(gobgp_factory, gobgp_end, my_end, ttl_min=255)
    mesh(neighbor(gobgp_end, my_end, extra=GTSM + static("10.83.0.0/24 next-hop 192.0.2.1")))
    gobgp.wait_established(my_end.address, 20)
    gobgp.wait_routes("ipv4", lambda r: "10.83.0.0/24" in r)
    assert gobgp.neighbor(my_end.address)["ttl_security"] == {"enabled": True,
                                                               "ttl_min": 255}



# -- graceful restart, GoBGP restarting (bgpmesh the receiving speaker) -------


def test_gobgp_restarts_gracefully_and_the_script_sees_no_withdrawal_until_end_of_rib(
        tmp_path, addresses, gobgp_factory, mesh):
    """RFC 4724 4.2 with GoBGP restarting for real: gobgpd SIGKILLed (no
    NOTIFICATION), started again with ``-r`` (Restart State) and only one of
    its two routes.  The script sees down, a stale event, no withdrawal while
    GoBGP is away, the kept route again, then the withdrawal of the other
    one at GoBGP's End-of-RIB."""
    gobgp_end, my_end = addresses.pair()
    gobgp = gobgp_peer(gobgp_factory, gobgp_end, my_end, graceful_restart=True)
    gobgp.add_route(KEPT, "192.0.2.1")
    gobgp.add_route(DROPPED, "192.0.2.1")
    relay = Relay(tmp_path, "script")
    instance = mesh(relay.process_block() + gr_neighbor(
        gobgp_end, my_end, capability="        graceful-restart 30;\n"))
    gobgp.wait_established(my_end.address, 20)
    wait_held(relay, {KEPT, DROPPED})
    before = len(events(relay))

    gobgp.crash()
    relay.wait_message(lambda m: m.get("type") == "stale", timeout=30)
    # back shut down, so that its route is in before the session (and its
    # End-of-RIB) can come up
    gobgp.peers[0].admin_down = True
    gobgp.start(restarting=True)
    gobgp.add_route(KEPT, "192.0.2.1")
    gobgp.cli("neighbor", my_end.address, "enable")
    over = relay.wait_message(lambda m: m.get("type") == "stale"
                              and m["neighbor"]["stale"]["phase"] == "over", timeout=60)
    seen = since_down(relay, before)
    kinds = [(m["type"], m["neighbor"].get("state") or m["neighbor"].get("stale", {})
              .get("phase")) for m in seen]
    log = f"{kinds}\n{relay.lines()[-12:]}\n{instance.log()[-3000:]}"
    assert kinds[0] == ("state", "down"), log
    stale = seen[1]["neighbor"]["stale"]
    assert stale["family"] == "ipv4 unicast" and stale["phase"] == "restart", log
    # GoBGP's restart time (60 s), not ours
    assert stale["routes"] == 2 and stale["until"] > seen[1]["time"] + 50, log
    first = next(i for i, m in enumerate(seen) if m["type"] == "update" and withdrawn(m))
    assert ("state", "up") in kinds[:first], log
    assert KEPT in set().union(*map(announced, seen[:first])), log
    assert withdrawn(seen[first]) == {DROPPED}, log
    assert sum(1 for m in seen if m["type"] == "update" and withdrawn(m)) == 1, log
    assert over["neighbor"]["stale"] == {"family": "ipv4 unicast", "phase": "over",
                                         "routes": 1, "reason": "End-of-RIB"}, log


# -- graceful restart, FRR restarting (bgpmesh the receiving speaker) ---------


def test_frr_restarts_gracefully_and_the_script_sees_no_withdrawal_until_end_of_rib(
        tmp_path, addresses, frr_factory, mesh):
    """As with GoBGP: bgpd SIGKILLed, started again with only one of its two
    networks; ``bgp graceful-restart preserve-fw-state`` sets the Forwarding
    State bit, so bgpmesh keeps the stale routes until FRR's End-of-RIB."""
    frr_end, my_end = addresses.pair()
    frr = frr_peer(frr_factory, frr_end, my_end, networks=[(KEPT, {}), (DROPPED, {})],
                   router=[" bgp graceful-restart", " bgp graceful-restart preserve-fw-state"])
    relay = Relay(tmp_path, "script")
    instance = mesh(relay.process_block() + gr_neighbor(
        frr_end, my_end, capability="        graceful-restart 30;\n"))
    frr.wait_established(my_end.address)
    wait_held(relay, {KEPT, DROPPED})
    before = len(events(relay))

    frr.crash()
    relay.wait_message(lambda m: m.get("type") == "stale", timeout=30)
    frr.peers[0].networks = [(KEPT, {})]
    frr.start()
    over = relay.wait_message(lambda m: m.get("type") == "stale"
                              and m["neighbor"]["stale"]["phase"] == "over", timeout=60)
    seen = since_down(relay, before)
    kinds = [(m["type"], m["neighbor"].get("state") or m["neighbor"].get("stale", {})
              .get("phase")) for m in seen]
    log = f"{kinds}\n{relay.lines()[-12:]}\n{instance.log()[-3000:]}"
    assert kinds[0] == ("state", "down"), log
    stale = seen[1]["neighbor"]["stale"]
    assert stale["family"] == "ipv4 unicast" and stale["phase"] == "restart", log
    assert stale["routes"] == 2, log
    first = next(i for i, m in enumerate(seen) if m["type"] == "update" and withdrawn(m))
    assert ("state", "up") in kinds[:first], log
    assert KEPT in set().union(*map(announced, seen[:first])), log
    assert withdrawn(seen[first]) == {DROPPED}, log
    assert sum(1 for m in seen if m["type"] == "update" and withdrawn(m)) == 1, log
    assert over["neighbor"]["stale"] == {"family": "ipv4 unicast", "phase": "over",
                                         "routes": 1, "reason": "End-of-RIB"}, log


# -- IPv6 transport and extended next hop with BIRD ------------------------------


def test_ipv4_route_over_ipv6_next_hop_on_ipv6_transport_reaches_bird(
        addresses, bird_factory, mesh):
    """A session over ::1 (IPv6 transport) carrying IPv4 unicast; with the
    extended next hop capability (RFC 8950) one IPv4 route has an IPv6 next
    hop, the other an IPv4 one, and BIRD holds both as sent."""
    bird_end = Endpoint("::1", addresses.port("::1"))
    my_end = Endpoint("::1", addresses.port("::1"))
    bird = bird_factory("10.0.0.2", [BirdPeer(
        name="mesh", local_address="::1", local_port=bird_end.port, peer_address="::1",
        peer_port=my_end.port, local_as=PEER_AS, peer_as=MESH_AS, ipv6=False,
        channel_extra={4: ["extended next hop on;", "igp table igp6;"]})])
    instance = mesh(
        f"neighbor ::1 {{\n    router-id 10.0.0.1;\n    local-address ::1;\n"
        f"    local-as {MESH_AS};\n    peer-as {PEER_AS};\n    hold-time 9;\n"
        f"    connect {bird_end.port};\n    family {{\n        ipv4 unicast;\n    }}\n"
        "    capability {\n        nexthop;\n    }\n"
        "    nexthop {\n        ipv4 unicast ipv6;\n    }\n"
        + static("10.84.0.0/24 next-hop 2001:db8::84", "10.84.1.0/24 next-hop 192.0.2.84")
        + "}\n")
    bird.wait_established("mesh", 30)
    routes = bird.wait_routes("mesh", lambda r: len(r) == 2)
    assert routes["10.84.0.0/24"]["next_hop"] == "2001:db8::84", (routes,
                                                                   instance.log()[-2000:])
    assert routes["10.84.1.0/24"]["next_hop"] == "192.0.2.84"


# -- extended next hop with GoBGP ----------------------------------------------


def test_ipv4_route_over_ipv6_next_hop_reaches_gobgp(addresses, gobgp_factory, mesh):
    """GoBGP offers extended next hop (RFC 8950) for IPv4 unicast on any
    session, IPv4 transport included: an IPv4 route with an IPv6 next hop
    lands in its RIB as sent, beside one with an IPv4 next hop."""
    gobgp_end, my_end = addresses.pair()
    gobgp = gobgp_peer(gobgp_factory, gobgp_end, my_end)
    instance = mesh(neighbor(gobgp_end, my_end, extra=(
        "    capability {\n        nexthop;\n    }\n"
        "    nexthop {\n        ipv4 unicast ipv6;\n    }\n"
        + static("10.85.0.0/24 next-hop 2001:db8::85", "10.85.1.0/24 next-hop 192.0.2.85"))))
    gobgp.wait_established(my_end.address, 20)
    routes = gobgp.wait_routes("ipv4", lambda r: len(r) == 2)
    assert routes["10.85.0.0/24"]["next_hop"] == "2001:db8::85", (routes,
                                                                   instance.log()[-2000:])
    assert routes["10.85.1.0/24"]["next_hop"] == "192.0.2.85"


# -- IPv6 transport with GoBGP ---------------------------------------------------


def test_session_over_ipv6_loopback_with_gobgp(addresses, gobgp_factory, mesh):
    gobgp_end = Endpoint("::1", addresses.port("::1"))
    my_end = Endpoint("::1", addresses.port("::1"))
    gobgp = gobgp_factory("10.0.0.2", PEER_AS, gobgp_end, [GobgpPeer(
        address="::1", port=my_end.port, peer_as=MESH_AS, ipv4=False)])
    mesh(f"neighbor ::1 {{\n    router-id 10.0.0.1;\n    local-address ::1;\n"
         f"    local-as {MESH_AS};\n    peer-as {PEER_AS};\n    hold-time 9;\n"
         f"    connect {gobgp_end.port};\n    family {{\n        ipv6 unicast;\n    }}\n"
         + static("2001:db8:86::/48 next-hop 2001:db8::86") + "}\n")
    gobgp.wait_established("::1", 20)
    routes = gobgp.wait_routes("ipv6", lambda r: "2001:db8:86::/48" in r)
    assert routes["2001:db8:86::/48"]["next_hop"] == "2001:db8::86"


# -- extended next hop and GTSM with ExaBGP ---------------------------------------


def test_ipv4_route_over_ipv6_next_hop_reaches_exabgp(addresses, exabgp_factory, mesh):
    """ExaBGP 5.0.15 with ``capability { nexthop; }`` and ``nexthop { ipv4
    unicast ipv6; }``: its JSON shows the IPv4 route under its IPv6 next hop."""
    exa_end, my_end = addresses.pair()
    exabgp = exabgp_peer(exabgp_factory, exa_end, my_end, capabilities=["nexthop"],
                         extra=["nexthop {", "    ipv4 unicast ipv6;", "}"])
    instance = mesh(neighbor(exa_end, my_end, extra=(
        "    capability {\n        nexthop;\n    }\n"
        "    nexthop {\n        ipv4 unicast ipv6;\n    }\n"
        + static("10.87.0.0/24 next-hop 2001:db8::87", "10.87.1.0/24 next-hop 192.0.2.87"))))
    exabgp.wait_established(my_end.address)
    routes = exabgp.wait_routes(lambda r: {"10.87.0.0/24", "10.87.1.0/24"} <= set(r))
    assert routes["10.87.0.0/24"]["next_hop"] == "2001:db8::87", (routes,
                                                                   instance.log()[-2000:])
    assert routes["10.87.1.0/24"]["next_hop"] == "192.0.2.87"


def test_gtsm_exabgp(addresses, exabgp_factory, mesh):
    """ExaBGP active, bgpmesh passive.  The other way round never connects:
    ExaBGP sets only the minimum TTL on its listening socket, not
    ``outgoing-ttl``, so its SYN-ACK evidently leaves with the default TTL
    and bgpmesh's ``incoming-ttl 255`` drops it (every connect timed out).
    bgpmesh's listener sends its SYN-ACK with 255."""
    exa_end, my_end = addresses.pair()
    exabgp = exabgp_peer(exabgp_factory, exa_end, my_end, passive=False,
                         extra=["incoming-ttl 255;", "outgoing-ttl 255;"])
    mesh(neighbor(exa_end, my_end, extra=(
        f"    listen {my_end.port};\n    passive;\n" + GTSM
        + static("10.88.0.0/24 next-hop 192.0.2.1"))))
    exabgp.wait_established(my_end.address)
    exabgp.wait_routes(lambda r: "10.88.0.0/24" in r)
