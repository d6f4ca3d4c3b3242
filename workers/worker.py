"""A worker process: one asyncio loop running the sessions of one neighbor group.

Boot, in this order, so that no command is lost and no session comes up with
a partial table:

1. reset the signal handlers inherited from the supervisor, make a fresh
   ZeroMQ context (never reuse the parent's after fork);
2. subscribe to the group's topic on the command bus and connect the event
   publisher; say ``hello`` on the event bus until the supervisor answers
   ``ready`` on the command bus.  Before ``ready`` it sends ``replay`` frames:
   the state producers announced for our neighbors before we (re)started;
3. load static routes, apply the replay, start the sessions;
4. serve: commands from the bus, connections handed over on the control
   socket (SCM_RIGHTS), timers; a heartbeat to the supervisor every second.

SIGTERM or SIGINT: every session is closed with Cease/Administrative Shutdown,
buffered data gets a moment to drain, exit 0.  If the control socket closes
(the supervisor is gone) the worker shuts down the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import logging
import os
import pickle
import signal
import socket

import zmq
import zmq.asyncio

from bgpmesh import bus
from bgpmesh.codec.nlri import codec_for
from bgpmesh.codec.operational import CODES as OPERATIONAL_CODES
from bgpmesh.codec.operational import Operational as OperationalMessage
from bgpmesh.codec.packer import rib_entry
from bgpmesh.errors import Cease
from bgpmesh.family import Family
from bgpmesh.route import Attributes, Route

from .api_events import ApiEvents
from .peer import FLUSH_SLICE, Peer, announce_entry, announce_route, route_key, withdraw_route
from .update_groups import UpdateGroups

log = logging.getLogger("bgpmesh.worker")

HEARTBEAT_INTERVAL = 1.0
_PREFIX_SAFIS = frozenset((1, 2))  # unicast, multicast: the NLRI is the prefix
SHUTDOWN_COMMUNICATION = "bgpmesh shutting down"
DRAIN_DEADLINE = 2.0
WIRE_POLL = 0.01  # seconds between checks while on-wire acks wait
HALF_OPEN_LIMIT = 256  # handed-over connections with no OPEN from the peer yet
REFUSED_LOG_EVERY = 5.0
_BEFORE_OPEN = ("Idle", "Connect", "Active", "OpenSent")


class Worker:
    def __init__(self, group: str, neighbors: list, names: list[str], endpoints: dict,
                 control: socket.socket) -> None:
        self.group = group
        self.neighbors = neighbors
        self.names = names
        self.endpoints = endpoints
        self.control = control
        self.loop: asyncio.AbstractEventLoop | None = None
        self.peers: dict[str, Peer] = {}
        self.by_address: dict[tuple[str, str | None], Peer] = {}
        self.dirty: set[Peer] = set()
        self.flush_scheduled = False
        self.stopped: asyncio.Event | None = None
        self.started = False
        # the supervisor restarted us after a crash: OPENs say so (graceful restart)
        self.restarted = False
        self.disabled: set[str] = set()  # neighbors the operator disabled (``D`` op)
        # events carry (publisher, seq), seq counted per topic, so that any
        # subscriber (topic prefixes select whole topics) sees what it lost
        self.publisher = f"{group}:{os.getpid()}"
        self.event_seq: dict[bytes, int] = {}
        # for ``bgpmesh status``: why each neighbor last went down, and the
        # prefixes its peer announces to us now (emptied when it goes down)
        self.last_error: dict[str, str] = {}
        self.adj_in: dict[str, set] = {}
        # on-wire acks asked for (``wire`` field): [frames, peers], see wire_check
        self.wire_waiting: list[tuple[list[bytes], list[Peer]]] = []
        self.wire_handle: asyncio.TimerHandle | None = None
        # inbound connections the peer has sent no OPEN on yet: (peer, socket)
        self.half_open: list[tuple[Peer, socket.socket]] = []
        self.received = 0  # connections the supervisor handed us
        self.refused = 0  # closed over HALF_OPEN_LIMIT, not yet logged
        self.refused_logged = 0.0
        # ExaBGP 4.2's watchdogs, per neighbor: watchdog name -> rib key ->
        # [rib entry, announced?]; the routes tagged ``watchdog NAME`` are
        # remembered here whether ``withdraw watchdog NAME`` took them out of
        # the Adj-RIB-Out or not, so ``announce watchdog NAME`` puts them back
        self.watchdogs: dict[str, dict[str, dict[tuple, list]]] = {}

    # -- entry -----------------------------------------------------------

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            return self.loop.run_until_complete(self.main())
        finally:
            self.loop.close()

    async def main(self) -> int:
        self.stopped = asyncio.Event()
        self.ctx = zmq.asyncio.Context()
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.RCVHWM, 0)
        self.sub.setsockopt(zmq.SUBSCRIBE, bus.worker_topic(self.group))
        self.sub.setsockopt(zmq.SUBSCRIBE, bus.TOPIC_BROADCAST)
        self.sub.connect(self.endpoints["command_out"])
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.SNDHWM, 0)
        self.pub.connect(self.endpoints["event_in"])
        self.loop.add_signal_handler(signal.SIGTERM, self.stopped.set)

        for neighbor, name in zip(self.neighbors, self.names, strict=True):
            self.add_peer(neighbor, name)

        await self.handshake()
        self.control.setblocking(False)
        self.loop.add_reader(self.control.fileno(), self.on_control)
        tasks = [self.loop.create_task(self.commands()),
                 self.loop.create_task(self.heartbeat())]
        await self.stopped.wait()
        for task in tasks:
            task.cancel()
        await self.shutdown()
        return 0

    async def handshake(self) -> None:
        hello = bus.pack(bus.system_topic("hello"), "hello", group=self.group, pid=os.getpid())
        while True:
            await self.pub.send_multipart(hello)
            if await self.sub.poll(100):
                while await self.sub.poll(0):
                    frames = await self.sub.recv_multipart()
                    if self.dispatch(frames) == "ready":
                        return

    async def shutdown(self) -> None:
        for peer in self.all_peers():
            # RFC 9003: say why, so the operator of the peer need not guess
            peer.stop(text=SHUTDOWN_COMMUNICATION)
        deadline = self.loop.time() + DRAIN_DEADLINE
        while self.loop.time() < deadline and any(p.connect_task for p in self.peers.values()):
            await asyncio.sleep(0.05)
        # transports flush their buffers before closing; give them the deadline
        await asyncio.sleep(0.1)
        self.loop.remove_reader(self.control.fileno())
        self.sub.close(0)
        self.pub.close(linger=500)
        self.ctx.term()

    # -- supervisor link -------------------------------------------------

    def on_control(self) -> None:
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.control, 1024, 4)
        except BlockingIOError:
            return
        except OSError:
            data, fds = b"", []
        if not data and not fds:
            log.warning("worker %s: supervisor link closed, shutting down", self.group)
            self.stopped.set()
            return
        if data.startswith(b"D") and not fds:
            self.set_disabled(json.loads(data[1:]))
            return
        if data.startswith(b"R") and not fds:
            try:
                self.reconfigure(data[1:].decode())
            except Exception:
                log.exception("worker %s: bug while reconfiguring", self.group)
            return
        for fd in fds:
            self.received += 1
            sock = socket.socket(fileno=fd)
            try:
                peer_ip, local_ip = data.decode().split("|")
            except ValueError:
                sock.close()
                continue
            if self.count_half_open() >= HALF_OPEN_LIMIT:
                self.refuse(sock, peer_ip)
                continue
            peer = self.by_address.get((peer_ip, local_ip)) or \
                self.by_address.get((peer_ip, None)) or self.range_peer(peer_ip, local_ip)
            if peer is None:
                log.warning("worker %s: no neighbor %s on %s; closing", self.group, peer_ip,
                            local_ip)
                sock.close()
            else:
                peer.accept(sock)
                if sock.fileno() != -1:
                    self.half_open.append((peer, sock))
        self.report_half_open()

    # -- half-open connections -------------------------------------------
    #
    # A connection handed to us is half-open until the peer's OPEN arrives on
    # it (its FSM leaves OpenSent) or it closes (asyncio closes the socket
    # object we passed, so its fileno becomes -1).  The supervisor caps them
    # from our reports (``h RECEIVED HALF_OPEN`` on the control socket); we
    # cap them here too, in case a report is late.

    def count_half_open(self) -> int:
        self.half_open = [(p, s) for p, s in self.half_open if _waits_for_open(p, s)]
        return len(self.half_open)

    def report_half_open(self) -> None:
        try:
            self.control.send(f"h {self.received} {self.count_half_open()}".encode())
        except OSError:
            pass  # the heartbeat sends it again

    def refuse(self, sock: socket.socket, peer_ip: str) -> None:
        sock.close()
        self.refused += 1
        now = self.loop.time()
        if now - self.refused_logged >= REFUSED_LOG_EVERY:
            log.warning("worker %s: %d connection(s) closed at once: %d half-open (cap %d); "
                        "latest from %s", self.group, self.refused, len(self.half_open),
                        HALF_OPEN_LIMIT, peer_ip)
            self.refused = 0
            self.refused_logged = now

    def range_peer(self, peer_ip: str, local_ip: str) -> Peer | None:
        """A session of its own for a peer inside a passive range (the
        narrowest range holding it wins), made on its first connection."""
        try:
            address = ipaddress.ip_address(peer_ip)
        except ValueError:
            return None
        best = None
        for peer in self.peers.values():
            n = peer.neighbor
            if n.peer_range is None or n.local_address not in (None, local_ip):
                continue
            network = ipaddress.ip_network(n.peer_range, strict=False)
            if address.version == network.version and address in network and (
                    best is None or network.prefixlen > best[0]):
                best = (network.prefixlen, peer)
        if best is None:
            return None
        child = best[1].spawn(peer_ip)
        self.by_address[(peer_ip, child.neighbor.local_address)] = child
        if self.started:
            child.start()
        return child

    def all_peers(self) -> list[Peer]:
        """Every session: configured neighbors and the peers of passive ranges."""
        out = []
        for peer in self.peers.values():
            out.append(peer)
            out.extend(peer.children.values() if peer.children is not None else ())
        return out

    def reconfigure(self, path: str) -> None:
        """A reload: keep equal neighbors untouched, restart changed ones, stop
        removed ones (Cease/Peer De-configured), start new ones."""
        with open(path, "rb") as f:
            payload = pickle.load(f)
        os.unlink(path)
        wanted = dict(payload["neighbors"])
        for name, peer in list(self.peers.items()):
            neighbor = wanted.get(name)
            if neighbor is not None and _same(neighbor, peer.neighbor):
                continue
            subcode = Cease.PEER_DECONFIGURED if neighbor is None else \
                Cease.OTHER_CONFIGURATION_CHANGE
            log.info("worker %s: %s %s", self.group, name,
                     "removed" if neighbor is None else "changed: restarting")
            peer.stop(subcode)
            del self.peers[name]
            self.by_address.pop((peer.neighbor.peer_address, peer.neighbor.local_address), None)
            for child in (peer.children or {}).values():
                self.by_address.pop((child.neighbor.peer_address, child.neighbor.local_address),
                                    None)
        for name, neighbor in wanted.items():
            if name in self.peers:
                continue
            peer = self.add_peer(neighbor, name)
            self.restore_routes(peer, payload["routes"].get(name, ()))
            if self.started and name not in self.disabled:
                peer.start()

    def set_disabled(self, names: list[str]) -> None:
        """The operator's disabled set: stop those newly in it (Cease/
        Administrative Shutdown, kept configured), start those out of it."""
        wanted = set(names)
        for name in sorted(wanted - self.disabled):
            peer = self.peers.get(name)
            if peer is not None:
                log.info("worker %s: %s disabled", self.group, name)
                peer.stop(Cease.ADMINISTRATIVE_SHUTDOWN, "disabled by the operator")
        for name in sorted(self.disabled - wanted):
            peer = self.peers.get(name)
            if peer is not None and self.started:
                log.info("worker %s: %s enabled", self.group, name)
                peer.stopping = False
                peer.start()
        self.disabled = wanted

    def add_peer(self, neighbor, name: str) -> Peer:
        peer = Peer(self, neighbor, name)
        self.peers[name] = peer
        self.by_address[(neighbor.peer_address, neighbor.local_address)] = peer
        configured = (*neighbor.static, *getattr(neighbor, "flows", ()),
                      *getattr(neighbor, "vpls", ()),
                      *getattr(neighbor, "nlri_routes", ()))
        for route in configured:
            if type(route) is Route and route.watchdog is not None:
                try:
                    self.watch(peer, route, rib_entry(route))
                except ValueError as exc:
                    log.warning("worker %s: %s: configured route %s cannot be announced by "
                                "this version: %s", self.group, name, route.prefix, exc)
                continue
            if getattr(route, "withdrawn", False):
                continue  # configured, but "withdraw": not announced until asked
            try:
                announce_route(peer.rib, route)
            except ValueError as exc:
                log.warning("worker %s: %s: configured route %s cannot be announced by "
                            "this version: %s", self.group, name,
                            getattr(route, "prefix", None) or getattr(route, "name", route),
                            exc)
        return peer

    async def heartbeat(self) -> None:
        while True:
            try:
                self.control.send(b"hb")
                self.report_half_open()
            except BlockingIOError:
                pass
            except OSError:
                self.stopped.set()
                return
            await asyncio.sleep(HEARTBEAT_INTERVAL)

    # -- command bus -----------------------------------------------------

    async def commands(self) -> None:
        while True:
            frames = await self.sub.recv_multipart()
            try:
                self.dispatch(frames)
            except Exception:
                log.exception("worker %s: bug while handling a command", self.group)
            # A frame already queued is received without a loop turn: let the
            # flush of this frame's routes (and keepalives) run before the next,
            # so UPDATEs leave while the producer is still printing.
            await asyncio.sleep(0)

    def dispatch(self, frames: list[bytes]) -> str | None:
        try:
            _topic, msg = bus.unpack(frames)
        except bus.FrameError as exc:
            log.warning("worker %s: dropped a frame: %s", self.group, exc)
            return None
        kind = msg["kind"]
        if kind == "batch":
            self.on_batch(msg)
        elif kind == "command":
            self.on_command(msg)
        elif kind == "replay":
            self.on_replay(msg)
        elif kind == "query":
            self.on_query(msg)
        elif kind == "ready":
            if msg.get("group") != self.group:
                return None
            self.restarted = bool(msg.get("restarted"))
            return "ready"
        elif kind == "start" and msg.get("group") == self.group:
            self.start_sessions()
        return kind

    def start_sessions(self) -> None:
        """Once: the supervisor says every script listens, so sessions may come up."""
        if self.started:
            return
        self.started = True
        for peer in self.peers.values():
            if peer.name in self.disabled:
                continue
            peer.restarting = self.restarted
            peer.start()

    def restore_routes(self, peer: Peer, items: list) -> None:
        """Wire routes (a replay, or a reload's hand-over) into a peer's Adj-RIB-Out."""
        cache: dict = {}
        for item in items:
            route = bus.route_from_wire(item, cache)
            try:
                if type(route) is Route and route.watchdog is not None:
                    self.watch(peer, route, rib_entry(route))
                elif type(route) is Route and route.family.safi in _PREFIX_SAFIS and \
                        route.path_id is None:
                    peer.add_route(route, route_key(route))
                else:
                    announce_route(peer.rib, route)
            except ValueError as exc:
                log.warning("worker %s: %s: route %s dropped: %s", self.group, peer.name,
                            item[2], exc)

    # -- watchdogs (ExaBGP 4.2 semantics, see ``self.watchdogs``) ----------

    def watch(self, peer: Peer, route: Route, entry: tuple) -> None:
        """A route tagged ``watchdog NAME``: remembered under NAME, and in the
        Adj-RIB-Out unless it says ``withdraw`` (then it waits for
        ``announce watchdog NAME``).  A replayed route carries the state."""
        family, key = entry[0], entry[1]
        self.unwatch(peer, family, key)
        dogs = self.watchdogs.setdefault(peer.name, {})
        dogs.setdefault(route.watchdog, {})[(family, key)] = [entry, not route.withdrawn]
        if route.withdrawn:
            peer.remove_route(family, key)
        else:
            announce_entry(peer.rib, *entry)

    def unwatch(self, peer: Peer, family: Family, key) -> None:
        for held in self.watchdogs.get(peer.name, {}).values():
            held.pop((family, key), None)

    def toggle_watchdog(self, peer: Peer, name: str, announce: bool) -> None:
        for slot in self.watchdogs.get(peer.name, {}).get(name, {}).values():
            if slot[1] == announce:
                continue
            slot[1] = announce
            if announce:
                announce_entry(peer.rib, *slot[0])
            else:
                peer.remove_route(slot[0][0], slot[0][1])

    def on_replay(self, msg: dict) -> None:
        peer = self.peers.get(msg["neighbor"])
        if peer is None:
            return
        self.restore_routes(peer, msg["routes"])
        cache: dict = {}
        for item in msg["withdrawn"]:
            route = bus.route_from_wire(item, cache)
            try:
                withdraw_route(peer.rib, route)
            except ValueError as exc:
                log.warning("worker %s: replayed withdrawal %s dropped: %s", self.group,
                            item[2], exc)

    def on_command(self, msg: dict) -> None:
        op = msg["op"]
        peers = [self.peers[n] for n in msg["neighbors"] if n in self.peers]
        error = ""
        if op in ("announce", "withdraw"):
            cache: dict = {}
            entries = []
            try:
                # any family: Route, FlowRoute or Vpls, keyed by its wire NLRI
                for item in msg["routes"]:
                    route = bus.route_from_wire(item, cache)
                    entries.append((route, rib_entry(route)))
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                error = f"bad route: {exc}"
                entries = []
            for peer in peers:
                if op == "announce":
                    for route, entry in entries:
                        if type(route) is Route and route.watchdog is not None:
                            self.watch(peer, route, entry)
                        else:
                            announce_entry(peer.rib, *entry)
                else:
                    for _route, (family, key, _next_hop, _attributes) in entries:
                        self.unwatch(peer, family, key)
                        peer.remove_route(family, key)
                self.dirty.add(peer)
            self.schedule_flush()
        elif op in ("watchdog-announce", "watchdog-withdraw"):
            for peer in peers:
                self.toggle_watchdog(peer, str(msg.get("arg")), op == "watchdog-announce")
                self.dirty.add(peer)
            self.schedule_flush()
        elif op == "eor":
            family = Family(*msg["family"])
            for peer in peers:
                peer.send_eor(family)
        elif op == "route-refresh":
            family = Family(*msg["family"])
            for peer in peers:
                peer.send_route_refresh(family)
        elif op == "operational":
            try:
                message = operational_from_wire(msg["routes"][0])
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                error = f"bad operational message: {exc}"
            else:
                if not peers:
                    error = "no neighbor matches the command"
                reasons = [peer.send_operational(message) for peer in peers]
                error = error or "; ".join(r for r in reasons if r)
        elif op == "teardown":
            for peer in peers:
                peer.teardown(msg.get("arg") or 2)
        else:
            error = f"unknown operation {op!r}"
        publisher = msg["id"][0]
        self.pub.send_multipart(bus.pack(
            bus.ack_topic(publisher), "ack", id=msg["id"], group=self.group,
            ok=not error, error=error, matched=len(peers)))
        if msg.get("wire"):
            self.wait_wire(str(publisher), [msg["id"][1]], peers)

    def on_batch(self, msg: dict) -> None:
        """Consecutive route commands of one publisher (see bus ``batch``):
        apply them in order, answer them with one ``acks`` frame.

        Per route: the prefix packed into its wire NLRI (the Adj-RIB-Out key)
        and a few list and dict operations; the (family, NLRI) keys are made
        once and shared by every neighbor's Adj-RIB-Out, the values
        ``(next_hop, attributes)`` once per distinct pair and shared by every
        route and neighbor (``_intern``)."""
        peers = [self.peers[n] for n in msg["neighbors"] if n in self.peers]
        announce = msg["op"] == "announce"
        seqs = msg["seqs"]
        errors: dict[int, str] = {}
        try:
            afi, safi = msg["family"]
            family = Family(afi, safi)
            pack = codec_for(family).pack
            owners = bus.batch_owners(msg)
            prefixes = msg["prefixes"]
            if len(owners) != len(prefixes):
                raise ValueError("counts do not match the routes")
            if announce:
                table = [_intern(item) for item in msg["attributes"]]
                hops, index = msg["hops"], msg["index"]
                if len(hops) != len(prefixes) or len(index) != len(prefixes):
                    raise ValueError("columns of different lengths")
        except (ValueError, TypeError, KeyError) as exc:
            errors = {seq: f"bad batch: {exc}" for seq in seqs}
            prefixes = owners = ()
        keys: list = []
        values: list = []
        shared: dict = {}
        for i, prefix in enumerate(prefixes):
            try:
                key = (family, pack(prefix))
                if announce:
                    pair = (hops[i], index[i])
                    value = shared.get(pair)
                    if value is None:
                        value = shared[pair] = _value(hops[i] or "self", table[index[i]])
                    values.append(value)
            except (ValueError, TypeError, IndexError) as exc:
                errors.setdefault(owners[i], f"bad route: {exc}")
                key = None
                if announce:
                    values.append(None)
            keys.append(key)
        if errors and keys:
            # a command with a bad route is not applied at all
            bad = [errors.__contains__(owner) for owner in owners]
            keys = [k for k, b in zip(keys, bad, strict=True) if not b]
            if announce:
                values = [v for v, b in zip(values, bad, strict=True) if not b]
        for peer in peers:
            if announce:
                peer.rib.announce_many(keys, values)
            else:
                peer.rib.withdraw_many(keys)
        if not announce and self.watchdogs:
            # a withdrawn route leaves its watchdog too (the shadow forgets it)
            for peer in peers:
                for family_key in keys:
                    self.unwatch(peer, *family_key)
        self.dirty.update(peers)
        self.schedule_flush()
        self.pub.send_multipart(bus.acks(msg["publisher"], seqs, self.group, errors,
                                         matched=len(peers)))
        if msg.get("wire"):
            self.wait_wire(str(msg["publisher"]), list(seqs), peers)

    def schedule_flush(self) -> None:
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        """Flush the neighbors with changes; those with equal changes and
        encoding share the UPDATE bytes (update_groups.py)."""
        self.flush_scheduled = False
        dirty, self.dirty = self.dirty, set()
        self.update_groups.flush(dirty)
        if self.wire_waiting:
            self.wire_check()

    # -- on-wire acks ----------------------------------------------------
    #
    # A command (or batch) with ``wire`` set is answered twice: ``ack``/``acks``
    # once its routes are in the Adj-RIB-Out, then ``wire`` once every matched
    # neighbor has nothing of it left to send: its pending changes drained
    # (the flush that took them ran) and its transport's buffer handed to the
    # kernel.  A neighbor that is not established counts as done at once:
    # nothing can be sent to it, and it gets its whole table when it comes up.
    # A neighbor whose socket stays full (the peer stops reading) holds the
    # ``wire`` ack back; clients time out.  Checked after each flush, and
    # every WIRE_POLL seconds while some are waiting (flushes go in slices).

    def wait_wire(self, publisher: str, seqs: list, peers: list[Peer]) -> None:
        frames = bus.pack(bus.ack_topic(publisher), "wire", publisher=publisher, seqs=seqs,
                          group=self.group, matched=len(peers))
        self.wire_waiting.append((frames, peers))
        if self.wire_handle is None:
            self.wire_handle = self.loop.call_soon(self.wire_check)

    def wire_check(self) -> None:
        if self.wire_handle is not None:
            self.wire_handle.cancel()
            self.wire_handle = None
        waiting = []
        for frames, peers in self.wire_waiting:
            if all(_on_wire(peer) for peer in peers):
                self.pub.send_multipart(frames)
            else:
                waiting.append((frames, peers))
        self.wire_waiting = waiting
        if waiting:
            self.wire_handle = self.loop.call_later(WIRE_POLL, self.wire_check)

    @property
    def update_groups(self) -> UpdateGroups:
        groups = self.__dict__.get("_update_groups")
        if groups is None:
            groups = self.__dict__["_update_groups"] = UpdateGroups(self, FLUSH_SLICE)
        return groups

    # -- events ----------------------------------------------------------

    def publish_state(self, peer: Peer, state: str, reason: str = "") -> None:
        body = {"state": state}
        if reason:
            body["reason"] = reason
        if state == "down":
            self.adj_in.pop(peer.name, None)
            if reason:
                self.last_error[peer.name] = reason
        self.publish_event(peer, "state", body)
        self.api.state_changed(peer, state)

    def publish_event(self, peer: Peer, kind: str, body: dict) -> None:
        if kind == "update":
            self.api.received_update(peer)
            self.count_received(peer, body)
        topic = bus.event_topic(kind, peer.name)
        seq = self.event_seq[topic] = self.event_seq.get(topic, 0) + 1
        self.pub.send_multipart(bus.pack(
            topic, "event", type=kind, neighbor=peer.ident, name=peer.name, body=body,
            publisher=self.publisher, seq=seq))

    # -- queries and the events only some api blocks ask for --------------

    @property
    def api(self) -> ApiEvents:
        api = self.__dict__.get("_api")
        if api is None:
            api = self.__dict__["_api"] = ApiEvents(self)
        return api

    def on_query(self, msg: dict) -> None:
        """show neighbor / adj-rib out, flush and clear adj-rib out (bus ``query``).

        show-neighbor rows carry, beyond what ExaBGP shows, ``name``,
        ``prefixes`` {sent, received} and ``last-error`` (``bgpmesh status``)."""
        rows, error = self.api.query(msg["op"], msg["neighbors"], msg.get("options") or ())
        if msg["op"] == "show-neighbor":
            names = [n for n in msg["neighbors"] if n in self.peers]
            for name, row in zip(names, rows, strict=False):
                peer = self.peers[name]
                row["name"] = name
                row["prefixes"] = {"sent": _sent(peer), "received": _received(
                    peer, self.adj_in.get(name, ()))}
                row["last-error"] = self.last_error.get(name, "")
        self.pub.send_multipart(bus.answer(msg["id"], self.group, rows, error))

    def count_received(self, peer: Peer, body: dict) -> None:
        """Keep the prefixes the peer announces now, from an update event's
        body; a neighbor that keeps an Adj-RIB-In is counted from it instead
        (see ``_received``), with no second table of its routes."""
        if peer.neighbor.adj_rib_in:
            return
        update = body.get("update")
        if not isinstance(update, dict):
            return
        held = self.adj_in.setdefault(peer.name, set())
        for family, items in (update.get("withdraw") or {}).items():
            held.difference_update((family, _nlri(item)) for item in items)
        for family, hops in (update.get("announce") or {}).items():
            for items in hops.values():
                held.update((family, _nlri(item)) for item in items)


# Attribute sets and Adj-RIB-Out values seen in batches, shared by every
# route that carries them: producers repeat a few sets over millions of
# routes.  Bounded: cleared when full, which costs only the sharing.
_INTERN_LIMIT = 1 << 16
_interned: dict[tuple, Attributes] = {}
_values: dict[tuple, tuple] = {}


def _intern(item: list) -> Attributes:
    key = bus.attributes_key(item)
    found = _interned.get(key)
    if found is None:
        if len(_interned) >= _INTERN_LIMIT:
            _interned.clear()
        found = _interned[key] = Attributes(*key)
    return found


def _value(next_hop: str, attributes: Attributes) -> tuple:
    key = (next_hop, id(attributes))
    found = _values.get(key)
    if found is None or found[1] is not attributes:
        if len(_values) >= _INTERN_LIMIT:
            _values.clear()
        found = _values[key] = (next_hop, attributes)
    return found


def _nlri(item) -> str:
    if isinstance(item, dict):
        return str(item.get("nlri") if "nlri" in item else sorted(item.items()))
    return str(item)


def _received(peer: Peer, counted) -> int:
    """The prefixes the peer announces now: its Adj-RIB-In when it keeps one
    (emptied by ``clear adj-rib in`` as ``show adj-rib in`` is), else the set
    ``count_received`` keeps."""
    if peer.neighbor.adj_rib_in:
        return len(peer.adj_rib_in)
    return len(counted)


def _sent(peer: Peer) -> int:
    """Routes of the Adj-RIB-Out the neighbor has been sent (0 when it is down)."""
    if peer.children is not None:
        return sum(_sent(c) for c in peer.children.values())
    if not peer.established:
        return 0
    waiting = sum(1 for key, value in peer.rib.pending.items()
                  if value is not None and key in peer.rib.routes)
    return len(peer.rib.routes) - waiting


def _waits_for_open(peer: Peer, sock: socket.socket) -> bool:
    """sock, handed to peer, is open and has not carried the peer's OPEN."""
    if sock.fileno() == -1:
        return False
    fileno = sock.fileno()
    for fsm, protocol in ((peer.fsm, peer.protocol),
                          (peer.inbound.fsm if peer.inbound else None,
                           peer.inbound.protocol if peer.inbound else None)):
        transport = getattr(protocol, "transport", None)
        if fsm is None or transport is None:
            continue
        held = transport.get_extra_info("socket")
        if held is not None and held.fileno() == fileno:
            return fsm.state.name in _BEFORE_OPEN
    return True  # held until start, or its transport is being made


def _on_wire(peer: Peer) -> bool:
    """Nothing left to write to this neighbor (see the on-wire acks above)."""
    if peer.children is not None:  # a range: each of its sessions
        return not peer.rib.pending and all(_on_wire(c) for c in peer.children.values())
    if not peer.established or peer.protocol is None:
        return True
    if peer.rib.pending:
        return False
    transport = getattr(peer.protocol, "transport", None)
    return transport is None or transport.is_closing() or \
        transport.get_write_buffer_size() == 0


def _same(a, b) -> bool:
    """Equal settings, wherever in the files they were written."""
    return dataclasses.replace(a, source="") == dataclasses.replace(b, source="")


def operational_from_wire(item: list) -> OperationalMessage:
    """[name, afi, safi, [[key, text], ...]] (``dispatch.plan``) -> the message."""
    name, afi, safi, pairs = item
    values = dict(pairs)
    return OperationalMessage(
        OPERATIONAL_CODES[name.upper()], Family(afi, safi),
        advisory=values.get("advisory", ""),
        router_id=values.get("router-id", "0.0.0.0"),
        sequence=int(values.get("sequence", 0)),
        counter=int(values.get("counter", 0)))
