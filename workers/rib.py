"""The Adj-RIB-Out of one neighbor: what we announce to it, and what is not sent yet.

Routes are keyed by (family, wire NLRI bytes).  The wire encoding of a prefix is
its canonical form, so the key costs one encode and building an UPDATE later
is a join of keys.  Values are (next_hop, Attributes); Attributes objects are
shared between routes that carry the same set (the bus decoder interns them),
so grouping pending routes by attribute set is a dict lookup on a small tuple.

``pending`` holds what changed since the last flush: the new value, or None
for a withdrawal.  A route announced then withdrawn before a flush leaves one
withdrawal (harmless if the peer never had it, and simpler than tracking what
the peer has).  On a new session everything in ``routes`` is sent again.

``token`` is for update groups (``update_groups.py``): Adj-RIB-Outs whose
pending changes were found equal and flushed together carry the same token
object, and any change to ``pending`` other than a shared flush clears it, so
equal tokens mean equal pending without comparing the dicts again.
"""

from __future__ import annotations

import itertools

from bgpmesh.family import Family
from bgpmesh.route import Attributes


class AdjRibOut:
    __slots__ = ("routes", "pending", "token")

    def __init__(self) -> None:
        self.routes: dict[tuple[Family, bytes], tuple[str, Attributes]] = {}
        self.pending: dict[tuple[Family, bytes], tuple[str, Attributes] | None] = {}
        self.token: object | None = None

    def __len__(self) -> int:
        return len(self.routes)

    def announce(self, family: Family, key: bytes, next_hop: str, attributes: Attributes) -> None:
        value = (next_hop, attributes)
        k = (family, key)
        if self.routes.get(k) == value:
            return
        self.routes[k] = value
        self.pending[k] = value
        self.token = None

    def withdraw(self, family: Family, key: bytes) -> None:
        k = (family, key)
        if self.routes.pop(k, None) is not None or k in self.pending:
            self.pending[k] = None
            self.token = None

    def announce_many(self, keys: list, values: list) -> None:
        """``announce`` for many routes: ``keys`` are (family, NLRI) pairs, and
        keys and values may be shared with other Adj-RIB-Outs (both are
        immutable); a None key is skipped."""
        routes = self.routes
        pending = self.pending
        changed = False
        for k, value in zip(keys, values, strict=True):
            if k is None:
                continue
            old = routes.get(k)
            if old is value or old == value:
                continue
            routes[k] = value
            pending[k] = value
            changed = True
        if changed:
            self.token = None

    def withdraw_many(self, keys: list) -> None:
        routes = self.routes
        pending = self.pending
        changed = False
        for k in keys:
            if k is None:
                continue
            if routes.pop(k, None) is not None or k in pending:
                pending[k] = None
                changed = True
        if changed:
            self.token = None

    def clear(self) -> None:
        for k in self.routes:
            self.pending[k] = None
        self.routes.clear()
        self.token = None

    def take_pending(self, limit: int | None = None):
        """(announcements grouped, withdrawals grouped) and forget them; at most
        ``limit`` changes, oldest first, so a large table goes out in slices.

        announcements: {(family, next_hop, attributes): [key, ...]}
        withdrawals:   {family: [key, ...]}
        """
        return self.take_shared(limit, ())

    def take_shared(self, limit: int | None, others):
        """take_pending, and drop the same changes from ``others``, Adj-RIB-Outs
        whose pending is equal to ours (the caller checked): they are sent to
        them from the same bytes."""
        pending = self.pending
        self.token = None
        if limit is None or len(pending) <= limit:
            self.pending = {}
            for other in others:
                other.pending = {}
                other.token = None
            return _group(pending.items())
        items = [(k, pending[k]) for k in itertools.islice(pending, limit)]
        for k, _ in items:
            del pending[k]
        for other in others:
            other.token = None
            theirs = other.pending
            for k, _ in items:
                del theirs[k]
        return _group(items)

    def resend_all(self) -> None:
        """Queue the whole table again (new session, route refresh)."""
        self.pending = dict(self.routes)
        self.token = None

    def take_all(self):
        """Everything announced, grouped as take_pending does; pending is dropped
        since the full table supersedes it."""
        self.pending = {}
        self.token = None
        return _group(self.routes.items())


def _group(items):
    # Values are shared tuples (a batch interns them), so routes are grouped
    # by the value object first, an int-keyed lookup; equal values that are
    # distinct objects merge at the end, hashing each attribute set once
    # per group rather than once per route.
    by_value: dict[tuple, tuple] = {}
    withdraw: dict[Family, list[bytes]] = {}
    for (family, key), value in items:
        if value is None:
            withdraw.setdefault(family, []).append(key)
        else:
            slot = by_value.get((family, id(value)))
            if slot is None:
                by_value[(family, id(value))] = (family, value, [key])
            else:
                slot[2].append(key)
    announce: dict[tuple, list[bytes]] = {}
    for family, value, keys in by_value.values():
        group = (family, value[0], value[1])
        found = announce.get(group)
        if found is None:
            announce[group] = keys
        else:
            found.extend(keys)
    return announce, withdraw
