"""Run BIRD 2 as a BGP peer on loopback and read what it learned.

Theory of operation: a ``Bird`` owns one directory holding ``bird.conf``, the
control socket, the pid file, ``bird.log`` and BIRD's stderr. ``start()``
writes the config from a list of ``BirdPeer``, runs ``bird -f`` in the
foreground as our own child, and polls ``birdc show status`` until the daemon
answers. Everything afterwards goes through ``birdc``; ``stop()`` signals the
pid we started (TERM, then KILL after a deadline) and never anything else.

Config rules, each one a trap found on loopback (see REAL-PEERS.md):

- BIRD ignores ``lo``, so single-hop eBGP between 127.x addresses fails.
  Every session is ``multihop 2`` with empty ``igp table``s: received routes
  show as unreachable, but are stored, counted and shown with attributes.
- ``strict bind on`` with ``local ADDR port N as ASN`` lets several instances
  and protocols each own their own address and port.
- An IPv6 channel on an IPv4 session needs ``next hop address``. BIRD
  rejects an IPv4-mapped one ("mismatched address family"), so the default is
  a documentation address derived from the local IPv4 address.
- On eBGP BIRD drops a MED that was not set by the export filter, so route
  attributes are set in the BGP protocol's export filter, not in the static
  protocol.
- ``protocol device { scan time 1; }`` bounds how long BIRD holds back its
  last partial batch of updates; short connect, retry and error-wait timers
  let a session come back within seconds after the peer under test restarts.

Each BGP protocol exports only the static routes generated for it
(``export filter { if proto != "<name>_static4" ... }``), so one instance can
serve several peers with different routes.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.daemons.waiting import terminate, wait_for_table, wait_until

BIRD = "bird"
BIRDC = "birdc"
# sockaddr_un.sun_path is 108 bytes with its NUL; pytest's tmp_path can be longer.
MAX_SOCKET_PATH = 100

_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ORIGINS = {"igp": "ORIGIN_IGP", "egp": "ORIGIN_EGP", "incomplete": "ORIGIN_INCOMPLETE"}

Attributes = dict[str, Any]
Route = dict[str, Any]


class BirdError(RuntimeError):
    """BIRD failed to start, or birdc reported an error."""


@dataclass
class BirdPeer:
    """One ``protocol bgp`` block: BIRD at ``local_*`` talking to ``peer_*``.

    ``export_static`` lists routes BIRD announces to this peer only, each as
    ``(prefix, attributes)`` where attributes use BIRD filter names:
    ``{"bgp_med": 10, "bgp_local_pref": 200, "bgp_origin": "incomplete",
    "bgp_community": [(65000, 1)], "bgp_large_community": [(1, 2, 3)],
    "bgp_ext_community": [("rt", 65000, 1)], "bgp_path": [64999, 64998]}``.
    ``bgp_path`` is prepended so the path reads local AS first, then as
    given. Any other key with a string value is written as ``key = value;``.
    """

    name: str
    local_address: str
    local_port: int
    peer_address: str
    peer_port: int
    local_as: int
    peer_as: int
    passive: bool = True
    ipv4: bool = True
    ipv6: bool = True
    ipv6_next_hop: str | None = None
    export_static: list[tuple[str, Attributes]] = field(default_factory=list)
    hold_time: int = 9
    keepalive_time: int = 3
    password: str | None = None
    extra: list[str] = field(default_factory=list)
    """Raw statements added to the protocol block, e.g. ``"enable route refresh off;"``,
    or whole channels: ``"flow4 { table flowtab4; import all; export none; };"``."""
    channel_extra: dict[int, list[str]] = field(default_factory=dict)
    """Raw statements for the ipv4 (key 4) or ipv6 (key 6) channel, e.g.
    ``{4: ["extended next hop on;"]}``."""
    tables: list[str] = field(default_factory=list)
    """Global table declarations the channels in ``extra`` name, e.g.
    ``"flow4 table flowtab4;"`` or ``"vpn4 table vpntab4;"``."""

    def __post_init__(self) -> None:
        if not _SYMBOL.fullmatch(self.name):
            raise ValueError(f"BIRD protocol name must be a symbol, got {self.name!r}")
        if self.ipv6_next_hop is None and ":" in self.local_address:
            self.ipv6_next_hop = "2001:db8::1"
        if self.ipv6_next_hop is None:
            mapped = int(ipaddress.IPv4Address(self.local_address))
            self.ipv6_next_hop = str(ipaddress.IPv6Address("2001:db8::") + mapped)

    def static_name(self, version: int) -> str:
        return f"{self.name}_static{version}"


def _render_attributes(attributes: Attributes) -> list[str]:
    statements = []
    for key, value in attributes.items():
        if key == "bgp_path":
            statements += [f"bgp_path.prepend({asn});" for asn in reversed(value)]
        elif key == "bgp_origin" and str(value).lower() in _ORIGINS:
            statements.append(f"bgp_origin = {_ORIGINS[str(value).lower()]};")
        elif isinstance(value, bool):
            raise TypeError(f"{key}: no boolean BGP attributes in BIRD filters")
        elif isinstance(value, int | str):
            statements.append(f"{key} = {value};")
        elif isinstance(value, Iterable):
            for item in value:
                statements.append(f"{key}.add(({', '.join(str(part) for part in item)}));")
        else:
            raise TypeError(f"{key}: cannot render {value!r}")
    return statements


def _routes_by_version(peer: BirdPeer) -> dict[int, list[tuple[str, Attributes]]]:
    routes: dict[int, list[tuple[str, Attributes]]] = {4: [], 6: []}
    for prefix, attributes in peer.export_static:
        network = ipaddress.ip_network(prefix)
        routes[network.version].append((str(network), attributes))
    return routes


def render_config(router_id: str, peers: list[BirdPeer], log_path: Path) -> str:
    """The whole bird.conf for ``peers``; pure, so tests can look at it."""
    lines = [
        f"router id {router_id};",
        f'log "{log_path}" all;',
        "debug protocols { states, events };",
        "",
        "protocol device { scan time 1; }",
        "",
        "# Kept empty: multihop next hops resolve here, so received routes are",
        "# unreachable but still stored with their attributes.",
        "ipv4 table igp4;",
        "ipv6 table igp6;",
    ]
    for peer in peers:
        lines += peer.tables
    for peer in peers:
        routes = _routes_by_version(peer)
        for version, channel in ((4, "ipv4"), (6, "ipv6")):
            if not routes[version]:
                continue
            lines += ["", f"protocol static {peer.static_name(version)} {{", f"  {channel};"]
            lines += [f"  route {prefix} blackhole;" for prefix, _ in routes[version]]
            lines.append("}")

        lines += [
            "",
            f"protocol bgp {peer.name} {{",
            f"  local {peer.local_address} port {peer.local_port} as {peer.local_as};",
            f"  neighbor {peer.peer_address} port {peer.peer_port} as {peer.peer_as};",
            "  strict bind on;",
            "  multihop 2;",
            f"  passive {'on' if peer.passive else 'off'};",
            "  connect delay time 1;",
            "  connect retry time 2;",
            "  error wait time 1, 5;",
            f"  hold time {peer.hold_time};",
            f"  keepalive time {peer.keepalive_time};",
        ]
        if peer.password is not None:
            lines.append(f'  password "{peer.password}";')
        lines += [f"  {statement}" for statement in peer.extra]
        for version, enabled in ((4, peer.ipv4), (6, peer.ipv6)):
            if not enabled:
                continue
            lines += [
                f"  ipv{version} {{",
                f"    igp table igp{version};",
                "    import all;",
                "    export filter {",
                f'      if proto != "{peer.static_name(version)}" then reject;',
            ]
            for prefix, attributes in routes[version]:
                statements = " ".join(_render_attributes(attributes))
                if statements:
                    lines.append(f"      if net = {prefix} then {{ {statements} }}")
            lines += ["      accept;", "    };"]
            if version == 6:
                lines.append(f"    next hop address {peer.ipv6_next_hop};")
            lines += [f"    {statement}" for statement in peer.channel_extra.get(version, [])]
            lines.append("  };")
        lines.append("}")
    return "\n".join(lines) + "\n"


def _ints(text: str) -> list[int]:
    return [int(number) for number in re.findall(r"\d+", text)]


def _tuples(text: str) -> list[tuple[str, ...]]:
    return [
        tuple(part.strip() for part in group.split(","))
        for group in re.findall(r"\(([^)]*)\)", text)
    ]


def parse_routes(output: str) -> dict[str, Route]:
    """Parse ``show route all`` output into prefix -> route.

    Keys of each route: next_hop (first address of BGP.next_hop), as_path
    (ints; AS_SET members flattened), med, local_pref (int or None),
    communities [(a, b)], large_communities [(a, b, c)], ext_communities
    [("rt", "65000", "1")], origin ("IGP", "EGP", "Incomplete"), table, and
    attributes: every ``BGP.x: value`` line as x -> text. With several routes
    for one prefix (ADD-PATH, or several protocols) the first, BIRD's best,
    is kept.
    """
    routes: dict[str, Route] = {}
    table = None
    prefix = None
    current: Route | None = None
    for line in output.splitlines():
        if not line.strip():
            continue
        if line.startswith("Table "):
            table = line.split()[1].rstrip(":")
            continue
        if not line[0].isspace():
            prefix = line.split()[0]
            current = None
            if prefix not in routes:
                current = routes[prefix] = {
                    "table": table,
                    "next_hop": None,
                    "as_path": [],
                    "med": None,
                    "local_pref": None,
                    "communities": [],
                    "large_communities": [],
                    "ext_communities": [],
                    "origin": None,
                    "attributes": {},
                }
            continue
        if line.startswith("\t"):
            if current is None:
                continue
            key, _, value = line.strip().partition(": ")
            if not key.startswith("BGP."):
                continue
            name = key[len("BGP.") :]
            current["attributes"][name] = value
            if name == "next_hop":
                current["next_hop"] = value.split()[0] if value else None
            elif name == "as_path":
                current["as_path"] = _ints(value)
            elif name in ("med", "local_pref"):
                current[name] = int(value)
            elif name == "origin":
                current["origin"] = value
            elif name == "community":
                current["communities"] = [tuple(int(p) for p in t) for t in _tuples(value)]
            elif name == "large_community":
                current["large_communities"] = [tuple(int(p) for p in t) for t in _tuples(value)]
            elif name == "ext_community":
                current["ext_communities"] = _tuples(value)
        else:
            # An indented header line: another route for the same prefix.
            current = None
    return routes


class Bird:
    """One BIRD daemon, started and stopped by this test.

    Usage::

        with Bird(tmp_path / "bird", "10.0.0.1", [BirdPeer(...)]) as bird:
            bird.wait_established("peer", timeout=30)
            routes = bird.wait_routes("peer", lambda r: "10.0.0.0/24" in r, 10)
    """

    def __init__(self, directory: Path | str, router_id: str, peers: list[BirdPeer]) -> None:
        self.directory = Path(directory)
        self.router_id = router_id
        self.peers = list(peers)
        names = [peer.name for peer in self.peers]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate BIRD protocol names: {names}")
        self.config_path = self.directory / "bird.conf"
        self.log_path = self.directory / "bird.log"
        self.stderr_path = self.directory / "bird.stderr"
        self.pid_path = self.directory / "bird.pid"
        self.socket_path = self.directory / "bird.ctl"
        self._socket_dir: str | None = None
        self.process: subprocess.Popen[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------

    def write_config(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(render_config(self.router_id, self.peers, self.log_path))

    def start(self, timeout: float = 10.0, *, recovery: bool = False) -> Bird:
        """``recovery``: ``bird -R``, graceful restart recovery (after
        ``graceful_restart``): BGP OPENs carry the Restart State and
        Forwarding State bits."""
        if self.running:
            raise BirdError("BIRD already running")
        self.write_config()
        if len(os.fsencode(self.socket_path)) > MAX_SOCKET_PATH and self._socket_dir is None:
            self._socket_dir = tempfile.mkdtemp(prefix="bird-")
            self.socket_path = Path(self._socket_dir) / "bird.ctl"
        command = [
            BIRD, "-f",
            "-c", str(self.config_path),
            "-s", str(self.socket_path),
            "-P", str(self.pid_path),
        ] + (["-R"] if recovery else [])  # fmt: skip
        with open(self.stderr_path, "ab") as stderr:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr
            )
        try:
            wait_until(self._answers, timeout, message=self._describe_start_failure)
        except BaseException:
            self.stop()
            raise
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise BirdError(self._describe_start_failure())
        if not self.socket_path.exists():
            return False
        result = self._run_birdc("show status", timeout=2)
        return result.returncode == 0 and "Daemon is up and running" in result.stdout

    def _describe_start_failure(self) -> str:
        code = self.process.poll() if self.process else None
        state = f"exited with {code}" if code is not None else "not answering"
        return (
            f"BIRD {state}; stderr:\n{self._tail(self.stderr_path)}\n"
            f"log:\n{self._tail(self.log_path)}\nconfig {self.config_path}"
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """TERM the pid we started (BIRD sends Cease to its peers), KILL after ``timeout``."""
        process, self.process = self.process, None
        try:
            terminate(process, timeout)
        finally:
            if self._socket_dir is not None:
                shutil.rmtree(self._socket_dir, ignore_errors=True)
                self._socket_dir = None
                self.socket_path = self.directory / "bird.ctl"

    def graceful_restart(self, timeout: float = 10.0) -> None:
        """``birdc graceful restart``: BIRD exits leaving its peers to keep
        its routes (its BGP sessions close without a NOTIFICATION); start it
        again with ``start(recovery=True)``."""
        self.birdc("graceful restart")
        process, self.process = self.process, None
        try:
            process.wait(timeout)
        finally:
            terminate(process, 1.0)

    def restart(self, timeout: float = 10.0) -> Bird:
        self.stop()
        return self.start(timeout)

    def reconfigure(self) -> str:
        """Rewrite bird.conf from ``self.peers`` and apply it without a restart.

        BIRD reloads changed filters and static routes in place, so this is
        how a test announces or withdraws routes mid-session.
        """
        self.write_config()
        output = self.birdc("configure")
        if "Reconfigured" not in output and "Reconfiguration in progress" not in output:
            raise BirdError(f"reconfiguration failed:\n{output}")
        return output

    def __enter__(self) -> Bird:
        return self.start() if not self.running else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- control -----------------------------------------------------------

    def _run_birdc(self, command: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BIRDC, "-s", str(self.socket_path), command],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def birdc(self, command: str, timeout: float = 10.0) -> str:
        """Run one birdc command; its output without the "BIRD x ready." banner."""
        result = self._run_birdc(command, timeout)
        lines = result.stdout.splitlines()
        if lines and lines[0].startswith("BIRD ") and lines[0].endswith("ready."):
            lines = lines[1:]
        output = "\n".join(lines)
        if result.returncode != 0:
            raise BirdError(
                f"birdc {command!r} failed ({result.returncode}): {output}{result.stderr}"
            )
        return output

    def show_protocol(self, name: str) -> str:
        return self.birdc(f"show protocols all {name}")

    def protocol_state(self, name: str) -> str:
        """The BGP state ("Idle", "Connect", "Active", "Established", ...).

        A protocol that is down or disabled has no "BGP state" line; its
        summary state ("down", "start") is returned instead.
        """
        output = self.show_protocol(name)
        match = re.search(r"^\s*BGP state:\s+(\S+)", output, re.MULTILINE)
        if match:
            return match.group(1)
        for line in output.splitlines():
            fields = line.split()
            if fields and fields[0] == name and len(fields) > 3:
                return fields[3]
        raise BirdError(f"no state for {name!r} in:\n{output}")

    def last_error(self, name: str) -> str | None:
        match = re.search(r"^\s*Last error:\s+(.*)$", self.show_protocol(name), re.MULTILINE)
        return match.group(1).strip() if match else None

    def wait_established(self, name: str, timeout: float = 30.0) -> None:
        states: list[str] = []

        def established() -> bool:
            states.append(self.protocol_state(name))
            return states[-1] == "Established"

        wait_until(
            established,
            timeout,
            interval=0.1,
            message=lambda: (
                f"BIRD protocol {name} not Established (last state {states[-1:]}, "
                f"last error {self.last_error(name)!r}); log:\n{self._tail(self.log_path)}"
            ),
        )

    def routes(self, name: str) -> dict[str, Route]:
        """Routes BIRD imported from protocol ``name``, IPv4 and IPv6, by prefix."""
        return parse_routes(self.birdc(f"show route all protocol {name}"))

    def wait_routes(
        self,
        name: str,
        predicate: Callable[[dict[str, Route]], object],
        timeout: float = 15.0,
    ) -> dict[str, Route]:
        """Poll ``routes(name)`` until ``predicate(routes)`` holds; return those routes."""
        return wait_for_table(lambda: self.routes(name), predicate, timeout,
                              f"routes from BIRD protocol {name}")

    def imported_count(self, name: str, channel: str | None = None) -> int:
        """Sum of "Routes: N imported" over the protocol's channels (or one, e.g. "ipv4")."""
        total = 0
        current = None
        for line in self.show_protocol(name).splitlines():
            stripped = line.strip()
            if stripped.startswith("Channel "):
                current = stripped.split()[1]
            match = re.match(r"Routes:\s+(\d+) imported", stripped)
            if match and (channel is None or channel == current):
                total += int(match.group(1))
        return total

    def enable(self, name: str) -> str:
        return self.birdc(f"enable {name}")

    def disable(self, name: str) -> str:
        return self.birdc(f"disable {name}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @staticmethod
    def _tail(path: Path, lines: int = 30) -> str:
        if not path.exists():
            return "(missing)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
