"""Capture real BIRD, GoBGP and FRR messages: the source of tests/unit/codec/vectors/.

Each test starts one daemon, passive, originating 203.0.113.0/24 with a MED
and communities, and connects to it with ``RawPeer``: a socket speaker that
owes nothing to bgpmesh (its OPEN is built by hand below, its framing is the
RFC 4271 header read by hand).  It answers the daemon's OPEN with a KEEPALIVE
and records every message until the first UPDATE that carries NLRI.

The daemon's OPEN and that UPDATE are then compared, decoded by bgpmesh's
codec and normalised (``decoded_form``: the next hop, which is the daemon's
per-test loopback address, and the FQDN / software version capabilities,
which name the host and build), with the vectors stored in
``tests/unit/codec/vectors/<daemon>-open.hex`` and ``<daemon>-update.hex``.
A daemon upgrade that changes what it sends fails here.

To (re)capture the stored vectors, run with ``BGPMESH_WRITE_VECTORS=1``:

    BGPMESH_WRITE_VECTORS=1 pytest tests/interop/test_capture_vectors.py

which rewrites the files with a header naming the daemon, its version and the
date.  ``tests/unit/codec/test_captured_vectors.py`` then checks each vector
decodes and re-encodes to the same bytes.
"""

from __future__ import annotations

import datetime
import os
import socket
import struct
import subprocess
import time
from collections.abc import Callable

import pytest

from tests.conftest import require_binary
from tests.daemons.addresses import Endpoint
from tests.daemons.bird import BirdPeer
from tests.daemons.frr import BGPD, FrrPeer
from tests.daemons.gobgp import GobgpPeer
from tests.unit.codec.test_captured_vectors import VECTORS, decoded_form, read_vector

pytestmark = pytest.mark.system

RAW_AS = 65001
DAEMON_AS = 65002
PREFIX = "203.0.113.0/24"
MED = 42
GOBGP_NEXT_HOP = "192.0.2.2"
MARKER = b"\xff" * 16
OPEN, UPDATE, KEEPALIVE = 1, 2, 4


def raw_open(asn: int, router_id: str, hold_time: int = 9) -> bytes:
    """OPEN with multiprotocol IPv4 unicast, route refresh and 4-octet AS."""
    capabilities = (
        bytes((1, 4)) + struct.pack("!HBB", 1, 0, 1)  # RFC 4760
        + bytes((2, 0))  # RFC 2918
        + bytes((65, 4)) + struct.pack("!I", asn)  # RFC 6793
    )
    parameters = bytes((2, len(capabilities))) + capabilities
    body = struct.pack("!BHH4sB", 4, asn, hold_time, socket.inet_aton(router_id),
                       len(parameters)) + parameters
    return MARKER + struct.pack("!HB", 19 + len(body), OPEN) + body


KEEPALIVE_MESSAGE = MARKER + struct.pack("!HB", 19, KEEPALIVE)


class RawPeer:
    """Connects from ``source`` to ``target`` and records whole BGP messages."""

    def __init__(self, source: str, target: Endpoint) -> None:
        self.source, self.target = source, target
        self.messages: list[bytes] = []

    def _connect(self, deadline: float) -> socket.socket:
        while True:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((self.source, 0))
            sock.settimeout(1.0)
            try:
                sock.connect((self.target.address, self.target.port))
                return sock
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def capture(self, timeout: float = 20.0) -> tuple[bytes, bytes]:
        """The daemon's OPEN and its first UPDATE with path attributes."""
        deadline = time.monotonic() + timeout
        sock = self._connect(deadline)
        buffer = b""
        try:
            sock.sendall(raw_open(RAW_AS, self.source))
            while time.monotonic() < deadline:
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    sock.sendall(KEEPALIVE_MESSAGE)
                    continue
                if not data:
                    raise AssertionError(f"daemon closed the session: {self.messages}")
                buffer += data
                while len(buffer) >= 19 and len(buffer) >= struct.unpack("!H", buffer[16:18])[0]:
                    length = struct.unpack("!H", buffer[16:18])[0]
                    message, buffer = buffer[:length], buffer[length:]
                    assert message[:16] == MARKER
                    self.messages.append(message)
                    if message[18] in (OPEN, KEEPALIVE):
                        sock.sendall(KEEPALIVE_MESSAGE)
                    if message[18] == UPDATE and _has_attributes(message):
                        (open_message,) = [m for m in self.messages if m[18] == OPEN]
                        return open_message, message
            raise AssertionError(f"no UPDATE before the timeout: {self.messages}")
        finally:
            sock.close()


def _has_attributes(message: bytes) -> bool:
    withdrawn = struct.unpack("!H", message[19:21])[0]
    return struct.unpack("!H", message[21 + withdrawn:23 + withdrawn])[0] > 0


def _version(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    return (result.stdout + result.stderr).strip().splitlines()[0]


def start_bird(factories, daemon_end: Endpoint, raw_address: str) -> Endpoint:
    peer = BirdPeer("raw", daemon_end.address, daemon_end.port, raw_address, 179,
                    DAEMON_AS, RAW_AS, ipv6=False,
                    export_static=[(PREFIX, {
                        "bgp_med": MED,
                        "bgp_community": [(DAEMON_AS, 7)],
                        "bgp_large_community": [(DAEMON_AS, 1, 2)],
                        "bgp_ext_community": [("rt", DAEMON_AS, 1)],
                    })])
    factories["bird"](daemon_end.address, [peer])
    return daemon_end


def start_gobgp(factories, daemon_end: Endpoint, raw_address: str) -> Endpoint:
    gobgp = factories["gobgp"](daemon_end.address, DAEMON_AS, daemon_end,
                               [GobgpPeer(raw_address, 179, RAW_AS, ipv6=False)])
    gobgp.add_route(PREFIX, GOBGP_NEXT_HOP, med=MED, communities=[f"{DAEMON_AS}:7"],
                    origin="egp")
    return daemon_end


def start_frr(factories, daemon_end: Endpoint, raw_address: str) -> Endpoint:
    factories["frr"](daemon_end.address, DAEMON_AS, daemon_end,
                     [FrrPeer(raw_address, 179, RAW_AS,
                              networks=[(PREFIX, {"med": MED,
                                                  "communities": [f"{DAEMON_AS}:7"]})])])
    return daemon_end


DAEMONS: dict[str, tuple[Callable, list[str], str]] = {
    "bird": (start_bird, ["bird", "--version"], "BIRD 2 static route, MED, community, "
             "large community and route target"),
    "gobgp": (start_gobgp, ["gobgpd", "--version"], "GoBGP global rib route, origin EGP, "
              "MED and community"),
    "frr": (start_frr, [BGPD, "--version"], "FRR bgpd network with a route-map setting "
            "MED and community"),
}


def write_vector(name: str, message: bytes, daemon: str, version: str, what: str) -> None:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    hex_text = message.hex()
    lines = [
        f"# daemon: {version}",
        f"# captured: {today} by tests/interop/test_capture_vectors.py ({daemon})",
        f"# what: {what}",
        f"# session: {daemon} AS {DAEMON_AS} to a raw socket peer AS {RAW_AS} "
        "(IPv4 unicast, route refresh, 4-octet AS)",
        *[hex_text[i:i + 64] for i in range(0, len(hex_text), 64)],
    ]
    (VECTORS / name).write_text("\n".join(lines) + "\n")


@pytest.fixture
def factories(request) -> dict[str, Callable]:
    return {"bird": lambda *a: request.getfixturevalue("bird_factory")(*a),
            "gobgp": lambda *a: request.getfixturevalue("gobgp_factory")(*a),
            "frr": lambda *a: request.getfixturevalue("frr_factory")(*a)}


@pytest.mark.parametrize("daemon", sorted(DAEMONS))
def test_daemon_still_sends_the_stored_vectors(daemon, factories, addresses):
    start, version_command, what = DAEMONS[daemon]
    require_binary(version_command[0])
    daemon_end, raw_end = addresses.pair()
    start(factories, daemon_end, raw_end.address)
    open_message, update = RawPeer(raw_end.address, daemon_end).capture()
    if os.environ.get("BGPMESH_WRITE_VECTORS"):
        version = _version(version_command)
        write_vector(f"{daemon}-open.hex", open_message, daemon, version,
                     f"the OPEN {daemon} sends")
        write_vector(f"{daemon}-update.hex", update, daemon, version,
                     f"UPDATE of {PREFIX}: {what}")
    for kind, captured in (("open", open_message), ("update", update)):
        stored = read_vector(f"{daemon}-{kind}.hex")
        assert decoded_form(captured) == decoded_form(stored), kind
