"""From a parsed text command to the bus frames that carry it, per worker group.

Pure planning, shared by the pipe bridge and ``bgpmesh send``: resolve the
``neighbor ...`` selectors against the candidate neighbors (for a script,
those whose ``api`` lists it; for the CLI, all), then emit one ``command``
frame per worker group that owns a matched neighbor.  The caller publishes the
frames and folds one ack per group into ExaBGP's ``done``/``error``.

Commands that concern the daemon rather than neighbors (shutdown, version,
help, comments) are answered by the caller; ``plan`` says so with ``local``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bgpmesh import bus
from bgpmesh.api.commands import Command
from bgpmesh.api.nlri_words import FAMILY_GRAMMARS, nlri_route_text
from bgpmesh.api.selector import matching
from bgpmesh.codec.packer import rib_entry
from bgpmesh.family import (
    AFI_IPV4,
    AFI_IPV6,
    AFI_L2VPN,
    IPV4_MULTICAST,
    IPV4_UNICAST,
    IPV6_MULTICAST,
    IPV6_UNICAST,
    SAFI_FLOW,
    SAFI_FLOW_VPN,
    SAFI_MPLS_LABEL,
    SAFI_MPLS_VPN,
    SAFI_VPLS,
    Family,
)
from bgpmesh.route import FlowRoute, NlriRoute, Operational, Route, Vpls

_OPS = {
    "announce-route": "announce",
    "withdraw-route": "withdraw",
    "announce-flow": "announce",
    "withdraw-flow": "withdraw",
    "announce-vpls": "announce",
    "withdraw-vpls": "withdraw",
    "announce-nlri": "announce",
    "withdraw-nlri": "withdraw",
    "announce-eor": "eor",
    "announce-route-refresh": "route-refresh",
    "teardown": "teardown",
    # ExaBGP's OPERATIONAL message; ``routes`` holds [name, afi, safi, values]
    "announce-operational": "operational",
    # ExaBGP 4.2: the routes tagged ``watchdog NAME`` leave (and come back to)
    # the Adj-RIB-Out of each neighbor the command reaches; ``arg`` is NAME
    "announce-watchdog": "watchdog-announce",
    "withdraw-watchdog": "watchdog-withdraw",
}


@dataclass
class Plan:
    frames: list[list[bytes]] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    error: str = ""
    local: bool = False  # not for workers: the caller answers it


# what a worker can put on the wire; anything else is refused here, with a
# reason, rather than sent on and quietly stripped of what makes it special
ANNOUNCEABLE = frozenset({
    IPV4_UNICAST, IPV6_UNICAST, IPV4_MULTICAST, IPV6_MULTICAST,
    Family(AFI_IPV4, SAFI_MPLS_LABEL), Family(AFI_IPV6, SAFI_MPLS_LABEL),
    Family(AFI_IPV4, SAFI_MPLS_VPN), Family(AFI_IPV6, SAFI_MPLS_VPN),
    Family(AFI_IPV4, SAFI_FLOW), Family(AFI_IPV6, SAFI_FLOW),
    Family(AFI_IPV4, SAFI_FLOW_VPN), Family(AFI_IPV6, SAFI_FLOW_VPN),
    Family(AFI_L2VPN, SAFI_VPLS),
    *FAMILY_GRAMMARS,  # EVPN, RTC, ...: api/nlri_words.py
})
# the families whose routes may ride a bridge's batch frames: a prefix is the
# whole NLRI (workers key them with the family's prefix codec)
BATCHABLE = frozenset({IPV4_UNICAST, IPV6_UNICAST, IPV4_MULTICAST, IPV6_MULTICAST})


def describe(route) -> str:
    """How an error names a route."""
    if type(route) is Route:
        return route.prefix if route.rd is None else f"{route.prefix} rd {route.rd}"
    if type(route) is FlowRoute:
        return "flow " + bus.flow_text(route.match)
    if type(route) is Vpls:
        return "vpls " + bus.vpls_text(route)
    if type(route) is NlriRoute:
        return nlri_route_text(route)
    return repr(route)


def unsupported(route, announce: bool = True) -> str:
    """Why this version cannot announce (or withdraw) the route, or ""."""
    family = rib_entry(route)[0] if type(route) is Vpls else getattr(route, "family", None)
    if family not in ANNOUNCEABLE:
        return f"announcing {family} routes is not supported yet"
    if announce and type(route) is Route and not route.labels and \
            family.safi in (SAFI_MPLS_LABEL, SAFI_MPLS_VPN):
        return f"a {family} route needs a label, expected 'label [ N ]'"
    try:
        rib_entry(route)  # the NLRI, and a FlowRoute's actions, encode
    except (ValueError, OverflowError) as exc:
        return str(exc)
    return ""


def configured_for(routes, targets: list) -> tuple[list, str]:
    """The targets whose ``family`` block lists the family of every route
    (RFC 4760: a route goes only where its family was advertised; a neighbor
    not configured for it never will be), and why none is, when none is.

    A command's routes are of one family but for a rare bulk line, so a
    neighbor gets the whole command or nothing of it.  Neighbors whose
    families are not known (``NeighborRef.families`` empty) get it: the
    worker still sends nothing its session did not negotiate."""
    wanted = set()
    for route in routes:
        if type(route) is not Operational:
            family = rib_entry(route)[0] if type(route) is Vpls else getattr(route, "family", None)
            if family is not None:
                wanted.add(str(family))
    if not wanted:
        return targets, ""
    fit = [ref for ref in targets if not ref.families or wanted.issubset(ref.families)]
    if fit:
        return fit, ""
    shown = "; ".join(f"{ref.name}: {', '.join(ref.families)}" for ref in targets[:3])
    more = f"; and {len(targets) - 3} more" if len(targets) > 3 else ""
    return [], (f"{describe(routes[0])}: no selected neighbor is configured for "
                f"{', '.join(sorted(wanted))} (their families: {shown}{more})")


def plan(command: Command, candidates, publisher: str, seq: int) -> Plan:
    op = _OPS.get(command.kind)
    if op is None:
        return Plan(local=True)
    for route in command.routes:
        if type(route) is Operational:
            continue  # the worker checks the session negotiated it
        reason = unsupported(route, op == "announce")
        if reason:
            return Plan(error=f"{describe(route)}: {reason}")
    targets = matching(command.selectors, candidates)
    if not targets:
        return Plan(error="no neighbor matches the command")
    if command.routes:
        targets, refused = configured_for(command.routes, targets)
        if not targets:
            return Plan(error=refused)
    by_group: dict[str, list[str]] = {}
    for ref in targets:
        by_group.setdefault(ref.group, []).append(ref.name)
    routes = [[r.name, r.family.afi, r.family.safi, [list(v) for v in r.values]]
              if type(r) is Operational else bus.route_to_wire(r) for r in command.routes]
    family = command.family or (IPV4_UNICAST if op in ("eor", "route-refresh") else None)
    result = Plan(groups=set(by_group))
    for group, names in by_group.items():
        result.frames.append(bus.pack(
            bus.worker_topic(group), "command", id=[publisher, seq], op=op, neighbors=names,
            routes=routes, family=list(family) if family else None,
            arg=command.text if op.startswith("watchdog-") else command.arg,
            text=command.text))
    return result
