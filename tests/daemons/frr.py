"""Run FRR's bgpd alone (no zebra) as a BGP peer on loopback, query it with vtysh.

Theory of operation: an ``Frr`` owns one directory holding ``bgpd.conf``,
the pid file, the vty socket and bgpd's output.  ``start()`` writes the
config from a list of ``FrrPeer``, runs ``/usr/lib/frr/bgpd`` in the
foreground as our own child, listening on the test's own address and port,
and polls ``vtysh -c 'show bgp summary json'`` until it answers.  Routes are
read from ``show bgp ipv4|ipv6 unicast [PREFIX] json`` and normalised to the
route dicts of ``tests/daemons/bird.py`` (next_hop, as_path, med, local_pref,
communities, origin).  ``stop()`` signals the pid we started (TERM, then KILL
after a deadline) and never anything else.

Config rules, each one a trap on loopback (see REAL-PEERS.md):

- ``-Z`` runs without zebra, so no route is ever "connected" or resolvable:
  ``no bgp network import-check`` lets ``network`` statements originate
  anyway, and ``disable-connected-check`` lets eBGP peer on 127.x.
- ``no bgp ebgp-requires-policy``: FRR 8 otherwise neither accepts nor sends
  eBGP routes without a route-map.
- ``bgp allow-martian-nexthop``: otherwise 127/8 next hops are dropped.
- Route-maps are written before ``router bgp``: a ``network ... route-map X``
  whose route-map is defined later waits for ``bgp route-map delay-timer``
  (5 s) before it is announced.  ``advertisement-interval 0`` lifts eBGP's
  MRAI so withdrawals leave at once.
- Communities appear only in the per-prefix JSON, so ``routes()`` reads each
  prefix once more.
- The vty socket lives in a directory of its own, short enough for
  ``sockaddr_un`` even when pytest's tmp_path is long.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.daemons.waiting import terminate, wait_for_table, wait_until

BGPD = "/usr/lib/frr/bgpd"
VTYSH = "vtysh"
MAX_SOCKET_PATH = 100

Route = dict[str, Any]


class FrrError(RuntimeError):
    """bgpd failed to start, or vtysh reported an error."""


@dataclass
class FrrPeer:
    """One ``neighbor`` of ``router bgp``: FRR talking to ``address:port``.

    ``networks`` are originated to every peer with ``network PREFIX``; each
    has attributes ``{"med": 42, "communities": ["65003:7"]}`` set by a
    route-map of its own.  ``ipv6_next_hop`` is the global next hop FRR puts
    on IPv6 routes to this peer (without zebra it knows no address of its own).
    """

    address: str
    port: int
    peer_as: int
    passive: bool = True
    networks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    ipv6_next_hop: str = "2001:db8::3"
    hold_time: int = 9
    keepalive_time: int = 3
    password: str | None = None
    """TCP MD5 key (``neighbor X password``)."""
    families: list[str] = field(default_factory=list)
    """More address families activated for this peer: "ipv4 vpn",
    "ipv4 labeled-unicast", "l2vpn evpn"."""
    unicast: bool = True
    """Activate IPv4 and IPv6 unicast (FRR refuses unicast beside labeled unicast)."""
    router: list[str] = field(default_factory=list)
    """Raw lines for ``router bgp`` (one leading space), e.g. " bgp graceful-restart"."""


def render_config(router_id: str, asn: int, address: str, peers: list[FrrPeer]) -> str:
    """The whole bgpd.conf; pure, so tests can look at it."""
    lines = ["frr defaults traditional", "hostname bgpd-test", "log stdout informational"]
    route_maps: list[str] = []
    body = [
        f"router bgp {asn}",
        f" bgp router-id {router_id}",
        " no bgp ebgp-requires-policy",
        " no bgp network import-check",
        " bgp allow-martian-nexthop",
    ]
    for peer in peers:
        body += [
            f" neighbor {peer.address} remote-as {peer.peer_as}",
            f" neighbor {peer.address} port {peer.port}",
            f" neighbor {peer.address} update-source {address}",
            f" neighbor {peer.address} timers {peer.keepalive_time} {peer.hold_time}",
            f" neighbor {peer.address} timers connect 1",
            f" neighbor {peer.address} disable-connected-check",
            f" neighbor {peer.address} advertisement-interval 0",
        ]
        if peer.passive:
            body.append(f" neighbor {peer.address} passive")
        if peer.password is not None:
            body.append(f" neighbor {peer.address} password {peer.password}")
        body += peer.router
    for version, family in ((4, "ipv4"), (6, "ipv6")):
        body.append(f" address-family {family} unicast")
        for peer in peers:
            for index, (prefix, attributes) in enumerate(peer.networks):
                if ipaddress.ip_network(prefix).version != version:
                    continue
                name = f"ORIGINATE_{version}_{index}"
                route_maps += [f"route-map {name} permit 10"]
                if "med" in attributes:
                    route_maps.append(f" set metric {attributes['med']}")
                if attributes.get("communities"):
                    route_maps.append(f" set community {' '.join(attributes['communities'])}")
                body.append(f"  network {prefix} route-map {name}")
        for peer in peers:
            if not peer.unicast:
                body.append(f"  no neighbor {peer.address} activate")
                continue
            body.append(f"  neighbor {peer.address} activate")
            if version == 6:
                name = f"NEXT_HOP6_{peer.address.replace('.', '_')}"
                route_maps += [f"route-map {name} permit 10",
                               f" set ipv6 next-hop global {peer.ipv6_next_hop}"]
                body.append(f"  neighbor {peer.address} route-map {name} out")
        body.append(" exit-address-family")
    for peer in peers:
        for family in peer.families:
            body += [f" address-family {family}", f"  neighbor {peer.address} activate",
                     " exit-address-family"]
    # route-maps first: one defined after the ``network`` naming it applies only
    # when ``bgp route-map delay-timer`` (5 s) fires
    return "\n".join(lines + route_maps + body) + "\n"


def normalise_path(path: dict[str, Any]) -> Route:
    """One path of ``show bgp ... json`` (summary or per-prefix) as a route dict."""
    hops = path.get("nexthops") or [{}]
    as_path = path.get("path")
    if as_path is None:
        as_path = path.get("aspath", {}).get("string", "")
    community = path.get("community", {}).get("string", "")
    origin = path.get("origin")
    return {
        "next_hop": hops[0].get("ip"),
        "as_path": [int(asn) for asn in str(as_path).split() if asn.isdigit()],
        "med": path.get("metric", path.get("med")),
        "local_pref": path.get("locPrf", path.get("localpref")),
        "communities": [tuple(int(p) for p in c.split(":")) for c in community.split()],
        "origin": {"incomplete": "Incomplete"}.get(str(origin).lower(), origin),
        "attributes": path,
    }


class Frr:
    """One bgpd, started and stopped by this test.

    Usage::

        frr = Frr(tmp_path / "frr", "10.0.0.3", 65003, "127.0.0.3", 1790,
                  [FrrPeer("127.0.0.4", 1791, 65001)]).start()
        frr.wait_established("127.0.0.4")
        routes = frr.wait_routes("ipv4", lambda r: "10.9.0.0/24" in r)
    """

    def __init__(
        self,
        directory: Path | str,
        router_id: str,
        asn: int,
        address: str,
        port: int,
        peers: list[FrrPeer],
    ) -> None:
        self.directory = Path(directory)
        self.router_id = router_id
        self.asn = asn
        self.address = address
        self.port = port
        self.peers = list(peers)
        self.config_path = self.directory / "bgpd.conf"
        self.pid_path = self.directory / "bgpd.pid"
        self.output_path = self.directory / "bgpd.log"
        self.vty_dir = self.directory
        self._vty_tmp: str | None = None
        self.process: subprocess.Popen[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Frr:
        if self.running:
            raise FrrError("bgpd already running")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            render_config(self.router_id, self.asn, self.address, self.peers)
        )
        if len(os.fsencode(self.directory / "bgpd.vty")) > MAX_SOCKET_PATH:
            self._vty_tmp = tempfile.mkdtemp(prefix="frr-")
            self.vty_dir = Path(self._vty_tmp)
        command = [
            BGPD, "-Z", "-S", "-n",
            "-f", str(self.config_path),
            "-i", str(self.pid_path),
            "--vty_socket", str(self.vty_dir),
            "-P", "0",
            "-l", self.address,
            "-p", str(self.port),
            "--limit-fds", "1024",
            "--log", "stdout",
        ]  # fmt: skip
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
            raise FrrError(self._describe())
        if not (self.vty_dir / "bgpd.vty").exists():
            return False
        result = self._run("show bgp summary json", timeout=3)
        return result.returncode == 0 and result.stdout.strip().startswith("{")

    def _describe(self) -> str:
        code = self.process.poll() if self.process else None
        state = f"exited with {code}" if code is not None else "not answering"
        return f"bgpd {state}; output:\n{self.log_text()[-3000:]}\nconfig {self.config_path}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """TERM the pid we started, KILL after ``timeout``."""
        process, self.process = self.process, None
        try:
            terminate(process, timeout)
        finally:
            if self._vty_tmp is not None:
                shutil.rmtree(self._vty_tmp, ignore_errors=True)
                self._vty_tmp = None
                self.vty_dir = self.directory

    def crash(self, timeout: float = 5.0) -> None:
        """SIGKILL the pid we started: its sessions close without a
        NOTIFICATION, as in a crash, which a graceful restart helper rides
        through.  ``start()`` brings it back with the same vty folder."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout)

    def __enter__(self) -> Frr:
        return self.start() if not self.running else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_text(self) -> str:
        return self.output_path.read_text(errors="replace") if self.output_path.exists() else ""

    # -- control -----------------------------------------------------------

    def _run(self, command: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [VTYSH, "--vty_socket", str(self.vty_dir), "-d", "bgpd", "-c", command],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def vtysh(self, *commands: str, timeout: float = 10.0) -> str:
        """Run vtysh commands in order (``"configure terminal"``, ...); their output."""
        args = [VTYSH, "--vty_socket", str(self.vty_dir), "-d", "bgpd"]
        for command in commands:
            args += ["-c", command]
        result = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        if result.returncode != 0:
            raise FrrError(f"vtysh {commands} failed: {result.stdout}{result.stderr}")
        return result.stdout

    def vtysh_json(self, command: str) -> Any:
        output = self.vtysh(command)
        return json.loads(output) if output.strip() else {}

    def neighbor(self, address: str) -> dict[str, Any]:
        return self.vtysh_json(f"show bgp neighbors {address} json").get(address, {})

    def session_state(self, address: str) -> str:
        return self.neighbor(address).get("bgpState", "unknown")

    def session_facts(self, address: str) -> dict[str, Any]:
        """What bgpd learned of the peer at ``address``; keys as ``Gobgp.session_facts``."""
        state = self.neighbor(address)
        capabilities = state.get("neighborCapabilities", {})
        multiprotocol = capabilities.get("multiprotocolExtensions", {})
        families = [name[: -len("Unicast")] for name, how in multiprotocol.items()
                    if name.endswith("Unicast") and (how.get("received")
                                                     or how.get("advertisedAndReceived"))]
        return {
            "router_id": state.get("remoteRouterId"),
            "peer_as": state.get("remoteAs"),
            "hold_time": state.get("bgpTimerHoldTimeMsecs", 0) // 1000,
            "families": sorted(families),
            "asn4": capabilities.get("4byteAs") in ("received", "advertisedAndReceived"),
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
            message=lambda: f"FRR neighbor {address} not Established (last {states[-1:]}); "
            f"output:\n{self.log_text()[-2000:]}",
        )

    def route(self, prefix: str) -> Route | None:
        """The best path of ``prefix`` from the per-prefix JSON, with communities."""
        family = "ipv6" if ":" in prefix else "ipv4"
        detail = self.vtysh_json(f"show bgp {family} unicast {prefix} json")
        paths = detail.get("paths") or []
        if not paths:
            return None
        best = next((p for p in paths if p.get("bestpath", {}).get("overall")), paths[0])
        return normalise_path(best)

    def routes(self, family: str = "ipv4") -> dict[str, Route]:
        """The BGP table of ``family`` ("ipv4", "ipv6"), best path per prefix."""
        table = self.vtysh_json(f"show bgp {family} unicast json").get("routes", {})
        routes = {}
        for prefix in table:
            route = self.route(prefix)
            if route is not None:
                routes[prefix] = route
        return routes

    def wait_routes(
        self,
        family: str,
        predicate: Callable[[dict[str, Route]], object],
        timeout: float = 15.0,
    ) -> dict[str, Route]:
        return wait_for_table(lambda: self.routes(family), predicate, timeout,
                              f"FRR {family} table")
