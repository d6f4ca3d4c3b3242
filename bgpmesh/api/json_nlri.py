"""NLRI of the non-prefix families as ExaBGP 4.x JSON shows them.

``nlri_json(value)`` is one entry of an "announce"/"withdraw" list; prefix
text gives ``{"nlri": text}`` as before.  Entries follow ExaBGP's ``json()``
of each NLRI class (labels as ``[[label]]``, "rd" as text, FlowSpec as lists
of operator strings plus the "string" form); vectors in
``tests/unit/codec/test_nlri_*.py`` were cross-checked with ``exabgp decode``.
"""

from __future__ import annotations

import json
from typing import Any

from bgpmesh.codec.nlri import bgpls, evpn, flowspec, mup, mvpn
from bgpmesh.codec.nlri.labeled import LabeledPrefix
from bgpmesh.codec.nlri.mpls_vpn import VpnPrefix
from bgpmesh.codec.nlri.prefix import PathPrefix
from bgpmesh.codec.nlri.rtc import RouteTargetConstraint
from bgpmesh.codec.nlri.sr_policy import SrPolicy
from bgpmesh.codec.nlri.vpls import Vpls
from bgpmesh.errors import InvalidNetworkField

NO_NEXT_HOP = "no-nexthop"  # ExaBGP's key for routes without a next hop


def _labels(labels: tuple[int, ...]) -> list[list[int]]:
    return [[raw >> 4] for raw in labels]


def _evpn_labels(labels: tuple[int, ...]) -> list[list[int]]:
    # ExaBGP adds the raw 24-bit field to EVPN labels (not to labeled unicast)
    return [[raw >> 4, raw] if raw else [0] for raw in labels]


def path_info_text(path_id: int) -> str:
    """An ADD-PATH Path Identifier as ExaBGP shows it, dotted like an IPv4 address."""
    return f"{path_id >> 24}.{(path_id >> 16) & 255}.{(path_id >> 8) & 255}.{path_id & 255}"


def _path(value: Any, out: dict[str, Any]) -> dict[str, Any]:
    if value.path_id is not None:
        out["path-information"] = path_info_text(value.path_id)
    return out


# ---- FlowSpec ------------------------------------------------------------

_NAMES = {
    1: {1: "destination-ipv4", 2: "source-ipv4", 3: "protocol", 11: "dscp"},
    2: {1: "destination-ipv6", 2: "source-ipv6", 3: "next-header", 11: "traffic-class", 13: "flow-label"},
}
_COMMON = {
    4: "port",
    5: "destination-port",
    6: "source-port",
    7: "icmp-type",
    8: "icmp-code",
    9: "tcp-flags",
    10: "packet-length",
    12: "fragment",
}
_NUMERIC = {0: "false", 1: "=", 2: ">", 3: ">=", 4: "<", 5: "<=", 6: "!=", 7: "true"}
_BITMASK = {0: "", 1: "=", 2: "!", 3: "!="}
_PROTOCOLS = {
    1: "icmp", 2: "igmp", 6: "tcp", 8: "egp", 17: "udp", 46: "rsvp", 47: "gre",
    50: "esp", 51: "ah", 89: "ospf", 94: "ipip", 103: "pim", 132: "sctp",
}
_ICMP_TYPES = {
    0: "echo-reply", 3: "unreachable", 5: "redirect", 8: "echo-request",
    9: "router-advertisement", 10: "router-solicit", 11: "time-exceeded",
    12: "parameter-problem", 13: "timestamp", 14: "timestamp-reply", 40: "photuris",
    41: "experimental-mobility", 42: "extended-echo-request", 43: "extended-echo-reply",
    253: "experimental-one", 254: "experimental-two",
}
_TCP_FLAGS = {1: "fin", 2: "syn", 4: "rst", 8: "push", 16: "ack", 32: "urg", 64: "ece", 128: "cwr", 256: "ns"}
_FRAGMENTS = {1: "dont-fragment", 2: "is-fragment", 4: "first-fragment", 8: "last-fragment"}


def _bits(value: int, names: dict[int, str], what: str) -> str:
    parts = []
    rest = value
    for bit, name in names.items():
        if rest & bit:
            parts.append(name)
            rest &= ~bit
    if rest:
        parts.append(f"unknown {what} type {value}")
    return "+".join(parts)


def _flow_value(afi: int, kind: int, value: int) -> str:
    if kind == flowspec.IP_PROTOCOL:
        return _PROTOCOLS.get(value, str(value))
    if kind == flowspec.ICMP_TYPE:
        return _ICMP_TYPES.get(value, str(value))
    if kind == flowspec.TCP_FLAGS:
        return _bits(value, _TCP_FLAGS, "tcp flag")
    if kind == flowspec.FRAGMENT:
        # RFC 8955 4.2.2.12 / RFC 8956 3.6: reserved bits are ignored; IPv6 has no DF
        return _bits(value & (0x0E if afi == 2 else 0x0F), _FRAGMENTS, "fragment")
    return str(value)


def _flow_rules(afi: int, component: flowspec.FlowMatch) -> list[str]:
    """One string per OR-ed term; AND-ed pairs join the term before them."""
    bitmask = component.type in flowspec.BITMASK_TYPES
    terms: list[str] = []
    for index, (op, value) in enumerate(component.ops):
        # RFC 8955 4.2.1.1: the a bit of the first operator is taken as unset
        joined = bool(index and op & flowspec.AND)
        symbol = _BITMASK[op & 0x03] if bitmask else _NUMERIC[op & 0x07]
        if not bitmask and op & 0x07 in (0, 7):
            text = symbol
        else:
            text = symbol + _flow_value(afi, component.type, value)
        if joined:
            terms[-1] += "&" + text
        else:
            terms.append(text)
    return terms


# component names by AFI, for every component type of that AFI
_FLOW_NAMES = {afi: {**_COMMON, **names} for afi, names in _NAMES.items()}

# Rendered match components by AFI: id(component) -> (component, name, terms,
# its words in "string").  The decoder shares one value among the rules that
# hold the same octets (protocol =tcp, destination-port =80), so a component
# is rendered once; the entry holds the component, so its id is not reused
# while the entry lives.  Cleared when full.
_FLOW_RENDERED: dict[int, dict[int, tuple[Any, str, tuple[str, ...], str]]] = {1: {}, 2: {}}
_FLOW_RENDERED_MAX = 4096


def _render_match(afi: int, component: flowspec.FlowMatch, names: dict[int, str]
                  ) -> tuple[Any, str, tuple[str, ...], str]:
    name = names.get(component.type, str(component.type))
    terms = _flow_rules(afi, component)
    line = " ".join(terms)
    words = f"{name} [ {line} ]" if len(component.ops) > 1 else f"{name} {line}"
    return component, name, tuple(terms), words


def _flow(value: Any, next_hop: tuple[str, ...] = ()) -> dict[str, Any]:
    afi = value.afi
    names = _FLOW_NAMES.get(afi, _COMMON)
    rendered = _FLOW_RENDERED.get(afi)
    if rendered is None:
        rendered = {}  # not an AFI of ours: nothing is kept
    elif len(rendered) >= _FLOW_RENDERED_MAX:
        rendered.clear()
    out: dict[str, Any] = {}
    words = ["flow"]
    for component in value.components:
        if type(component) is flowspec.FlowPrefix:
            name = names.get(component.type, str(component.type))
            text = component.prefix if afi == 1 else f"{component.prefix}/{component.offset}"
            if name in out:
                out[name].append(text)
            else:
                out[name] = [text]
            words.append(f"{name} {text}")
            continue
        entry = rendered.get(id(component))
        if entry is None:
            entry = rendered[id(component)] = _render_match(afi, component, names)
        out[entry[1]] = list(entry[2])
        words.append(entry[3])
    rd = getattr(value, "rd", None)
    if rd is not None:
        out["rd"] = str(rd)
        words.append(f"rd {rd}")
    if next_hop:
        # ExaBGP shows the MP_REACH next hop (redirect-to-nexthop's target) in the flow
        out["next-hop"] = next_hop[0]
        words.append(f"next-hop {next_hop[0]}")
    out["string"] = " ".join(words)
    return out


def _vpn_entries(values: tuple[Any, ...], next_hop: tuple[str, ...]) -> list[dict[str, Any]]:
    """``nlri_json`` of each value, VPN prefixes inline: their RDs are shared
    values (the decoder keeps one per octets), so one RD's text serves the
    run of prefixes that follow it."""
    out = []
    append = out.append
    last_rd = last_text = None
    for value in values:
        if type(value) is not VpnPrefix:
            append(nlri_json(value, next_hop))
            continue
        rd = value.rd
        if rd is not last_rd:
            last_rd, last_text = rd, str(rd)
        labels = value.labels
        entry = {"nlri": value.prefix,
                 "label": [[labels[0] >> 4]] if len(labels) == 1 else _labels(labels),
                 "rd": last_text}
        append(entry if value.path_id is None else _path(value, entry))
    return out


def nlri_entries(values: tuple[Any, ...], next_hop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """``[nlri_json(value, next_hop) for value in values]``: the entries of one
    MP_(UN)REACH_NLRI's NLRI."""
    if values:
        kind = type(values[0])
        if kind is VpnPrefix:
            return _vpn_entries(values, next_hop)
        if kind is flowspec.FlowSpec or kind is flowspec.FlowSpecVpn:
            return [_flow(value, next_hop) if type(value) is kind else nlri_json(value, next_hop)
                    for value in values]
    return [nlri_json(value, next_hop) for value in values]


# ---- EVPN, BGP-LS --------------------------------------------------------

_EVPN_NAMES = {
    1: "Ethernet Auto-Discovery",
    2: "MAC/IP advertisement",
    3: "Inclusive Multicast Ethernet Tag",
    4: "Ethernet Segment",
    5: "IP Prefix Advertisement",
}


def _esi(raw: bytes) -> str:
    return "-" if raw == bytes(10) else ":".join(f"{octet:02x}" for octet in raw)


def _evpn(value: Any) -> dict[str, Any]:
    body = bytes((value.CODE, len(value.body()))) + value.body()
    out: dict[str, Any] = {"code": value.CODE}
    if type(value) is evpn.EvpnUnknown:
        out.update({"parsed": False, "raw": body.hex().upper()})
        return out
    out.update({"parsed": True, "raw": body.hex().upper(), "name": _EVPN_NAMES[value.CODE]})
    out["rd"] = str(value.rd)
    if hasattr(value, "esi"):
        out["esi"] = _esi(value.esi)
    if hasattr(value, "etag"):
        out["ethernet-tag"] = value.etag
    kind = type(value)
    if kind is evpn.EvpnEthernetAd:
        out["label"] = _evpn_labels((value.label,))
    elif kind is evpn.EvpnMacIp:
        out["mac"] = ":".join(f"{octet:02X}" for octet in value.mac)
        out["label"] = _evpn_labels(value.labels)
        if value.ip is not None:
            out["ip"] = value.ip
    elif kind is evpn.EvpnMulticast or kind is evpn.EvpnSegment:
        out["ip"] = value.ip
    elif kind is evpn.EvpnPrefix:
        out["label"] = _evpn_labels((value.label,))
        out["ip"] = value.prefix.partition("/")[0]
        out["iplen"] = int(value.prefix.partition("/")[2])
        out["gateway"] = value.gateway
    return out


_LS_TYPES = {1: "bgpls-node", 2: "bgpls-link", 3: "bgpls-prefix-v4", 4: "bgpls-prefix-v6"}


def _ip(raw: bytes) -> str:
    from bgpmesh.codec.nlri.base import address_text

    try:
        return address_text(raw)
    except Exception:  # noqa: BLE001 - a wrong length shows as hex
        return "0x" + raw.hex()


def _node_descriptors(tlvs: tuple[tuple[int, bytes], ...]) -> dict[str, Any]:
    # one map, as ExaBGP 4.2 shows them (5.0's list of one-key maps is made
    # from it by json.message_v5); RFC 9552 5.2.1.4 has each sub-TLV once
    out: dict[str, Any] = {}
    for kind, raw in tlvs:
        if kind == 512 and len(raw) == 4:
            out["autonomous-system"] = int.from_bytes(raw, "big")
        elif kind == 513 and len(raw) == 4:
            out["bgp-ls-identifier"] = str(int.from_bytes(raw, "big"))
        elif kind == 514 and len(raw) == 4:
            out["ospf-area-id"] = _ip(raw)
        elif kind == 515:
            out["router-id"] = _ip(raw) if len(raw) in (4, 16) else raw.hex().upper()
        else:
            out[f"tlv-{kind}"] = "0x" + raw.hex()
    return out


def _bgpls(value: bgpls.BgpLs) -> dict[str, Any]:
    out: dict[str, Any] = {"ls-nlri-type": _LS_TYPES.get(value.nlri_type, value.nlri_type)}
    if value.rd is not None:
        out["rd"] = str(value.rd)
    if not value.raw and value.nlri_type in _LS_TYPES:
        out["l3-routing-topology"] = value.identifier
        out["protocol-id"] = value.protocol_id
    else:
        out["raw"] = "0x" + value.raw.hex()
        return out
    if value.nlri_type == 2:
        # a link has these four even when empty, as 4.2 prints it
        out.update({"local-node-descriptors": {}, "remote-node-descriptors": {},
                    "interface-address": {}, "neighbor-address": {}})
    for kind, raw in value.tlvs:
        if kind == bgpls.LOCAL_NODE:
            out["local-node-descriptors" if value.nlri_type == 2 else "node-descriptors"] = _node_descriptors(
                bgpls.unpack_tlvs(raw)
            )
        elif kind == bgpls.REMOTE_NODE:
            out["remote-node-descriptors"] = _node_descriptors(bgpls.unpack_tlvs(raw))
        elif kind == 258 and len(raw) == 8:
            out["link-identifiers"] = [int.from_bytes(raw[:4], "big"), int.from_bytes(raw[4:], "big")]
        elif kind in (259, 261):
            # 4.2's shape, the address inside a map of its own name (one:
            # RFC 9552 5.2.2 has a link's interface address once)
            out["interface-address"] = {"interface-address": _ip(raw)}
        elif kind in (260, 262):
            out["neighbor-address"] = {"neighbor-address": _ip(raw)}
        elif kind == 263:
            out["multi-topology-ids"] = [int.from_bytes(raw[i : i + 2], "big") & 0x0FFF for i in range(0, len(raw), 2)]
        elif kind == 264 and len(raw) == 1:
            out["ospf-route-type"] = raw[0]
        elif kind == 265 and raw:
            width = 4 if value.nlri_type == 3 else 16
            octets = raw[1:].ljust(width, b"\x00")[:width]
            out["ip-reachability-tlv"] = _ip(octets)
            out["ip-reach-prefix"] = f"{_ip(octets)}/{raw[0]}"
        else:
            out[f"tlv-{kind}"] = "0x" + raw.hex()
    return out


def nlri_json(value: Any, next_hop: tuple[str, ...] = ()) -> dict[str, Any]:
    """One NLRI as an entry of ExaBGP's "announce"/"withdraw" lists."""
    if isinstance(value, str):
        return {"nlri": value}
    kind = type(value)
    if kind is PathPrefix:
        # ExaBGP: { "nlri": "10.0.0.0/24", "path-information": "0.0.0.1" }
        return {"nlri": value.prefix, "path-information": path_info_text(value.path_id)}
    if kind is LabeledPrefix:
        return _path(value, {"nlri": value.prefix, "label": _labels(value.labels)})
    if kind is VpnPrefix:
        return _path(value, {"nlri": value.prefix, "label": _labels(value.labels), "rd": str(value.rd)})
    if kind is flowspec.FlowSpec or kind is flowspec.FlowSpecVpn:
        return _flow(value, next_hop)
    if kind is Vpls:
        return {"rd": str(value.rd), "endpoint": value.endpoint, "base": value.base >> 4,
                "offset": value.offset, "size": value.size}
    if kind is RouteTargetConstraint:
        if not value.bits:
            return {"origin": 0, "route-target": None}
        return {"origin": value.origin, "route-target": _route_target(value.route_target)}
    if kind is bgpls.BgpLs:
        out = _bgpls(value)
        if next_hop and value.nlri_type != 2:
            # ExaBGP repeats it inside BGP-LS node and prefix entries, not links
            out["nexthop"] = next_hop[0]
        return out
    renderer = _RENDERERS.get(kind)
    if renderer is not None:
        return _path(value, renderer(value))
    if hasattr(value, "body"):
        return _path(value, _evpn(value))
    return {"nlri": repr(value)}


# ---- MUP, MCAST-VPN, SR Policy -------------------------------------------
#
# MUP and the MCAST-VPN types 5 to 7 as ExaBGP 5.0's json() writes them (its
# TEID, QFI and Source AS are strings); MCAST-VPN 1 to 4, which ExaBGP shows
# as {"code", "parsed": false, "raw"}, in the same style with their RFC 6514
# fields; SR Policy, which ExaBGP does not know, as its three RFC 9830 fields.

_MUP_NAMES = {
    mup.ISD: "InterworkSegmentDiscoveryRoute",
    mup.DSD: "DirectSegmentDiscoveryRoute",
    mup.T1ST: "Type1SessionTransformedRoute",
    mup.T2ST: "Type2SessionTransformedRoute",
}
_MUP_SHORT = {mup.ISD: "isd", mup.DSD: "dsd", mup.T1ST: "t1st", mup.T2ST: "t2st"}


def _raw(value: Any) -> str:
    # the NLRI without its path identifier, as ExaBGP's "raw"
    wire = value.encode()
    return (wire[4:] if value.path_id is not None else wire).hex().upper()


def _split(prefix: str) -> tuple[str, int]:
    address, _, bits = prefix.partition("/")
    return address, int(bits)


def _mup(value: Any) -> dict[str, Any]:
    kind = type(value)
    if kind is mup.MupUnknown:
        return {"arch": value.arch, "code": value.code, "raw": _raw(value)}
    out: dict[str, Any] = {"name": _MUP_NAMES[value.CODE], "arch": mup.ARCH_3GPP_5G, "code": value.CODE}
    if kind is mup.MupInterworkSegment:
        address, bits = _split(value.prefix)
        out.update({"prefix_ip_len": bits, "prefix_ip": address, "rd": str(value.rd)})
    elif kind is mup.MupDirectSegment:
        out.update({"ip": value.address, "rd": str(value.rd)})
    elif kind is mup.MupType1Session:
        address, bits = _split(value.prefix)
        out.update({"prefix_ip_len": bits, "prefix_ip": address, "teid": str(value.teid), "qfi": str(value.qfi),
                    "rd": str(value.rd), "endpoint_ip_len": 128 if ":" in value.endpoint else 32,
                    "endpoint_ip": value.endpoint})
        if value.source is None:
            out.update({"source_ip_len": 0, "source_ip": ""})
        else:
            out.update({"source_ip_len": 128 if ":" in value.source else 32, "source_ip": value.source})
    else:
        width = 128 if ":" in value.endpoint else 32
        out.update({"endpoint_len": width + value.teid_bits, "endpoint_ip": value.endpoint, "rd": str(value.rd),
                    "teid": str(value.teid)})
    out["raw"] = _raw(value)
    return out


_MVPN_NAMES = {
    mvpn.INTRA_AS_I_PMSI_AD: "Intra-AS I-PMSI A-D route",
    mvpn.INTER_AS_I_PMSI_AD: "Inter-AS I-PMSI A-D route",
    mvpn.S_PMSI_AD: "S-PMSI A-D route",
    mvpn.LEAF_AD: "Leaf A-D route",
    mvpn.SOURCE_ACTIVE_AD: "Source Active A-D Route",
    mvpn.SHARED_TREE_JOIN: "C-Multicast Shared Tree Join route",
    mvpn.SOURCE_TREE_JOIN: "C-Multicast Source Tree Join route",
}
_MVPN_SHORT = {
    mvpn.INTRA_AS_I_PMSI_AD: "intra-as-i-pmsi-ad",
    mvpn.INTER_AS_I_PMSI_AD: "inter-as-i-pmsi-ad",
    mvpn.S_PMSI_AD: "s-pmsi-ad",
    mvpn.LEAF_AD: "leaf-ad",
    mvpn.SOURCE_ACTIVE_AD: "sourcead",
    mvpn.SHARED_TREE_JOIN: "shared-join",
    mvpn.SOURCE_TREE_JOIN: "source-join",
}


def _wildcard(address: str | None) -> str:
    return "*" if address is None else address


def _mvpn(value: Any) -> dict[str, Any]:
    kind = type(value)
    if kind is mvpn.MvpnUnknown:
        return {"code": value.code, "parsed": False, "raw": _raw(value)}
    out: dict[str, Any] = {"code": value.CODE, "parsed": True, "raw": _raw(value), "name": _MVPN_NAMES[value.CODE]}
    if kind is mvpn.MvpnLeafAd:
        out["route-key"] = _mvpn(value.route_key)
        out["originating-router"] = value.originator
        return out
    out["rd"] = str(value.rd)
    if kind is mvpn.MvpnIntraAsIpmsiAd:
        out["originating-router"] = value.originator
    elif kind is mvpn.MvpnInterAsIpmsiAd:
        out["source-as"] = str(value.source_as)
    elif kind is mvpn.MvpnSpmsiAd:
        out.update({"source": _wildcard(value.source), "group": _wildcard(value.group),
                    "originating-router": value.originator})
    else:
        if kind is not mvpn.MvpnSourceActiveAd:
            out["source-as"] = str(value.source_as)
        out.update({"source": value.source, "group": value.group})
    return out


def _sr_policy(value: SrPolicy) -> dict[str, Any]:
    return {"distinguisher": value.distinguisher, "color": value.color, "endpoint": value.endpoint}


_RENDERERS = {
    **dict.fromkeys((*mup.ROUTE_TYPES.values(), mup.MupUnknown), _mup),
    **dict.fromkeys((*mvpn.ROUTE_TYPES.values(), mvpn.MvpnUnknown), _mvpn),
    SrPolicy: _sr_policy,
}


def nlri_text(value: Any) -> str:
    """A MUP, MCAST-VPN or SR Policy NLRI as ExaBGP's text encoder shows it
    (its ``str()``): ``mup:isd::65000:1:10.0.0.0/24``."""
    kind = type(value)
    if kind is SrPolicy:
        return f"sr-policy:{value.distinguisher}:{value.color}:{value.endpoint}"
    if kind is mup.MupUnknown:
        return f"mup:unknown:0x{value.raw.hex()}"
    if kind is mvpn.MvpnUnknown:
        return f"mvpn:unknown:0x{value.raw.hex()}"
    if kind in mup.ROUTE_TYPES.values():
        head = f"mup:{_MUP_SHORT[value.CODE]}::{value.rd}"
        if kind is mup.MupInterworkSegment:
            return f"{head}:{value.prefix}"
        if kind is mup.MupDirectSegment:
            return f"{head}:{value.address}"
        if kind is mup.MupType1Session:
            text = f"{head}:{value.prefix}:{value.teid}:{value.qfi}:{value.endpoint}/{128 if ':' in value.endpoint else 32}"
            if value.source is not None:
                text += f":{value.source}/{128 if ':' in value.source else 32}"
            return text
        width = 128 if ":" in value.endpoint else 32
        return f"{head}:{width + value.teid_bits}:{value.endpoint}:{value.teid}:"
    head = f"mvpn:{_MVPN_SHORT[value.CODE]}:"
    if kind is mvpn.MvpnLeafAd:
        return f"{head}:{nlri_text(value.route_key)}:{value.originator}"
    head += f":{value.rd}"
    if kind is mvpn.MvpnIntraAsIpmsiAd:
        return f"{head}:{value.originator}"
    if kind is mvpn.MvpnInterAsIpmsiAd:
        return f"{head}:{value.source_as}"
    if kind is mvpn.MvpnSpmsiAd:
        return f"{head}:{_wildcard(value.source)}:{_wildcard(value.group)}:{value.originator}"
    if kind is mvpn.MvpnSourceActiveAd:
        return f"{head}:{value.source}:{value.group}"
    return f"{head}:{value.source_as}:{value.source}:{value.group}"


TEXT_TYPES = frozenset((*_RENDERERS, PathPrefix))


def route_text(value: Any) -> str:
    """A received route for ``show adj-rib in``: the prefix (with ADD-PATH
    ExaBGP's "10.0.0.0/24 path-information 0.0.0.1"), ExaBGP's string of a
    MUP, MCAST-VPN or SR Policy route, else the value's own ``str``."""
    if type(value) is PathPrefix:
        return f"{value.prefix} path-information {path_info_text(value.path_id)}"
    if type(value) in TEXT_TYPES:
        return nlri_text(value)
    return str(value)


_TEXT_READERS = {"mup": mup.Mup, "mcast-vpn": mvpn.Mvpn}


def entry_text(family: str, item: Any) -> str:
    """One entry of an "announce"/"withdraw" list as the text encoder writes
    it: the prefix, ExaBGP's string of a MUP or MCAST-VPN route (read back
    from its "raw"), of an SR Policy, of a flow; otherwise the entry as JSON."""
    if not isinstance(item, dict):
        return item
    if "nlri" in item:
        return item["nlri"]
    afi, _, safi = family.partition(" ")
    reader = _TEXT_READERS.get(safi)
    if reader is not None and "raw" in item:
        try:
            return nlri_text(reader.decode(bytes.fromhex(item["raw"]), 2 if afi == "ipv6" else 1))
        except (ValueError, InvalidNetworkField):
            pass
    if safi == "sr-policy" and "endpoint" in item:
        return f"sr-policy:{item['distinguisher']}:{item['color']}:{item['endpoint']}"
    if "string" in item:
        return item["string"]
    return json.dumps(item, separators=(",", ":"))


def _route_target(raw: bytes) -> str:
    raw = raw.ljust(8, b"\x00")
    kind = raw[1]
    if raw[0] & 0x3F == 0:
        return f"target:{int.from_bytes(raw[2:4], 'big')}:{int.from_bytes(raw[4:], 'big')}" if kind == 2 else raw.hex()
    if raw[0] & 0x3F == 1:
        return f"target:{'.'.join(str(o) for o in raw[2:6])}:{int.from_bytes(raw[6:], 'big')}"
    if raw[0] & 0x3F == 2:
        return f"target:{int.from_bytes(raw[2:6], 'big')}L:{int.from_bytes(raw[6:], 'big')}"
    return "0x" + raw.hex()


def next_hop_key(next_hop: tuple[str, ...]) -> str:
    """ExaBGP's key of an "announce" group: the global next hop."""
    return next_hop[0] if next_hop else NO_NEXT_HOP
