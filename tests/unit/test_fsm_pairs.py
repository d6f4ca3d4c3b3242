"""Every (state, event) pair of RFC 4271 section 8, against a table read from the RFC.

``test_fsm.py`` walks sessions through the FSM; this file is the exhaustive
check.  ``EXPECTED`` is written from RFC 4271 section 8.2.2 (and RFC 6608 for
the FSM error subcodes), not from ``bgpmesh.fsm._TRANSITIONS``, so a change to
the table that the RFC does not allow fails here.  For each pair it gives the
state after the event and the NOTIFICATION sent (code, subcode), or None.

The FSM under test has the RFC's defaults: no DelayOpen, no damping.  Connect
is an active FSM that asked for its TCP connection; Active is a passive FSM
waiting for one.
"""

from __future__ import annotations

import pytest

from bgpmesh.codec import Multiprotocol, Notification, Open, OperationalMessage, RouteRefresh
from bgpmesh.errors import BadMessageLength, MalformedAttributeList, UnsupportedVersionNumber
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST
from bgpmesh.fsm import (
    AutomaticStart,
    BgpHeaderErr,
    BgpOpen,
    BgpOpenMsgErr,
    ConnectRetryTimerExpires,
    DelayOpenTimerExpires,
    Fsm,
    HoldTimerExpires,
    IdleHoldTimerExpires,
    KeepAliveMsg,
    KeepaliveTimerExpires,
    ManualStart,
    ManualStop,
    NotifMsg,
    OpenCollisionDump,
    OperationalMsg,
    RouteRefreshMsg,
    State,
    TcpConnectionConfirmed,
    TcpConnectionFails,
    TcpCrAcked,
    UpdateMsg,
    UpdateMsgErr,
)
from tests.unit.test_fsm import make_fsm, notification, peer_open, sent, to_state

Idle, Connect, Active = State.Idle, State.Connect, State.Active
OpenSent, OpenConfirm, Established = State.OpenSent, State.OpenConfirm, State.Established

EVENTS = {
    "ManualStart": ManualStart(),
    "ManualStop": ManualStop(),
    "AutomaticStart": AutomaticStart(),
    "ConnectRetryTimerExpires": ConnectRetryTimerExpires(),
    "HoldTimerExpires": HoldTimerExpires(),
    "KeepaliveTimerExpires": KeepaliveTimerExpires(),
    "DelayOpenTimerExpires": DelayOpenTimerExpires(),
    "IdleHoldTimerExpires": IdleHoldTimerExpires(),
    "TcpCrAcked": TcpCrAcked(),
    "TcpConnectionConfirmed": TcpConnectionConfirmed(),
    "TcpConnectionFails": TcpConnectionFails(),
    "BgpOpen": BgpOpen(peer_open()),
    "BgpHeaderErr": BgpHeaderErr(BadMessageLength(b"\x00\x10")),
    "BgpOpenMsgErr": BgpOpenMsgErr(UnsupportedVersionNumber(b"\x00\x04")),
    "OpenCollisionDump": OpenCollisionDump(),
    "NotifMsg": NotifMsg(Notification(6, 2, b"")),
    "KeepAliveMsg": KeepAliveMsg(),
    "UpdateMsg": UpdateMsg(object()),
    "UpdateMsgErr": UpdateMsgErr(MalformedAttributeList()),
    "RouteRefreshMsg": RouteRefreshMsg(RouteRefresh(IPV4_UNICAST, 0)),
    "OperationalMsg": OperationalMsg(OperationalMessage(1, IPV4_UNICAST, "maintenance")),
}

# Idle (8.2.2): the start events leave Idle; "any other event received in the
# Idle state does not cause change in the state of the local system".
IDLE = {name: (Idle, None) for name in EVENTS}
IDLE.update(ManualStart=(Connect, None), AutomaticStart=(Connect, None))

# Connect and Active: starts are ignored; TCP up sends the OPEN; the
# ConnectRetryTimer (re)connects; "any other event" (including header and
# OPEN errors, since SendNOTIFICATIONwithoutOPEN is FALSE, and TCP failure
# without DelayOpen) drops the connection and goes to Idle with no
# NOTIFICATION: no OPEN was sent.
WAITING = {name: (Idle, None) for name in EVENTS}
WAITING.update(
    ManualStart=(None, None), AutomaticStart=(None, None),  # None: state unchanged
    TcpCrAcked=(OpenSent, None), TcpConnectionConfirmed=(OpenSent, None),
    ConnectRetryTimerExpires=(Connect, None),
)

# OpenSent, OpenConfirm, Established: starts and a second TCP connection are
# ignored (collisions are the driver's); ManualStop is Cease 6/2; the
# HoldTimer is 4/0; a NOTIFICATION closes without answer; header and OPEN
# errors send their own NOTIFICATION; the collision dump sends Cease 6/7;
# a message the state does not expect is RFC 6608's 5/1, 5/2 or 5/3, and any
# other event is an FSM error, 5/0.  A timer event for a timer that is not
# running (DelayOpen without the attribute) is "any other event" too: in
# Connect and Active it drops to Idle instead of sending an OPEN on no
# connection.
def _connected(subcode: int) -> dict:
    table = {name: (Idle, (5, 0)) for name in EVENTS}
    for message in ("KeepAliveMsg", "UpdateMsg", "UpdateMsgErr", "RouteRefreshMsg",
                    "OperationalMsg", "BgpOpen", "BgpOpenMsgErr"):
        table[message] = (Idle, (5, subcode))
    table.update(
        ManualStart=(None, None), AutomaticStart=(None, None),
        TcpCrAcked=(None, None), TcpConnectionConfirmed=(None, None),
        ManualStop=(Idle, (6, 2)), HoldTimerExpires=(Idle, (4, 0)),
        NotifMsg=(Idle, None), BgpHeaderErr=(Idle, (1, 2)),
        OpenCollisionDump=(Idle, (6, 7)),
    )
    return table


OPEN_SENT = _connected(1)
OPEN_SENT.update(
    TcpConnectionFails=(Active, None),  # "changes its state to Active"
    BgpOpen=(OpenConfirm, None),
    BgpOpenMsgErr=(Idle, (2, 1)),
)
OPEN_CONFIRM = _connected(2)
OPEN_CONFIRM.update(
    TcpConnectionFails=(Idle, None), KeepaliveTimerExpires=(None, None),
    KeepAliveMsg=(Established, None), BgpOpenMsgErr=(Idle, (2, 1)),
)
ESTABLISHED = _connected(3)
ESTABLISHED.update(
    TcpConnectionFails=(Idle, None), KeepaliveTimerExpires=(None, None),
    KeepAliveMsg=(None, None), UpdateMsg=(None, None), RouteRefreshMsg=(None, None),
    UpdateMsgErr=(Idle, (3, 1)),
    # An OPERATIONAL message on a session that did not negotiate capability
    # 185 is a message type the session does not know: 1/3 Bad Message Type.
    OperationalMsg=(Idle, (1, 3)),
)

EXPECTED = {Idle: IDLE, Connect: WAITING, Active: WAITING, OpenSent: OPEN_SENT,
            OpenConfirm: OPEN_CONFIRM, Established: ESTABLISHED}


def fsm_in(state: State):
    if state is Idle:
        return make_fsm()
    if state in (Connect, Active):
        fsm = make_fsm(passive=state is Active)
        fsm.handle(ManualStart(), 0.0)
        assert fsm.state is state
        return fsm
    _, fsm = to_state(state)
    return fsm


CASES = [(state, name) for state in EXPECTED for name in EVENTS]


def test_the_table_has_every_pair():
    assert all(set(table) == set(EVENTS) for table in EXPECTED.values())
    assert len(CASES) == 6 * len(EVENTS)


@pytest.mark.parametrize(("state", "name"), CASES, ids=[f"{s.value}-{n}" for s, n in CASES])
def test_state_event_pair(state, name):
    after, expected = EXPECTED[state][name]
    fsm = fsm_in(state)
    actions = fsm.handle(EVENTS[name], 1.0)
    assert fsm.state is (state if after is None else after), fsm.reason
    notifications = [m for m in sent(actions) if isinstance(m, Notification)]
    if expected is None:
        assert notifications == [], notifications
    else:
        assert notification(actions)[:2] == expected


# -- RFC 5492 section 5: no family in common ---------------------------------


def test_no_family_in_common_is_unsupported_capability_with_our_multiprotocol():
    ipv6_only = Open(65001, 90, "192.0.2.1", (Multiprotocol(IPV6_UNICAST),))
    # a peer with IPv4 unicast only (explicitly, or by sending no Multiprotocol)
    for theirs in ((Multiprotocol(IPV4_UNICAST),), ()):
        fsm = Fsm(ipv6_only, 65002, False, 90)
        fsm.handle(ManualStart(), 0.0)
        fsm.handle(TcpCrAcked(), 0.0)
        actions = fsm.handle(BgpOpen(Open(65002, 90, "192.0.2.2", theirs)), 1.0)
        code, subcode, data = notification(actions)
        assert (code, subcode) == (2, 7)
        assert data == Multiprotocol(IPV6_UNICAST).encode()  # 01 04 0002 00 01
        assert data == bytes.fromhex("010400020001")
        assert fsm.state is Idle


def test_one_family_in_common_is_enough():
    ours = Open(65001, 90, "192.0.2.1", (Multiprotocol(IPV4_UNICAST), Multiprotocol(IPV6_UNICAST)))
    fsm = Fsm(ours, 65002, False, 90)
    fsm.handle(ManualStart(), 0.0)
    fsm.handle(TcpCrAcked(), 0.0)
    fsm.handle(BgpOpen(Open(65002, 90, "192.0.2.2", (Multiprotocol(IPV6_UNICAST),))), 1.0)
    assert fsm.state is OpenConfirm
    assert fsm.negotiated.families == {IPV6_UNICAST}
