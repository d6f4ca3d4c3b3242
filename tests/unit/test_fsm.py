"""The RFC 4271 section 8 FSM, two instances back to back, no sockets.

``Pair`` plays the network between two FSMs (h11's ``ConnectionPair``): the
bytes one side sends go through the codec's ``MessageReader`` and arrive at the
other side as events; a ``Close`` from one side is a ``TcpConnectionFails`` on
the other.  Time is ``pair.now``, moved by hand.  A ``paused`` pair keeps what
is sent in flight until ``deliver_to`` or ``release``: two pairs are the two
connections of a collision.
"""

from __future__ import annotations

import pytest

from bgpmesh.codec import (
    ExtendedMessage,
    FourOctetAs,
    GracefulRestart,
    Keepalive,
    LongLivedGracefulRestart,
    MessageReader,
    Multiprotocol,
    Notification,
    Open,
    RouteRefresh,
    RouteRefreshCapability,
    Session,
)
from bgpmesh.collision import Direction, decide, identifier, resolve_collision
from bgpmesh.errors import (
    BadMessageLength,
    BadPeerAs,
    BgpError,
    Cease,
    MalformedAttributeList,
    UnsupportedVersionNumber,
)
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST
from bgpmesh.fsm import (
    HISTORY_SIZE,
    OPEN_SENT_HOLD_TIME,
    AutomaticStart,
    BgpHeaderErr,
    BgpOpen,
    BgpOpenMsgErr,
    Close,
    Connect,
    ConnectRetryTimerExpires,
    DelayOpenTimerExpires,
    Deliver,
    Fsm,
    HoldTimerExpires,
    IdleHoldTimerExpires,
    KeepAliveMsg,
    KeepaliveTimerExpires,
    ManualStart,
    ManualStop,
    NotifMsg,
    OpenCollisionDump,
    RouteRefreshMsg,
    Send,
    SessionDown,
    SessionEstablished,
    State,
    TcpConnectionConfirmed,
    TcpConnectionFails,
    TcpCrAcked,
    UpdateMsg,
    UpdateMsgErr,
    event_for_error,
    event_for_message,
    shutdown_communication,
)
from bgpmesh.graceful import (
    STALE_PATH_TIME,
    LongLivedStarted,
    Retention,
    StaleMarked,
    StaleRoutes,
    StaleWithdrawn,
    preserved,
    retention,
)

AS_A = 65001
AS_B = 65002


def make_fsm(
    asn: int = AS_A,
    router_id: str = "192.0.2.1",
    peer_as: int | None = AS_B,
    passive: bool = False,
    hold_time: int = 90,
    **options,
) -> Fsm:
    return Fsm(Open(asn, hold_time, router_id), peer_as, passive, hold_time, **options)


def decode(data: bytes, session: Session | None = None) -> list:
    return MessageReader().feed(data, session or Session())


def sent(actions: list) -> list:
    """The messages a list of actions sends, decoded."""
    return [
        message for action in actions if isinstance(action, Send) for message in decode(action.data)
    ]


def notification(actions: list) -> tuple[int, int, bytes]:
    (message,) = [m for m in sent(actions) if isinstance(m, Notification)]
    return message.code, message.subcode, message.data


class Pair:
    """Two FSMs joined by one pretend TCP connection."""

    def __init__(self, left: Fsm, right: Fsm) -> None:
        self.left = left
        self.right = right
        self.now = 0.0
        self.connected = False
        self.readers: dict[int, MessageReader] = {}
        # Everything each side returned and everything it received, in order.
        self.actions: dict[int, list] = {id(left): [], id(right): []}
        self.received: dict[int, list] = {id(left): [], id(right): []}
        # While paused, Send and Close wait here, (sender, action), in order.
        self.paused = False
        self.in_flight: list = []

    def other(self, fsm: Fsm) -> Fsm:
        return self.right if fsm is self.left else self.left

    def start(self) -> None:
        for fsm in (self.left, self.right):
            self.run(fsm, fsm.handle(ManualStart(), self.now))

    def connect(self, initiator: Fsm) -> None:
        """The TCP handshake completes on both sides before any data flows."""
        assert not self.connected
        self.connected = True
        self.readers = {id(self.left): MessageReader(), id(self.right): MessageReader()}
        acceptor = self.other(initiator)
        out_initiator = initiator.handle(TcpCrAcked(), self.now)
        out_acceptor = acceptor.handle(TcpConnectionConfirmed(), self.now)
        # One queue for both: each side's OPEN is on the wire before anything
        # it sends in answer to the other's.
        self.run_all(
            [(initiator, a) for a in out_initiator] + [(acceptor, a) for a in out_acceptor]
        )

    def handle(self, fsm: Fsm, event) -> list:
        actions = fsm.handle(event, self.now)
        self.run(fsm, actions)
        return actions

    def expire(self, fsm: Fsm) -> list:
        actions = fsm.expire(self.now)
        self.run(fsm, actions)
        return actions

    def expire_both(self) -> None:
        self.expire(self.left)
        self.expire(self.right)

    def establish(self, initiator: Fsm | None = None) -> None:
        self.start()
        self.connect(initiator or self.left)
        assert self.left.state is State.Established
        assert self.right.state is State.Established

    def run(self, fsm: Fsm, actions: list) -> None:
        """Execute one side's actions, and what they cause, until it is quiet."""
        self.run_all([(fsm, action) for action in actions])

    def run_all(self, queue: list) -> None:
        """Execute (sender, action) pairs in order, first in first out."""
        while queue:
            sender, action = queue.pop(0)
            self.actions[id(sender)].append(action)
            if self.paused and self.connected and isinstance(action, (Send, Close)):
                self.in_flight.append((sender, action))
            else:
                queue += self.carry(sender, action)

    def carry(self, sender: Fsm, action) -> list:
        """Take one action across the wire; return what the receiver answers."""
        receiver = self.other(sender)
        answers = []
        if isinstance(action, Send) and self.connected:
            session = receiver.negotiated.session if receiver.negotiated else Session()
            try:
                messages = self.readers[id(receiver)].feed(action.data, session)
                events = [event_for_message(m) for m in messages]
            except BgpError as error:
                messages = error.messages
                events = [event_for_message(m) for m in messages] + [event_for_error(error)]
            self.received[id(receiver)] += messages
            for event in events:
                answers += [(receiver, a) for a in receiver.handle(event, self.now)]
        elif isinstance(action, Close) and self.connected:
            self.connected = False
            answers += [(receiver, a) for a in receiver.handle(TcpConnectionFails(), self.now)]
        return answers

    def deliver_to(self, receiver: Fsm) -> None:
        """Deliver the oldest action in flight towards ``receiver``."""
        sender = self.other(receiver)
        index = next(i for i, (s, _) in enumerate(self.in_flight) if s is sender)
        _, action = self.in_flight.pop(index)
        self.run_all(self.carry(sender, action))

    def release(self) -> None:
        """Unpause: deliver everything in flight, and what it causes, in order."""
        while self.in_flight:
            # Still paused, so answers queue behind what is already in flight.
            sender, action = self.in_flight.pop(0)
            self.run_all(self.carry(sender, action))
        self.paused = False

    def got(self, fsm: Fsm, kind: type) -> list:
        return [action for action in self.actions[id(fsm)] if isinstance(action, kind)]

    def notifications_received(self, fsm: Fsm) -> list[tuple[int, int, bytes]]:
        return [
            (m.code, m.subcode, m.data)
            for m in self.received[id(fsm)]
            if isinstance(m, Notification)
        ]


def pair(left_passive: bool = False, right_passive: bool = True, **kwargs) -> Pair:
    left_hold = kwargs.pop("left_hold", 90)
    right_hold = kwargs.pop("right_hold", 90)
    left_options = kwargs.pop("left_options", {})
    right_options = kwargs.pop("right_options", {})
    left = make_fsm(AS_A, "192.0.2.1", AS_B, left_passive, left_hold, **left_options)
    right = make_fsm(AS_B, "192.0.2.2", AS_A, right_passive, right_hold, **right_options)
    return Pair(left, right)


def opened(hold_time: int = 90) -> Fsm:
    """An active FSM whose outbound connection just came up: in OpenSent."""
    fsm = make_fsm(hold_time=hold_time)
    fsm.handle(ManualStart(), 0.0)
    fsm.handle(TcpCrAcked(), 0.0)
    assert fsm.state is State.OpenSent
    return fsm


def peer_open(asn: int = AS_B, hold_time: int = 90, router_id: str = "192.0.2.2") -> Open:
    return Open(asn, hold_time, router_id)


# -- reaching Established -----------------------------------------------------


@pytest.mark.parametrize(
    ("left_passive", "right_passive", "initiator"),
    [
        (False, True, "left"),  # left connects to a passive right
        (True, False, "right"),  # right connects to a passive left
        (False, False, "left"),  # both try, left's connection is the one made
        (False, False, "right"),
    ],
)
def test_established_on_both_sides(left_passive, right_passive, initiator):
    p = pair(left_passive, right_passive)
    p.start()
    for fsm in (p.left, p.right):
        if fsm.passive:
            assert fsm.state is State.Active
            assert p.actions[id(fsm)] == []
        else:
            assert fsm.state is State.Connect
            assert p.actions[id(fsm)] == [Connect()]

    p.connect(getattr(p, initiator))

    for fsm in (p.left, p.right):
        assert fsm.state is State.Established
        assert fsm.established
        (up,) = p.got(fsm, SessionEstablished)
        assert up.negotiated.hold_time == 90
        assert up.negotiated.keepalive_time == 30
        assert up.remote_open.peer_asn == p.other(fsm).open_message().peer_asn
        assert [t.new for t in fsm.history][-3:] == [
            State.OpenSent,
            State.OpenConfirm,
            State.Established,
        ]
    # Each side sent exactly one OPEN and one KEEPALIVE to get there.
    for fsm in (p.left, p.right):
        kinds = [type(m) for m in p.received[id(fsm)]]
        assert kinds == [Open, Keepalive]


def test_established_with_capabilities_and_four_octet_as():
    def speaker(asn: int, router_id: str, peer_as: int, passive: bool) -> Fsm:
        capabilities = (
            Multiprotocol(IPV4_UNICAST),
            Multiprotocol(IPV6_UNICAST),
            RouteRefreshCapability(),
            ExtendedMessage(),
            FourOctetAs(asn),
        )
        return Fsm(Open(asn, 90, router_id, capabilities), peer_as, passive, 90)

    # Both AS numbers are too wide for My AS: the OPENs carry AS_TRANS and the
    # FSM must check the peer AS from the capability.
    p = Pair(
        speaker(4200000001, "192.0.2.1", 4200000002, False),
        speaker(4200000002, "192.0.2.2", 4200000001, True),
    )
    p.establish()
    for fsm in (p.left, p.right):
        (up,) = p.got(fsm, SessionEstablished)
        assert up.negotiated.session.asn4
        assert up.negotiated.session.extended_message
        assert up.negotiated.route_refresh
        assert up.negotiated.families == {IPV4_UNICAST, IPV6_UNICAST}
        assert up.remote_open.asn == 23456
    refresh = RouteRefresh(IPV6_UNICAST)
    # A ROUTE-REFRESH crosses the wire and is handed on.
    p.run(p.left, [Send(refresh.encode(p.left.negotiated.session))])
    assert p.got(p.right, Deliver) == [Deliver(refresh)]


def test_open_sent_carries_the_configured_hold_time():
    fsm = Fsm(Open(AS_A, 180, "192.0.2.1"), AS_B, False, 30)
    assert fsm.open_message().hold_time == 30
    fsm.handle(ManualStart(), 0.0)
    (open_message,) = sent(fsm.handle(TcpCrAcked(), 0.0))
    assert isinstance(open_message, Open)
    assert open_message.hold_time == 30
    assert open_message.asn == AS_A


def test_passive_fsm_waits_and_arms_no_timer():
    fsm = make_fsm(passive=True)
    assert fsm.handle(AutomaticStart(), 0.0) == []
    assert fsm.state is State.Active
    assert fsm.next_deadline() is None
    assert fsm.expire(1e9) == []
    assert fsm.state is State.Active


def test_connect_retry_timer_reconnects():
    fsm = make_fsm()
    assert fsm.handle(ManualStart(), 0.0) == [Connect()]
    assert fsm.next_deadline() == 5.0
    assert fsm.expire(4.9) == []
    actions = fsm.expire(5.0)
    assert [type(a) for a in actions] == [Close, Connect]
    assert fsm.state is State.Connect
    assert fsm.next_deadline() == 10.0


def test_connect_failure_goes_idle_and_stays_there():
    fsm = make_fsm()
    fsm.handle(ManualStart(), 0.0)
    actions = fsm.handle(TcpConnectionFails(), 1.0)
    assert [type(a) for a in actions] == [Close]
    assert fsm.state is State.Idle
    assert fsm.next_deadline() is None
    # The driver restarts, when it sees fit; until then Idle ignores the world.
    assert fsm.handle(TcpCrAcked(), 2.0) == []
    assert fsm.handle(KeepAliveMsg(), 2.0) == []
    assert fsm.handle(ManualStop(), 2.0) == []
    assert fsm.state is State.Idle
    assert fsm.handle(ManualStart(), 3.0) == [Connect()]
    assert fsm.state is State.Connect


def test_start_events_are_ignored_once_started():
    p = pair()
    p.establish()
    assert p.handle(p.left, ManualStart()) == []
    assert p.handle(p.left, AutomaticStart()) == []
    assert p.handle(p.left, TcpConnectionConfirmed()) == []  # a collision: the driver's
    assert p.left.state is State.Established


def test_session_comes_back_after_a_drop():
    p = pair()
    p.establish()
    p.handle(p.left, ManualStop())
    assert p.left.state is State.Idle
    assert p.right.state is State.Idle
    p.now = 100.0
    p.establish()
    assert len(p.got(p.left, SessionEstablished)) == 2
    assert len(p.got(p.right, SessionEstablished)) == 2


# -- timers ---------------------------------------------------------------------


def test_keepalive_timer_sends_keepalive_and_restarts_peer_hold_timer():
    p = pair()
    p.establish()
    assert p.left.next_deadline() == 30.0  # keepalive: hold time / 3
    p.now = 29.0
    assert p.expire(p.left) == []
    p.now = 30.0
    actions = p.expire(p.left)
    assert [type(m) for m in sent(actions)] == [Keepalive]
    assert p.left.next_deadline() == 60.0
    # The right side's hold timer now runs from 30: its next deadline is its
    # own keepalive (30), then the hold timer at 120 instead of 90.
    assert p.right.timers[HoldTimerExpires] == 120.0


def test_keepalives_keep_the_session_up():
    p = pair()
    p.establish()
    for second in range(0, 3600, 7):
        p.now = float(second)
        p.expire_both()
    assert p.left.established and p.right.established
    assert p.got(p.left, SessionDown) == [] and p.got(p.right, SessionDown) == []


def test_hold_timer_expiry_sends_4_0_and_goes_idle():
    p = pair()
    p.establish()
    # The right side falls silent: only the left side's timers run.
    p.now = 90.0
    actions = p.expire(p.left)
    assert notification(actions) == (4, 0, b"")
    assert [type(a) for a in actions][-3:] == [Send, Close, SessionDown]
    assert p.left.state is State.Idle
    assert p.left.next_deadline() is None
    assert "4/0" in p.left.reason
    # The right side hears it and goes down without answering.
    assert p.notifications_received(p.right) == [(4, 0, b"")]
    assert p.notifications_received(p.left) == []
    assert p.right.state is State.Idle
    assert len(p.got(p.right, SessionDown)) == 1


def test_hold_timer_in_open_sent_is_four_minutes():
    fsm = opened()
    assert fsm.next_deadline() == OPEN_SENT_HOLD_TIME
    actions = fsm.expire(OPEN_SENT_HOLD_TIME)
    assert notification(actions) == (4, 0, b"")
    assert isinstance(actions[-1], Close)
    assert fsm.state is State.Idle


@pytest.mark.parametrize(("left_hold", "right_hold"), [(0, 0), (0, 90), (90, 0)])
def test_hold_time_zero_arms_no_timers(left_hold, right_hold):
    p = pair(left_hold=left_hold, right_hold=right_hold)
    p.establish()
    for fsm in (p.left, p.right):
        assert fsm.negotiated.hold_time == 0
        assert fsm.next_deadline() is None
    p.now = 1e6
    p.expire_both()
    # Even a stray timer event fed from outside sends nothing and arms nothing.
    assert p.handle(p.left, KeepaliveTimerExpires()) == []
    assert p.left.next_deadline() is None
    assert p.left.established and p.right.established
    assert sent(p.actions[id(p.left)]).count(Keepalive()) == 1  # the one OpenSent needs


# -- OPEN errors ----------------------------------------------------------------


def test_wrong_peer_as_sends_2_2():
    p = Pair(make_fsm(peer_as=65099), make_fsm(AS_B, "192.0.2.2", AS_A, passive=True))
    p.start()
    p.connect(p.left)
    # The left side checks the right side's OPEN and refuses it.
    [(code, subcode, _)] = p.notifications_received(p.right)
    assert (code, subcode) == (BadPeerAs.code, BadPeerAs.subcode) == (2, 2)
    assert p.left.state is State.Idle
    assert p.right.state is State.Idle
    assert p.got(p.left, SessionEstablished) == []
    assert "2/2" in p.left.reason


def test_peer_as_none_accepts_any_as():
    p = Pair(make_fsm(peer_as=None), make_fsm(AS_B, "192.0.2.2", AS_A, passive=True))
    p.establish()
    assert p.left.remote_open.peer_asn == AS_B


@pytest.mark.parametrize("hold_time", [1, 2])
def test_hold_time_below_three_sends_2_6(hold_time):
    fsm = opened()
    actions = fsm.handle(BgpOpen(peer_open(hold_time=hold_time)), 1.0)
    assert notification(actions)[:2] == (2, 6)
    assert isinstance(actions[-1], Close)
    assert fsm.state is State.Idle


def test_internal_peer_with_our_identifier_sends_2_3():
    fsm = Fsm(Open(AS_A, 90, "192.0.2.1"), AS_A, False, 90)
    fsm.handle(ManualStart(), 0.0)
    fsm.handle(TcpCrAcked(), 0.0)
    actions = fsm.handle(BgpOpen(Open(AS_A, 90, "192.0.2.1")), 1.0)
    assert notification(actions)[:2] == (2, 3)
    assert fsm.state is State.Idle


def test_open_decode_error_sends_its_notification():
    fsm = opened()
    actions = fsm.handle(BgpOpenMsgErr(UnsupportedVersionNumber(data=b"\x00\x04")), 1.0)
    assert notification(actions) == (2, 1, b"\x00\x04")
    assert fsm.state is State.Idle


def test_header_error_sends_its_notification():
    p = pair()
    p.establish()
    actions = p.handle(p.left, BgpHeaderErr(BadMessageLength(data=b"\x00\x05")))
    assert notification(actions) == (1, 2, b"\x00\x05")
    assert p.left.state is State.Idle
    assert len(p.got(p.left, SessionDown)) == 1


def test_notification_in_open_sent_is_not_answered():
    fsm = opened()
    actions = fsm.handle(NotifMsg(Notification(6, 5)), 1.0)
    assert [type(a) for a in actions] == [Close]
    assert fsm.state is State.Idle
    assert "6/5" in fsm.reason


def test_connection_lost_in_open_sent_goes_active():
    fsm = opened()
    actions = fsm.handle(TcpConnectionFails(), 1.0)
    assert [type(a) for a in actions] == [Close]
    assert fsm.state is State.Active
    # An active FSM tries again when its ConnectRetryTimer expires.
    assert fsm.next_deadline() == 6.0
    assert fsm.expire(6.0) == [Connect()]
    assert fsm.state is State.Connect


# -- RFC 6608: unexpected messages ---------------------------------------------


def to_state(state: State) -> tuple[Pair, Fsm]:
    p = pair()
    p.start()
    if state is State.OpenSent:
        # Only the left side's TCP connection comes up; nothing reaches it.
        p.left.handle(TcpCrAcked(), p.now)
    elif state is State.OpenConfirm:
        p.left.handle(TcpCrAcked(), p.now)
        p.left.handle(BgpOpen(peer_open()), p.now)
    else:
        p.connect(p.left)
    assert p.left.state is state
    return p, p.left


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        (State.OpenSent, KeepAliveMsg(), (5, 1)),
        (State.OpenSent, UpdateMsg(object()), (5, 1)),
        (State.OpenSent, RouteRefreshMsg(RouteRefresh(IPV4_UNICAST, 0)), (5, 1)),
        (State.OpenConfirm, UpdateMsg(object()), (5, 2)),
        (State.OpenConfirm, BgpOpen(peer_open()), (5, 2)),
        (State.Established, BgpOpen(peer_open()), (5, 3)),
        (State.OpenSent, KeepaliveTimerExpires(), (5, 0)),
        (State.Established, ConnectRetryTimerExpires(), (5, 0)),
    ],
)
def test_unexpected_event_is_an_fsm_error(state, event, expected):
    _, fsm = to_state(state)
    actions = fsm.handle(event, 1.0)
    assert notification(actions)[:2] == expected
    assert isinstance(actions[1], Close)
    assert (SessionDown in [type(a) for a in actions]) == (state is State.Established)
    assert fsm.state is State.Idle
    assert fsm.reason.startswith(f"sent NOTIFICATION {expected[0]}/{expected[1]}")


def test_unexpected_message_in_connect_drops_without_notification():
    fsm = make_fsm()
    fsm.handle(ManualStart(), 0.0)
    actions = fsm.handle(KeepAliveMsg(), 1.0)
    assert [type(a) for a in actions] == [Close]
    assert fsm.state is State.Idle


# -- Established ------------------------------------------------------------------


def test_update_and_route_refresh_are_delivered_and_restart_hold_timer():
    p = pair()
    p.establish()
    update = object()  # the FSM hands it on without looking inside
    p.now = 50.0
    assert p.handle(p.left, UpdateMsg(update)) == [Deliver(update)]
    assert p.left.timers[HoldTimerExpires] == 140.0
    refresh = RouteRefresh(IPV4_UNICAST, 0)
    p.now = 60.0
    assert p.handle(p.left, event_for_message(refresh)) == [Deliver(refresh)]
    assert p.left.timers[HoldTimerExpires] == 150.0


def test_update_error_sends_its_notification():
    p = pair()
    p.establish()
    actions = p.handle(p.left, UpdateMsgErr(MalformedAttributeList()))
    assert notification(actions) == (3, 1, b"")
    assert p.left.state is State.Idle
    assert p.notifications_received(p.right) == [(3, 1, b"")]
    assert len(p.got(p.right, SessionDown)) == 1


def test_manual_stop_in_established_sends_6_2_with_shutdown_communication():
    p = pair()
    p.establish()
    actions = p.handle(p.left, ManualStop(communication="maintenance, back at 02:00"))
    text = b"maintenance, back at 02:00"
    assert notification(actions) == (6, 2, bytes([len(text)]) + text)
    assert [type(a) for a in actions] == [Send, Close, SessionDown]
    assert p.left.state is State.Idle
    assert "maintenance" in p.left.reason
    assert p.notifications_received(p.right) == [(6, 2, bytes([len(text)]) + text)]
    assert p.right.state is State.Idle


def test_manual_stop_other_cease_subcode_has_no_communication():
    p = pair()
    p.establish()
    actions = p.handle(p.left, ManualStop(Cease.PEER_DECONFIGURED, "ignored"))
    assert notification(actions) == (6, 3, b"")


def test_manual_stop_before_open_sends_nothing():
    fsm = make_fsm()
    fsm.handle(ManualStart(), 0.0)
    assert [type(a) for a in fsm.handle(ManualStop(), 1.0)] == [Close]
    assert fsm.state is State.Idle


def test_shutdown_communication_is_cut_at_a_character_boundary():
    assert shutdown_communication("") == b"\x00"
    long = "é" * 200  # 400 octets of UTF-8
    data = shutdown_communication(long)
    assert data[0] == 254 == len(data) - 1
    assert data[1:].decode("utf-8") == "é" * 127


def test_peer_closing_established_session():
    p = pair()
    p.establish()
    p.now = 10.0
    actions = p.handle(p.left, TcpConnectionFails())
    assert [type(a) for a in actions] == [Close, SessionDown]
    assert p.left.state is State.Idle


def test_history_records_each_transition_with_its_reason():
    p = pair()
    p.establish()
    p.now = 90.0
    p.expire(p.left)
    history = p.left.history
    assert [(t.old, t.new) for t in history] == [
        (State.Idle, State.Connect),
        (State.Connect, State.OpenSent),
        (State.OpenSent, State.OpenConfirm),
        (State.OpenConfirm, State.Established),
        (State.Established, State.Idle),
    ]
    assert [t.at for t in history] == [0.0, 0.0, 0.0, 0.0, 90.0]
    assert all(t.reason for t in history)
    assert "outbound" in history[1].reason
    assert "AS65002" in history[2].reason
    assert "HoldTimerExpired" in history[-1].reason
    assert p.left.reason == history[-1].reason
    # The right side records why it went down: the NOTIFICATION it received.
    assert p.right.history[-1].reason == "received NOTIFICATION 4/0"
    assert "inbound" in p.right.history[1].reason


def test_event_for_error_routes_errors_by_kind():
    assert isinstance(event_for_error(UnsupportedVersionNumber()), BgpOpenMsgErr)
    assert isinstance(event_for_error(MalformedAttributeList()), UpdateMsgErr)
    assert isinstance(event_for_error(BadMessageLength()), BgpHeaderErr)


def test_invalid_configuration_is_refused():
    with pytest.raises(ValueError):
        make_fsm(hold_time=2)
    with pytest.raises(ValueError):
        Fsm(Open(AS_A, 90, "192.0.2.1"), AS_B, False, 90, connect_retry_time=0)


def test_timers_fire_in_deadline_order_hold_first_on_a_tie():
    p = pair()
    p.establish()
    # Keepalives fired on time at 30 and 60 put the next one at 90, the very
    # deadline of the hold timer the silent right side never restarted.
    for second in (30.0, 60.0):
        p.now = second
        p.expire(p.left)
    assert p.left.timers == {KeepaliveTimerExpires: 90.0, HoldTimerExpires: 90.0}
    p.now = 90.0
    actions = p.expire(p.left)
    assert [type(m) for m in sent(actions)] == [Notification]


def test_history_is_bounded():
    fsm = make_fsm()
    for second in range(HISTORY_SIZE):
        fsm.handle(ManualStart(), float(second))
        fsm.handle(TcpConnectionFails(), float(second))
    assert len(fsm.history) == HISTORY_SIZE
    assert fsm.history[-1].at == HISTORY_SIZE - 1
    assert fsm.history[-1].new is State.Idle


# -- hold time 0 ------------------------------------------------------------------


def test_hold_time_zero_never_sends_keepalive_and_stays_up_for_hours():
    p = pair(left_hold=0, right_hold=0)
    p.establish()
    # RFC 4271 4.4: "If the negotiated Hold Time interval is zero, then
    # periodic KEEPALIVE messages MUST NOT be sent."  The one KEEPALIVE each
    # side sent was OpenSent's answer to the OPEN, not a periodic one.
    baseline = {id(f): sent(p.actions[id(f)]).count(Keepalive()) for f in (p.left, p.right)}
    assert baseline == {id(p.left): 1, id(p.right): 1}
    for minute in range(0, 12 * 60, 7):
        p.now = minute * 60.0
        assert p.expire(p.left) == [] and p.expire(p.right) == []
        if minute % 140 == 0:
            p.handle(p.left, UpdateMsg(object()))  # traffic arms nothing either
    assert p.now > 11 * 3600
    for fsm in (p.left, p.right):
        assert fsm.established
        assert fsm.next_deadline() is None
        assert sent(p.actions[id(fsm)]).count(Keepalive()) == 1
        assert p.got(fsm, SessionDown) == []
        assert fsm.history[-1].new is State.Established


# -- DelayOpen (RFC 4271 8.1.1, 8.2.2) ---------------------------------------


DELAY = {"delay_open_time": 10.0}


@pytest.mark.parametrize(("left_passive", "right_passive"), [(False, True), (True, False)])
@pytest.mark.parametrize("delayed", ["left", "right"])
def test_delay_open_peer_open_first_goes_to_open_confirm(left_passive, right_passive, delayed):
    p = pair(left_passive, right_passive, **{f"{delayed}_options": DELAY})
    initiator = p.right if left_passive else p.left
    p.establish(initiator)
    fsm = getattr(p, delayed)
    other = p.other(fsm)
    # The delaying side sent nothing until the peer's OPEN came, then its own
    # OPEN and KEEPALIVE at once: Connect or Active straight to OpenConfirm.
    first = fsm.history[0].new
    assert first is (State.Active if fsm.passive else State.Connect)
    assert [(t.old, t.new) for t in fsm.history[1:]] == [
        (first, State.OpenConfirm),
        (State.OpenConfirm, State.Established),
    ]
    assert "before the delayed OPEN" in fsm.history[1].reason
    assert [type(m) for m in p.received[id(other)]] == [Open, Keepalive]
    assert [type(m) for m in p.received[id(fsm)]] == [Open, Keepalive]
    assert DelayOpenTimerExpires not in fsm.timers
    assert ConnectRetryTimerExpires not in fsm.timers
    assert fsm.timers == {KeepaliveTimerExpires: 30.0, HoldTimerExpires: 90.0}
    assert [t.new for t in other.history][-3:] == [
        State.OpenSent,
        State.OpenConfirm,
        State.Established,
    ]


def test_delay_open_timer_first_on_both_sides():
    p = pair(left_options=DELAY, right_options=DELAY)
    p.start()
    p.connect(p.left)
    assert p.actions[id(p.left)] == [Connect()]  # no OPEN yet, either side
    assert p.actions[id(p.right)] == []
    assert (p.left.state, p.right.state) == (State.Connect, State.Active)
    # The ConnectRetryTimer stopped; only the DelayOpenTimer runs.
    assert p.left.timers == {DelayOpenTimerExpires: 10.0}
    assert p.right.timers == {DelayOpenTimerExpires: 10.0}
    p.now = 9.9
    p.expire_both()
    assert p.left.state is State.Connect
    p.now = 10.0
    actions = p.expire(p.left)
    assert [type(m) for m in sent(actions)] == [Open]
    # The left OPEN reached the right side while its timer still ran.
    assert p.left.established and p.right.established
    assert "delay open timer expired" in p.left.history[1].reason
    assert p.left.history[1].new is State.OpenSent
    assert p.right.history[1].new is State.OpenConfirm
    assert "before the delayed OPEN" in p.right.history[1].reason
    assert DelayOpenTimerExpires not in p.right.timers
    assert p.expire(p.right) == []


def test_delay_open_timer_sends_open_and_arms_the_large_hold_timer():
    fsm = make_fsm(**DELAY)
    fsm.handle(ManualStart(), 0.0)
    assert fsm.handle(TcpCrAcked(), 1.0) == []
    assert fsm.state is State.Connect
    assert fsm.next_deadline() == 11.0
    # A second connection while the OPEN waits is the driver's collision.
    assert fsm.handle(TcpConnectionConfirmed(), 2.0) == []
    actions = fsm.expire(11.0)
    (message,) = sent(actions)
    assert isinstance(message, Open) and message == fsm.open_message()
    assert fsm.state is State.OpenSent
    assert fsm.timers == {HoldTimerExpires: 11.0 + OPEN_SENT_HOLD_TIME}


def test_delay_open_connection_lost_in_connect_goes_active_and_retries():
    fsm = make_fsm(**DELAY)
    fsm.handle(ManualStart(), 0.0)
    fsm.handle(TcpCrAcked(), 1.0)
    actions = fsm.handle(TcpConnectionFails(), 2.0)
    assert [type(a) for a in actions] == [Close]
    assert fsm.state is State.Active
    assert fsm.timers == {ConnectRetryTimerExpires: 7.0}
    assert "OPEN was delayed" in fsm.reason
    assert fsm.expire(7.0) == [Connect()]
    assert fsm.state is State.Connect


def test_delay_open_connection_lost_in_active_goes_idle():
    fsm = make_fsm(passive=True, **DELAY)
    fsm.handle(ManualStart(), 0.0)
    fsm.handle(TcpConnectionConfirmed(), 1.0)
    assert [type(a) for a in fsm.handle(TcpConnectionFails(), 2.0)] == [Close]
    assert fsm.state is State.Idle
    assert fsm.next_deadline() is None


def test_delay_open_bad_open_is_dropped_without_notification():
    fsm = make_fsm(**DELAY)
    fsm.handle(ManualStart(), 0.0)
    fsm.handle(TcpCrAcked(), 0.0)
    actions = fsm.handle(BgpOpen(peer_open(asn=65099)), 1.0)
    # SendNOTIFICATIONwithoutOPEN is FALSE: no NOTIFICATION before our OPEN.
    assert actions == [Close(fsm.reason)]
    assert fsm.state is State.Idle
    assert "2/2" in fsm.reason and "no NOTIFICATION" in fsm.reason


@pytest.mark.parametrize("event", [KeepAliveMsg(), UpdateMsg(object()), DelayOpenTimerExpires()])
def test_delay_open_other_events_in_connect(event):
    # A KEEPALIVE or UPDATE while the OPEN waits is "any other event": Idle.
    fsm = make_fsm(**DELAY)
    fsm.handle(ManualStart(), 0.0)
    fsm.handle(TcpCrAcked(), 0.0)
    actions = fsm.handle(event, 1.0)
    if isinstance(event, DelayOpenTimerExpires):
        assert fsm.state is State.OpenSent
        assert [type(m) for m in sent(actions)] == [Open]
    else:
        assert [type(a) for a in actions] == [Close]
        assert fsm.state is State.Idle


def test_open_in_connect_without_delay_open_drops_the_connection():
    fsm = make_fsm()
    fsm.handle(ManualStart(), 0.0)
    assert [type(a) for a in fsm.handle(BgpOpen(peer_open()), 1.0)] == [Close]
    assert fsm.state is State.Idle


# -- peer oscillation damping (RFC 4271 8.1.1 DampPeerOscillations) ------------


DAMP = {"idle_hold_time": 2.0, "idle_hold_max_time": 16.0, "idle_hold_stable_time": 60.0}


def test_damping_holds_automatic_start_doubling_to_the_cap():
    fsm = make_fsm(**DAMP)
    now = 0.0
    assert fsm.handle(AutomaticStart(), now) == [Connect()]
    holds = []
    for _ in range(6):
        now += 1.0
        fsm.handle(TcpConnectionFails(), now)
        assert fsm.state is State.Idle
        deadline = fsm.idle_hold_deadline
        assert deadline is not None and fsm.next_deadline() == deadline
        holds.append(deadline - now)
        assert f"idle hold {deadline - now:g}s" in fsm.reason
        # The driver feeds AutomaticStart at once; the FSM holds it back.
        assert fsm.handle(AutomaticStart(), now) == []
        assert fsm.start_pending and fsm.state is State.Idle
        assert fsm.handle(TcpConnectionConfirmed(), now) == []  # Idle refuses
        assert fsm.expire(deadline - 0.01) == []
        now = deadline
        assert fsm.expire(now) == [Connect()]
        assert fsm.state is State.Connect and not fsm.start_pending
        assert fsm.idle_hold_deadline is None
        assert fsm.history[-1].reason == "idle hold timer expired, started, connecting to the peer"
    assert holds == [2.0, 4.0, 8.0, 16.0, 16.0, 16.0]


def test_damping_passive_start_waits_too():
    fsm = make_fsm(passive=True, **DAMP)
    fsm.handle(AutomaticStart(), 0.0)
    fsm.handle(TcpConnectionConfirmed(), 1.0)
    fsm.handle(NotifMsg(Notification(6, 5)), 2.0)
    assert fsm.state is State.Idle
    assert fsm.handle(AutomaticStart(), 2.0) == []
    assert fsm.expire(4.0) == []
    assert fsm.state is State.Active
    assert "idle hold timer expired" in fsm.reason


def test_damping_late_automatic_start_and_expiry_without_start():
    fsm = make_fsm(**DAMP)
    fsm.handle(ManualStart(), 0.0)
    fsm.handle(TcpConnectionFails(), 1.0)
    # The timer fires with no start waiting: nothing happens...
    assert fsm.expire(3.0) == []
    assert fsm.state is State.Idle
    # ...and a later AutomaticStart goes ahead at once, as does one fed after
    # the deadline but before the driver ran ``expire``.
    assert fsm.handle(AutomaticStart(), 5.0) == [Connect()]
    fsm.handle(TcpConnectionFails(), 6.0)
    assert fsm.idle_hold_deadline == 10.0
    assert fsm.handle(AutomaticStart(), 10.0) == [Connect()]


def test_manual_start_overrides_the_hold_and_manual_stop_is_not_damped():
    fsm = make_fsm(**DAMP)
    fsm.handle(ManualStart(), 0.0)
    fsm.handle(TcpConnectionFails(), 1.0)
    fsm.handle(AutomaticStart(), 1.0)
    assert fsm.handle(ManualStart(), 1.5) == [Connect()]
    assert fsm.idle_hold_deadline is None and not fsm.start_pending
    fsm.handle(ManualStop(), 2.0)
    assert fsm.state is State.Idle
    assert fsm.idle_hold_deadline is None
    assert fsm.handle(AutomaticStart(), 2.0) == [Connect()]


def test_damping_is_off_by_default():
    fsm = make_fsm()
    fsm.handle(AutomaticStart(), 0.0)
    fsm.handle(TcpConnectionFails(), 1.0)
    assert fsm.idle_hold_deadline is None and fsm.idle_hold == 0
    assert fsm.handle(AutomaticStart(), 1.0) == [Connect()]
    # A stray IdleHoldTimerExpires is "any other event" outside Idle.
    assert [type(a) for a in fsm.handle(IdleHoldTimerExpires(), 1.0)] == [Close]


def test_damping_grows_while_flapping_and_resets_after_a_stable_session():
    p = pair(left_options=DAMP)

    def bring_up() -> None:
        p.run(p.right, p.right.handle(ManualStart(), p.now))
        p.run(p.left, p.left.handle(AutomaticStart(), p.now))
        if p.left.state is State.Idle:
            assert p.left.start_pending
            p.now = p.left.idle_hold_deadline
            p.expire(p.left)
        p.connect(p.left)
        assert p.left.established and p.right.established

    def flap() -> float:
        """The peer resets the session; the left side's hold for it."""
        p.handle(p.right, ManualStop(Cease.ADMINISTRATIVE_RESET))
        assert p.left.state is State.Idle
        return p.left.idle_hold_deadline - p.now

    bring_up()
    p.now = 10.0
    assert flap() == 2.0
    bring_up()
    p.now += 5.0
    assert flap() == 4.0
    bring_up()
    p.now += 59.0  # up for less than the stable time: still a flap
    for _ in range(2):
        p.expire_both()
    assert flap() == 8.0
    bring_up()
    up_at = p.now
    while p.now < up_at + 60.0:  # keepalives keep it up for the stable time
        p.now += 10.0
        p.expire_both()
    assert p.left.established
    assert flap() == 2.0
    assert "idle hold 2s" in p.left.reason
    assert p.left.idle_hold == 4.0  # the next flap doubles again
    assert len(p.got(p.left, SessionEstablished)) == 4


def test_invalid_optional_attributes_are_refused():
    with pytest.raises(ValueError):
        make_fsm(delay_open_time=-1)
    with pytest.raises(ValueError):
        make_fsm(idle_hold_time=-1)
    with pytest.raises(ValueError):
        make_fsm(idle_hold_time=10, idle_hold_max_time=5)
    with pytest.raises(TypeError):
        Fsm(Open(AS_A, 90, "192.0.2.1"), AS_B, False, 90, 5.0, 10.0)  # keyword-only


# -- connection collisions (RFC 4271 6.8) --------------------------------------


@pytest.mark.parametrize("state", [State.OpenSent, State.OpenConfirm, State.Established])
def test_open_collision_dump_sends_6_7_and_closes(state):
    _, fsm = to_state(state)
    actions = fsm.handle(OpenCollisionDump("test"), 1.0)
    assert notification(actions) == (6, 7, b"")
    expected = [Send, Close] + ([SessionDown] if state is State.Established else [])
    assert [type(a) for a in actions] == expected
    assert fsm.state is State.Idle
    assert fsm.reason == "test; this connection dumped, sent NOTIFICATION 6/7"


@pytest.mark.parametrize("state", [State.Idle, State.Connect])
def test_open_collision_dump_before_open_sends_nothing(state):
    fsm = make_fsm()
    if state is State.Connect:
        fsm.handle(ManualStart(), 0.0)
    actions = fsm.handle(OpenCollisionDump(), 1.0)
    assert [type(a) for a in actions] == ([] if state is State.Idle else [Close])
    assert fsm.state is State.Idle


def test_collision_dump_is_not_damped():
    _, fsm = to_state(State.OpenConfirm)
    damped = make_fsm(**DAMP)
    damped.handle(ManualStart(), 0.0)
    damped.handle(TcpCrAcked(), 0.0)
    damped.handle(OpenCollisionDump(), 1.0)
    assert damped.idle_hold_deadline is None


def test_identifiers_compare_as_unsigned_32_bit():
    assert identifier("128.0.0.1") > identifier("127.255.255.255")
    assert identifier("255.255.255.255") == 0xFFFFFFFF > identifier("0.0.0.1")
    assert identifier(7) == 7
    with pytest.raises(ValueError):
        identifier(1 << 32)


IN, OUT = Direction.INBOUND, Direction.OUTBOUND
# (local id, remote id, the connection the higher identifier initiated)
ORDERINGS = [
    ("192.0.2.2", "192.0.2.1", OUT),
    ("192.0.2.1", "192.0.2.2", IN),
    ("128.0.0.1", "127.255.255.255", OUT),  # wrong if compared as signed
    ("127.255.255.255", "128.0.0.1", IN),
    (0xFFFFFFFF, "0.0.0.1", OUT),
]
NO_COLLISION_STATES = [State.Idle, State.Connect, State.Active, State.OpenSent]
OPEN_STATES = [State.OpenSent, State.OpenConfirm]  # where the OPEN arrives


def states_for(received_on: Direction, here: State, other: State) -> tuple[State, State]:
    """(inbound, outbound) states."""
    return (here, other) if received_on is IN else (other, here)


@pytest.mark.parametrize(("local", "remote", "winner"), ORDERINGS)
@pytest.mark.parametrize("received_on", [IN, OUT])
@pytest.mark.parametrize("here", OPEN_STATES)
def test_collision_with_open_confirm_keeps_the_higher_identifiers_connection(
    local, remote, winner, received_on, here
):
    inbound, outbound = states_for(received_on, here, State.OpenConfirm)
    decision = decide(local, remote, inbound, outbound, received_on)
    assert decision.keep is winner and decision.dump is winner.other
    assert decision.reason.startswith("connection collision")


@pytest.mark.parametrize(("local", "remote", "winner"), ORDERINGS)
@pytest.mark.parametrize("received_on", [IN, OUT])
@pytest.mark.parametrize("here", OPEN_STATES)
def test_collision_with_established_keeps_established(local, remote, winner, received_on, here):
    inbound, outbound = states_for(received_on, here, State.Established)
    decision = decide(local, remote, inbound, outbound, received_on)
    assert decision.keep is received_on.other and decision.dump is received_on
    assert "Established" in decision.reason
    # CollisionDetectEstablishedState: the identifiers decide even then.
    decision = decide(local, remote, inbound, outbound, received_on, detect_established=True)
    assert decision.keep is winner


@pytest.mark.parametrize(("local", "remote", "winner"), ORDERINGS[:2])
@pytest.mark.parametrize("received_on", [IN, OUT])
@pytest.mark.parametrize("other", NO_COLLISION_STATES)
@pytest.mark.parametrize("here", OPEN_STATES)
def test_no_collision_with_idle_connect_active_or_open_sent(
    local, remote, winner, received_on, other, here
):
    inbound, outbound = states_for(received_on, here, other)
    assert decide(local, remote, inbound, outbound, received_on) is None


@pytest.mark.parametrize("received_on", [IN, OUT])
@pytest.mark.parametrize("other", [State.OpenConfirm, State.Established])
def test_no_collision_when_the_open_was_refused(received_on, other):
    # The FSM refused the OPEN and went to Idle: the other connection lives.
    inbound, outbound = states_for(received_on, State.Idle, other)
    assert decide("192.0.2.1", "192.0.2.2", inbound, outbound, received_on) is None


@pytest.mark.parametrize(
    ("local_as", "remote_as", "winner"),
    [(65002, 65001, OUT), (65001, 65002, IN), (65001, 65001, None), (None, None, None)],
)
@pytest.mark.parametrize("received_on", [IN, OUT])
def test_collision_with_equal_identifiers(local_as, remote_as, winner, received_on):
    # RFC 6286 2.3: the larger AS number's connection wins; failing that, the
    # connection that was there first.
    inbound, outbound = states_for(received_on, State.OpenConfirm, State.OpenConfirm)
    decision = decide(
        "192.0.2.1",
        "192.0.2.1",
        inbound,
        outbound,
        received_on,
        local_as=local_as,
        remote_as=remote_as,
    )
    assert decision.keep is (winner or received_on.other)


class Speaker:
    """One BGP speaker's two FSMs for its peer, and its collision handling."""

    def __init__(self, asn: int, router_id: str, peer_as: int) -> None:
        self.router_id = router_id
        self.asn = asn
        self.fsms = {
            IN: make_fsm(asn, router_id, peer_as, passive=True),
            OUT: make_fsm(asn, router_id, peer_as, passive=False),
        }
        self.pairs: dict[Direction, Pair] = {}
        self.collisions: list = []

    def received_open(self, direction: Direction, now: float) -> None:
        """What the driver does after feeding an OPEN to one connection's FSM."""
        fsm = self.fsms[direction]
        remote = fsm.remote_open
        if remote is None:
            return
        collision = resolve_collision(
            self.router_id,
            remote.router_id,
            self.fsms[IN],
            self.fsms[OUT],
            direction,
            now,
            local_as=self.asn,
            remote_as=remote.peer_asn,
        )
        if collision is not None:
            self.collisions.append(collision)
            dumped = self.fsms[collision.dump]
            self.pairs[collision.dump].run(dumped, collision.actions)


def two_connections(a_id: str, b_id: str) -> tuple[Speaker, Speaker, Pair, Pair]:
    """A and B connect to each other at once: both OPENs in flight both ways."""
    a = Speaker(AS_A, a_id, AS_B)
    b = Speaker(AS_B, b_id, AS_A)
    a_to_b = Pair(a.fsms[OUT], b.fsms[IN])
    b_to_a = Pair(b.fsms[OUT], a.fsms[IN])
    a.pairs = {OUT: a_to_b, IN: b_to_a}
    b.pairs = {OUT: b_to_a, IN: a_to_b}
    for p in (a_to_b, b_to_a):
        p.paused = True
        p.start()
        p.connect(p.left)
    assert all(f.state is State.OpenSent for s in (a, b) for f in s.fsms.values())
    return a, b, a_to_b, b_to_a


@pytest.mark.parametrize(("a_id", "b_id"), [("192.0.2.1", "192.0.2.2"), ("192.0.2.2", "192.0.2.1")])
@pytest.mark.parametrize("a_first", [OUT, IN])
def test_collision_end_to_end_both_speakers_keep_the_same_connection(a_id, b_id, a_first):
    a, b, a_to_b, b_to_a = two_connections(a_id, b_id)
    # A gets B's OPEN on one connection, then on the other; then B does.
    for speaker, first in ((a, a_first), (b, a_first.other)):
        for direction in (first, first.other):
            speaker.pairs[direction].deliver_to(speaker.fsms[direction])
            speaker.received_open(direction, 0.0)
    for p in (a_to_b, b_to_a):
        p.release()

    # The connection initiated by the higher identifier survives, on both sides.
    kept = a_to_b if identifier(a_id) > identifier(b_id) else b_to_a
    dumped = b_to_a if kept is a_to_b else a_to_b
    for speaker in (a, b):
        (collision,) = speaker.collisions
        assert speaker.pairs[collision.keep] is kept
        assert notification(collision.actions) == (6, 7, b"")
    assert kept.left.established and kept.right.established
    assert dumped.left.state is State.Idle and dumped.right.state is State.Idle
    # 6/7 went out on the dumped connection only, and was heard there.
    for fsm in (dumped.left, dumped.right):
        assert notification(dumped.actions[id(fsm)]) == (6, 7, b"")
        assert "dumped, sent NOTIFICATION 6/7" in fsm.reason
    assert (6, 7, b"") in dumped.notifications_received(dumped.left) + (
        dumped.notifications_received(dumped.right)
    )
    for fsm in (kept.left, kept.right):
        assert kept.notifications_received(fsm) == []
        assert [t.new for t in fsm.history][-1] is State.Established


@pytest.mark.parametrize(("a_id", "b_id"), [("192.0.2.1", "192.0.2.2"), ("192.0.2.2", "192.0.2.1")])
def test_collision_end_to_end_established_connection_wins(a_id, b_id):
    a, b, a_to_b, b_to_a = two_connections(a_id, b_id)
    # A's outbound connection comes all the way up before B's OPEN arrives on
    # the other one.
    a_to_b.release()
    assert a_to_b.left.established and a_to_b.right.established
    for speaker, direction in ((a, IN), (b, OUT)):
        speaker.pairs[direction].deliver_to(speaker.fsms[direction])
        speaker.received_open(direction, 0.0)
    b_to_a.release()
    for speaker in (a, b):
        (collision,) = speaker.collisions
        assert speaker.pairs[collision.keep] is a_to_b
        assert "Established" in collision.reason
    assert a_to_b.left.established and a_to_b.right.established
    assert a_to_b.got(a_to_b.left, SessionDown) == []
    assert b_to_a.left.state is State.Idle and b_to_a.right.state is State.Idle
    assert notification(b_to_a.actions[id(b_to_a.left)]) == (6, 7, b"")


# -- the OPEN of a kept FSM ------------------------------------------------


def test_use_open_changes_the_next_sessions_open_only_in_idle():
    """Damping keeps one FSM for good: the Restart State bit of the first
    session after a worker restart must not stay in the OPEN it sends."""
    restarting = Open(AS_A, 90, "192.0.2.1", capabilities=(
        GracefulRestart(GracefulRestart.RESTART_STATE, 60, ((IPV4_UNICAST, 0x80),)),))
    fsm = Fsm(restarting, AS_B, False, 90, **DAMP)
    fsm.handle(ManualStart(), 0.0)
    (first,) = sent(fsm.handle(TcpCrAcked(), 0.0))
    assert first.capability(GracefulRestart).restart_flags == GracefulRestart.RESTART_STATE
    with pytest.raises(ValueError, match="only in Idle"):
        fsm.use_open(restarting)
    fsm.handle(NotifMsg(Notification(6, 4)), 1.0)
    assert fsm.state is State.Idle
    fsm.use_open(Open(AS_A, 30, "192.0.2.1", capabilities=(
        GracefulRestart(0, 60, ((IPV4_UNICAST, 0x80),)),)))
    assert fsm.open_message().hold_time == 90  # the configured one stays
    fsm.handle(AutomaticStart(), 1.0)
    fsm.expire(3.0)
    (second,) = sent(fsm.handle(TcpCrAcked(), 3.0))
    assert second.capability(GracefulRestart).restart_flags == 0


# -- which drops graceful restart survives (RFC 4724 4.2) --------------------


def test_session_down_is_graceful_for_a_lost_connection_and_the_hold_timer():
    p = pair(right_hold=9, left_hold=9)
    p.establish()
    p.connected = False  # the wire is cut: no NOTIFICATION gets through
    (down,) = [a for a in p.right.handle(TcpConnectionFails(), 1.0) if type(a) is SessionDown]
    assert down.graceful
    (down,) = [a for a in p.left.expire(100.0) if type(a) is SessionDown]
    assert down.graceful and "4/0" in down.reason


@pytest.mark.parametrize("how", ["notification", "stop", "update error"])
def test_session_down_is_not_graceful_after_a_notification(how):
    p = pair()
    p.establish()
    if how == "notification":
        actions = p.left.handle(NotifMsg(Notification(6, 2)), 1.0)
    elif how == "stop":
        actions = p.left.handle(ManualStop(), 1.0)
    else:
        actions = p.left.handle(UpdateMsgErr(MalformedAttributeList("x")), 1.0)
    (down,) = [a for a in actions if type(a) is SessionDown]
    assert not down.graceful


# -- graceful restart timers, receiving speaker (bgpmesh.graceful) -----------

V4 = IPV4_UNICAST
V6 = IPV6_UNICAST


def gr_open(restart_time=120, families=((V4, 0x80),), flags=0, long_lived=None) -> Open:
    caps = [GracefulRestart(flags, restart_time, families)]
    if long_lived is not None:
        caps.append(LongLivedGracefulRestart(long_lived))
    return Open(AS_B, 90, "192.0.2.2", capabilities=tuple(caps))


def test_retention_needs_graceful_restart_on_both_sides_and_the_family_listed():
    ours = gr_open(60, ())
    assert retention(ours, gr_open(120), [V4, V6]) == {V4: Retention(120.0, 0.0)}
    assert retention(Open(AS_A, 90, "192.0.2.1"), gr_open(120), [V4]) == {}
    assert retention(ours, Open(AS_B, 90, "192.0.2.2"), [V4]) == {}
    # long-lived: only when we offer it too, and with Graceful Restart
    theirs = gr_open(0, (), long_lived=((V6, 0x80, 3600),))
    assert retention(ours, theirs, [V4, V6]) == {}
    ours_ll = Open(AS_A, 90, "192.0.2.1", capabilities=(
        GracefulRestart(0, 60, ()), LongLivedGracefulRestart(((V6, 0x80, 10),))))
    assert retention(ours_ll, theirs, [V4, V6]) == {V6: Retention(0.0, 3600.0)}
    assert preserved(gr_open(families=((V4, 0x80), (V6, 0)))) == {V4}
    assert preserved(gr_open(families=(), long_lived=((V6, 0x80, 5),))) == {V6}
    assert preserved(Open(AS_B, 90, "192.0.2.2")) == frozenset()


def test_stale_routes_until_end_of_rib():
    stale = StaleRoutes()
    actions = stale.dropped({V4: ["10.0.0.0/24", "10.0.1.0/24"]}, {V4: Retention(120, 0)},
                            True, 10.0)
    assert actions == [StaleMarked(V4, "restart", 130.0)]
    assert stale.next_deadline() == 130.0 and stale.phase(V4) == "restart"
    assert stale.expire(129.9) == []
    # back in time: the deadline becomes the End-of-RIB bound
    assert stale.established(frozenset({V4}), 20.0) == [
        StaleMarked(V4, "restart", 20.0 + STALE_PATH_TIME, True)]
    stale.refreshed(V4, "10.0.0.0/24")  # announced again: fresh
    assert stale.end_of_rib(V6, 21.0) == []
    assert stale.end_of_rib(V4, 21.0) == [
        StaleWithdrawn(V4, frozenset({"10.0.1.0/24"}), "End-of-RIB")]
    assert not stale and stale.next_deadline() is None


def test_stale_routes_go_when_the_restart_time_runs_out():
    stale = StaleRoutes()
    stale.dropped({V4: ["p"]}, {V4: Retention(120, 0)}, True, 0.0)
    assert stale.expire(120.0) == [StaleWithdrawn(V4, frozenset({"p"}),
                                                  "the restart time ran out")]
    assert not stale


def test_stale_routes_end_of_rib_bound_when_the_peer_never_sends_it():
    stale = StaleRoutes(stale_path_time=30.0)
    stale.dropped({V4: ["p"]}, {V4: Retention(120, 0)}, True, 0.0)
    stale.established(frozenset({V4}), 5.0)
    assert stale.next_deadline() == 35.0
    assert stale.expire(35.0) == [StaleWithdrawn(V4, frozenset({"p"}), "no End-of-RIB in time")]


def test_stale_routes_not_kept_without_the_forwarding_state_bit_or_when_not_graceful():
    stale = StaleRoutes()
    stale.dropped({V4: ["a"], V6: ["b"]}, {V4: Retention(60, 0), V6: Retention(60, 0)},
                  True, 0.0)
    actions = stale.established(frozenset({V6}), 1.0)
    assert actions[0] == StaleWithdrawn(V4, frozenset({"a"}),
                                        "the peer did not preserve its forwarding state")
    assert stale.phase(V6) == "restart"
    # a NOTIFICATION: nothing kept, what was stale goes
    assert stale.dropped({V6: ["b", "c"]}, {V6: Retention(60, 0)}, False, 2.0) == [
        StaleWithdrawn(V6, frozenset({"b"}), "the session dropped again before End-of-RIB")]
    assert not stale
    # a family the peer did not list is not kept either
    assert stale.dropped({V4: ["a"]}, {V6: Retention(60, 0)}, True, 3.0) == []


def test_consecutive_restarts_delete_what_was_stale_before():
    stale = StaleRoutes()
    stale.dropped({V4: ["old", "both"]}, {V4: Retention(60, 0)}, True, 0.0)
    stale.established(frozenset({V4}), 1.0)
    stale.refreshed(V4, "both")
    actions = stale.dropped({V4: ["old", "both", "new"]}, {V4: Retention(60, 0)}, True, 2.0)
    assert actions == [
        StaleWithdrawn(V4, frozenset({"old"}), "the session dropped again before End-of-RIB"),
        StaleMarked(V4, "restart", 62.0)]
    assert stale.keys(V4) == {"both", "new"}


def test_long_lived_phase_after_the_restart_time_then_withdrawn():
    stale = StaleRoutes()
    stale.dropped({V4: ["a", "b"]}, {V4: Retention(60, 3600)}, True, 0.0)
    actions = stale.expire(60.0)
    assert actions == [LongLivedStarted(V4, 3660.0, frozenset({"a", "b"})),
                       StaleMarked(V4, "long-lived", 3660.0)]
    stale.refreshed(V4, "b")  # the driver dropped it: NO_LLGR
    assert stale.phase(V4) == "long-lived" and stale.next_deadline() == 3660.0
    assert stale.expire(3659.0) == []
    assert stale.expire(3660.0) == [StaleWithdrawn(V4, frozenset({"a"}),
                                                   "the long-lived stale time ran out")]


def test_long_lived_at_once_with_a_zero_restart_time_and_kept_through_the_session():
    stale = StaleRoutes(stale_path_time=360.0)
    actions = stale.dropped({V6: ["a"]}, {V6: Retention(0, 100)}, True, 0.0)
    assert actions == [LongLivedStarted(V6, 100.0, frozenset({"a"})),
                       StaleMarked(V6, "long-lived", 100.0)]
    # back before the stale time: End-of-RIB, or the stale time, ends it
    assert stale.established(frozenset({V6}), 50.0) == [
        StaleMarked(V6, "long-lived", 100.0, True)]
    assert stale.expire(100.0) == [StaleWithdrawn(V6, frozenset({"a"}),
                                                  "no End-of-RIB in time")]


def test_stale_routes_clear_withdraws_everything():
    stale = StaleRoutes()
    stale.dropped({V4: ["a"]}, {V4: Retention(60, 0)}, True, 0.0)
    assert stale.clear() == [StaleWithdrawn(V4, frozenset({"a"}), "the neighbor stopped")]
    assert stale.expire(1000.0) == []
