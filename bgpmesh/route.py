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
from typing import Any

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
    # Added for ExaBGP parity; all optional, so older producers stay valid.
    as_set: tuple[int, ...] | None = None  # AS_SET after the sequence: as-path [ 1 ( 2 3 ) ]
    extended_communities: tuple[int, ...] = ()  # each the 64-bit value (RFC 4360)
    large_communities: tuple[tuple[int, int, int], ...] = ()  # RFC 8092
    originator_id: str | None = None
    cluster_list: tuple[str, ...] = ()
    aggregator: tuple[int, str] | None = None  # (asn, IPv4 address)
    atomic_aggregate: bool = False
    aigp: int | None = None  # RFC 7311 accumulated IGP metric
    generic: tuple[tuple[int, int, bytes], ...] = ()  # attribute [ 0xTYPE 0xFLAG 0xHEX ]


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
    # NLRI qualifiers and producer bookkeeping, all optional.  A route with
    # ``rd`` is of the mpls-vpn SAFI, one with only ``labels`` of nlri-mpls.
    labels: tuple[int, ...] = ()
    rd: str | None = None  # "65000:1" or "192.0.2.1:1", as written
    path_id: int | None = None  # RFC 7911 path identifier (path-information)
    watchdog: str | None = None  # toggled by "announce|withdraw watchdog NAME"
    name: str | None = None
    withdrawn: bool = False  # static "withdraw": configured but not announced


@dataclass(frozen=True, slots=True)
class FlowRoute:
    """A FlowSpec rule (RFC 8955) as the producer wrote it, not yet encoded.

    ``match`` holds (component, values) pairs in the order given, component
    names as ExaBGP spells them ("destination", "destination-port"), each
    value as written ("10.0.0.0/24", "=80", ">1024&<2000", "tcp"); prefixes
    are canonical.  ``actions`` holds (action, arguments) pairs ("discard", ()),
    ("rate-limit", ("9600",)), ("redirect", ("65000:1",)).  Communities given
    in ``then`` are in ``attributes``.
    """

    family: Family
    match: tuple[tuple[str, tuple[str, ...]], ...]
    actions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rd: str | None = None
    next_hop: str | None = None
    attributes: Attributes = NO_ATTRIBUTES
    name: str | None = None  # the configuration's "route NAME"


@dataclass(frozen=True, slots=True)
class Vpls:
    """An RFC 4761 VPLS NLRI with its attributes."""

    endpoint: int
    base: int
    offset: int
    size: int
    rd: str
    next_hop: str | None = None
    attributes: Attributes = NO_ATTRIBUTES
    name: str | None = None
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class NlriRoute:
    """A route of a family whose NLRI is a codec object (EVPN, RTC, ...).

    ``nlri`` is a frozen value of the family's codec (``codec/nlri/*.py``)
    with ``encode()``, built without a path identifier: ``path_id`` holds it
    (RFC 7911), as for ``Route``.  When the NLRI has ``route_key()``, the
    route is named by what that returns (the fields its RFC counts as part
    of the prefix) and withdrawn with it; otherwise the whole NLRI names it.
    A family plugs in with a word parser that builds one of these; the bus,
    the Adj-RIB-Out, replay and ``show adj-rib out`` need nothing more.
    """

    family: Family
    nlri: Any
    next_hop: str | None = None
    attributes: Attributes = NO_ATTRIBUTES
    path_id: int | None = None
    name: str | None = None
    withdrawn: bool = False  # configured "withdraw": kept but not announced


@dataclass(frozen=True, slots=True)
class Operational:
    """An ExaBGP operational message (draft-ietf-idr-operational-message).

    ``name`` is adm, asm, rpcq, rpcp, apcq, apcp, lpcq or lpcp; ``values``
    the remaining (key, text) pairs: advisory, sequence, counter, router-id.
    """

    name: str
    family: Family
    values: tuple[tuple[str, str], ...] = ()
