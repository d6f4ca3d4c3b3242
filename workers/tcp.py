"""Socket options a BGP session needs: TCP MD5 signatures, GTSM, TTL.

* TCP MD5 (RFC 2385): Linux keeps one key per peer address on the socket
  (``TCP_MD5SIG`` with a ``struct tcp_md5sig``).  An active session sets it
  on its socket before connecting; a passive one needs it on the *listening*
  socket, since the kernel checks the SYN.  Segments without the right
  signature are dropped by the kernel, so a wrong key looks like a peer that
  never answers: callers must time their connects out.
* GTSM (RFC 5082): ``IP_MINTTL`` / ``IPV6_MINHOPCOUNT`` make the kernel drop
  segments that arrive with a TTL below the floor; peers send with TTL 255.
* Outgoing TTL: ``IP_TTL`` / ``IPV6_UNICAST_HOPS`` (multihop eBGP, or 255 for
  a GTSM peer).
* Source interface: ``SO_BINDTODEVICE`` ties an outgoing connection to one
  interface (ExaBGP's ``source-interface``); the kernel then routes it out of
  that interface only.  It needs CAP_NET_RAW.

``md5sig`` is pure (bytes out), so the layout is unit-tested without sockets.
"""

from __future__ import annotations

import base64
import socket
import struct

# linux/tcp.h; Python's socket module does not export all of these
TCP_MD5SIG = getattr(socket, "TCP_MD5SIG", 14)
TCP_MD5SIG_MAXKEYLEN = 80
IP_MINTTL = getattr(socket, "IP_MINTTL", 21)
IPV6_MINHOPCOUNT = getattr(socket, "IPV6_MINHOPCOUNT", 73)
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)
IFNAMSIZ = 16  # linux/if.h, with the terminating NUL
SOCKADDR_STORAGE = 128


class SocketOptionError(OSError):
    pass


def md5_key(password: str, base64_encoded: bool = False) -> bytes:
    key = base64.b64decode(password, validate=True) if base64_encoded else password.encode()
    if len(key) > TCP_MD5SIG_MAXKEYLEN:
        raise ValueError(f"an MD5 key is at most {TCP_MD5SIG_MAXKEYLEN} bytes, "
                         f"this one has {len(key)}")
    return key


def md5sig(address: str, key: bytes) -> bytes:
    """``struct tcp_md5sig`` for one peer address (an empty key removes it).

        struct tcp_md5sig {
            struct sockaddr_storage tcpm_addr;   128 bytes, family in host order
            __u8  tcpm_flags;                    0: no prefix, no ifindex
            __u8  tcpm_prefixlen;
            __u16 tcpm_keylen;
            __u32 tcpm_ifindex;
            __u8  tcpm_key[80];
        };
    """
    if ":" in address:
        sockaddr = struct.pack("=HHI16sI", socket.AF_INET6, 0, 0,
                               socket.inet_pton(socket.AF_INET6, address), 0)
    else:
        sockaddr = struct.pack("=HH4s", socket.AF_INET, 0, socket.inet_aton(address))
    sockaddr = sockaddr.ljust(SOCKADDR_STORAGE, b"\0")
    return sockaddr + struct.pack("=BBHI", 0, 0, len(key), 0) + key.ljust(
        TCP_MD5SIG_MAXKEYLEN, b"\0")


def set_md5(sock: socket.socket, address: str, key: bytes) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, md5sig(address, key))
    except OSError as exc:
        raise SocketOptionError(exc.errno, f"TCP MD5 for {address}: {exc.strerror}") from None


def set_min_ttl(sock: socket.socket, ttl: int) -> None:
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MINHOPCOUNT, ttl)
    else:
        sock.setsockopt(socket.IPPROTO_IP, IP_MINTTL, ttl)


def set_ttl(sock: socket.socket, ttl: int) -> None:
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    else:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)


def bind_to_device(sock: socket.socket, interface: str) -> None:
    name = interface.encode()
    if not name or len(name) >= IFNAMSIZ or b"\0" in name:
        raise SocketOptionError(0, f"source-interface {interface!r}: an interface name is "
                                   f"1 to {IFNAMSIZ - 1} bytes")
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, name + b"\0")
    except OSError as exc:
        raise SocketOptionError(exc.errno,
                                f"source-interface {interface}: {exc.strerror}") from None


def neighbor_md5_key(neighbor) -> bytes | None:
    """The neighbor's MD5 key, or None (configuration names as ExaBGP's)."""
    password = getattr(neighbor, "md5_password", None)
    if not password:
        return None
    return md5_key(password, bool(getattr(neighbor, "md5_base64", False)))


def md5_peer_address(neighbor) -> str:
    """md5-ip overrides the address the key is bound to (ExaBGP)."""
    return getattr(neighbor, "md5_ip", None) or neighbor.peer_address


def prepare(sock: socket.socket, neighbor) -> None:
    """Every option the neighbor asks for, on a socket about to connect or just
    accepted."""
    key = neighbor_md5_key(neighbor)
    if key:
        set_md5(sock, md5_peer_address(neighbor), key)
    incoming = getattr(neighbor, "incoming_ttl", None)
    if incoming:
        set_min_ttl(sock, incoming)
    outgoing = getattr(neighbor, "outgoing_ttl", None)
    if outgoing:
        set_ttl(sock, outgoing)
