"""What a configuration means, once parsed: frozen values, no syntax left.

The supervisor compares two ``Config`` values on reload and hands each worker
the neighbors of its ``group``; these classes therefore hold only resolved
values: templates and groups are already applied, defaults filled in.
"""

from __future__ import annotations

from dataclasses import dataclass

from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpmesh.route import Route

API_MESSAGES = frozenset({
    "parsed", "packets", "consolidate", "open", "update", "notification", "keepalive",
    "refresh", "operational",
})
API_EVENTS = frozenset({"negotiated", "fsm", "signal"})


@dataclass(frozen=True, slots=True)
class Process:
    name: str
    run: tuple[str, ...]  # argv
    encoder: str = "json"
    respawn: bool = True


@dataclass(frozen=True, slots=True)
class Api:
    name: str | None
    processes: tuple[str, ...]
    neighbor_changes: bool = False
    receive: frozenset[str] = frozenset()  # of API_MESSAGES
    send: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()  # of API_EVENTS: negotiated, fsm, signal


@dataclass(frozen=True, slots=True)
class Neighbor:
    peer_address: str
    local_address: str | None  # None: chosen by the kernel when connecting
    router_id: str
    local_as: int
    peer_as: int
    hold_time: int = 180
    passive: bool = False
    connect: int = 179  # TCP port we connect to on the peer
    listen: int = 179  # local TCP port we accept on
    families: tuple[Family, ...] = (IPV4_UNICAST, IPV6_UNICAST)
    apis: tuple[Api, ...] = ()
    static: tuple[Route, ...] = ()
    group: str | None = None
    description: str = ""
    source: str = ""  # "conf/a.conf:12", where the neighbor block starts

    @property
    def name(self) -> str:
        return self.peer_address

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.peer_address, self.local_address)


@dataclass(frozen=True, slots=True)
class Config:
    processes: tuple[Process, ...] = ()
    neighbors: tuple[Neighbor, ...] = ()

    def process(self, name: str) -> Process:
        """The process called ``name``; KeyError if there is none."""
        for process in self.processes:
            if process.name == name:
                return process
        raise KeyError(name)
