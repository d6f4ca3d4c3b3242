"""The supervisor: one process that owns the buses, the listeners and the children.

Theory of operation (gunicorn's arbiter is the model):

* Start: the configuration is already loaded and valid.  Make the run folder
  (mode 0700), bind the four bus endpoints, bind one listening socket per
  (address, port) that a passive neighbor needs, fork one worker per group,
  wait until each has said ``hello`` and subscribed, then fork one pipe bridge
  per ``process``.  Bridges start only once every worker listens, so no
  script's first command falls on the floor.  A worker that exits with
  ``WORKER_BOOT_ERROR`` (or does not become ready in time) stops start-up.
* Loop: one ``zmq.Poller`` over the bus sockets, the listeners, the workers'
  control sockets and a self-pipe that signal handlers write to.  Handlers
  only enqueue the signal; the loop dispatches ``handle_term``, ``handle_chld``.
* Command bus: every frame passes through here.  The supervisor records what
  was announced to which neighbor (the shadow Adj-RIB-Out) and forwards the
  frame.  When a (re)started worker subscribes, it gets that state replayed,
  then ``ready``, before any later command: no route is lost to a crash.
* Inbound TCP: an accepted connection is passed with SCM_RIGHTS to the worker
  that owns the (peer, local) pair; an unknown peer is closed and logged.
  Passive ranges run in every worker: each worker holds the range (its static
  routes, its replayed and live commands, which the supervisor copies to every
  worker) and the sessions of the peers whose address hashes (CRC-32) to it,
  so the peers of one range spread over the workers.
* Half-open connections (accepted, no OPEN from the peer yet) are capped per
  worker and overall (``HALF_OPEN_LIMIT``); past the cap a connection is closed
  at once and counted in a rate-limited log line.  Each worker reports, after
  every hand-over and with every heartbeat, how many it holds and how many it
  has received; what is still in flight counts too.  At most
  ``ACCEPTS_PER_TURN`` connections are accepted per listener per loop turn, so
  a flood of connects cannot keep the buses from moving.
* Event bus back-pressure: the XPUB towards subscribers queues at most
  ``EVENT_HWM`` frames per subscriber; a subscriber that stops reading loses
  frames past that (the others do not), and sees the loss as a gap in the
  per-(publisher, topic) ``seq`` of events.  The command bus never drops.
* Runtime neighbors (``bgpmesh neighbor create|delete|disable|enable``) change
  the running configuration only; the next reload compares the file with it.
* A dead worker is reaped and restarted after a back-off that doubles while it
  keeps dying young.  SIGTERM/SIGINT: children get SIGTERM (workers close every
  session with a Cease), are reaped, and the supervisor exits 0.
"""

from __future__ import annotations

import dataclasses
import errno
import ipaddress
import json
import logging
import os
import pickle
import signal
import socket
import sys
import time
import traceback
import zlib

import psutil
import zmq

from bgpmesh import bus, topology
from bgpmesh.log import set_role
from bgpmesh.workers import tcp

log = logging.getLogger("bgpmesh.supervisor")

WORKER_BOOT_ERROR = 3
READY_DEADLINE = 15.0
TERM_DEADLINE = 5.0
HEARTBEAT_DEADLINE = 15.0
BACKOFF_MIN = 0.5
BACKOFF_MAX = 30.0
STABLE_AFTER = 30.0
CONNECTION_WAIT = 10.0  # how long an accepted connection waits for its booting worker
WAITING_LIMIT = 64
HALF_OPEN_LIMIT = 256  # per worker, and for all workers together
ACCEPTS_PER_TURN = 32  # per listener and loop turn
REFUSED_LOG_EVERY = 5.0  # seconds between "closed over the cap" log lines
FANOUT_PUBLISHER = "~range-fanout"  # copies of range commands: nobody waits on their acks
# Frames the event bus queues per subscriber.  Past it XPUB drops, for that
# subscriber only, rather than grow without bound or stall the workers; every
# event carries (publisher, seq), so a subscriber sees the gap and counts it
# (``bgpmesh watch`` reports it on stderr).
EVENT_HWM = 100_000
INTERN_LIMIT = 1 << 16  # distinct attribute sets shared in the shadow Adj-RIB-Out


class ListenError(OSError):
    pass


class Child:
    __slots__ = ("name", "kind", "pid", "control", "started", "last_seen", "subscribed",
                 "hello", "ready", "backoff", "restart_at", "exit_code", "restarts", "ps",
                 "handed", "received", "half_open")

    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.kind = kind  # "worker" | "bridge"
        self.pid = 0
        self.control: socket.socket | None = None
        self.started = 0.0
        self.last_seen = 0.0
        self.subscribed = False
        self.hello = False
        self.ready = False
        self.backoff = BACKOFF_MIN
        self.restart_at: float | None = None
        self.exit_code: int | None = None
        self.restarts = 0
        self.ps = None  # psutil.Process, kept so cpu_percent measures since last look
        self.reset_half_open()

    def reset_half_open(self) -> None:
        self.handed = 0  # connections passed to this worker process
        self.received = 0  # of those, how many it said it took (its last report)
        self.half_open = 0  # how many of those still wait for the peer's OPEN

    @property
    def pending_open(self) -> int:
        """Half-open connections it holds, counting those still in flight."""
        return self.half_open + max(0, self.handed - self.received)


class Supervisor:
    def __init__(self, config, *, workers: int, run_dir: str, banner=print,
                 config_path: str | None = None, remote: dict | None = None,
                 environment=None) -> None:
        self.remote_options = remote  # {"endpoint", "secret_key", "client_keys"}
        self.environment = environment  # bgpmesh.environment.Environment, or defaults
        self.remote = None
        self.worker_count = workers
        self.config_path = config_path
        self.run_dir = run_dir
        self.banner = banner
        self.adopt(config, topology.build(config, workers))
        self.workers: dict[str, Child] = {g: Child(g, "worker") for g in self.groups}
        self.bridges: dict[str, Child] = {p.name: Child(p.name, "bridge")
                                          for p in config.processes}
        self.by_pid: dict[int, Child] = {}
        self.unacked: dict[str, dict[tuple, tuple]] = {}  # group -> frames it owes acks for
        self.retired: set[int] = set()  # pids of children a reload let go
        self.listeners: dict[int, tuple[socket.socket, tuple]] = {}
        # shadow Adj-RIB-Out: name -> {identity: wire route | (next_hop, attributes)
        # | None}, see bus.route_identity and bus.shadow_route
        self.interned: dict[tuple, list] = {}
        self.shadow: dict[str, dict] = {r.name: {} for r in self.refs}
        # connections accepted while their worker boots: group -> [(sock, peer, when)]
        self.waiting: dict[str, list[tuple[socket.socket, str, float]]] = {}
        self.signals: list[int] = []
        self.disabled: set[str] = set()  # neighbors ``bgpmesh neighbor disable`` stopped
        # sessions start once every bridge hears the event bus (or after a
        # deadline), so no script misses its neighbors' first events
        self.bridges_heard: set[str] = set()
        self.sessions_go = False
        self.stopping = False
        self.exit_code = 0
        self.refused = 0  # connections closed over the half-open cap, not yet logged
        self.refused_logged = 0.0
        self.refused_from = ""

    def adopt(self, config, refs) -> None:
        """Make config the running one (derived maps included)."""
        self.config = config
        self.refs = refs
        self.neighbors_by_name = {r.name: (r, n) for r, n in zip(refs, config.neighbors,
                                                                strict=True)}
        self.groups: dict[str, list[str]] = {}
        for ref in refs:
            self.groups.setdefault(ref.group, []).append(ref.name)
        # passive ranges run in every worker; with one, every auto group exists
        self.ranges = [r.name for r, n in zip(refs, config.neighbors, strict=True)
                       if n.peer_range is not None]
        if self.ranges:
            for slot in range(max(1, self.worker_count)):
                self.groups.setdefault(f"auto-{slot}", [])
        self.owner: dict[tuple[str, str | None], str] = {
            (r.peer_address, r.local_address): r.name for r in refs}

    # -- setup -----------------------------------------------------------

    def endpoints(self) -> dict[str, str]:
        return {
            "command_in": f"ipc://{self.run_dir}/command-in.ipc",
            "command_out": f"ipc://{self.run_dir}/command-out.ipc",
            "event_in": f"ipc://{self.run_dir}/event-in.ipc",
            "event_out": f"ipc://{self.run_dir}/event-out.ipc",
        }

    def setup(self) -> None:
        os.makedirs(self.run_dir, mode=0o700, exist_ok=True)
        os.chmod(self.run_dir, 0o700)
        ep = self.endpoints()
        self.ctx = zmq.Context()
        self.cmd_in = self.ctx.socket(zmq.XSUB)
        self.cmd_out = self.ctx.socket(zmq.XPUB)
        self.ev_in = self.ctx.socket(zmq.XSUB)
        self.ev_out = self.ctx.socket(zmq.XPUB)
        self.cmd_out.setsockopt(zmq.XPUB_VERBOSE, 1)
        for s in (self.cmd_in, self.cmd_out, self.ev_in, self.ev_out):
            s.setsockopt(zmq.SNDHWM, 0)
            s.setsockopt(zmq.RCVHWM, 0)
            s.setsockopt(zmq.LINGER, 0)
        # a stuck event subscriber costs bounded memory: see EVENT_HWM
        self.ev_out.setsockopt(zmq.SNDHWM, EVENT_HWM)
        self.cmd_in.bind(ep["command_in"])
        self.cmd_out.bind(ep["command_out"])
        self.ev_in.bind(ep["event_in"])
        self.ev_out.bind(ep["event_out"])
        # the supervisor hears everything: it keeps state from commands and
        # watches hellos; the XPUB sides filter per subscriber
        self.cmd_in.send(b"\x01")
        self.ev_in.send(b"\x01")
        if self.remote_options:
            from bgpmesh.supervisor.remote import BusSecurityError, RemoteBus

            try:
                self.remote = RemoteBus(self.ctx, local=ep, **self.remote_options)
            except (BusSecurityError, zmq.ZMQError) as exc:
                raise SystemExit(f"bgpmesh: {exc}") from None
        self.write_topology()
        try:
            self.bind_listeners()
        except ListenError as exc:
            raise SystemExit(f"bgpmesh: {exc}") from None
        self.pipe_r, self.pipe_w = os.pipe()
        os.set_blocking(self.pipe_r, False)
        os.set_blocking(self.pipe_w, False)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP,
                    signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, self.signal)

    def wanted_listeners(self) -> set[tuple[str, int]]:
        return self.passive_listeners() | self.active_listeners()

    def passive_listeners(self) -> set[tuple[str, int]]:
        wanted = set()
        for _ref, n in self.neighbors_by_name.values():
            if n.passive:
                host = n.local_address or ("::" if ":" in n.peer_address else "0.0.0.0")
                wanted.add((host, n.listen))
        return wanted

    def active_listeners(self) -> set[tuple[str, int]]:
        """An active neighbor with a local address also takes the peer's
        connections (RFC 4271 6.8 collisions, resolved by its worker); not
        being able to listen there is not fatal."""
        return {(n.local_address, n.listen) for _ref, n in self.neighbors_by_name.values()
                if not n.passive and n.local_address}

    def bind_listeners(self) -> None:
        have = {where for _, where in self.listeners.values()}
        for fd, (sock, where) in list(self.listeners.items()):
            if where not in self.wanted_listeners():
                if hasattr(self, "poller"):
                    self.poller.unregister(fd)
                sock.close()
                del self.listeners[fd]
                log.info("stopped listening on %s port %d", *where)
        for host, port in sorted(self.wanted_listeners() - have):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                sock.close()
                if (host, port) not in self.passive_listeners():
                    log.info("not listening on %s port %d for active neighbors: %s", host,
                             port, exc.strerror)
                    continue
                raise ListenError(f"cannot listen on {host} port {port}: "
                                  f"{exc.strerror}") from None
            sock.listen(128)
            sock.setblocking(False)
            self.listeners[sock.fileno()] = (sock, (host, port))
            if getattr(self, "running", False):
                self.poller.register(sock.fileno(), zmq.POLLIN)
        self.set_listener_keys()

    def set_listener_keys(self) -> None:
        """TCP MD5 keys of passive neighbors go on the listening socket: the
        kernel checks the SYN, before any worker sees the connection."""
        by_place = {where: sock for sock, where in self.listeners.values()}
        ttl: dict[tuple, int] = {}
        for _ref, n in self.neighbors_by_name.values():
            if not n.passive:
                continue
            host = n.local_address or ("::" if ":" in n.peer_address else "0.0.0.0")
            sock = by_place.get((host, n.listen))
            if sock is None:
                continue
            key = tcp.neighbor_md5_key(n)
            if key:
                tcp.set_md5(sock, tcp.md5_peer_address(n), key)
            # the SYN-ACK leaves with the listener's TTL (a GTSM peer checks it)
            outgoing = getattr(n, "outgoing_ttl", None)
            if outgoing:
                ttl[(host, n.listen)] = max(outgoing, ttl.get((host, n.listen), 0))
        for where, value in ttl.items():
            tcp.set_ttl(by_place[where], value)

    def signal(self, signum, _frame) -> None:
        # only enqueue: the loop does the work (no logging in handlers)
        self.signals.append(signum)
        try:
            os.write(self.pipe_w, b".")
        except OSError:
            pass

    # -- children --------------------------------------------------------

    def worker_names(self, group: str) -> list[str]:
        """The neighbors a worker runs: its group's, then every passive range."""
        names = list(self.groups.get(group, ()))
        return names + [n for n in self.ranges if n not in names]

    def range_groups(self) -> list[str]:
        """The groups that hold sessions of passive ranges, in a stable order."""
        return sorted(g for g in self.workers if g in self.groups)

    def spawn_worker(self, child: Child) -> None:
        names = self.worker_names(child.name)
        neighbors = [self.neighbors_by_name[n][1] for n in names]
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        child.subscribed = child.hello = child.ready = False
        child.restart_at = None
        child.reset_half_open()
        pid = self._fork()
        if pid == 0:
            parent_end.close()
            code = 1
            try:
                self._child_cleanup()
                set_role(f"worker {child.name}")
                from bgpmesh.workers.worker import Worker

                code = Worker(child.name, neighbors, names, self.endpoints(), child_end).run()
            except BaseException:
                traceback.print_exc()
                code = WORKER_BOOT_ERROR if not child.ready else 1
            finally:
                os._exit(code)
        child_end.close()
        parent_end.setblocking(False)
        child.pid = pid
        child.control = parent_end
        child.started = child.last_seen = time.monotonic()
        self.by_pid[pid] = child
        self.poller.register(parent_end.fileno(), zmq.POLLIN)
        log.info("worker %s started, pid %d, neighbors: %s", child.name, pid, " ".join(names))

    def spawn_bridge(self, child: Child) -> None:
        process = self.config.process(child.name)
        refs = self.refs
        child.restart_at = None
        pid = self._fork()
        if pid == 0:
            code = 1
            try:
                self._child_cleanup()
                set_role(f"process {child.name}")
                from bgpmesh.supervisor.bridge import Bridge

                code = Bridge(process, refs, self.config.neighbors, self.endpoints(),
                              supervisor_pid=self.pid, supervisor_ppid=os.getppid(),
                              **self.bridge_settings()).run()
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        child.pid = pid
        child.started = time.monotonic()
        self.by_pid[pid] = child
        log.info("process %s started, pid %d: %s", child.name, pid, " ".join(process.run))

    def bridge_settings(self) -> dict:
        """What a bridge reads from ExaBGP's environment (api.ack, api.respawn,
        api.compact, daemon.user)."""
        env = self.environment
        if env is None:
            return {}
        # ExaBGP drops to daemon.user ("nobody" by default) when run as root;
        # bgpmesh does it for the scripts only when the setting is given, so
        # an existing root setup does not lose access to its own files
        given = env.origin.get(("exabgp", "daemon", "user"), "default") != "default"
        return {"ack": env.get("api", "ack"), "respawn": env.get("api", "respawn"),
                "compact": env.get("api", "compact"),
                "dialect": env.get("api", "dialect", "bgpmesh"),
                "ack_format": env.get("api", "ack-format", "bgpmesh"),
                "user": env.get("daemon", "user") if given and env.get("daemon", "drop")
                else None}

    def _fork(self) -> int:
        sys.stdout.flush()
        sys.stderr.flush()
        return os.fork()

    def _child_cleanup(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP,
                    signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        for sock, _ in self.listeners.values():
            sock.close()
        for other in self.workers.values():
            if other.control is not None:
                other.control.close()
        os.close(self.pipe_r)
        os.close(self.pipe_w)

    def reap_children(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.by_pid.pop(pid, None)
            if child is None:
                continue  # not ours (a grandchild reparented to us, say)
            if os.WIFEXITED(status):
                code = os.WEXITSTATUS(status)
                how = f"exited with code {code}"
            else:
                code = -os.WTERMSIG(status)
                how = f"killed by signal {os.WTERMSIG(status)}"
            child.exit_code = code
            if child.control is not None:
                self.poller.unregister(child.control.fileno())
                child.control.close()
                child.control = None
            child.pid = 0
            child.ready = False
            if child.kind == "worker":
                self.answer_for_dead(child.name)
            if pid in self.retired:
                self.retired.discard(pid)
                log.info("%s %s (retired by reload) %s", child.kind, child.name, how)
                continue
            if self.stopping:
                log.info("%s %s %s", child.kind, child.name, how)
                continue
            now = time.monotonic()
            if now - child.started > STABLE_AFTER:
                child.backoff = BACKOFF_MIN
            child.restart_at = now + child.backoff
            child.restarts += 1
            log.warning("%s %s %s; restarting in %.1fs", child.kind, child.name, how,
                        child.backoff)
            child.backoff = min(child.backoff * 2, BACKOFF_MAX)

    def restart_due(self, now: float) -> None:
        for child in list(self.workers.values()) + list(self.bridges.values()):
            if child.pid == 0 and child.restart_at is not None and child.restart_at <= now:
                if child.kind == "worker":
                    self.spawn_worker(child)
                else:
                    self.spawn_bridge(child)

    def check_heartbeats(self, now: float) -> None:
        for child in self.workers.values():
            if child.pid and child.ready and now - child.last_seen > HEARTBEAT_DEADLINE:
                log.error("worker %s missed its heartbeats for %.0fs; killing it", child.name,
                          now - child.last_seen)
                self._kill(child.pid, signal.SIGKILL)
                child.last_seen = now

    # -- run -------------------------------------------------------------

    def run(self) -> int:
        self.pid = os.getpid()
        self.poller = zmq.Poller()
        self.setup()
        for s in (self.cmd_in, self.cmd_out, self.ev_in):
            self.poller.register(s, zmq.POLLIN)
        self.poller.register(self.pipe_r, zmq.POLLIN)
        for fd in self.listeners:
            self.poller.register(fd, zmq.POLLIN)
        if self.remote is not None:
            for sock in self.remote.sockets():
                self.poller.register(sock, zmq.POLLIN)
            self.banner(f"bgpmesh: remote bus (CurveZMQ) commands {self.remote.endpoints[0]}, "
                        f"events {self.remote.endpoints[1]}")
        self.banner(f"bgpmesh: bus in {self.run_dir} (commands: "
                    f"{self.endpoints()['command_in']}, events: {self.endpoints()['event_out']})")
        for child in self.workers.values():
            self.spawn_worker(child)
        deadline = time.monotonic() + READY_DEADLINE
        while not all(c.ready for c in self.workers.values()):
            self.step(200)
            if self.stopping:
                return self.finish()
            failed = [c for c in self.workers.values() if c.exit_code == WORKER_BOOT_ERROR]
            if failed or time.monotonic() > deadline:
                names = ", ".join(c.name for c in failed) or ", ".join(
                    c.name for c in self.workers.values() if not c.ready)
                log.error("worker(s) %s could not boot; stopping", names)
                self.exit_code = WORKER_BOOT_ERROR
                self.stopping = True
                return self.finish()
        for child in self.bridges.values():
            self.spawn_bridge(child)
        deadline = time.monotonic() + READY_DEADLINE
        while not self.stopping and time.monotonic() < deadline and \
                not self.bridges_heard >= set(self.bridges):
            self.step(100)
        missing = set(self.bridges) - self.bridges_heard
        if missing:
            log.warning("process(es) %s not on the bus yet; starting sessions anyway",
                        ", ".join(sorted(missing)))
        self.sessions_go = True
        for child in self.workers.values():
            self.send_start(child)
        self.running = True
        self.banner(f"bgpmesh: {len(self.refs)} neighbor(s) on {len(self.workers)} worker(s), "
                    f"{len(self.bridges)} process(es); Ctrl-C stops")
        while not self.stopping:
            self.step(500)
        return self.finish()

    def step(self, timeout_ms: int) -> None:
        events = dict(self.poller.poll(timeout_ms))
        if self.pipe_r in events:
            self.handle_signals()
        if self.cmd_out in events:
            self.on_subscription()
        if self.cmd_in in events:
            self.forward_commands()
        if self.ev_in in events:
            self.forward_events()
        if self.remote is not None:
            self.remote.pump(events)
        now = time.monotonic()
        for fd in events:
            if fd in self.listeners:
                self.accept(fd)
        for child in self.workers.values():
            if child.control is not None and child.control.fileno() in events:
                self.read_control(child, now)
        self.restart_due(now)
        self.check_heartbeats(now)
        if self.waiting:
            self.expire_waiting(now)
        if self.refused and now - self.refused_logged >= REFUSED_LOG_EVERY:
            self.refuse_logged_flush(now)

    def handle_signals(self) -> None:
        try:
            while os.read(self.pipe_r, 512):
                pass
        except BlockingIOError:
            pass
        signals, self.signals = self.signals, []
        for sig in signals:
            if sig != signal.SIGCHLD:
                self.publish_signal(sig)
            if sig == signal.SIGCHLD:
                self.reap_children()
            elif sig in (signal.SIGTERM, signal.SIGINT):
                log.info("received %s: closing every session", signal.Signals(sig).name)
                self.stopping = True
            elif sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
                # SIGUSR1 and SIGUSR2 reload ExaBGP 4.2 (SIGUSR2 in full): here
                # both are a reload, as SIGHUP is
                log.info("received %s: reloading %s", signal.Signals(sig).name,
                         self.config_path)
                self.reload()

    def publish_signal(self, sig: int) -> None:
        """ExaBGP's ``signal`` event, for the neighbors whose ``api`` asks for it
        (bridges pass it on only to those): the signal's number and name."""
        body = {"code": str(int(sig)), "name": signal.Signals(sig).name}
        self.signal_seq = getattr(self, "signal_seq", 0) + 1
        for name, (_ref, n) in self.neighbors_by_name.items():
            if not any("signal" in getattr(api, "events", ()) for api in n.apis):
                continue
            ident = {"peer": n.peer_address, "local": n.local_address,
                     "local_as": n.local_as, "peer_as": n.peer_as, "router_id": n.router_id}
            self.ev_out.send_multipart(bus.pack(
                bus.event_topic("signal", name), "event", type="signal", neighbor=ident,
                name=name, body=body, publisher="supervisor", seq=self.signal_seq))

    def finish(self) -> int:
        self.stopping = True
        for child in list(self.bridges.values()) + list(self.workers.values()):
            if child.pid:
                self._kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + TERM_DEADLINE
        while self.by_pid and time.monotonic() < deadline:
            self.reap_children()
            # keep the buses moving: bridges may still report
            self.step(50)
        for pid in list(self.by_pid):
            log.warning("pid %d did not stop in %.0fs; killing it", pid, TERM_DEADLINE)
            self._kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 2
        while self.by_pid and time.monotonic() < deadline:
            self.reap_children()
            time.sleep(0.02)
        for sock, _ in self.listeners.values():
            sock.close()
        for s in (self.cmd_in, self.cmd_out, self.ev_in, self.ev_out):
            s.close(0)
        if self.remote is not None:
            self.remote.close()
        self.ctx.term()
        for name in ("command-in.ipc", "command-out.ipc", "event-in.ipc", "event-out.ipc",
                     "topology.json"):
            try:
                os.unlink(os.path.join(self.run_dir, name))
            except OSError:
                pass
        log.info("stopped")
        return self.exit_code

    @staticmethod
    def _kill(pid: int, sig: int) -> None:
        try:
            os.kill(pid, sig)
        except OSError as exc:
            if exc.errno != errno.ESRCH:
                raise

    # -- reload ----------------------------------------------------------

    def reload(self, check: bool = False):
        """Apply the configuration on disk if it is valid: (ok, error, plan)."""
        from bgpmesh.config import load_config
        from bgpmesh.errors import ConfigError
        from bgpmesh.reload import plan as reload_plan

        if self.config_path is None:
            return False, "this supervisor was not started from a configuration path", None
        try:
            config = load_config(self.config_path)
        except (ConfigError, OSError) as exc:
            log.error("reload refused, nothing changed: %s", exc)
            return False, str(exc), None
        refs = topology.build(config, self.worker_count)
        plan = reload_plan(self.config, self.refs, config, refs)
        for line in plan.describe():
            log.info("reload%s: %s", " check" if check else "", line)
        if check or plan.empty:
            return True, "", plan
        old_config, old_refs = self.config, self.refs
        self.adopt(config, refs)
        try:
            self.bind_listeners()
        except ListenError as exc:
            self.adopt(old_config, old_refs)
            self.bind_listeners()
            log.error("reload refused, nothing changed: %s", exc)
            return False, str(exc), None

        for name in plan.removed:
            self.shadow.pop(name, None)
        for name in plan.added:
            self.shadow[name] = {}
        moved = set(plan.changed) | set(plan.added)
        # bridges first: they subscribe to the new neighbors' events while
        # the workers are still opening those sessions
        self.ev_out.send_multipart(bus.pack(
            bus.system_topic("topology"), "topology",
            neighbors=[dataclasses.asdict(r) for r in self.refs],
            wants=topology.process_wants(self.config, self.refs)))
        for group in plan.groups_removed:
            child = self.workers.pop(group)
            if child.pid:
                self.send_reconfigure(child, {})
                self.retired.add(child.pid)
                self._kill(child.pid, signal.SIGTERM)
        touched = set(plan.groups_touched)
        ranges = set(self.ranges) | {r.name for r, n in zip(old_refs, old_config.neighbors,
                                                             strict=True) if n.peer_range}
        if ranges & (set(plan.changed) | set(plan.added) | set(plan.removed)):
            # every worker runs the passive ranges
            touched |= set(self.workers) - set(plan.groups_added) - set(plan.groups_removed)
        for group in sorted(touched):
            child = self.workers[group]
            if child.pid:
                self.send_reconfigure(child, {n: self.shadow[n]
                                              for n in self.worker_names(group)
                                              if n in moved})
        for group in plan.groups_added:
            child = self.workers[group] = Child(group, "worker")
            self.spawn_worker(child)  # its neighbors' routes come by replay

        for name in plan.processes_removed + plan.processes_changed:
            child = self.bridges.pop(name)
            if child.pid:
                self.retired.add(child.pid)
                self._kill(child.pid, signal.SIGTERM)
        for name in plan.processes_added + plan.processes_changed:
            child = self.bridges[name] = Child(name, "bridge")
            self.spawn_bridge(child)
        self.write_topology()
        return True, "", plan

    def send_reconfigure(self, child: Child, routes: dict) -> None:
        """Give a running worker its group's new neighbor list, and the routes
        producers gave to neighbors that are new to it."""
        names = self.worker_names(child.name)
        payload = {
            "neighbors": [(n, self.neighbors_by_name[n][1]) for n in names],
            "routes": {n: [bus.shadow_route(k, r) for k, r in state.items() if r is not None]
                       for n, state in routes.items()},
        }
        path = os.path.join(self.run_dir, f"reconfigure-{child.name}-{child.pid}.pickle")
        with open(path, "wb") as f:
            pickle.dump(payload, f)
        try:
            child.control.send(b"R" + path.encode())
        except OSError as exc:
            log.error("could not reconfigure worker %s: %s", child.name, exc)

    def write_topology(self) -> None:
        path = os.path.join(self.run_dir, "topology.json")
        with open(path + ".new", "w") as f:
            f.write(topology.dumps(self.refs, pid=os.getpid(), endpoints=self.endpoints()))
        os.replace(path + ".new", path)

    # -- runtime neighbors -----------------------------------------------
    #
    # ``bgpmesh neighbor create|delete|disable|enable``: the running
    # configuration changes without the file.  A created neighbor lives until
    # the next reload, which compares the file with what runs (so it is
    # removed unless the file has it too); a disabled one stays configured,
    # its session closed with Cease/Administrative Shutdown, until enabled.

    def neighbor_control(self, msg: dict) -> tuple[bool, dict]:
        """A ``control`` op ``neighbor-*``: (ok, reply data)."""
        op = msg.get("op")
        try:
            if op == "neighbor-create":
                name = self.create_neighbor(str(msg.get("text", "")))
            else:
                name = self.neighbor_named(str(msg.get("neighbor", "")))
                if op == "neighbor-delete":
                    self.delete_neighbor(name)
                elif op in ("neighbor-disable", "neighbor-enable"):
                    self.set_enabled(name, op == "neighbor-enable")
                else:
                    raise ValueError(f"unknown operation {op!r}")
        except (ValueError, ListenError) as exc:
            log.error("%s refused: %s", op, exc)
            return False, {"error": str(exc)}
        log.info("%s: %s", op, name)
        return True, {"error": "", "neighbor": name}

    def neighbor_named(self, text: str) -> str:
        """A neighbor's name from its name or its (unique) peer address."""
        if text in self.neighbors_by_name:
            return text
        found = [r.name for r in self.refs if r.peer_address == text]
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueError(f"{text} names several neighbors: {' '.join(found)}")
        raise ValueError(f"no neighbor {text!r}")

    def create_neighbor(self, text: str) -> str:
        from bgpmesh.config import parse_config
        from bgpmesh.errors import ConfigError

        # the running processes, after the text so that error lines are the text's
        stubs = "".join(f"\nprocess {p.name} {{\n    run /bin/true;\n}}\n"
                        for p in self.config.processes)
        try:
            parsed = parse_config(text + stubs, "<neighbor create>")
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        if len(parsed.neighbors) != 1:
            raise ValueError(f"expected exactly one neighbor block, found "
                             f"{len(parsed.neighbors)}")
        neighbor = parsed.neighbors[0]
        for ref in self.refs:
            if ref.peer_address == neighbor.peer_address:
                raise ValueError(f"neighbor {neighbor.peer_address} exists already ({ref.name})")
        name = neighbor.peer_address
        group = self.least_loaded_group()
        spawn = group is None  # every neighbor was deleted: a worker of its own
        if spawn:
            group = topology.assign_groups([neighbor], self.worker_count)[0]
        ref = topology.build(dataclasses.replace(self.config, neighbors=(neighbor,)), 1)[0]
        ref = dataclasses.replace(ref, name=name, group=group)
        config = dataclasses.replace(self.config, neighbors=(*self.config.neighbors, neighbor))
        self.apply_runtime(config, [*self.refs, ref])
        self.shadow[name] = {}
        self.announce_topology()
        if spawn:
            self.workers[group] = Child(group, "worker")
            self.spawn_worker(self.workers[group])
        else:
            self.send_reconfigure(self.workers[group], {name: {}})
        if neighbor.peer_range is not None:
            for other, child in self.workers.items():  # every worker runs the range
                if other != group and child.pid:
                    self.send_reconfigure(child, {name: {}})
        return name

    def least_loaded_group(self) -> str | None:
        """The running worker group with the fewest neighbors (then by name)."""
        running = [g for g, child in self.workers.items() if child.pid]
        if not running:
            return None
        return min(running, key=lambda g: (len(self.groups.get(g, ())), g))

    def delete_neighbor(self, name: str) -> None:
        ref, neighbor = self.neighbors_by_name[name]
        config = dataclasses.replace(self.config, neighbors=tuple(
            n for n in self.config.neighbors if n is not neighbor))
        self.apply_runtime(config, [r for r in self.refs if r.name != name])
        self.shadow.pop(name, None)
        self.disabled.discard(name)
        self.announce_topology()
        child = self.workers[ref.group]
        if child.pid:
            self.send_reconfigure(child, {})  # the worker sends Cease/Peer De-configured
        if neighbor.peer_range is not None:
            for other, worker in self.workers.items():  # every worker ran the range
                if other != ref.group and worker.pid:
                    self.send_reconfigure(worker, {})
        if ref.group not in self.groups:  # its last neighbor: retire it, as a reload does
            del self.workers[ref.group]
            if child.pid:
                self.retired.add(child.pid)
                self._kill(child.pid, signal.SIGTERM)

    def set_enabled(self, name: str, enabled: bool) -> None:
        ref, _ = self.neighbors_by_name[name]
        if enabled:
            self.disabled.discard(name)
        else:
            self.disabled.add(name)
        if name in self.ranges:
            for child in self.workers.values():
                self.send_disabled(child)
        else:
            self.send_disabled(self.workers[ref.group])

    def send_disabled(self, child: Child) -> None:
        """Tell a worker which of its neighbors must stay down."""
        if child.control is None:
            return
        names = sorted(self.disabled & set(self.worker_names(child.name)))
        try:
            child.control.send(b"D" + json.dumps(names).encode())
        except OSError as exc:
            log.error("could not tell worker %s its disabled neighbors: %s", child.name, exc)

    def apply_runtime(self, config, refs) -> None:
        """adopt() a runtime change; listeners follow, or nothing changes."""
        old_config, old_refs = self.config, self.refs
        self.adopt(config, refs)
        try:
            self.bind_listeners()
        except ListenError:
            self.adopt(old_config, old_refs)
            self.bind_listeners()
            raise
        self.write_topology()

    def announce_topology(self) -> None:
        """The neighbor map for bridges (sys/topology|), as after a reload."""
        self.ev_out.send_multipart(bus.pack(
            bus.system_topic("topology"), "topology",
            neighbors=[dataclasses.asdict(r) for r in self.refs],
            wants=topology.process_wants(self.config, self.refs)))

    # -- status ----------------------------------------------------------

    def status(self) -> dict:
        """What ``bgpmesh status`` shows: every child, measured by psutil."""
        now = time.monotonic()
        out = {"pid": os.getpid(), "run_dir": self.run_dir, "workers": [], "processes": []}
        for child in list(self.workers.values()) + list(self.bridges.values()):
            row = {"name": child.name, "pid": child.pid, "restarts": child.restarts,
                   "uptime": round(now - child.started, 1) if child.pid else 0.0,
                   "cpu_percent": None, "rss": None, "fds": None}
            if child.kind == "worker":
                row["neighbors"] = len(self.groups.get(child.name, ()))
                row["ready"] = child.ready
                row["half_open"] = child.pending_open if child.pid else 0
            if child.pid:
                try:
                    if child.ps is None or child.ps.pid != child.pid:
                        child.ps = psutil.Process(child.pid)
                    with child.ps.oneshot():
                        row["cpu_percent"] = child.ps.cpu_percent(None)
                        row["rss"] = child.ps.memory_info().rss
                        row["fds"] = child.ps.num_fds()
                except psutil.Error:
                    pass
            out["workers" if child.kind == "worker" else "processes"].append(row)
        return out

    def snapshot(self) -> dict:
        """The last-value cache (``bgpmesh watch --snapshot``): the shadow
        Adj-RIB-Out, the announced wire routes per neighbor.  Commands reach
        it in bus order, so it holds every command the proxy forwarded before
        the ``snapshot`` request came in on the same bus."""
        return {"neighbors": {name: [bus.shadow_route(k, r) for k, r in state.items()
                                     if r is not None]
                              for name, state in self.shadow.items()}}

    # -- buses -----------------------------------------------------------

    def on_subscription(self) -> None:
        while True:
            try:
                frame = self.cmd_out.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            if not frame or frame[0] != 1:
                continue
            topic = frame[1:]
            if topic.startswith(b"w/") and topic.endswith(b"|"):
                child = self.workers.get(topic[2:-1].decode(errors="replace"))
                if child is not None and child.pid:
                    child.subscribed = True
                    self.maybe_ready(child)

    def maybe_ready(self, child: Child) -> None:
        if child.ready or not (child.subscribed and child.hello):
            return
        topic = bus.worker_topic(child.name)
        for name in self.worker_names(child.name):
            state = self.shadow[name]
            if not state:
                continue
            routes = [bus.shadow_route(k, r) for k, r in state.items() if r is not None]
            withdrawn = [bus.withdrawal_from_identity(k) for k, r in state.items() if r is None]
            self.cmd_out.send_multipart(bus.pack(topic, "replay", neighbor=name, routes=routes,
                                                 withdrawn=withdrawn))
        # a worker restarted after a crash sets the Restart State bit of
        # graceful restart in its OPENs (RFC 4724 section 3)
        self.cmd_out.send_multipart(bus.pack(topic, "ready", group=child.name,
                                             restarted=child.restarts > 0))
        child.ready = True
        log.info("worker %s ready", child.name)
        if self.disabled & set(self.worker_names(child.name)):
            self.send_disabled(child)  # a restarted worker learns it again
        self.send_start(child)
        for conn, peer_ip, _ in self.waiting.pop(child.name, []):
            try:
                self.hand_over(conn, peer_ip)
            finally:
                conn.close()

    def send_start(self, child: Child) -> None:
        if self.sessions_go and child.ready:
            self.cmd_out.send_multipart(bus.pack(bus.worker_topic(child.name), "start",
                                                 group=child.name))

    def forward_commands(self) -> None:
        for _ in range(1000):
            try:
                frames = self.cmd_in.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                topic, msg = bus.unpack(frames)
            except bus.FrameError as exc:
                log.warning("dropped a frame on the command bus: %s", exc)
                continue
            kind = msg["kind"]
            if topic == bus.TOPIC_SUPERVISOR:
                self.on_supervisor_message(msg)
                continue
            if kind == "query":
                self.record(msg)  # clear adj-rib out empties the shadow too
            if kind in ("command", "batch", "query") and self.ranges:
                self.fan_out(topic, msg)
            if kind in ("command", "batch"):
                self.record(msg)
                group = topic[2:-1].decode(errors="replace")
                child = self.workers.get(group)
                if child is not None and not child.ready:
                    # its worker is (re)starting: the replay will carry this
                    matched = len(msg.get("neighbors", ()))
                    if kind == "batch":
                        reply = bus.acks(str(msg["publisher"]), msg["seqs"], group,
                                         matched=matched)
                    else:
                        reply = bus.pack(bus.ack_topic(str(msg["id"][0])), "ack", id=msg["id"],
                                         group=group, ok=True, error="", matched=matched)
                    self.ev_out.send_multipart(reply)
                    continue
                if child is not None:
                    self.note_unacked(group, kind, msg)
            self.cmd_out.send_multipart(frames)

    def fan_out(self, topic: bytes, msg: dict) -> None:
        """A command for a passive range reaches every worker: each holds some
        of the range's sessions.  The copies carry only the range names and a
        publisher nobody listens to, so the sender folds the acks of the
        groups it addressed, as before; a worker that is not ready gets the
        routes by replay (they are in the shadow Adj-RIB-Out)."""
        if topic == bus.TOPIC_BROADCAST or not topic.startswith(b"w/"):
            return
        names = [n for n in msg.get("neighbors", ()) if n in self.ranges]
        if not names:
            return
        if msg["kind"] == "query" and str(msg.get("op", "")).startswith("show"):
            return  # answered by the range's own group
        group = topic[2:-1].decode(errors="replace")
        fields = {k: v for k, v in msg.items() if k not in ("v", "kind")}
        fields["neighbors"] = names
        fields.pop("wire", None)
        if msg["kind"] == "batch":
            fields["publisher"] = FANOUT_PUBLISHER
        else:
            fields["id"] = [FANOUT_PUBLISHER, (msg.get("id") or ["", 0])[1]]
        for other in self.range_groups():
            child = self.workers[other]
            if other == group or not child.ready:
                continue
            self.cmd_out.send_multipart(bus.pack(bus.worker_topic(other), msg["kind"],
                                                 **fields))

    # Commands forwarded to a worker and not yet acked by it.  If the worker
    # dies first, they are answered here: they are in the shadow Adj-RIB-Out,
    # so the replay gives them to the restarted worker, and telling the
    # script "error" would be false.
    def note_unacked(self, group: str, kind: str, msg: dict) -> None:
        matched = len(msg.get("neighbors", ()))
        if kind == "batch":
            key = ("b", str(msg["publisher"]), msg["seqs"][0] if msg["seqs"] else 0)
            self.unacked.setdefault(group, {})[key] = (msg["seqs"], matched)
        else:
            key = ("c", str(msg["id"][0]), msg["id"][1])
            self.unacked.setdefault(group, {})[key] = (msg["id"], matched)

    def note_acked(self, frames: list[bytes]) -> None:
        try:
            _, msg = bus.unpack(frames)
        except bus.FrameError:
            return
        pending = self.unacked.get(msg.get("group", ""))
        if not pending:
            return
        if msg["kind"] == "acks" and msg.get("seqs"):
            pending.pop(("b", str(msg["publisher"]), msg["seqs"][0]), None)
        elif msg["kind"] == "ack" and msg.get("id"):
            pending.pop(("c", str(msg["id"][0]), msg["id"][1]), None)

    def answer_for_dead(self, group: str) -> None:
        pending = self.unacked.pop(group, {})
        for (kind, publisher, _), (ident, matched) in pending.items():
            if kind == "b":
                reply = bus.acks(publisher, ident, group, matched=matched)
            else:
                reply = bus.pack(bus.ack_topic(publisher), "ack", id=ident, group=group,
                                 ok=True, error="", matched=matched)
            self.ev_out.send_multipart(reply)
        if pending:
            log.info("answered %d command frame(s) worker %s took but did not ack; its "
                     "replay carries them", len(pending), group)

    def record(self, msg: dict) -> None:
        op = msg.get("op")
        if op == "clear-adj-rib-out":
            # nothing announced is left; static routes stay withdrawn after a restart
            for name in msg.get("neighbors", ()):
                if name in self.shadow:
                    self.shadow[name] = dict.fromkeys(self.static_keys(name))
            return
        if op in ("watchdog-announce", "watchdog-withdraw"):
            self.record_watchdog(msg.get("neighbors", ()), str(msg.get("arg")),
                                 op == "watchdog-withdraw")
            return
        if op not in ("announce", "withdraw"):
            return
        if msg["kind"] == "batch":
            self.record_batch(msg)
            return
        routes = msg["routes"]
        if not routes:
            return
        for name in msg.get("neighbors", ()):
            state = self.shadow.get(name)
            if state is None:
                continue
            if op == "announce":
                state.update((bus.route_identity(r), r) for r in routes)
            else:
                static = self.static_keys(name)
                for r in routes:
                    key = bus.route_identity(r)
                    if key in static:
                        state[key] = None
                    else:
                        state.pop(key, None)

    def record_batch(self, msg: dict) -> None:
        """A ``batch`` into the shadow: per route, its identity (the prefix
        text for unicast) and a shared ``(next_hop, attributes)`` value, the
        attributes one list per distinct set (``self.interned``); then one
        dict update per neighbor.  A batch that does not parse is left to
        the worker, which answers it with errors."""
        try:
            afi, safi = msg["family"]
            prefixes = msg["prefixes"]
            if (afi, safi) in bus.BY_PREFIX:
                keys = prefixes
            else:
                keys = [(afi, safi, prefix) for prefix in prefixes]
            if msg["op"] == "announce":
                table = [self.intern(item) for item in msg["attributes"]]
                shared: dict = {}
                values = []
                for pair in zip(msg["hops"], msg["index"], strict=True):
                    value = shared.get(pair)
                    if value is None:
                        value = shared[pair] = (pair[0], table[pair[1]])
                    values.append(value)
                if len(values) != len(keys):
                    return
        except (ValueError, TypeError, KeyError, IndexError):
            return
        for name in msg.get("neighbors", ()):
            state = self.shadow.get(name)
            if state is None:
                continue
            if msg["op"] == "announce":
                state.update(zip(keys, values, strict=True))
            else:
                static = self.static_keys(name)
                for key in keys:
                    if key in static:
                        state[key] = None
                    else:
                        state.pop(key, None)

    def intern(self, item: list) -> list:
        """One list per distinct wire attribute set, shared by the shadow's
        routes (bounded: cleared when full, which costs only the sharing)."""
        try:
            key = bus.attributes_key(item)
        except (ValueError, TypeError):
            return item
        found = self.interned.get(key)
        if found is None:
            if len(self.interned) >= INTERN_LIMIT:
                self.interned.clear()
            found = self.interned[key] = item
        return found

    def record_watchdog(self, names, dog: str, withdrawn: bool) -> None:
        """``announce|withdraw watchdog NAME``: the routes tagged NAME, the
        static ones included, keep their state in the shadow with their
        ``withdraw`` flag, so a restarted worker holds them back or sends them."""
        for name in names:
            state = self.shadow.get(name)
            if state is None:
                continue
            for r in self.static_watchdogs(name, dog):
                state.setdefault(bus.route_identity(r), r)
            for key, r in state.items():
                if r is not None and type(r) is not tuple and bus.route_watchdog(r) == dog:
                    state[key] = bus.with_withdrawn(r, withdrawn)

    def static_watchdogs(self, name: str, dog: str) -> list:
        neighbor = self.neighbors_by_name[name][1]
        return [bus.route_to_wire(r) for r in neighbor.static
                if getattr(r, "watchdog", None) == dog]

    def static_keys(self, name: str) -> set:
        neighbor = self.neighbors_by_name[name][1]
        configured = (*neighbor.static, *getattr(neighbor, "flows", ()),
                      *getattr(neighbor, "vpls", ()),
                      *getattr(neighbor, "nlri_routes", ()))
        return {bus.route_identity(bus.route_to_wire(r)) for r in configured}

    def on_supervisor_message(self, msg: dict) -> None:
        kind = msg["kind"]
        ident = msg.get("id") or ["?", 0]
        if kind == "ping":
            if msg.get("bridge") in self.bridges and msg.get("heard"):
                # the bridge got our ack, so its event subscriptions are in
                # (it subscribes to its ack topic last)
                self.bridges_heard.add(msg["bridge"])
            topic = bus.sync_topic(str(ident[0])) if msg.get("sync") else \
                bus.ack_topic(str(ident[0]))
            self.ev_out.send_multipart(bus.pack(topic, "ack", id=ident, group="", ok=True,
                                                error="", matched=0))
        elif kind == "topology":
            self.ev_out.send_multipart(bus.pack(bus.ack_topic(str(ident[0])), "reply",
                                                id=ident, ok=True,
                                                data=topology.dumps(self.refs)))
        elif kind == "status":
            self.ev_out.send_multipart(bus.pack(bus.ack_topic(str(ident[0])), "reply",
                                                id=ident, ok=True, data=self.status()))
        elif kind == "snapshot":
            self.ev_out.send_multipart(bus.pack(bus.ack_topic(str(ident[0])), "reply",
                                                id=ident, ok=True, data=self.snapshot()))
        elif kind == "control" and msg.get("op") == "reload":
            ok, error, plan = self.reload(check=bool(msg.get("check")))
            self.ev_out.send_multipart(bus.pack(
                bus.ack_topic(str(ident[0])), "reply", id=ident, ok=ok,
                data={"error": error, "plan": plan.describe() if plan else []}))
        elif kind == "control" and str(msg.get("op", "")).startswith("neighbor-"):
            ok, data = self.neighbor_control(msg)
            self.ev_out.send_multipart(bus.pack(bus.ack_topic(str(ident[0])), "reply",
                                                id=ident, ok=ok, data=data))
        elif kind == "control" and msg.get("op") == "shutdown":
            log.info("shutdown requested by %s", ident[0])
            self.stopping = True

    def forward_events(self) -> None:
        for _ in range(1000):
            try:
                frames = self.ev_in.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            if frames and frames[0] == b"sys/hello|":
                try:
                    _, msg = bus.unpack(frames)
                except bus.FrameError:
                    continue
                child = self.workers.get(msg.get("group", ""))
                if child is not None and child.pid == msg.get("pid"):
                    child.hello = True
                    self.maybe_ready(child)
                continue
            if frames and frames[0].startswith(b"ack/") and self.unacked:
                self.note_acked(frames)
            self.ev_out.send_multipart(frames)

    # -- inbound TCP -----------------------------------------------------

    def accept(self, fd: int) -> None:
        sock, _ = self.listeners[fd]
        # a bounded number per turn: the buses and the other listeners move
        # between turns, and what is left waits in the kernel's backlog
        for _ in range(ACCEPTS_PER_TURN):
            try:
                conn, addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("accept failed: %s", exc)
                return
            if not self.hand_over(conn, addr[0]):
                conn.close()

    def expire_waiting(self, now: float) -> None:
        for group, queue in list(self.waiting.items()):
            keep = []
            for conn, peer_ip, when in queue:
                if now - when > CONNECTION_WAIT:
                    log.info("connection from %s: worker %s not ready in time; closed",
                             peer_ip, group)
                    conn.close()
                else:
                    keep.append((conn, peer_ip, when))
            self.waiting[group] = keep

    def owner_of(self, peer_ip: str, local_ip: str) -> str | None:
        """The neighbor a connection from peer_ip to local_ip is for: the exact
        address first, then the narrowest passive range holding it."""
        name = self.owner.get((peer_ip, local_ip)) or self.owner.get((peer_ip, None))
        if name is not None:
            return name
        try:
            address = ipaddress.ip_address(peer_ip)
        except ValueError:
            return None
        best = None
        for ref, neighbor in self.neighbors_by_name.values():
            if neighbor.peer_range is None or neighbor.local_address not in (None, local_ip):
                continue
            network = ipaddress.ip_network(neighbor.peer_range, strict=False)
            if address.version == network.version and address in network and (
                    best is None or network.prefixlen > best[0]):
                best = (network.prefixlen, ref.name)
        return best[1] if best else None

    def group_for(self, name: str, peer_ip: str) -> str:
        """The worker group a connection for neighbor name goes to: its own,
        or for a passive range the one its peer's address hashes to."""
        ref, neighbor = self.neighbors_by_name[name]
        groups = self.range_groups() if neighbor.peer_range is not None else ()
        if not groups:
            return ref.group
        return groups[zlib.crc32(peer_ip.encode()) % len(groups)]

    def half_open(self) -> int:
        """Connections handed over (or waiting for a worker) with no OPEN yet."""
        return sum(c.pending_open for c in self.workers.values() if c.pid) + \
            sum(len(q) for q in self.waiting.values())

    def refuse(self, peer_ip: str) -> None:
        """Close over the half-open cap: counted, logged at most every few seconds."""
        self.refused += 1
        self.refused_from = peer_ip
        now = time.monotonic()
        if now - self.refused_logged >= REFUSED_LOG_EVERY:
            self.refuse_logged_flush(now)

    def refuse_logged_flush(self, now: float) -> None:
        log.warning("%d connection(s) closed at once: %d half-open connections (cap %d "
                    "per worker and overall); latest from %s", self.refused,
                    self.half_open(), HALF_OPEN_LIMIT, self.refused_from)
        self.refused = 0
        self.refused_logged = now

    def hand_over(self, conn: socket.socket, peer_ip: str) -> bool:
        """Pass conn to its worker; True if we keep it for later (worker booting)."""
        try:
            local_ip = conn.getsockname()[0]
        except OSError:
            return False  # reset before we got to it
        name = self.owner_of(peer_ip, local_ip)
        if name is None:
            log.warning("connection from unknown peer %s to %s: closed", peer_ip, local_ip)
            return False
        # active neighbors too: their worker resolves the collision (RFC 4271 6.8)
        group = self.group_for(name, peer_ip)
        child = self.workers[group]
        if child.pending_open >= HALF_OPEN_LIMIT or self.half_open() >= HALF_OPEN_LIMIT:
            self.refuse(peer_ip)
            return False
        if not child.ready or child.control is None:
            queue = self.waiting.setdefault(group, [])
            if len(queue) >= WAITING_LIMIT:
                log.info("connection from %s while worker %s boots: closed", peer_ip, group)
                return False
            queue.append((conn, peer_ip, time.monotonic()))
            return True
        try:
            socket.send_fds(child.control, [f"{peer_ip}|{local_ip}".encode()], [conn.fileno()])
            child.handed += 1
        except OSError as exc:
            log.warning("could not hand %s to worker %s: %s", peer_ip, group, exc)
        return False

    def read_control(self, child: Child, now: float) -> None:
        try:
            while True:
                data = child.control.recv(64)
                if not data:
                    break
                child.last_seen = now
                if data.startswith(b"h "):
                    # "h RECEIVED HALF_OPEN": the worker's count of both
                    try:
                        received, half_open = map(int, data[2:].split())
                    except ValueError:
                        continue
                    child.received, child.half_open = received, half_open
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            pass
