"""Path attributes: the registry by type code and the attribute-list decoder.

Theory of operation (RFC 7606): a bad attribute does not stop decoding.  Each
error is kept with its action; the caller (``Update.decode``) applies the
strongest.  An attribute with an error is left out of the result, whatever its
action: discard drops it, treat-as-withdraw withdraws the routes it came with,
session reset ends the session.
"""

from __future__ import annotations

from typing import Any

from bgpmesh.codec.attributes.aggregator import (
    Aggregator,
    As4Aggregator,
    AtomicAggregate,
    reconcile_aggregator,
)
from bgpmesh.codec.attributes.aigp import Aigp
from bgpmesh.codec.attributes.as_path import As4Path, AsPath, merge_as4_path
from bgpmesh.codec.attributes.base import (
    AGGREGATOR,
    AS4_AGGREGATOR,
    AS4_PATH,
    AS_PATH,
    EXTENDED_LENGTH,
    MP_REACH_NLRI,
    MP_UNREACH_NLRI,
    OPTIONAL,
    TRANSITIVE,
    pack_attribute,
)
from bgpmesh.codec.attributes.bgp_ls import BgpLsAttribute
from bgpmesh.codec.attributes.communities import Communities
from bgpmesh.codec.attributes.extended_communities import (
    ExtendedCommunities,
    Ipv6ExtendedCommunities,
)
from bgpmesh.codec.attributes.large_communities import LargeCommunities
from bgpmesh.codec.attributes.local_pref import LocalPref
from bgpmesh.codec.attributes.med import MultiExitDisc
from bgpmesh.codec.attributes.mp_reach import MpReachNlri
from bgpmesh.codec.attributes.mp_unreach import MpUnreachNlri
from bgpmesh.codec.attributes.next_hop import NextHop
from bgpmesh.codec.attributes.origin import Origin
from bgpmesh.codec.attributes.otc import OnlyToCustomer
from bgpmesh.codec.attributes.pmsi_tunnel import PmsiTunnel
from bgpmesh.codec.attributes.prefix_sid import PrefixSid
from bgpmesh.codec.attributes.route_reflection import ClusterList, OriginatorId
from bgpmesh.codec.attributes.unknown import UnknownAttribute
from bgpmesh.errors import (
    Action,
    AttributeFlagsError,
    AttributeLengthError,
    BgpError,
    DuplicateAttribute,
    DuplicateMultiprotocolAttribute,
    UnrecognizedWellKnownAttribute,
)

ATTRIBUTES: dict[int, Any] = {
    cls.TYPE_CODE: cls
    for cls in (
        Origin,
        AsPath,
        NextHop,
        MultiExitDisc,
        LocalPref,
        AtomicAggregate,
        Aggregator,
        Communities,
        OriginatorId,
        ClusterList,
        MpReachNlri,
        MpUnreachNlri,
        ExtendedCommunities,
        As4Path,
        As4Aggregator,
        PmsiTunnel,
        Ipv6ExtendedCommunities,
        Aigp,
        BgpLsAttribute,
        LargeCommunities,
        OnlyToCustomer,
        PrefixSid,
    )
}

_MULTIPROTOCOL = (MP_REACH_NLRI, MP_UNREACH_NLRI)

# Four-octet AS -> {whole attribute octets (flags, type, length, value):
# decoded attribute}.  The only part of the session attribute decoders read is
# ``asn4`` (MP_(UN)REACH_NLRI, which read more, are never kept).  The key holds
# the flags, so a hit is an attribute whose flags were checked.  Cleared when
# full.
_DECODED: dict[bool, dict[bytes, Any]] = {True: {}, False: {}}
_DECODED_MAX = 8192


def decode_attributes(data: bytes, session: Any) -> tuple[list[Any], list[BgpError], set[int]]:
    """Decode a Path Attributes field.

    Returns the good attributes in wire order, the errors met, and every type
    code seen (good or bad), so the caller can tell "missing" from "malformed".
    """
    attributes: dict[int, Any] = {}
    errors: list[BgpError] = []
    seen: set[int] = set()
    offset = 0
    size = len(data)
    known = _DECODED[bool(session.asn4)]
    while offset < size:
        flags = data[offset]
        start = offset + (4 if flags & EXTENDED_LENGTH else 3)
        if start > size:
            # RFC 7606 section 4: too few octets left for an attribute header
            errors.append(AttributeLengthError("attribute header truncated", data=data[offset:]))
            break
        type_code = data[offset + 1]
        if flags & EXTENDED_LENGTH:
            end = start + ((data[offset + 2] << 8) | data[offset + 3])
        else:
            end = start + data[offset + 2]
        raw = data[offset:end]
        if end > size:
            # RFC 7606 section 4: an attribute overrunning the field is a length
            # error, treat-as-withdraw; but an overrunning MP_(UN)REACH_NLRI
            # loses NLRI we cannot withdraw (section 7.11).
            error = AttributeLengthError(f"attribute {type_code} overruns", data=raw)
            if type_code in _MULTIPROTOCOL:
                error.action = Action.SESSION_RESET
            errors.append(error)
            break
        offset = end
        if type_code in seen:
            # RFC 7606 section 3: repeats are discarded, MP repeats reset
            if type_code in _MULTIPROTOCOL:
                errors.append(DuplicateMultiprotocolAttribute(f"attribute {type_code} twice", data=raw))
            else:
                errors.append(DuplicateAttribute(f"attribute {type_code} twice", data=raw))
            continue
        seen.add(type_code)
        # Routers repeat the same attribute bytes UPDATE after UPDATE: a value
        # decoded well once is reused (values are frozen).  Errors are not
        # kept, so each bad attribute still gets its own error.
        if type_code != MP_REACH_NLRI and type_code != MP_UNREACH_NLRI:
            decoded = known.get(raw)
            if decoded is not None:
                attributes[type_code] = decoded
                continue
        cls = ATTRIBUTES.get(type_code)
        if cls is None:
            if not flags & OPTIONAL:
                # RFC 4271 section 6.3: an unrecognized well-known attribute
                errors.append(UnrecognizedWellKnownAttribute(f"type {type_code}", data=raw))
                continue
            attributes[type_code] = UnknownAttribute(flags, type_code, data[start:end])
            continue
        # RFC 7606 section 3: "If the value of either the Optional or
        # Transitive bits in the Attribute Flags is in conflict with their
        # specified values, then the attribute MUST be treated as malformed and
        # the "treat-as-withdraw" approach used"
        if (flags ^ cls.FLAGS) & (OPTIONAL | TRANSITIVE):
            error = AttributeFlagsError(f"flags {flags:#04x} on type {type_code}", data=raw)
            if type_code in _MULTIPROTOCOL:
                error.action = Action.SESSION_RESET
            elif type_code == AS4_PATH:
                error.action = Action.ATTRIBUTE_DISCARD
            errors.append(error)
            continue
        if type_code in _MULTIPROTOCOL:
            try:
                attributes[type_code] = cls.decode(data[start:end], session)
            except BgpError as error:
                if not error.data:
                    error.data = raw
                errors.append(error)
            continue
        try:
            decoded = cls.decode(data[start:end], session)
        except BgpError as error:
            if not error.data:
                error.data = raw
            errors.append(error)
            continue
        if len(known) >= _DECODED_MAX:
            known.clear()
        known[raw] = attributes[type_code] = decoded

    as4_path = attributes.pop(AS4_PATH, None)
    as4_aggregator = attributes.pop(AS4_AGGREGATOR, None)
    if not session.asn4:
        aggregator, use_as4_path = reconcile_aggregator(attributes.get(AGGREGATOR), as4_aggregator)
        if aggregator is not None:
            attributes[AGGREGATOR] = aggregator
        as_path = attributes.get(AS_PATH)
        if as4_path is not None and as_path is not None and use_as4_path:
            attributes[AS_PATH] = AsPath(merge_as4_path(as_path.segments, as4_path.segments))
    # RFC 6793 section 4.1: between NEW speakers AS4_PATH and AS4_AGGREGATOR
    # "SHALL" be discarded
    return list(attributes.values()), errors, seen


__all__ = [
    "ATTRIBUTES",
    "Aggregator",
    "Aigp",
    "As4Aggregator",
    "As4Path",
    "AsPath",
    "AtomicAggregate",
    "BgpLsAttribute",
    "ClusterList",
    "Communities",
    "ExtendedCommunities",
    "Ipv6ExtendedCommunities",
    "LargeCommunities",
    "LocalPref",
    "MpReachNlri",
    "MpUnreachNlri",
    "MultiExitDisc",
    "NextHop",
    "OnlyToCustomer",
    "Origin",
    "OriginatorId",
    "PmsiTunnel",
    "PrefixSid",
    "UnknownAttribute",
    "decode_attributes",
    "pack_attribute",
]
