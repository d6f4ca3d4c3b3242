"""Run GoBGP 3 as a BGP peer on loopback and read its RIB through its CLI.

Theory of operation: a ``Gobgp`` owns one directory holding ``gobgpd.toml``
and gobgpd's output.  ``start()`` writes the TOML from a list of
``GobgpPeer``, runs ``gobgpd`` in the foreground as our own child with its
gRPC API on a loopback address and port of the test's own, and polls
``gobgp global`` until the API answers.  Sessions and routes are read with
``gobgp ... -j`` and normalised to the route dicts of ``tests/daemons/bird.py``
(next_hop, as_path, med, local_pref, communities, origin), so one test body
can check any daemon.  ``stop()`` signals the pid we started (TERM, then KILL
after a deadline) and never anything else.

Traps on loopback (see REAL-PEERS.md):

- Without ``--pprof-disable`` every instance opens localhost:6060 and the
  second one fails.
- GoBGP treats a 127/8 IPv4 NEXT_HOP as withdrawn: tests send it routes with
  documentation next hops (192.0.2.1, 2001:db8::1).
- When GoBGP is the active side its first connection attempt comes 5-9 s
  after start; tests make it passive (``passive-mode``) and let the speaker
  under test connect.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.daemons.waiting import terminate, wait_for_table, wait_until

GOBGPD = "gobgpd"
GOBGP = "gobgp"

ESTABLISHED = 6  # bgp.PeerState.SessionState in the API
SESSION_STATES = {
    0: "Unknown", 1: "Idle", 2: "Connect", 3: "Active",
    4: "OpenSent", 5: "OpenConfirm", 6: "Established",
}  # fmt: skip
_ORIGINS = {0: "IGP", 1: "EGP", 2: "Incomplete"}

Route = dict[str, Any]


class GobgpError(RuntimeError):
    """gobgpd failed to start, or the gobgp CLI reported an error."""


@dataclass
class GobgpPeer:
    """One ``[[neighbors]]`` entry: GoBGP talking to ``address:port`` as ``peer_as``."""

    address: str
    port: int
    peer_as: int
    passive: bool = True
    ipv4: bool = True
    ipv6: bool = True
    hold_time: int = 9
    keepalive_time: int = 3
    families: list[str] = field(default_factory=list)
    """More afi-safi names: "l2vpn-evpn", "l2vpn-vpls", "rtc", "ipv4-flowspec", ..."""
    add_paths_receive: bool = False
    """ADD-PATH receive on every family of this peer."""
    graceful_restart: bool = False
    """Graceful restart (helper), with MP graceful restart on every family."""
    password: str | None = None
    """TCP MD5 key (``auth-password``)."""
    admin_down: bool = False
    """Start with the peer shut down (``admin-down``); ``gobgp neighbor X enable``
    lets the session come up, e.g. once routes are added."""
    ttl_min: int | None = None
    """GTSM (RFC 5082, ``ttl-security``): the lowest TTL accepted; GoBGP sends with 255."""


def render_config(
    router_id: str, asn: int, address: str, port: int, peers: list[GobgpPeer]
) -> str:
    """The whole gobgpd.toml; pure, so tests can look at it."""
    lines = [
        "[global.config]",
        f"  as = {asn}",
        f'  router-id = "{router_id}"',
        f"  port = {port}",
        f'  local-address-list = ["{address}"]',
    ]
    for peer in peers:
        families = [name for name, on in (("ipv4-unicast", peer.ipv4),
                                          ("ipv6-unicast", peer.ipv6)) if on]
        families += peer.families
        lines += [
            "",
            "[[neighbors]]",
            "  [neighbors.config]",
            f'    neighbor-address = "{peer.address}"',
            f"    peer-as = {peer.peer_as}",
            *([f'    auth-password = "{peer.password}"'] if peer.password else []),
            *(["    admin-down = true"] if peer.admin_down else []),
            "  [neighbors.timers.config]",
            f"    hold-time = {peer.hold_time}",
            f"    keepalive-interval = {peer.keepalive_time}",
            "    connect-retry = 1",
            "  [neighbors.transport.config]",
            f'    local-address = "{address}"',
            f"    remote-port = {peer.port}",
            f"    passive-mode = {'true' if peer.passive else 'false'}",
        ]
        if peer.ttl_min is not None:
            lines += ["  [neighbors.ttl-security.config]", "    enabled = true",
                      f"    ttl-min = {peer.ttl_min}"]
        if peer.graceful_restart:
            lines += ["  [neighbors.graceful-restart.config]", "    enabled = true",
                      "    restart-time = 60"]
        for family in families:
            lines += [
                "  [[neighbors.afi-safis]]",
                "    [neighbors.afi-safis.config]",
                f'      afi-safi-name = "{family}"',
            ]
            if peer.add_paths_receive:
                lines += ["    [neighbors.afi-safis.add-paths.config]", "      receive = true"]
            if peer.graceful_restart:
                lines += ["    [neighbors.afi-safis.mp-graceful-restart.config]",
                          "      enabled = true"]
    return "\n".join(lines) + "\n"


def normalise_path(path: dict[str, Any]) -> Route:
    """One path of ``gobgp global rib -j`` as a bird.py-style route dict."""
    route: Route = {
        "next_hop": None,
        "as_path": [],
        "med": None,
        "local_pref": None,
        "communities": [],
        "origin": None,
        "attributes": path.get("attrs", []),
    }
    for attribute in path.get("attrs", []):
        kind = attribute.get("type")
        if kind == 1:
            route["origin"] = _ORIGINS.get(attribute["value"], attribute["value"])
        elif kind == 2:
            for segment in attribute.get("as_paths", []):
                route["as_path"] += segment.get("asns", [])
        elif kind == 3:
            route["next_hop"] = attribute["nexthop"]
        elif kind == 4:
            route["med"] = attribute["metric"]
        elif kind == 5:
            route["local_pref"] = attribute["value"]
        elif kind == 8:
            route["communities"] = [(c >> 16, c & 0xFFFF) for c in attribute["communities"]]
        elif kind == 14:
            route["next_hop"] = attribute["nexthop"]
    return route


class Gobgp:
    """One gobgpd, started and stopped by this test.

    Usage::

        gobgp = Gobgp(tmp_path / "gobgp", "10.0.0.3", 65003, "127.0.0.3", 1790, 50051,
                      [GobgpPeer("127.0.0.4", 1791, 65001)]).start()
        gobgp.wait_established("127.0.0.4")
        gobgp.add_route("10.0.0.0/24", "192.0.2.1", med=5, communities=["65003:1"])
        routes = gobgp.wait_routes("ipv4", lambda r: "10.9.0.0/24" in r)
    """

    def __init__(
        self,
        directory: Path | str,
        router_id: str,
        asn: int,
        address: str,
        port: int,
        api_port: int,
        peers: list[GobgpPeer],
    ) -> None:
        self.directory = Path(directory)
        self.router_id = router_id
        self.asn = asn
        self.address = address
        self.port = port
        self.api_port = api_port
        self.peers = list(peers)
        self.config_path = self.directory / "gobgpd.toml"
        self.output_path = self.directory / "gobgpd.log"
        self.process: subprocess.Popen[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self, timeout: float = 10.0, *, restarting: bool = False) -> Gobgp:
        """``restarting``: ``gobgpd -r``, the Restart State bit in its graceful
        restart capability (after ``crash``)."""
        if self.running:
            raise GobgpError("gobgpd already running")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            render_config(self.router_id, self.asn, self.address, self.port, self.peers)
        )
        host = f"[{self.address}]" if ":" in self.address else self.address
        command = [
            GOBGPD, "-f", str(self.config_path), "-t", "toml",
            "--api-hosts", f"{host}:{self.api_port}", "--pprof-disable",
        ]  # fmt: skip
        if restarting:
            command.append("-r")
        with open(self.output_path, "ab") as output:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output, stderr=output
            )
        try:
            wait_until(self._answers, timeout, interval=0.1, message=self._describe)
        except BaseException:
            self.stop()
            raise
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise GobgpError(self._describe())
        result = self._run(["global"], timeout=3)
        return result.returncode == 0 and self.router_id in result.stdout

    def _describe(self) -> str:
        code = self.process.poll() if self.process else None
        state = f"exited with {code}" if code is not None else "not answering"
        return f"gobgpd {state}; output:\n{self.log_text()[-3000:]}\nconfig {self.config_path}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """TERM the pid we started, KILL after ``timeout``."""
        process, self.process = self.process, None
        terminate(process, timeout)

    def crash(self, timeout: float = 5.0) -> None:
        """SIGKILL the pid we started: its sessions close without a
        NOTIFICATION, as in a crash, which a graceful restart helper rides
        through.  Start it again with ``start(restarting=True)``."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout)

    def __enter__(self) -> Gobgp:
        return self.start() if not self.running else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_text(self) -> str:
        return self.output_path.read_text(errors="replace") if self.output_path.exists() else ""

    # -- control -----------------------------------------------------------

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [GOBGP, "-u", self.address, "-p", str(self.api_port), *args],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def cli(self, *args: str, timeout: float = 10.0) -> str:
        """Run one ``gobgp`` command against this daemon; its stdout."""
        result = self._run(list(args), timeout)
        if result.returncode != 0:
            raise GobgpError(f"gobgp {' '.join(args)} failed: {result.stdout}{result.stderr}")
        return result.stdout

    def cli_json(self, *args: str) -> Any:
        output = self.cli(*args, "-j")
        return json.loads(output) if output.strip() else None

    def neighbor(self, address: str) -> dict[str, Any]:
        return self.cli_json("neighbor", address)

    def session_state(self, address: str) -> str:
        state = self.neighbor(address).get("state", {}).get("session_state", 0)
        return SESSION_STATES.get(state, str(state))

    def session_facts(self, address: str) -> dict[str, Any]:
        """What GoBGP learned of the peer at ``address`` from its OPEN.

        Keys: router_id, peer_as, hold_time (negotiated), families (sorted
        "ipv4"/"ipv6" unicast the peer announced), asn4 (capability present).
        """
        state = self.neighbor(address)
        families = []
        asn4 = False
        for capability in state["state"].get("remote_cap", []):
            kind = capability["type_url"].rsplit(".", 1)[-1]
            if kind == "MultiProtocolCapability":
                # apipb.Family as protobuf: 0a 04 08 <afi> 10 <safi>
                raw = base64.b64decode(capability["value"])
                families.append({(1, 1): "ipv4", (2, 1): "ipv6"}.get((raw[3], raw[5]),
                                                                     raw.hex()))
            elif kind == "FourOctetASNCapability":
                asn4 = True
        return {
            "router_id": state["state"].get("router_id"),
            "peer_as": state["state"].get("peer_asn"),
            "hold_time": state["timers"]["state"].get("negotiated_hold_time"),
            "families": sorted(families),
            "asn4": asn4,
        }

    def wait_established(self, address: str, timeout: float = 30.0) -> None:
        states: list[str] = []

        def established() -> bool:
            states.append(self.session_state(address))
            return states[-1] == "Established"

        wait_until(
            established,
            timeout,
            interval=0.1,
            message=lambda: f"GoBGP neighbor {address} not Established (last {states[-1:]}); "
            f"output:\n{self.log_text()[-2000:]}",
        )

    def routes(self, family: str = "ipv4") -> dict[str, Route]:
        """The global RIB of ``family`` ("ipv4", "ipv6"), best path per prefix.

        Routes from peers and routes added locally alike; a local route has an
        empty AS path.
        """
        table = self.cli_json("global", "rib", "-a", family) or {}
        routes = {}
        for prefix, paths in table.items():
            best = next((p for p in paths if p.get("best")), paths[0])
            routes[prefix] = normalise_path(best)
        return routes

    def wait_routes(
        self,
        family: str,
        predicate: Callable[[dict[str, Route]], object],
        timeout: float = 15.0,
    ) -> dict[str, Route]:
        return wait_for_table(lambda: self.routes(family), predicate, timeout,
                              f"GoBGP {family} RIB")

    def add_route(
        self,
        prefix: str,
        next_hop: str,
        *,
        med: int | None = None,
        communities: Sequence[str] = (),
        origin: str | None = None,
    ) -> None:
        """Originate ``prefix`` (``gobgp global rib add``) to every peer of its family."""
        family = "ipv6" if ":" in prefix else "ipv4"
        args = ["global", "rib", "add", "-a", family, prefix, "nexthop", next_hop]
        if origin is not None:
            args += ["origin", origin]
        if med is not None:
            args += ["med", str(med)]
        if communities:
            args += ["community", ",".join(communities)]
        self.cli(*args)

    def delete_route(self, prefix: str) -> None:
        family = "ipv6" if ":" in prefix else "ipv4"
        self.cli("global", "rib", "del", "-a", family, prefix)
