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
            self.sub.setsockopt(zmq.SUBSCRIBE, bus.ack_topic(self.publisher))
            for topic in subscribe:
                self.sub.setsockopt(zmq.SUBSCRIBE, topic)
            self.pub.connect(self.meta["endpoints"]["command_in"])
            self.sub.connect(self.meta["endpoints"]["event_out"])
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

    def request(self, kind: str, timeout: float, seq: int = 1, **fields) -> dict:
        self.pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, kind,
                                         id=[self.publisher, seq], **fields))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.sub.poll(100):
                continue
            _, msg = bus.unpack(self.sub.recv_multipart())
            if msg["kind"] == "reply" and msg["id"] == [self.publisher, seq]:
                return msg
        raise ClientError(f"the supervisor did not answer {kind!r}")

    def close(self) -> None:
        self.pub.close(linger=1000)
        self.sub.close(0)
        self.ctx.term()


def send(target: Target | str, line: str, timeout: float = 10.0) -> tuple[bool, str]:
    """Publish one text command; (ok, message)."""
    command = parse_command(line)  # CommandError propagates to the caller
    conn = _Connection(_target(target), timeout)
    try:
        if command.kind == "shutdown":
            conn.pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "control",
                                             id=[conn.publisher, 2], op="shutdown"))
            return True, "shutdown in progress"
        if command.kind in ("comment", "version", "help"):
            return True, ""
        p = plan(command, conn.refs, conn.publisher, 2)
        if p.local:
            return False, f"{command.kind} is not supported"
        if p.error:
            return False, p.error
        for frames in p.frames:
            conn.pub.send_multipart(frames)
        waiting, ok, errors = set(p.groups), True, []
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            if not conn.sub.poll(100):
                continue
            _, msg = bus.unpack(conn.sub.recv_multipart())
            if msg["kind"] != "ack" or msg["id"] != [conn.publisher, 2]:
                continue
            waiting.discard(msg["group"])
            if not msg["ok"]:
                ok = False
                errors.append(msg["error"])
        if waiting:
            return False, "no answer from worker(s) " + ", ".join(sorted(waiting))
        return ok, "; ".join(errors)
    finally:
        conn.close()


def request(target: Target | str, kind: str, timeout: float = 10.0, **fields) -> dict:
    """Ask the supervisor something; the ``reply`` payload."""
    conn = _Connection(_target(target), timeout)
    try:
        return conn.request(kind, timeout, seq=2, **fields)
    finally:
        conn.close()


def watch(target: Target | str, kinds: tuple[str, ...] = (), count: int = 0, echo=print,
          timeout: float = 10.0, warn=None) -> int:
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
    try:
        while not count or seen < count:
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
