#!/usr/bin/env python3
"""bgpmesh benchmark suite: bgpmesh against ExaBGP 5.0.15, GoBGP and BIRD, on loopback.

    python scripts/bench.py [--scenario S1 --scenario S2] [--routes 10000 --routes 100000]
                            [--million] [--attrs] [--repeat 3]
                            [--only bgpmesh,bgpmesh-bus,exabgp,bird,gobgp] [--workers 1]
                            [--birds 1] [--json runs.json]

Scenarios (each run takes its own 127.200.x.y addresses and ports and stops,
by pid, every process it started):

S1 inject   A script prints N ``announce route 10.x.y.z/32 next-hop ...`` lines
            (with ``--attrs`` also ``as-path``, ``med`` (16 values) and
            ``community``); the speaker advertises them to a passive BIRD
            (``multihop 2``).  The script waits for a trigger file that the
            bench creates once BIRD shows the session Established, so the
            clock starts at Established and not at process start.  Done when
            ``birdc show protocols all NAME`` says ``Routes: N imported``.
            ``bgpmesh-bus``: the same N routes published by a ZeroMQ
            client (``client.send_routes``, batch frames straight onto the
            bus), from the first frame to BIRD's import of the last route.
            Speakers: bgpmesh; ExaBGP 5.0.15 (a venv made on first use in
            ~/.cache/bgpmesh-bench/exabgp) with the very same script; BIRD to
            BIRD (the sender gets its N static routes by ``birdc configure``
            once Established); GoBGP (``gobgpd`` from PATH, the N routes
            written as an MRT TABLE_DUMP_V2 file and fed to it by ``gobgp
            mrt inject global FILE`` once Established; its CPU includes the
            ``gobgp`` CLI's).  The receiving BIRD's CPU is in ``bird_cpu``.
S2 receive  A passive BIRD originates N static routes to the speaker; a script
            reads the speaker's JSON and counts announced prefixes; done when
            the count is N.  The clock starts at the Established time BIRD
            reports (``show protocols``, ms resolution).  Speakers: bgpmesh,
            ExaBGP.

S3 to S5 (many neighbors, several workers): see docs/benchmarks.md; ``--birds
K`` deals S4's receiving protocols over K BIRD processes.

Measured per run: wall seconds from Established to done, routes/s, the peak
RSS of the speaker's whole process tree (psutil, sampled every 50 ms) and its
CPU seconds (user + system) spent over the same interval.  Tables show the
median over ``--repeat`` runs and bgpmesh's ratio to each reference
(wall: bgpmesh / reference, lower is better).  ``--json FILE`` keeps every run.

Needs bird/birdc on PATH, psutil, and network access to PyPI once for the
ExaBGP venv (or an existing one).  Absolute numbers depend on the machine;
compare ratios.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from functools import partial
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.daemons.bird import Bird, BirdPeer  # noqa: E402
from tests.daemons.gobgp import Gobgp, GobgpPeer  # noqa: E402
from tests.daemons.mrt import (  # noqa: E402
    MrtAttributes,
    MrtPeer,
    encode_attributes,
    rib_record,
    write_table,
)

EXABGP_VENV = Path.home() / ".cache" / "bgpmesh-bench" / "exabgp"
EXABGP_VERSION = "5.0.15"
LOCAL_AS = 65001
PEER_AS = 65002
POLL = 0.05
GOBGP_PAD = 2000  # records of padding after the N routes of GoBGP's MRT file
PROFILE_DIR = ""  # --profile: bgpmesh runs under py-spy

# -- the scripts the speakers run ------------------------------------------

INJECT_SCRIPT = r'''
import os, sys, threading, time
trigger, result, count, attrs, next_hop = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]

def line(i):
    text = f"announce route 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}/32 next-hop {next_hop}"
    if attrs:
        text += f" as-path [ 65001 65100 65200 ] med {i % 16} community [ 65001:1 65001:{i % 4} ]"
    return text + "\n"

data = "".join(line(i) for i in range(count)).encode()

def acks():
    seen = errors = 0
    for raw in sys.stdin:
        word = raw.strip()
        if word in ("done", "error"):
            seen += 1
            errors += word == "error"
            if seen == count:
                with open(result + ".tmp", "w") as f:
                    f.write(f"{time.time()} {seen} {errors}\n")
                os.rename(result + ".tmp", result)

threading.Thread(target=acks, daemon=True).start()
while not os.path.exists(trigger):
    time.sleep(0.005)
out = sys.stdout.buffer
for start in range(0, len(data), 1 << 16):
    out.write(data[start:start + (1 << 16)])
out.flush()
while True:
    time.sleep(3600)
'''

RECEIVE_SCRIPT = r'''
import json, os, sys, time
result, count = sys.argv[1], int(sys.argv[2])
up = None
seen = 0
reported = False
ups, senders, noted = set(), set(), 0.0
for raw in sys.stdin:
    if not raw.startswith("{"):
        continue
    msg = json.loads(raw)
    kind = msg.get("type")
    if kind == "state" and msg["neighbor"].get("state") == "up":
        ups.add(msg["neighbor"]["address"]["peer"])
        if up is None:
            up = time.time()
    elif kind == "update":
        announce = msg["neighbor"]["message"].get("update", {}).get("announce", {})
        for hops in announce.values():
            for prefixes in hops.values():
                seen += len(prefixes)
        senders.add(msg["neighbor"]["address"]["peer"])
    if time.time() - noted > 0.5:  # progress, for a run that does not finish
        noted = time.time()
        with open(result + ".seen", "w") as f:
            f.write(f"{seen} prefixes, {len(ups)} up, {len(senders)} sent\n")
    if kind == "update":
        if seen >= count and up is not None and not reported:
            with open(result + ".tmp", "w") as f:
                f.write(f"{up} {time.time()} {seen}\n")
            os.rename(result + ".tmp", result)
            reported = True
'''


# -- helpers -----------------------------------------------------------------


class Addresses:
    """127.200.X.{1,2} and ports unique to this bench process and run."""

    def __init__(self) -> None:
        self.index = 0
        self.base = os.getpid() % 200

    def next(self) -> tuple[str, str, int, int]:
        self.index += 1
        octet = (self.base + self.index) % 250 + 1
        port = 20000 + ((os.getpid() % 400) * 100 + self.index * 2) % 40000
        return f"127.200.{octet}.1", f"127.200.{octet}.2", port, port + 1


def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class Sampler:
    """Peak RSS (sum over the tree) and per-pid CPU of a process tree."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.cpu: dict[int, float] = {}
        self.roles: dict[int, str] = {}  # pid -> supervisor, worker, bridge, script, ...
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def sample(self) -> dict[int, float]:
        rss = 0
        cpu = {}
        procs = tree(self.pid)
        parents = {proc.pid: proc for proc in procs}
        for proc in procs:
            if self.roles.get(proc.pid, "worker") == "worker":  # a bridge before its script
                self.roles[proc.pid] = _role(proc, parents, self.pid)
            try:
                with proc.oneshot():
                    rss += proc.memory_info().rss
                    t = proc.cpu_times()
                    cpu[proc.pid] = t.user + t.system
            except psutil.Error:
                continue
        self.peak = max(self.peak, rss)
        for pid, value in cpu.items():
            self.cpu[pid] = max(self.cpu.get(pid, 0.0), value)
        return cpu

    def loop(self) -> None:
        while not self.stop_event.wait(POLL):
            self.sample()

    def start(self) -> dict[int, float]:
        first = self.sample()
        self.thread.start()
        return first

    def finish(self, before: dict[int, float]) -> tuple[int, float]:
        self.stop_event.set()
        self.thread.join()
        self.sample()
        cpu = sum(v - before.get(pid, 0.0) for pid, v in self.cpu.items())
        self.by_role: dict[str, float] = {}
        for pid, v in self.cpu.items():
            role = self.roles.get(pid, "other")
            self.by_role[role] = round(self.by_role.get(role, 0.0) + v - before.get(pid, 0.0), 3)
        return self.peak, cpu


def _role(proc: psutil.Process, procs: dict, root: int) -> str:
    """What a process of a bgpmesh tree is, from its place in the tree: the
    root is the supervisor; its children with children of their own are
    bridges (the child is the script), the others workers."""
    if proc.pid == root:
        return "speaker"
    try:
        parent = proc.ppid()
        if parent == root:
            return "bridge" if proc.children() else "worker"
        if parent in procs and procs[parent].ppid() == root:
            return "script"
    except psutil.Error:
        pass
    return "other"


def stop_tree(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM the root we started, wait, then SIGKILL whatever of its tree is left."""
    procs = tree(pid)
    if not procs:
        return
    try:
        procs[0].send_signal(signal.SIGTERM)
    except psutil.Error:
        pass
    _gone, alive = psutil.wait_procs(procs[:1], timeout=timeout)
    left = [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for proc in left:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=3)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds so far of each pid (a receiving BIRD: one
    process, no children); a pid that is gone is left out."""
    out = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        out[pid] = times.user + times.system
    return out


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy so far, over all cores
    (everything but idle and iowait): with ``cpu_seconds`` of our own
    processes it shows how much of the cores other work took during a run."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def cpu_spent(before: dict[int, float], pids: list[int]) -> list[float]:
    after = cpu_seconds(pids)
    return [round(after[pid] - before.get(pid, 0.0), 3) for pid in pids if pid in after]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(POLL)


def prefixes(count: int) -> list[str]:
    return [f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}/32" for i in range(count)]


def exabgp_binary() -> Path:
    exe = EXABGP_VENV / "bin" / "exabgp"
    if not exe.exists():
        print(f"making the ExaBGP {EXABGP_VERSION} venv in {EXABGP_VENV}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(EXABGP_VENV)], check=True)
        subprocess.run([str(EXABGP_VENV / "bin" / "pip"), "install", "-q",
                        f"exabgp=={EXABGP_VERSION}"], check=True)
    return exe


# -- speakers ----------------------------------------------------------------


class Speaker:
    """A bgpmesh or ExaBGP process tree with one neighbor: BIRD at bird_ip:bird_port."""

    def __init__(self, kind: str, workdir: Path, my_ip: str, bird_ip: str, bird_port: int,
                 process_run: str, receive: bool, workers: int,
                 pairs: list[tuple[str, str]] | None = None) -> None:
        """``pairs``: (speaker address, BIRD address) per neighbor, for S3/S4;
        default one neighbor, (my_ip, bird_ip)."""
        self.kind = kind
        pairs = pairs or [(my_ip, bird_ip)]
        self.workdir = workdir
        self.log = open(workdir / f"{kind}.log", "w")
        if kind == "bgpmesh":
            api = "        processes [ bench ];\n"
            if receive:
                api += "        neighbor-changes;\n        receive {\n            parsed;\n" \
                       "            update;\n        }\n"
            conf = textwrap.dedent(f"""\
                process bench {{
                    run {process_run};
                    encoder json;
                }}
                """) + "".join(
                f"neighbor {peer} {{\n    router-id {my_ip};\n    local-address {local};\n"
                f"    local-as {LOCAL_AS};\n    peer-as {PEER_AS};\n    hold-time 90;\n"
                f"    connect {bird_port};\n    family {{\n        ipv4 unicast;\n    }}\n"
                f"    api {{\n{api}    }}\n}}\n" for local, peer in pairs)
            path = workdir / "bgpmesh.conf"
            path.write_text(conf)
            self.run_dir = Path(tempfile.mkdtemp(prefix="bmb-", dir="/tmp"))
            command = [sys.executable, "-m", "bgpmesh", "start", str(path), "--workers",
                       str(workers), "--run-dir", str(self.run_dir), "--log-level", "WARNING"]
            # as root, bgpmesh runs scripts as exabgp.daemon.user (nobody), which
            # may not reach this Python: keep root, as for ExaBGP
            env = dict(os.environ, **{"exabgp.daemon.user": "root"})
            if PROFILE_DIR:
                # py-spy records the whole tree; the figures of such runs are not comparable
                command = ["py-spy", "record", "--subprocesses", "--nonblocking", "--format",
                           "raw", "-r", "200", "-o", str(Path(PROFILE_DIR) /
                                                         f"bgpmesh-{os.getpid()}-{time.time():.0f}.txt"),
                           "--", *command]
        else:
            api = "        processes [ bench ];\n"
            if receive:
                api += "        neighbor-changes;\n        receive {\n            parsed;\n" \
                       "            update;\n        }\n"
            conf = f"process bench {{\n    run {process_run};\n    encoder json;\n}}\n" + "".join(
                f"neighbor {peer} {{\n    router-id {my_ip};\n    local-address {local};\n"
                f"    local-as {LOCAL_AS};\n    peer-as {PEER_AS};\n    hold-time 90;\n"
                f"    family {{\n        ipv4 unicast;\n    }}\n"
                f"    api {{\n{api}    }}\n}}\n" for local, peer in pairs)
            path = workdir / "exabgp.conf"
            path.write_text(conf)
            self.run_dir = None
            command = [str(exabgp_binary()), str(path)]
            env = dict(os.environ)
            env.update({"exabgp.daemon.user": "root", "exabgp.log.level": "WARNING",
                        "exabgp.tcp.port": str(bird_port), "exabgp.api.cli": "false",
                        "exabgp.daemon.drop": "false"})
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env, cwd=workdir)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if PROFILE_DIR and self.kind == "bgpmesh":
            # stop bgpmesh under py-spy; py-spy then writes its profile and exits
            for child in tree(self.process.pid)[1:2]:
                child.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
        stop_tree(self.process.pid)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)


# "No stall anywhere" (issue 7): against bgpmesh, BIRD runs with a short hold
# time, so a speaker that stops sending keepalives for 9 s during a scenario
# loses its session, and ``check_no_stall`` fails the run.  The references
# keep 90 s: their figures are for comparison, not under test.
STALL_HOLD = 9


def bird_peer(name, bird_ip, bird_port, my_ip, my_port, passive=True, export=(),
              local_as=PEER_AS, peer_as=LOCAL_AS, hold=90):
    return BirdPeer(name=name, local_address=bird_ip, local_port=bird_port, peer_address=my_ip,
                    peer_port=my_port, local_as=local_as, peer_as=peer_as, passive=passive,
                    ipv6=False, export_static=[(p, {}) for p in export], hold_time=hold,
                    keepalive_time=max(1, hold // 3))


def hold_for(speaker: str) -> int:
    return STALL_HOLD if speaker == "bgpmesh" else 90


def check_no_stall(speaker: str, birds: list[Bird]) -> None:
    """Raise if any BIRD saw its hold timer expire, or a session is no longer
    Established: the speaker stalled during the run."""
    expired = sum(b.log_text().count("Hold timer expired") for b in birds)
    down = sum(state != "Established" for b in birds for state in protocol_rows(b).values())
    if expired or down:
        raise RuntimeError(f"{speaker} stalled: {expired} hold timer expiries, {down} "
                           f"session(s) not Established at the end")


def established_at(bird: Bird, name: str) -> float:
    """Epoch seconds at which BIRD's protocol ``name`` last changed state (its
    "since" column, HH:MM:SS.mmm local time), checked to be Established."""
    for line in bird.show_protocol(name).splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            assert "Established" in fields, line
            since = datetime.time.fromisoformat(fields[4])
            return datetime.datetime.combine(datetime.date.today(), since).timestamp()
    raise RuntimeError(f"no protocol {name} in birdc output")


def imported(bird: Bird, name: str) -> int:
    try:
        return bird.imported_count(name)
    except Exception:
        return -1


# -- scenarios ---------------------------------------------------------------


def run_s1(speaker: str, count: int, attrs: bool, workers: int, addresses: Addresses,
           timeout: float) -> dict:
    my_ip, bird_ip, my_port, bird_port = addresses.next()
    with tempfile.TemporaryDirectory(prefix="bgpmesh-bench-") as tmp:
        work = Path(tmp)
        if speaker == "bird":
            return _s1_bird(work, count, my_ip, bird_ip, my_port, bird_port, timeout)
        if speaker == "gobgp":
            return _s1_gobgp(work, count, attrs, my_ip, bird_ip, my_port, bird_port, timeout)
        if speaker == "bgpmesh-bus":
            return _s1_bus(work, count, attrs, workers, my_ip, bird_ip, my_port, bird_port,
                           timeout)
        script = work / "inject.py"
        script.write_text(INJECT_SCRIPT)
        trigger, result = work / "go", work / "acks"
        run = (f"{sys.executable} {script} {trigger} {result} {count} {int(attrs)} "
               f"{'self' if speaker == 'bgpmesh' else my_ip}")
        bird = Bird(work / "bird", bird_ip, [bird_peer("sink", bird_ip, bird_port, my_ip,
                                                       my_port, hold=hold_for(speaker))])
        bird.start()
        spk = None
        try:
            spk = Speaker(speaker, work, my_ip, bird_ip, bird_port, run, False, workers)
            wait_for(lambda: bird.protocol_state("sink") == "Established", 60,
                     f"{speaker}: session to BIRD not Established")
            sampler = Sampler(spk.pid)
            before = sampler.start()
            sink_before = cpu_seconds([bird.process.pid])
            t0 = time.monotonic()
            trigger.touch()
            wait_for(lambda: imported(bird, "sink") >= count, timeout,
                     f"{speaker}: BIRD did not import {count} routes")
            wall = time.monotonic() - t0
            peak, cpu = sampler.finish(before)
            sink_cpu = cpu_spent(sink_before, [bird.process.pid])
            acked = None
            try:
                acked = wait_for(lambda: result.exists() and result.read_text().split(), 30,
                                 "acks")
            except TimeoutError:
                pass
            check_no_stall(speaker, [bird])
            # what the speaker logged about lines it dropped for the script
            logged = (work / f"{speaker}.log").read_text(errors="replace").splitlines()
            return {"wall": wall, "rss": peak, "cpu": cpu,
                    "cpu_by": sampler.by_role, "bird_cpu": sum(sink_cpu),
                    "acks": int(acked[1]) if acked else None,
                    "ack_errors": int(acked[2]) if acked else None,
                    "dropped": [line for line in logged if "dropped" in line][-3:]}
        finally:
            if spk is not None:
                spk.stop()
            bird.stop()


def _s1_bus(work, count, attrs, workers, my_ip, bird_ip, my_port, bird_port,
            timeout) -> dict:
    """S1's other variant: the N routes published by a ZeroMQ client in batch
    frames straight onto the bus (``client.send_routes``), no script, no text;
    the clock runs from the first frame to BIRD's import of the last route."""
    from bgpmesh.family import IPV4_UNICAST
    from bgpmesh.route import Attributes
    from bgpmesh.supervisor.client import send_routes

    bird = Bird(work / "bird", bird_ip, [bird_peer("sink", bird_ip, bird_port, my_ip,
                                                   my_port, hold=STALL_HOLD)])
    bird.start()
    spk = None
    # the process block needs a program: one that reads its input and waits
    idle = f"{sys.executable} -c 'import sys; sys.stdin.read()'"
    try:
        spk = Speaker("bgpmesh", work, my_ip, bird_ip, bird_port, idle, False, workers)
        wait_for(lambda: bird.protocol_state("sink") == "Established", 60,
                 "bgpmesh-bus: session to BIRD not Established")
        attributes = Attributes(as_path=(LOCAL_AS, 64512), med=10,
                                communities=((65000, 1),)) if attrs else Attributes()
        routes = prefixes(count)
        sampler = Sampler(spk.pid)
        before = sampler.start()
        t0 = time.monotonic()
        done, errors = send_routes(str(spk.run_dir), IPV4_UNICAST, routes, my_ip, attributes,
                                   timeout=timeout)
        wait_for(lambda: imported(bird, "sink") >= count, timeout,
                 f"bgpmesh-bus: BIRD did not import {count} routes")
        wall = time.monotonic() - t0
        peak, cpu = sampler.finish(before)
        check_no_stall("bgpmesh-bus", [bird])
        return {"wall": wall, "rss": peak, "cpu": cpu, "cpu_by": sampler.by_role,
                "acks": done, "ack_errors": len(errors)}
    finally:
        if spk is not None:
            spk.stop()
        bird.stop()


def _s1_bird(work, count, my_ip, bird_ip, my_port, bird_port, timeout) -> dict:
    sink = Bird(work / "sink", bird_ip, [bird_peer("sink", bird_ip, bird_port, my_ip, my_port)])
    source_peer = bird_peer("feed", my_ip, my_port, bird_ip, bird_port, passive=False,
                            local_as=LOCAL_AS, peer_as=PEER_AS)
    source = Bird(work / "source", my_ip, [source_peer])
    sink.start()
    try:
        source.start()
        wait_for(lambda: sink.protocol_state("sink") == "Established", 60,
                 "bird: session not Established")
        sampler = Sampler(source.process.pid)
        before = sampler.start()
        sink_before = cpu_seconds([sink.process.pid])
        t0 = time.monotonic()
        source_peer.export_static = [(p, {}) for p in prefixes(count)]
        source.reconfigure()
        wait_for(lambda: imported(sink, "sink") >= count, timeout,
                 f"bird: sink did not import {count} routes")
        wall = time.monotonic() - t0
        peak, cpu = sampler.finish(before)
        return {"wall": wall, "rss": peak, "cpu": cpu, "cpu_by": sampler.by_role,
                "bird_cpu": sum(cpu_spent(sink_before, [sink.process.pid]))}
    finally:
        source.stop()
        sink.stop()


def _gobgp_destinations(gobgp: Gobgp) -> int:
    """Prefixes in gobgpd's global IPv4 table (``gobgp global rib summary``)."""
    for line in gobgp.cli("global", "rib", "summary", "-a", "ipv4").splitlines():
        if line.startswith("Destination:"):
            return int(line.split()[1].rstrip(","))
    return 0


def _s1_gobgp(work, count, attrs, my_ip, bird_ip, my_port, bird_port, timeout) -> dict:
    """GoBGP's fastest way in: the N routes as an MRT TABLE_DUMP_V2 file, fed
    to gobgpd by ``gobgp mrt inject global FILE`` once the session to BIRD is
    Established.  gobgpd sends them to BIRD with itself as next hop (eBGP).

    GoBGP 3.10's CLI closes its gRPC stream and exits without waiting for
    gobgpd to take what is still in flight, so the tail of the file is often
    lost: from 68 to 600 routes in runs of 1k, 10k and 100k, whatever the pace
    (a second ``inject`` of the rest loses all of a short rest).  So the file
    ends with GOBGP_PAD more records that repeat the first route: what is lost
    is padding, and a repeated route changes nothing at BIRD.  If BIRD still
    lacks routes once gobgpd's table stops growing, the whole file is
    injected again (``inject_rounds`` in the run; their time is in the wall).
    Padding costs gobgpd GOBGP_PAD extra route updates per run."""
    mrt = work / "routes.mrt"
    extra = {"as_path": [65100, 65200], "med": 5, "communities": [(65001, 1)]} if attrs else {}
    attributes = MrtAttributes("192.0.2.1", **extra)
    with open(mrt, "wb") as out:
        write_table(out, MrtPeer("192.0.2.9", "192.0.2.9", 65009), prefixes(count), attributes)
        # the padding the CLI may lose: the first route again, GOBGP_PAD times
        again = rib_record(count, prefixes(1)[0], encode_attributes(attributes))
        out.write(again * GOBGP_PAD)
    bird = Bird(work / "bird", bird_ip, [bird_peer("sink", bird_ip, bird_port, my_ip, my_port)])
    # gobgpd listens for BGP on my_ip:my_port and for gRPC on my_ip:bird_port
    # (BIRD has bird_port on another address)
    gobgp = Gobgp(work / "gobgp", my_ip, LOCAL_AS, my_ip, my_port, bird_port,
                  [GobgpPeer(bird_ip, bird_port, PEER_AS, passive=False, ipv6=False,
                             hold_time=90, keepalive_time=30)])
    bird.start()
    try:
        gobgp.start()
        wait_for(lambda: bird.protocol_state("sink") == "Established", 60,
                 "gobgp: session to BIRD not Established")
        sampler = Sampler(gobgp.process.pid)
        before = sampler.start()
        sink_before = cpu_seconds([bird.process.pid])
        cli_cpu = 0.0
        cli_rss = 0
        rounds = 0
        t0 = time.monotonic()
        have = 0
        while have < count:
            rounds += 1
            args = [str(mrt)]
            cli = subprocess.Popen(["gobgp", "-u", my_ip, "-p", str(bird_port), "mrt", "inject",
                                    "global", *args], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            _pid, status, usage = os.wait4(cli.pid, 0)
            cli.returncode = os.waitstatus_to_exitcode(status)
            cli_cpu += usage.ru_utime + usage.ru_stime
            cli_rss = max(cli_rss, usage.ru_maxrss * 1024)
            if cli.returncode != 0:
                raise RuntimeError(f"gobgp mrt inject: {cli.stdout.read().decode()[-500:]}")
            cli.stdout.close()
            # let gobgpd take what is in flight: wait until BIRD has them all
            # or gobgpd's table stops growing (equal counts 0.25 s apart)
            last, now = -1, 0
            deadline = time.monotonic() + timeout
            while imported(bird, "sink") < count:
                now = _gobgp_destinations(gobgp)
                if now == last or time.monotonic() > deadline:
                    break
                last = now
                time.sleep(0.25)
            else:
                break
            if rounds >= 3:
                raise RuntimeError(f"gobgp: injecting gets no further than {now} routes")
            have = max(have, now)
        wait_for(lambda: imported(bird, "sink") >= count, timeout,
                 f"gobgp: BIRD did not import {count} routes")
        wall = time.monotonic() - t0
        peak, cpu = sampler.finish(before)
        sampler.by_role["script"] = round(cli_cpu, 3)
        return {"wall": wall, "rss": peak, "cpu": cpu + cli_cpu, "cpu_by": sampler.by_role,
                "bird_cpu": sum(cpu_spent(sink_before, [bird.process.pid])),
                "inject_rounds": rounds, "cli_rss": cli_rss}
    finally:
        gobgp.stop()
        bird.stop()


def run_s2(speaker: str, count: int, workers: int, addresses: Addresses, timeout: float) -> dict:
    my_ip, bird_ip, my_port, bird_port = addresses.next()
    with tempfile.TemporaryDirectory(prefix="bgpmesh-bench-") as tmp:
        work = Path(tmp)
        script = work / "receive.py"
        script.write_text(RECEIVE_SCRIPT)
        result = work / "result"
        run = f"{sys.executable} {script} {result} {count}"
        bird = Bird(work / "bird", bird_ip, [bird_peer("feed", bird_ip, bird_port, my_ip,
                                                       my_port, export=prefixes(count),
                                                       hold=hold_for(speaker))])
        bird.start(timeout=60)
        spk = None
        try:
            spk = Speaker(speaker, work, my_ip, bird_ip, bird_port, run, True, workers)
            sampler = Sampler(spk.pid)
            before = sampler.start()
            got = wait_for(lambda: result.exists() and result.read_text().split(),
                           timeout + 60, f"{speaker}: script did not count {count} prefixes")
            peak, cpu = sampler.finish(before)
            check_no_stall(speaker, [bird])
            done = float(got[1])
            # the clock starts when BIRD saw the session Established (its
            # "since" stamp, in ms); the script's own "up" time comes too late
            # to use, as its input is a burst by then.  CPU covers start-up too.
            return {"wall": done - established_at(bird, "feed"), "rss": peak, "cpu": cpu,
                    "cpu_by": sampler.by_role,
                    "wall_from_up_message": done - float(got[0])}
        finally:
            if spk is not None:
                spk.stop()
            bird.stop()


# -- many neighbors: S3, S4 (and S5, which runs both with 1 and 2 workers) ---


def neighbor_pairs(addresses: Addresses, count: int) -> list[tuple[str, str]]:
    """(speaker address, BIRD address) for ``count`` neighbors: 127.B.i.1 and
    127.B.i.2 for the first 250, then 127.B.i.3 and 127.B.i.4; B in 201..250
    and unique to this run (count <= 500)."""
    addresses.index += 1
    block = 201 + (addresses.base + addresses.index) % 50
    return [(f"127.{block}.{i % 250 + 1}.{1 + 2 * (i // 250)}",
             f"127.{block}.{i % 250 + 1}.{2 + 2 * (i // 250)}") for i in range(count)]


def protocol_rows(bird: Bird) -> dict[str, str]:
    """Protocol name -> its info column ("Established", "Active", ...): one birdc call."""
    rows = {}
    for line in bird.birdc("show protocols").splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "BGP":
            rows[fields[0]] = fields[5]
    return rows


def established_count(bird: Bird) -> int:
    return sum(state == "Established" for state in protocol_rows(bird).values())


def all_established(bird: Bird, count: int) -> bool:
    return established_count(bird) >= count


def imported_total(bird: Bird) -> int:
    """Routes imported over every protocol of ``bird`` (one birdc call)."""
    try:
        text = bird.birdc("show protocols all")
    except Exception:
        return -1
    total = 0
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == "Routes:" and fields[2].startswith("imported"):
            total += int(fields[1])
    return total


def idle_usage(pid: int, seconds: float) -> tuple[float, int]:
    """CPU (percent of one core) and RSS (bytes) of the tree over ``seconds`` of idling."""
    sampler = Sampler(pid)
    before = sampler.start()
    time.sleep(seconds)
    _peak, cpu = sampler.finish(before)
    rss = 0
    for proc in tree(pid):
        try:
            rss += proc.memory_info().rss
        except psutil.Error:
            continue
    return 100.0 * cpu / seconds, rss


def run_s3(speaker: str, neighbors: int, per_neighbor: int, workers: int,
           addresses: Addresses, timeout: float, idle: float) -> dict:
    """One BIRD, ``neighbors`` protocols each originating ``per_neighbor`` routes;
    from the speaker's start to every session Established and every route
    read by the script, then ``idle`` seconds of idle CPU and RSS."""
    pairs = neighbor_pairs(addresses, neighbors)
    _my_ip, _bird_ip, my_port, bird_port = addresses.next()
    total = neighbors * per_neighbor
    with tempfile.TemporaryDirectory(prefix="bgpmesh-bench-") as tmp:
        work = Path(tmp)
        script = work / "receive.py"
        script.write_text(RECEIVE_SCRIPT)
        result = work / "result"
        run = f"{sys.executable} {script} {result} {total}"
        peers = [bird_peer(f"p{i}", bird_ip, bird_port, my_ip, my_port,
                           export=[f"10.{100 + i // 250}.{i % 250}.{j}/32"
                                   for j in range(per_neighbor)], hold=hold_for(speaker))
                 for i, (my_ip, bird_ip) in enumerate(pairs)]
        bird = Bird(work / "bird", pairs[0][1], peers)
        bird.start(timeout=60)
        spk = None
        try:
            t0 = time.time()
            spk = Speaker(speaker, work, pairs[0][0], pairs[0][1], bird_port, run, True,
                          workers, pairs)
            sampler = Sampler(spk.pid)
            before = sampler.start()
            wait_for(lambda: all_established(bird, neighbors), timeout,
                     f"{speaker}: not all {neighbors} sessions Established")
            up = time.time() - t0
            try:
                got = wait_for(lambda: result.exists() and result.read_text().split(), timeout,
                               f"{speaker}: script did not count {total} prefixes")
            except TimeoutError as exc:
                seen = Path(str(result) + ".seen")
                raise TimeoutError(f"{exc} (it saw {seen.read_text().strip()})"
                                   if seen.exists() else str(exc)) from None
            peak, cpu = sampler.finish(before)
            idle_cpu, idle_rss = idle_usage(spk.pid, idle)
            check_no_stall(speaker, [bird])
            return {"wall": float(got[1]) - t0, "established": up, "rss": peak, "cpu": cpu,
                    "cpu_by": sampler.by_role,
                    "idle_cpu_pct": idle_cpu, "idle_rss": idle_rss, "neighbors": neighbors,
                    "sends": total}
        finally:
            if spk is not None:
                spk.stop()
            bird.stop()


def run_s4(speaker: str, neighbors: int, count: int, workers: int, addresses: Addresses,
           timeout: float, idle: float, birds: int = 1) -> dict:
    """One script announces ``count`` routes, no selector, so to every one of
    ``neighbors`` passive BIRD protocols; from the trigger (all Established)
    until BIRD imported count * neighbors routes.

    ``birds``: the protocols are dealt round-robin over that many BIRD
    processes (each binds its own addresses, ``strict bind``), so that the
    receiving side is not one single-threaded process.  Each BIRD's CPU
    seconds over the same interval are in ``bird_cpu_each``."""
    pairs = neighbor_pairs(addresses, neighbors)
    _my_ip, _bird_ip, my_port, bird_port = addresses.next()
    with tempfile.TemporaryDirectory(prefix="bgpmesh-bench-") as tmp:
        work = Path(tmp)
        script = work / "inject.py"
        script.write_text(INJECT_SCRIPT)
        trigger, result = work / "go", work / "acks"
        run = f"{sys.executable} {script} {trigger} {result} {count} 0 self"
        peers = [bird_peer(f"p{i}", bird_ip, bird_port, my_ip, my_port,
                           hold=hold_for(speaker))
                 for i, (my_ip, bird_ip) in enumerate(pairs)]
        birds = max(1, min(birds, neighbors))
        sinks = [Bird(work / f"bird{k}", peers[k].local_address, peers[k::birds])
                 for k in range(birds)]
        spk = None
        try:
            for sink in sinks:
                sink.start(timeout=60)
            spk = Speaker(speaker, work, pairs[0][0], pairs[0][1], bird_port, run, False,
                          workers, pairs)
            wait_for(lambda: sum(established_count(b) for b in sinks) >= neighbors,
                     60 + neighbors,
                     f"{speaker}: not all {neighbors} sessions Established")
            sampler = Sampler(spk.pid)
            before = sampler.start()
            bird_pids = [b.process.pid for b in sinks]
            sink_before = cpu_seconds(bird_pids)
            busy_before = machine_busy()
            t0 = time.monotonic()
            trigger.touch()
            wait_for(lambda: sum(imported_total(b) for b in sinks) >= count * neighbors, timeout,
                     f"{speaker}: BIRD did not import {count} routes from each neighbor")
            wall = time.monotonic() - t0
            busy = machine_busy() - busy_before
            peak, cpu = sampler.finish(before)
            sink_cpu = cpu_spent(sink_before, bird_pids)
            acked = None
            try:
                acked = wait_for(lambda: result.exists() and result.read_text().split(), 30,
                                 "acks")
            except TimeoutError:
                pass
            idle_cpu, idle_rss = idle_usage(spk.pid, idle)
            check_no_stall(speaker, sinks)
            return {"wall": wall, "rss": peak, "cpu": cpu,
                    "cpu_by": sampler.by_role, "neighbors": neighbors,
                    "sends": count * neighbors, "idle_cpu_pct": idle_cpu, "idle_rss": idle_rss,
                    "birds": birds, "bird_cpu": round(sum(sink_cpu), 3),
                    "bird_cpu_each": sink_cpu,
                    # the machine's busy CPU s over the run, ours included, and
                    # what the rest of the machine took: cores are a shared limit
                    "machine_cpu": round(busy, 3),
                    "others_cpu": round(busy - cpu - sum(sink_cpu), 3),
                    "acks": int(acked[1]) if acked else None,
                    "ack_errors": int(acked[2]) if acked else None}
        finally:
            if spk is not None:
                spk.stop()
            for sink in sinks:
                sink.stop()


# -- report ------------------------------------------------------------------


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def table(runs: list[dict]) -> str:
    keys = sorted({(r["scenario"], r["routes"]) for r in runs})
    speakers = ["bgpmesh", "bgpmesh-bus", "exabgp", "bird", "gobgp"]
    # routes/s counts route-sends: routes x neighbors in S4.  The idle columns
    # (S3, S4) are the tree's CPU and RSS over the --idle window after the run.
    rows = [("scenario", "routes", "speaker", "ok", "wall s", "routes/s", "peak RSS MiB",
             "CPU s", "wall ratio bgpmesh/ref", "idle CPU %", "idle RSS MiB",
             "BIRD CPU s")]
    for scenario, count in keys:
        wall_of = {}
        for speaker in speakers:
            mine = [r for r in runs if (r["scenario"], r["routes"], r["speaker"]) ==
                    (scenario, count, speaker)]
            if not mine:
                continue
            good = [r for r in mine if r.get("error") is None]
            wall = median([r["wall"] for r in good])
            wall_of[speaker] = wall
            rss = median([r["rss"] for r in good])
            cpu = median([r["cpu"] for r in good])
            sends = median([r.get("sends", count) for r in good]) or count
            idle_cpu = median([r.get("idle_cpu_pct") for r in good])
            idle_rss = median([r.get("idle_rss") for r in good])
            bird_cpu = median([r.get("bird_cpu") for r in good])
            rows.append([scenario, str(count), speaker, f"{len(good)}/{len(mine)}",
                         f"{wall:.2f}" if wall else "-",
                         f"{sends / wall:,.0f}" if wall else "-",
                         f"{rss / 2**20:.0f}" if rss else "-",
                         f"{cpu:.2f}" if cpu is not None else "-", "",
                         f"{idle_cpu:.1f}" if idle_cpu is not None else "-",
                         f"{idle_rss / 2**20:.0f}" if idle_rss else "-",
                         f"{bird_cpu:.2f}" if bird_cpu is not None else "-"])
        mesh = wall_of.get("bgpmesh")
        for row in rows[1:]:
            if row[0] == scenario and row[1] == str(count) and row[2] != "bgpmesh":
                ref = wall_of.get(row[2])
                row[8] = f"{mesh / ref:.2f}" if mesh and ref else "-"
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__)
    parser.add_argument("--scenario", action="append", choices=["S1", "S2", "S3", "S4", "S5"],
                        help="repeatable; default: S1 and S2")
    parser.add_argument("--neighbors", action="append", type=int,
                        help="S3/S4/S5: M, repeatable (at most 500); default: 20 and 50")
    parser.add_argument("--birds", action="append", type=int,
                        help="S4/S5: spread the M protocols over this many BIRD processes, "
                             "repeatable (default 1)")
    parser.add_argument("--per-neighbor", type=int, default=10,
                        help="S3: routes each BIRD protocol originates (default 10)")
    parser.add_argument("--idle", type=float, default=5.0,
                        help="S3/S4: seconds of idle CPU and RSS measured after the run "
                             "(default 5; the issue asks for 30)")
    parser.add_argument("--routes", action="append", type=int,
                        help="N, repeatable; default: 10000 and 100000")
    parser.add_argument("--million", action="store_true", help="add N = 1,000,000")
    parser.add_argument("--attrs", action="store_true",
                        help="S1: routes carry as-path, med and community")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="bgpmesh,exabgp,bird,gobgp",
                        help="speakers to run, comma separated: bgpmesh, exabgp, bird, "
                             "gobgp (S1 only), bgpmesh-bus (S1 only: the routes published "
                             "by a ZeroMQ client, client.send_routes)")
    parser.add_argument("--workers", type=int, default=1, help="bgpmesh --workers")
    parser.add_argument("--timeout", type=float, default=0.0,
                        help="seconds per run (default 60 + N/1000)")
    parser.add_argument("--profile", metavar="DIR",
                        help="run bgpmesh under py-spy (collapsed stacks in DIR); slows it")
    parser.add_argument("--json", dest="json_path", help="write every run to this file")
    args = parser.parse_args()
    global PROFILE_DIR
    PROFILE_DIR = args.profile or ""
    scenarios = args.scenario or ["S1", "S2"]
    counts = args.routes or [10_000, 100_000]
    if args.million:
        counts.append(1_000_000)
    speakers = [s for s in args.only.split(",") if s]
    addresses = Addresses()
    runs: list[dict] = []
    neighbor_counts = args.neighbors or [20, 50]
    bird_counts = args.birds or [1]
    if any(b < 1 for b in bird_counts):
        parser.error("--birds must be at least 1")
    if any(not 1 <= m <= 500 for m in neighbor_counts):
        parser.error("--neighbors must be 1..500")
    # (label, N, speaker, workers, job(timeout) -> dict)
    jobs: list[tuple] = []
    for scenario in scenarios:
        if scenario in ("S1", "S2"):
            for count in counts:
                for speaker in speakers:
                    if scenario == "S2" and speaker in ("bird", "gobgp", "bgpmesh-bus"):
                        continue
                    if scenario == "S1":
                        label = "S1-attrs" if args.attrs else "S1"
                        job = partial(run_s1, speaker, count, args.attrs, args.workers,
                                      addresses)
                    else:
                        label = "S2"
                        job = partial(run_s2, speaker, count, args.workers, addresses)
                    jobs.append((label, count, speaker, args.workers, job))
            continue
        # S3 and S4 compare bgpmesh with ExaBGP; S5 runs them for bgpmesh
        # with 1 and then 2 workers.
        inner = ["S3", "S4"] if scenario == "S5" else [scenario]
        for kind in inner:
            for m in neighbor_counts:
                for count in ([args.per_neighbor * m] if kind == "S3" else counts):
                    if scenario == "S5":
                        cases = [("bgpmesh", 1), ("bgpmesh", 2)]
                    else:
                        cases = [(s, args.workers) for s in speakers
                                 if s not in ("bird", "gobgp", "bgpmesh-bus")]
                    for birds in ([1] if kind == "S3" else bird_counts):
                        for speaker, workers in cases:
                            label = f"{kind} M={m}" + (f" B={birds}" if birds > 1 else "")
                            if scenario == "S5":
                                label = f"S5:{label} w{workers}"
                            if kind == "S3":
                                job = partial(run_s3, speaker, m, args.per_neighbor, workers,
                                              addresses, idle=args.idle)
                            else:
                                job = partial(run_s4, speaker, m, count, workers, addresses,
                                              idle=args.idle, birds=birds)
                            jobs.append((label, count, speaker, workers, job))
    for label, count, speaker, workers, job in jobs:
        for attempt in range(args.repeat):
            timeout = args.timeout or 60 + count / 1000
            if "S4" in label:  # count routes to each of M neighbors
                timeout = args.timeout or 60 + count * int(label.split("M=")[1].split()[0]) / 2000
            record = {"scenario": label, "routes": count, "speaker": speaker,
                      "attempt": attempt, "workers": workers, "error": None}
            try:
                record.update(job(timeout))
            except (TimeoutError, Exception) as exc:  # keep going, report it
                record["error"] = f"{type(exc).__name__}: {exc}"
            runs.append(record)
            sends = record.get("sends", count)
            status = record["error"] or (f"{record['wall']:.2f}s "
                                         f"{sends / record['wall']:,.0f} routes/s, CPU s "
                                         f"{record['cpu']:.2f} {record.get('cpu_by', '')}"
                                         f"{' BIRD CPU s ' + str(record['bird_cpu_each'] if 'bird_cpu_each' in record else record['bird_cpu']) if 'bird_cpu' in record else ''}"
                                         f"{' others CPU s ' + str(record['others_cpu']) if 'others_cpu' in record else ''}"
                                         f"{' acks ' + str(record['acks']) if 'acks' in record else ''}"
                                         f"{' ' + str(record['dropped']) if record.get('dropped') else ''}")
            print(f"{label} N={count} {speaker} #{attempt + 1}: {status}",
                  file=sys.stderr, flush=True)
    print(f"\n{platform.node()}  {platform.processor() or platform.machine()}  "
          f"{os.cpu_count()} CPUs  load {os.getloadavg()[0]:.2f}  Python "
          f"{platform.python_version()}\n")
    print(table(runs))
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump({"host": platform.node(), "cpus": os.cpu_count(), "runs": runs}, f,
                      indent=1)
    return 0 if all(r["error"] is None for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
