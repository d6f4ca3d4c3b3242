"""Bad input of every kind gets a clear error or the RFC reaction, and breaks nothing else.

The peer here is a raw socket, not a daemon: no real BGP speaker can be made
to send a broken header on demand.  (Compare gobgp's
bgp_malformed_msg_handling_test, which does the same with a crafted peer.)
"""

from __future__ import annotations

import socket
import struct

import pytest

from tests.daemons.bgpmesh import Bgpmesh
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system

MARKER = b"\xff" * 16


def message(kind: int, body: bytes = b"") -> bytes:
    return MARKER + struct.pack("!HB", 19 + len(body), kind) + body


def open_body(asn: int, router_id: str, hold: int = 9) -> bytes:
    # RFC 4271 4.2 OPEN with one optional parameter (type 2, capabilities):
    # multiprotocol IPv4 unicast (1) and 4-octet AS (65), RFC 5492 / 6793
    caps = b"\x01\x04\x00\x01\x00\x01" + b"\x41\x04" + struct.pack("!I", asn)
    params = b"\x02" + bytes([len(caps)]) + caps
    return (struct.pack("!BHH4s", 4, asn, hold, socket.inet_aton(router_id))
            + bytes([len(params)]) + params)


def read_messages(sock: socket.socket, until_type: int, timeout: float = 10.0) -> list:
    """[(type, body)] up to and including the first message of until_type."""
    sock.settimeout(timeout)
    buffer = b""
    out = []
    while True:
        while len(buffer) >= 19:
            length = struct.unpack("!H", buffer[16:18])[0]
            if len(buffer) < length:
                break
            out.append((buffer[18], buffer[19:length]))
            buffer = buffer[length:]
            if out[-1][0] == until_type:
                return out
        data = sock.recv(4096)
        if not data:
            return out
        buffer += data


def connect_from(address: str, target) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((address, 0))
    sock.connect((target.address, target.port))
    return sock


def config(peer: str, me, processes: str = "", api: str = "") -> str:
    return (f"{processes}neighbor {peer} {{\n    router-id {me.address};\n"
            f"    local-address {me.address};\n    local-as 65001;\n    peer-as 65002;\n"
            f"    hold-time 9;\n    passive;\n    listen {me.port};\n{api}}}\n")


def establish(peer_address: str, me) -> socket.socket:
    sock = connect_from(peer_address, me)
    sock.sendall(message(1, open_body(65002, "10.9.9.9")))
    got = read_messages(sock, 4)
    assert [t for t, _ in got] == [1, 4], got  # their OPEN, then KEEPALIVE
    sock.sendall(message(4))
    return sock


def test_a_broken_header_gets_notification_1_1_and_the_peer_may_come_back(tmp_path,
                                                                          addresses):
    peer, me = addresses.pair()
    mesh = Bgpmesh(tmp_path / "mesh", config(peer.address, me)).start()
    try:
        sock = wait_until(lambda: _try(establish, peer.address, me), 20,
                          message=lambda: mesh.log())
        sock.sendall(b"\x00" * 16 + struct.pack("!HB", 19, 4))  # marker not all ones
        got = read_messages(sock, 3)
        notification = [body for kind, body in got if kind == 3]
        assert notification and notification[0][:2] == b"\x01\x01", got
        assert sock.recv(4096) == b""  # and the connection is closed
        sock.close()
        # nothing else broke: the same peer can establish again
        again = wait_until(lambda: _try(establish, peer.address, me), 20,
                           message=lambda: mesh.log())
        again.close()
        assert mesh.process.poll() is None
    finally:
        assert mesh.stop() == 0


def test_an_unknown_peer_is_closed_at_once_and_logged(tmp_path, addresses):
    peer, me = addresses.pair()
    stranger = addresses.address()
    mesh = Bgpmesh(tmp_path / "mesh", config(peer.address, me)).start()
    try:
        sock = connect_from(stranger, me)
        sock.settimeout(10)
        assert sock.recv(4096) == b""
        sock.close()
        wait_until(lambda: f"unknown peer {stranger}" in mesh.log(), 10,
                   message=lambda: mesh.log())
    finally:
        assert mesh.stop() == 0


def test_a_script_that_dies_is_started_again(tmp_path, addresses):
    peer, me = addresses.pair()
    script = tmp_path / "dies.sh"
    script.write_text("#!/bin/sh\necho 'announce route 10.77.0.0/24 next-hop self'\n"
                      "read answer\nexit 3\n")
    script.chmod(0o755)
    processes = f"process dies {{\n    run {script};\n    encoder json;\n}}\n"
    api = "    api {\n        processes [ dies ];\n    }\n"
    mesh = Bgpmesh(tmp_path / "mesh", config(peer.address, me, processes, api)).start()
    try:
        wait_until(lambda: mesh.log().count("exited with code 3") >= 2, 20,
                   message=lambda: mesh.log())
        assert mesh.process.poll() is None
        # the route the script announced before dying is still offered
        sock = wait_until(lambda: _try(establish, peer.address, me), 20,
                          message=lambda: mesh.log())
        got = read_messages(sock, 2)
        assert any(kind == 2 and b"\x18\x0a\x4d\x00" in body for kind, body in got), got
        sock.close()
    finally:
        assert mesh.stop() == 0


def _try(function, *args):
    try:
        return function(*args)
    except (OSError, AssertionError):
        return None
