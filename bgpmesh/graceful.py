"""Graceful restart as the receiving speaker (RFC 4724 section 4.2, RFC 9494), without I/O.

Theory of operation
-------------------
One ``StaleRoutes`` per neighbor outlives its sessions.  When a session whose
peer can restart gracefully drops without a NOTIFICATION, the routes the peer
had announced are not withdrawn: they become *stale*, per family, for as long
as the peer said in its last OPEN.  The driver tells it what happens and
executes what comes back, as with ``bgpmesh.fsm``:

    driver                                   StaleRoutes
    ------                                   -----------
    session dropped (routes held)   ------>  dropped(held, retained, graceful, now)
    session up (the new OPEN)       ------>  established(preserved, now)
    route announced / withdrawn     ------>  refreshed(family, key)
    End-of-RIB                      ------>  end_of_rib(family, now)
    timer                           ------>  expire(now)
    StaleMarked, LongLivedStarted,  <------  list[Action]
    StaleWithdrawn
    loop.call_at(next_deadline())

Per family the routes go through these phases:

    session drops ──> restart ──(restart time)──> long-lived ──(stale time)──> withdrawn
                         │                            │
                         └──── session up ────────────┴──> End-of-RIB ──> withdrawn
                                                                  (what is still stale)

- ``restart`` (RFC 4724 4.2): "the Receiving Speaker MUST retain the routes
  received from the peer for all the address families that were previously
  received in the Graceful Restart Capability and MUST mark them as stale".
  If the session "does not get re-established within the Restart Time", they
  go; with a restart time of zero there is no such phase.
- ``long-lived`` (RFC 9494 section 4.3): when the restart time runs out (or at
  once when it is zero) for a family the peer listed in its Long-Lived
  Graceful Restart capability with a non-zero stale time, the routes stay,
  LLGR-stale, for that long-lived stale time: ``LongLivedStarted`` asks the
  driver to drop the ones carrying NO_LLGR and to attach LLGR_STALE to the
  others (the driver has their attributes; this module has only keys).
- Once the session is up again: a family the new OPEN does not list with its
  Forwarding State bit ("the F bit") is withdrawn at once (RFC 4724 4.2, RFC
  9494 likewise); a route the peer announces again is fresh; at the peer's
  End-of-RIB for the family, "any routes from the peer that are still marked
  as stale" are withdrawn.  A peer that never sends End-of-RIB does not keep
  them forever: the wait is bounded by ``STALE_PATH_TIME`` (the "upper bound"
  4.2 allows), or by the long-lived stale time when that is sooner.
- A drop while routes are still stale from the previous one: "To deal with
  possible consecutive restarts, a route (from the peer) previously marked as
  stale MUST be deleted" (4.2), then the fresh ones become stale.
- A drop the caller says is not graceful (a NOTIFICATION sent or received, an
  operator's stop) keeps nothing: what was stale is withdrawn.

Rules of this file: keys are whatever the driver uses for a route of a family
(hashable); time is passed in as ``now`` on the driver's clock, deadlines are
on that clock.  Each family's routes leave as one ``StaleWithdrawn`` with the
reason, so a script sees ordinary withdrawals, then the end of the phase.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from bgpmesh.codec.capabilities import GracefulRestart, LongLivedGracefulRestart
from bgpmesh.family import Family

# How long routes stay stale after the session is back if the peer sends no
# End-of-RIB; RFC 4724 section 4.2 leaves the bound to the implementation
# ("MAY support a (configurable) timer").  360 s is the common default.
STALE_PATH_TIME = 360.0

RESTART = "restart"
LONG_LIVED = "long-lived"

# RFC 9494: the well-known communities (IANA)
LLGR_STALE = 0xFFFF0006
NO_LLGR = 0xFFFF0007


class Retention(NamedTuple):
    """How long the peer asked us to keep a family's routes."""

    restart_time: float  # RFC 4724's Restart Time; 0: no restart phase
    long_lived_time: float  # RFC 9494's Long-lived Stale Time; 0: no long-lived phase


def retention(local: Any, remote: Any, families: Iterable[Family]) -> dict[Family, Retention]:
    """The families of a session whose routes outlive it, from the two OPENs.

    Only when we offered Graceful Restart (``capability { graceful-restart }``)
    and the peer listed the family in its own: RFC 4724 section 4.2 applies to
    "a peer that has advertised the Graceful Restart Capability", for "the
    address families that were previously received" in it.  The long-lived
    phase needs both sides' Long-Lived Graceful Restart capability, and, as RFC
    9494 section 4.1 requires it be sent with the Graceful Restart capability,
    a peer's without that one is ignored.
    """
    mine = local.capability(GracefulRestart)
    theirs = remote.capability(GracefulRestart)
    if mine is None or theirs is None:
        return {}
    listed = {family for family, _flags in theirs.families}
    long_lived: dict[Family, float] = {}
    if local.capability(LongLivedGracefulRestart) is not None:
        found = remote.capability(LongLivedGracefulRestart)
        if found is not None:
            long_lived = {family: float(stale) for family, _flags, stale in found.families}
    out = {}
    for family in families:
        restart = float(theirs.restart_time) if family in listed else 0.0
        stale = long_lived.get(family, 0.0)
        if restart or stale:
            out[family] = Retention(restart, stale)
    return out


def preserved(remote: Any) -> frozenset[Family]:
    """Families whose forwarding state the peer's new OPEN says it kept: the F
    bit in its Graceful Restart or Long-Lived Graceful Restart capability."""
    out = set()
    found = remote.capability(GracefulRestart)
    if found is not None:
        out.update(f for f, flags in found.families if flags & GracefulRestart.FORWARDING_STATE)
        extended = remote.capability(LongLivedGracefulRestart)
        if extended is not None:
            out.update(f for f, flags, _ in extended.families
                       if flags & GracefulRestart.FORWARDING_STATE)
    return frozenset(out)


# -- actions the driver executes -----------------------------------------------


@dataclasses.dataclass(frozen=True)
class StaleMarked:
    """The routes of ``family`` are stale in ``phase`` until ``deadline``;
    ``waiting_for_eor``: the session is back, End-of-RIB ends it sooner."""

    family: Family
    phase: str
    deadline: float
    waiting_for_eor: bool = False


@dataclasses.dataclass(frozen=True)
class LongLivedStarted:
    """The long-lived phase begins for ``family``: withdraw the routes carrying
    NO_LLGR (telling ``refreshed``), attach LLGR_STALE to the others."""

    family: Family
    deadline: float
    keys: frozenset


@dataclasses.dataclass(frozen=True)
class StaleWithdrawn:
    """Withdraw these still-stale routes of ``family``; the phase is over."""

    family: Family
    keys: frozenset
    reason: str


Action = StaleMarked | LongLivedStarted | StaleWithdrawn


@dataclasses.dataclass
class _Family:
    phase: str
    deadline: float
    long_lived_time: float
    keys: set
    up: bool = False  # the session is back: waiting for End-of-RIB


class StaleRoutes:
    """The stale routes of one neighbor.  See the module docstring."""

    def __init__(self, stale_path_time: float = STALE_PATH_TIME) -> None:
        self.stale_path_time = stale_path_time
        self._families: dict[Family, _Family] = {}

    # -- what the driver reads ---------------------------------------------

    def __bool__(self) -> bool:
        return bool(self._families)

    def phase(self, family: Family) -> str | None:
        entry = self._families.get(family)
        return entry.phase if entry is not None else None

    def keys(self, family: Family) -> frozenset:
        entry = self._families.get(family)
        return frozenset(entry.keys) if entry is not None else frozenset()

    def is_stale(self, family: Family, key: Any) -> bool:
        entry = self._families.get(family)
        return entry is not None and key in entry.keys

    def deadline(self, family: Family) -> float | None:
        entry = self._families.get(family)
        return entry.deadline if entry is not None else None

    def next_deadline(self) -> float | None:
        return min((e.deadline for e in self._families.values()), default=None)

    # -- what the driver feeds ---------------------------------------------

    def dropped(self, held: Mapping[Family, Iterable[Any]], retained: Mapping[Family, Retention],
                graceful: bool, now: float) -> list[Action]:
        """The session went down holding ``held`` routes per family.
        ``retained``: ``retention()`` of the session that dropped; ``graceful``:
        the drop was a TCP failure or a hold timer, not a NOTIFICATION or an
        operator's stop."""
        actions: list[Action] = []
        # consecutive restarts: what is still stale from the last drop goes
        for family in list(self._families):
            actions += self._withdraw(family, "the session dropped again before End-of-RIB")
        if not graceful:
            return actions
        for family, keys in held.items():
            keys = set(keys)
            # a route stale before this drop was withdrawn above
            keys.difference_update(k for a in actions if type(a) is StaleWithdrawn
                                   and a.family == family for k in a.keys)
            keep = retained.get(family)
            if not keys or keep is None:
                continue
            if keep.restart_time:
                self._families[family] = _Family(RESTART, now + keep.restart_time,
                                                 keep.long_lived_time, keys)
                actions.append(StaleMarked(family, RESTART, now + keep.restart_time))
            else:
                self._families[family] = _Family(LONG_LIVED, now, keep.long_lived_time, keys)
                actions += self._long_lived(family, now)
        return actions

    def established(self, preserved_families: frozenset[Family], now: float) -> list[Action]:
        """The session is up again; ``preserved_families``: ``preserved()`` of
        the new OPEN."""
        actions: list[Action] = []
        for family in list(self._families):
            entry = self._families[family]
            if family not in preserved_families:
                # RFC 4724 4.2: without the Graceful Restart capability in the
                # new OPEN, or with it but without the Forwarding State bit
                # for the family, the Receiving Speaker MUST remove that
                # family's stale routes at once (RFC 9494 likewise for the
                # long-lived capability)
                actions += self._withdraw(family, "the peer did not preserve its forwarding state")
                continue
            entry.up = True
            deadline = now + self.stale_path_time
            if entry.phase is LONG_LIVED:
                deadline = min(deadline, entry.deadline)
            entry.deadline = deadline
            actions.append(StaleMarked(family, entry.phase, deadline, True))
        return actions

    def refreshed(self, family: Family, key: Any) -> None:
        """The peer announced or withdrew this route: it is no longer stale."""
        entry = self._families.get(family)
        if entry is not None:
            entry.keys.discard(key)

    def end_of_rib(self, family: Family, now: float) -> list[Action]:
        # RFC 4724 4.2: "Once the End-of-RIB marker for an address family is
        # received from the peer, it MUST immediately remove any routes from
        # the peer that are still marked as stale for that address family."
        if family not in self._families or not self._families[family].up:
            return []
        return self._withdraw(family, "End-of-RIB")

    def expire(self, now: float) -> list[Action]:
        actions: list[Action] = []
        for family in [f for f, e in self._families.items() if e.deadline <= now]:
            entry = self._families[family]
            if entry.phase is RESTART and not entry.up and entry.long_lived_time:
                entry.phase = LONG_LIVED
                actions += self._long_lived(family, now)
            elif entry.phase is RESTART and not entry.up:
                actions += self._withdraw(family, "the restart time ran out")
            elif entry.up:
                actions += self._withdraw(family, "no End-of-RIB in time")
            else:
                actions += self._withdraw(family, "the long-lived stale time ran out")
        return actions

    def clear(self) -> list[Action]:
        """Forget everything (the neighbor is removed): its stale routes go."""
        actions: list[Action] = []
        for family in list(self._families):
            actions += self._withdraw(family, "the neighbor stopped")
        return actions

    # -- helpers -----------------------------------------------------------

    def _long_lived(self, family: Family, now: float) -> list[Action]:
        entry = self._families[family]
        entry.phase = LONG_LIVED
        entry.deadline = now + entry.long_lived_time
        return [LongLivedStarted(family, entry.deadline, frozenset(entry.keys)),
                StaleMarked(family, LONG_LIVED, entry.deadline)]

    def _withdraw(self, family: Family, reason: str) -> list[Action]:
        entry = self._families.pop(family)
        return [StaleWithdrawn(family, frozenset(entry.keys), reason)]
