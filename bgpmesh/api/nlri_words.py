"""Word grammars for the routes whose NLRI are codec objects: EVPN, RTC,
MUP, MCAST-VPN (all seven route types) and SR Policy.

EVPN and RTC are bgpmesh extensions: ExaBGP 4.2 and 5.0 decode these
families but have no statement or command to announce them.  The EVPN words follow
GoBGP's ``gobgp global rib add -a evpn`` where they can::

    evpn ethernet-ad|a-d         rd RD [esi ESI] [etag N] [label [ N ]|vni N]
    evpn macadv|mac-ip MAC [IP]  rd RD [esi ESI] [etag N] label [ N [ N ] ]|vni [ N [ N ] ]
    evpn multicast IP            rd RD [etag N]
    evpn ethernet-segment|es ESI IP  rd RD
    evpn prefix|ip-prefix PREFIX rd RD [esi ESI] [etag N] [gateway IP] [label [ N ]|vni N]

    rtc [origin|origin-as ASN [route-target RT]] | [default]

each followed by ``next-hop IP|self`` and any route attribute of
``routes.py`` (``extended-community [ target:65000:1 ]``, ``med``, ...),
``path-information N``, ``name NAME`` or (configuration) ``withdraw``.
EVPN routes also take the EVPN extended communities and the PMSI tunnel
by name (each added to what ``extended-community`` and ``attribute`` give)::

    encapsulation vxlan|nvgre|mpls|mpls-in-gre|vxlan-gpe|mpls-in-udp|geneve
                              RFC 9012 section 4.1 (0x03 0x0c), RFC 8365 5.1.3
    router-mac MAC            RFC 9135 section 8.1 (0x06 0x03)
    mac-mobility N [sticky]   RFC 7432 section 7.7 (0x06 0x00)
    esi-label N [single-active]  RFC 7432 section 7.5 (0x06 0x01)
    default-gateway           RFC 7432 section 7.8 (0x03 0x0d)
    pmsi ingress-replication IP [label N|vni N]
                              RFC 6514 section 5, RFC 7432 section 11.2 (the
                              inclusive multicast route "MUST carry" it)

MUP and MCAST-VPN take ExaBGP 5.0's words (its ``configuration/static/
mpls.py``), after ``ipv4 mup``/``ipv6 mup`` and ``ipv4 mcast-vpn``/``ipv6
mcast-vpn``, keywords in any order::

    mup-isd PREFIX rd RD                 Interwork Segment Discovery
    mup-dsd IP rd RD                     Direct Segment Discovery
    mup-t1st PREFIX rd RD teid N qfi N endpoint IP [source IP]
    mup-t2st IP rd RD teid N/BITS        BITS (0 to 32) of the TEID are sent

    source-ad source IP group IP rd RD                (RFC 6514 type 5)
    shared-join rp IP group IP rd RD source-as ASN    (type 6, C-* is the RP)
    source-join source IP group IP rd RD source-as ASN  (type 7)

ExaBGP has no words for MCAST-VPN types 1 to 4; bgpmesh's use the names of
the fields of ExaBGP's JSON for them (``docs/families-mup-mvpn-sr-policy.md``)::

    intra-as-i-pmsi-ad rd RD originating-router IP              (type 1)
    inter-as-i-pmsi-ad rd RD source-as ASN                      (type 2)
    s-pmsi-ad source IP|* group IP|* rd RD originating-router IP  (type 3,
                                              "*": the RFC 6625 wildcard)
    leaf-ad route-key [ TYPE ... ] originating-router IP        (type 4: the
                                              route it answers, in these words)

draft-mpmz-bess-mup-safi section 3 and RFC 6514 section 4 give the fields.
The prefixes and addresses the NLRI's AFI types (the ISD and T1ST prefix,
the DSD address and T2ST endpoint, the customer source, RP and group: RFC
6515 section 2) must be of its family; a T1ST endpoint and source, and an
originating router (the provider's), may be of either.  ``mup:A:B`` is the MUP extended
community (type 0x0c, 2 + 4 octets), and ExaBGP's ``bgp-prefix-sid-srv6 (
l3-service|l2-service SID [BEHAVIOR [ [ LBL , LNL , FL , AL , TL , TO ] ] ] )``
the RFC 9252 SRv6 service in a Prefix-SID attribute.  These routes have no
key smaller than the NLRI: a withdrawal repeats every field.

SR Policy (RFC 9830) is bgpmesh's too, after ``ipv4|ipv6 sr-policy``: the
NLRI, then the candidate path, which becomes the Tunnel Encapsulation
attribute (section ``SR Policy`` below for its layout)::

    distinguisher N color N endpoint IP [preference N] [binding-sid LABEL|IPV6]
    [priority N] segment-list [ [weight N] label N|sid IPV6 ... ] [segment-list ...]

RFC 7432 section 7 and RFC 9136 section 3.1 give the fields: ESI is ``0``
or ten colon-separated hex octets, ``etag`` the Ethernet Tag ID, ``label``
MPLS labels (20 bits, Bottom of Stack set on the last, as ExaBGP encodes
them), ``vni`` the whole 24-bit field for VXLAN (RFC 8365 section 5.1.3).
A label left out is the all-zero field (RFC 7432 section 8.2.1: "the MPLS
label ... MUST be set to 0" on an Ethernet A-D per ES route).  RTC (RFC
4684 section 4) is a prefix over origin AS and route target: nothing (or
``default``) is the zero-length default route, ``origin`` alone 32 bits,
with ``route-target`` all 96.

Theory of operation: ``GRAMMARS[word](words, index, withdraw, name, family)``
(``evpn_from_words``, ``rtc_from_words``) reads one line into a
``NlriRoute`` whose ``nlri`` is the codec's own frozen value, so encoding is
the codec's.  ``nlri_text(value)`` writes a value
back in these words (without the leading ``evpn``/``rtc``): it is how
``show adj-rib out``, errors and the bus name a route, and it parses back to
the same value.  Another family plugs in with its parser in ``GRAMMARS``,
its family in ``FAMILY_GRAMMARS`` and, for its text, one entry in ``_TEXT``
(any other value shows as its hex); nothing else in bgpmesh changes.

Rules: as in ``routes.py``, a mistake raises ``WordError(message, index)``
with the index of the word at fault (``len(words)`` for a missing one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bgpmesh.api.routes import (
    _ATTRIBUTE_PARSERS,
    MAX_U32,
    WordError,
    _describe,
    _is_number,
    _word,
    list_words,
    parse_asn,
    parse_extended_community,
    parse_int,
    parse_ip,
    parse_prefix,
    parse_rd,
)
from bgpmesh.codec.nlri import evpn, mup, mvpn
from bgpmesh.codec.nlri.base import address_octets
from bgpmesh.codec.nlri.rd import RouteDistinguisher
from bgpmesh.codec.nlri.rtc import RouteTargetConstraint
from bgpmesh.codec.nlri.sr_policy import SrPolicy
from bgpmesh.family import (
    AFI_IPV4,
    AFI_IPV6,
    AFI_L2VPN,
    SAFI_EVPN,
    SAFI_MCAST_VPN,
    SAFI_MUP,
    SAFI_RTC,
    SAFI_SR_POLICY,
    Family,
)
from bgpmesh.route import Attributes, NlriRoute

EVPN = Family(AFI_L2VPN, SAFI_EVPN)
IPV4_RTC = Family(AFI_IPV4, SAFI_RTC)
IPV6_RTC = Family(AFI_IPV6, SAFI_RTC)
IPV4_MUP = Family(AFI_IPV4, SAFI_MUP)
IPV6_MUP = Family(AFI_IPV6, SAFI_MUP)
IPV4_MVPN = Family(AFI_IPV4, SAFI_MCAST_VPN)
IPV6_MVPN = Family(AFI_IPV6, SAFI_MCAST_VPN)
IPV4_SR_POLICY = Family(AFI_IPV4, SAFI_SR_POLICY)
IPV6_SR_POLICY = Family(AFI_IPV6, SAFI_SR_POLICY)

_EMPTY = Attributes()
MAX_LABEL = 0xFFFFF  # RFC 3032: 20 bits
MAX_VNI = 0xFFFFFF  # RFC 8365 section 5.1.3: the whole 24-bit field

# route type word -> route type code (two spellings each)
EVPN_TYPES = {
    "ethernet-ad": evpn.ETHERNET_AD, "a-d": evpn.ETHERNET_AD,
    "macadv": evpn.MAC_IP, "mac-ip": evpn.MAC_IP,
    "multicast": evpn.INCLUSIVE_MULTICAST, "inclusive-multicast": evpn.INCLUSIVE_MULTICAST,
    "ethernet-segment": evpn.ETHERNET_SEGMENT, "es": evpn.ETHERNET_SEGMENT,
    "prefix": evpn.IP_PREFIX, "ip-prefix": evpn.IP_PREFIX,
}
_TYPE_WORDS = {evpn.ETHERNET_AD: "ethernet-ad", evpn.MAC_IP: "macadv",
               evpn.INCLUSIVE_MULTICAST: "multicast", evpn.ETHERNET_SEGMENT: "ethernet-segment",
               evpn.IP_PREFIX: "prefix"}
# the field keywords each route type takes (RFC 7432 section 7, RFC 9136 section 3.1)
_FIELDS = {
    evpn.ETHERNET_AD: ("rd", "esi", "etag", "label", "vni"),
    evpn.MAC_IP: ("rd", "esi", "etag", "label", "vni"),
    evpn.INCLUSIVE_MULTICAST: ("rd", "etag"),
    evpn.ETHERNET_SEGMENT: ("rd",),
    evpn.IP_PREFIX: ("rd", "esi", "etag", "gateway", "label", "vni"),
}
_ALIASES = {"route-distinguisher": "rd", "ethernet-tag": "etag", "gw": "gateway",
            "encap": "encapsulation"}
# RFC 9012 section 4.1 / IANA "BGP Tunnel Encapsulation Attribute Tunnel Types"
TUNNEL_TYPES = {"l2tpv3": 1, "gre": 2, "ip-in-ip": 7, "vxlan": 8, "nvgre": 9, "mpls": 10,
                "mpls-in-gre": 11, "vxlan-gpe": 12, "mpls-in-udp": 13, "geneve": 19}
INGRESS_REPLICATION = 6  # RFC 6514 section 5 tunnel type
PMSI_TUNNEL, OPTIONAL_TRANSITIVE = 22, 0xC0
# route words of routes.py that an NLRI route does not take
_NOT_NLRI = frozenset({"split", "watchdog", "label", "rd", "route-distinguisher"})


# -- field values -------------------------------------------------------------


def parse_esi(word: str, index: int) -> bytes:
    """``0`` or ten colon-separated hex octets (RFC 7432 section 5)."""
    if word == "0":
        return evpn.NO_ESI
    raw = _octets(word, 10)
    if raw is None:
        raise WordError(f"invalid ESI {_describe(word)}, expected 0 or ten hex octets "
                        "such as 00:11:22:33:44:55:66:77:88:99", index)
    return raw


def parse_mac(word: str, index: int) -> bytes:
    raw = _octets(word, 6)
    if raw is None:
        raise WordError(f"invalid MAC address {_describe(word)}, expected six hex octets "
                        "such as aa:bb:cc:dd:ee:ff", index)
    return raw


def _octets(word: str, count: int) -> bytes | None:
    parts = word.split(":")
    if len(parts) != count or not all(len(p) in (1, 2) and p.isascii() and
                                      all(c in "0123456789abcdefABCDEF" for c in p)
                                      for p in parts):
        return None
    return bytes(int(p, 16) for p in parts)


def _esi_text(raw: bytes) -> str:
    return "0" if raw == evpn.NO_ESI else ":".join(f"{o:02x}" for o in raw)


def _mac_text(raw: bytes) -> str:
    return ":".join(f"{o:02x}" for o in raw)


def _labels(words: list[str], index: int, kind: str, most: int) -> tuple[tuple[int, ...], int]:
    """``label [ N ... ]`` (index at the value) -> raw 3-octet fields."""
    items, after = list_words(words, index, kind)
    start = index + 1 if words[index] == "[" else index
    if not items or len(items) > most:
        raise WordError(f"expected {'one' if most == 1 else 'one or two'} {kind} "
                        f"value{'s' if most > 1 else ''}, got {len(items)}", start)
    if kind == "vni":
        return tuple(parse_int(item, start + n, "vni", 0, MAX_VNI)
                     for n, item in enumerate(items)), after
    values = [parse_int(item, start + n, "label", 0, MAX_LABEL) for n, item in enumerate(items)]
    # RFC 3032 label fields, Bottom of Stack on the last (ExaBGP's encoding)
    return tuple((v << 4) | (n == len(values) - 1) for n, v in enumerate(values)), after


def _labels_text(raw: tuple[int, ...]) -> str:
    if all((r & 0xF) == (n == len(raw) - 1) for n, r in enumerate(raw)):
        return f"label [ {' '.join(str(r >> 4) for r in raw)} ]"
    return f"vni [ {' '.join(str(r) for r in raw)} ]"


def _evpn_extras(words: list[str], at: int, found: dict) -> int | None:
    """The EVPN extended communities and PMSI tunnel words (module docstring):
    the next index, or None for a word that is not one of them."""
    word = _ALIASES.get(words[at], words[at])
    ext = found.setdefault("_ext", ([], at))[0]
    if word == "default-gateway":
        ext.append(0x030D << 48)
        return at + 1
    if word not in ("encapsulation", "router-mac", "mac-mobility", "esi-label", "pmsi"):
        return None
    value = _word(words, at + 1, f"{word} value")
    after = at + 2
    if word == "encapsulation":
        kind = TUNNEL_TYPES.get(value.lower())
        if kind is None:
            raise WordError(f"unknown encapsulation {_describe(value)}, expected one of: "
                            f"{', '.join(TUNNEL_TYPES)}", at + 1)
        ext.append((0x030C << 48) | kind)
    elif word == "router-mac":
        ext.append((0x0603 << 48) | int.from_bytes(parse_mac(value, at + 1), "big"))
    elif word == "mac-mobility":
        sequence = parse_int(value, at + 1, "mac-mobility sequence number", 0, MAX_U32)
        sticky = after < len(words) and words[after] == "sticky"
        ext.append((0x0600 << 48) | (int(sticky) << 40) | sequence)
        after += sticky
    elif word == "esi-label":
        label = parse_int(value, at + 1, "esi-label", 0, MAX_LABEL)
        single = after < len(words) and words[after] == "single-active"
        ext.append((0x0601 << 48) | (int(single) << 40) | (label << 4))
        after += single
    else:
        if "pmsi" in found:
            raise WordError("pmsi given twice", at)
        if value != "ingress-replication":
            raise WordError(f"unknown PMSI tunnel type {_describe(value)}, expected "
                            "ingress-replication", at + 1)
        endpoint = parse_ip(_word(words, after, "PMSI tunnel endpoint IP address"), after,
                            "PMSI tunnel endpoint")
        after += 1
        label = 0
        if after < len(words) and words[after] in ("label", "vni"):
            kind = words[after]
            high = MAX_LABEL if kind == "label" else MAX_VNI
            number = parse_int(_word(words, after + 1, f"PMSI {kind}"), after + 1,
                               f"PMSI {kind}", 0, high)
            label = (number << 4) | 1 if kind == "label" else number
            after += 2
        tunnel = bytes((0, INGRESS_REPLICATION)) + label.to_bytes(3, "big") + \
            address_octets(endpoint)
        found["pmsi"] = ((PMSI_TUNNEL, OPTIONAL_TRANSITIVE, tunnel), at)
    return after


def _rd(word: str, index: int) -> RouteDistinguisher:
    return RouteDistinguisher.parse(parse_rd(word, index))


# -- the shared loop ----------------------------------------------------------


def _route_words(words: list[str], index: int, fields: tuple[str, ...], what: str,
                 special: Callable[[list[str], int, dict], int | None] | None = None
                 ) -> tuple[dict, dict, str | None, dict]:
    """Field keywords (in ``fields``) and route attributes to the end.

    Returns (field values by keyword, attribute values, next hop, route-level
    values: path_id, name, withdrawn).  ``special(words, index, found)`` may
    take the word at ``index`` first (returns the next index, or None to pass)."""
    found: dict[str, tuple[Any, int]] = {}
    values: dict = {}
    count = len(words)
    while index < count:
        word = words[index]
        if special is not None:
            after = special(words, index, found)
            if after is not None:
                index = after
                continue
        keyword = _ALIASES.get(word, word)
        if keyword in fields:
            if keyword in found or (keyword in ("label", "vni") and
                                    ("label" in found or "vni" in found)):
                raise WordError(f"{word} given twice", index)
            value_at = index + 1
            _word(words, value_at, f"{word} value")
            if keyword in ("label", "vni"):
                raw, index = _labels(words, value_at, keyword, 2)
                found[keyword] = (raw, value_at)
                continue
            found[keyword] = (words[value_at], value_at)
            index = value_at + 1
            continue
        parser = _ATTRIBUTE_PARSERS.get(word)
        if parser is None or word in _NOT_NLRI:
            expected = ", ".join(fields)
            raise WordError(f"unknown {what} keyword {_describe(word)}, expected "
                            f"{expected + ', ' if expected else ''}next-hop or a route "
                            "attribute", index)
        index = parser(words, index + 1, values)
    next_hop = values.pop("next_hop", None)
    extra = values.pop("_route", None) or {}
    return found, values, next_hop, extra


def _finish(family: Family, nlri: Any, values: dict, next_hop: str | None, extra: dict,
            withdraw: bool, name: str | None, what: str, count: int) -> NlriRoute:
    if withdraw:
        next_hop, attributes = None, _EMPTY
    else:
        if next_hop is None:
            raise WordError(f"{what} has no next-hop, expected 'next-hop IP|self'", count)
        attributes = Attributes(**values) if values else _EMPTY
    return NlriRoute(family, nlri, next_hop, attributes, extra.get("path_id"),
                     name or extra.get("name"), extra.get("withdrawn", False))


# -- EVPN ---------------------------------------------------------------------


def evpn_from_words(words: list[str], index: int, withdraw: bool = False,
                    name: str | None = None, family: Family = EVPN) -> NlriRoute:
    """``TYPE positional... rd RD ... next-hop IP`` from ``words[index:]``."""
    word = _word(words, index, "EVPN route type")
    code = EVPN_TYPES.get(word)
    if code is None:
        raise WordError(f"unknown EVPN route type {_describe(word)}, expected one of: "
                        f"{', '.join(EVPN_TYPES)}", index)
    what = f"evpn {word}"
    index += 1
    positional: list[Any] = []
    if code == evpn.MAC_IP:
        positional.append(parse_mac(_word(words, index, "MAC address"), index))
        index += 1
        ip = None
        if index < len(words) and _looks_like_ip(words[index]):
            ip = parse_ip(words[index], index, "IP address")
            index += 1
        positional.append(ip)
    elif code == evpn.INCLUSIVE_MULTICAST:
        positional.append(parse_ip(_word(words, index, "originating router's IP address"),
                                   index, "originating router's IP address"))
        index += 1
    elif code == evpn.ETHERNET_SEGMENT:
        positional.append(parse_esi(_word(words, index, "ESI"), index))
        positional.append(parse_ip(_word(words, index + 1, "originating router's IP address"),
                                   index + 1, "originating router's IP address"))
        index += 2
    elif code == evpn.IP_PREFIX:
        positional.append(parse_prefix(_word(words, index, "IP prefix"), index))
        index += 1
    fields = _FIELDS[code]
    found, values, next_hop, extra = _route_words(words, index, fields, what, _evpn_extras)
    ext = found.pop("_ext", ([], 0))[0]
    if ext:
        values["extended_communities"] = (*values.get("extended_communities", ()), *ext)
    if "pmsi" in found:
        values["generic"] = (*values.get("generic", ()), found.pop("pmsi")[0])
    count = len(words)
    if "rd" not in found:
        raise WordError(f"{what} has no rd, expected 'rd ASN:N|IP:N'", count)
    rd = _rd(*found["rd"])
    esi = parse_esi(*found["esi"]) if "esi" in found else evpn.NO_ESI
    etag = parse_int(*found["etag"], "etag", 0, MAX_U32) if "etag" in found else 0
    labels = found.get("label", found.get("vni"))
    raw_labels: tuple[int, ...] = labels[0] if labels is not None else (0,)
    if code != evpn.MAC_IP and len(raw_labels) > 1:
        raise WordError(f"{what} takes one label, expected 'label [ N ]'", labels[1])
    if code == evpn.ETHERNET_AD:
        nlri: Any = evpn.EvpnEthernetAd(rd, esi, etag, raw_labels[0])
    elif code == evpn.MAC_IP:
        if labels is None and not withdraw:  # a withdrawal names the route by its key
            raise WordError(f"{what} has no label, expected 'label [ N ]' or 'vni N' "
                            "(RFC 7432 section 7.2: MPLS Label1 is always present)", count)
        nlri = evpn.EvpnMacIp(rd, esi, etag, positional[0], positional[1], raw_labels)
    elif code == evpn.INCLUSIVE_MULTICAST:
        nlri = evpn.EvpnMulticast(rd, etag, positional[0])
    elif code == evpn.ETHERNET_SEGMENT:
        nlri = evpn.EvpnSegment(rd, positional[0], positional[1])
    else:
        prefix_family, prefix = positional[0]
        ipv6 = prefix_family.afi == 2
        gateway = "::" if ipv6 else "0.0.0.0"
        if "gateway" in found:
            gateway = parse_ip(*found["gateway"], "gateway IP address")
            if (":" in gateway) != ipv6:
                # RFC 9136 section 3.1: "the IP Prefix and Gateway IP Address
                # ... MUST be of the same IP address family"
                raise WordError(f"gateway {gateway} is not of the family of {prefix}",
                                found["gateway"][1])
        nlri = evpn.EvpnPrefix(rd, esi, etag, prefix, gateway, raw_labels[0])
    return _finish(family, nlri, values, next_hop, extra, withdraw, name, what, count)


def _looks_like_ip(word: str) -> bool:
    return "." in word or ":" in word  # no keyword has either


def _evpn_text(value: Any) -> str:
    code = value.CODE
    parts = [_TYPE_WORDS[code]]
    kind = type(value)
    if kind is evpn.EvpnMacIp:
        parts.append(_mac_text(value.mac))
        if value.ip is not None:
            parts.append(value.ip)
    elif kind is evpn.EvpnMulticast:
        parts.append(value.ip)
    elif kind is evpn.EvpnSegment:
        parts += [_esi_text(value.esi), value.ip]
    elif kind is evpn.EvpnPrefix:
        parts.append(value.prefix)
    parts += ["rd", str(value.rd)]
    if kind in (evpn.EvpnEthernetAd, evpn.EvpnMacIp, evpn.EvpnPrefix):
        parts += ["esi", _esi_text(value.esi)]
    if kind is not evpn.EvpnSegment:
        parts += ["etag", str(value.etag)]
    if kind is evpn.EvpnPrefix and value.gateway not in ("0.0.0.0", "::"):
        parts += ["gateway", value.gateway]
    if kind is evpn.EvpnMacIp:
        parts.append(_labels_text(value.labels))
    elif kind in (evpn.EvpnEthernetAd, evpn.EvpnPrefix) and value.label:
        parts.append(_labels_text((value.label,)))
    return " ".join(parts)


# -- RTC ----------------------------------------------------------------------


def parse_route_target(word: str, index: int) -> bytes:
    """``65000:1``, ``192.0.2.1:1``, ``4200000000L:1`` (``target:`` optional) -> the
    8 octets of the Route Target extended community (RFC 4360 section 4)."""
    text = word if word.lower().startswith("target:") else "target:" + word
    try:
        value = parse_extended_community(text, index)
    except WordError:
        raise WordError(f"invalid route target {_describe(word)}, expected ASN:N, IPV4:N "
                        "or ASNL:N", index) from None
    return value.to_bytes(8, "big")


def rtc_from_words(words: list[str], index: int, withdraw: bool = False,
                   name: str | None = None, family: Family = IPV4_RTC) -> NlriRoute:
    """``[origin ASN [route-target RT] | default] next-hop IP ...``."""

    def special(words: list[str], at: int, found: dict) -> int | None:
        word = words[at]
        if word == "default":
            found["default"] = (None, at)
            return at + 1
        if word == "origin-as" or (word == "origin" and at + 1 < len(words) and
                                   _is_number(words[at + 1].partition(".")[0])):
            if "origin" in found:
                raise WordError("origin AS given twice", at)
            found["origin"] = (parse_asn(_word(words, at + 1, "origin AS"), at + 1,
                                         "origin AS", 0), at + 1)
            return at + 2
        if word == "route-target" or word == "rt":
            if "route-target" in found:
                raise WordError("route-target given twice", at)
            found["route-target"] = (parse_route_target(
                _word(words, at + 1, "route target"), at + 1), at + 1)
            return at + 2
        return None

    found, values, next_hop, extra = _route_words(words, index, (), "rtc", special)
    count = len(words)
    if "default" in found and ("origin" in found or "route-target" in found):
        raise WordError("default is the zero-length RTC route, expected no origin or "
                        "route-target with it", found["default"][1])
    if "route-target" in found and "origin" not in found:
        raise WordError("route-target without origin, expected 'origin ASN route-target RT' "
                        "(RFC 4684 section 4: the origin AS comes first)",
                        found["route-target"][1])
    if "origin" not in found:
        nlri = RouteTargetConstraint(0)
    elif "route-target" not in found:
        nlri = RouteTargetConstraint(32, found["origin"][0])
    else:
        nlri = RouteTargetConstraint(96, found["origin"][0], found["route-target"][0])
    return _finish(family, nlri, values, next_hop, extra, withdraw, name, "rtc", count)


def _route_target_text(raw: bytes) -> str:
    kind, sub = raw[0] & 0x3F, raw[1]
    if sub == 2 and kind == 0:
        return f"{int.from_bytes(raw[2:4], 'big')}:{int.from_bytes(raw[4:], 'big')}"
    if sub == 2 and kind == 1:
        return f"{'.'.join(str(o) for o in raw[2:6])}:{int.from_bytes(raw[6:], 'big')}"
    if sub == 2 and kind == 2:
        return f"{int.from_bytes(raw[2:6], 'big')}L:{int.from_bytes(raw[6:], 'big')}"
    return "0x" + raw.hex()


def _rtc_text(value: RouteTargetConstraint) -> str:
    if not value.bits:
        return "default"
    text = f"origin {value.origin}"
    if value.bits == 96:
        return f"{text} route-target {_route_target_text(value.route_target)}"
    if value.bits > 32:
        return f"{text} route-target 0x{value.route_target.hex()}/{value.bits - 32}"
    return text


# -- MUP (ExaBGP 5.0's words) -------------------------------------------------

# route type word -> (route type code, positional word, field keywords), as
# ExaBGP 5.0's "configuration/static/mpls.py" spells them
MUP_TYPES = {
    "mup-isd": (mup.ISD, "prefix", ("rd",)),
    "mup-dsd": (mup.DSD, "address", ("rd",)),
    "mup-t1st": (mup.T1ST, "prefix", ("rd", "teid", "qfi", "endpoint", "source")),
    "mup-t2st": (mup.T2ST, "endpoint", ("rd", "teid")),
}
_MUP_WORDS = {code: word for word, (code, _, _) in MUP_TYPES.items()}
_AFI_WIDTH = {AFI_IPV4: 32, AFI_IPV6: 128}


def _of_afi(text: str, at: int, afi: int, what: str) -> str:
    """``text`` (an address or prefix) must be of the family of the NLRI's AFI."""
    if (":" in text) != (afi == AFI_IPV6):
        raise WordError(f"{what} {text} is not an {'IPv6' if afi == AFI_IPV6 else 'IPv4'} "
                        "address, the family of the route", at)
    return text


def _required(found: dict, keyword: str, what: str, count: int, hint: str) -> tuple[str, int]:
    if keyword not in found:
        raise WordError(f"{what} has no {keyword}, expected '{keyword} {hint}'", count)
    return found[keyword]


# RFC 9252: Prefix-SID (attribute 40, RFC 8669) TLVs for SRv6 services
#
# SRv6 L3 (5) / L2 (6) Service TLV:  Type 1 | Length 2 | Reserved 1 | Sub-TLVs
#   SRv6 SID Information Sub-TLV (1):  Type 1 | Length 2 | Reserved1 1 |
#       SID 16 | SID Flags 1 | Endpoint Behavior 2 | Reserved2 1 | Sub-Sub-TLVs
#     SRv6 SID Structure Sub-Sub-TLV (1):  Type 1 | Length 2 (6) |
#         Locator Block Length 1 | Locator Node Length 1 | Function Length 1 |
#         Argument Length 1 | Transposition Length 1 | Transposition Offset 1
PREFIX_SID = 40
SRV6_SERVICES = {"l3-service": 5, "l2-service": 6}
_OPAQUE_BEHAVIOR = 0xFFFF  # RFC 8986 section 10.2: "Opaque", when none is given


def _tlv(kind: int, value: bytes) -> bytes:
    return bytes((kind,)) + len(value).to_bytes(2, "big") + value


def _prefix_sid_srv6(words: list[str], at: int, found: dict) -> int | None:
    """ExaBGP 5.0's ``bgp-prefix-sid-srv6 ( l3-service|l2-service SID [BEHAVIOR
    [ [ LBL , LNL , FL , AL , TL , TO ] ] ] )``: the Prefix-SID attribute, kept
    in ``generic`` as its bytes (the index after it, None for another word)."""
    if words[at] != "bgp-prefix-sid-srv6":
        return None
    if "prefix-sid" in found:
        raise WordError("bgp-prefix-sid-srv6 given twice", at)
    if _word(words, at + 1, "'('") != "(":
        raise WordError("expected '(' after bgp-prefix-sid-srv6", at + 1)
    kind = _word(words, at + 2, "l3-service or l2-service")
    if kind not in SRV6_SERVICES:
        raise WordError(f"unknown SRv6 service {_describe(kind)}, expected l3-service or "
                        "l2-service", at + 2)
    sid = parse_ip(_word(words, at + 3, "SRv6 SID"), at + 3, "SRv6 SID")
    if ":" not in sid:
        raise WordError(f"SRv6 SID {sid} is not an IPv6 address", at + 3)
    index = at + 4
    behavior, structure = _OPAQUE_BEHAVIOR, b""
    if _word(words, index, "')'") != ")":
        behavior = _number(words[index], index, "SRv6 endpoint behavior", 0xFFFF)
        index += 1
        if _word(words, index, "')'") == "[":
            fields = []
            for n in range(6):
                if n:
                    if _word(words, index + 1, "','") != ",":
                        raise WordError("expected ',' between the six SID structure lengths",
                                        index + 1)
                    index += 1
                index += 1
                fields.append(_number(_word(words, index, "SID structure length"), index,
                                      "SID structure length", 0xFF))
            if _word(words, index + 1, "']'") != "]":
                raise WordError("expected ']' after the six SID structure lengths", index + 1)
            structure = _tlv(1, bytes(fields))
            index += 2
        if _word(words, index, "')'") != ")":
            raise WordError(f"unexpected {_describe(words[index])}, expected ')'", index)
    information = _tlv(1, b"\x00" + address_octets(sid) + b"\x00" +
                       behavior.to_bytes(2, "big") + b"\x00" + structure)
    service = _tlv(SRV6_SERVICES[kind], b"\x00" + information)
    found["prefix-sid"] = ((PREFIX_SID, OPTIONAL_TRANSITIVE, service), at)
    return index + 1


def _number(word: str, index: int, what: str, high: int) -> int:
    """Decimal or ``0x`` hex, as ExaBGP takes these."""
    if word.lower().startswith("0x"):
        try:
            value = int(word[2:], 16)
        except ValueError:
            raise WordError(f"invalid {what} {_describe(word)}", index) from None
        if value > high:
            raise WordError(f"{what} {word} out of range, expected 0..{high}", index)
        return value
    return parse_int(word, index, what, 0, high)


def mup_from_words(words: list[str], index: int, withdraw: bool = False,
                   name: str | None = None, family: Family = IPV4_MUP) -> NlriRoute:
    """``mup-isd|mup-dsd|mup-t1st|mup-t2st VALUE rd RD ... next-hop IP`` (the
    ``mup`` word before it is read by the caller)."""
    word = _word(words, index, "MUP route type")
    kind = MUP_TYPES.get(word)
    if kind is None:
        raise WordError(f"unknown MUP route type {_describe(word)}, expected one of: "
                        f"{', '.join(MUP_TYPES)}", index)
    code, first, fields = kind
    what = f"mup {word}"
    afi = family.afi
    at = index + 1
    value = _word(words, at, f"{what} {first}")
    if first == "prefix":
        prefix_family, positional = parse_prefix(value, at)
        _of_afi(positional, at, afi, "prefix")
    else:
        positional = _of_afi(parse_ip(value, at, f"{first} address"), at, afi, first)
    found, values, next_hop, extra = _route_words(words, at + 1, fields, what,
                                                  _prefix_sid_srv6)
    if "prefix-sid" in found:
        values["generic"] = (*values.get("generic", ()), found.pop("prefix-sid")[0])
    count = len(words)
    rd = _rd(*_required(found, "rd", what, count, "ASN:N|IP:N"))
    if code == mup.ISD:
        nlri: Any = mup.MupInterworkSegment(rd, positional)
    elif code == mup.DSD:
        nlri = mup.MupDirectSegment(rd, positional)
    elif code == mup.T1ST:
        teid = parse_int(*_required(found, "teid", what, count, "N"), "teid", 0, MAX_U32)
        qfi = parse_int(*_required(found, "qfi", what, count, "N"), "qfi", 0, 0xFF)
        text, at = _required(found, "endpoint", what, count, "IP")
        endpoint = parse_ip(text, at, "endpoint address")
        source = parse_ip(*found["source"], "source address") if "source" in found else None
        nlri = mup.MupType1Session(rd, positional, teid, qfi, endpoint, source)
    else:
        text, at = _required(found, "teid", what, count, "N/BITS")
        number, slash, bits = text.partition("/")
        if not slash:
            raise WordError(f"invalid teid {_describe(text)}, expected TEID/BITS such as "
                            "12345/32 (the TEID and how many bits of it are sent)", at)
        width = parse_int(bits, at, "teid length", 0, 32)
        teid = parse_int(number, at, "teid", 0, MAX_U32)
        if teid >> width:
            raise WordError(f"teid {teid} does not fit in {width} bits", at)
        nlri = mup.MupType2Session(rd, positional, width, teid)
    return _finish(family, nlri, values, next_hop, extra, withdraw, name, what, count)


def _mup_text(value: Any) -> str:
    kind = type(value)
    head = _MUP_WORDS[value.CODE]
    if kind is mup.MupInterworkSegment:
        return f"{head} {value.prefix} rd {value.rd}"
    if kind is mup.MupDirectSegment:
        return f"{head} {value.address} rd {value.rd}"
    if kind is mup.MupType1Session:
        text = (f"{head} {value.prefix} rd {value.rd} teid {value.teid} qfi {value.qfi} "
                f"endpoint {value.endpoint}")
        return text if value.source is None else f"{text} source {value.source}"
    return f"{head} {value.endpoint} rd {value.rd} teid {value.teid}/{value.teid_bits}"


# -- MCAST-VPN (ExaBGP 5.0's words for types 5 to 7, bgpmesh's for 1 to 4) ----

# route type word -> (route type code, the customer address keywords, the others);
# types 5 to 7 as ExaBGP 5.0 spells them, 1 to 4 (which ExaBGP cannot announce)
# with the names of its JSON fields
MVPN_TYPES = {
    "intra-as-i-pmsi-ad": (mvpn.INTRA_AS_I_PMSI_AD, (), ("rd", "originating-router")),
    "inter-as-i-pmsi-ad": (mvpn.INTER_AS_I_PMSI_AD, (), ("rd", "source-as")),
    "s-pmsi-ad": (mvpn.S_PMSI_AD, ("source", "group"), ("rd", "originating-router")),
    "leaf-ad": (mvpn.LEAF_AD, (), ("route-key", "originating-router")),
    "source-ad": (mvpn.SOURCE_ACTIVE_AD, ("source", "group"), ("rd",)),
    "shared-join": (mvpn.SHARED_TREE_JOIN, ("rp", "group"), ("rd", "source-as")),
    "source-join": (mvpn.SOURCE_TREE_JOIN, ("source", "group"), ("rd", "source-as")),
}
_MVPN_WORDS = {code: word for word, (code, _, _) in MVPN_TYPES.items()}


def mvpn_from_words(words: list[str], index: int, withdraw: bool = False,
                    name: str | None = None, family: Family = IPV4_MVPN) -> NlriRoute:
    """``TYPE ... rd RD ... next-hop IP`` (``MVPN_TYPES``)."""
    nlri, what, values, next_hop, extra = _mvpn_words(words, index, family)
    return _finish(family, nlri, values, next_hop, extra, withdraw, name, what, len(words))


def _mvpn_words(words: list[str], index: int, family: Family) -> tuple:
    word = _word(words, index, "MCAST-VPN route type")
    kind = MVPN_TYPES.get(word)
    if kind is None:
        raise WordError(f"unknown MCAST-VPN route type {_describe(word)}, expected one of: "
                        f"{', '.join(MVPN_TYPES)}", index)
    code, addresses, others = kind
    what = f"mcast-vpn {word}"
    special = _route_key(family) if code == mvpn.LEAF_AD else None
    found, values, next_hop, extra = _route_words(words, index + 1, (*addresses, *others), what,
                                                  special)
    count = len(words)
    # RFC 6515 section 2: the AFI is the family of the customer addresses; an
    # RFC 6625 wildcard "*" only in an S-PMSI A-D route
    customer = []
    for keyword in addresses:
        text, at = _required(found, keyword, what, count, "IP")
        if text == "*" and code == mvpn.S_PMSI_AD:
            customer.append(None)
        else:
            customer.append(_of_afi(parse_ip(text, at, f"{keyword} address"), at, family.afi,
                                    keyword))
    origin = None
    if "originating-router" in others:  # the provider's: either family (RFC 6515)
        origin = parse_ip(*_required(found, "originating-router", what, count, "IP"),
                          "originating router's IP address")
    if code == mvpn.LEAF_AD:
        key, _ = _required(found, "route-key", what, count, "[ TYPE ... ]")
        return mvpn.MvpnLeafAd(key, origin), what, values, next_hop, extra
    rd = _rd(*_required(found, "rd", what, count, "ASN:N|IP:N"))
    source_as = None
    if "source-as" in others:
        source_as = parse_asn(*_required(found, "source-as", what, count, "ASN"), "source-as", 0)
    if code == mvpn.INTRA_AS_I_PMSI_AD:
        nlri: Any = mvpn.MvpnIntraAsIpmsiAd(rd, origin)
    elif code == mvpn.INTER_AS_I_PMSI_AD:
        nlri = mvpn.MvpnInterAsIpmsiAd(rd, source_as)
    elif code == mvpn.S_PMSI_AD:
        nlri = mvpn.MvpnSpmsiAd(rd, customer[0], customer[1], origin)
    elif code == mvpn.SOURCE_ACTIVE_AD:
        nlri = mvpn.MvpnSourceActiveAd(rd, *customer)
    else:
        join = mvpn.MvpnSharedTreeJoin if code == mvpn.SHARED_TREE_JOIN else \
            mvpn.MvpnSourceTreeJoin
        nlri = join(rd, source_as, *customer)
    return nlri, what, values, next_hop, extra


def _route_key(family: Family) -> Callable[[list[str], int, dict], int | None]:
    """A Leaf A-D route's ``route-key [ TYPE ... ]``: the MCAST-VPN route it
    answers (RFC 6514 section 4.4), in these same words, bracketed."""

    def special(words: list[str], at: int, found: dict) -> int | None:
        if words[at] != "route-key":
            return None
        if "route-key" in found:
            raise WordError("route-key given twice", at)
        if _word(words, at + 1, "route key") != "[":
            raise WordError("expected '[ TYPE ... ]' after route-key", at + 1)
        inner, after = list_words(words, at + 1, "route key words")
        start = at + 2
        try:
            key, _, values, next_hop, extra = _mvpn_words(inner, 0, family)
        except WordError as error:
            raise WordError(error.message, start + error.index) from None
        if values or next_hop is not None or extra:
            raise WordError("a route key holds only the route's own words, no next hop or "
                            "attribute", start)
        if type(key) is mvpn.MvpnLeafAd:
            raise WordError("a route key cannot be a leaf A-D route", start)
        found["route-key"] = (key, at + 1)
        return after

    return special


def _mvpn_text(value: Any) -> str:
    kind = type(value)
    head = _MVPN_WORDS[value.CODE]
    if kind is mvpn.MvpnIntraAsIpmsiAd:
        return f"{head} rd {value.rd} originating-router {value.originator}"
    if kind is mvpn.MvpnInterAsIpmsiAd:
        return f"{head} rd {value.rd} source-as {value.source_as}"
    if kind is mvpn.MvpnSpmsiAd:
        return (f"{head} source {value.source or '*'} group {value.group or '*'} rd {value.rd} "
                f"originating-router {value.originator}")
    if kind is mvpn.MvpnLeafAd:
        return (f"{head} route-key [ {_mvpn_text(value.route_key)} ] "
                f"originating-router {value.originator}")
    if kind is mvpn.MvpnSourceActiveAd:
        return f"{head} source {value.source} group {value.group} rd {value.rd}"
    first = "rp" if kind is mvpn.MvpnSharedTreeJoin else "source"
    return (f"{head} {first} {value.source} group {value.group} rd {value.rd} "
            f"source-as {value.source_as}")


# -- SR Policy (bgpmesh's words) ------------------------------------------------

# The NLRI names a candidate path (RFC 9830 section 2.1); the path itself is
# the SR Policy Tunnel TLV of a Tunnel Encapsulation attribute (type 23, RFC
# 9012), built from these words (RFC 9830 section 2.4):
#
# Tunnel Encapsulation attribute: Tunnel Type 2 (15) | Length 2 | sub-TLVs
#   Preference (12):    Length 1 (6) | Flags 1 | RESERVED 1 | Preference 4
#   Binding SID (13):   Length 1 (6|18) | Flags 1 | RESERVED 1 | BSID 4|16
#   Priority (15):      Length 1 (2) | Priority 1 | RESERVED 1
#   Segment List (128): Length 2 | RESERVED 1 | sub-TLVs:
#     Weight (9):       Length 1 (6) | Flags 1 | RESERVED 1 | Weight 4
#     Type A (1):       Length 1 (6) | Flags 1 | RESERVED 1 | Label 20 | TC 3 | S 1 | TTL 8
#     Type B (13):      Length 1 (18) | Flags 1 | RESERVED 1 | SRv6 SID 16
#
# A sub-TLV type of 128 or more has a 2-octet length (RFC 9012 section 2).
TUNNEL_ENCAPSULATION = 23
SR_POLICY_TUNNEL = 15
_SR_FIELDS = ("distinguisher", "color", "endpoint", "preference", "binding-sid", "priority")


def _sub_tlv(kind: int, value: bytes) -> bytes:
    size = len(value).to_bytes(2, "big") if kind >= 128 else bytes((len(value),))
    return bytes((kind,)) + size + value


def _segment_list(words: list[str], at: int, found: dict) -> int | None:
    """``segment-list [ [weight N] label N|sid IPV6 ... ]``: a Segment List
    sub-TLV, in the order given (the next index, None for another word)."""
    if words[at] != "segment-list":
        return None
    if _word(words, at + 1, "'['") != "[":
        raise WordError("expected '[ [weight N] label N|sid IPV6 ... ]' after segment-list",
                        at + 1)
    inner, after = list_words(words, at + 1, "segment list words")
    start = at + 2
    parts, index = [], 0
    while index < len(inner):
        word = inner[index]
        place = start + index
        value = _word(inner, index + 1, f"{word} value") if word in ("weight", "label", "sid") \
            else None
        if value is None:
            raise WordError(f"unknown segment list word {_describe(word)}, expected weight, "
                            "label or sid", place)
        if word == "weight":
            if parts:
                raise WordError("weight comes first in a segment list", place)
            weight = parse_int(value, place + 1, "weight", 0, MAX_U32)
            parts.append(_sub_tlv(9, b"\x00\x00" + weight.to_bytes(4, "big")))
        elif word == "label":
            label = parse_int(value, place + 1, "label", 0, MAX_LABEL)
            parts.append(_sub_tlv(1, b"\x00\x00" + (label << 12).to_bytes(4, "big")))
        else:
            sid = parse_ip(value, place + 1, "SRv6 SID")
            if ":" not in sid:
                raise WordError(f"SRv6 SID {sid} is not an IPv6 address", place + 1)
            parts.append(_sub_tlv(13, b"\x00\x00" + address_octets(sid)))
        index += 2
    if not parts or all(part[0] == 9 for part in parts):
        raise WordError("a segment list needs at least one segment, expected label N or "
                        "sid IPV6", start + len(inner))
    found.setdefault("segment-list", ([], at))[0].append(_sub_tlv(128, b"\x00" + b"".join(parts)))
    return after


def sr_policy_from_words(words: list[str], index: int, withdraw: bool = False,
                         name: str | None = None, family: Family = IPV4_SR_POLICY) -> NlriRoute:
    """``distinguisher N color N endpoint IP [preference N] [binding-sid
    LABEL|IPV6] [priority N] segment-list [ ... ]... next-hop IP``."""
    what = "sr-policy"
    found, values, next_hop, extra = _route_words(words, index, _SR_FIELDS, what,
                                                  _segment_list)
    count = len(words)
    distinguisher = parse_int(*_required(found, "distinguisher", what, count, "N"),
                              "distinguisher", 0, MAX_U32)
    color = parse_int(*_required(found, "color", what, count, "N"), "color", 0, MAX_U32)
    text, at = _required(found, "endpoint", what, count, "IP")
    # RFC 9830 section 2.1: the endpoint is of the AFI's family
    endpoint = _of_afi(parse_ip(text, at, "endpoint address"), at, family.afi, "endpoint")
    nlri = SrPolicy(distinguisher, color, endpoint)
    if not withdraw:
        lists = found.get("segment-list", ([], count))[0]
        if not lists:
            # RFC 9830: a candidate path is usable only with a segment list
            raise WordError(f"{what} has no segment-list, expected 'segment-list [ label N "
                            "... ]'", count)
        tlvs = []
        if "preference" in found:
            preference = parse_int(*found["preference"], "preference", 0, MAX_U32)
            tlvs.append(_sub_tlv(12, b"\x00\x00" + preference.to_bytes(4, "big")))
        if "binding-sid" in found:
            text, at = found["binding-sid"]
            if ":" in text:
                bsid = address_octets(parse_ip(text, at, "binding SID"))
            else:
                bsid = (parse_int(text, at, "binding SID label", 0, MAX_LABEL) << 12
                        ).to_bytes(4, "big")
            tlvs.append(_sub_tlv(13, b"\x00\x00" + bsid))
        if "priority" in found:
            priority = parse_int(*found["priority"], "priority", 0, 0xFF)
            tlvs.append(_sub_tlv(15, bytes((priority, 0))))
        body = b"".join((*tlvs, *lists))
        tunnel = SR_POLICY_TUNNEL.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body
        values["generic"] = (*values.get("generic", ()),
                             (TUNNEL_ENCAPSULATION, OPTIONAL_TRANSITIVE, tunnel))
    return _finish(family, nlri, values, next_hop, extra, withdraw, name, what, count)


def _sr_policy_text(value: SrPolicy) -> str:
    return f"distinguisher {value.distinguisher} color {value.color} endpoint {value.endpoint}"


# -- registry -----------------------------------------------------------------

# the word after "announce"/"withdraw" -> parser(words, index, withdraw, name, family)
GRAMMARS: dict[str, Callable[..., NlriRoute]] = {
    "evpn": evpn_from_words,
    "rtc": rtc_from_words,
    "mup": mup_from_words,
    "mcast-vpn": mvpn_from_words,
    "sr-policy": sr_policy_from_words,
}
# every family announced with a grammar above, and its word: the API's
# "announce AFI SAFI ...", the dispatcher's announceable families and the
# configuration's "announce { AFI { SAFI ...; } }" all follow this table
FAMILY_GRAMMARS: dict[Family, str] = {EVPN: "evpn", IPV4_RTC: "rtc", IPV6_RTC: "rtc",
                                      IPV4_MUP: "mup", IPV6_MUP: "mup",
                                      IPV4_MVPN: "mcast-vpn", IPV6_MVPN: "mcast-vpn",
                                      IPV4_SR_POLICY: "sr-policy", IPV6_SR_POLICY: "sr-policy"}

# the grammars announced only after their AFI ("announce ipv4 mup ...")
_AFI_WORDS = frozenset({"mup", "mcast-vpn", "sr-policy"})

_TEXT: dict[type, Callable[[Any], str]] = {
    **{cls: _evpn_text for cls in evpn.ROUTE_TYPES.values()},
    RouteTargetConstraint: _rtc_text,
    **{cls: _mup_text for cls in mup.ROUTE_TYPES.values()},
    **{cls: _mvpn_text for cls in mvpn.ROUTE_TYPES.values()},
    SrPolicy: _sr_policy_text,
}


# the codec classes nlri_text writes in words
NLRI_WORD_TYPES = frozenset(_TEXT)


def nlri_text(value: Any) -> str:
    """A codec NLRI in the words that announce it (no leading family word);
    the hex of its encoding for a value no grammar writes."""
    render = _TEXT.get(type(value))
    if render is not None:
        try:
            return render(value)
        except (AttributeError, KeyError, TypeError, ValueError):
            pass
    try:
        return "0x" + value.encode().hex()
    except Exception:  # noqa: BLE001 - a name for logs, never an error
        return repr(value)


def nlri_route_text(route: NlriRoute) -> str:
    """How errors and logs name the route: ``evpn macadv ...``, ``rtc origin ...``."""
    word = FAMILY_GRAMMARS.get(route.family)
    if word in _AFI_WORDS:  # as ExaBGP 5.0 takes it: "ipv4 mup mup-isd ..."
        word = f"{route.family.afi_name} {word}"
    head = word if word is not None else str(route.family)
    return f"{head} {nlri_text(route.nlri)}"
