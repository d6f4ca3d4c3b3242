"""The pipe bridge: runs one ExaBGP-style ``process`` and speaks for it on the buses.

Each line the program prints is one text command.  It is parsed here (a parse
error is answered ``error`` at once), its ``neighbor`` selectors are resolved
against the neighbors whose ``api`` lists this process, and it is published
to each worker group that owns a matched neighbor.  Each worker acks; the
bridge folds the acks of every group a command reached into one ``done`` or
``error`` and writes them in command order, as ExaBGP does.

Throughput: the program's output is read in 64 KiB chunks.  Consecutive
``announce``/``withdraw route`` commands of a chunk that reach the same
neighbors in one family travel as one ``batch`` frame per group (up to
``BATCH_LIMIT`` commands), answered by one ``acks`` frame; anything else first
publishes the batch built so far, so every group sees commands in the order
printed.  Each command still has its own sequence number and gets exactly one
done/error.

The common line, ``[neighbor ...] announce|withdraw route PREFIX ...``, goes
from text to the batch's columns (``bus.batch``) with no value built for it
(``commands.route_line``: selectors and attribute text are parsed once and
cached).  Consecutive batched commands wait for their acks as one ``Pending``
run (``count`` seqs from ``seq``) rather than one entry each, and a run whose
commands all succeeded is answered with ``count`` lines at once::

    lines   1 2 3 4 5 6 7          (2: a parse error, answered at once)
    pending [1] [2:error] [3 4 5 6 7]
    frames  batch seqs=[1, 3, 4, 5, 6, 7]  ->  acks seqs=[1, 3, 4, 5, 6, 7]

Events come the other way: states and updates for the neighbors whose ``api``
blocks name this process and ask for them are written to the program's stdin
as ExaBGP JSON (or text).  Writing never blocks the bridge: lines wait in a
bounded queue; when a program stops reading and the queue is full the oldest
lines are dropped, counted and logged (ExaBGP instead stalls every peer).

If the program exits it is started again (when ``respawn``), after a back-off
that doubles while it keeps dying young.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import pwd
import signal
import socket
import time

import zmq
import zmq.asyncio

from bgpmesh import __version__, bus
from bgpmesh.api.commands import (
    CLEAR_ADJ_RIB,
    CREATE_NEIGHBOR,
    DELETE_NEIGHBOR,
    DISABLE_ACK,
    DISABLE_NEIGHBOR,
    ENABLE_ACK,
    ENABLE_NEIGHBOR,
    FLUSH_ADJ_RIB_OUT,
    RELOAD,
    RESET,
    RESTART,
    SHOW_ADJ_RIB,
    SHOW_NEIGHBOR,
    SILENCE_ACK,
    parse_command,
    route_line,
)
from bgpmesh.api.dispatch import BATCHABLE, plan
from bgpmesh.api.exabgp import (
    SUMMARY_HEADER,
    adj_rib_line,
    answer_json,
    api_wants,
    json_event,
    json_shutdown,
    neighbor_extensive,
    neighbor_summary,
    text_event,
)
from bgpmesh.api.selector import matching
from bgpmesh.errors import CommandError
from bgpmesh.route import Route
from bgpmesh.topology import NeighborRef, api_processes

log = logging.getLogger("bgpmesh.bridge")
# exabgp.log.message / exabgp.log.routes: what a process says and is told
message_log = logging.getLogger("bgpmesh.message")
routes_log = logging.getLogger("bgpmesh.routes")

# route commands that travel in ``batch`` frames (command kind -> bus op)
_BATCHED = {"announce-route": "announce", "withdraw-route": "withdraw"}


def _plain(route) -> bool:
    """A route a batch carries whole: no qualifier beyond prefix, next hop and
    the attributes of the wire format, of a family workers announce.  Others
    take the ``command`` path, where plan() answers what cannot be done."""
    return type(route) is Route and route.family in BATCHABLE and route.rd is None and \
        not route.labels and route.path_id is None and route.watchdog is None

ADMINISTRATIVE_RESET = 4  # Cease subcode (RFC 4486) a ``restart`` closes with
ACK_TIMEOUT = 10.0
READ_CHUNK = 1 << 16
LINE_LIMIT = 1 << 20
BATCH_LIMIT = 2000  # commands per batch frame
QUEUE_LIMIT = 100_000
RESPAWN_MIN = 1.0
RESPAWN_MAX = 30.0


# the pseudo group a command waits on while the supervisor answers it (reload)
SUPERVISOR = "@supervisor"


class Pending:
    """What one command, or a run of ``count`` consecutive batched commands
    (seqs ``seq`` to ``seq + count - 1``), waits for: the ``groups`` still to
    answer.  ``failed`` holds the seqs of a run a worker answered with an error."""

    __slots__ = ("seq", "groups", "ok", "error", "lines", "started", "command", "rows",
                 "count", "failed")

    def __init__(self, seq: int, groups: set[str], ok: bool = True, error: str = "",
                 lines: tuple[str, ...] = (), command=None) -> None:
        self.seq = seq
        self.count = 1
        self.failed: set[int] | None = None
        self.groups = groups
        self.ok = ok
        self.error = error
        self.lines = lines  # printed before the ack (version, shutdown...)
        self.started = time.monotonic()
        self.command = command  # a show command: its answer rows are rendered
        self.rows: list[dict] = []


class Bridge:
    def __init__(self, process, refs, neighbors, endpoints: dict, supervisor_pid: int,
                 supervisor_ppid: int = 0, *, ack: bool = True, respawn: bool = True,
                 user: str | None = None, compact: bool = False, dialect: int = 4,
                 ack_format: str = "text") -> None:
        """``ack``, ``respawn``: ExaBGP's exabgp.api.ack and exabgp.api.respawn
        (false beats the process's own ``respawn``); ``user``: run the program
        as this user when we are root (exabgp.daemon.user); ``compact``:
        exabgp.api.compact, bare prefixes in JSON announce/withdraw lists;
        ``dialect``: bgpmesh.api.dialect, 5 for ExaBGP 5.0's JSON;
        ``ack_format``: bgpmesh.api.ack-format, "json" for 5.0's JSON acks."""
        self.ack_json = ack_format == "json"
        self.compact = compact
        self.dialect = dialect
        self.process = process
        self.endpoints = endpoints
        self.supervisor_pid = supervisor_pid
        self.supervisor_ppid = supervisor_ppid
        self.publisher = f"process-{process.name}-{os.getpid()}"
        self.refs = list(refs)
        self.candidates = [r for r in refs if process.name in r.processes]
        # what each neighbor's api blocks ask this process to receive
        self.wants: dict[str, set[str]] = {}
        for ref, neighbor in zip(refs, neighbors, strict=True):
            wants: set[str] = set()
            for api in neighbor.apis:
                if process.name in api_processes(api, (process.name,)):
                    wants.update(api_wants(api))
            if wants:
                self.wants[ref.name] = wants
        # acknowledgements: on unless exabgp.api.ack=false; 5.0's enable-ack,
        # disable-ack and silence-ack switch them; ``silent`` holds the seqs
        # whose done/error is not written
        self.ack = ack
        self.silent: set[int] = set()
        self.respawn = respawn  # and the process's own ``respawn``
        self.user = user
        self.seq = 0
        self.pending: collections.OrderedDict[int, Pending] = collections.OrderedDict()
        # lines for the program; (line, count) is count copies (write_many)
        self.out: collections.deque[str | tuple[str, int]] = collections.deque()
        self.out_ready: asyncio.Event | None = None
        self.dropped = 0
        self.counters: dict[str, int] = {}
        self.host = socket.gethostname()
        self.child: asyncio.subprocess.Process | None = None
        self.stopping = False
        self.skipping = False
        # the batch being built (see handle_lines and bus.batch): op, family,
        # neighbors per group, the seqs and the routes' columns
        self.batch_op: str | None = None
        self.batch_family = None
        self.batch_targets: dict[str, list[str]] = {}
        self.batch_seqs: list[int] = []
        self.batch_prefixes: list[str] = []
        self.batch_hops: list = []
        self.batch_index: list[int] = []
        self.batch_counts: list[int] | None = None  # None while each command is one route
        self.batch_attributes: list[list] = []  # each attribute set once per batch
        self.batch_table: dict = {}  # id(Attributes) -> (index in batch_attributes, it)
        self.open_run: Pending | None = None  # the pending run batched lines extend
        self.targets_cache: dict[tuple, dict[str, list[str]]] = {}

    def run(self) -> int:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return loop.run_until_complete(self.main())
        finally:
            loop.close()

    async def main(self) -> int:
        loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        self.out_ready = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, self.stop_event.set)
        self.ctx = zmq.asyncio.Context()
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.SNDHWM, 0)
        self.pub.connect(self.endpoints["command_in"])
        self.sub = self.event_socket(self.ctx)
        self.sub.connect(self.endpoints["event_out"])
        await handshake(self.pub, self.sub, self.publisher, bridge=self.process.name,
                        sync=True)
        self.sub.setsockopt(zmq.UNSUBSCRIBE, bus.sync_topic(self.publisher))
        tasks = [loop.create_task(self.events()), loop.create_task(self.supervise()),
                 loop.create_task(self.expire_acks())]
        await self.stop_event.wait()
        self.stopping = True
        for task in tasks:
            task.cancel()
        await self.terminate_child()
        self.pub.close(linger=200)
        self.sub.close(0)
        self.ctx.term()
        return 0

    def event_socket(self, ctx):
        """Our SUB on the event bus, subscribed (not yet connected)."""
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.RCVHWM, 0)
        # A SUB sends its subscriptions to the XPUB as messages under its send
        # high-water mark (1000 by default): beyond it they are dropped without
        # a word, and 500 neighbors need 1000 event topics.
        sub.setsockopt(zmq.SNDHWM, 0)
        sub.setsockopt(zmq.SUBSCRIBE, bus.ack_topic(self.publisher))
        sub.setsockopt(zmq.SUBSCRIBE, bus.sync_topic(self.publisher))
        sub.setsockopt(zmq.SUBSCRIBE, bus.system_topic("topology"))
        # every neighbor's state events (few; on_event filters them): a
        # neighbor a reload adds may come up before its own subscription lands
        sub.setsockopt(zmq.SUBSCRIBE, b"ev/state/")
        for name in self.wants:
            for kind in self.wants[name]:
                sub.setsockopt(zmq.SUBSCRIBE, bus.event_topic(kind, name))
        return sub

    # -- the program -----------------------------------------------------

    async def supervise(self) -> None:
        backoff = RESPAWN_MIN
        while not self.stopping:
            started = time.monotonic()
            try:
                self.child = await asyncio.create_subprocess_exec(
                    *self.process.run, stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE, start_new_session=True,
                    limit=1 << 20, **self.credentials())
            except OSError as exc:
                log.error("cannot run %s: %s", " ".join(self.process.run), exc)
                self.child = None
            else:
                log.info("running %s (pid %d)", " ".join(self.process.run), self.child.pid)
                writer = asyncio.get_running_loop().create_task(self.write_stdin(self.child))
                try:
                    await self.read_stdout(self.child)
                    code = await self.child.wait()
                finally:
                    writer.cancel()
                log.warning("process %s exited with code %s", self.process.name, code)
                self.child = None
                self.out.clear()
                # acks still owed to the dead program have no reader
                self.pending.clear()
                self.open_run = None
                self.silent.clear()
            if not (self.respawn and self.process.respawn):
                log.warning("process %s is not respawned (respawn false)", self.process.name)
                return
            if time.monotonic() - started > 60:
                backoff = RESPAWN_MIN
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RESPAWN_MAX)

    async def read_stdout(self, child) -> None:
        """Read the program's output in large chunks and handle every whole line
        of a chunk before the next read, so consecutive route commands fold
        into one bus frame per worker group (see ``handle_lines``)."""
        rest = b""
        self.skipping = False
        while True:
            chunk = await child.stdout.read(READ_CHUNK)
            if not chunk:
                if rest.strip() and not self.skipping:
                    self.handle_lines([rest.decode("utf-8", errors="replace")])
                self.flush_batch()
                return
            data = rest + chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                if len(rest) > LINE_LIMIT:
                    log.error("process %s printed an over-long line; dropped",
                              self.process.name)
                    rest = b""
                    self.skipping = True
                continue
            lines = data[:cut].decode("utf-8", errors="replace").split("\n")
            rest = data[cut + 1:]
            if self.skipping:  # the tail of an over-long line
                lines = lines[1:]
                self.skipping = False
            self.handle_lines(lines)

    async def write_stdin(self, child) -> None:
        try:
            while True:
                while not self.out:
                    self.out_ready.clear()
                    await self.out_ready.wait()
                chunk = []
                lines = 0
                while self.out and lines < 1000:
                    item = self.out.popleft()
                    if type(item) is tuple:  # a run's answers (write_many)
                        chunk.append((item[0] + "\n") * item[1])
                        lines += item[1]
                    else:
                        chunk.append(item + "\n")
                        lines += 1
                child.stdin.write("".join(chunk).encode())
                await child.stdin.drain()
        except (ConnectionError, BrokenPipeError):
            return

    def write(self, line: str | tuple[str, int]) -> None:
        if len(self.out) >= QUEUE_LIMIT:
            lost = self.out.popleft()
            before = self.dropped
            self.dropped += lost[1] if type(lost) is tuple else 1
            if before in (0, 9, 99) or before // 1000 != self.dropped // 1000:
                log.warning("process %s is not reading its input: %d line(s) dropped",
                            self.process.name, self.dropped)
        self.out.append(line)
        self.out_ready.set()

    def write_many(self, line: str, count: int) -> None:
        """``count`` copies of ``line`` (the answers of a run), queued as one
        entry: the queue bounds memory, and a run costs one entry however
        long, so a bulk producer that reads its acks a little late loses none."""
        self.write((line, count))

    async def terminate_child(self) -> None:
        child = self.child
        if child is None:
            return
        if self.process.encoder == "json":
            line = json_shutdown(time=time.time(), host=self.host, pid=self.supervisor_pid,
                                 ppid=self.supervisor_ppid)
        else:
            line = f"shutdown {self.supervisor_pid} {self.supervisor_ppid}"
        try:
            child.stdin.write((line + "\n").encode())
            await asyncio.wait_for(child.stdin.drain(), 0.5)
            child.stdin.close()
        except (TimeoutError, OSError):
            pass
        try:
            await asyncio.wait_for(child.wait(), 1.0)
            return
        except TimeoutError:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                child.send_signal(sig)
                await asyncio.wait_for(child.wait(), 1.0)
                return
            except ProcessLookupError:
                return
            except TimeoutError:
                continue

    # -- commands --------------------------------------------------------

    def handle_lines(self, lines: list[str]) -> None:
        """Handle whole lines; the common route line goes straight into the
        batch (see the module docstring), anything else to ``handle_line``."""
        fast = route_line
        debug = message_log.isEnabledFor(logging.DEBUG)
        for line in lines:
            line = line.strip()
            if not line:
                continue
            if debug or not self.ack:
                self.handle_line(line)
                continue
            found = fast(line)
            if found is None:
                self.handle_line(line)
                continue
            withdraw, selectors, family, prefix, next_hop, attributes = found
            targets = self.targets(selectors, family)
            if not targets:
                self.handle_line(line)  # plan() words the error as for any command
                continue
            self.seq += 1
            op = "withdraw" if withdraw else "announce"
            if op != self.batch_op or family is not self.batch_family or \
                    targets is not self.batch_targets and targets != self.batch_targets or \
                    len(self.batch_seqs) >= BATCH_LIMIT:
                self.start_batch(op, family, targets)
            self.batch_seqs.append(self.seq)
            self.batch_prefixes.append(prefix)
            if not withdraw:
                self.batch_hops.append(next_hop)
                # by id: the table holds the object, so its id is not reused
                slot = self.batch_table.get(id(attributes))
                if slot is None:
                    slot = self.batch_table[id(attributes)] = (len(self.batch_attributes),
                                                               attributes)
                    self.batch_attributes.append(bus.attributes_to_wire(attributes))
                self.batch_index.append(slot[0])
            if self.batch_counts is not None:
                self.batch_counts.append(1)
            self.extend_run(targets)
        self.flush_batch()

    def targets(self, selectors: tuple, family=None) -> dict[str, list[str]]:
        """Group -> names of the neighbors ``selectors`` match, and whose
        family block lists ``family`` when given (as ``dispatch.plan``
        filters them; empty when none does, so that plan() words the error).
        Cached: the candidates change only with the topology."""
        key = (selectors, family)
        found = self.targets_cache.get(key)
        if found is None:
            found = {}
            text = str(family)
            for ref in matching(selectors, self.candidates):
                if family is None or not ref.families or text in ref.families:
                    found.setdefault(ref.group, []).append(ref.name)
            if len(self.targets_cache) < 1024:
                self.targets_cache[key] = found
        return found

    def start_batch(self, op: str, family, targets: dict[str, list[str]]) -> None:
        self.flush_batch()
        self.batch_op = op
        self.batch_family = family
        self.batch_targets = targets

    def extend_run(self, targets: dict[str, list[str]]) -> None:
        """The command just added to the batch (seq ``self.seq``) joins the
        pending run, or starts one."""
        run = self.open_run
        if run is not None:
            run.count += 1
        else:
            run = self.open_run = Pending(self.seq, set(targets))
            self.pending[self.seq] = run

    def flush_batch(self) -> None:
        """Publish the batch being built: one frame per group, in order with
        everything else this bridge publishes."""
        self.open_run = None
        if not self.batch_seqs:
            return
        family = self.batch_family
        for group, names in self.batch_targets.items():
            self.pub.send_multipart(bus.batch(
                bus.worker_topic(group), self.publisher, self.batch_seqs, self.batch_op, names,
                (family.afi, family.safi), self.batch_prefixes, self.batch_hops,
                self.batch_index, self.batch_attributes, self.batch_counts))
        self.batch_op = None
        self.batch_family = None
        self.batch_targets = {}
        self.batch_seqs = []
        self.batch_prefixes = []
        self.batch_hops = []
        self.batch_index = []
        self.batch_counts = None
        self.batch_attributes = []
        self.batch_table = {}

    def add_to_batch(self, seq: int, op: str, routes, targets: dict[str, list[str]]) -> None:
        """A parsed command's routes into the batch (one family per batch)."""
        family = routes[0].family
        if op != self.batch_op or family != self.batch_family or \
                targets is not self.batch_targets and targets != self.batch_targets or \
                len(self.batch_seqs) >= BATCH_LIMIT:
            self.start_batch(op, family, targets)
        if len(routes) != 1 and self.batch_counts is None:
            self.batch_counts = [1] * len(self.batch_seqs)
        table = self.batch_table
        for route in routes:
            self.batch_prefixes.append(route.prefix)
            if op == "announce":
                attributes = route.attributes
                slot = table.get(id(attributes))
                if slot is None:
                    slot = table[id(attributes)] = (len(self.batch_attributes), attributes)
                    self.batch_attributes.append(bus.attributes_to_wire(attributes))
                self.batch_hops.append(route.next_hop)
                self.batch_index.append(slot[0])
        self.batch_seqs.append(seq)
        if self.batch_counts is not None:
            self.batch_counts.append(len(routes))
        self.extend_run(targets)

    def handle_line(self, line: str) -> None:
        if not line:
            return
        self.seq += 1
        seq = self.seq
        if not self.ack:
            self.silent.add(seq)
        if message_log.isEnabledFor(logging.DEBUG):
            message_log.debug("process %s: command %d: %s", self.process.name, seq, line)
        try:
            command = parse_command(line)
        except CommandError as exc:
            self.open_run = None  # it is answered between the batched commands around it
            log.warning("process %s: %r: %s (column %d)", self.process.name, line, exc.message,
                        exc.column)
            self.settle(Pending(seq, set(), ok=False, error=exc.message))
            return
        op = _BATCHED.get(command.kind)
        if op is not None and command.routes and all(map(_plain, command.routes)) and \
                len({route.family for route in command.routes}) == 1:
            targets = self.targets(command.selectors, command.routes[0].family)
            if targets:
                self.add_to_batch(seq, op, command.routes, targets)
                return
            # no neighbor matches: plan() words the error as for any command
        # anything else is published after the batch so far, keeping the order
        self.flush_batch()
        if command.kind == "comment":
            log.info("process %s says: %s", self.process.name, command.text)
            self.settle(Pending(seq, set()))
            return
        if command.kind == "version":
            self.settle(Pending(seq, set(), lines=(f"bgpmesh {__version__}",)))
            return
        if command.kind == "help":
            self.settle(Pending(seq, set(), lines=(
                "announce route | withdraw route | announce attributes ... nlri ... | "
                "announce eor | announce route-refresh | teardown | version | shutdown",)))
            return
        if command.kind == "shutdown":
            self.pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "control",
                                             id=[self.publisher, seq], op="shutdown"))
            self.settle(Pending(seq, set(), lines=("shutdown in progress",)))
            return
        if command.kind in _LOCAL:
            _LOCAL[command.kind](self, command, seq)
            return
        p = plan(command, self.candidates, self.publisher, seq)
        if p.local:
            self.settle(Pending(seq, set(), ok=False, error=f"{command.kind} is not supported"))
            return
        if p.error:
            log.warning("process %s: %r: %s", self.process.name, line, p.error)
            self.settle(Pending(seq, set(), ok=False, error=p.error))
            return
        self.pending[seq] = Pending(seq, p.groups)
        for frames in p.frames:
            self.pub.send_multipart(frames)

    def settle(self, entry: Pending) -> None:
        self.pending[entry.seq] = entry
        self.flush_acks()

    def flush_acks(self) -> None:
        while self.pending:
            seq, head = next(iter(self.pending.items()))
            if head.groups:
                return
            del self.pending[seq]
            if head is self.open_run:
                self.open_run = None
            if head.count > 1:
                self.answer_run(head)
                continue
            for line in head.lines:
                self.write(line)
            if self.silent and seq in self.silent:
                self.silent.discard(seq)
                continue
            if self.ack_json:
                self.write(answer_json(head.ok, head.error))
            else:
                self.write("done" if head.ok else "error")

    def answer_run(self, run: Pending) -> None:
        first, count = run.seq, run.count
        if run.ok and not run.failed and not self.silent:
            self.write_many(answer_json(True, "") if self.ack_json else "done", count)
            return
        for seq in range(first, first + count):
            if self.silent and seq in self.silent:
                self.silent.discard(seq)
                continue
            ok = run.ok and not (run.failed and seq in run.failed)
            if self.ack_json:
                self.write(answer_json(ok, ""))
            else:
                self.write("done" if ok else "error")

    # -- commands answered here, by the supervisor or by queries ----------

    def credentials(self) -> dict:
        """create_subprocess_exec arguments that run the program as
        exabgp.daemon.user when we are root; OSError if there is no such user."""
        if not self.user or os.geteuid() != 0:
            return {}
        try:
            entry = pwd.getpwnam(self.user)
        except KeyError:
            raise OSError(f"no user {self.user!r} (exabgp.daemon.user)") from None
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def cmd_reload(self, command, seq: int) -> None:
        self.pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "control",
                                         id=[self.publisher, seq], op="reload"))
        self.pending[seq] = Pending(seq, {SUPERVISOR})

    def cmd_restart(self, command, seq: int) -> None:
        """ExaBGP's ``restart``: reload the configuration, then restart every
        session.  Here: the supervisor's ``reload`` control op, and once it
        answers (see ``on_reply``) a ``teardown`` (Cease, Administrative
        Reset) of every neighbor, which reconnects after its back-off."""
        self.pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "control",
                                         id=[self.publisher, seq], op="reload"))
        self.pending[seq] = Pending(seq, {SUPERVISOR}, command=command)

    def cmd_neighbor(self, command, seq: int) -> None:
        """create neighbor / delete neighbor / neighbor X enable|disable: the
        supervisor's ``control`` op; done or error from its ``reply``."""
        op, field = _NEIGHBOR_OPS[command.kind]
        self.pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "control",
                                         id=[self.publisher, seq], op=op,
                                         **{field: command.text}))
        self.pending[seq] = Pending(seq, {SUPERVISOR}, command=command)

    def restart_sessions(self, entry: Pending) -> None:
        by_group: dict[str, list[str]] = {}
        for ref in self.refs:
            by_group.setdefault(ref.group, []).append(ref.name)
        entry.command = None
        entry.groups = set(by_group)
        entry.started = time.monotonic()
        for group, names in by_group.items():
            self.pub.send_multipart(bus.pack(
                bus.worker_topic(group), "command", id=[self.publisher, entry.seq],
                op="teardown", neighbors=names, routes=[], family=None,
                arg=ADMINISTRATIVE_RESET, text=""))
        log.info("process %s: restart: closing %d session(s)", self.process.name,
                 sum(map(len, by_group.values())))

    def cmd_reset(self, command, seq: int) -> None:
        # ExaBGP drops the commands it still has queued; we queue none
        self.settle(Pending(seq, set()))

    def cmd_ack(self, command, seq: int) -> None:
        """5.0: enable-ack answers done; disable-ack answers done, then no
        more; silence-ack stops at once, its own answer included."""
        if command.kind == ENABLE_ACK:
            self.ack = True
            self.silent.discard(seq)
        elif command.kind == DISABLE_ACK:
            self.ack = False
        else:
            self.ack = False
            self.silent.add(seq)
        self.settle(Pending(seq, set()))

    def cmd_query(self, command, seq: int) -> None:
        """show neighbor / adj-rib, flush and clear adj-rib: a ``query`` to
        each group owning a matched neighbor, the answers rendered here."""
        kind = command.kind
        show = kind in (SHOW_NEIGHBOR, SHOW_ADJ_RIB)
        if kind == SHOW_NEIGHBOR and not command.options:
            self.settle(Pending(seq, set(), lines=(
                "please specify summary, extensive or configuration",
                "you can filter by peer ip address adding it after the word neighbor")))
            return
        side = "in" if command.text == "in" else "out"
        if kind == SHOW_NEIGHBOR:
            op = "show-neighbor"
        elif kind == SHOW_ADJ_RIB:
            op = f"show-adj-rib-{side}"
        elif kind == FLUSH_ADJ_RIB_OUT:
            op = "flush-adj-rib-out"
        else:
            op = f"clear-adj-rib-{side}"
        # show and clear reach every neighbor (as ExaBGP); flush, this
        # process's own
        pool = self.candidates if kind == FLUSH_ADJ_RIB_OUT else self.refs
        by_group: dict[str, list[str]] = {}
        for ref in matching(command.selectors, pool):
            by_group.setdefault(ref.group, []).append(ref.name)
        entry = Pending(seq, set(by_group), command=command if show else None)
        if not by_group:
            if not show:
                entry.ok = False
            else:
                entry.lines = self.render(entry)
            self.settle(entry)
            return
        self.pending[seq] = entry
        for group, names in by_group.items():
            self.pub.send_multipart(bus.query(bus.worker_topic(group), self.publisher, seq, op,
                                              names, command.options))

    def render(self, entry: Pending) -> tuple[str, ...]:
        command = entry.command
        options = command.options
        rows = sorted(entry.rows, key=lambda r: r["peer-address"])
        if "json" in options:
            return (json.dumps(rows, separators=(", ", ": ")),)
        if command.kind == SHOW_ADJ_RIB:
            extensive = "extensive" in options
            return tuple(adj_rib_line(r, route, extensive) for r in rows for route in r["routes"])
        if "summary" in options:
            return (SUMMARY_HEADER, *(neighbor_summary(r) for r in rows
                                      if r["state"] == "ESTABLISHED"))
        if "configuration" in options:
            return tuple(line for r in rows for line in r["configuration"])
        return tuple(line for r in rows for line in neighbor_extensive(r))

    def on_answer(self, msg: dict) -> None:
        entry = self.pending.get(msg["id"][1])
        if entry is None or msg["group"] not in entry.groups:
            return
        entry.groups.discard(msg["group"])
        entry.rows.extend(msg["rows"])
        if not msg["ok"]:
            log.warning("process %s: worker %s: %s", self.process.name, msg["group"],
                        msg["error"])
            entry.ok = False
        if not entry.groups and entry.command is not None:
            entry.lines = self.render(entry)
        self.flush_acks()

    def on_reply(self, msg: dict) -> None:
        entry = self.pending.get(msg["id"][1])
        if entry is None or SUPERVISOR not in entry.groups:
            return
        entry.groups.discard(SUPERVISOR)
        if entry.command is not None and entry.command.kind in _NEIGHBOR_OPS:
            op = _NEIGHBOR_OPS[entry.command.kind][0]
            entry.command = None
            if not msg["ok"]:
                log.warning("process %s: %s refused: %s", self.process.name, op,
                            (msg.get("data") or {}).get("error", ""))
                entry.ok = False
            self.flush_acks()
            return
        restart = entry.command is not None and entry.command.kind == RESTART
        if msg["ok"]:
            entry.lines = ("restart in progress",) if restart else ("reload in progress",)
            if restart:
                self.restart_sessions(entry)
        else:
            log.warning("process %s: %s refused: %s", self.process.name,
                        "restart" if restart else "reload",
                        (msg.get("data") or {}).get("error", ""))
            entry.ok = False
        self.flush_acks()

    def on_topology(self, msg: dict) -> None:
        """A reload changed the neighbors: new candidates for our commands,
        new subscriptions for our events."""
        self.flush_batch()
        self.refs = [NeighborRef.from_dict(r) for r in msg["neighbors"]]
        self.candidates = [r for r in self.refs if self.process.name in r.processes]
        self.targets_cache.clear()
        wants = {name: set(kinds)
                 for name, kinds in msg["wants"].get(self.process.name, {}).items()}
        old = {(kind, name) for name, kinds in self.wants.items() for kind in kinds}
        new = {(kind, name) for name, kinds in wants.items() for kind in kinds}
        for kind, name in old - new:
            self.sub.setsockopt(zmq.UNSUBSCRIBE, bus.event_topic(kind, name))
        for kind, name in new - old:
            self.sub.setsockopt(zmq.SUBSCRIBE, bus.event_topic(kind, name))
        self.wants = wants
        for name in set(self.counters) - set(wants):
            del self.counters[name]
        log.info("process %s: %d neighbor(s) after a reload", self.process.name,
                 len(self.candidates))

    async def expire_acks(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for entry in self.pending.values():
                if entry.groups and now - entry.started > ACK_TIMEOUT:
                    log.error("process %s: no answer from worker(s) %s for command %d",
                              self.process.name, ", ".join(sorted(entry.groups)), entry.seq)
                    entry.groups = set()
                    entry.ok = False
            self.flush_acks()

    # -- events ----------------------------------------------------------

    async def events(self) -> None:
        while True:
            frames = await self.sub.recv_multipart()
            try:
                _topic, msg = bus.unpack(frames)
            except bus.FrameError as exc:
                log.warning("dropped a frame on the event bus: %s", exc)
                continue
            kind = msg["kind"]
            if kind == "acks":
                self.on_acks(msg)
            elif kind == "ack":
                entry = self.pending.get(msg["id"][1])
                if entry is not None:
                    entry.groups.discard(msg["group"])
                    if not msg["ok"]:
                        entry.ok = False
                    self.flush_acks()
            elif kind == "event":
                self.on_event(msg)
            elif kind == "answer":
                self.on_answer(msg)
            elif kind == "reply":
                self.on_reply(msg)
            elif kind == "topology":
                self.on_topology(msg)

    def on_acks(self, msg: dict) -> None:
        """The acks of a batch: its seqs are whole runs (a run never spans two
        batches), each found by its first seq."""
        group = msg["group"]
        errors = msg["errors"]
        pending = self.pending
        seqs = msg["seqs"]
        i, end = 0, len(seqs)
        while i < end:
            seq = seqs[i]
            entry = pending.get(seq)
            if entry is None:
                i += 1
                continue
            entry.groups.discard(group)
            if errors:
                if entry.count == 1:
                    if seq in errors:
                        entry.ok = False
                else:
                    failed = [s for s in seqs[i:i + entry.count] if s in errors]
                    if failed:
                        entry.failed = (entry.failed or set()).union(failed)
            i += entry.count
        self.flush_acks()

    def on_event(self, msg: dict) -> None:
        name = msg["name"]
        kind = msg["type"]
        if kind not in self.wants.get(name, ()):
            return
        if routes_log.isEnabledFor(logging.DEBUG) and kind in ("update", "send-update"):
            routes_log.debug("neighbor %s: %s event to process %s", name, kind,
                             self.process.name)
        if self.process.encoder == "json":
            counter = self.counters[name] = self.counters.get(name, 0) + 1
            self.write(json_event(kind, msg["neighbor"], msg["body"], counter=counter,
                                  time=time.time(), host=self.host, pid=self.supervisor_pid,
                                  ppid=self.supervisor_ppid, compact=self.compact,
                                  dialect=self.dialect))
        else:
            for line in text_event(kind, msg["neighbor"], msg["body"]):
                self.write(line)


# text API kinds answered by the supervisor: (control op, field of the text)
_NEIGHBOR_OPS = {CREATE_NEIGHBOR: ("neighbor-create", "text"),
                 DELETE_NEIGHBOR: ("neighbor-delete", "neighbor"),
                 ENABLE_NEIGHBOR: ("neighbor-enable", "neighbor"),
                 DISABLE_NEIGHBOR: ("neighbor-disable", "neighbor")}

_LOCAL = {
    CREATE_NEIGHBOR: Bridge.cmd_neighbor,
    DELETE_NEIGHBOR: Bridge.cmd_neighbor,
    ENABLE_NEIGHBOR: Bridge.cmd_neighbor,
    DISABLE_NEIGHBOR: Bridge.cmd_neighbor,
    RELOAD: Bridge.cmd_reload,
    RESTART: Bridge.cmd_restart,
    RESET: Bridge.cmd_reset,
    ENABLE_ACK: Bridge.cmd_ack,
    DISABLE_ACK: Bridge.cmd_ack,
    SILENCE_ACK: Bridge.cmd_ack,
    SHOW_NEIGHBOR: Bridge.cmd_query,
    SHOW_ADJ_RIB: Bridge.cmd_query,
    FLUSH_ADJ_RIB_OUT: Bridge.cmd_query,
    CLEAR_ADJ_RIB: Bridge.cmd_query,
}


async def handshake(pub, sub, publisher: str, timeout: float | None = None,
                    **extra) -> None:
    """Ping the supervisor until it answers: then our PUB is connected and
    subscribed (PUB drops what it sends before that) and our SUB hears acks.
    With ``sync=True`` the answer comes on ``bus.sync_topic``, which the
    caller subscribed to with the rest: a SUB sends the subscriptions it
    holds when it connects in byte order, and that topic sorts last, so
    when its answer arrives every subscription is in place."""
    seq = 0
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        seq -= 1
        await pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "ping", id=[publisher, seq],
                                          **extra))
        if await sub.poll(100):
            frames = await sub.recv_multipart()
            try:
                _, msg = bus.unpack(frames)
            except bus.FrameError:
                continue
            if msg["kind"] == "ack" and msg["id"][0] == publisher:
                # answers to earlier pings may follow; ack handlers ignore
                # them (ping ids are negative).  "heard" tells the
                # supervisor that our subscriptions are in place: only then
                # may sessions start without a script missing their first
                # events (the first ping proves only our PUB's direction).
                await pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "ping",
                                                  id=[publisher, seq - 1], heard=True, **extra))
                return
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError("the supervisor does not answer on the bus")
