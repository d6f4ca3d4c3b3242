"""The driver of one neighbor: sockets and timers around the pure FSM and codec.

It feeds bytes to the codec's MessageReader, turns messages into FSM events,
executes the actions the FSM returns (connect, send, close, session up/down,
deliver an UPDATE), and keeps exactly one ``loop.call_at`` armed for the FSM's
next deadline.  It owns the neighbor's Adj-RIB-Out and sends it whole when a
session comes up (then End-of-RIB per family), and its changes after that.

When the FSM falls back to Idle the driver starts it again after a back-off
(1 s doubling to 30 s, reset when a session is established); a passive
neighbor restarts at once, since it only waits for the supervisor to hand it
a connection.

This is the one place where a wire error becomes a NOTIFICATION (through the
FSM).  Any other exception out of the codec is a bug: it is logged with its
traceback and the session is closed with a Cease, never blamed on the peer.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from bgpmesh import fsm as F
from bgpmesh.api.json import update_message
from bgpmesh.codec import (
    FourOctetAs,
    MessageReader,
    Multiprotocol,
    Notification,
    Open,
    RouteRefresh,
    RouteRefreshCapability,
    Session,
    Update,
    encode_attributes,
    end_of_rib,
    nlri_key,
    pack_announce,
    pack_withdraw,
)
from bgpmesh.errors import BgpError, Cease
from bgpmesh.family import Family
from bgpmesh.route import Route

from . import tcp
from .rib import AdjRibOut

log = logging.getLogger("bgpmesh.worker")

CONNECT_TIMEOUT = 5.0
FLUSH_SLICE = 20_000  # routes encoded per loop turn
WRITE_HIGH_WATER = 1 << 20  # bytes buffered before the transport pauses us
BACKOFF_MIN = 1.0
BACKOFF_MAX = 30.0


class _Protocol(asyncio.Protocol):
    __slots__ = ("peer", "transport")

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.peer.connection_made(self, transport)

    def data_received(self, data: bytes) -> None:
        self.peer.data_received(self, data)

    def connection_lost(self, exc) -> None:
        self.peer.connection_lost(self, exc)

    def pause_writing(self) -> None:
        self.peer.writing_paused(self, True)

    def resume_writing(self) -> None:
        self.peer.writing_paused(self, False)


class Peer:
    def __init__(self, worker, neighbor, name: str) -> None:
        self.worker = worker
        self.loop = worker.loop
        self.neighbor = neighbor
        self.name = name
        self.rib = AdjRibOut()
        self.fsm: F.Fsm | None = None
        self.protocol: _Protocol | None = None
        self.reader = MessageReader()
        self.session = Session()
        self.negotiated = None
        self.local_ip: str | None = None
        self.attr_cache: dict = {}
        self.timer: asyncio.TimerHandle | None = None
        self.restart_handle: asyncio.TimerHandle | None = None
        self.connect_task: asyncio.Task | None = None
        self.backoff = BACKOFF_MIN
        self.stopping = False
        # flow control: the transport says when its buffer is full; the
        # Adj-RIB-Out keeps (and coalesces) what waits meanwhile
        self.paused = False
        self.flush_handle: asyncio.Handle | None = None
        self.eor_due: list[Family] = []
        self.ident = {
            "peer": neighbor.peer_address,
            "local": neighbor.local_address,
            "local_as": neighbor.local_as,
            "peer_as": neighbor.peer_as,
        }

    # -- lifecycle -------------------------------------------------------

    def local_open(self) -> Open:
        n = self.neighbor
        caps = [Multiprotocol(f) for f in n.families]
        caps.append(RouteRefreshCapability())
        caps.append(FourOctetAs(n.local_as))
        return Open(asn=n.local_as, hold_time=n.hold_time, router_id=n.router_id,
                    capabilities=tuple(caps))

    def start(self) -> None:
        self.restart_handle = None
        if self.stopping:
            return
        n = self.neighbor
        self.fsm = F.Fsm(self.local_open(), n.peer_as, n.passive, n.hold_time)
        self.reader = MessageReader()
        self.session = Session()
        self.run(self.fsm.handle(F.ManualStart(), self.loop.time()))

    def stop(self, subcode: int = Cease.ADMINISTRATIVE_SHUTDOWN, text: str = "") -> None:
        """Close with a Cease and do not come back (worker shutdown)."""
        self.stopping = True
        if self.restart_handle:
            self.restart_handle.cancel()
        if self.connect_task:
            self.connect_task.cancel()
        if self.fsm is not None and self.fsm.state is not F.State.Idle:
            self.run(self.fsm.handle(F.ManualStop(subcode=subcode, communication=text), self.loop.time()))
        self._drop_transport()

    def teardown(self, subcode: int) -> None:
        """Close with a Cease and come back after the usual back-off."""
        if self.fsm is not None and self.fsm.state is not F.State.Idle:
            self.run(self.fsm.handle(F.ManualStop(subcode=subcode), self.loop.time()))

    @property
    def established(self) -> bool:
        return self.fsm is not None and self.fsm.state is F.State.Established

    @property
    def closed(self) -> bool:
        return self.protocol is None

    # -- transport -------------------------------------------------------

    async def _connect(self) -> None:
        n = self.neighbor
        family = socket.AF_INET6 if ":" in n.peer_address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            tcp.prepare(sock, n)
            if n.local_address:
                sock.bind((n.local_address, 0))
            # a peer that drops our SYNs (wrong MD5 key, firewall) never
            # refuses: give up in time for the FSM to retry
            await asyncio.wait_for(self.loop.sock_connect(sock, (n.peer_address, n.connect)),
                                   CONNECT_TIMEOUT)
            await self.loop.create_connection(lambda: _Protocol(self), sock=sock)
        except (OSError, TimeoutError, ValueError) as exc:
            sock.close()
            reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or exc)
            log.info("%s: connect to %s port %d failed: %s", self.name, n.peer_address,
                     n.connect, reason)
            # cleared first: the FSM may answer with Idle, and the restart
            # check must not see an attempt still under way
            self.connect_task = None
            if self.fsm is not None:
                self.run(self.fsm.handle(F.TcpConnectionFails(), self.loop.time()))
        finally:
            self.connect_task = None

    def accept(self, sock: socket.socket) -> None:
        """A connection the supervisor accepted for us."""
        if self.stopping or self.protocol is not None or self.fsm is None or \
                self.fsm.state not in (F.State.Active, F.State.Connect, F.State.Idle):
            log.info("%s: refusing a second connection from %s", self.name,
                     self.neighbor.peer_address)
            sock.close()
            return
        if self.fsm.state is F.State.Idle:
            # the back-off has not restarted us yet; an inbound connection
            # is reason enough to start now
            if self.restart_handle:
                self.restart_handle.cancel()
            self.start()
        sock.setblocking(False)
        try:
            tcp.prepare(sock, self.neighbor)
        except (OSError, ValueError) as exc:
            log.warning("%s: socket options failed: %s", self.name, exc)
        self.loop.create_task(
            self.loop.connect_accepted_socket(lambda: _Protocol(self), sock))

    def connection_made(self, protocol: _Protocol, transport) -> None:
        if self.protocol is not None or self.fsm is None:
            transport.close()
            return
        self.protocol = protocol
        self.paused = False
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.local_ip = transport.get_extra_info("sockname")[0]
        self.worker.publish_state(self, "connected")
        event = F.TcpConnectionConfirmed() if self.neighbor.passive else F.TcpCrAcked()
        self.run(self.fsm.handle(event, self.loop.time()))

    def data_received(self, protocol: _Protocol, data: bytes) -> None:
        if protocol is not self.protocol or self.fsm is None:
            return
        now = self.loop.time()
        error = None
        try:
            messages = self.reader.feed(data, self.session)
        except BgpError as exc:
            # what decoded before the error still counts, in order
            messages, error = getattr(exc, "messages", ()), exc
        except Exception:
            log.exception("%s: bug while decoding; closing with Cease", self.name)
            self._bug_close()
            return
        for message in messages:
            if self.protocol is not protocol:
                break
            self.run(self.fsm.handle(F.event_for_message(message), now))
        if error is not None and self.protocol is protocol:
            self.run(self.fsm.handle(F.event_for_error(error), now))

    def connection_lost(self, protocol: _Protocol, exc) -> None:
        if protocol is not self.protocol:
            return
        self.protocol = None
        if self.fsm is not None and self.fsm.state is not F.State.Idle:
            self.run(self.fsm.handle(F.TcpConnectionFails(), self.loop.time()))
        self._maybe_restart()

    def _drop_transport(self) -> None:
        protocol, self.protocol = self.protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()

    def _bug_close(self) -> None:
        if self.protocol is not None:
            n = Notification(Cease.code, Cease.OUT_OF_RESOURCES)
            self.protocol.transport.write(n.encode(self.session))
        self._drop_transport()
        if self.fsm is not None and self.fsm.state is not F.State.Idle:
            self.run(self.fsm.handle(F.TcpConnectionFails(), self.loop.time()))
        self._maybe_restart()

    # -- actions ---------------------------------------------------------

    def run(self, actions) -> None:
        for action in actions:
            kind = type(action)
            if kind is F.Send:
                if self.protocol is not None:
                    self.protocol.transport.write(action.data)
            elif kind is F.Deliver:
                self.delivered(action.message)
            elif kind is F.Connect:
                if self.connect_task is None and self.protocol is None:
                    self.connect_task = self.loop.create_task(self._connect())
            elif kind is F.Close:
                self._drop_transport()
            elif kind is F.SessionEstablished:
                self.session_up(action.negotiated)
            elif kind is F.SessionDown:
                self.session_down(action.reason)
        self._arm_timer()
        self._maybe_restart()

    def _arm_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.fsm is None:
            return
        deadline = self.fsm.next_deadline()
        if deadline is not None:
            self.timer = self.loop.call_at(deadline, self._timer_fired)

    def _timer_fired(self) -> None:
        self.timer = None
        if self.fsm is not None:
            self.run(self.fsm.expire(self.loop.time()))

    def _maybe_restart(self) -> None:
        if self.stopping or self.fsm is None or self.fsm.state is not F.State.Idle:
            return
        if self.restart_handle is not None or self.protocol is not None:
            return
        if self.connect_task is not None:
            return
        delay = 0.0 if self.neighbor.passive else self.backoff
        self.backoff = min(self.backoff * 2, BACKOFF_MAX)
        self.restart_handle = self.loop.call_later(delay, self.start)

    # -- session ---------------------------------------------------------

    def session_up(self, negotiated) -> None:
        self.negotiated = negotiated
        self.session = negotiated.session
        self.attr_cache = {}
        self.backoff = BACKOFF_MIN
        log.info("%s: session established (hold time %ds)", self.name, negotiated.hold_time)
        self.worker.publish_state(self, "up")
        # the whole table, in slices as the socket takes them, then End-of-RIB
        self.rib.resend_all()
        self.eor_due = [f for f in self.neighbor.families if f in negotiated.families]
        self.flush()

    def session_down(self, reason: str) -> None:
        log.info("%s: session down: %s", self.name, reason)
        self.negotiated = None
        self.worker.publish_state(self, "down", reason)

    def delivered(self, message) -> None:
        if isinstance(message, Update):
            self.worker.publish_event(self, "update", update_message(message))
        elif isinstance(message, RouteRefresh):
            if self.established:
                self.rib.resend_all()
                if message.family not in self.eor_due:
                    self.eor_due.append(message.family)
                self.flush()

    # -- Adj-RIB-Out -----------------------------------------------------

    def add_route(self, route: Route, key: bytes) -> None:
        self.rib.announce(route.family, key, route.next_hop or "self", route.attributes)

    def remove_route(self, family: Family, key: bytes) -> None:
        self.rib.withdraw(family, key)

    def flush(self) -> None:
        """Send what the Adj-RIB-Out has pending, a slice per loop turn, while
        the socket takes it; End-of-RIB once the table is out."""
        self.flush_handle = None
        if not self.established or self.protocol is None:
            return
        if self.paused:
            return  # resume_writing calls us again
        if self.rib.pending:
            announce, withdraw = self.rib.take_pending(FLUSH_SLICE)
            self._write_updates(announce, withdraw)
            if self.rib.pending:
                # let keepalives and other neighbors run between slices
                self.flush_handle = self.loop.call_soon(self.flush)
                return
        if self.eor_due and not self.paused:
            due, self.eor_due = self.eor_due, []
            self.protocol.transport.write(b"".join(end_of_rib(f) for f in due))

    def writing_paused(self, protocol: _Protocol, paused: bool) -> None:
        if protocol is not self.protocol:
            return
        self.paused = paused
        if not paused and self.flush_handle is None:
            self.flush()

    def send_eor(self, family: Family) -> None:
        if self.established and self.protocol is not None:
            self.protocol.transport.write(end_of_rib(family))

    def send_route_refresh(self, family: Family) -> None:
        if self.established and self.protocol is not None:
            self.protocol.transport.write(RouteRefresh(family).encode(self.session))

    def _write_updates(self, announce: dict, withdraw: dict) -> None:
        if self.protocol is None:
            return
        session = self.session
        n = self.neighbor
        out: list[bytes] = []
        for family, keys in withdraw.items():
            out.extend(pack_withdraw(family, keys, session))
        cache = self.attr_cache
        for (family, next_hop, attributes), keys in announce.items():
            raw = cache.get(attributes)
            if raw is None:
                raw = cache[attributes] = encode_attributes(attributes, n.local_as, n.peer_as,
                                                            session)
            if next_hop == "self":
                next_hop = self.local_ip
            out.extend(pack_announce(family, raw, next_hop, keys, session))
        if out:
            self.protocol.transport.write(b"".join(out))


def route_key(route: Route) -> bytes:
    return nlri_key(route.family, route.prefix)
