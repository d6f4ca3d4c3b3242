"""What a configuration means, once parsed: frozen values, no syntax left.

The supervisor compares two ``Config`` values on reload and hands each worker
the neighbors of its ``group``; these classes therefore hold only resolved
values: templates and groups are already applied, defaults filled in.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpmesh.route import FlowRoute, NlriRoute, Operational, Route, Vpls

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
    processes_match: tuple[str, ...] = ()  # 5.0: regular expressions on process names


@dataclass(frozen=True, slots=True)
class Capability:
    """What the OPEN offers (``capability { ... }``), ExaBGP 4.2 defaults."""

    asn4: bool = True
    route_refresh: bool = False
    graceful_restart: int | None = None  # restart time in seconds; None: not offered
    # bgpmesh's long-lived-graceful-restart (RFC 9494): (family, or None for
    # every family of the neighbor, long-lived stale time in seconds)
    long_lived_graceful_restart: tuple[tuple[Family | None, int], ...] = ()
    add_path: str | None = None  # "send", "receive", "send/receive"; None: disabled
    multi_session: bool = False
    operational: bool = False
    aigp: bool = False
    extended_message: bool = True
    nexthop: bool = False  # RFC 8950 extended next hop
    software_version: bool = False


DEFAULT_CAPABILITY = Capability()


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
    # ExaBGP 4.2/5.0 statements; peer_as above is None for "peer-as auto".
    peer_range: str | None = None  # "neighbor 10.0.0.0/24": accept any peer in it
    md5_password: str | None = None
    md5_base64: bool = False  # md5_password is base64 of the key
    md5_ip: str | None = None  # address the TCP MD5 key is bound to
    incoming_ttl: int | None = None  # GTSM minimum TTL (RFC 5082)
    outgoing_ttl: int | None = None
    group_updates: bool = True
    auto_flush: bool = True
    adj_rib_in: bool = True
    adj_rib_out: bool = True
    manual_eor: bool = False
    rate_limit: int = 0  # UPDATEs per second; 0: no limit
    # bgpmesh extension "max-prefixes N [teardown|warn];": 0, no limit
    max_prefixes: int = 0
    max_prefixes_teardown: bool = True  # False: "warn", only log
    # bgpmesh extensions "delay-open S;" and "idle-hold S [max S];" (RFC 4271
    # 8.1.1 DelayOpen and DampPeerOscillations): 0, off
    delay_open: int = 0
    idle_hold: int = 0
    idle_hold_max: int = 300
    # bgpmesh extension "role provider|rs|rs-client|customer|peer;" (RFC 9234)
    role: str | None = None
    host_name: str | None = None  # None: the system's (RFC 8652 FQDN capability)
    domain_name: str | None = None
    source_interface: str | None = None
    capability: Capability = DEFAULT_CAPABILITY
    add_path_families: tuple[Family, ...] = ()  # add-path { ipv4 unicast; }
    nexthops: tuple[tuple[Family, int], ...] = ()  # nexthop { ipv4 unicast ipv6; }: AFI
    flows: tuple[FlowRoute, ...] = ()
    vpls: tuple[Vpls, ...] = ()
    # bgpmesh extension: EVPN and RTC routes ("announce { l2vpn { evpn ...; } }")
    nlri_routes: tuple[NlriRoute, ...] = ()
    operational: tuple[Operational, ...] = ()

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

    def to_dict(self) -> dict:
        """The resolved model as JSON-able data (``bgpmesh validate --dump``)."""
        return _plain(self)


def _plain(value: Any) -> Any:
    if isinstance(value, Family):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, enum.Enum):
        return value.name
    return value
