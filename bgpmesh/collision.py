"""Connection collision detection and resolution, RFC 4271 section 6.8.

Theory of operation
-------------------
Two speakers that connect to each other at the same time end up with two TCP
connections, so the driver runs two ``Fsm`` for one peer: the *outbound* one
(we connected) and the *inbound* one (the peer connected).  RFC 4271 6.8:

    "Upon receipt of an OPEN message, the local system MUST examine all of its
    connections that are in the OpenConfirm state. [...] The convention is to
    compare the BGP Identifiers of the peers involved in the collision and to
    retain only the connection initiated by the BGP speaker with the
    higher-valued BGP Identifier."

So the driver, each time an OPEN arrives on one connection, feeds it to that
connection's FSM as usual and then calls::

    collision = resolve_collision(local_id, remote_open.router_id,
                                  inbound_fsm, outbound_fsm, received_on, now,
                                  local_as=..., remote_as=remote_open.peer_asn)
    if collision is not None:
        run(collision.dump, collision.actions)   # Send 6/7, Close
        forget the connection collision.dump names

The OPEN is fed first so that only a *valid* OPEN ("Collision detection
mechanisms (Section 6.8) need to be applied when a valid BGP OPEN message is
received", 8.2.2) can cost the other connection its life: an FSM that refused
the OPEN is in Idle, and an Idle connection collides with nothing.

Rules
-----
- Identifiers compare as unsigned 32-bit integers ("converting them to host
  byte order and treating them as 4-octet unsigned integers").
- If the identifiers are equal (possible between ASes since RFC 6286), RFC
  6286 section 2.3: "the connection initiated by the BGP speaker with the
  larger AS number is preserved".  With equal AS numbers too (the FSM already
  refuses that OPEN with 2/3) the connection that was there first is kept.
- The other connection collides only in OpenConfirm, or in Established.  6.8:
  "a connection collision cannot be detected with connections that are in
  Idle, Connect, or Active states"; in OpenSent it MAY be, "if it knows the BGP
  Identifier of the peer by means outside of the protocol" - we do not, and
  the collision is found anyway when that connection's own OPEN arrives.
- "Unless allowed via configuration, a connection collision with an existing
  BGP connection that is in the Established state causes closing of the newly
  created connection."  ``detect_established=True`` is that configuration
  (8.1.1 CollisionDetectEstablishedState): the identifiers decide even then.
- The losing FSM gets ``OpenCollisionDump`` (Event 23) and answers with Cease,
  Connection Collision Resolution (6/7, RFC 4486) and ``Close``.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress

from bgpmesh.fsm import Action, Fsm, OpenCollisionDump, State


class Direction(enum.Enum):
    """Who initiated a connection."""

    INBOUND = "inbound"  # the peer connected to us
    OUTBOUND = "outbound"  # we connected to the peer

    @property
    def other(self) -> Direction:
        return Direction.OUTBOUND if self is Direction.INBOUND else Direction.INBOUND


@dataclasses.dataclass(frozen=True)
class Decision:
    """Which connection to keep, which to dump, and why."""

    keep: Direction
    dump: Direction
    reason: str


@dataclasses.dataclass(frozen=True)
class Collision:
    """A resolved collision: ``actions`` are the dumped connection's to run."""

    keep: Direction
    dump: Direction
    reason: str
    actions: list[Action]


def identifier(value: str | int) -> int:
    """A BGP Identifier as the unsigned 32-bit integer 6.8 compares."""
    if isinstance(value, int):
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"BGP identifier out of range: {value}")
        return value
    return int(ipaddress.IPv4Address(value))


def decide(
    local_id: str | int,
    remote_id: str | int,
    inbound: State,
    outbound: State,
    received_on: Direction,
    *,
    local_as: int | None = None,
    remote_as: int | None = None,
    detect_established: bool = False,
) -> Decision | None:
    """Whether an OPEN received on ``received_on`` collides, and who wins.

    ``inbound`` and ``outbound`` are the two FSMs' states; ``remote_id`` is the
    BGP Identifier of the OPEN just received.  None means no collision: the
    other connection is in Idle, Connect, Active or OpenSent, or the one the
    OPEN came on has already gone to Idle.
    """
    states = {Direction.INBOUND: inbound, Direction.OUTBOUND: outbound}
    other = received_on.other
    if states[received_on] is State.Idle:
        return None
    if states[other] is State.Established and not detect_established:
        return Decision(
            other,
            received_on,
            f"collision with the Established {other.value} connection, which is kept",
        )
    if states[other] not in (State.OpenConfirm, State.Established):
        return None
    local, remote = identifier(local_id), identifier(remote_id)
    if local != remote:
        # "retain only the connection initiated by the BGP speaker with the
        # higher-valued BGP Identifier"
        keep = Direction.OUTBOUND if local > remote else Direction.INBOUND
        higher = "local" if local > remote else "remote"
        reason = f"{higher} BGP identifier is higher, the {keep.value} connection is kept"
    elif local_as is not None and remote_as is not None and local_as != remote_as:
        keep = Direction.OUTBOUND if local_as > remote_as else Direction.INBOUND
        reason = f"equal BGP identifiers, larger AS initiated the {keep.value} connection (RFC 6286)"
    else:
        keep = other
        reason = f"equal BGP identifiers and AS, the earlier {keep.value} connection is kept"
    return Decision(keep, keep.other, f"connection collision: {reason}")


def resolve_collision(
    local_id: str | int,
    remote_id: str | int,
    inbound: Fsm,
    outbound: Fsm,
    received_on: Direction,
    now: float,
    *,
    local_as: int | None = None,
    remote_as: int | None = None,
    detect_established: bool = False,
) -> Collision | None:
    """``decide`` on the two FSMs, and dump the loser: it sends 6/7 and closes.

    Returns None when there is no collision; otherwise the decision and the
    actions of the dumped FSM, which the driver runs on that connection.
    """
    decision = decide(
        local_id,
        remote_id,
        inbound.state,
        outbound.state,
        received_on,
        local_as=local_as,
        remote_as=remote_as,
        detect_established=detect_established,
    )
    if decision is None:
        return None
    loser = inbound if decision.dump is Direction.INBOUND else outbound
    actions = loser.handle(OpenCollisionDump(decision.reason), now)
    return Collision(decision.keep, decision.dump, decision.reason, actions)
