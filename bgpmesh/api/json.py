"""Decoded messages as the body dicts of ExaBGP's JSON encoder (4.x dialect).

These functions return plain dicts in ExaBGP 4.2's key order; the caller wraps
them in the envelope ("exabgp": "4.0.1", "neighbor", ...) and serialises with
``json.dumps``.  Nothing here builds JSON text: every string from a peer is
escaped by the serialiser.

Sections ExaBGP leaves out when empty are left out here too ("attribute",
"announce", "withdraw").  In the 4.x dialect "as-path" is a flat list of the
AS_SEQUENCE numbers, always followed by "confederation-path".
"""

from __future__ import annotations

from typing import Any

from bgpmesh.api.json_nlri import next_hop_key, nlri_entries, nlri_json
from bgpmesh.codec.attributes import (
    Aggregator,
    Aigp,
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
    bgp_ls,
)
from bgpmesh.codec.attributes.as_path import (
    AS_CONFED_SEQUENCE,
    AS_CONFED_SET,
    AS_SEQUENCE,
    AS_SET,
)
from bgpmesh.codec.attributes.base import OPTIONAL, PARTIAL, TRANSITIVE
from bgpmesh.codec.attributes.extended_communities import (
    ENCAPSULATION_NAMES,
    describe,
    describe_ipv6,
)
from bgpmesh.codec.attributes.pmsi_tunnel import INGRESS_REPLICATION, TUNNEL_TYPE_NAMES
from bgpmesh.codec.capabilities import (
    ADD_PATH_NAMES,
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
)
from bgpmesh.codec.notification import Notification
from bgpmesh.codec.open import Open
from bgpmesh.codec.operational import Operational as OperationalMessage
from bgpmesh.codec.route_refresh import SUBTYPE_NAMES, RouteRefresh
from bgpmesh.codec.update import Update
from bgpmesh.family import IPV4_UNICAST, Family
from bgpmesh.route import ORIGIN_NAMES

VERSION = "4.0.1"  # the "exabgp" field of the 4.x dialect
VERSION_V5 = "5.0.0"  # and of the 5.0 dialect


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _as_path(path: AsPath, out: dict[str, Any]) -> None:
    segments = path.segments
    if len(segments) == 1 and segments[0][0] == AS_SEQUENCE:
        # the usual path: one AS_SEQUENCE
        out["as-path"] = list(segments[0][1])
        out["confederation-path"] = []
        return
    sequence: list[int] = []
    as_set: list[int] = []
    confed: list[int] = []
    confed_set: list[int] = []
    target = {AS_SEQUENCE: sequence, AS_SET: as_set, AS_CONFED_SEQUENCE: confed, AS_CONFED_SET: confed_set}
    for seg_type, asns in path.segments:
        target[seg_type].extend(asns)
    out["as-path"] = sequence
    if as_set:
        out["as-set"] = as_set
    out["confederation-path"] = confed
    if confed_set:
        out["confederation-set"] = confed_set


def attributes(update: Update) -> dict[str, Any]:
    """The "attribute" section: path attributes in type-code order.

    NEXT_HOP and the MP attributes are not attributes here: ExaBGP shows them
    as the keys and lists of "announce"/"withdraw".
    """
    out: dict[str, Any] = {}
    for attribute in sorted(update.attributes, key=_type_code):
        kind = type(attribute)
        if kind is Origin:
            out["origin"] = ORIGIN_NAMES[attribute.value]
        elif kind is AsPath:
            _as_path(attribute, out)
        elif kind is MultiExitDisc:
            out["med"] = attribute.value
        elif kind is LocalPref:
            out["local-preference"] = attribute.value
        elif kind is AtomicAggregate:
            out["atomic-aggregate"] = True
        elif kind is Aggregator:
            out["aggregator"] = f"{attribute.asn}:{attribute.address}"
        elif kind is Communities:
            out["community"] = [[value >> 16, value & 0xFFFF] for value in attribute.values]
        elif kind is OriginatorId:
            out["originator-id"] = attribute.address
        elif kind is ClusterList:
            out["cluster-list"] = list(attribute.clusters)
        elif kind is ExtendedCommunities:
            # in the order received, as 4.2 lists them (5.0 sorts: attributes_v5)
            out["extended-community"] = [
                {"value": value, "string": extended_community(value)} for value in attribute.values
            ]
        elif kind is PmsiTunnel:
            out["pmsi"] = _pmsi(attribute)
        elif kind is Ipv6ExtendedCommunities:
            out["extended-community-ipv6"] = [
                {"value": value, "string": _ipv6_extended(value)} for value in attribute.values
            ]
        elif kind is Aigp:
            out["aigp"] = attribute.metric
        elif kind is BgpLsAttribute:
            out["bgp-ls"] = _bgp_ls(attribute)
        elif kind is LargeCommunities:
            out["large-community"] = [list(triple) for triple in attribute.values]
        elif kind is OnlyToCustomer:
            out["otc"] = attribute.asn
        elif kind is PrefixSid:
            out["bgp-prefix-sid"] = _prefix_sid(attribute)
        elif kind is UnknownAttribute:
            flags = attribute.flags
            if flags & OPTIONAL and flags & TRANSITIVE:
                # ExaBGP marks an optional transitive attribute it passes on as partial
                flags |= PARTIAL
            out[f"attribute-0x{attribute.type_code:02X}-0x{flags & 0xF0:02X}"] = _hex(attribute.data)
    return out


# extended community -> its string: routes share a few (route targets, FlowSpec
# actions).  Cleared when full.
_EXTENDED_TEXT: dict[int, str] = {}


def extended_community(value: int) -> str:
    """ExaBGP's string for one extended community: "target:65000:1"."""
    text = _EXTENDED_TEXT.get(value)
    if text is None:
        if len(_EXTENDED_TEXT) >= 4096:
            _EXTENDED_TEXT.clear()
        text = _EXTENDED_TEXT[value] = _extended_text(value)
    return text


def _extended_text(value: int) -> str:
    kind, fields = describe(value)
    if kind in ("target", "origin", "redirect", "mup"):
        return f"{kind}:{fields[0]}:{fields[1]}"
    if kind == "rate-limit":
        return f"rate-limit:{fields[1]:.0f}"
    if kind == "action":
        sample, terminal = fields
        words = [word for word, on in (("sample", sample), ("terminal", terminal)) if on]
        return "action " + ("-".join(words) if words else "none")
    if kind == "mark":
        return f"mark {fields[0]}"
    if kind == "encap":
        return "encap:" + ENCAPSULATION_NAMES.get(fields[0], f"UNKNOWN-{fields[0]}")
    if kind == "mac-mobility":
        return f"mac-mobility:{fields[0]}" + (":sticky" if fields[1] else "")
    if kind == "bandwidth":
        # ExaBGP's spelling
        return f"bandwith:{fields[0]}:{fields[1]:.0f}"
    if value >> 48 == 0x0800:
        # type 0x08 sub-type 0x00, draft-simpson-idr-flowspec-redirect: the
        # flow's next hop is the MP_REACH_NLRI one
        return "redirect-to-nexthop"
    if kind == "redirect-to-nexthop-ietf":
        address, copy = fields
        return f"copy-to-nexthop-ietf {address} (with copy)" if copy else f"redirect-to-nexthop-ietf {address}"
    # a type bgpmesh has no name for (RFC 4360 2: kept, opaque): "", as 4.2
    # and 5.0 print it; "value" holds all of it
    return ""


def _ipv6_extended(value: int) -> str:
    kind, fields = describe_ipv6(value)
    if kind == "unknown":
        return ""  # as above
    return f"{kind}:{fields[0]}:{fields[1]}"


def _pmsi(attribute: PmsiTunnel) -> str:
    # ExaBGP: pmsi:<type name>:<flags>:<label>(<raw label>):<tunnel id>
    name = TUNNEL_TYPE_NAMES.get(attribute.tunnel_type, "unknown").replace(" ", "").lower()
    label = f"{attribute.label >> 4}({attribute.label})" if attribute.label else "0"
    if attribute.tunnel_type == INGRESS_REPLICATION and len(attribute.tunnel_id) == 4:
        tunnel = ".".join(str(octet) for octet in attribute.tunnel_id)
    else:
        tunnel = "0x" + attribute.tunnel_id.hex().upper() if attribute.tunnel_id else ""
    return f"pmsi:{name}:{attribute.flags}:{label}:{tunnel}"


def _prefix_sid(attribute: PrefixSid) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if attribute.label_index is not None:
        out["sr-label-index"] = attribute.label_index
    if attribute.srgbs:
        out["sr-srgbs"] = [list(pair) for pair in attribute.srgbs]
    for kind, value in attribute.others:
        out[f"attribute-not-implemented-{kind}"] = "0x" + value.hex().upper()
    return out


def _bgp_ls(attribute: BgpLsAttribute) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, value in attribute.tlvs:
        key, decoded = bgp_ls.describe(kind, value)
        if key == "local-te-router-ids":
            out.setdefault(key, []).append(decoded)
        elif key.startswith("generic-lsid-"):
            out.setdefault(key, []).append(decoded)
        else:
            out[key] = decoded
    return out


def _type_code(attribute: Any) -> int:
    return attribute.type_code if type(attribute) is UnknownAttribute else attribute.TYPE_CODE


_IPV4_UNICAST_TEXT = str(IPV4_UNICAST)
_FAMILY_TEXT: dict[Family, str] = {}


def _family_text(family: Family) -> str:
    """``str(family)``, the key of its routes, kept: there are few families."""
    text = _FAMILY_TEXT.get(family)
    if text is None:
        if len(_FAMILY_TEXT) >= 1024:
            _FAMILY_TEXT.clear()
        text = _FAMILY_TEXT[family] = str(family)
    return text


def _prefix_entries(prefixes: tuple) -> list[dict[str, str]]:
    """The entries of the UPDATE's own NLRI field: text, or with ADD-PATH
    ``PathPrefix`` values (each entry then has its "path-information")."""
    if type(prefixes[0]) is str:
        return [{"nlri": p} for p in prefixes]
    return [nlri_json(p) for p in prefixes]


def update_message(update: Update) -> dict[str, Any]:
    """The value of "message" for an UPDATE."""
    eor = update.eor_family
    if eor is not None:
        return {"eor": {"afi": eor.afi_name, "safi": eor.safi_name}}

    announce: dict[str, dict[str, list[dict[str, str]]]] = {}
    withdraw: dict[str, list[dict[str, str]]] = {}
    if update.nlri:
        next_hop = update.attribute(NextHop)
        hop = next_hop.address if next_hop is not None else "null"
        announce.setdefault(_IPV4_UNICAST_TEXT, {})[hop] = _prefix_entries(update.nlri)
    if update.withdrawn:
        withdraw[_IPV4_UNICAST_TEXT] = _prefix_entries(update.withdrawn)
    for attribute in update.attributes:
        kind = type(attribute)
        if kind is MpReachNlri and attribute.nlri:
            # keyed by the global next hop only (RFC 2545 3: the link-local one is a
            # second address of the same hop); ExaBGP lists every prefix again under it
            hop = next_hop_key(attribute.next_hop)
            routes = announce.setdefault(_family_text(attribute.family), {}).setdefault(hop, [])
            routes.extend(nlri_entries(attribute.nlri, attribute.next_hop))
        elif kind is MpUnreachNlri and attribute.nlri:
            withdraw.setdefault(_family_text(attribute.family), []).extend(nlri_entries(attribute.nlri))

    body: dict[str, Any] = {}
    attribute_section = attributes(update)
    if attribute_section:
        body["attribute"] = attribute_section
    if announce:
        body["announce"] = announce
    if withdraw:
        body["withdraw"] = withdraw
    return {"update": body}


# ExaBGP 5.0's segment names ("element"); 5.0 itself calls both confederation
# segments "as-sequence", which loses what RFC 5065 distinguishes
_SEGMENT_NAMES_V5 = {
    AS_SET: "as-set",
    AS_SEQUENCE: "as-sequence",
    AS_CONFED_SEQUENCE: "as-confed-sequence",
    AS_CONFED_SET: "as-confed-set",
}
_AS_PATH_KEYS_V4 = ("as-path", "as-set", "confederation-path", "confederation-set")


def as_path_v5(path: AsPath) -> dict[str, Any]:
    """AS_PATH in the 5.0 dialect: {"0": {"element": "as-sequence", "value": [...]}}."""
    return {
        str(position): {"element": _SEGMENT_NAMES_V5.get(seg_type, str(seg_type)), "value": list(asns)}
        for position, (seg_type, asns) in enumerate(path.segments)
    }


def attributes_v5(section: dict[str, Any], path: dict[str, Any] | None) -> dict[str, Any]:
    """A 4.x "attribute" section in the 5.0 dialect: the four AS_PATH keys
    become one "as-path" map (``path``, from ``as_path_v5``), where "as-path" was."""
    out: dict[str, Any] = {}
    for key, value in section.items():
        if key == "as-path":
            out[key] = path if path is not None else _as_path_map_v5(section)
        elif key in _SORTED_V5:
            # 5.0 keeps extended communities sorted by value (Communities.add
            # sorts); 4.2 and the 4.x dialect keep the order received
            out[key] = sorted(value, key=_by_value)
        elif key not in _AS_PATH_KEYS_V4:
            out[key] = value
    return out


_SORTED_V5 = ("extended-community", "extended-community-ipv6")


def _by_value(entry: dict[str, Any]) -> int:
    return entry["value"]


def _as_path_map_v5(section: dict[str, Any]) -> dict[str, Any]:
    # from the 4.x keys alone the order of the segments is gone: the usual
    # one (confederation segments first, RFC 5065 section 5.3) is assumed
    segments = []
    for key, name in (("confederation-path", "as-confed-sequence"), ("confederation-set", "as-confed-set"),
                      ("as-path", "as-sequence"), ("as-set", "as-set")):
        if section.get(key):
            segments.append({"element": name, "value": list(section[key])})
    return {str(position): segment for position, segment in enumerate(segments)}


def update_message_v5(update: Update) -> dict[str, Any]:
    """``update_message`` in ExaBGP 5.0's dialect."""
    message = update_message(update)
    body = message.get("update")
    if body and "attribute" in body:
        path = update.attribute(AsPath)
        body["attribute"] = attributes_v5(body["attribute"], as_path_v5(path) if path is not None else None)
    if body:
        _bgp_ls_v5(body)
    return message


def message_v5(message: dict[str, Any]) -> dict[str, Any]:
    """A rendered 4.x "message" map (an event's body) in the 5.0 dialect; a copy."""
    body = message.get("update")
    if not body:
        return message
    body = dict(body)
    if "attribute" in body:
        body["attribute"] = attributes_v5(body["attribute"], None)
    _bgp_ls_v5(body)
    return {**message, "update": body}


_BGP_LS_FAMILIES = ("bgp-ls bgp-ls", "bgp-ls bgp-ls-vpn")
_NODE_DESCRIPTORS = ("node-descriptors", "local-node-descriptors", "remote-node-descriptors")


def _bgp_ls_v5(body: dict[str, Any]) -> None:
    """BGP-LS entries as 5.0 shows them (``_descriptors_v5``), where 4.2 has
    its own shapes: one map of node descriptors, a link's addresses.  ``body``
    is changed in place, but through copies of its "announce" and "withdraw"
    maps: the 4.x rendering under them may be shared."""
    announce, withdraw = body.get("announce") or {}, body.get("withdraw") or {}
    if not any(family in announce or family in withdraw for family in _BGP_LS_FAMILIES):
        return
    announce, withdraw = dict(announce), dict(withdraw)
    for family in _BGP_LS_FAMILIES:
        if family in announce:
            announce[family] = {hop: [_descriptors_v5(entry) for entry in entries]
                                for hop, entries in announce[family].items()}
        if family in withdraw:
            withdraw[family] = [_descriptors_v5(entry) for entry in withdraw[family]]
    if announce:
        body["announce"] = announce
    if withdraw:
        body["withdraw"] = withdraw


def _descriptors_v5(entry: dict[str, Any]) -> dict[str, Any]:
    """One BGP-LS entry in 5.0's shape: node descriptors as lists of one-key
    maps; a link's addresses as "interface-addresses"/"neighbor-addresses"
    lists, its identifiers as {"link-local-id", "link-remote-id"} maps, all
    four lists there even when empty."""
    if not any(isinstance(entry.get(key), dict) for key in _NODE_DESCRIPTORS):
        return entry
    link = entry.get("ls-nlri-type") == "bgpls-link"
    out = {key: ([{name: value} for name, value in item.items()] if key in _NODE_DESCRIPTORS
                 and isinstance(item, dict) else item)
           for key, item in entry.items() if not (link and key in _LINK_V4)}
    if link:
        out["interface-addresses"] = list(entry.get("interface-address", {}).values())
        out["neighbor-addresses"] = list(entry.get("neighbor-address", {}).values())
        out["multi-topology-ids"] = entry.get("multi-topology-ids", [])
        identifiers = entry.get("link-identifiers")
        out["link-identifiers"] = ([{"link-local-id": identifiers[0], "link-remote-id": identifiers[1]}]
                                   if identifiers else [])
    return out


# the 4.x keys of a link entry 5.0 names otherwise (_descriptors_v5)
_LINK_V4 = ("interface-address", "neighbor-address", "multi-topology-ids", "link-identifiers")


def open_message_v5(message: Open) -> dict[str, Any]:
    """``open_message`` in ExaBGP 5.0's dialect, the same as 4.2's."""
    return open_message(message)


def notification_message_v5(message: Notification) -> dict[str, Any]:
    """``notification_message`` in ExaBGP 5.0's dialect: with "message", the data as text."""
    out = notification_message(message)
    text = message.shutdown_communication
    if text is not None:
        out["notification"]["message"] = f'Shutdown Communication: "{text}"'
    else:
        out["notification"]["message"] = message.data.decode("utf-8", "replace")
    return out


def _slash(family: Family) -> str:
    # capability JSON names families "ipv4/unicast" (ExaBGP's capability json())
    return f"{family.afi_name}/{family.safi_name}"


PRESTANDARD_ROUTE_REFRESH = 128


def _iana(code: int) -> str:
    """The "iana" of a capability bgpmesh does not decode.

    RFC 5492 section 4 (IANA Considerations): codes 128-255 are "Reserved for
    Private Use"; ExaBGP 4.2 and 5.0 both say "reserved" there.  Below 128
    they say "unassigned" for 70-127, from a table older than the codes IANA
    has since assigned there (70, 71, 73, 75 and more), so bgpmesh says
    "unknown", as ExaBGP does for 0-69.
    """
    return "reserved" if code >= 128 else "unknown"


def _capabilities(message: Open) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for capability in message.capabilities:
        kind = type(capability)
        if kind is Multiprotocol:
            # "ipv4/unicast" in both dialects (4.2 and 5.0 MultiProtocol.json)
            entry = out.setdefault("1", {"name": "multiprotocol", "families": []})
            entry["families"].append(_slash(capability.family))
        elif kind is RouteRefreshCapability:
            out["2"] = {"name": "route-refresh", "variant": "RFC"}
        elif kind is ExtendedNextHop:
            conversion = [f"{_slash(family)}/{Family(afi, 1).afi_name}" for family, afi in capability.entries]
            out["5"] = {"name": "nexthop", "conversion": conversion}
        elif kind is ExtendedMessage:
            out["6"] = {"name": "extended-message", "size": 65535}
        elif kind is BgpRole:
            out["9"] = {"name": "role", "role": capability.name}
        elif kind is GracefulRestart:
            # ExaBGP's labels, kept for scripts: the per-family F bit (0x80)
            # shows as "restart", the R bit as "forwarding"
            out["64"] = {
                "name": "graceful restart",
                "time": capability.restart_time,
                "address-family-flags": {
                    _slash(family): ["restart"] if flags & GracefulRestart.FORWARDING_STATE else []
                    for family, flags in capability.families
                },
                "restart-flags": ["forwarding"] if capability.restart_flags & GracefulRestart.RESTART_STATE else [],
            }
        elif kind is FourOctetAs:
            out["65"] = {"name": "asn4", "asn4": capability.asn}
        elif kind is MultiSession:
            out["68"] = {"name": "multisession", "variant": "RFC", "capabilities": list(capability.codes)}
        elif kind is AddPath:
            entry = {"name": "addpath"}
            entry.update((_slash(family), ADD_PATH_NAMES.get(mode, str(mode))) for family, mode in capability.families)
            out["69"] = entry
        elif kind is EnhancedRouteRefresh:
            out["70"] = {"name": "enhanced-route-refresh"}
        elif kind is LongLivedGracefulRestart:
            out["71"] = {
                "name": "long-lived graceful restart",
                "address-family-flags": {
                    _slash(family): {"forwarding": bool(flags & 0x80), "stale-time": stale}
                    for family, flags, stale in capability.families
                },
            }
        elif kind is Fqdn:
            out["73"] = {"host-name": capability.host_name, "domain-name": capability.domain_name}
        elif kind is SoftwareVersion:
            out["75"] = {"software": capability.version}
        elif kind is Operational:
            out["185"] = {"name": "operational"}
        elif capability.code == PRESTANDARD_ROUTE_REFRESH and not capability.data:
            # the code route refresh had before RFC 2918 (deprecated, RFC 8810
            # section 3); ExaBGP names it so
            out["128"] = {"name": "route-refresh", "variant": "Cisco"}
        else:
            out[str(capability.code)] = {
                "name": "unknown",
                "iana": _iana(capability.code),
                "value": capability.code,
                "raw": capability.data.hex().upper(),
            }
    return out


def open_message(message: Open) -> dict[str, Any]:
    """ExaBGP's "open" section."""
    return {
        "open": {
            "version": message.version,
            "asn": message.asn,
            "hold_time": message.hold_time,
            "router_id": message.router_id,
            "capabilities": _capabilities(message),
        }
    }


def notification_message(message: Notification) -> dict[str, Any]:
    """ExaBGP's "notification" section."""
    return {
        "notification": {
            "code": message.code,
            "subcode": message.subcode,
            "data": _hex(message.data),
        }
    }


def refresh_message(message: RouteRefresh) -> dict[str, Any]:
    """ExaBGP's "route-refresh" section."""
    return {
        "route-refresh": {
            "afi": message.family.afi_name,
            "safi": message.family.safi_name,
            "subtype": SUBTYPE_NAMES.get(message.subtype, str(message.subtype)),
        }
    }


def operational_message(message: OperationalMessage) -> dict[str, Any]:
    """ExaBGP's "operational" section (``reactor/api/response/json.py``): a
    query names only its family; a counter adds router-id, sequence, counter."""
    out: dict[str, Any] = {"name": message.name, "afi": message.family.afi_name,
                           "safi": message.family.safi_name}
    category = message.category
    if category == "advisory":
        out["advisory"] = message.advisory
    elif category == "counter":
        out["router-id"] = message.router_id
        out["sequence"] = message.sequence
        out["counter"] = message.counter
    return {"operational": out}
