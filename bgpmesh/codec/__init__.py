"""bgpmesh's BGP wire codec: bytes in, values out, no I/O.

Every message and attribute is a frozen dataclass with ``decode(data,
session)`` and ``encode(session)``; registries are keyed by wire code
(``MESSAGES``, ``ATTRIBUTES``, ``CAPABILITIES``, ``FAMILIES``).  The fast path
for announcements (``nlri_key``, ``encode_attributes``, ``pack_announce``,
``pack_withdraw``, ``end_of_rib``) works on bytes and skips the objects.
"""

from __future__ import annotations

from bgpmesh.codec.attributes import (
    ATTRIBUTES,
    Aggregator,
    Aigp,
    As4Aggregator,
    As4Path,
    AsPath,
    AtomicAggregate,
    BgpLsAttribute,
    ClusterList,
    Communities,
    ExtendedCommunities,
    Ipv6ExtendedCommunities,
    LargeCommunities,
    LocalPref,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    NextHop,
    OnlyToCustomer,
    Origin,
    OriginatorId,
    PmsiTunnel,
    PrefixSid,
    UnknownAttribute,
    decode_attributes,
)
from bgpmesh.codec.capabilities import (
    CAPABILITIES,
    AddPath,
    BgpRole,
    EnhancedRouteRefresh,
    ExtendedMessage,
    ExtendedNextHop,
    FourOctetAs,
    Fqdn,
    GracefulRestart,
    LongLivedGracefulRestart,
    Multiprotocol,
    MultiSession,
    Operational,
    RouteRefreshCapability,
    SoftwareVersion,
    UnknownCapability,
)
from bgpmesh.codec.header import MESSAGES, MessageReader
from bgpmesh.codec.keepalive import Keepalive
from bgpmesh.codec.nlri import FAMILIES, canonical_prefix, nlri_key
from bgpmesh.codec.notification import Notification
from bgpmesh.codec.open import Open
from bgpmesh.codec.operational import Operational as OperationalMessage
from bgpmesh.codec.packer import encode_attributes, end_of_rib, pack_announce, pack_withdraw
from bgpmesh.codec.route_refresh import RouteRefresh
from bgpmesh.codec.session import Negotiated, Session, negotiate
from bgpmesh.codec.update import Update

__all__ = [
    "ATTRIBUTES",
    "CAPABILITIES",
    "FAMILIES",
    "MESSAGES",
    "AddPath",
    "Aggregator",
    "Aigp",
    "As4Aggregator",
    "As4Path",
    "AsPath",
    "AtomicAggregate",
    "BgpLsAttribute",
    "BgpRole",
    "ClusterList",
    "Communities",
    "EnhancedRouteRefresh",
    "ExtendedCommunities",
    "ExtendedMessage",
    "ExtendedNextHop",
    "FourOctetAs",
    "Fqdn",
    "GracefulRestart",
    "Ipv6ExtendedCommunities",
    "Keepalive",
    "LargeCommunities",
    "LocalPref",
    "LongLivedGracefulRestart",
    "MessageReader",
    "MpReachNlri",
    "MpUnreachNlri",
    "MultiExitDisc",
    "MultiSession",
    "Multiprotocol",
    "Negotiated",
    "NextHop",
    "Notification",
    "OnlyToCustomer",
    "Open",
    "Operational",
    "OperationalMessage",
    "Origin",
    "OriginatorId",
    "PmsiTunnel",
    "PrefixSid",
    "RouteRefresh",
    "RouteRefreshCapability",
    "Session",
    "SoftwareVersion",
    "UnknownAttribute",
    "UnknownCapability",
    "Update",
    "canonical_prefix",
    "decode_attributes",
    "encode_attributes",
    "end_of_rib",
    "negotiate",
    "nlri_key",
    "pack_announce",
    "pack_withdraw",
]
