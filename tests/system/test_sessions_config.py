"""The driver's optional session features from their configuration statements:
DelayOpen and peer oscillation damping (RFC 4271 8.1.1), BGP Role and OTC
(RFC 9234), extended next hop on send (RFC 8950).

Same harness as test_sessions.py: one ``workers.peer.Peer`` in an asyncio loop,
a scripted BGP speaker on loopback TCP played with the codec.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket

import pytest

from bgpmesh.codec import (
    BgpRole,
    ExtendedNextHop,
    Keepalive,
    MessageReader,
    MpReachNlri,
    Notification,
    OnlyToCustomer,
    Open,
    Session,
    Update,
)
from bgpmesh.config.parser import parse_config
from bgpmesh.errors import ConfigError
from bgpmesh.family import IPV4_UNICAST
from bgpmesh.fsm import State
from bgpmesh.route import Attributes, Route
from tests.system.test_sessions import (
    NEIGHBOR,
    PEER_OPEN,
    StandInWorker,
    announce,
    configured,
    connected,
    run,
)
from workers.peer import Peer, local_open, otc_ingress, role_mismatch, route_key

# -- statements ----------------------------------------------------------------


def test_delay_open_idle_hold_and_role_statements():
    plain = configured("")
    assert (plain.delay_open, plain.idle_hold, plain.role) == (0, 0, None)
    n = configured("    delay-open 5;\n    idle-hold 2;\n    role customer;\n")
    assert (n.delay_open, n.idle_hold, n.idle_hold_max, n.role) == (5, 2, 300, "customer")
    assert configured("    idle-hold 3 max 60;\n").idle_hold_max == 60
    for role in ("provider", "rs", "rs-client", "peer"):
        assert configured(f"    role {role};\n").role == role
    for bad in ("delay-open;", "delay-open x;", "delay-open 1 2;", "idle-hold;",
                "idle-hold 5 max 2;", "idle-hold 5 upto 9;", "idle-hold 5 max;",
                "role;", "role boss;", 'role "peer";'):
        with pytest.raises(ConfigError):
            configured(f"    {bad}\n")


def test_statements_come_from_templates_too():
    config = parse_config(
        "template {\n  neighbor damped {\n    idle-hold 4 max 8;\n    role peer;\n  }\n}\n"
        "neighbor 127.0.0.1 {\n  inherit damped;\n  router-id 192.0.2.1;\n"
        "  local-as 65001;\n  peer-as 65002;\n}\n")
    n = config.neighbors[0]
    assert (n.idle_hold, n.idle_hold_max, n.role) == (4, 8, "peer")


# -- DelayOpen -------------------------------------------------------------------


def test_delay_open_holds_our_open_until_the_timer():
    neighbor = dataclasses.replace(NEIGHBOR, delay_open=1)

    async def scenario(peer: Peer, worker):
        loop = asyncio.get_running_loop()
        remote = await connected(peer)
        start = loop.time()
        await asyncio.sleep(0.5)
        assert peer.fsm.state is State.Active  # connected, OPEN held back
        assert not remote.inbox
        await remote.receive(lambda m: isinstance(m, Open), timeout=3)
        assert loop.time() - start >= 0.9
        assert peer.fsm.state is State.OpenSent

    run(scenario, neighbor)


def test_delay_open_answers_an_early_open_at_once():
    neighbor = dataclasses.replace(NEIGHBOR, delay_open=30)

    async def scenario(peer: Peer, worker):
        remote = await connected(peer)
        await asyncio.sleep(0.2)
        assert peer.fsm.state is State.Active
        remote.send(PEER_OPEN.encode())
        # RFC 4271 8.2.2 event 20: our OPEN and a KEEPALIVE, long before 30 s
        await remote.receive(lambda m: isinstance(m, Open), timeout=2)
        await remote.receive(lambda m: isinstance(m, Keepalive), timeout=2)
        remote.send(Keepalive().encode())
        for _ in range(100):
            if peer.established:
                break
            await asyncio.sleep(0.02)
        assert peer.established

    run(scenario, neighbor)


# -- damping ---------------------------------------------------------------------


def test_damping_delays_reconnects_increasingly():
    """An active neighbor whose every connection the peer drops: the same FSM
    holds 1 s, then 2 s, then 2 s (the max) before connecting again."""

    async def main():
        loop = asyncio.get_running_loop()
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.setblocking(False)
        neighbor = dataclasses.replace(NEIGHBOR, passive=False,
                                       connect=listener.getsockname()[1],
                                       idle_hold=1, idle_hold_max=2)
        worker = StandInWorker(loop)
        peer = Peer(worker, neighbor, "test")
        times = []
        try:
            peer.start()
            fsm = peer.fsm
            for _ in range(4):
                accepted, _ = await asyncio.wait_for(loop.sock_accept(listener), 6)
                times.append(loop.time())
                # the peer drops us: the session oscillates.  (Only a close
                # after our OPEN would take the FSM to Active, RFC 4271 8.2.2)
                await asyncio.sleep(0.1)
                accepted.sendall(Notification(6, 2).encode())
                accepted.close()
            assert peer.fsm is fsm  # one FSM for good, the hold lives in it
        finally:
            peer.stop()
            listener.close()
            await asyncio.sleep(0)
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    gaps = asyncio.run(main())
    # the drop comes 0.1 s after the connection; the hold runs from there
    assert 1.0 <= gaps[0] < 1.7, gaps
    assert 2.0 <= gaps[1] < 2.7, gaps
    assert 2.0 <= gaps[2] < 2.7, gaps


def test_damping_refuses_the_peer_while_holding():
    neighbor = dataclasses.replace(NEIGHBOR, idle_hold=1, idle_hold_max=4)

    async def scenario(peer: Peer, worker):
        loop = asyncio.get_running_loop()
        remote = await connected(peer)
        await remote.establish()
        fsm = peer.fsm
        remote.sock.close()  # drop: Idle, hold 1 s
        for _ in range(100):
            if peer.fsm.state is State.Idle:
                break
            await asyncio.sleep(0.02)
        assert peer.fsm.state is State.Idle and peer.fsm.start_pending
        assert 0.5 < peer.fsm.idle_hold_deadline - loop.time() <= 1.0
        # a connection during the hold is refused
        refused = await connected(peer)
        data = await asyncio.wait_for(loop.sock_recv(refused.sock, 100), 2)
        assert data == b""
        refused.sock.close()
        await asyncio.sleep(1.1)
        assert peer.fsm is fsm and peer.fsm.state is State.Active
        again = await connected(peer)
        await again.establish()
        again.sock.close()
        for _ in range(100):
            if peer.fsm.state is State.Idle:
                break
            await asyncio.sleep(0.02)
        # the hold doubled
        assert 1.5 < peer.fsm.idle_hold_deadline - loop.time() <= 2.0

    run(scenario, neighbor)


# -- BGP Role and OTC (RFC 9234) ---------------------------------------------------


def with_role(open_message: Open, role: int) -> Open:
    return dataclasses.replace(open_message,
                               capabilities=(*open_message.capabilities, BgpRole(role)))


def test_role_capability_sent_and_pairing_checked():
    assert local_open(dataclasses.replace(NEIGHBOR, role="customer")).capability(BgpRole) \
        == BgpRole(3)
    assert local_open(NEIGHBOR).capability(BgpRole) is None
    assert role_mismatch("customer", with_role(PEER_OPEN, 0)) is None  # provider
    assert role_mismatch("customer", PEER_OPEN) is None  # no role: not strict
    assert role_mismatch("rs", with_role(PEER_OPEN, 2)) is None
    assert role_mismatch("peer", with_role(PEER_OPEN, 4)) is None
    assert role_mismatch("peer", with_role(PEER_OPEN, 0)) is not None
    assert role_mismatch("provider", with_role(with_role(PEER_OPEN, 3), 4)) is not None


def test_mismatching_role_gets_notification_2_11():
    neighbor = dataclasses.replace(NEIGHBOR, role="customer")

    async def scenario(peer: Peer, worker):
        remote = await connected(peer)
        theirs = await remote.receive(lambda m: isinstance(m, Open))
        assert theirs.capability(BgpRole) == BgpRole(3)
        remote.send(with_role(PEER_OPEN, 3).encode())  # customer too
        notification = await remote.receive(lambda m: isinstance(m, Notification))
        assert (notification.code, notification.subcode) == (2, 11)

    run(scenario, neighbor)


def published_otc(worker) -> list:
    return [body["update"].get("attribute", {}).get("otc") for kind, body in worker.events
            if kind == "update"]


async def updates(worker, count: int = 1) -> list:
    for _ in range(100):
        found = [body for kind, body in worker.events if kind == "update"]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"no update event: {worker.events}")


def otc_update(asn: int, prefix: str = "10.9.0.0/24") -> bytes:
    """``announce(prefix)`` with OTC ``asn`` appended."""
    plain = announce(prefix)
    body = plain[19:]
    attr_len = int.from_bytes(body[2:4], "big")
    otc = bytes((0xC0, 35, 4)) + asn.to_bytes(4, "big")
    new = body[:2] + (attr_len + 7).to_bytes(2, "big") + body[4:4 + attr_len] + otc + \
        body[4 + attr_len:]
    return b"\xff" * 16 + (19 + len(new)).to_bytes(2, "big") + b"\x02" + new


def test_otc_ingress_from_a_provider_adds_the_peer_as():
    neighbor = dataclasses.replace(NEIGHBOR, role="customer")

    async def scenario(peer: Peer, worker):
        remote = await connected(peer)
        await remote.establish(with_role(PEER_OPEN, 0))
        remote.send(announce("10.9.0.0/24"))
        found = await updates(worker)
        assert found[0]["update"]["attribute"]["otc"] == 65002
        assert "10.9.0.0/24" in repr(found[0]["update"]["announce"])

    run(scenario, neighbor)


def test_otc_ingress_from_a_customer_with_otc_is_a_leak():
    neighbor = dataclasses.replace(NEIGHBOR, role="provider")

    async def scenario(peer: Peer, worker):
        remote = await connected(peer)
        await remote.establish(with_role(PEER_OPEN, 3))
        remote.send(otc_update(65010))
        found = await updates(worker)
        body = found[0]["update"]
        assert "announce" not in body
        assert "10.9.0.0/24" in repr(body["withdraw"])
        remote.send(announce("10.9.1.0/24"))  # no OTC from a customer: as is
        found = await updates(worker, 2)
        assert "otc" not in found[1]["update"].get("attribute", {})
        assert "10.9.1.0/24" in repr(found[1]["update"]["announce"])

    run(scenario, neighbor)


def test_otc_ingress_rules_for_a_peer():
    def update(data: bytes) -> Update:
        return MessageReader().feed(data, Session())[0]

    same = otc_ingress(update(otc_update(65002)), "peer", 65002)
    assert same.nlri == ("10.9.0.0/24",)
    other = otc_ingress(update(otc_update(65010)), "peer", 65002)
    assert other.nlri == () and other.withdrawn == ("10.9.0.0/24",)
    added = otc_ingress(update(announce("10.9.0.0/24")), "peer", 65002)
    assert added.attribute(OnlyToCustomer) == OnlyToCustomer(65002)
    # from an rs-client (we are the rs), OTC means a leak; none is added
    assert otc_ingress(update(otc_update(65002)), "rs", 65002).nlri == ()
    assert otc_ingress(update(announce("10.9.0.0/24")), "rs", 65002).attribute(
        OnlyToCustomer) is None


def sent_routes(role: str, peer_role: int, routes: list[Route]):
    neighbor = dataclasses.replace(NEIGHBOR, role=role)

    async def scenario(peer: Peer, worker):
        for one in routes:
            peer.add_route(one, route_key(one))
        remote = await connected(peer)
        await remote.establish(with_role(PEER_OPEN, peer_role))
        got = []
        while True:
            message = await remote.receive(lambda m: isinstance(m, Update))
            if message.is_eor:
                return got
            got.append(message)

    return run(scenario, neighbor)


OTC_GENERIC = ((35, 0xC0, (65077).to_bytes(4, "big")),)


def test_otc_egress_to_a_customer_adds_our_as():
    plain = Route(IPV4_UNICAST, "10.8.0.0/24", "192.0.2.9", Attributes())
    marked = Route(IPV4_UNICAST, "10.8.1.0/24", "192.0.2.9", Attributes(generic=OTC_GENERIC))
    got = sent_routes("provider", 3, [plain, marked])
    otc = {m.nlri[0]: m.attribute(OnlyToCustomer) for m in got}
    assert otc == {"10.8.0.0/24": OnlyToCustomer(65001),
                   "10.8.1.0/24": OnlyToCustomer(65077)}


def test_otc_egress_to_a_provider_holds_back_routes_with_otc():
    plain = Route(IPV4_UNICAST, "10.8.0.0/24", "192.0.2.9", Attributes())
    marked = Route(IPV4_UNICAST, "10.8.1.0/24", "192.0.2.9", Attributes(generic=OTC_GENERIC))
    got = sent_routes("customer", 0, [plain, marked])
    assert [m.nlri for m in got] == [("10.8.0.0/24",)]
    assert got[0].attribute(OnlyToCustomer) is None
    # to a peer: both rules, held back if marked, marked with our AS if not
    got = sent_routes("peer", 4, [plain, marked])
    assert [(m.nlri, m.attribute(OnlyToCustomer)) for m in got] == [
        (("10.8.0.0/24",), OnlyToCustomer(65001))]


# -- extended next hop on send (RFC 8950) -------------------------------------------


def test_ipv4_route_with_ipv6_next_hop_goes_in_mp_reach():
    neighbor = configured("    capability {\n        nexthop;\n    }\n"
                          "    nexthop {\n        ipv4 unicast ipv6;\n    }\n")
    theirs = dataclasses.replace(PEER_OPEN, capabilities=(
        *PEER_OPEN.capabilities, ExtendedNextHop(((IPV4_UNICAST, 2),))))
    one = Route(IPV4_UNICAST, "10.7.0.0/24", "2001:db8::9", Attributes())
    two = Route(IPV4_UNICAST, "10.7.1.0/24", "2001:db8::9,fe80::9", Attributes())
    four = Route(IPV4_UNICAST, "10.7.2.0/24", "192.0.2.9", Attributes())

    async def scenario(peer: Peer, worker):
        for r in (one, two, four):
            peer.add_route(r, route_key(r))
        remote = await connected(peer)
        await remote.establish(theirs)
        got = {}
        while len(got) < 3:
            message = await remote.receive(lambda m: isinstance(m, Update) and not m.is_eor)
            for family, prefix, hops in message.announced():
                got[prefix] = (family, hops, message.attribute(MpReachNlri) is not None)
        return got

    got = run(scenario, neighbor)
    assert got == {
        "10.7.0.0/24": (IPV4_UNICAST, ("2001:db8::9",), True),
        "10.7.1.0/24": (IPV4_UNICAST, ("2001:db8::9", "fe80::9"), True),
        "10.7.2.0/24": (IPV4_UNICAST, ("192.0.2.9",), False),  # NEXT_HOP as before
    }


def test_ipv6_next_hop_not_sent_without_the_capability(caplog):
    one = Route(IPV4_UNICAST, "10.7.0.0/24", "2001:db8::9", Attributes())
    four = Route(IPV4_UNICAST, "10.7.2.0/24", "192.0.2.9", Attributes())

    async def scenario(peer: Peer, worker):
        for r in (one, four):
            peer.add_route(r, route_key(r))
        remote = await connected(peer)
        await remote.establish()
        got = []
        while True:
            message = await remote.receive(lambda m: isinstance(m, Update))
            if message.is_eor:
                return got
            got.extend(message.nlri)

    assert run(scenario, NEIGHBOR) == ["10.7.2.0/24"]
    assert "not an IPv4 next hop" in caplog.text
