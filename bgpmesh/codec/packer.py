"""The announcement fast path: bytes for many routes that share attributes.

Theory of operation: a worker's Adj-RIB-Out groups routes by their
``Attributes`` and keeps each prefix as its wire NLRI (``nlri_key``).
``encode_attributes`` turns one attribute set into path-attribute bytes once
per peer; ``pack_announce`` and ``pack_withdraw`` then only concatenate bytes
and cut them into as few whole UPDATE messages as ``session.max_size`` allows.
No attribute objects are built per route.

Rules of this file: attributes go out in ascending type code (RFC 4271 section
5: the sender "SHOULD order path attributes within the UPDATE message in
ascending order of attribute type"); the next hop or MP attribute is slotted
into the already encoded bytes at its place.
"""

from __future__ import annotations

import dataclasses
import socket
from functools import lru_cache
from struct import Struct

from bgpmesh.codec.attributes.as_path import AS_SEQUENCE, AS_SET, encode_segments
from bgpmesh.codec.attributes.base import (
    AGGREGATOR,
    AIGP,
    AS4_AGGREGATOR,
    AS4_PATH,
    AS_PATH,
    ATOMIC_AGGREGATE,
    CLUSTER_LIST,
    COMMUNITIES,
    EXTENDED_COMMUNITIES,
    EXTENDED_LENGTH,
    LARGE_COMMUNITIES,
    LOCAL_PREF,
    MP_REACH_NLRI,
    MP_UNREACH_NLRI,
    MULTI_EXIT_DISC,
    NEXT_HOP,
    OPTIONAL,
    ORIGIN,
    ORIGINATOR_ID,
    OTC,
    TRANSITIVE,
    pack_attribute,
)
from bgpmesh.codec.attributes.extended_communities import flow_actions
from bgpmesh.codec.attributes.mp_reach import encode_next_hops
from bgpmesh.codec.header import MARKER, UPDATE
from bgpmesh.codec.nlri import codec_for
from bgpmesh.codec.nlri.base import WITHDRAWN_LABEL, path_id_octets
from bgpmesh.codec.nlri.flowspec import FlowSpec, FlowSpecVpn, components_from_match
from bgpmesh.codec.nlri.labeled import LabeledPrefix
from bgpmesh.codec.nlri.mpls_vpn import VpnPrefix
from bgpmesh.codec.nlri.prefix import PrefixCodec
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.codec.nlri.vpls import Vpls as VplsNlri
from bgpmesh.codec.session import Session
from bgpmesh.errors import BgpError
from bgpmesh.family import (
    AFI_L2VPN,
    IPV4_UNICAST,
    SAFI_FLOW,
    SAFI_FLOW_VPN,
    SAFI_MPLS_LABEL,
    SAFI_MPLS_VPN,
    SAFI_VPLS,
    Family,
)
from bgpmesh.route import Attributes, FlowRoute, NlriRoute, Route, Vpls

_HEAD = Struct("!HB")
_NO_WITHDRAWN = b"\x00\x00"
_UPDATE_FIXED = 23  # header 19 + withdrawn length 2 + attribute length 2
_IBGP_LOCAL_PREF = 100  # ExaBGP's default on iBGP


_AS_TRANS = 23456


@lru_cache(maxsize=4096)
def encode_attributes(attrs: Attributes, local_as: int, peer_as: int, session: Session) -> bytes:
    """Path attributes for one peer, without NEXT_HOP or MP attributes.

    Defaults as ExaBGP applies them: ORIGIN IGP; AS_PATH empty on iBGP and
    [local AS] on eBGP; LOCAL_PREF 100 on iBGP, and never sent on eBGP.  Every field of ``attrs`` is
    encoded; the parts are sorted by type code at the end.
    """
    ibgp = local_as == peer_as
    origin = 0 if attrs.origin is None else attrs.origin
    parts: list[tuple[int, bytes]] = [(ORIGIN, bytes((TRANSITIVE, ORIGIN, 1, origin)))]
    if attrs.as_path is not None:
        asns = attrs.as_path
    else:
        asns = () if ibgp else (local_as,)
    segments = ((AS_SEQUENCE, tuple(asns)),) if asns else ()
    if attrs.as_set:
        segments += ((AS_SET, tuple(attrs.as_set)),)
    every_asn = tuple(asns) + tuple(attrs.as_set or ())
    if session.asn4:
        parts.append((AS_PATH, pack_attribute(TRANSITIVE, AS_PATH, encode_segments(segments, 4))))
    else:
        parts.append((AS_PATH, pack_attribute(TRANSITIVE, AS_PATH, encode_segments(segments, 2))))
        if any(asn > 0xFFFF for asn in every_asn):
            # RFC 6793 section 4.2.2: the real path travels in AS4_PATH
            parts.append((AS4_PATH, pack_attribute(OPTIONAL | TRANSITIVE, AS4_PATH,
                                                   encode_segments(segments, 4))))
    if attrs.med is not None:
        parts.append((MULTI_EXIT_DISC,
                      bytes((OPTIONAL, MULTI_EXIT_DISC, 4)) + attrs.med.to_bytes(4, "big")))
    # RFC 4271 5.1.5: "A BGP speaker MUST NOT include this attribute in UPDATE
    # messages it sends to external peers" (ExaBGP leaves it out too)
    if ibgp:
        local_pref = _IBGP_LOCAL_PREF if attrs.local_pref is None else attrs.local_pref
        parts.append((LOCAL_PREF, bytes((TRANSITIVE, LOCAL_PREF, 4)) + local_pref.to_bytes(4, "big")))
    if attrs.atomic_aggregate:
        parts.append((ATOMIC_AGGREGATE, bytes((TRANSITIVE, ATOMIC_AGGREGATE, 0))))
    if attrs.aggregator is not None:
        asn, address = attrs.aggregator
        ip = socket.inet_aton(address)
        if session.asn4:
            value = asn.to_bytes(4, "big") + ip
        else:
            value = (_AS_TRANS if asn > 0xFFFF else asn).to_bytes(2, "big") + ip
            if asn > 0xFFFF:
                # RFC 6793 section 4.2.2: AS_TRANS in AGGREGATOR, the real one beside it
                parts.append((AS4_AGGREGATOR, pack_attribute(
                    OPTIONAL | TRANSITIVE, AS4_AGGREGATOR, asn.to_bytes(4, "big") + ip)))
        parts.append((AGGREGATOR, pack_attribute(OPTIONAL | TRANSITIVE, AGGREGATOR, value)))
    if attrs.communities:
        values = Struct(f"!{len(attrs.communities)}I").pack(*attrs.communities)
        parts.append((COMMUNITIES, pack_attribute(OPTIONAL | TRANSITIVE, COMMUNITIES, values)))
    if attrs.originator_id is not None:
        parts.append((ORIGINATOR_ID, pack_attribute(OPTIONAL, ORIGINATOR_ID,
                                                    socket.inet_aton(attrs.originator_id))))
    if attrs.cluster_list:
        parts.append((CLUSTER_LIST, pack_attribute(
            OPTIONAL, CLUSTER_LIST, b"".join(socket.inet_aton(c) for c in attrs.cluster_list))))
    if attrs.extended_communities:
        values = Struct(f"!{len(attrs.extended_communities)}Q").pack(*attrs.extended_communities)
        parts.append((EXTENDED_COMMUNITIES,
                      pack_attribute(OPTIONAL | TRANSITIVE, EXTENDED_COMMUNITIES, values)))
    if attrs.aigp is not None:
        # RFC 7311 section 3: one AIGP TLV, type 1, length 11, 8-octet metric
        parts.append((AIGP, pack_attribute(OPTIONAL, AIGP,
                                           b"\x01\x00\x0b" + attrs.aigp.to_bytes(8, "big"))))
    if attrs.large_communities:
        values = b"".join(Struct("!III").pack(*c) for c in attrs.large_communities)
        parts.append((LARGE_COMMUNITIES,
                      pack_attribute(OPTIONAL | TRANSITIVE, LARGE_COMMUNITIES, values)))
    for type_code, flags, value in attrs.generic:
        parts.append((type_code, pack_attribute(flags, type_code, value)))
    if session.otc_add and not any(part[0] == OTC for part in parts):
        # RFC 9234 section 5: "If a route is to be advertised to a Customer,
        # a Peer, or an RS-Client ... and the OTC Attribute is not present,
        # then ... an OTC Attribute MUST be added with a value equal to the
        # AS number of the local AS."
        parts.append((OTC, bytes((OPTIONAL | TRANSITIVE, OTC, 4))
                      + session.otc_add.to_bytes(4, "big")))
    parts.sort(key=lambda part: part[0])
    return b"".join(part for _, part in parts)


def _position(attributes: bytes, type_code: int) -> int:
    """Where an attribute of ``type_code`` goes in type-code-ordered bytes."""
    offset = 0
    size = len(attributes)
    while offset < size and attributes[offset + 1] < type_code:
        if attributes[offset] & EXTENDED_LENGTH:
            offset += 4 + ((attributes[offset + 2] << 8) | attributes[offset + 3])
        else:
            offset += 3 + attributes[offset + 2]
    return offset


def _has(attributes: bytes, type_code: int) -> bool:
    """Whether type-code-ordered attribute bytes hold one of ``type_code``."""
    at = _position(attributes, type_code)
    return at < len(attributes) and attributes[at + 1] == type_code


def _ours(attributes: bytes, asn: int) -> bool:
    """Whether the OTC in ``attributes`` is the one ``encode_attributes`` adds
    for ``Session.otc_add`` (a route given OTC = our AS passes for it too)."""
    if not asn:
        return False
    at = _position(attributes, OTC)
    return attributes[at:at + 7] == bytes((OPTIONAL | TRANSITIVE, OTC, 4)) + asn.to_bytes(4, "big")


def _chunks(nlris: list[bytes], budget: int) -> list[bytes]:
    """Concatenate NLRIs into as few pieces of at most ``budget`` octets as possible."""
    if budget < 17:
        raise ValueError("path attributes leave no room for NLRI")
    out = []
    start = 0
    used = 0
    for index, nlri in enumerate(nlris):
        size = len(nlri)
        if used + size > budget:
            out.append(b"".join(nlris[start:index]))
            start = index
            used = 0
        used += size
    if start < len(nlris):
        out.append(b"".join(nlris[start:]))
    return out


def _update(withdrawn: bytes, attributes: bytes, nlri: bytes) -> bytes:
    length = _UPDATE_FIXED + len(withdrawn) + len(attributes) + len(nlri)
    return b"".join(
        (
            MARKER,
            _HEAD.pack(length, UPDATE),
            len(withdrawn).to_bytes(2, "big"),
            withdrawn,
            len(attributes).to_bytes(2, "big"),
            attributes,
            nlri,
        )
    )


# -- Adj-RIB-Out keys -----------------------------------------------------------
#
# A plain prefix (no path id) is its own key: the wire NLRI, as ``nlri_key``
# makes it.  Any other route's key is an ``NlriKey``: bytes that name the
# route (so equal routes are equal keys), carrying the wire forms to send.
# Labels are not part of the name: "withdraw route P rd RD" must find the
# route announced with "label [ 100 ]", and RFC 8277 section 2.4 lets a
# withdrawal carry 0x800000 in place of the labels.  The Path Identifier is
# kept apart and written only on sessions that negotiated ADD-PATH send for
# the family (RFC 7911 section 3).


class NlriKey(bytes):
    """An Adj-RIB-Out key whose wire NLRI differ from the key itself.

    ``announce`` and ``withdraw`` are the NLRI without Path Identifier,
    ``path_id`` is the identifier or None.  (bytes subclasses cannot have
    slots; the three live in the instance dict.)
    """

    announce: bytes
    withdraw: bytes
    path_id: int | None


def _key(name: bytes, announce: bytes, withdraw: bytes, path_id: int | None) -> NlriKey:
    # 0xff never starts a plain prefix NLRI (its length octet is at most 128):
    # a prefix with a path id cannot collide with one without
    key = NlriKey(b"\xff" + path_id_octets(path_id) + name if path_id is not None else name)
    key.announce = announce
    key.withdraw = withdraw
    key.path_id = path_id
    return key


def _raw_labels(labels: tuple[int, ...]) -> tuple[int, ...]:
    """Label values (20 bits) to RFC 3032 label fields, S set on the last."""
    if not labels:
        return (WITHDRAWN_LABEL,)
    return tuple((label << 4) | (index == len(labels) - 1) for index, label in enumerate(labels))


def nlri_octets(route: NlriRoute) -> tuple[bytes, bytes]:
    """(announced NLRI, the NLRI that names and withdraws it), both without a
    path identifier; ValueError if the family or the value cannot be sent.

    What is encoded must decode back to the same value with the family's
    own codec: a value of another family, or one whose fields overflow
    their octets, is refused here rather than sent for the peer to reset.
    """
    codec = codec_for(route.family)
    if type(codec) is PrefixCodec:
        raise ValueError(f"routes of {route.family} are prefixes, not NLRI objects")
    nlri = route.nlri
    if getattr(nlri, "path_id", None) is not None:
        nlri = dataclasses.replace(nlri, path_id=None)  # the route's path_id is the one
    try:
        announce = nlri.encode()
        # a route_key() method (EVPN); a Leaf A-D route's route_key is a field
        keyed = nlri.route_key() if callable(getattr(type(nlri), "route_key", None)) else nlri
        name = announce if keyed is nlri else keyed.encode()
        same = codec.nlri.decode(announce, route.family.afi) == nlri
    except (BgpError, OverflowError, OSError, AttributeError, TypeError) as exc:
        raise ValueError(f"not a {route.family} NLRI: {exc}") from None
    if not same:
        raise ValueError(f"not a {route.family} NLRI: {type(nlri).__name__} does not "
                         "read back as itself")
    return announce, name


def route_nlri_key(route: Route | FlowRoute | Vpls | NlriRoute) -> bytes:
    """The Adj-RIB-Out key of any route a producer can give; ValueError if it
    cannot be encoded."""
    if type(route) is Route:
        family = route.family
        codec = codec_for(family)
        if type(codec) is PrefixCodec:
            nlri = codec.pack(route.prefix)
            if route.path_id is None:
                return nlri
            return _key(nlri, nlri, nlri, route.path_id)
        afi = family.afi
        withdrawn = (WITHDRAWN_LABEL,)
        if family.safi == SAFI_MPLS_LABEL:
            value = LabeledPrefix(afi, route.prefix, _raw_labels(route.labels))
            gone = LabeledPrefix(afi, route.prefix, withdrawn)
        elif family.safi == SAFI_MPLS_VPN:
            if route.rd is None:
                raise ValueError(f"{family} route {route.prefix} has no rd")
            rd = RouteDistinguisher.parse(route.rd)
            value = VpnPrefix(afi, rd, route.prefix, _raw_labels(route.labels))
            gone = VpnPrefix(afi, rd, route.prefix, withdrawn)
        else:
            raise ValueError(f"routes of {family} are not prefixes")
        name = gone.encode()
        return _key(name, value.encode(), name, route.path_id)
    if type(route) is FlowRoute:
        family = route.family
        components = components_from_match(family.afi, route.match)
        if family.safi == SAFI_FLOW:
            nlri = FlowSpec(family.afi, components).encode()
        elif family.safi == SAFI_FLOW_VPN:
            if route.rd is None:
                raise ValueError("flow-vpn route has no rd")
            nlri = FlowSpecVpn(family.afi, components, RouteDistinguisher.parse(route.rd)).encode()
        else:
            raise ValueError(f"{family} is not a FlowSpec family")
        return _key(nlri, nlri, nlri, None)
    if type(route) is Vpls:
        nlri = VplsNlri(RouteDistinguisher.parse(route.rd), route.endpoint, route.offset,
                        route.size, (route.base << 4) | 1).encode()
        return _key(nlri, nlri, nlri, None)
    if type(route) is NlriRoute:
        announce, name = nlri_octets(route)
        if announce == name and route.path_id is None:
            return announce
        return _key(name, announce, name, route.path_id)
    raise ValueError(f"not a route: {route!r}")


VPLS = Family(AFI_L2VPN, SAFI_VPLS)


def rib_entry(route: Route | FlowRoute | Vpls | NlriRoute
              ) -> tuple[Family, bytes, str, Attributes]:
    """(family, key, next hop, attributes) as the Adj-RIB-Out stores a route.

    The next hop is an address, "self", or "" for none (FlowSpec, RFC 8955
    section 4: a zero-length next hop unless an action redirects to one).
    A FlowRoute's actions join its extended communities.
    """
    key = route_nlri_key(route)
    if type(route) is FlowRoute:
        communities, redirect = flow_actions(route.actions)
        attributes = route.attributes
        if communities:
            attributes = dataclasses.replace(
                attributes,
                extended_communities=attributes.extended_communities + communities)
        return route.family, key, redirect or route.next_hop or "", attributes
    family = VPLS if type(route) is Vpls else route.family
    return family, key, route.next_hop or "self", route.attributes


_NO_PATH = bytes(4)


def _wire(nlris: list[bytes], add_path: bool, withdraw: bool) -> list[bytes]:
    """Adj-RIB-Out keys to the NLRI this session reads."""
    if add_path:
        # RFC 7911 section 3: every NLRI of the family carries an identifier;
        # a route given none is path 0, as ExaBGP sends it
        return [_NO_PATH + k if type(k) is bytes else
                path_id_octets(k.path_id or 0) + (k.withdraw if withdraw else k.announce)
                for k in nlris]
    if withdraw:
        return [k if type(k) is bytes else k.withdraw for k in nlris]
    return [k if type(k) is bytes else k.announce for k in nlris]


def _family_head(family: Family) -> bytes:
    return family.afi.to_bytes(2, "big") + bytes((family.safi,))


def pack_announce(
    family: Family, attributes: bytes, next_hop: str, nlris: list[bytes], session: Session
) -> list[bytes]:
    """Whole UPDATE messages announcing ``nlris`` with one next hop.

    IPv4 unicast uses NEXT_HOP and the NLRI field, unless its next hop is
    IPv6 and the session negotiated extended next hop for it (RFC 8950
    section 4: MP_REACH_NLRI AFI 1 SAFI 1, a 16- or 32-octet next hop).
    Every other family (IPv4 multicast too) uses an MP_REACH_NLRI (RFC
    4760), whose next hop may be
    "global,link-local", follows an all-zero RD for mpls-vpn (RFC 4364
    section 4.3.2), and is empty when ``next_hop`` is "" (FlowSpec, RFC 8955
    section 4).  ``nlris`` are Adj-RIB-Out keys (see ``NlriKey``).
    """
    if not nlris:
        return []
    if session.otc_refuse and _has(attributes, OTC) and not _ours(attributes, session.otc_add):
        # RFC 9234 section 5: "If a route already contains the OTC Attribute,
        # it MUST NOT be propagated to Providers, Peers, or RSes."  To a peer
        # the OTC that encode_attributes added (our AS) is not the route's.
        raise ValueError("the route carries OTC and the peer is a provider, peer or rs "
                         "(RFC 9234 section 5)")
    nlris = _wire(nlris, family in session.add_path_send, False)
    max_size = session.max_size
    if family == IPV4_UNICAST and not (":" in next_hop and
                                       (IPV4_UNICAST, 2) in session.extended_next_hop):
        try:
            address = socket.inet_aton(next_hop)
        except OSError:
            raise ValueError(f"not an IPv4 next hop: {next_hop!r}") from None
        at = _position(attributes, NEXT_HOP)
        full = attributes[:at] + bytes((TRANSITIVE, NEXT_HOP, 4)) + address + attributes[at:]
        budget = max_size - _UPDATE_FIXED - len(full)
        return [_update(b"", full, chunk) for chunk in _chunks(nlris, budget)]

    try:
        hop = encode_next_hops(family, tuple(part.strip() for part in next_hop.split(","))) \
            if next_hop else b""
    except OSError:
        raise ValueError(f"bad next hop {next_hop!r}") from None
    fixed = _family_head(family) + bytes((len(hop),)) + hop + b"\x00"
    at = _position(attributes, MP_REACH_NLRI)
    before, after = attributes[:at], attributes[at:]
    # budget for the longest (extended length) attribute header
    budget = max_size - _UPDATE_FIXED - len(attributes) - 4 - len(fixed)
    return [
        _update(b"", before + pack_attribute(OPTIONAL, MP_REACH_NLRI, fixed + chunk) + after, b"")
        for chunk in _chunks(nlris, budget)
    ]


def pack_withdraw(family: Family, nlris: list[bytes], session: Session) -> list[bytes]:
    """Whole UPDATE messages withdrawing ``nlris``."""
    if not nlris:
        return []
    nlris = _wire(nlris, family in session.add_path_send, True)
    if family == IPV4_UNICAST:
        budget = session.max_size - _UPDATE_FIXED
        return [_update(chunk, b"", b"") for chunk in _chunks(nlris, budget)]
    head = _family_head(family)
    budget = session.max_size - _UPDATE_FIXED - 4 - len(head)
    return [
        _update(b"", pack_attribute(OPTIONAL, MP_UNREACH_NLRI, head + chunk), b"")
        for chunk in _chunks(nlris, budget)
    ]


def end_of_rib(family: Family) -> bytes:
    """RFC 4724 section 2: the End-of-RIB marker of ``family``."""
    if family == IPV4_UNICAST:
        return _update(b"", b"", b"")
    return _update(b"", pack_attribute(OPTIONAL, MP_UNREACH_NLRI, _family_head(family)), b"")
