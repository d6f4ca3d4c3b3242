"""The driver of one neighbor: sockets and timers around the pure FSM and codec.

It feeds bytes to the codec's MessageReader, turns messages into FSM events,
executes the actions the FSM returns (connect, send, close, session up/down,
deliver an UPDATE), and keeps exactly one ``loop.call_at`` armed for the FSM's
next deadline.  It owns the neighbor's Adj-RIB-Out and sends it whole when a
session comes up (then End-of-RIB per family), and its changes after that.

When the FSM falls back to Idle the driver starts it again after a back-off
(1 s doubling to 30 s, reset when a session is established); a passive
neighbor restarts at once, since it only waits for the supervisor to hand it
a connection.  With ``idle-hold`` (RFC 4271 DampPeerOscillations) the FSM
damps instead: the driver keeps one ``Fsm`` for good, feeds it
``AutomaticStart`` once after each drop, and refuses the peer's connections
while it holds in Idle (see ``bgpmesh.fsm``).

With ``role`` (RFC 9234) the OPEN carries the BGP Role capability, a peer
whose role does not pair gets NOTIFICATION 2/11, the OTC ingress rules of
section 5 apply to the UPDATEs published, and the egress rules to what is
sent (``Session.otc_add``/``otc_refuse``, applied by the packer).

Graceful restart as the receiving speaker (RFC 4724 section 4.2, RFC 9494):
when the FSM reports a graceful drop (``SessionDown.graceful``), the peer's
routes stay in the Adj-RIB-In, marked stale by the neighbor's
``StaleRoutes`` (``bgpmesh.graceful``), which outlives sessions and whose
deadline gets a ``loop.call_at`` of its own.  Scripts see ``stale`` events
(bus kind ``state``) and, when stale routes go, ordinary withdraw updates.

This is the one place where a wire error becomes a NOTIFICATION (through the
FSM).  Any other exception out of the codec is a bug: it is logged with its
traceback and the session is closed with a Cease, never blamed on the peer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import time

from bgpmesh import __version__
from bgpmesh import fsm as F
from bgpmesh.api.json import operational_message, update_message
from bgpmesh.codec import (
    AddPath,
    BgpRole,
    EnhancedRouteRefresh,
    ExtendedMessage,
    ExtendedNextHop,
    FourOctetAs,
    Fqdn,
    GracefulRestart,
    LongLivedGracefulRestart,
    MessageReader,
    MpReachNlri,
    MpUnreachNlri,
    Multiprotocol,
    Notification,
    OnlyToCustomer,
    Open,
    Operational,
    OperationalMessage,
    RouteRefresh,
    RouteRefreshCapability,
    Session,
    SoftwareVersion,
    Update,
    end_of_rib,
    nlri_key,
)
from bgpmesh.codec.attributes.communities import Communities
from bgpmesh.codec.capabilities import ADD_PATH_RECEIVE, ADD_PATH_SEND
from bgpmesh.codec.nlri.prefix import PathPrefix
from bgpmesh.codec.operational import COUNTER as OPERATIONAL_COUNTERS
from bgpmesh.codec.operational import NAMES as OPERATIONAL_NAMES
from bgpmesh.codec.operational import QUERY as OPERATIONAL_QUERIES
from bgpmesh.codec.packer import NlriKey, rib_entry, route_nlri_key
from bgpmesh.codec.route_refresh import BEGIN as ROUTE_REFRESH_BEGIN
from bgpmesh.codec.route_refresh import END as ROUTE_REFRESH_END
from bgpmesh.codec.route_refresh import NORMAL as ROUTE_REFRESH_NORMAL
from bgpmesh.collision import Direction, resolve_collision
from bgpmesh.errors import BgpError, Cease, RoleMismatch
from bgpmesh.family import IPV4_UNICAST, Family
from bgpmesh.graceful import (
    LLGR_STALE,
    NO_LLGR,
    LongLivedStarted,
    Retention,
    StaleMarked,
    StaleRoutes,
    StaleWithdrawn,
    preserved,
    retention,
)
from bgpmesh.route import Route

from . import tcp
from .rib import AdjRibOut
from .update_groups import encode_updates, send_updates

log = logging.getLogger("bgpmesh.worker")

CONNECT_TIMEOUT = 5.0
FLUSH_SLICE = 20_000  # routes encoded per loop turn
WRITE_HIGH_WATER = 1 << 20  # bytes buffered before the transport pauses us
BACKOFF_MIN = 1.0
BACKOFF_MAX = 30.0

# RFC 9234 section 4.2, table 2: our role -> the peer's that pairs with it
ROLES = {"provider": 0, "rs": 1, "rs-client": 2, "customer": 3, "peer": 4}
PAIRED_ROLE = {"provider": "customer", "customer": "provider", "rs": "rs-client",
               "rs-client": "rs", "peer": "peer"}


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


class _Inbound:
    """The peer's connection while ours is still opening (a collision)."""

    __slots__ = ("fsm", "protocol", "reader", "session", "timer")

    def __init__(self, fsm: F.Fsm) -> None:
        self.fsm = fsm
        self.protocol: _Protocol | None = None
        self.reader = MessageReader()
        self.session = Session()
        self.timer: asyncio.TimerHandle | None = None


class Peer:
    def __init__(self, worker, neighbor, name: str, *, restarting: bool = False,
                 max_prefixes: int | None = None,
                 max_prefixes_teardown: bool | None = None) -> None:
        """``restarting``: the worker was restarted, so the first OPEN says so
        (Graceful Restart).  ``max_prefixes`` > 0 limits the prefixes the peer
        may announce: past it the session is torn down with Cease 6/1, or only
        a warning is logged when ``max_prefixes_teardown`` is False.  Both
        default to the neighbor's ``max-prefixes`` statement."""
        self.worker = worker
        self.restarting = restarting
        self.max_prefixes = neighbor.max_prefixes if max_prefixes is None else max_prefixes
        self.max_prefixes_teardown = neighbor.max_prefixes_teardown \
            if max_prefixes_teardown is None else max_prefixes_teardown
        self.received: set[tuple[Family, str]] = set()
        # (family, nlri) -> (next hops, the UPDATE it came in): see keep_received
        self.adj_rib_in: dict[tuple[Family, str], tuple] = {}
        # graceful restart as the receiving speaker: what the session's OPENs
        # let us keep when it drops, and what is kept (bgpmesh.graceful)
        self.retained: dict[Family, Retention] = {}
        self.stale = StaleRoutes()
        self.stale_timer: asyncio.TimerHandle | None = None
        self.over_limit = False
        # the peer's AS as its OPEN said ("peer-as auto" leaves it unknown)
        self.peer_as = neighbor.peer_as
        # a passive range ("neighbor 10.0.0.0/24") runs no session itself: it
        # holds the routes for, and makes, one Peer per address that connects
        self.children: dict[str, Peer] | None = {} if neighbor.peer_range else None
        self.loop = worker.loop
        self.neighbor = neighbor
        self.name = name
        self.rib = AdjRibOut()
        self.fsm: F.Fsm | None = None
        self.protocol: _Protocol | None = None
        self.inbound: _Inbound | None = None  # a colliding connection from the peer
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
        self.early: socket.socket | None = None  # accepted before sessions started
        # flow control: the transport says when its buffer is full; the
        # Adj-RIB-Out keeps (and coalesces) what waits meanwhile
        self.paused = False
        self.flush_handle: asyncio.Handle | None = None
        self.eor_due: list[Family] = []
        self.unsent: set[Family] = set()  # families held back, not negotiated (logged)
        self.operational_sequence = 0  # of the OPERATIONAL queries and counters sent
        self.eorr_due: list[Family] = []  # RFC 7313 EoRR after a refresh's table
        self.ident = {
            "peer": neighbor.peer_address,
            "local": neighbor.local_address,
            "local_as": neighbor.local_as,
            "peer_as": neighbor.peer_as,
            "router_id": neighbor.router_id,
        }

    # -- lifecycle -------------------------------------------------------

    def local_open(self) -> Open:
        return local_open(self.neighbor, restarting=self.restarting,
                          hostname=socket.gethostname())

    def spawn(self, peer_ip: str) -> Peer:
        """The session of one address of this passive range, with our routes."""
        child = self.children.get(peer_ip)
        if child is None or child.stopping:
            neighbor = dataclasses.replace(self.neighbor, peer_address=peer_ip, peer_range=None)
            child = Peer(self.worker, neighbor, self.name, restarting=self.restarting,
                         max_prefixes=self.max_prefixes,
                         max_prefixes_teardown=self.max_prefixes_teardown)
            for (family, key), (next_hop, attributes) in self.rib.routes.items():
                child.rib.announce(family, key, next_hop, attributes)
            self.children[peer_ip] = child
            log.info("%s: %s connects, a session of its own", self.name, peer_ip)
        return child

    def start(self) -> None:
        self.restart_handle = None
        if self.stopping:
            return
        if self.children is not None:
            # a range: its peers' sessions start as they connect, and those
            # that connected before the start (handed over while the worker
            # waited for it, their socket held in ``early``) start now
            for child in list(self.children.values()):
                if child.fsm is None and not child.stopping:
                    child.restarting = self.restarting
                    child.start()
            return
        if self.fsm is not None and self.neighbor.idle_hold:
            # damping: the hold lives in the FSM, which is kept for good; it
            # starts at once unless its IdleHoldTimer runs, then when it fires
            self._automatic_start()
            return
        self.fsm = self._new_fsm(self.neighbor.passive)
        self.reader = MessageReader()
        self.session = Session()
        self.run(self.fsm.handle(F.ManualStart(), self.loop.time()))
        early, self.early = self.early, None
        if early is not None:
            self.accept(early)

    def _new_fsm(self, passive: bool) -> F.Fsm:
        n = self.neighbor
        return F.Fsm(self.local_open(), n.peer_as, passive, n.hold_time,
                     delay_open_time=float(n.delay_open), idle_hold_time=float(n.idle_hold),
                     idle_hold_max_time=float(max(n.idle_hold_max, n.idle_hold)))

    def _automatic_start(self) -> None:
        """Damping: AutomaticStart to the kept FSM, once per drop."""
        self.reader = MessageReader()
        self.session = Session()
        # the kept FSM still holds the OPEN it was made with: the Restart
        # State bit of the first session after a worker restart must not
        # carry over to the next ones
        if self.fsm.state is F.State.Idle:
            self.fsm.use_open(self.local_open())
        early, self.early = self.early, None
        if early is not None:
            early.close()  # a connection held before the start: the hold refuses it
        self.run(self.fsm.handle(F.AutomaticStart(), self.loop.time()))

    def stop(self, subcode: int = Cease.ADMINISTRATIVE_SHUTDOWN, text: str = "") -> None:
        """Close with a Cease and do not come back (worker shutdown)."""
        self.stopping = True
        if self.early is not None:
            self.early.close()
            self.early = None
        for child in (self.children or {}).values():
            child.stop(subcode, text)
        if self.restart_handle:
            self.restart_handle.cancel()
        if self.connect_task:
            self.connect_task.cancel()
        if self.fsm is not None and self.fsm.state is not F.State.Idle:
            self.run(self.fsm.handle(F.ManualStop(subcode=subcode, communication=text), self.loop.time()))
        if self.inbound is not None:
            self._inbound_run(self.inbound.fsm.handle(
                F.ManualStop(subcode=subcode, communication=text), self.loop.time()))
            self._drop_inbound()
        self._drop_transport()
        if self.stale:
            self._stale_run(self.stale.clear())

    def teardown(self, subcode: int, text: str = "") -> None:
        """Close with a Cease (and an RFC 9003 Shutdown Communication, if
        ``text``) and come back after the usual back-off."""
        for child in (self.children or {}).values():
            child.teardown(subcode, text)
        if self.fsm is not None and self.fsm.state is not F.State.Idle:
            self.run(self.fsm.handle(F.ManualStop(subcode=subcode, communication=text),
                                     self.loop.time()))

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
            if n.source_interface:
                tcp.bind_to_device(sock, n.source_interface)
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
        if self.fsm is None and not self.stopping and self.children is None:
            # sessions wait for the supervisor's start (every script listens
            # by then): hold the connection until start() rather than drop it
            if self.early is not None:
                self.early.close()
            self.early = sock
            return
        if not self.neighbor.passive and not self.stopping and self.inbound is None and \
                self.protocol is not None and self.fsm is not None and \
                self.fsm.state in (F.State.OpenSent, F.State.OpenConfirm):
            self._accept_inbound(sock)
            return
        if not self.stopping and self.fsm is not None and \
                self.fsm.state is F.State.Established and self._peer_restarts():
            # RFC 4724 4.2: a peer that negotiated graceful restart and
            # connects again while we still hold its session has restarted
            # (its old TCP connection died without a word): end the old
            # session as a lost connection, so its routes are kept stale,
            # and take the new one (BIRD does the same)
            log.info("%s: %s connects while its session is up: it restarted (graceful "
                     "restart), the old session ends", self.name, self.neighbor.peer_address)
            self._drop_transport()
            self.run(self.fsm.handle(F.TcpConnectionFails(), self.loop.time()))
        if self.stopping or self.protocol is not None or self.fsm is None or \
                self.fsm.state not in (F.State.Active, F.State.Connect, F.State.Idle):
            log.info("%s: refusing a second connection from %s", self.name,
                     self.neighbor.peer_address)
            sock.close()
            return
        if self.fsm.state is F.State.Idle and self.neighbor.idle_hold:
            # RFC 4271 8.2.2 Idle: with DampPeerOscillations "the local system
            # refuses" connections until the IdleHoldTimer expires
            log.info("%s: refusing a connection from %s: idle hold (damping)", self.name,
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
        inbound = self.inbound
        if inbound is not None and protocol is inbound.protocol:
            self._inbound_run(inbound.fsm.handle(F.TcpConnectionConfirmed(), self.loop.time()))
            return
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
        if self.inbound is not None and protocol is self.inbound.protocol:
            self._inbound_data(data)
            return
        if protocol is not self.protocol or self.fsm is None:
            return
        now = self.loop.time()
        error = None
        api = getattr(self.worker, "api", None)
        if api is not None:  # open, keepalive, packets... events, when asked for
            api.wire(self, "receive", data)
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
            self.run(self.fsm.handle(self._event(message), now))
            if self.inbound is not None and isinstance(message, Open):
                self._collide(Direction.OUTBOUND, message, now)
        if error is not None and self.protocol is protocol:
            self.run(self.fsm.handle(F.event_for_error(error), now))

    def connection_lost(self, protocol: _Protocol, exc) -> None:
        if self.inbound is not None and protocol is self.inbound.protocol:
            self._inbound_run(self.inbound.fsm.handle(F.TcpConnectionFails(), self.loop.time()))
            return
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
        api = getattr(self.worker, "api", None)
        for action in actions:
            kind = type(action)
            if kind is F.Send:
                if self.protocol is not None:
                    self.protocol.transport.write(action.data)
                    if api is not None:
                        api.wire(self, "send", action.data)
            elif kind is F.Deliver:
                self.delivered(action.message)
            elif kind is F.Connect:
                if self.connect_task is None and self.protocol is None:
                    self.connect_task = self.loop.create_task(self._connect())
            elif kind is F.Close:
                self._drop_transport()
                # a session refused before it came up (a bad OPEN, either
                # way) says why; one that was up says it in session_down
                reason = self.fsm.reason if self.fsm is not None else ""
                if "NOTIFICATION" in reason and not any(
                        type(a) is F.SessionDown for a in actions):
                    log.info("%s: connection closed: %s", self.name, reason)
            elif kind is F.SessionEstablished:
                self.session_up(action.negotiated, action.remote_open)
            elif kind is F.SessionDown:
                self.session_down(action.reason, action.graceful)
        if api is not None:
            api.fsm_moved(self)
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

    def _event(self, message) -> F.Event:
        """The FSM event for a message; an OPEN whose BGP Role does not pair
        with ours is an OPEN error (RFC 9234 section 4.2: Role Mismatch)."""
        if type(message) is Open and self.neighbor.role is not None:
            error = role_mismatch(self.neighbor.role, message)
            if error is not None:
                log.warning("%s: %s", self.name, error)
                return F.BgpOpenMsgErr(error)
        return F.event_for_message(message)

    def _maybe_restart(self) -> None:
        if self.stopping or self.fsm is None or self.fsm.state is not F.State.Idle:
            return
        if self.neighbor.idle_hold and self.fsm.start_pending:
            return  # damping: the FSM starts itself when its hold is over
        if self.inbound is not None and self.protocol is None and self.connect_task is None:
            # our connection failed while the peer's goes on: it is the session now
            self._promote()
            return
        if self.restart_handle is not None or self.protocol is not None:
            return
        if self.connect_task is not None:
            return
        # damping: no back-off of our own, the FSM's IdleHoldTimer is it
        delay = 0.0 if self.neighbor.passive or self.neighbor.idle_hold else self.backoff
        self.backoff = min(self.backoff * 2, BACKOFF_MAX)
        self.restart_handle = self.loop.call_later(delay, self.start)

    # -- connection collisions (RFC 4271 section 6.8) --------------------
    #
    # An active neighbor whose own connection is in OpenSent or OpenConfirm
    # may get one from the peer too.  That one runs its own Fsm (``inbound``)
    # until an OPEN on either lets ``collision.resolve_collision`` pick the
    # survivor; the loser sends Cease 6/7 and closes.  If the inbound one wins
    # it becomes the session (``_promote``).

    def _peer_restarts(self) -> bool:
        """Both OPENs of the session carried the Graceful Restart capability."""
        remote = self.fsm.remote_open if self.fsm is not None else None
        return remote is not None and remote.capability(GracefulRestart) is not None and \
            self.local_open().capability(GracefulRestart) is not None

    def _accept_inbound(self, sock: socket.socket) -> None:
        now = self.loop.time()
        fsm = self._new_fsm(True)
        fsm.handle(F.ManualStart(), now)
        inbound = self.inbound = _Inbound(fsm)
        sock.setblocking(False)
        try:
            tcp.prepare(sock, self.neighbor)
        except (OSError, ValueError) as exc:
            log.warning("%s: socket options failed: %s", self.name, exc)

        def factory() -> _Protocol:
            inbound.protocol = _Protocol(self)
            return inbound.protocol

        log.info("%s: second connection, from the peer: collision detection", self.name)
        self.loop.create_task(self.loop.connect_accepted_socket(factory, sock))

    def _inbound_data(self, data: bytes) -> None:
        inbound = self.inbound
        now = self.loop.time()
        try:
            messages = inbound.reader.feed(data, inbound.session)
        except BgpError as exc:
            self._inbound_run(inbound.fsm.handle(F.event_for_error(exc), now))
            return
        for i, message in enumerate(messages):
            if self.inbound is not inbound:
                # promoted: the rest is the session's
                for rest in messages[i:]:
                    if self.fsm is inbound.fsm and self.protocol is not None:
                        self.run(self.fsm.handle(F.event_for_message(rest), now))
                return
            self._inbound_run(inbound.fsm.handle(self._event(message), now))
            if self.inbound is inbound and isinstance(message, Open):
                self._collide(Direction.INBOUND, message, now)

    def _inbound_run(self, actions) -> None:
        inbound = self.inbound
        if inbound is None:
            return
        for action in actions:
            kind = type(action)
            if kind is F.Send and inbound.protocol is not None and \
                    inbound.protocol.transport is not None:
                inbound.protocol.transport.write(action.data)
            elif kind is F.Close:
                self._drop_inbound()
                return
            elif kind is F.SessionEstablished:
                # only when our own connection is already gone
                self._promote()
                self.session_up(action.negotiated, action.remote_open)
                return
        if inbound.timer is not None:
            inbound.timer.cancel()
            inbound.timer = None
        deadline = inbound.fsm.next_deadline()
        if deadline is not None:
            inbound.timer = self.loop.call_at(deadline, self._inbound_timer, inbound)
        if inbound.fsm.state is F.State.Idle:
            self._drop_inbound()

    def _inbound_timer(self, inbound: _Inbound) -> None:
        inbound.timer = None
        if inbound is self.inbound:
            self._inbound_run(inbound.fsm.expire(self.loop.time()))

    def _drop_inbound(self) -> None:
        inbound, self.inbound = self.inbound, None
        if inbound is None:
            return
        if inbound.timer is not None:
            inbound.timer.cancel()
        if inbound.protocol is not None and inbound.protocol.transport is not None:
            inbound.protocol.transport.close()

    def _collide(self, received_on: Direction, message: Open, now: float) -> None:
        if self.inbound is None or self.fsm is None:
            return
        n = self.neighbor
        collision = resolve_collision(n.router_id, message.router_id, self.inbound.fsm, self.fsm,
                                      received_on, now, local_as=n.local_as,
                                      remote_as=message.peer_asn)
        if collision is None:
            return
        log.info("%s: %s", self.name, collision.reason)
        if collision.dump is Direction.INBOUND:
            self._inbound_run(collision.actions)
            self._drop_inbound()
            return
        # our connection loses: its 6/7 goes out, the peer's takes its place
        old, self.protocol = self.protocol, None
        if old is not None and old.transport is not None:
            for action in collision.actions:
                if type(action) is F.Send:
                    old.transport.write(action.data)
            old.transport.close()
        if self.connect_task is not None:
            self.connect_task.cancel()
            self.connect_task = None
        self._promote()

    def _promote(self) -> None:
        inbound, self.inbound = self.inbound, None
        if inbound.timer is not None:
            inbound.timer.cancel()
        self.fsm = inbound.fsm
        self.protocol = inbound.protocol
        self.reader = inbound.reader
        self.session = inbound.session
        self.paused = False
        if self.protocol is not None and self.protocol.transport is not None:
            transport = self.protocol.transport
            transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
            self.local_ip = transport.get_extra_info("sockname")[0]
        self._arm_timer()

    # -- session ---------------------------------------------------------

    def session_up(self, negotiated, remote_open: Open | None = None) -> None:
        self.negotiated = negotiated
        self.session = negotiated.session
        role = self.neighbor.role
        if role is not None:
            # RFC 9234 section 5 egress, by the peer's role (PAIRED_ROLE)
            theirs = PAIRED_ROLE[role]
            self.session = dataclasses.replace(
                self.session,
                otc_add=self.neighbor.local_as if theirs in ("customer", "peer", "rs-client")
                else 0,
                otc_refuse=theirs in ("provider", "peer", "rs"))
        self.attr_cache = {}
        self.backoff = BACKOFF_MIN
        # the Restart State bit is for the first session after the restart
        self.restarting = False
        self.received = set()
        self.unsent = set()
        self.over_limit = False
        if remote_open is not None:
            # "peer-as auto": the OPEN decides, and eBGP or iBGP with it
            self.peer_as = remote_open.peer_asn
            self.ident["peer_as"] = self.peer_as
        log.info("%s: session established (hold time %ds)", self.name, negotiated.hold_time)
        self.worker.publish_state(self, "up")
        if remote_open is not None:
            local = self.fsm.open_message() if self.fsm is not None else self.local_open()
            self.retained = retention(local, remote_open, negotiated.families)
            if self.stale:
                self._stale_run(self.stale.established(preserved(remote_open), self.loop.time()))
        # the whole table, in slices as the socket takes them, then End-of-RIB.
        # RFC 4724 section 4.1: after a restart the End-of-RIB tells the peer
        # that the routes it still holds as stale and we did not resend are
        # gone; it must follow the replayed table, never precede it.  With
        # manual-eor the producers say when (``announce eor``).
        self.rib.resend_all()
        self.eor_due = [] if self.neighbor.manual_eor else [
            f for f in self.neighbor.families if f in negotiated.families]
        self.eorr_due = []
        self.flush()

    def session_down(self, reason: str, graceful: bool = False) -> None:
        log.info("%s: session down: %s", self.name, reason)
        self.negotiated = None
        self.received = set()
        held: dict[Family, list] = {}
        for family, nlri in self.adj_rib_in:
            held.setdefault(family, []).append(nlri)
        self.worker.publish_state(self, "down", reason)
        retained, self.retained = self.retained, {}
        self._stale_run(self.stale.dropped(held, retained, graceful, self.loop.time()))
        # only the stale routes stay, until refreshed or withdrawn
        self.adj_rib_in = {key: value for key, value in self.adj_rib_in.items()
                           if self.stale.is_stale(*key)}

    # -- graceful restart, receiving speaker (bgpmesh.graceful) ----------
    #
    # A script sees: the usual "down", then a "stale" event per family kept
    # (phase restart or long-lived, until when); when the session is back,
    # fresh routes as usual; at the peer's End-of-RIB (or when time runs
    # out) ordinary withdrawals of what is still stale, then "stale" with
    # phase "over".  The long-lived phase re-sends the routes it keeps with
    # LLGR_STALE added, as the route changed.

    def _stale_run(self, actions) -> None:
        for action in actions:
            kind = type(action)
            if kind is StaleMarked:
                self._publish_stale(action.family, action.phase, action.deadline,
                                    "waiting for End-of-RIB" if action.waiting_for_eor
                                    else "waiting for the peer")
            elif kind is LongLivedStarted:
                self._long_lived(action.family, action.keys)
            elif kind is StaleWithdrawn:
                self._withdraw_stale(action.family, action.keys, action.reason)
        if self.stale_timer is not None:
            self.stale_timer.cancel()
            self.stale_timer = None
        deadline = self.stale.next_deadline()
        if deadline is not None and not self.stopping:
            self.stale_timer = self.loop.call_at(deadline, self._stale_expired)

    def _stale_expired(self) -> None:
        self.stale_timer = None
        self._stale_run(self.stale.expire(self.loop.time()))

    def _publish_stale(self, family: Family, phase: str, deadline: float | None,
                       reason: str = "", routes: int | None = None) -> None:
        body = {"state": "stale", "family": str(family), "phase": phase,
                "routes": len(self.stale.keys(family)) if routes is None else routes}
        if deadline is not None:
            # epoch seconds, as the "time" of every event
            body["until"] = round(time.time() + deadline - self.loop.time(), 3)
        if reason:
            body["reason"] = reason
        log.info("%s: %s", self.name, body)
        self.worker.publish_event(self, "state", body)

    def _withdraw_stale(self, family: Family, keys, reason: str) -> None:
        for nlri in keys:
            self.adj_rib_in.pop((family, nlri), None)
        keys = list(keys)
        for i in range(0, len(keys), STALE_WITHDRAW_SLICE):
            self.worker.publish_event(self, "update", update_message(
                _withdrawal(family, tuple(keys[i:i + STALE_WITHDRAW_SLICE]))))
        self._publish_stale(family, "over", None, reason, len(keys))

    def _long_lived(self, family: Family, keys) -> None:
        """RFC 9494 section 4.3: when the long-lived phase begins, routes
        that carry NO_LLGR are removed, the others stay with LLGR_STALE
        attached, which the script gets as the route announced again."""
        gone = []
        by_update: dict[int, tuple[Update, list]] = {}
        for nlri in keys:
            held = self.adj_rib_in.get((family, nlri))
            if held is None:
                continue  # "clear adj-rib in" forgot it: nothing to tell
            update = held[1]
            communities = update.attribute(Communities)
            if communities is not None and NO_LLGR in communities.values:
                gone.append(nlri)
                self.stale.refreshed(family, nlri)
                continue
            by_update.setdefault(id(update), (update, []))[1].append(nlri)
        for update, nlris in by_update.values():
            tagged = _with_llgr_stale(update, family, tuple(nlris))
            for nlri in nlris:
                self.adj_rib_in[(family, nlri)] = (self.adj_rib_in[(family, nlri)][0], tagged)
            self.worker.publish_event(self, "update", update_message(tagged))
        if gone:
            for nlri in gone:
                self.adj_rib_in.pop((family, nlri), None)
            self.worker.publish_event(self, "update", update_message(
                _withdrawal(family, tuple(gone))))

    def delivered(self, message) -> None:
        if isinstance(message, Update):
            if self.neighbor.role is not None:
                message = otc_ingress(message, self.neighbor.role, self.peer_as)
            if self.max_prefixes and not self.count_prefixes(message):
                return
            if self.neighbor.adj_rib_in:
                self.keep_received(message)
            if self.stale:
                eor = message.eor_family
                if eor is not None:
                    # the withdrawals of what stayed stale, then the End-of-RIB
                    self._stale_run(self.stale.end_of_rib(eor, self.loop.time()))
                else:
                    for family, nlri in message.withdrawals():
                        self.stale.refreshed(family, nlri)
                    for family, nlri, _hops in message.announced():
                        self.stale.refreshed(family, nlri)
            self.worker.publish_event(self, "update", update_message(message))
        elif isinstance(message, RouteRefresh):
            if message.subtype != ROUTE_REFRESH_NORMAL:
                return  # the peer's BoRR/EoRR: we keep no Adj-RIB-In to mark stale
            if self.established:
                if self.negotiated.enhanced_route_refresh:
                    # RFC 7313 section 4: "the BGP speaker MUST send a BoRR
                    # message before it starts the route re-advertisement ...
                    # [and] an EoRR message after it completes"
                    self.protocol.transport.write(
                        RouteRefresh(message.family, ROUTE_REFRESH_BEGIN).encode(self.session))
                    if message.family not in self.eorr_due:
                        self.eorr_due.append(message.family)
                elif message.family not in self.eor_due:
                    self.eor_due.append(message.family)
                self.rib.resend_all()
                self.flush()
        elif isinstance(message, OperationalMessage):
            # only a negotiated one gets here (the FSM refuses the others)
            api = getattr(self.worker, "api", None)
            if message.code in OPERATIONAL_NAMES and api is not None and \
                    "operational" in api.kinds(self):
                self.worker.publish_event(self, "operational", operational_message(message))

    def keep_received(self, message: Update) -> None:
        """The Adj-RIB-In ExaBGP keeps by default (``adj-rib-in``), for ``show
        adj-rib in``: each route with its next hops and the UPDATE it came in
        (shared by all its routes, rendered only when asked)."""
        rib_in = self.adj_rib_in
        for family, nlri in message.withdrawals():
            rib_in.pop((family, nlri), None)
        last = value = None
        for family, nlri, hops in message.announced():
            if hops is not last:  # one value per next-hop set, shared by its routes
                last, value = hops, (hops, message)
            rib_in[(family, nlri)] = value

    def count_prefixes(self, message: Update) -> bool:
        """Track what the peer announces against ``max_prefixes``; False when
        the session was torn down for it."""
        received = self.received
        for family, nlri in message.withdrawals():
            received.discard((family, nlri))
        for family, nlri, _hops in message.announced():
            received.add((family, nlri))
        if len(received) <= self.max_prefixes:
            self.over_limit = False
            return True
        if not self.max_prefixes_teardown:
            if not self.over_limit:
                log.warning("%s: the peer announces %d prefixes, over the limit of %d",
                            self.name, len(received), self.max_prefixes)
            self.over_limit = True
            return True
        log.warning("%s: the peer announces %d prefixes, over the limit of %d: closing with "
                    "Cease/Maximum Number of Prefixes Reached", self.name, len(received),
                    self.max_prefixes)
        self.run(self.fsm.handle(F.ManualStop(subcode=Cease.MAXIMUM_PREFIXES),
                                 self.loop.time()))
        return False

    # -- Adj-RIB-Out -----------------------------------------------------

    def add_route(self, route: Route, key: bytes) -> None:
        self.rib.announce(route.family, key, route.next_hop or "self", route.attributes)

    def remove_route(self, family: Family, key: bytes) -> None:
        self.rib.withdraw(family, key)

    def flush(self) -> None:
        """Send what the Adj-RIB-Out has pending, a slice per loop turn, while
        the socket takes it; End-of-RIB once the table is out."""
        self.flush_handle = None
        if self.children is not None:
            self._flush_range()
            return
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
        if self.eorr_due and not self.paused:
            due, self.eorr_due = self.eorr_due, []
            self.protocol.transport.write(b"".join(
                RouteRefresh(f, ROUTE_REFRESH_END).encode(self.session) for f in due))

    def _flush_range(self) -> None:
        """A range passes its changes on to each of its peers' Adj-RIB-Out."""
        if not self.rib.pending:
            return
        announce, withdraw = self.rib.take_pending()
        for child in self.children.values():
            rib = child.rib
            for (family, next_hop, attributes), keys in announce.items():
                for key in keys:
                    rib.announce(family, key, next_hop, attributes)
            for family, keys in withdraw.items():
                for key in keys:
                    rib.withdraw(family, key)
            child.flush()

    def writing_paused(self, protocol: _Protocol, paused: bool) -> None:
        if protocol is not self.protocol:
            return
        self.paused = paused
        if not paused and self.flush_handle is None:
            self.flush()

    def send_eor(self, family: Family) -> None:
        for child in (self.children or {}).values():
            child.send_eor(family)
        # an End-of-RIB is an UPDATE of its family: negotiated ones only
        if self.established and self.protocol is not None and \
                family in self.negotiated.families:
            self.protocol.transport.write(end_of_rib(family))

    def send_route_refresh(self, family: Family) -> None:
        for child in (self.children or {}).values():
            child.send_route_refresh(family)
        # only for a family the peer advertised (RFC 2918 section 4: it
        # ignores a ROUTE-REFRESH for any other)
        if self.established and self.protocol is not None and \
                family in self.negotiated.families:
            self.protocol.transport.write(RouteRefresh(family).encode(self.session))

    def send_operational(self, message: OperationalMessage) -> str:
        """Send one OPERATIONAL message; why not, or ""."""
        if self.children:
            reasons = [child.send_operational(message) for child in self.children.values()]
            return next((r for r in reasons if r), "")
        if not self.established or self.protocol is None:
            return f"{self.name}: session is not established"
        if not self.negotiated.operational:
            return f"{self.name}: the operational capability was not negotiated"
        if message.code in OPERATIONAL_QUERIES or message.code in OPERATIONAL_COUNTERS:
            # ExaBGP: our router-id and the next sequence number unless given
            if message.router_id == "0.0.0.0":
                message = dataclasses.replace(message, router_id=self.neighbor.router_id)
            if not message.sequence:
                self.operational_sequence = (self.operational_sequence + 1) % 0xFFFFFFFF
                message = dataclasses.replace(message, sequence=self.operational_sequence)
        data = message.encode(self.session)
        self.protocol.transport.write(data)
        api = getattr(self.worker, "api", None)
        if api is not None:
            api.wire(self, "send", data)
        return ""

    def _write_updates(self, announce: dict, withdraw: dict) -> None:
        if self.protocol is None:
            return
        # the encoding is shared with update groups (update_groups.py)
        send_updates(self, encode_updates(self, announce, withdraw))


STALE_WITHDRAW_SLICE = 1000  # NLRI per withdraw event when stale routes go


def _withdrawal(family: Family, nlris: tuple) -> Update:
    """The UPDATE that withdraws ``nlris`` of ``family``, as a peer sends it."""
    if family == IPV4_UNICAST and nlris:
        # the UPDATE's own field holds one kind: text, or ADD-PATH's PathPrefix
        kind = type(nlris[0])
        if (kind is str or kind is PathPrefix) and all(type(nlri) is kind for nlri in nlris):
            return Update(withdrawn=nlris)
    return Update(attributes=(MpUnreachNlri(family, nlris),))


def _with_llgr_stale(update: Update, family: Family, nlris: tuple) -> Update:
    """The UPDATE announcing ``nlris`` of ``family`` as ``update`` did, with
    the LLGR_STALE community added (RFC 9494 section 4.3)."""
    kept = []
    values: tuple[int, ...] = ()
    reach = None
    for attribute in update.attributes:
        kind = type(attribute)
        if kind is Communities:
            values = attribute.values
        elif kind is MpReachNlri:
            if attribute.family == family:
                reach = attribute
        elif kind is not MpUnreachNlri:
            kept.append(attribute)
    if LLGR_STALE not in values:
        values = (*values, LLGR_STALE)
    kept.append(Communities(values))
    if family == IPV4_UNICAST and reach is None:
        return Update(attributes=tuple(kept), nlri=nlris)
    hops = reach.next_hop if reach is not None else ()
    return Update(attributes=(*kept, MpReachNlri(family, hops, nlris)))


def route_key(route: Route) -> bytes:
    """The Adj-RIB-Out key of a route of any family (``packer.NlriKey``);
    a plain prefix is its wire NLRI.  ValueError if it cannot be encoded."""
    if type(route) is Route and route.rd is None and not route.labels and \
            route.path_id is None and route.family.safi in _PREFIX_SAFIS:
        return nlri_key(route.family, route.prefix)
    return route_nlri_key(route)


_PREFIX_SAFIS = frozenset((1, 2))


def announce_route(rib, route) -> None:
    """Put any route in an Adj-RIB-Out: Route, FlowRoute (its actions become
    extended communities) or Vpls.  For the ``static``, ``flow`` and ``l2vpn``
    routes of the configuration as for the API's.  ValueError if it cannot be
    encoded."""
    announce_entry(rib, *rib_entry(route))


def announce_entry(rib, family: Family, key: bytes, next_hop: str, attributes) -> None:
    """``announce_route`` with ``packer.rib_entry`` done once for many peers."""
    if type(key) is NlriKey and key.announce != key.withdraw:
        # labelled: an equal key may hold other labels, and a dict keeps the
        # key it has; replace it (the peer takes the new NLRI as a
        # replacement, RFC 4271 section 3.1)
        rib.routes.pop((family, key), None)
        rib.pending.pop((family, key), None)
    rib.announce(family, key, next_hop, attributes)


def withdraw_route(rib, route) -> None:
    family, key, _, _ = rib_entry(route)
    rib.withdraw(family, key)


_ADD_PATH_MODES = {"receive": ADD_PATH_RECEIVE, "send": ADD_PATH_SEND,
                   "send/receive": ADD_PATH_RECEIVE | ADD_PATH_SEND}


def local_open(neighbor, *, restarting: bool = False, hostname: str | None = None) -> Open:
    """The OPEN the neighbor's configuration asks for (ExaBGP's capability set).

    ``restarting``: this worker was killed and restarted, so the Graceful
    Restart capability carries the Restart State bit (RFC 4724 section 3).
    """
    n = neighbor
    cap = n.capability
    caps: list = [Multiprotocol(f) for f in n.families]
    # route refresh is always answered, so always offered; enhanced route
    # refresh (RFC 7313) when configured, as ExaBGP does with route-refresh
    caps.append(RouteRefreshCapability())
    if cap.route_refresh:
        caps.append(EnhancedRouteRefresh())
    if cap.asn4:
        caps.append(FourOctetAs(n.local_as))
    long_lived = long_lived_times(n)
    if cap.graceful_restart is not None or long_lived:
        # RFC 4724 section 3: "the Forwarding State bit ... indicates whether
        # the peer has been able to preserve the forwarding state"; the
        # supervisor's shadow table is that state: a restarted worker gets it
        # all back before its sessions start.  RFC 9494 section 4.1: the
        # Long-Lived capability goes with this one, whose Restart Time may be
        # zero (long-lived-graceful-restart alone).
        flags = GracefulRestart.RESTART_STATE if restarting else 0
        caps.append(GracefulRestart(flags, cap.graceful_restart or 0, tuple(
            (f, GracefulRestart.FORWARDING_STATE) for f in n.families)))
    if long_lived:
        caps.append(LongLivedGracefulRestart(tuple(
            (f, GracefulRestart.FORWARDING_STATE, seconds) for f, seconds in long_lived)))
    mode = _ADD_PATH_MODES.get(cap.add_path or "", 0)
    if mode:
        # send too: the packer writes a Path Identifier (0 unless the route
        # gives one) for every family negotiated to send (RFC 7911 section 3)
        families = n.add_path_families or n.families
        caps.append(AddPath(tuple((f, mode) for f in families)))
    if cap.nexthop and n.nexthops:
        # RFC 8950 section 3: (NLRI family, next-hop AFI) pairs we accept
        caps.append(ExtendedNextHop(n.nexthops))
    if cap.extended_message:
        caps.append(ExtendedMessage())
    if n.host_name is not None or n.domain_name is not None or hostname is not None:
        caps.append(Fqdn(n.host_name if n.host_name is not None else (hostname or ""),
                         n.domain_name or ""))
    if cap.software_version:
        caps.append(SoftwareVersion(f"bgpmesh/{__version__}"))
    if cap.operational:
        caps.append(Operational())
    if n.role is not None:
        caps.append(BgpRole(ROLES[n.role]))  # RFC 9234 section 4.1
    return Open(asn=n.local_as, hold_time=n.hold_time, router_id=n.router_id,
                capabilities=tuple(caps))


def long_lived_times(neighbor) -> list[tuple[Family, int]]:
    """(family, long-lived stale time) for each family of the neighbor that
    ``long-lived-graceful-restart`` names, or all of them when it names none."""
    entries = dict(neighbor.capability.long_lived_graceful_restart)
    out = []
    for family in neighbor.families:
        seconds = entries.get(family, entries.get(None))
        if seconds is not None:
            out.append((family, seconds))
    return out


def role_mismatch(role: str, message: Open) -> RoleMismatch | None:
    """RFC 9234 section 4.2: the Role Mismatch error for the peer's OPEN, or
    None.  A peer that sends no BGP Role is accepted (no strict mode); one
    that sends two different ones, or one that does not pair with ours
    (table 2), is not."""
    theirs = {c.role for c in message.capabilities if type(c) is BgpRole}
    if not theirs:
        return None
    if len(theirs) > 1:
        return RoleMismatch(f"the peer sent BGP Roles {sorted(theirs)}")
    (code,) = theirs
    if code != ROLES[PAIRED_ROLE[role]]:
        return RoleMismatch(f"the peer's BGP Role is {BgpRole(code).name}, ours is {role}: "
                            f"expected {PAIRED_ROLE[role]}")
    return None


def otc_ingress(update: Update, role: str, peer_as: int) -> Update:
    """RFC 9234 section 5's ingress rules on an UPDATE from a peer whose role
    pairs with our ``role``: a route leak (OTC from a customer or rs-client,
    or from a peer with another AS) is ineligible, so its announcements
    become withdrawals; a route from a provider, peer or rs without OTC gets
    OTC = the peer's AS."""
    if update.eor_family is not None or not update.announced():
        return update
    theirs = PAIRED_ROLE[role]
    otc = update.attribute(OnlyToCustomer)
    if otc is not None:
        if theirs in ("customer", "rs-client") or (theirs == "peer" and otc.asn != peer_as):
            attributes = []
            withdrawn = list(update.withdrawn) + list(update.nlri)
            for attribute in update.attributes:
                if type(attribute) is MpReachNlri:
                    attribute = MpUnreachNlri(attribute.family, attribute.nlri)
                attributes.append(attribute)
            return dataclasses.replace(update, withdrawn=tuple(withdrawn), nlri=(),
                                       attributes=tuple(attributes), treat_as_withdraw=True)
        return update
    if theirs in ("provider", "peer", "rs") and peer_as is not None:
        return dataclasses.replace(update, attributes=(*update.attributes,
                                                       OnlyToCustomer(peer_as)))
    return update
