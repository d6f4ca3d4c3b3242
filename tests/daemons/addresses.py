"""Distinct loopback addresses and ports per test, safe under pytest-xdist.

Linux routes all of 127.0.0.0/8 to ``lo`` without configuration, so every
test can own its own addresses instead of sharing 127.0.0.1:179.

Theory of operation: the xdist worker id (``PYTEST_XDIST_WORKER``, "gw3")
selects a disjoint block, and a per-process counter walks inside it:

    address  127.<100 + worker>.<subnet>.<host>   subnet 1..254, host 1..254
    port     20000 + worker * 1000 + n            n 0..999

Worker ids only separate the workers of one pytest run; another run on the
same machine (or anything else listening there) can still hold a port, so
every allocation is checked with a real bind and skipped if it is taken.
A non-xdist run ("master") uses worker 0 and xdist workers 1.., so the two
modes never overlap either.  ``MESH_TEST_BLOCK=N`` shifts every index by
N, so that several runs can share one machine (separate work trees tested at
once) without handing out the same addresses.
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import socket
from dataclasses import dataclass

FIRST_PORT = 20000
PORTS_PER_WORKER = 1000
# 20000 + 45 * 1000 + 999 stays below 65536; the address block allows more
# workers, and the bind check covers the rare wrap-around.
MAX_PORT_BLOCKS = (65535 - FIRST_PORT) // PORTS_PER_WORKER
MAX_ADDRESS_BLOCKS = 150

# Module-level so that allocations never repeat inside one worker process,
# even across tests: a daemon from a failed test may still be shutting down.
_subnets = itertools.count()
_ports = itertools.count()


@dataclass(frozen=True)
class Endpoint:
    address: str
    port: int

    def __str__(self) -> str:
        return f"{self.address}:{self.port}"


def worker_index(worker_id: str | None = None) -> int:
    """0 outside xdist, N + 1 for xdist worker "gwN"."""
    if worker_id is None:
        worker_id = os.environ.get("PYTEST_XDIST_WORKER", "master")
    match = re.fullmatch(r"gw(\d+)", worker_id)
    return int(match.group(1)) + 1 if match else 0


def free_port(address: str, port: int) -> bool:
    """True if a listening TCP socket could bind ``address:port`` right now.

    SO_REUSEADDR as the daemons set it: a TIME_WAIT leftover from an earlier
    test does not count as taken, a live listener does.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
                return False
            raise
    return True


class AddressAllocator:
    """Hands out loopback endpoints no other test of this run is using.

    ``pair()`` gives two endpoints in a fresh 127.W.S.0/24 (hosts .1 and .2),
    the usual shape of a test: one daemon, one bgpmesh speaker. ``address()``
    and ``port()`` give single values for anything else (an API socket, a
    third peer).
    """

    def __init__(self, worker_id: str | None = None) -> None:
        self.worker = worker_index(worker_id) + int(os.environ.get("MESH_TEST_BLOCK", "0"))
        self._second_octet = 100 + self.worker % MAX_ADDRESS_BLOCKS
        self._port_base = FIRST_PORT + (self.worker % MAX_PORT_BLOCKS) * PORTS_PER_WORKER
        self._hosts: list[str] = []

    def _next_subnet(self) -> str:
        subnet = next(_subnets) % 254 + 1
        return f"127.{self._second_octet}.{subnet}"

    def port(self, address: str = "127.0.0.1") -> int:
        """A port of this worker's block that ``address`` can bind now."""
        for _ in range(PORTS_PER_WORKER):
            port = self._port_base + next(_ports) % PORTS_PER_WORKER
            if free_port(address, port):
                return port
        raise RuntimeError(f"no free port for {address} in worker block {self._port_base}")

    def address(self) -> str:
        """One more address, from a subnet of its own."""
        return f"{self._next_subnet()}.1"

    def endpoint(self) -> Endpoint:
        address = self.address()
        return Endpoint(address, self.port(address))

    def pair(self) -> tuple[Endpoint, Endpoint]:
        """Two endpoints, 127.W.S.1 and 127.W.S.2, each with its own free port."""
        subnet = self._next_subnet()
        first, second = f"{subnet}.1", f"{subnet}.2"
        return Endpoint(first, self.port(first)), Endpoint(second, self.port(second))
