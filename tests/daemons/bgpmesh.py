"""Run a whole ``bgpmesh start`` under test, and script processes it drives.

``Bgpmesh(directory, config_text)`` writes the configuration, starts
``python -m bgpmesh start`` with its own run folder, and waits for the banner
that says every worker is ready.  ``stop()`` sends SIGTERM to the pid it
started and returns the exit code.  ``Relay`` is the test's side of
``tests/system/scripts/relay.py``: ``send(line)`` makes the script print a
command; ``lines()`` is what bgpmesh wrote to the script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.daemons.waiting import terminate, wait_until

RELAY = Path(__file__).resolve().parent.parent / "system" / "scripts" / "relay.py"


class Relay:
    def __init__(self, directory: Path, name: str) -> None:
        self.name = name
        self.fifo = directory / f"{name}.fifo"
        self.log = directory / f"{name}.received"
        os.mkfifo(self.fifo)
        self.log.touch()

    def process_block(self, encoder: str = "json") -> str:
        return (f"process {self.name} {{\n    run {sys.executable} {RELAY} {self.fifo} "
                f"{self.log};\n    encoder {encoder};\n}}\n")

    def send(self, *lines: str) -> None:
        # the relay holds the FIFO open (read-write) for good: this open does
        # not block, and the write always has a reader
        with open(self.fifo, "w") as fifo:
            for line in lines:
                fifo.write(line + "\n")

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def acks(self) -> list[str]:
        return [line for line in self.lines() if line in ("done", "error")]

    def messages(self) -> list[dict]:
        out = []
        for line in self.lines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def wait_acks(self, count: int, timeout: float = 15.0) -> list[str]:
        return wait_until(lambda: len(self.acks()) >= count and self.acks(), timeout,
                          message=lambda: f"{self.name}: wanted {count} acks, have "
                                          f"{self.lines()}")

    def wait_message(self, predicate, timeout: float = 30.0) -> dict:
        def found():
            for message in self.messages():
                if predicate(message):
                    return message
            return None

        return wait_until(found, timeout,
                          message=lambda: f"{self.name}: no such message in {self.lines()}")


class Bgpmesh:
    def __init__(self, directory: Path, config: str, workers: int = 1,
                 extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None) -> None:
        self.extra_args = tuple(extra_args)
        self.env = dict(env or {})  # settings for this daemon only, over os.environ
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path = self.directory / "bgpmesh.conf"
        self.config_path.write_text(config)
        # ipc paths must fit in 108 bytes: keep the run folder short
        self.run_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"bm-{os.getpid()}-{id(self)}"
        self.log_path = self.directory / "bgpmesh.log"
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> Bgpmesh:
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bgpmesh", "start", str(self.config_path),
             "--run-dir", str(self.run_dir), "--workers", str(self.workers),
             "--log-level", "DEBUG", *self.extra_args],
            stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env})
        wait_until(lambda: "Ctrl-C stops" in self.log() or self.process.poll() is not None,
                   timeout, message=lambda: f"bgpmesh did not start:\n{self.log()}")
        assert self.process.poll() is None, f"bgpmesh exited:\n{self.log()}"
        return self

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def cli(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bgpmesh", *args, "--run-dir",
                               str(self.run_dir)], capture_output=True, text=True,
                              timeout=timeout)

    def worker_pids(self) -> dict[str, int]:
        """Group -> pid of its running worker, read from the log."""
        pids: dict[str, int] = {}
        for line in self.log().splitlines():
            if " worker " in line and " started, pid " in line:
                words = line.split()
                group = words[words.index("worker", 2) + 1]
                pids[group] = int(line.split(" started, pid ")[1].split(",")[0])
        return pids

    def stop(self, timeout: float = 15.0) -> int:
        if self.process is None:
            return 0
        code = terminate(self.process, timeout)
        self.process = None
        self.log_file.close()
        return code
