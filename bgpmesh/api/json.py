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

from bgpmesh.codec.attributes import (
    Aggregator,
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
)
from bgpmesh.codec.attributes.as_path import (
    AS_CONFED_SEQUENCE,
    AS_CONFED_SET,
    AS_SEQUENCE,
    AS_SET,
)
from bgpmesh.codec.attributes.base import OPTIONAL, PARTIAL, TRANSITIVE
from bgpmesh.codec.capabilities import (
    ExtendedMessage,
    FourOctetAs,
    Multiprotocol,
    RouteRefreshCapability,
)
from bgpmesh.codec.notification import Notification
from bgpmesh.codec.open import Open
from bgpmesh.codec.route_refresh import SUBTYPE_NAMES, RouteRefresh
from bgpmesh.codec.update import Update
from bgpmesh.family import IPV4_UNICAST
from bgpmesh.route import ORIGIN_NAMES

VERSION = "4.0.1"  # the "exabgp" field of the 4.x dialect


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _as_path(path: AsPath, out: dict[str, Any]) -> None:
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
        elif kind is UnknownAttribute:
            flags = attribute.flags
            if flags & OPTIONAL and flags & TRANSITIVE:
                # ExaBGP marks an optional transitive attribute it passes on as partial
                flags |= PARTIAL
            out[f"attribute-0x{attribute.type_code:02X}-0x{flags & 0xF0:02X}"] = _hex(attribute.data)
    return out


def _type_code(attribute: Any) -> int:
    return attribute.type_code if type(attribute) is UnknownAttribute else attribute.TYPE_CODE


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
        announce.setdefault(str(IPV4_UNICAST), {})[hop] = [{"nlri": p} for p in update.nlri]
    for attribute in update.attributes:
        if type(attribute) is MpReachNlri and attribute.nlri:
            # ExaBGP keys by the global next hop; a link-local one is not shown
            hop = attribute.next_hop[0] if attribute.next_hop else "null"
            routes = announce.setdefault(str(attribute.family), {}).setdefault(hop, [])
            routes.extend({"nlri": p} for p in attribute.nlri)
    if update.withdrawn:
        withdraw[str(IPV4_UNICAST)] = [{"nlri": p} for p in update.withdrawn]
    for attribute in update.attributes:
        if type(attribute) is MpUnreachNlri and attribute.nlri:
            withdraw.setdefault(str(attribute.family), []).extend({"nlri": p} for p in attribute.nlri)

    body: dict[str, Any] = {}
    attribute_section = attributes(update)
    if attribute_section:
        body["attribute"] = attribute_section
    if announce:
        body["announce"] = announce
    if withdraw:
        body["withdraw"] = withdraw
    return {"update": body}


def _capabilities(message: Open) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for capability in message.capabilities:
        kind = type(capability)
        if kind is Multiprotocol:
            entry = out.setdefault("1", {"name": "multiprotocol", "families": []})
            entry["families"].append(str(capability.family))
        elif kind is RouteRefreshCapability:
            out["2"] = {"name": "route-refresh", "variant": "RFC"}
        elif kind is ExtendedMessage:
            out["6"] = {"name": "extended-message"}
        elif kind is FourOctetAs:
            out["65"] = {"name": "asn4", "asn4": capability.asn}
        else:
            out[str(capability.code)] = {"name": "unknown", "iana": capability.code, "raw": _hex(capability.data)}
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
