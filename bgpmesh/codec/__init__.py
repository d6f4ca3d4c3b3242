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
    As4Path,
    AsPath,
    AtomicAggregate,
    Communities,
    LocalPref,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    NextHop,
    Origin,
    UnknownAttribute,
    decode_attributes,
)
from bgpmesh.codec.capabilities import (
    CAPABILITIES,
    ExtendedMessage,
    FourOctetAs,
    Multiprotocol,
    RouteRefreshCapability,
    UnknownCapability,
)
from bgpmesh.codec.header import MESSAGES, MessageReader
from bgpmesh.codec.keepalive import Keepalive
from bgpmesh.codec.nlri import FAMILIES, canonical_prefix, nlri_key
from bgpmesh.codec.notification import Notification
from bgpmesh.codec.open import Open
from bgpmesh.codec.packer import encode_attributes, end_of_rib, pack_announce, pack_withdraw
from bgpmesh.codec.route_refresh import RouteRefresh
from bgpmesh.codec.session import Negotiated, Session, negotiate
from bgpmesh.codec.update import Update

__all__ = [
    "ATTRIBUTES",
    "CAPABILITIES",
    "FAMILIES",
    "MESSAGES",
    "Aggregator",
    "As4Path",
    "AsPath",
    "AtomicAggregate",
    "Communities",
    "ExtendedMessage",
    "FourOctetAs",
    "Keepalive",
    "LocalPref",
    "MessageReader",
    "MpReachNlri",
    "MpUnreachNlri",
    "Multiprotocol",
    "MultiExitDisc",
    "Negotiated",
    "NextHop",
    "Notification",
    "Open",
    "Origin",
    "RouteRefresh",
    "RouteRefreshCapability",
    "Session",
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
