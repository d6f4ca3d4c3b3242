"""Run ExaBGP 5 (from PyPI) as a reference BGP peer and read what it received.

Theory of operation: an ``Exabgp`` owns one directory holding
``exabgp.conf`` and ExaBGP's output.  ``start()`` writes the config from a
list of ``ExabgpPeer`` and runs ``exabgp`` in the foreground as our own
child.  Settings go through environment variables, as ExaBGP reads them:
``exabgp.tcp.bind``/``exabgp.tcp.port`` make it listen on the test's own
address and port, ``exabgp.daemon.user=root`` keeps it from dropping to
``nobody`` before running the API process, ``exabgp.log.level`` keeps it
quiet.

What ExaBGP receives is seen through its own API: a ``Relay`` (the same
script bgpmesh's system tests drive, ``tests/system/scripts/relay.py``) is
the API process.  It appends every JSON line ExaBGP writes to a file, and
forwards lines the test sends as ExaBGP commands (``announce route ...``).
``routes()`` replays the recorded updates into prefix -> route dicts of the
shape ``tests/daemons/bird.py`` uses.  Routes ExaBGP announces are ``static``
routes of its config, or commands sent with ``command()``.

``stop()`` signals the pid we started (TERM, then KILL after a deadline) and
never anything else.

Traps (see REAL-PEERS.md): an API process must keep reading its stdin and
never exit, or ExaBGP respawns it (the relay does both); ExaBGP cannot use
``next-hop self`` for IPv6 routes on an IPv4 session, so static IPv6 routes
name their next hop.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.daemons.bgpmesh import Relay
from tests.daemons.waiting import terminate, wait_for_table, wait_until

EXABGP = "exabgp"
API_PROCESS = "recorder"

Route = dict[str, Any]


class ExabgpError(RuntimeError):
    """ExaBGP failed to start or exited."""


@dataclass
class ExabgpPeer:
    """One ``neighbor`` block: ExaBGP at ``local_address`` talking to ``address:port``.

    ``static`` lines are ExaBGP route syntax after the word ``route``:
    ``"203.0.113.0/24 next-hop 192.0.2.4 med 42 community [ 65004:7 ]"``.
    """

    address: str
    port: int
    local_address: str
    local_as: int
    peer_as: int
    router_id: str
    passive: bool = True
    static: list[str] = field(default_factory=list)
    hold_time: int = 9
    capabilities: list[str] = field(default_factory=list)
    """Lines of a ``capability`` block, e.g. "route-refresh"."""
    extra: list[str] = field(default_factory=list)
    """Raw statements or blocks for the neighbor, e.g. "incoming-ttl 255;"."""
    md5_password: str | None = None
    """TCP MD5 key (``md5-password``); ExaBGP sets it on its listening socket too."""


def render_config(peers: list[ExabgpPeer], process_block: str) -> str:
    """The whole exabgp.conf; pure, so tests can look at it."""
    text = process_block
    for peer in peers:
        text += (
            f"neighbor {peer.address} {{\n"
            f"    router-id {peer.router_id};\n"
            f"    local-address {peer.local_address};\n"
            f"    local-as {peer.local_as};\n"
            f"    peer-as {peer.peer_as};\n"
            f"    hold-time {peer.hold_time};\n"
            + (f"    md5-password {peer.md5_password};\n" if peer.md5_password else "")
            + ("    passive;\n" if peer.passive else f"    connect {peer.port};\n")
            + "    family {\n        ipv4 unicast;\n        ipv6 unicast;\n    }\n"
            f"    api {{\n        processes [ {API_PROCESS} ];\n        neighbor-changes;\n"
            "        receive {\n            parsed;\n            update;\n            open;\n"
            "            refresh;\n            operational;\n        }\n"
            "    }\n"
        )
        text += "".join(f"    {line}\n" for line in peer.extra)
        if peer.capabilities:
            text += "    capability {\n"
            text += "".join(f"        {line};\n" for line in peer.capabilities)
            text += "    }\n"
        if peer.static:
            text += "    static {\n"
            text += "".join(f"        route {line};\n" for line in peer.static)
            text += "    }\n"
        text += "}\n"
    return text


def as_path(value: Any) -> list[int]:
    """ASNs of an "as-path" in either JSON dialect.

    ExaBGP 4 writes a flat list; ExaBGP 5 writes ``{"0": {"element":
    "as-sequence", "value": [...]}, ...}``.
    """
    if isinstance(value, list):
        return [int(asn) for asn in value]
    if isinstance(value, dict):
        asns: list[int] = []
        for key in sorted(value, key=int):
            asns += [int(asn) for asn in value[key]["value"]]
        return asns
    return []


def replay_updates(messages: list[dict[str, Any]]) -> dict[str, Route]:
    """Apply ExaBGP JSON "update" messages in order; what is announced at the end.

    Works for ExaBGP's and bgpmesh's JSON alike, both being the ExaBGP
    encoder's format.
    """
    routes: dict[str, Route] = {}
    for message in messages:
        if message.get("type") != "update":
            continue
        body = message["neighbor"]["message"].get("update", {})
        attribute = body.get("attribute", {})
        for _family, prefixes in body.get("withdraw", {}).items():
            for entry in prefixes:
                routes.pop(entry["nlri"] if isinstance(entry, dict) else entry, None)
        for _family, by_hop in body.get("announce", {}).items():
            for next_hop, prefixes in by_hop.items():
                for entry in prefixes:
                    prefix = entry["nlri"] if isinstance(entry, dict) else entry
                    routes[prefix] = {
                        "next_hop": next_hop,
                        "as_path": as_path(attribute.get("as-path")),
                        "med": attribute.get("med"),
                        "local_pref": attribute.get("local-preference"),
                        "communities": [tuple(c) for c in attribute.get("community", [])],
                        "origin": {"igp": "IGP", "egp": "EGP", "incomplete": "Incomplete"}.get(
                            attribute.get("origin"), attribute.get("origin")
                        ),
                        "attributes": attribute,
                    }
    return routes


def listening(address: str, port: int) -> bool:
    """True if some socket listens on IPv4 ``address:port`` (``/proc/net/tcp``)."""
    wanted = f"{socket.htonl(int(ipaddress.IPv4Address(address))):08X}:{port:04X}"
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            if fields[1] == wanted and fields[3] == "0A":  # TCP_LISTEN
                return True
    return False


class Exabgp:
    """One ExaBGP, started and stopped by this test.

    Usage::

        exa = Exabgp(tmp_path / "exabgp", "127.0.0.3", 1790,
                     [ExabgpPeer("127.0.0.4", 1791, "127.0.0.3", 65004, 65001,
                                 "10.0.0.4")]).start()
        exa.wait_established("127.0.0.4")
        routes = exa.wait_routes(lambda r: "10.9.0.0/24" in r)
    """

    def __init__(
        self,
        directory: Path | str,
        address: str,
        port: int,
        peers: list[ExabgpPeer],
        executable: str = EXABGP,
    ) -> None:
        self.directory = Path(directory)
        self.address = address
        self.port = port
        self.peers = list(peers)
        self.executable = executable
        self.config_path = self.directory / "exabgp.conf"
        self.output_path = self.directory / "exabgp.log"
        self.relay: Relay | None = None
        self.process: subprocess.Popen[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "exabgp.tcp.bind": self.address,
            "exabgp.tcp.port": str(self.port),
            "exabgp.daemon.user": "root",
            "exabgp.daemon.daemonize": "false",
            "exabgp.log.level": "WARNING",
            "exabgp.log.destination": "stdout",
        })  # fmt: skip
        return env

    def start(self, timeout: float = 15.0) -> Exabgp:
        if self.running:
            raise ExabgpError("ExaBGP already running")
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.relay is None:
            self.relay = Relay(self.directory, API_PROCESS)
        self.config_path.write_text(render_config(self.peers, self.relay.process_block()))
        with open(self.output_path, "ab") as output:
            self.process = subprocess.Popen(
                [self.executable, str(self.config_path)],
                stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                env=self.environment(), cwd=self.directory,
            )  # fmt: skip
        try:
            wait_until(self._listening, timeout, interval=0.1, message=self._describe)
        except BaseException:
            self.stop()
            raise
        return self

    def _listening(self) -> bool:
        """True once the listening socket exists (ExaBGP has no status command).

        Read from /proc/net/tcp rather than by connecting, which ExaBGP would
        take for a peer.
        """
        assert self.process is not None
        if self.process.poll() is not None:
            raise ExabgpError(self._describe())
        return listening(self.address, self.port)

    def _describe(self) -> str:
        code = self.process.poll() if self.process else None
        state = f"exited with {code}" if code is not None else "not listening"
        return f"ExaBGP {state}; output:\n{self.log_text()[-3000:]}\nconfig {self.config_path}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """TERM the pid we started, KILL after ``timeout``."""
        process, self.process = self.process, None
        terminate(process, timeout)

    def __enter__(self) -> Exabgp:
        return self.start() if not self.running else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_text(self) -> str:
        return self.output_path.read_text(errors="replace") if self.output_path.exists() else ""

    # -- control -----------------------------------------------------------

    def messages(self) -> list[dict[str, Any]]:
        """Every JSON message ExaBGP gave its API process, in order."""
        assert self.relay is not None
        messages = []
        for line in self.relay.lines():
            if line.startswith("{"):
                messages.append(json.loads(line))
        return messages

    def command(self, *lines: str) -> None:
        """Send API commands (``announce route ...``); ExaBGP acks each one."""
        assert self.relay is not None
        self.relay.send(*lines)

    def session_state(self, address: str) -> str:
        """"up", "down", "connected", ... from the last neighbor-changes message."""
        state = "unknown"
        for message in self.messages():
            if message.get("type") == "state" and (
                message["neighbor"]["address"]["peer"] == address
            ):
                state = message["neighbor"]["state"]
        return state

    def session_facts(self, address: str) -> dict[str, Any]:
        """The last OPEN ExaBGP received from ``address``; keys as ``Gobgp.session_facts``.

        hold_time is the peer's offer (ExaBGP does not report the negotiated one).
        """
        opens = [m for m in self.messages() if m.get("type") == "open"
                 and m["neighbor"].get("direction") == "receive"
                 and m["neighbor"]["address"]["peer"] == address]
        if not opens:
            return {}
        message = opens[-1]["neighbor"]["open"]
        capabilities = message.get("capabilities", {})
        families = capabilities.get("1", {}).get("families", [])
        return {
            "router_id": message.get("router_id"),
            "peer_as": capabilities.get("65", {}).get("asn4", message.get("asn")),
            "hold_time": message.get("hold_time"),
            "families": sorted(f.split("/")[0] for f in families if f.endswith("/unicast")),
            "asn4": "65" in capabilities,
        }

    def wait_established(self, address: str, timeout: float = 30.0) -> None:
        wait_until(
            lambda: self.session_state(address) == "up",
            timeout,
            interval=0.1,
            message=lambda: f"ExaBGP neighbor {address} not up "
            f"(last {self.session_state(address)}); output:\n{self.log_text()[-2000:]}",
        )

    def routes(self) -> dict[str, Route]:
        """Routes ExaBGP holds from its peers (IPv4 and IPv6), replayed from its API."""
        return replay_updates(self.messages())

    def wait_routes(
        self, predicate: Callable[[dict[str, Route]], object], timeout: float = 15.0
    ) -> dict[str, Route]:
        return wait_for_table(self.routes, predicate, timeout, "ExaBGP routes")
