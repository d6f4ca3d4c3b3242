"""Session features of the worker's driver, against a scripted peer on loopback TCP.

Each test runs one ``workers.peer.Peer`` in an asyncio loop with a stand-in
worker (it records published events), hands it the accepted end of a real TCP
connection as the supervisor would, and plays the other BGP speaker with the
codec: OPEN, KEEPALIVE, UPDATE, ROUTE-REFRESH out; whatever the driver writes
back is decoded and checked.  No daemon, no supervisor: seconds per test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket

import pytest

from bgpmesh.codec import (
    AddPath,
    EnhancedRouteRefresh,
    ExtendedMessage,
    FourOctetAs,
    Fqdn,
    GracefulRestart,
    Keepalive,
    MessageReader,
    Multiprotocol,
    Notification,
    Open,
    RouteRefresh,
    RouteRefreshCapability,
    Session,
    SoftwareVersion,
    Update,
    negotiate,
)
from bgpmesh.codec.nlri.prefix import PathPrefix
from bgpmesh.codec.route_refresh import BEGIN, END
from bgpmesh.config.model import Capability, Neighbor
from bgpmesh.errors import Cease
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST
from bgpmesh.route import Attributes, Route
from workers import peer as peer_module
from workers.peer import Peer, local_open, route_key

NEIGHBOR = Neighbor(peer_address="127.0.0.1", local_address=None, router_id="192.0.2.1",
                    local_as=65001, peer_as=65002, hold_time=30, passive=True,
                    families=(IPV4_UNICAST,))
PEER_OPEN = Open(65002, 30, "192.0.2.2", (Multiprotocol(IPV4_UNICAST), RouteRefreshCapability(),
                                          FourOctetAs(65002)))


def route(prefix: str) -> Route:
    return Route(IPV4_UNICAST, prefix, "192.0.2.9", Attributes())


def announce(*prefixes: str, withdraw: tuple[str, ...] = ()) -> bytes:
    """A plain IPv4 UPDATE: ORIGIN IGP, empty AS_PATH, NEXT_HOP 192.0.2.2."""
    def nlri(prefix: str) -> bytes:
        address, length = prefix.split("/")
        size = (int(length) + 7) // 8
        return bytes((int(length),)) + socket.inet_aton(address)[:size]

    withdrawn = b"".join(nlri(p) for p in withdraw)
    attributes = (bytes((0x40, 1, 1, 0)) + bytes((0x40, 2, 0))
                  + bytes((0x40, 3, 4)) + socket.inet_aton("192.0.2.2")) if prefixes else b""
    body = (len(withdrawn).to_bytes(2, "big") + withdrawn + len(attributes).to_bytes(2, "big")
            + attributes + b"".join(nlri(p) for p in prefixes))
    return b"\xff" * 16 + (19 + len(body)).to_bytes(2, "big") + bytes((2,)) + body


class StandInWorker:
    def __init__(self, loop) -> None:
        self.loop = loop
        self.events: list[tuple[str, dict]] = []

    def publish_state(self, peer, state: str, reason: str = "") -> None:
        self.events.append(("state", {"state": state, "reason": reason}))

    def publish_event(self, peer, kind: str, body: dict) -> None:
        self.events.append((kind, body))


class Remote:
    """The scripted peer: one TCP connection, blocking reads with a deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = MessageReader()
        self.session = Session()
        self.inbox: list = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    async def receive(self, predicate, timeout: float = 5.0):
        """The first message ``predicate`` accepts (earlier ones are kept)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i, message in enumerate(self.inbox):
                if predicate(message):
                    return self.inbox.pop(i)
            if loop.time() > deadline:
                raise AssertionError(f"no such message; have {self.inbox}")
            try:
                data = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), 0.2)
            except TimeoutError:
                continue
            if not data:
                raise AssertionError(f"connection closed; have {self.inbox}")
            self.inbox.extend(self.reader.feed(data, self.session))

    async def establish(self, our_open: Open = PEER_OPEN) -> Open:
        theirs = await self.receive(lambda m: isinstance(m, Open))
        self.send(our_open.encode())
        self.send(Keepalive().encode())
        self.session = negotiate(our_open, theirs).session
        await self.receive(lambda m: isinstance(m, Keepalive))
        return theirs


async def connected(peer: Peer, start: bool = True) -> Remote:
    """Start the passive peer (unless ``start`` is False: it runs already) and
    give it a connection, as the supervisor does."""
    loop = asyncio.get_running_loop()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    client = socket.socket()
    client.setblocking(False)
    try:
        await loop.sock_connect(client, listener.getsockname())
        accepted, _ = await loop.sock_accept(listener)
    finally:
        listener.close()
    if start:
        peer.start()
    peer.accept(accepted)
    return Remote(client)


async def until(predicate, timeout: float = 2.5):
    """The first truthy value of ``predicate``, polled while the loop runs;
    AssertionError after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := predicate()):
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
    return value


def run(coroutine_function, neighbor: Neighbor = NEIGHBOR, **options):
    async def main():
        worker = StandInWorker(asyncio.get_running_loop())
        peer = Peer(worker, neighbor, "test", **options)
        try:
            return await coroutine_function(peer, worker)
        finally:
            peer.stop()
            await asyncio.sleep(0)

    return asyncio.run(main())


def is_eor(message) -> bool:
    return isinstance(message, Update) and message.is_eor


# -- OPEN from configuration -------------------------------------------------


def test_open_carries_what_the_capability_block_asks_for():
    neighbor = dataclasses.replace(
        NEIGHBOR, families=(IPV4_UNICAST, IPV6_UNICAST), host_name="edge1",
        domain_name="example.net", add_path_families=(IPV4_UNICAST,),
        capability=Capability(route_refresh=True, graceful_restart=120,
                              add_path="send/receive", software_version=True))
    message = local_open(neighbor)
    assert message.capability(GracefulRestart) == GracefulRestart(
        0, 120, ((IPV4_UNICAST, 0x80), (IPV6_UNICAST, 0x80)))
    # send/receive (3): the packer writes Path Identifiers
    assert message.capability(AddPath) == AddPath(((IPV4_UNICAST, 3),))
    assert message.capability(EnhancedRouteRefresh) is not None
    assert message.capability(RouteRefreshCapability) is not None
    assert message.capability(ExtendedMessage) is not None
    assert message.capability(Fqdn) == Fqdn("edge1", "example.net")
    assert message.capability(SoftwareVersion).version.startswith("bgpmesh/")
    assert message.capability(FourOctetAs) == FourOctetAs(65001)
    # and it survives the wire
    assert Open.decode(message.encode()[19:]) == message


def test_open_defaults_and_switches():
    plain = local_open(dataclasses.replace(NEIGHBOR, capability=Capability(
        asn4=False, extended_message=False)))
    for cls in (GracefulRestart, AddPath, EnhancedRouteRefresh, ExtendedMessage, Fqdn,
                SoftwareVersion, FourOctetAs):
        assert plain.capability(cls) is None, cls
    assert local_open(NEIGHBOR, hostname="box").capability(Fqdn) == Fqdn("box", "")
    restarted = local_open(dataclasses.replace(NEIGHBOR, capability=Capability(
        graceful_restart=90)), restarting=True)
    assert restarted.capability(GracefulRestart).restart_flags == GracefulRestart.RESTART_STATE


def test_extended_message_negotiated_raises_the_session_limit():
    ours = local_open(NEIGHBOR)
    theirs = dataclasses.replace(PEER_OPEN, capabilities=(*PEER_OPEN.capabilities,
                                                          ExtendedMessage()))
    assert negotiate(ours, theirs).session.max_size == 65535
    assert negotiate(ours, PEER_OPEN).session.max_size == 4096


# -- the driver ----------------------------------------------------------------


def test_table_then_end_of_rib_and_restart_state_bit():
    neighbor = dataclasses.replace(NEIGHBOR, capability=Capability(graceful_restart=60))

    async def scenario(peer: Peer, worker):
        peer.add_route(route("10.0.0.0/24"), route_key(route("10.0.0.0/24")))
        remote = await connected(peer)
        theirs = await remote.establish()
        gr = theirs.capability(GracefulRestart)
        assert gr.restart_flags == GracefulRestart.RESTART_STATE
        assert gr.families == ((IPV4_UNICAST, GracefulRestart.FORWARDING_STATE),)
        first = await remote.receive(lambda m: isinstance(m, Update))
        assert not first.is_eor and first.nlri == ("10.0.0.0/24",)
        await remote.receive(is_eor)
        # the bit is for the first session after the restart only
        assert peer.local_open().capability(GracefulRestart).restart_flags == 0

    run(scenario, neighbor, restarting=True)


def test_a_restarted_peer_connecting_again_ends_the_old_session_and_its_routes_go_stale():
    # RFC 4724 4.2: the peer restarted and its old connection died without a
    # word; its new connection replaces the session, routes kept stale
    neighbor = dataclasses.replace(NEIGHBOR, capability=Capability(graceful_restart=60))
    restarting = dataclasses.replace(PEER_OPEN, capabilities=(
        *PEER_OPEN.capabilities,
        GracefulRestart(0, 120, ((IPV4_UNICAST, GracefulRestart.FORWARDING_STATE),))))

    async def scenario(peer: Peer, worker):
        old = await connected(peer)
        await old.establish(restarting)
        old.send(announce("10.9.0.0/24", "10.9.1.0/24"))
        await old.receive(is_eor)
        await until(lambda: len(peer.adj_rib_in) == 2)
        new = await connected(peer, start=False)
        await new.establish(restarting)
        states = [body for kind, body in worker.events if kind == "state"]
        assert any(body.get("state") == "stale" for body in states), worker.events
        withdrawn = [body for kind, body in worker.events if kind == "update"
                     and "withdraw" in body.get("message", {}).get("update", {})]
        assert withdrawn == []  # kept, not withdrawn
        # the peer sends one route again, then End-of-RIB: the other goes
        new.send(announce("10.9.0.0/24"))
        new.send(announce())  # the empty UPDATE: IPv4 unicast End-of-RIB
        await until(lambda: len(peer.adj_rib_in) == 1)
        assert [nlri for _family, nlri in peer.adj_rib_in] == ["10.9.0.0/24"]

    run(scenario, neighbor)


def test_manual_eor_waits_for_the_producers():
    neighbor = dataclasses.replace(NEIGHBOR, manual_eor=True)

    async def scenario(peer: Peer, worker):
        peer.add_route(route("10.0.1.0/24"), route_key(route("10.0.1.0/24")))
        remote = await connected(peer)
        await remote.establish()
        await remote.receive(lambda m: isinstance(m, Update) and m.nlri)
        with pytest.raises(AssertionError):
            await remote.receive(is_eor, timeout=0.5)
        peer.send_eor(IPV4_UNICAST)
        await remote.receive(is_eor)

    run(scenario, neighbor)


def test_enhanced_route_refresh_is_answered_with_borr_table_eorr():
    neighbor = dataclasses.replace(NEIGHBOR, capability=Capability(route_refresh=True))
    theirs = dataclasses.replace(PEER_OPEN, capabilities=(*PEER_OPEN.capabilities,
                                                          EnhancedRouteRefresh()))

    async def scenario(peer: Peer, worker):
        peer.add_route(route("10.0.2.0/24"), route_key(route("10.0.2.0/24")))
        remote = await connected(peer)
        await remote.establish(theirs)
        await remote.receive(is_eor)
        remote.inbox.clear()
        remote.send(RouteRefresh(IPV4_UNICAST).encode())
        await remote.receive(lambda m: isinstance(m, RouteRefresh) and m.subtype == BEGIN)
        table = await remote.receive(lambda m: isinstance(m, Update) and m.nlri)
        assert table.nlri == ("10.0.2.0/24",)
        await remote.receive(lambda m: isinstance(m, RouteRefresh) and m.subtype == END)
        # BoRR / EoRR from the peer ask for nothing
        remote.send(RouteRefresh(IPV4_UNICAST, BEGIN).encode())
        with pytest.raises(AssertionError):
            await remote.receive(lambda m: isinstance(m, Update), timeout=0.5)

    run(scenario, neighbor)


def test_plain_route_refresh_gets_table_and_end_of_rib():
    async def scenario(peer: Peer, worker):
        peer.add_route(route("10.0.3.0/24"), route_key(route("10.0.3.0/24")))
        remote = await connected(peer)
        await remote.establish()
        await remote.receive(is_eor)
        remote.inbox.clear()
        remote.send(RouteRefresh(IPV4_UNICAST).encode())
        await remote.receive(lambda m: isinstance(m, Update) and m.nlri)
        await remote.receive(is_eor)
        assert not any(isinstance(m, RouteRefresh) for m in remote.inbox)

    run(scenario)


def test_max_prefixes_tears_down_with_cease_6_1():
    async def scenario(peer: Peer, worker):
        remote = await connected(peer)
        await remote.establish()
        remote.send(announce("10.1.0.0/24", "10.1.1.0/24"))
        remote.send(announce(withdraw=("10.1.0.0/24",)))
        remote.send(announce("10.1.2.0/24"))  # two held: at the limit, fine
        remote.send(announce("10.1.3.0/24"))  # three: over
        notification = await remote.receive(lambda m: isinstance(m, Notification))
        assert (notification.code, notification.subcode) == (Cease.code,
                                                              Cease.MAXIMUM_PREFIXES)
        updates = [body for kind, body in worker.events if kind == "update"]
        assert len(updates) == 3  # the one over the limit is not passed on

    run(scenario, max_prefixes=2)


def test_max_prefixes_warn_only_keeps_the_session(caplog):
    async def scenario(peer: Peer, worker):
        remote = await connected(peer)
        await remote.establish()
        remote.send(announce("10.2.0.0/24", "10.2.1.0/24", "10.2.2.0/24"))
        remote.send(Keepalive().encode())
        await until(lambda: any(kind == "update" for kind, _ in worker.events), 1.0)
        assert peer.established and peer.over_limit
        assert not any(isinstance(m, Notification) for m in remote.inbox)

    run(scenario, max_prefixes=2, max_prefixes_teardown=False)
    assert "over the limit of 2" in caplog.text


def test_peer_as_auto_takes_the_as_of_the_open():
    neighbor = dataclasses.replace(NEIGHBOR, peer_as=None)
    theirs = Open(65077, 30, "192.0.2.2", (Multiprotocol(IPV4_UNICAST), FourOctetAs(65077)))

    async def scenario(peer: Peer, worker):
        remote = await connected(peer)
        await remote.establish(theirs)
        assert peer.peer_as == 65077 and peer.ident["peer_as"] == 65077
        # eBGP with the AS learned: our AS is prepended
        peer.add_route(route("10.3.0.0/24"), route_key(route("10.3.0.0/24")))
        peer.flush()
        sent = await remote.receive(lambda m: isinstance(m, Update) and m.nlri)
        assert "65001" in repr(sent.attributes)

    run(scenario, neighbor)


def test_stop_sends_the_shutdown_communication():
    async def scenario(peer: Peer, worker):
        remote = await connected(peer)
        await remote.establish()
        peer.stop(text="bgpmesh shutting down")
        notification = await remote.receive(lambda m: isinstance(m, Notification))
        assert notification.subcode == Cease.ADMINISTRATIVE_SHUTDOWN
        assert notification.shutdown_communication == "bgpmesh shutting down"

    run(scenario)


def test_a_range_makes_a_session_per_peer_with_its_routes():
    neighbor = dataclasses.replace(NEIGHBOR, peer_address="127.0.0.0/8",
                                   peer_range="127.0.0.0/8")

    async def scenario(template: Peer, worker):
        template.start()
        assert template.fsm is None  # a range runs no session of its own
        template.add_route(route("10.4.0.0/24"), route_key(route("10.4.0.0/24")))
        child = template.spawn("127.0.0.1")
        assert child.neighbor.peer_address == "127.0.0.1" and child.name == "test"
        assert template.spawn("127.0.0.1") is child
        remote = await connected(child)
        await remote.establish()
        await remote.receive(lambda m: isinstance(m, Update) and m.nlri == ("10.4.0.0/24",))
        # later changes to the range reach its peers
        template.add_route(route("10.4.1.0/24"), route_key(route("10.4.1.0/24")))
        template.flush()
        await remote.receive(lambda m: isinstance(m, Update) and m.nlri == ("10.4.1.0/24",))

    run(scenario, neighbor)


def test_range_peers_that_connect_before_the_start_come_up_at_the_start():
    # the supervisor may hand a range's connections over before it says
    # "start" (the worker was still booting): they are held, and start with it
    neighbor = dataclasses.replace(NEIGHBOR, peer_address="127.0.0.0/8",
                                   peer_range="127.0.0.0/8")

    async def scenario(template: Peer, worker):
        template.add_route(route("10.4.2.0/24"), route_key(route("10.4.2.0/24")))
        child = template.spawn("127.0.0.1")  # as the worker does, before its start
        remote = await connected(child, start=False)
        assert child.fsm is None and child.early is not None  # held, no OPEN yet
        template.start()
        await remote.establish()
        await remote.receive(lambda m: isinstance(m, Update) and m.nlri == ("10.4.2.0/24",))

    run(scenario, neighbor)


def test_worker_sigterm_text_is_the_one_documented():
    from workers import worker

    assert worker.SHUTDOWN_COMMUNICATION == "bgpmesh shutting down"
    assert peer_module.BACKOFF_MIN > 0


# -- max-prefixes from the configuration, ADD-PATH send ------------------------


def configured(statements: str) -> Neighbor:
    from bgpmesh.config.parser import parse_config

    config = parse_config("neighbor 127.0.0.1 {\n    router-id 192.0.2.1;\n"
                          "    local-as 65001;\n    peer-as 65002;\n    hold-time 30;\n"
                          "    passive;\n    family {\n        ipv4 unicast;\n    }\n"
                          f"{statements}}}\n")
    return config.neighbors[0]


def test_max_prefixes_statement_sets_the_peer_limit():
    from bgpmesh.errors import ConfigError

    assert (NEIGHBOR.max_prefixes, NEIGHBOR.max_prefixes_teardown) == (0, True)
    teardown = configured("    max-prefixes 2;\n")
    assert (teardown.max_prefixes, teardown.max_prefixes_teardown) == (2, True)
    warn = configured("    max-prefixes 5 warn;\n")
    assert (warn.max_prefixes, warn.max_prefixes_teardown) == (5, False)
    assert configured("    max-prefixes 7 teardown;\n").max_prefixes_teardown
    for bad in ("max-prefixes;", "max-prefixes x;", "max-prefixes 3 drop;",
                "max-prefixes 3 warn now;"):
        with pytest.raises(ConfigError):
            configured(f"    {bad}\n")

    async def scenario(peer: Peer, worker):
        assert (peer.max_prefixes, peer.max_prefixes_teardown) == (2, True)
        remote = await connected(peer)
        await remote.establish()
        remote.send(announce("10.4.0.0/24", "10.4.1.0/24", "10.4.2.0/24"))
        notification = await remote.receive(lambda m: isinstance(m, Notification))
        assert (notification.code, notification.subcode) == (Cease.code,
                                                              Cease.MAXIMUM_PREFIXES)

    run(scenario, teardown)
    # a keyword argument still overrides the neighbor's statement
    run(lambda peer, worker: _limits(peer, (9, False)), teardown, max_prefixes=9,
        max_prefixes_teardown=False)


async def _limits(peer: Peer, expected) -> None:
    assert (peer.max_prefixes, peer.max_prefixes_teardown) == expected


def test_add_path_send_writes_both_paths_of_one_prefix():
    neighbor = configured("    capability {\n        add-path send;\n    }\n")
    ours = local_open(neighbor)
    assert ours.capability(AddPath) == AddPath(((IPV4_UNICAST, 2),))
    theirs = dataclasses.replace(PEER_OPEN, capabilities=(
        *PEER_OPEN.capabilities, AddPath(((IPV4_UNICAST, 1),))))
    first = Route(IPV4_UNICAST, "10.5.0.0/24", "192.0.2.9", Attributes(), path_id=1)
    second = dataclasses.replace(first, path_id=2, next_hop="192.0.2.10")

    async def scenario(peer: Peer, worker):
        for one in (first, second):
            peer.add_route(one, route_key(one))
        remote = await connected(peer)
        await remote.establish(theirs)
        assert IPV4_UNICAST in remote.session.add_path_receive
        seen = []
        while len(seen) < 2:
            update = await remote.receive(lambda m: isinstance(m, Update) and m.nlri)
            seen.extend(update.nlri)
        # the receiving side keeps the identifiers: two routes, not one twice
        assert sorted(seen, key=lambda p: p.path_id) == [PathPrefix("10.5.0.0/24", 1),
                                                         PathPrefix("10.5.0.0/24", 2)]

    run(scenario, neighbor)


def test_extended_next_hop_offered_and_an_ipv6_next_hop_received():
    from bgpmesh.codec import ExtendedNextHop

    neighbor = configured("    capability {\n        nexthop;\n    }\n"
                          "    nexthop {\n        ipv4 unicast ipv6;\n    }\n")
    assert local_open(neighbor).capability(ExtendedNextHop) == ExtendedNextHop(
        ((IPV4_UNICAST, 2),))
    assert local_open(NEIGHBOR).capability(ExtendedNextHop) is None
    theirs = dataclasses.replace(PEER_OPEN, capabilities=(
        *PEER_OPEN.capabilities, ExtendedNextHop(((IPV4_UNICAST, 2),))))
    # RFC 8950: IPv4 NLRI in MP_REACH_NLRI with a 16-octet next hop
    mp = (b"\x00\x01\x01\x10" + socket.inet_pton(socket.AF_INET6, "2001:db8::7") +
          b"\x00\x18\x0a\x06\x00")
    attributes = b"\x40\x01\x01\x00" + b"\x40\x02\x00" + b"\x80\x0e" + bytes((len(mp),)) + mp
    body = b"\x00\x00" + len(attributes).to_bytes(2, "big") + attributes
    message = b"\xff" * 16 + (19 + len(body)).to_bytes(2, "big") + b"\x02" + body

    async def scenario(peer: Peer, worker):
        remote = await connected(peer)
        await remote.establish(theirs)
        assert peer.negotiated.extended_next_hop == frozenset({(IPV4_UNICAST, 2)})
        remote.send(message)
        updates = await until(
            lambda: [body for kind, body in worker.events if kind == "update"])
        assert "2001:db8::7" in repr(updates) and "10.6.0.0/24" in repr(updates)

    run(scenario, neighbor)
