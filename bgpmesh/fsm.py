"""The BGP finite state machine of RFC 4271 section 8, without I/O.

Theory of operation
-------------------
One ``Fsm`` runs one BGP connection to one peer.  The worker's driver owns the
socket and the event loop; it turns what happens into events, calls
``fsm.handle(event, now)``, and executes the actions that come back, in order:

    driver                               Fsm
    ------                               ---
    decoded message / TCP news  ------>  handle(event, now)
    Connect, Send, Close, ...   <------  list[Action]
    loop.call_at(next_deadline())
    timer callback              ------>  expire(now)

The FSM never reads a clock: ``now`` is passed in, timers are deadlines on that
same clock, ``next_deadline()`` says when to call ``expire(now)`` next, and
``expire`` fires every timer that is due as its ``*Expires`` event.

States and events carry the names of RFC 4271 section 8 (8.1 for events, 8.2.2
for the transitions).  Of the optional session attributes of 8.1.1, three are
modelled, each off unless its keyword argument turns it on: DelayOpen
(``delay_open_time``), DampPeerOscillations (``idle_hold_time``) and the
OpenCollisionDump event of collision detection (the decision itself, which
needs two FSMs, is ``bgpmesh.collision``).  AutomaticStop,
SendNOTIFICATIONwithoutOPEN and the TrackTcpState attributes are not.

DelayOpen (8.1.1, 8.2.2 Connect and Active)
    When the TCP connection comes up the FSM arms the DelayOpenTimer instead of
    sending its OPEN and stays in Connect or Active.  When the timer fires it
    sends the OPEN and goes to OpenSent; if the peer's OPEN arrives first
    (Event 20, ``BgpOpen`` while the timer runs) it sends its OPEN and a
    KEEPALIVE at once and goes straight to OpenConfirm.  A bad OPEN in that
    window closes the connection without a NOTIFICATION, since none may
    precede our OPEN (SendNOTIFICATIONwithoutOPEN is FALSE).

Peer oscillation damping (8.1.1 DampPeerOscillations, IdleHoldTimer)
    Every drop to Idle other than ``ManualStop`` and ``OpenCollisionDump`` arms
    the IdleHoldTimer.  While it runs, ``AutomaticStart`` only records that a
    start is wanted; when the timer fires (Event 13, ``IdleHoldTimerExpires``)
    the FSM starts.  The hold doubles at each drop up to
    ``idle_hold_max_time``, and falls back to ``idle_hold_time`` when the
    session that dropped had been Established for ``idle_hold_stable_time``.
    ``ManualStart`` is the operator's and starts at once.  The timer is one of
    ``timers``, so ``next_deadline()`` and ``expire(now)`` run it like the
    others; ``idle_hold_deadline`` shows it.  A driver that damps keeps one
    ``Fsm`` per peer for good (the hold lives in it), feeds
    ``AutomaticStart`` once after each drop instead of running its own
    back-off, and refuses inbound connections while the FSM is in Idle.

Rules of this file
------------------
- Transitions are one table, ``_TRANSITIONS[(state, event type)]``.  A pair
  the table lacks is handled by the state's default:
  * Idle: the event is ignored (RFC 4271 8.2.2: "Any other event ... received
    in the Idle state does not cause change in the state").
  * Connect, Active: the connection, if any, is dropped and the FSM goes to
    Idle, as 8.2.2 says for "any other event" in those states.  No
    NOTIFICATION: no OPEN has been sent yet.
  * OpenSent, OpenConfirm, Established: it is a Finite State Machine Error.
    For a message (OPEN, KEEPALIVE, UPDATE, ROUTE-REFRESH) the subcode is the
    RFC 6608 one for the state (5/1, 5/2, 5/3); for anything else, which the
    FSM's own timer handling makes impossible, it is 5/0 Unspecified.
- Errors are answered, not raised.  Handlers raise ``BgpError``; ``handle`` is
  the one site that turns it into Send(NOTIFICATION), Close, SessionDown if the
  session was up, and Idle.  Detecting the error and saying so to the peer is
  the FSM's job; the driver only executes actions.  Exceptions other than
  ``BgpError`` are bugs and propagate: the driver logs them and feeds
  ``ManualStop(Cease.OUT_OF_RESOURCES)`` or drops the connection.
- Once in Idle the FSM stays there.  RFC 4271 restarts a session through the
  Idle state's start events; deciding *when* (reconnect backoff) is the
  driver's job: it feeds ``ManualStart`` or ``AutomaticStart`` again.  With
  damping on, the FSM holds back an ``AutomaticStart`` itself (above).
  The driver learns of the drop from ``fsm.state`` (and from ``SessionDown``
  when the session had been up).
- ``passive`` replaces the RFC's PassiveTcpEstablishment attribute: a passive
  FSM goes from Idle to Active and waits for ``TcpConnectionConfirmed``; it
  never asks for an outbound connection, so it does not run the
  ConnectRetryTimer.  An active FSM goes to Connect, returns ``Connect()`` and
  retries every ``connect_retry_time`` seconds; it also accepts an inbound
  connection while in Connect or Active.
- Connection collisions (RFC 4271 6.8) involve two connections, so two FSMs:
  the driver asks ``bgpmesh.collision.resolve_collision`` which to keep, and
  it feeds ``OpenCollisionDump`` to the other, which sends Cease 6/7 and
  closes.  This FSM ignores TCP connection events once a connection is in use.
- ``Close`` may be returned for a connection that is already gone (after
  ``TcpConnectionFails``) or not yet made (a pending outbound connect): the
  driver treats it as "make sure there is no connection".
- ``SessionDown.graceful`` says whether the session ended as a restarting
  peer ends it (the TCP connection lost, or the hold timer: the peer went
  silent) rather than by a NOTIFICATION received or sent for a reason, or
  an operator's stop; graceful restart's receiving speaker keeps the peer's
  routes only then (``bgpmesh.graceful``).  RFC 8538's N bit is not
  offered, so no NOTIFICATION keeps them.
- Every state change is recorded with its reason in ``history`` (the idea of
  gobgp's ``fsmStateReason``), the last ``HISTORY_SIZE`` of them; ``reason``
  is the latest one.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from bgpmesh.codec import (
    Keepalive,
    Multiprotocol,
    Notification,
    Open,
    OperationalMessage,
    RouteRefresh,
    Session,
    Update,
    negotiate,
)
from bgpmesh.errors import (
    BadBgpIdentifier,
    BadMessageType,
    BgpError,
    Cease,
    FsmError,
    HoldTimerExpired,
    OpenMessageError,
    UnacceptableHoldTime,
    UnexpectedMessageInEstablished,
    UnexpectedMessageInOpenConfirm,
    UnexpectedMessageInOpenSent,
    UnsupportedCapability,
    UpdateMessageError,
)

if TYPE_CHECKING:
    from bgpmesh.codec import Negotiated

# RFC 4271 8.2.2, Connect state on Tcp_CR_Acked: "sets the HoldTimer to a large
# value ... A HoldTimer value of 4 minutes is suggested."  It bounds the wait
# for the peer's OPEN, whatever hold time is configured.
OPEN_SENT_HOLD_TIME = 240.0

# RFC 9003 section 2: the Shutdown Communication is a length octet followed by
# at most 255 octets of UTF-8.
MAX_SHUTDOWN_COMMUNICATION = 255

# DampPeerOscillations defaults: the IdleHoldTimer doubles up to this cap...
IDLE_HOLD_MAX_TIME = 300.0
# ...and resets once a session has stayed Established this long before dropping.
IDLE_HOLD_STABLE_TIME = 300.0

# ``Fsm.history`` keeps this many transitions, the latest last: enough to see
# why a peer flaps, bounded so that a peer flapping for months costs nothing.
HISTORY_SIZE = 64


class State(enum.Enum):
    """RFC 4271 section 8.2.2 states."""

    Idle = "Idle"
    Connect = "Connect"
    Active = "Active"
    OpenSent = "OpenSent"
    OpenConfirm = "OpenConfirm"
    Established = "Established"


# -- events (RFC 4271 section 8.1) -----------------------------------------


@dataclasses.dataclass(frozen=True)
class ManualStart:
    """Event 1 (Event 4 for a passive FSM): start the session."""


@dataclasses.dataclass(frozen=True)
class ManualStop:
    """Event 2: stop the session, with a Cease NOTIFICATION once OPEN is sent.

    ``communication`` is the RFC 9003 Shutdown Communication, sent with the
    Administrative Shutdown and Administrative Reset subcodes.
    """

    subcode: int = Cease.ADMINISTRATIVE_SHUTDOWN
    communication: str = ""


@dataclasses.dataclass(frozen=True)
class AutomaticStart:
    """Event 3 (Event 5 for a passive FSM): start without an operator."""


@dataclasses.dataclass(frozen=True)
class ConnectRetryTimerExpires:
    """Event 9."""


@dataclasses.dataclass(frozen=True)
class HoldTimerExpires:
    """Event 10."""


@dataclasses.dataclass(frozen=True)
class KeepaliveTimerExpires:
    """Event 11."""


@dataclasses.dataclass(frozen=True)
class DelayOpenTimerExpires:
    """Event 12: time to send the OPEN that DelayOpen held back."""


@dataclasses.dataclass(frozen=True)
class IdleHoldTimerExpires:
    """Event 13: the damping hold is over; a wanted AutomaticStart proceeds."""


@dataclasses.dataclass(frozen=True)
class TcpCrAcked:
    """Event 16: our outbound TCP connection succeeded."""


@dataclasses.dataclass(frozen=True)
class TcpConnectionConfirmed:
    """Event 17: we accepted the peer's inbound TCP connection."""


@dataclasses.dataclass(frozen=True)
class TcpConnectionFails:
    """Event 18: the TCP connection failed, was closed or reset."""


@dataclasses.dataclass(frozen=True)
class BgpOpen:
    """Event 19: an OPEN arrived; the FSM validates it."""

    message: Open


@dataclasses.dataclass(frozen=True)
class BgpHeaderErr:
    """Event 21: a message failed header checks.

    Also the event for any other ``BgpError`` found while decoding that is not
    an OPEN or UPDATE error (a ROUTE-REFRESH of the wrong length, 7/1): the FSM
    answers each with the NOTIFICATION the error names.
    """

    error: BgpError


@dataclasses.dataclass(frozen=True)
class BgpOpenMsgErr:
    """Event 22: an OPEN failed to decode."""

    error: BgpError


@dataclasses.dataclass(frozen=True)
class OpenCollisionDump:
    """Event 23: collision resolution (RFC 4271 6.8) dumps this connection."""

    reason: str = "connection collision"


@dataclasses.dataclass(frozen=True)
class NotifMsg:
    """Event 25: a NOTIFICATION arrived."""

    message: Notification


@dataclasses.dataclass(frozen=True)
class KeepAliveMsg:
    """Event 26."""


@dataclasses.dataclass(frozen=True)
class UpdateMsg:
    """Event 27."""

    message: Update


@dataclasses.dataclass(frozen=True)
class UpdateMsgErr:
    """Event 28: an UPDATE whose error calls for a session reset.

    RFC 7606's weaker actions (treat-as-withdraw, attribute discard) keep the
    session up; the codec applies them and the driver feeds ``UpdateMsg``.
    """

    error: BgpError


@dataclasses.dataclass(frozen=True)
class RouteRefreshMsg:
    """A ROUTE-REFRESH arrived (RFC 2918; RFC 4271 names no event for it)."""

    message: RouteRefresh


@dataclasses.dataclass(frozen=True)
class OperationalMsg:
    """An OPERATIONAL message arrived (ExaBGP's draft-ietf-idr-operational-message)."""

    message: OperationalMessage


Event = (
    ManualStart
    | ManualStop
    | AutomaticStart
    | ConnectRetryTimerExpires
    | HoldTimerExpires
    | KeepaliveTimerExpires
    | DelayOpenTimerExpires
    | IdleHoldTimerExpires
    | TcpCrAcked
    | TcpConnectionConfirmed
    | TcpConnectionFails
    | BgpOpen
    | BgpHeaderErr
    | BgpOpenMsgErr
    | OpenCollisionDump
    | NotifMsg
    | KeepAliveMsg
    | UpdateMsg
    | UpdateMsgErr
    | RouteRefreshMsg
    | OperationalMsg
)

# Events that stand for a message the peer sent: only these get the RFC 6608
# "Receive Unexpected Message in <state>" subcodes.
_MESSAGE_EVENTS = frozenset(
    {BgpOpen, BgpOpenMsgErr, KeepAliveMsg, UpdateMsg, UpdateMsgErr, RouteRefreshMsg, NotifMsg,
     OperationalMsg}
)


def event_for_message(message: Any) -> Event:
    """The event for a message the codec decoded (for the driver and tests)."""
    if isinstance(message, Update):
        return UpdateMsg(message)
    if isinstance(message, Keepalive):
        return KeepAliveMsg()
    if isinstance(message, Open):
        return BgpOpen(message)
    if isinstance(message, Notification):
        return NotifMsg(message)
    if isinstance(message, RouteRefresh):
        return RouteRefreshMsg(message)
    if isinstance(message, OperationalMessage):
        return OperationalMsg(message)
    raise TypeError(f"not a BGP message: {message!r}")


def event_for_error(error: BgpError) -> Event:
    """The event for an error the codec raised while decoding."""
    if isinstance(error, OpenMessageError):
        return BgpOpenMsgErr(error)
    if isinstance(error, UpdateMessageError):
        return UpdateMsgErr(error)
    return BgpHeaderErr(error)


# -- actions the driver executes ---------------------------------------------


@dataclasses.dataclass(frozen=True)
class Connect:
    """Start an outbound TCP connection to the peer (replacing a pending one)."""


@dataclasses.dataclass(frozen=True)
class Send:
    """Write these bytes, already encoded, to the connection."""

    data: bytes


@dataclasses.dataclass(frozen=True)
class Close:
    """Drop the TCP connection, or the attempt to make one, if any."""

    reason: str


@dataclasses.dataclass(frozen=True)
class SessionEstablished:
    """The session came up: routes may flow under ``negotiated``."""

    negotiated: Negotiated
    remote_open: Open


@dataclasses.dataclass(frozen=True)
class SessionDown:
    """An Established session ended: withdraw what the peer announced.

    ``graceful``: it ended the way a restarting peer ends it, the TCP
    connection lost or the peer silent past the hold time, not by a
    NOTIFICATION either side sent for a reason; Graceful Restart's receiving
    speaker keeps the routes then (RFC 4724 section 4.2, ``bgpmesh.graceful``).
    """

    reason: str
    graceful: bool = False


@dataclasses.dataclass(frozen=True)
class Deliver:
    """Hand this UPDATE, ROUTE-REFRESH or OPERATIONAL, received in Established, on."""

    message: Update | RouteRefresh | OperationalMessage


Action = Connect | Send | Close | SessionEstablished | SessionDown | Deliver


class Transition(NamedTuple):
    """One entry of ``Fsm.history``."""

    at: float
    old: State
    new: State
    reason: str


_UNEXPECTED_MESSAGE: dict[State, type[FsmError]] = {
    State.OpenSent: UnexpectedMessageInOpenSent,
    State.OpenConfirm: UnexpectedMessageInOpenConfirm,
    State.Established: UnexpectedMessageInEstablished,
}

_Handler = Callable[["Fsm", Any, float], list[Action]]


class Fsm:
    """One BGP connection's state machine.  See the module docstring."""

    def __init__(
        self,
        local_open: Open,
        peer_as: int | None,
        passive: bool,
        hold_time: int,
        connect_retry_time: float = 5.0,
        *,
        delay_open_time: float = 0.0,
        idle_hold_time: float = 0.0,
        idle_hold_max_time: float = IDLE_HOLD_MAX_TIME,
        idle_hold_stable_time: float = IDLE_HOLD_STABLE_TIME,
    ) -> None:
        """``delay_open_time`` > 0 turns DelayOpen on; ``idle_hold_time`` > 0
        turns DampPeerOscillations on.  See the module docstring."""
        # RFC 4271 4.2: "Hold Time ... MUST be either zero or at least three
        # seconds."  Ours comes from configuration: refusing it is a bug there.
        if hold_time != 0 and not 3 <= hold_time <= 65535:
            raise ValueError(f"hold time must be 0 or 3..65535, not {hold_time}")
        if connect_retry_time <= 0:
            raise ValueError(f"connect retry time must be positive, not {connect_retry_time}")
        if delay_open_time < 0:
            raise ValueError(f"delay open time must be 0 (off) or positive, not {delay_open_time}")
        if idle_hold_time < 0:
            raise ValueError(f"idle hold time must be 0 (off) or positive, not {idle_hold_time}")
        if idle_hold_time and idle_hold_max_time < idle_hold_time:
            raise ValueError(
                f"idle hold max time {idle_hold_max_time} is below idle hold time {idle_hold_time}"
            )
        if local_open.hold_time != hold_time:
            local_open = dataclasses.replace(local_open, hold_time=hold_time)
        self._open = local_open
        self.peer_as = peer_as
        self.passive = passive
        self.hold_time = hold_time
        self.connect_retry_time = connect_retry_time
        self.delay_open_time = delay_open_time
        self.idle_hold_time = idle_hold_time
        self.idle_hold_max_time = idle_hold_max_time
        self.idle_hold_stable_time = idle_hold_stable_time

        self._state = State.Idle
        self.reason = "not started"
        self.history: list[Transition] = []
        self.negotiated: Negotiated | None = None
        self.remote_open: Open | None = None
        self._session = Session()
        # Armed timers: the *Expires event class -> deadline.
        self._timers: dict[type, float] = {}
        # Damping: the hold the next drop will get, when the session last came
        # up, and whether an AutomaticStart waits for the IdleHoldTimer.
        self._idle_hold = idle_hold_time
        self._established_at: float | None = None
        self._start_pending = False
        # A connection is up and DelayOpen holds our OPEN back (the timer
        # itself may already be popped by ``expire``).
        self._open_delayed = False

    def __repr__(self) -> str:
        return f"<Fsm {self._state.name} peer_as={self.peer_as} passive={self.passive}>"

    # -- what the driver reads -------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def established(self) -> bool:
        return self._state is State.Established

    def open_message(self) -> Open:
        """The OPEN this FSM sends: ``local_open`` with the configured hold time."""
        return self._open

    def use_open(self, local_open: Open) -> None:
        """The OPEN the next connection sends.  A driver that keeps one FSM
        across sessions (damping) changes it between them: the Graceful
        Restart Restart State bit, say, belongs to the first session after a
        restart only (RFC 4724 section 3).  Only in Idle: an OPEN already sent
        cannot change."""
        if self._state is not State.Idle:
            raise ValueError(f"the OPEN can change only in Idle, not in {self._state.name}")
        if local_open.hold_time != self.hold_time:
            local_open = dataclasses.replace(local_open, hold_time=self.hold_time)
        self._open = local_open

    @property
    def timers(self) -> dict[type, float]:
        """The armed timers: their ``*Expires`` event class -> deadline."""
        return dict(self._timers)

    @property
    def idle_hold_deadline(self) -> float | None:
        """When the IdleHoldTimer expires, or None if it is not running."""
        return self._timers.get(IdleHoldTimerExpires)

    @property
    def idle_hold(self) -> float:
        """The IdleHoldTimer the next drop to Idle will get (0 without damping)."""
        return self._idle_hold

    @property
    def start_pending(self) -> bool:
        """An AutomaticStart is waiting for the IdleHoldTimer."""
        return self._start_pending

    def next_deadline(self) -> float | None:
        """When the earliest armed timer expires, or None if none is armed."""
        return min(self._timers.values(), default=None)

    # -- what the driver feeds -------------------------------------------

    def handle(self, event: Event, now: float) -> list[Action]:
        """Run one event; return the actions to execute, in order."""
        handler = _TRANSITIONS.get((self._state, type(event)))
        try:
            if handler is None:
                return self._default(event, now)
            return handler(self, event, now)
        except BgpError as error:
            return self._fail(error, now)

    def expire(self, now: float) -> list[Action]:
        """Fire every timer whose deadline is ``now`` or earlier."""
        actions: list[Action] = []
        while True:
            due = [(deadline, kind) for kind, deadline in self._timers.items() if deadline <= now]
            if not due:
                return actions
            # The hold timer wins a tie: no point in a KEEPALIVE before closing.
            _, kind = min(due, key=lambda item: (item[0], item[1] is not HoldTimerExpires))
            del self._timers[kind]
            actions += self.handle(kind(), now)

    # -- helpers ---------------------------------------------------------

    def _goto(self, new: State, now: float, reason: str) -> None:
        old = self._state
        if new is old:
            return
        self._state = new
        self._open_delayed = False
        self.reason = reason
        self.history.append(Transition(now, old, new, reason))
        if len(self.history) > HISTORY_SIZE:
            del self.history[0]
        if new is State.Established:
            self._established_at = now
        if new is State.Idle:
            self._timers.clear()
            self.negotiated = None
            self.remote_open = None
            self._session = Session()

    def _arm(self, kind: type, deadline: float) -> None:
        self._timers[kind] = deadline

    def _close(
        self,
        now: float,
        reason: str,
        notification: Send | None = None,
        damp: bool = True,
        graceful: bool = False,
    ) -> list[Action]:
        """Drop the connection and go to Idle, saying so if the session was up.

        ``damp`` is False for the drops that are not the peer oscillating: the
        operator's ``ManualStop`` and a collision's ``OpenCollisionDump``.
        """
        actions: list[Action] = [] if notification is None else [notification]
        actions.append(Close(reason))
        if self._state is State.Established:
            actions.append(SessionDown(reason, graceful))
        hold = self._next_idle_hold(now) if damp and self.idle_hold_time else 0.0
        if hold:
            reason = f"{reason}; idle hold {hold:g}s"
        self._goto(State.Idle, now, reason)
        if hold:
            self._arm(IdleHoldTimerExpires, now + hold)
        return actions

    def _next_idle_hold(self, now: float) -> float:
        """The hold for this drop; doubles the next one (8.1.1 DampPeerOscillations)."""
        up_since = self._established_at if self._state is State.Established else None
        if up_since is not None and now - up_since >= self.idle_hold_stable_time:
            self._idle_hold = self.idle_hold_time
        hold = self._idle_hold
        self._idle_hold = min(hold * 2, self.idle_hold_max_time)
        return hold

    def _fail(self, error: BgpError, now: float) -> list[Action]:
        """The one place a detected error becomes NOTIFICATION, close and Idle."""
        what = f"{error.code}/{error.subcode} {type(error).__name__}: {error}"
        if self._state in (State.Connect, State.Active):
            # Only DelayOpen gets here (a bad OPEN before ours went out), and
            # SendNOTIFICATIONwithoutOPEN is FALSE: RFC 4271 8.2.2 Connect,
            # Event 22, just drops the connection.
            return self._close(now, f"refused OPEN, no NOTIFICATION before ours: {what}")
        notification = Send(Notification.from_error(error).encode(self._session))
        # A peer that stopped talking is the other way a restart shows; the
        # NOTIFICATION we send it is most likely never read (without RFC
        # 8538's N bit every other NOTIFICATION ends graceful restart).
        return self._close(now, f"sent NOTIFICATION {what}", notification,
                           graceful=isinstance(error, HoldTimerExpired))

    def _default(self, event: Event, now: float) -> list[Action]:
        name = type(event).__name__
        state = self._state
        if state is State.Idle:
            return []
        if state in (State.Connect, State.Active):
            return self._close(now, f"{name} in {state.name}")
        if type(event) in _MESSAGE_EVENTS:
            raise _UNEXPECTED_MESSAGE[state](f"{name} in {state.name}")
        raise FsmError(f"{name} in {state.name}")

    # -- transitions, in RFC 4271 8.2.2 order ------------------------------

    def _ignore(self, event: Event, now: float) -> list[Action]:
        return []

    def _start(self, event: Event, now: float, why: str = "started") -> list[Action]:
        # Idle.
        self._timers.pop(IdleHoldTimerExpires, None)
        self._start_pending = False
        if self.passive:
            self._goto(State.Active, now, f"{why}, waiting for the peer to connect")
            return []
        self._arm(ConnectRetryTimerExpires, now + self.connect_retry_time)
        self._goto(State.Connect, now, f"{why}, connecting to the peer")
        return [Connect()]

    def _automatic_start(self, event: AutomaticStart, now: float) -> list[Action]:
        # Idle.  RFC 4271 8.2.2 leaves the method of damping to the
        # implementation: ours holds the start back until the IdleHoldTimer.
        deadline = self._timers.get(IdleHoldTimerExpires)
        if deadline is not None and deadline > now:
            self._start_pending = True
            return []
        return self._start(event, now)

    def _idle_hold_expired(self, event: IdleHoldTimerExpires, now: float) -> list[Action]:
        # Idle.
        if not self._start_pending:
            return []
        return self._start(event, now, "idle hold timer expired, started")

    def _connect_retry(self, event: Event, now: float) -> list[Action]:
        # Connect: "drops the TCP connection, restarts the ConnectRetryTimer,
        # ... initiates a TCP connection to the other BGP peer".
        # Active: the same, and "changes its state to Connect".
        self._arm(ConnectRetryTimerExpires, now + self.connect_retry_time)
        # "stops the DelayOpenTimer and resets the timer to zero"
        self._timers.pop(DelayOpenTimerExpires, None)
        actions: list[Action] = []
        if self._state is State.Connect:
            actions.append(Close("connect retry timer expired"))
        self._goto(State.Connect, now, "connect retry timer expired, connecting again")
        actions.append(Connect())
        return actions

    def _connection_up(self, event: Event, now: float) -> list[Action]:
        # Connect, Active: "stops the ConnectRetryTimer ..., completes BGP
        # initialization, sends an OPEN message to its peer, sets the HoldTimer
        # to a large value, and changes its state to OpenSent."
        if DelayOpenTimerExpires in self._timers:
            # A second connection while the first waits to send its OPEN: a
            # collision for the driver, like one in OpenSent.
            return []
        self._timers.pop(ConnectRetryTimerExpires, None)
        how = "outbound" if isinstance(event, TcpCrAcked) else "inbound"
        if self.delay_open_time:
            # "If the DelayOpen attribute is set to TRUE, the local system:
            # stops the ConnectRetryTimer ..., sets the DelayOpenTimer to the
            # initial value, and stays in the Connect state" (Active: "stays
            # in the Active state").
            self._arm(DelayOpenTimerExpires, now + self.delay_open_time)
            self._open_delayed = True
            return []
        return self._send_open(now, f"{how} connection up, OPEN sent")

    def _send_open(self, now: float, reason: str) -> list[Action]:
        self._arm(HoldTimerExpires, now + OPEN_SENT_HOLD_TIME)
        self._goto(State.OpenSent, now, reason)
        return [Send(self._open.encode(self._session))]

    def _delay_open_expired(self, event: DelayOpenTimerExpires, now: float) -> list[Action]:
        # Connect, Active: "sends an OPEN message to its peer, sets the
        # HoldTimer to a large value, and changes its state to OpenSent."
        # Only when the timer was running: a stray Event 12 (no connection
        # up, no DelayOpen) is "any other event".
        if not self._open_delayed:
            return self._default(event, now)
        return self._send_open(now, "connection up, delay open timer expired, OPEN sent")

    def _open_received_while_delayed(self, event: BgpOpen, now: float) -> list[Action]:
        # Connect, Active, Event 20 "BGPOpen with DelayOpenTimer running":
        # "stops the ConnectRetryTimer ..., stops and clears the DelayOpenTimer
        # ..., sends an OPEN message, sends a KEEPALIVE message, ... and
        # changes its state to OpenConfirm."  Without the timer running, an
        # OPEN in these states is "any other event".
        if DelayOpenTimerExpires not in self._timers:
            return self._default(event, now)
        del self._timers[DelayOpenTimerExpires]
        self._timers.pop(ConnectRetryTimerExpires, None)
        # Our OPEN precedes negotiation, so it is encoded for the plain session.
        our_open = Send(self._open.encode(self._session))
        actions = self._open_received(event, now, " before the delayed OPEN")
        return [our_open, *actions]

    def _stop(self, event: ManualStop, now: float) -> list[Action]:
        reason = f"manual stop, Cease {event.subcode}"
        if self._state in (State.Connect, State.Active):
            # No OPEN sent yet, so no NOTIFICATION: just drop the connection.
            return self._close(now, reason, damp=False)
        data = b""
        if event.communication and event.subcode in (
            Cease.ADMINISTRATIVE_SHUTDOWN,
            Cease.ADMINISTRATIVE_RESET,
        ):
            data = shutdown_communication(event.communication)
            reason = f"{reason}: {event.communication}"
        notification = Notification(Cease.code, event.subcode, data)
        return self._close(now, reason, Send(notification.encode(self._session)), damp=False)

    def _hold_timer_expired(self, event: Event, now: float) -> list[Action]:
        # OpenSent, OpenConfirm, Established: "sends a NOTIFICATION message
        # with the error code Hold Timer Expired ... changes its state to Idle."
        raise HoldTimerExpired(f"no message from the peer for {self._hold_interval():g}s")

    def _hold_interval(self) -> float:
        if self._state is State.OpenSent or self.negotiated is None:
            return OPEN_SENT_HOLD_TIME
        return float(self.negotiated.hold_time)

    def _keepalive_timer_expired(self, event: Event, now: float) -> list[Action]:
        # OpenConfirm, Established: "sends a KEEPALIVE message, and restarts
        # the KeepaliveTimer."
        assert self.negotiated is not None
        if not self.negotiated.keepalive_time:
            # Hold time 0: the timer is never armed, so this came from outside;
            # rearming it at ``now`` would make ``expire`` spin.
            return []
        self._arm(KeepaliveTimerExpires, now + self.negotiated.keepalive_time)
        return [Send(Keepalive().encode(self._session))]

    def _connection_lost_in_open_sent(self, event: Event, now: float) -> list[Action]:
        # OpenSent: "closes the BGP connection, restarts the ConnectRetryTimer,
        # continues to listen for a connection that may be initiated by the
        # remote BGP peer, and changes its state to Active."
        actions: list[Action] = [Close("connection lost in OpenSent")]
        if not self.passive:
            self._arm(ConnectRetryTimerExpires, now + self.connect_retry_time)
        self._timers.pop(HoldTimerExpires, None)
        self._goto(State.Active, now, "connection lost in OpenSent")
        return actions

    def _connection_lost(self, event: Event, now: float) -> list[Action]:
        if self._state is State.Connect and DelayOpenTimerExpires in self._timers:
            # Connect: "If the DelayOpenTimer is running, the local system:
            # restarts the ConnectRetryTimer with the initial value, stops the
            # DelayOpenTimer ..., continues to listen ..., and changes its
            # state to Active."
            del self._timers[DelayOpenTimerExpires]
            self._arm(ConnectRetryTimerExpires, now + self.connect_retry_time)
            reason = "connection lost in Connect while the OPEN was delayed"
            self._goto(State.Active, now, reason)
            return [Close(reason)]
        # RFC 4724 section 4.2: "detects termination of the TCP session"
        return self._close(now, f"connection lost in {self._state.name}", graceful=True)

    def _collision_dump(self, event: OpenCollisionDump, now: float) -> list[Action]:
        # OpenSent, OpenConfirm, Established, Event 23: "sends the
        # NOTIFICATION with a Cease, ... drops the TCP connection, ... and
        # changes its state to Idle."  RFC 4486 names the subcode.  Not damped:
        # losing a collision is not the peer oscillating.
        notification = Notification(Cease.code, Cease.CONNECTION_COLLISION_RESOLUTION)
        return self._close(
            now,
            f"{event.reason}; this connection dumped, sent NOTIFICATION 6/7",
            Send(notification.encode(self._session)),
            damp=False,
        )

    def _peer_error(
        self, event: BgpHeaderErr | BgpOpenMsgErr | UpdateMsgErr, now: float
    ) -> list[Action]:
        raise event.error

    def _notification_received(self, event: NotifMsg, now: float) -> list[Action]:
        # RFC 4271 4.5: the connection "is closed immediately after" a
        # NOTIFICATION is sent, so none is sent back; RFC 6608's subcodes are
        # for KEEPALIVE, UPDATE and ROUTE-REFRESH, not for this.
        message = event.message
        reason = f"received NOTIFICATION {message.code}/{message.subcode}"
        return self._close(now, reason)

    def _open_received(self, event: BgpOpen, now: float, how: str = "") -> list[Action]:
        # OpenSent: "When an OPEN message is received, all fields are checked
        # for correctness.  If there are no errors in the OPEN message ..., the
        # local system: ... sends a KEEPALIVE message, and sets a
        # KeepaliveTimer ..., sets the HoldTimer according to the negotiated
        # value (see Section 4.2), changes its state to OpenConfirm."
        remote = event.message
        # Version, peer AS, and RFC 4271 6.2's "An implementation MUST reject
        # Hold Time values of one or two seconds."
        remote.validate(self.peer_as)
        # RFC 6286 2.2: the identifier is bad "if it is the same as the BGP
        # Identifier of the local BGP speaker and the message is from an
        # internal peer".
        if remote.router_id == self._open.router_id and remote.peer_asn == self._open.peer_asn:
            raise BadBgpIdentifier(f"internal peer uses our BGP identifier {remote.router_id}")
        negotiated = negotiate(self._open, remote)
        if not negotiated.families:
            # RFC 5492 section 5: a speaker that finds its peer lacks a
            # capability it needs may refuse the session with 2/7, the data
            # being the capabilities at fault: here every Multiprotocol one
            # we sent, since not one family is shared (FRR does the same)
            ours = [c for c in self._open.capabilities if type(c) is Multiprotocol]
            raise UnsupportedCapability(
                "no address family in common: we offer "
                + ", ".join(str(c.family) for c in ours),
                data=b"".join(c.encode() for c in ours))
        # RFC 4271 4.2: the Hold Time "MUST be either zero or at least three
        # seconds"; checked again here in case ``negotiate`` ever yields less.
        if 0 < negotiated.hold_time < 3:
            raise UnacceptableHoldTime(f"negotiated hold time {negotiated.hold_time}s")

        self.negotiated = negotiated
        self.remote_open = remote
        self._session = negotiated.session
        self._timers.pop(HoldTimerExpires, None)
        # RFC 4271 4.4: "If the negotiated Hold Time interval is zero, then
        # periodic KEEPALIVE messages MUST NOT be sent."
        if negotiated.hold_time:
            self._arm(KeepaliveTimerExpires, now + negotiated.keepalive_time)
            self._arm(HoldTimerExpires, now + negotiated.hold_time)
        self._goto(
            State.OpenConfirm,
            now,
            f"OPEN received from AS{remote.peer_asn} {remote.router_id}{how}, "
            f"hold time {negotiated.hold_time}s",
        )
        return [Send(Keepalive().encode(self._session))]

    def _restart_hold_timer(self, now: float) -> None:
        if self.negotiated is not None and self.negotiated.hold_time:
            self._arm(HoldTimerExpires, now + self.negotiated.hold_time)

    def _keepalive_in_open_confirm(self, event: KeepAliveMsg, now: float) -> list[Action]:
        # OpenConfirm: "If the local system receives a KEEPALIVE message
        # (KeepAliveMsg (Event 26)), the local system: restarts the HoldTimer
        # and changes its state to Established."
        assert self.negotiated is not None and self.remote_open is not None
        self._restart_hold_timer(now)
        self._goto(State.Established, now, "KEEPALIVE received, session established")
        return [SessionEstablished(self.negotiated, self.remote_open)]

    def _keepalive_in_established(self, event: KeepAliveMsg, now: float) -> list[Action]:
        self._restart_hold_timer(now)
        return []

    def _deliver(self, event: UpdateMsg | RouteRefreshMsg | OperationalMsg, now: float) -> list[Action]:
        # Established: an UPDATE "restarts its HoldTimer, if the negotiated
        # HoldTime value is non-zero".  A ROUTE-REFRESH proves the peer alive
        # just as well, so it restarts the timer too.
        self._restart_hold_timer(now)
        return [Deliver(event.message)]

    def _operational(self, event: OperationalMsg, now: float) -> list[Action]:
        # Without capability 185 on both sides the type is one we do not
        # speak: RFC 4271 section 6.1's Bad Message Type, as the header check
        # reports for any other unknown type.
        if self.negotiated is None or not self.negotiated.operational:
            raise BadMessageType(f"type {event.message.TYPE}",
                                 data=bytes((event.message.TYPE,)))
        return self._deliver(event, now)


def shutdown_communication(text: str) -> bytes:
    """RFC 9003 Shutdown Communication: a length octet, then UTF-8 text.

    Text longer than 255 octets is cut at a character boundary.
    """
    raw = text.encode("utf-8")
    if len(raw) > MAX_SHUTDOWN_COMMUNICATION:
        raw = raw[:MAX_SHUTDOWN_COMMUNICATION].decode("utf-8", "ignore").encode("utf-8")
    return bytes([len(raw)]) + raw


_STARTS = (ManualStart, AutomaticStart)
_TCP_UP = (TcpCrAcked, TcpConnectionConfirmed)

_TRANSITIONS: dict[tuple[State, type], _Handler] = {}


def _table(states: tuple[State, ...], events: tuple[type, ...], handler: _Handler) -> None:
    for state in states:
        for event in events:
            _TRANSITIONS[state, event] = handler


_CONNECTED = (State.OpenSent, State.OpenConfirm, State.Established)

# Idle: only the start events do anything; the rest are ignored by default.
_table((State.Idle,), (ManualStart,), Fsm._start)
_table((State.Idle,), (AutomaticStart,), Fsm._automatic_start)
_table((State.Idle,), (IdleHoldTimerExpires,), Fsm._idle_hold_expired)

# Connect and Active.  "The start events ... are ignored."
_table((State.Connect, State.Active), _STARTS, Fsm._ignore)
_table((State.Connect, State.Active), (ManualStop,), Fsm._stop)
_table((State.Connect, State.Active), (ConnectRetryTimerExpires,), Fsm._connect_retry)
_table((State.Connect, State.Active), _TCP_UP, Fsm._connection_up)
_table((State.Connect, State.Active), (TcpConnectionFails,), Fsm._connection_lost)
_table((State.Connect, State.Active), (DelayOpenTimerExpires,), Fsm._delay_open_expired)
_table((State.Connect, State.Active), (BgpOpen,), Fsm._open_received_while_delayed)

# OpenSent, OpenConfirm, Established: starts are ignored, and a second TCP
# connection is the driver's collision to resolve.
_table(_CONNECTED, _STARTS + _TCP_UP, Fsm._ignore)
_table(_CONNECTED, (ManualStop,), Fsm._stop)
_table(_CONNECTED, (HoldTimerExpires,), Fsm._hold_timer_expired)
_table(_CONNECTED, (NotifMsg,), Fsm._notification_received)
_table(_CONNECTED, (BgpHeaderErr,), Fsm._peer_error)
_table(_CONNECTED, (OpenCollisionDump,), Fsm._collision_dump)

_table((State.OpenSent,), (TcpConnectionFails,), Fsm._connection_lost_in_open_sent)
_table((State.OpenSent,), (BgpOpen,), Fsm._open_received)
_table((State.OpenSent, State.OpenConfirm), (BgpOpenMsgErr,), Fsm._peer_error)

_table(
    (State.OpenConfirm, State.Established), (KeepaliveTimerExpires,), Fsm._keepalive_timer_expired
)
_table((State.OpenConfirm, State.Established), (TcpConnectionFails,), Fsm._connection_lost)
_table((State.OpenConfirm,), (KeepAliveMsg,), Fsm._keepalive_in_open_confirm)

_table((State.Established,), (KeepAliveMsg,), Fsm._keepalive_in_established)
_table((State.Established,), (UpdateMsg, RouteRefreshMsg), Fsm._deliver)
_table((State.Established,), (OperationalMsg,), Fsm._operational)
_table((State.Established,), (UpdateMsgErr,), Fsm._peer_error)
