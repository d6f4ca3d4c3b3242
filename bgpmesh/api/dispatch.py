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
from bgpmesh.api.selector import matching
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST

_OPS = {
    "announce-route": "announce",
    "withdraw-route": "withdraw",
    "announce-eor": "eor",
    "announce-route-refresh": "route-refresh",
    "teardown": "teardown",
}


@dataclass
class Plan:
    frames: list[list[bytes]] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    error: str = ""
    local: bool = False  # not for workers: the caller answers it


# what a worker can put on the wire today; anything else is refused here, with
# a reason, rather than sent on and quietly stripped of what makes it special
ANNOUNCEABLE = frozenset({IPV4_UNICAST, IPV6_UNICAST})


def unsupported(route) -> str:
    """Why this version cannot announce the route, or ""."""
    if route.family not in ANNOUNCEABLE:
        return f"announcing {route.family} routes is not supported yet"
    if route.path_id is not None:
        return "path-information (ADD-PATH send) is not supported yet"
    if route.watchdog is not None:
        return "watchdog is not supported yet"
    return ""


def plan(command: Command, candidates, publisher: str, seq: int) -> Plan:
    op = _OPS.get(command.kind)
    if op is None:
        return Plan(local=True)
    for route in command.routes:
        reason = unsupported(route)
        if reason:
            return Plan(error=f"{route.prefix}: {reason}")
    targets = matching(command.selectors, candidates)
    if not targets:
        return Plan(error="no neighbor matches the command")
    by_group: dict[str, list[str]] = {}
    for ref in targets:
        by_group.setdefault(ref.group, []).append(ref.name)
    routes = [bus.route_to_wire(r) for r in command.routes]
    family = command.family or (IPV4_UNICAST if op in ("eor", "route-refresh") else None)
    result = Plan(groups=set(by_group))
    for group, names in by_group.items():
        result.frames.append(bus.pack(
            bus.worker_topic(group), "command", id=[publisher, seq], op=op, neighbors=names,
            routes=routes, family=list(family) if family else None, arg=command.arg,
            text=command.text))
    return result
