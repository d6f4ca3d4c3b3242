"""A bus client for the CLI: ``bgpmesh send`` and ``bgpmesh watch``.

It finds the supervisor through its run folder (``topology.json`` names the
endpoints and the neighbors), handshakes before it publishes (a PUB socket
drops what it sends before its peer has subscribed), and for a command waits
for one ack from each worker group the command reached.
"""

from __future__ import annotations

import os
import time

import zmq

from bgpmesh import bus, topology
from bgpmesh.api.commands import parse_command
from bgpmesh.api.dispatch import plan
from bgpmesh.api.exabgp import json_event


class ClientError(Exception):
    pass


def default_run_dir() -> str:
    env = os.environ.get("BGPMESH_RUN_DIR")
    if env:
        return env
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        return os.path.join(base, "bgpmesh")
    return f"/tmp/bgpmesh-{os.getuid()}"


def _load(run_dir: str):
    path = os.path.join(run_dir, "topology.json")
    try:
        with open(path) as f:
            return topology.loads(f.read())
    except FileNotFoundError:
        raise ClientError(f"no bgpmesh runs with run folder {run_dir} "
                          f"({path} is missing)") from None


def _handshake(pub, sub, publisher: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    seq = 0
    while time.monotonic() < deadline:
        seq -= 1
        pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "ping", id=[publisher, seq]))
        if sub.poll(100):
            _, msg = bus.unpack(sub.recv_multipart())
            if msg["kind"] == "ack" and msg["id"][0] == publisher:
                return
    raise ClientError("the supervisor does not answer on the bus")


def send(run_dir: str, line: str, timeout: float = 10.0) -> tuple[bool, str]:
    """Publish one text command; (ok, message)."""
    refs, meta = _load(run_dir)
    command = parse_command(line)  # CommandError propagates to the caller
    publisher = f"cli-{os.getpid()}"
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    sub = ctx.socket(zmq.SUB)
    try:
        pub.connect(meta["endpoints"]["command_in"])
        sub.setsockopt(zmq.SUBSCRIBE, bus.ack_topic(publisher))
        sub.connect(meta["endpoints"]["event_out"])
        _handshake(pub, sub, publisher, timeout)
        if command.kind == "shutdown":
            pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, "control", id=[publisher, 1],
                                        op="shutdown"))
            return True, "shutdown in progress"
        if command.kind in ("comment", "version", "help"):
            return True, ""
        p = plan(command, refs, publisher, 1)
        if p.local:
            return False, f"{command.kind} is not supported"
        if p.error:
            return False, p.error
        for frames in p.frames:
            pub.send_multipart(frames)
        waiting, ok, errors = set(p.groups), True, []
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            if not sub.poll(100):
                continue
            _, msg = bus.unpack(sub.recv_multipart())
            if msg["kind"] != "ack" or msg["id"] != [publisher, 1]:
                continue
            waiting.discard(msg["group"])
            if not msg["ok"]:
                ok = False
                errors.append(msg["error"])
        if waiting:
            return False, "no answer from worker(s) " + ", ".join(sorted(waiting))
        return ok, "; ".join(errors)
    finally:
        pub.close(linger=1000)
        sub.close(0)
        ctx.term()


def watch(run_dir: str, kinds: tuple[str, ...] = (), count: int = 0, echo=print) -> int:
    """Print events as ExaBGP JSON lines until ``count`` (0: forever)."""
    _, meta = _load(run_dir)
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    for kind in kinds or ("",):
        sub.setsockopt(zmq.SUBSCRIBE, b"ev/" + (kind.encode() + b"/" if kind else b""))
    sub.connect(meta["endpoints"]["event_out"])
    seen = 0
    counters: dict[str, int] = {}
    try:
        while not count or seen < count:
            try:
                _, msg = bus.unpack(sub.recv_multipart())
            except bus.FrameError:
                continue
            if msg["kind"] != "event":
                continue
            name = msg["name"]
            counters[name] = counters.get(name, 0) + 1
            echo(json_event(msg["type"], msg["neighbor"], msg["body"], counter=counters[name],
                            time=time.time(), host=os.uname().nodename,
                            pid=meta.get("pid", 0), ppid=os.getpid()))
            seen += 1
    finally:
        sub.close(0)
        ctx.term()
    return seen


def request(run_dir: str, kind: str, timeout: float = 10.0, **fields) -> dict:
    """Ask the supervisor something; the ``reply`` payload."""
    _, meta = _load(run_dir)
    publisher = f"cli-{os.getpid()}"
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    sub = ctx.socket(zmq.SUB)
    try:
        pub.connect(meta["endpoints"]["command_in"])
        sub.setsockopt(zmq.SUBSCRIBE, bus.ack_topic(publisher))
        sub.connect(meta["endpoints"]["event_out"])
        _handshake(pub, sub, publisher, timeout)
        pub.send_multipart(bus.pack(bus.TOPIC_SUPERVISOR, kind, id=[publisher, 1], **fields))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not sub.poll(100):
                continue
            _, msg = bus.unpack(sub.recv_multipart())
            if msg["kind"] == "reply" and msg["id"] == [publisher, 1]:
                return msg
        raise ClientError(f"the supervisor did not answer {kind!r}")
    finally:
        pub.close(linger=1000)
        sub.close(0)
        ctx.term()
