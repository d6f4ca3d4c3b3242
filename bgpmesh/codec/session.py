"""What the codec needs to know about a session: a small frozen value.

The codec never sees the peer or its configuration, only the handful of
negotiated facts that change how bytes are laid out.  Tests build one inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bgpmesh.codec.capabilities import (
    ADD_PATH_RECEIVE,
    ADD_PATH_SEND,
    AddPath,
    EnhancedRouteRefresh,
    ExtendedMessage,
    ExtendedNextHop,
    FourOctetAs,
    Multiprotocol,
    Operational,
    RouteRefreshCapability,
)
from bgpmesh.family import IPV4_UNICAST, Family

MAX_SIZE = 4096  # RFC 4271 section 4.1
EXTENDED_MAX_SIZE = 65535  # RFC 8654 section 3


@dataclass(frozen=True, slots=True)
class Session:
    asn4: bool = True  # RFC 6793: both sides sent the Four-octet AS capability
    extended_message: bool = False  # RFC 8654
    add_path_receive: frozenset[Family] = frozenset()  # RFC 7911: NLRI carry a Path Identifier
    add_path_send: frozenset[Family] = frozenset()
    # RFC 8950: (NLRI family, next hop AFI) pairs both sides advertised
    extended_next_hop: frozenset[tuple[Family, int]] = frozenset()
    # RFC 9234 section 5 egress, from our BGP Role (the driver sets them):
    # add OTC = this AS to routes without one (to a customer, peer or
    # rs-client; 0: never), and refuse routes that carry OTC (to a provider,
    # peer or rs)
    otc_add: int = 0
    otc_refuse: bool = False

    @property
    def max_size(self) -> int:
        return EXTENDED_MAX_SIZE if self.extended_message else MAX_SIZE


DEFAULT_SESSION = Session()


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What both OPENs agreed on (RFC 5492 section 3: a capability counts when
    both sides advertised it)."""

    session: Session
    families: frozenset[Family]
    route_refresh: bool
    hold_time: int
    keepalive_time: int
    enhanced_route_refresh: bool = False  # RFC 7313
    # RFC 8950 section 3: (family, next hop AFI) pairs both sides advertised
    extended_next_hop: frozenset[tuple[Family, int]] = frozenset()
    # ExaBGP's OPERATIONAL messages (capability 185) may be sent and received
    operational: bool = False


def negotiate(local: Any, remote: Any) -> Negotiated:
    """Combine the OPEN sent and the OPEN received."""
    def families(message: Any) -> frozenset[Family]:
        found = frozenset(c.family for c in message.capabilities if type(c) is Multiprotocol)
        # RFC 4760 section 8: a speaker that advertises no Multiprotocol
        # capability is taken to support IPv4 unicast only
        return found or frozenset((IPV4_UNICAST,))

    def both(cls: type) -> bool:
        return local.capability(cls) is not None and remote.capability(cls) is not None

    def next_hops(message: Any) -> frozenset[tuple[Family, int]]:
        found = message.capability(ExtendedNextHop)
        return frozenset(found.entries) if found is not None else frozenset()

    receive, send = add_paths(local, remote)
    # RFC 4271 section 4.2: the Hold Time is the smaller of the two; zero
    # means no keepalives
    hold_time = min(local.hold_time, remote.hold_time)
    return Negotiated(
        session=Session(
            asn4=both(FourOctetAs),
            extended_message=both(ExtendedMessage),
            add_path_receive=receive,
            add_path_send=send,
            extended_next_hop=next_hops(local) & next_hops(remote),
        ),
        families=families(local) & families(remote),
        route_refresh=both(RouteRefreshCapability),
        hold_time=hold_time,
        keepalive_time=hold_time // 3,
        enhanced_route_refresh=both(EnhancedRouteRefresh),
        extended_next_hop=next_hops(local) & next_hops(remote),
        operational=both(Operational),
    )


def add_paths(local: Any, remote: Any) -> tuple[frozenset[Family], frozenset[Family]]:
    """Families whose NLRI carry a Path Identifier: (received, sent).

    RFC 7911 section 5: a speaker may receive paths for a family when it
    advertised "receive" and its peer advertised "send" (and the other way
    round for sending).
    """
    mine = local.capability(AddPath)
    theirs = remote.capability(AddPath)
    if mine is None or theirs is None:
        return frozenset(), frozenset()
    receive = frozenset(
        family for family, mode in mine.families
        if mode & ADD_PATH_RECEIVE and theirs.mode(family) & ADD_PATH_SEND
    )
    send = frozenset(
        family for family, mode in mine.families
        if mode & ADD_PATH_SEND and theirs.mode(family) & ADD_PATH_RECEIVE
    )
    return receive, send
