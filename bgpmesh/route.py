"""What a producer asks to announce: a route and its path attributes.

These are the values the API parser and the configuration's ``static`` block
produce, the bus carries, and a worker's Adj-RIB-Out stores.  They are plain,
frozen and hashable: equal attribute sets are equal keys, so a worker can group
the routes that share them into one UPDATE and encode the attribute bytes once.

``Attributes`` holds only what the producer said.  Defaults that depend on the
session (ORIGIN when absent, AS_PATH empty on iBGP or the local AS on eBGP,
LOCAL_PREF 100 on iBGP) are applied when a worker encodes for a given peer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bgpmesh.family import Family

ORIGIN_IGP = 0
ORIGIN_EGP = 1
ORIGIN_INCOMPLETE = 2
ORIGIN_NAMES = ("igp", "egp", "incomplete")


@dataclass(frozen=True, slots=True)
class Attributes:
    origin: int | None = None  # ORIGIN_*; None: IGP is sent
    as_path: tuple[int, ...] | None = None  # AS_SEQUENCE; None: session default
    med: int | None = None
    local_pref: int | None = None
    communities: tuple[int, ...] = ()  # each a 32-bit value, (asn << 16) | value


NO_ATTRIBUTES = Attributes()


@dataclass(frozen=True, slots=True)
class Route:
    """One NLRI with its next hop and attributes.

    ``prefix`` is canonical text ("10.0.0.0/24", "2001:db8::/32"): host bits
    cleared, so it is a stable key.  ``next_hop`` is an address in text, the
    word "self" (resolved by the worker to the session's local address), or
    None in a withdrawal.
    """

    family: Family
    prefix: str
    next_hop: str | None = None
    attributes: Attributes = NO_ATTRIBUTES
