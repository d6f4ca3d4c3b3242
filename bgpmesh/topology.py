"""Who runs where: neighbor names, groups, and the map clients read.

A neighbor group is the unit one worker process runs.  Neighbors inside an
explicit ``group NAME { }`` block form that group; the others are spread over
``auto-N`` groups by a stable hash of their address (CRC-32, not Python's
salted ``hash``), so the same configuration always puts a neighbor on the same
worker and a reload does not move sessions.

The supervisor writes the result to ``topology.json`` in its run folder so that
clients such as ``bgpmesh send`` can resolve ``neighbor ...`` selectors exactly
as the pipe bridges do.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import asdict, dataclass

from bgpmesh.api.exabgp import api_wants


@dataclass(frozen=True)
class NeighborRef:
    """What a command publisher needs to know of a neighbor."""

    name: str
    group: str
    peer_address: str
    local_address: str | None
    local_as: int
    peer_as: int
    router_id: str
    processes: tuple[str, ...] = ()  # processes whose api block lists it
    # its "family" block, as text ("ipv4 unicast"): an announce of another
    # family is not sent to it (``api.dispatch.plan``, and the bridge's
    # batches); () for "not known"
    families: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> NeighborRef:
        """The reverse of ``asdict`` (JSON gives lists)."""
        return cls(**{**data, "processes": tuple(data["processes"]),
                      "families": tuple(data.get("families", ()))})


def neighbor_names(neighbors) -> list[str]:
    """A unique name per neighbor: its address, or address%local if shared."""
    count: dict[str, int] = {}
    for n in neighbors:
        count[n.peer_address] = count.get(n.peer_address, 0) + 1
    return [
        n.peer_address if count[n.peer_address] == 1 else f"{n.peer_address}%{n.local_address}"
        for n in neighbors
    ]


def assign_groups(neighbors, workers: int) -> list[str]:
    """The group name of each neighbor, in order."""
    workers = max(1, workers)
    groups = []
    for n in neighbors:
        if n.group:
            groups.append(n.group)
        else:
            slot = zlib.crc32(f"{n.peer_address}|{n.local_address}".encode()) % workers
            groups.append(f"auto-{slot}")
    return groups


def api_processes(api, process_names) -> tuple[str, ...]:
    """The processes one ``api`` block serves: those it names, then those whose
    name a ``processes-match`` expression matches (5.0; ``re.match`` as
    ExaBGP does: anchored at the start of the name, case-sensitive)."""
    found = list(api.processes)
    for pattern in getattr(api, "processes_match", ()):
        expression = re.compile(pattern)
        found.extend(p for p in process_names if expression.match(p))
    return tuple(dict.fromkeys(found))


def build(config, workers: int) -> list[NeighborRef]:
    names = neighbor_names(config.neighbors)
    groups = assign_groups(config.neighbors, workers)
    known = [p.name for p in config.processes]
    refs = []
    for n, name, group in zip(config.neighbors, names, groups, strict=True):
        processes = tuple(dict.fromkeys(p for api in n.apis for p in api_processes(api, known)))
        refs.append(NeighborRef(name, group, n.peer_address, n.local_address, n.local_as,
                                n.peer_as, n.router_id, processes,
                                tuple(str(f) for f in n.families)))
    return refs


def process_wants(config, refs) -> dict[str, dict[str, list[str]]]:
    """process -> neighbor name -> event kinds its api blocks ask for."""
    out: dict[str, dict[str, list[str]]] = {}
    known = [p.name for p in config.processes]
    for ref, neighbor in zip(refs, config.neighbors, strict=True):
        for api in neighbor.apis:
            kinds = api_wants(api)
            if not kinds:
                continue
            for process in api_processes(api, known):
                have = out.setdefault(process, {}).setdefault(ref.name, [])
                have.extend(k for k in kinds if k not in have)
    return out


def dumps(refs: list[NeighborRef], **extra) -> str:
    return json.dumps({"neighbors": [asdict(r) for r in refs], **extra}, indent=1)


def loads(text: str) -> tuple[list[NeighborRef], dict]:
    data = json.loads(text)
    refs = [NeighborRef.from_dict(r) for r in data.pop("neighbors")]
    return refs, data
