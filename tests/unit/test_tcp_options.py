"""TCP MD5 and TTL socket options (workers/tcp.py).

The struct layout is checked byte for byte against linux/tcp.h's
``struct tcp_md5sig``; the options are then set on real (unconnected)
sockets, which the kernel accepts without a peer.
"""

from __future__ import annotations

import socket
import struct

import pytest

from bgpmesh.workers import tcp


def test_md5sig_layout_ipv4():
    raw = tcp.md5sig("192.0.2.1", b"secret")
    assert len(raw) == 128 + 8 + 80
    family, port, address = struct.unpack_from("=HH4s", raw)
    assert (family, port, address) == (socket.AF_INET, 0, socket.inet_aton("192.0.2.1"))
    flags, prefixlen, keylen, ifindex = struct.unpack_from("=BBHI", raw, 128)
    assert (flags, prefixlen, keylen, ifindex) == (0, 0, 6, 0)
    assert raw[136:142] == b"secret" and raw[142:] == b"\0" * 74


def test_md5sig_layout_ipv6():
    raw = tcp.md5sig("2001:db8::1", b"k")
    family, port, flowinfo, address, scope = struct.unpack_from("=HHI16sI", raw)
    assert family == socket.AF_INET6
    assert address == socket.inet_pton(socket.AF_INET6, "2001:db8::1")
    assert struct.unpack_from("=H", raw, 130)[0] == 1


def test_md5_key_limits_and_base64():
    assert tcp.md5_key("c2VjcmV0", base64_encoded=True) == b"secret"
    with pytest.raises(ValueError):
        tcp.md5_key("x" * 81)
    with pytest.raises(ValueError):
        tcp.md5_key("not base64!", base64_encoded=True)


def test_the_kernel_accepts_the_options():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        tcp.set_md5(sock, "127.0.0.1", b"secret")
        tcp.set_min_ttl(sock, 254)
        tcp.set_ttl(sock, 255)
        assert sock.getsockopt(socket.IPPROTO_IP, tcp.IP_MINTTL) == 254
        assert sock.getsockopt(socket.IPPROTO_IP, socket.IP_TTL) == 255
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        tcp.set_md5(sock, "::1", b"secret")
        tcp.set_min_ttl(sock, 254)
        tcp.set_ttl(sock, 255)
        assert sock.getsockopt(socket.IPPROTO_IPV6, tcp.IPV6_MINHOPCOUNT) == 254
