"""A bus client for the CLI: ``bgpmesh send``, ``watch``, ``status``, ``reload``.

It reaches a supervisor either through its run folder (``topology.json``
names the ipc endpoints and the neighbors) or, from another host, through a
``tcp://`` endpoint secured with CurveZMQ (then the neighbor map is asked
for over the bus).  It handshakes before it publishes (a PUB socket drops
what it sends before its peer has subscribed), and for a command waits for
one ack from each worker group the command reached.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import zmq

from bgpmesh import bus, topology
from bgpmesh.api.commands import parse_command
from bgpmesh.api.dispatch import plan
from bgpmesh.api.exabgp import json_event
from bgpmesh.family import Family
from bgpmesh.route import Attributes


class ClientError(Exception):
    pass


@dataclass(frozen=True)
class Target:
    """Where the supervisor is: a run folder, or a remote CurveZMQ endpoint."""

    run_dir: str | None = None
    endpoint: str | None = None  # tcp://HOST:PORT (commands; events on PORT+1)
    server_key: str | None = None  # the supervisor's public .key file
    client_key: str | None = None  # our .key_secret file


def default_run_dir() -> str:
    env = os.environ.get("BGPMESH_RUN_DIR")
    if env:
        return env
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        return os.path.join(base, "bgpmesh")
    return f"/tmp/bgpmesh-{os.getuid()}"


def _target(target: Target | str) -> Target:
    return Target(run_dir=target) if isinstance(target, str) else target


def _load(run_dir: str):
    path = os.path.join(run_dir, "topology.json")
    try:
        with open(path) as f:
            return topology.loads(f.read())
    except FileNotFoundError:
        raise ClientError(f"no bgpmesh runs with run folder {run_dir} "
                          f"({path} is missing)") from None


class _Connection:
    """A PUB to the command bus and a SUB to the event bus, handshaken."""

    def __init__(self, target: Target, timeout: float, subscribe: tuple[bytes, ...] = ()) -> None:
        self.publisher = f"cli-{os.uname().nodename}-{os.getpid()}"
        self.ctx = zmq.Context()
        self.pub = self.ctx.socket(zmq.PUB)
        self.sub = self.ctx.socket(zmq.SUB)
        try:
            if target.endpoint:
                from bgpmesh.supervisor.remote import (
                    BusSecurityError,
                    load_public,
                    load_secret,
                    split_endpoint,
                )

                try:
                    commands, events = split_endpoint(target.endpoint)
                    if not target.server_key or not target.client_key:
                        raise BusSecurityError("a tcp:// bus needs --server-key (the "
                                               "supervisor's .key) and --client-key (your "
                                               ".key_secret)")
                    server = load_public(target.server_key)
                    public, secret = load_secret(target.client_key)
                except BusSecurityError as exc:
                    raise ClientError(str(exc)) from None
                for sock in (self.pub, self.sub):
                    sock.curve_serverkey = server
                    sock.curve_publickey = public
                    sock.curve_secretkey = secret
                self.meta = {"endpoints": {"command_in": commands, "event_out": events}}
                self.refs = None
            else:
                self.refs, self.meta = _load(target.run_dir)
            for topic in subscribe:
                self.sub.setsockopt(zmq.SUBSCRIBE, topic)
            self.pub.connect(self.meta["endpoints"]["command_in"])
            self.sub.connect(self.meta["endpoints"]["event_out"])
            # the ack topic last, after connect: the first ack then proves
            # every subscription above reached the supervisor (one pipe, in order)
            self.sub.setsockopt(zmq.SUBSCRIBE, bus.ack_topic(self.publisher))
            self.handshake(timeout)
            if self.refs is None:
                data = self.request("topology", timeout)["data"]
                self.refs, _ = topology.loads(data)
        except BaseException:
            self.close()
            raise

    def handshake(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        seq = 0
        while time.monotonic() < deadline:
            seq -= 1
            self.pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "ping",
                                             id=[self.publisher, seq]))
            if self.sub.poll(100):
                _, msg = bus.unpack(self.sub.recv_multipart())
                if msg["kind"] == "ack" and msg["id"][0] == self.publisher:
                    return
        raise ClientError("the supervisor does not answer on the bus")

    def request(self, kind: str, timeout: float, seq: int = 1, keep: list | None = None,
                **fields) -> dict:
        """Ask the supervisor; its ``reply``.  Other frames received meanwhile
        are appended to ``keep`` as (topic, msg) when it is given."""
        self.pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, kind,
                                         id=[self.publisher, seq], **fields))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.sub.poll(100):
                continue
            try:
                topic, msg = bus.unpack(self.sub.recv_multipart())
            except bus.FrameError:
                continue
            if msg["kind"] == "reply" and msg["id"] == [self.publisher, seq]:
                return msg
            if keep is not None:
                keep.append((topic, msg))
        raise ClientError(f"the supervisor did not answer {kind!r}")

    def close(self) -> None:
        self.pub.close(linger=1000)
        self.sub.close(0)
        self.ctx.term()


# text API kinds answered by a supervisor ``control`` op (create neighbor ...)
_CONTROL = {"create-neighbor": ("neighbor-create", "text"),
            "delete-neighbor": ("neighbor-delete", "neighbor"),
            "enable-neighbor": ("neighbor-enable", "neighbor"),
            "disable-neighbor": ("neighbor-disable", "neighbor")}


def _with_wire(frames: list[bytes]) -> list[bytes]:
    """The same command or batch, asking its workers for ``wire`` acks too."""
    topic, msg = bus.unpack(frames)
    kind = msg.pop("kind")
    msg.pop("v", None)
    msg["wire"] = True
    return bus.pack(topic, kind, **msg)


def send(target: Target | str, line: str, timeout: float = 10.0,
         wire: bool = False) -> tuple[bool, str]:
    """Publish one text command; (ok, message).

    With ``wire`` it returns once the UPDATEs were also written to every
    matched established neighbor (the workers' ``wire`` acks)."""
    command = parse_command(line)  # CommandError propagates to the caller
    conn = _Connection(_target(target), timeout)
    try:
        if command.kind == "shutdown":
            conn.pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "control",
                                             id=[conn.publisher, 2], op="shutdown"))
            return True, "shutdown in progress"
        if command.kind in ("comment", "version", "help"):
            return True, ""
        if command.kind in _CONTROL:
            op, field = _CONTROL[command.kind]
            reply = conn.request("control", timeout, seq=2, op=op, **{field: command.text})
            data = reply.get("data") or {}
            if not reply["ok"]:
                return False, data.get("error", "")
            return True, f"{op}: {data.get('neighbor', '')}"
        p = plan(command, conn.refs, conn.publisher, 2)
        if p.local:
            return False, f"{command.kind} is not supported"
        if p.error:
            return False, p.error
        for frames in p.frames:
            conn.pub.send_multipart(_with_wire(frames) if wire else frames)
        waiting, ok, errors = set(p.groups), True, []
        on_wire = set(p.groups) if wire else set()
        deadline = time.monotonic() + timeout
        while (waiting or on_wire) and time.monotonic() < deadline:
            if not conn.sub.poll(100):
                continue
            _, msg = bus.unpack(conn.sub.recv_multipart())
            if msg["kind"] == "wire" and msg["publisher"] == conn.publisher \
                    and 2 in msg["seqs"]:
                on_wire.discard(msg["group"])
                continue
            if msg["kind"] != "ack" or msg["id"] != [conn.publisher, 2]:
                continue
            waiting.discard(msg["group"])
            if not msg["ok"]:
                ok = False
                errors.append(msg["error"])
                on_wire.discard(msg["group"])
        if waiting:
            return False, "no answer from worker(s) " + ", ".join(sorted(waiting))
        if on_wire:
            return False, "not on the wire yet for worker(s) " + ", ".join(sorted(on_wire))
        return ok, "; ".join(errors)
    finally:
        conn.close()


BULK_CHUNK = 5000  # routes per batch frame from send_routes


def send_routes(target: Target | str, family: Family, prefixes: list[str], next_hop: str,
                attributes: Attributes, *, withdraw: bool = False,
                neighbors: list[str] | None = None, timeout: float = 60.0,
                chunk: int = BULK_CHUNK) -> tuple[int, list[str]]:
    """Announce (or withdraw) many routes of one family straight onto the bus.

    The routes go out as ``batch`` frames of ``chunk`` routes each, as the
    pipe bridge sends a script's route lines, to every neighbor configured
    for ``family`` (or to the ``neighbors`` named); each frame is one command
    for the acks.  Returns (routes acknowledged, summed over the worker
    groups reached; the errors workers reported, each naming its route).  ClientError if no neighbor takes the family or an
    answer does not come within ``timeout``."""
    conn = _Connection(_target(target), timeout)
    try:
        text = str(family)
        groups: dict[str, list[str]] = {}
        for ref in conn.refs:
            if neighbors is not None and ref.name not in neighbors:
                continue
            if ref.families and text not in ref.families:
                continue
            groups.setdefault(ref.group, []).append(ref.name)
        if not groups:
            raise ClientError(f"no neighbor is configured for {text}")
        op = "withdraw" if withdraw else "announce"
        table = [bus.attributes_to_wire(attributes)]
        waiting: dict[tuple[str, int], int] = {}
        seq = 1
        for start in range(0, len(prefixes), chunk):
            part = list(prefixes[start : start + chunk])
            seq += 1
            for group, names in groups.items():
                conn.pub.send_multipart(bus.batch(
                    bus.worker_topic(group), conn.publisher, [seq], op, names,
                    (family.afi, family.safi), part,
                    [] if withdraw else [next_hop] * len(part),
                    [] if withdraw else [0] * len(part), [] if withdraw else table,
                    counts=[len(part)]))
                waiting[(group, seq)] = len(part)
        done, errors = 0, []
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            if not conn.sub.poll(100):
                continue
            _, msg = bus.unpack(conn.sub.recv_multipart())
            if msg["kind"] != "acks" or msg.get("publisher") != conn.publisher:
                continue
            for acked in msg["seqs"]:
                count = waiting.pop((msg["group"], acked), None)
                if count is not None:
                    done += count
            errors.extend(str(e) for e in (msg.get("errors") or {}).values())
        if waiting:
            raise ClientError(f"no answer for {sum(waiting.values())} route(s) from worker(s) "
                              + ", ".join(sorted({g for g, _ in waiting})))
        return done, errors
    finally:
        conn.close()


def request(target: Target | str, kind: str, timeout: float = 10.0, **fields) -> dict:
    """Ask the supervisor something; the ``reply`` payload."""
    conn = _Connection(_target(target), timeout)
    try:
        return conn.request(kind, timeout, seq=2, **fields)
    finally:
        conn.close()


def daemon_status(target: Target | str, timeout: float = 10.0,
                  query_timeout: float = 3.0) -> dict:
    """The supervisor's ``status`` reply data plus ``neighbors``: one row per
    neighbor from a ``show-neighbor`` query to every worker group (name, group,
    peer-address, state, uptime, prefixes sent/received, last-error).  The
    neighbors of a worker that does not answer within ``query_timeout`` are
    listed with state ``UNKNOWN``."""
    conn = _Connection(_target(target), timeout)
    try:
        data = conn.request("status", timeout, seq=2)["data"]
        refs = conn.request("topology", timeout, seq=3)["data"]
        refs, _ = topology.loads(refs)
        by_group: dict[str, list[str]] = {}
        for ref in refs:
            by_group.setdefault(ref.group, []).append(ref.name)
        for group, names in by_group.items():
            conn.pub.send_multipart(bus.query(bus.worker_topic(group), conn.publisher, 4,
                                              "show-neighbor", names))
        found: dict[str, dict] = {}
        waiting = set(by_group)
        deadline = time.monotonic() + query_timeout
        while waiting and time.monotonic() < deadline:
            if not conn.sub.poll(100):
                continue
            try:
                _, msg = bus.unpack(conn.sub.recv_multipart())
            except bus.FrameError:
                continue
            if msg["kind"] != "answer" or msg["id"] != [conn.publisher, 4]:
                continue
            waiting.discard(msg["group"])
            for row in msg["rows"]:
                found[row.get("name") or row["peer-address"]] = row
        data["neighbors"] = []
        for ref in refs:
            row = found.get(ref.name, {})
            prefixes = row.get("prefixes") or {}
            data["neighbors"].append({
                "name": ref.name, "group": ref.group, "peer-address": ref.peer_address,
                "peer-as": ref.peer_as, "state": row.get("state", "UNKNOWN"),
                "uptime": round(row.get("duration") or 0, 1),
                "sent": prefixes.get("sent"), "received": prefixes.get("received"),
                "last-error": row.get("last-error", "")})
        return data
    finally:
        conn.close()


def stop(target: Target | str, timeout: float = 30.0) -> int:
    """Ask the supervisor to shut down and wait until its process is gone;
    its pid, or 0 when it is remote (then the request is all we can do)."""
    import psutil

    conn = _Connection(_target(target), min(timeout, 10.0))
    try:
        pid = 0 if _target(target).endpoint else int(conn.meta.get("pid") or 0)
        conn.pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "control",
                                         id=[conn.publisher, 2], op="shutdown"))
    finally:
        conn.close()  # lingers until the request is out
    if not pid:
        return 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return pid
        except psutil.NoSuchProcess:
            return pid
        time.sleep(0.05)
    raise ClientError(f"bgpmesh (pid {pid}) is still running after {timeout:.0f}s")


def snapshot(conn: _Connection, timeout: float, keep: list | None = None) -> list[dict]:
    """The supervisor's shadow Adj-RIB-Out as ``snapshot`` lines, one per neighbor."""
    from bgpmesh.api.exabgp import attributes_text
    from bgpmesh.route import Route

    data = conn.request("snapshot", timeout, seq=2, keep=keep)["data"]
    lines = []
    cache: dict = {}
    for name, items in sorted(data["neighbors"].items()):
        routes = []
        for item in items:
            route = bus.route_from_wire(item, cache)
            entry = {"family": str(route.family), "nlri": str(item[2])}
            if type(route) is Route:
                entry["next-hop"] = route.next_hop or "self"
                entry["attributes"] = attributes_text(route.next_hop or "self",
                                                      route.attributes)
            routes.append(entry)
        lines.append({"type": "snapshot", "neighbor": name, "routes": routes})
    return lines


def watch(target: Target | str, kinds: tuple[str, ...] = (), count: int = 0, echo=print,
          timeout: float = 10.0, warn=None, with_snapshot: bool = False) -> int:
    """Print events as ExaBGP JSON lines until ``count`` (0: forever).

    Events lost on the way (the event bus drops for a subscriber that falls
    ``EVENT_HWM`` frames behind) show as holes in their ``seq``: each is
    reported through ``warn`` (stderr by default), and the total at the end."""
    if warn is None:
        def warn(line: str) -> None:
            print(line, file=sys.stderr, flush=True)
    gaps = bus.SequenceGaps()
    topics = tuple(b"ev/" + (k.encode() + b"/" if k else b"") for k in (kinds or ("",)))
    conn = _Connection(_target(target), timeout, subscribe=topics)
    seen = 0
    counters: dict[str, int] = {}
    # the snapshot is asked for once the SUB is connected (the handshake):
    # events that arrive meanwhile are kept and printed after it, so none is
    # lost between the two (a change may show in both)
    early: list = []
    try:
        if with_snapshot:
            import json

            for line in snapshot(conn, timeout, keep=early):
                echo(json.dumps(line))
        while not count or seen < count:
            if early:
                topic, msg = early.pop(0)
            else:
                try:
                    topic, msg = bus.unpack(conn.sub.recv_multipart())
                except bus.FrameError:
                    continue
            if msg["kind"] != "event":
                continue
            missed = gaps.see(topic, msg)
            if missed:
                warn(f"bgpmesh: lost {missed} event(s) of {topic.decode(errors='replace')} "
                     f"from {msg['publisher']} before seq {msg['seq']}")
            name = msg["name"]
            counters[name] = counters.get(name, 0) + 1
            echo(json_event(msg["type"], msg["neighbor"], msg["body"], counter=counters[name],
                            time=time.time(), host=os.uname().nodename,
                            pid=conn.meta.get("pid", 0), ppid=os.getpid()))
            seen += 1
    finally:
        conn.close()
        if gaps.lost:
            warn(f"bgpmesh: {gaps.lost} event(s) lost in all")
    return seen
