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

The other families come from one more session per daemon (``FAMILY_SESSIONS``),
the raw peer's OPEN offering every family the daemon is set to originate:
GoBGP IPv6 unicast, labeled unicast, VPN-IPv4/IPv6, FlowSpec IPv4/IPv6,
FlowSpec VPN-IPv4 and
EVPN Ethernet A-D, MAC/IP, inclusive multicast, Ethernet Segment and IP
prefix routes (``gobgp global rib add``), and in a session of its own the RTC route of a VRF; BIRD IPv6
unicast, labeled unicast, VPN-IPv4 and FlowSpec IPv4/IPv6 (static routes in
tables of those types); FRR IPv6 unicast
and VPN-IPv4 (a ``network ... rd ... label`` of ``address-family ipv4 vpn``),
and in a session of its own labeled unicast.
Each is stored as ``<daemon>-<family>-update.hex``, the session's OPEN as
``<session>-open.hex``; next hops on the test's loopback addresses are
normalised like the IPv4 NEXT_HOP.  No daemon here originates VPLS: GoBGP's
CLI has no such family, BIRD and FRR none at all.

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


def raw_open(asn: int, router_id: str, hold_time: int = 9,
             families: tuple[tuple[int, int], ...] = ((1, 1),)) -> bytes:
    """OPEN with multiprotocol ``families`` (IPv4 unicast by default), route
    refresh and 4-octet AS."""
    capabilities = (
        b"".join(bytes((1, 4)) + struct.pack("!HBB", afi, 0, safi) for afi, safi in families)  # RFC 4760
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

    def __init__(self, source: str, target: Endpoint,
                 families: tuple[tuple[int, int], ...] = ((1, 1),)) -> None:
        self.source, self.target = source, target
        self.families = families
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
        open_message, found = self.capture_each({"update": _has_attributes}, timeout)
        return open_message, found["update"]

    def capture_each(self, wanted: dict[str, Callable[[bytes], bool]],
                     timeout: float = 30.0) -> tuple[bytes, dict[str, bytes]]:
        """The daemon's OPEN and, for each name of ``wanted``, the first UPDATE
        its test accepts."""
        deadline = time.monotonic() + timeout
        sock = self._connect(deadline)
        buffer = b""
        found: dict[str, bytes] = {}
        try:
            sock.sendall(raw_open(RAW_AS, self.source, families=self.families))
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
                    if message[18] == UPDATE:
                        for name, test in wanted.items():
                            if name not in found and test(message):
                                found[name] = message
                    if len(found) == len(wanted):
                        (open_message,) = [m for m in self.messages if m[18] == OPEN]
                        return open_message, found
            missing = sorted(set(wanted) - set(found))
            raise AssertionError(f"no UPDATE for {missing} before the timeout: "
                                 f"{[m.hex() for m in self.messages]}")
        finally:
            sock.close()


def _has_attributes(message: bytes) -> bool:
    withdrawn = struct.unpack("!H", message[19:21])[0]
    return struct.unpack("!H", message[21 + withdrawn:23 + withdrawn])[0] > 0


def mp_reach(message: bytes) -> tuple[int, int, bytes] | None:
    """(AFI, SAFI, NLRI field) of the UPDATE's MP_REACH_NLRI (RFC 4760
    section 3), read by hand; None without one."""
    withdrawn = struct.unpack("!H", message[19:21])[0]
    at = 23 + withdrawn
    end = at + struct.unpack("!H", message[21 + withdrawn:23 + withdrawn])[0]
    while at < end:
        flags, kind = message[at], message[at + 1]
        if flags & 0x10:  # Extended Length
            length, value = struct.unpack("!H", message[at + 2:at + 4])[0], at + 4
        else:
            length, value = message[at + 2], at + 3
        if kind == 14:
            afi, safi, hop = struct.unpack("!HBB", message[value:value + 4])
            return afi, safi, message[value + 5 + hop:value + length]
        at = value + length
    return None


def reaches(afi: int, safi: int, which: int | bytes | None = None) -> Callable[[bytes], bool]:
    """An UPDATE test: MP_REACH_NLRI of (afi, safi) with NLRI; ``which``, if
    given, picks one route of several: an int is the EVPN route type (the
    first octet of the NLRI, RFC 7432 section 7), bytes are octets the NLRI
    field holds (a FlowSpec rule's destination component)."""
    def test(message: bytes) -> bool:
        found = mp_reach(message)
        if found is None or found[:2] != (afi, safi) or not found[2]:
            return False
        if isinstance(which, bytes):
            return which in found[2]
        return which is None or found[2][0] == which
    return test


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


# -- the other families -------------------------------------------------------
#
# One session per daemon carries every family it can originate; the raw
# peer's OPEN offers them all, and each vector is the first UPDATE whose
# MP_REACH_NLRI holds that family (for EVPN, that route type).  The routes,
# their labels, RDs and route targets are the ones
# tests/unit/codec/test_captured_vectors.py expects (``FAMILY_VECTORS``).

FAMILY_CODES = {
    "ipv4 unicast": (1, 1), "ipv6 unicast": (2, 1), "ipv4 nlri-mpls": (1, 4),
    "ipv6 nlri-mpls": (2, 4), "ipv4 mpls-vpn": (1, 128), "ipv6 mpls-vpn": (2, 128),
    "ipv4 rtc": (1, 132), "ipv4 flow": (1, 133), "ipv6 flow": (2, 133), "ipv4 flow-vpn": (1, 134),
    "l2vpn evpn": (25, 70),
}
GOBGP_HOP, GOBGP_HOP6 = "192.0.2.2", "2001:db8::2"
# the destination components that tell two FlowSpec rules of a family apart
FLOW4_198 = bytes.fromhex("0118c63364")  # 198.51.100.0/24
FLOW4_192 = bytes.fromhex("0118c00002")  # 192.0.2.0/24
FLOW6_80 = bytes.fromhex("01300020010db80080")  # 2001:db8:80::/48, offset 0
FLOW6_81 = bytes.fromhex("014008")  # a /64 at offset 8


def start_gobgp_families(factories, daemon_end: Endpoint, raw_address: str) -> None:
    gobgp = factories["gobgp"](daemon_end.address, DAEMON_AS, daemon_end, [GobgpPeer(
        raw_address, 179, RAW_AS, families=[
            "ipv4-labelled-unicast", "ipv6-labelled-unicast", "l3vpn-ipv4-unicast",
            "l3vpn-ipv6-unicast", "ipv4-flowspec", "ipv6-flowspec", "l3vpn-ipv4-flowspec",
            "l2vpn-evpn"])])
    for family, *words in (
        ("ipv6", "2001:db8:77::/48", "nexthop", GOBGP_HOP6, "med", "42", "community", "65002:7"),
        ("ipv4-mpls", "198.51.100.128/25", "102", "nexthop", GOBGP_HOP),
        ("ipv6-mpls", "2001:db8:79::/48", "103", "nexthop", GOBGP_HOP6),
        ("vpnv4", "198.51.100.0/24", "label", "100", "rd", "65002:10", "rt", "65002:10",
         "nexthop", GOBGP_HOP, "med", "42"),
        ("vpnv6", "2001:db8:78::/48", "label", "101", "rd", "192.0.2.2:11", "rt", "65002:11",
         "nexthop", GOBGP_HOP6),
        ("ipv4-flowspec", "match", "destination", "198.51.100.0/24", "source", "203.0.113.0/24",
         "protocol", "tcp", "destination-port", "==80", "==443", "tcp-flags", "S",
         "then", "rate-limit", "1000"),
        ("ipv6-flowspec", "match", "destination", "2001:db8:80::/48", "protocol", "udp",
         "destination-port", "==53", "then", "discard"),
        ("ipv4-l3vpn-flowspec", "rd", "65002:50", "match", "destination", "198.51.100.0/24",
         "protocol", "tcp", "then", "redirect", "65002:51"),
        ("ipv4-flowspec", "match", "destination", "192.0.2.0/24", "source-port", ">=1024", "&<=2048",
         "icmp-type", "==8", "icmp-code", "==0", "packet-length", ">100", "dscp", "==46",
         "fragment", "is-fragment", "then", "action", "sample-terminal", "mark", "10"),
        ("ipv6-flowspec", "match", "destination", "2001:db8:81::/64", "8", "source", "2001:db8:82::/48",
         "protocol", "==6", "==17", "label", "==4660", "dscp", "==10", "then", "redirect", "65002:60"),
        ("evpn", "macadv", "02:00:00:00:00:01", "192.0.2.10", "etag", "0", "label", "200",
         "rd", "65002:20", "rt", "65002:20", "encap", "vxlan"),
        ("evpn", "multicast", "192.0.2.2", "etag", "0", "rd", "65002:20", "rt", "65002:20",
         "encap", "vxlan", "pmsi", "ingress-repl", "200", "192.0.2.2"),
        ("evpn", "prefix", "198.51.100.0/24", "gw", "192.0.2.2", "etag", "0", "label", "201",
         "rd", "65002:21", "rt", "65002:21", "encap", "vxlan", "router-mac", "02:00:00:00:00:02"),
        ("evpn", "a-d", "esi", "ARBITRARY", "00:11:22:33:44:55:66:77:88", "etag", "0", "label", "202",
         "rd", "65002:22", "rt", "65002:22"),
        ("evpn", "esi", "192.0.2.2", "esi", "ARBITRARY", "00:11:22:33:44:55:66:77:88",
         "rd", "65002:23", "rt", "65002:23"),
    ):
        gobgp.cli("global", "rib", "-a", family, "add", *words)


def start_gobgp_rtc(factories, daemon_end: Endpoint, raw_address: str) -> None:
    # a session of its own: with RTC, GoBGP holds the other families back
    # until the peer says which route targets it wants (RFC 4684 section 6)
    gobgp = factories["gobgp"](daemon_end.address, DAEMON_AS, daemon_end, [GobgpPeer(
        raw_address, 179, RAW_AS, families=["rtc"])])
    # a VRF importing 65002:30: GoBGP asks for its routes with an RTC route
    gobgp.cli("vrf", "add", "red", "rd", "65002:30", "rt", "both", "65002:30")


GOBGP_VECTORS = {
    "ipv6": ("ipv6 unicast", None, "2001:db8:77::/48, MED 42, community 65002:7"),
    "ipv4-mpls": ("ipv4 nlri-mpls", None, "198.51.100.128/25 label 102"),
    "ipv6-mpls": ("ipv6 nlri-mpls", None, "2001:db8:79::/48 label 103"),
    "vpnv4": ("ipv4 mpls-vpn", None, "198.51.100.0/24 label 100 rd 65002:10 rt 65002:10, MED 42"),
    "vpnv6": ("ipv6 mpls-vpn", None, "2001:db8:78::/48 label 101 rd 192.0.2.2:11 rt 65002:11"),
    "flow4": ("ipv4 flow", FLOW4_198, "destination 198.51.100.0/24 source 203.0.113.0/24 protocol tcp "
              "destination-port 80 or 443 tcp-flags syn, rate-limit 1000"),
    "flow6": ("ipv6 flow", FLOW6_80, "destination 2001:db8:80::/48 next-header udp destination-port 53, "
              "discard"),
    "flow4-more": ("ipv4 flow", FLOW4_192, "destination 192.0.2.0/24 source-port >=1024&<=2048 "
                   "icmp-type 8 icmp-code 0 packet-length >100 dscp 46 fragment is-fragment, "
                   "action sample-terminal, mark 10"),
    # GoBGP 3.10 writes the whole address before the pattern of a prefix with
    # an offset (RFC 8956 section 3.1: the pattern is the length minus offset
    # bits): the octet after it reads as component type 0, a malformed NLRI
    "flow6-offset": ("ipv6 flow", FLOW6_81, "destination 2001:db8:81::/64 offset 8, source "
                     "2001:db8:82::/48, next-header 6 or 17, flow label 4660, traffic class 10, "
                     "redirect 65002:60; MALFORMED by GoBGP, see the test"),
    "flow4-vpn": ("ipv4 flow-vpn", None, "rd 65002:50 destination 198.51.100.0/24 protocol tcp, "
                  "redirect 65002:51"),
    "evpn-mac": ("l2vpn evpn", 2, "MAC/IP 02:00:00:00:00:01 192.0.2.10 label 200 rd 65002:20, VXLAN"),
    "evpn-multicast": ("l2vpn evpn", 3, "inclusive multicast 192.0.2.2 rd 65002:20, PMSI ingress "
                       "replication label 200"),
    "evpn-prefix": ("l2vpn evpn", 5, "IP prefix 198.51.100.0/24 gateway 192.0.2.2 label 201 "
                    "rd 65002:21, router MAC 02:00:00:00:00:02"),
    "evpn-ad": ("l2vpn evpn", 1, "Ethernet A-D, ESI type 0 (arbitrary) 00:11:22:33:44:55:66:77:88, "
                "label 202 rd 65002:22"),
    "evpn-es": ("l2vpn evpn", 4, "Ethernet Segment 192.0.2.2, ESI type 0 00:11:22:33:44:55:66:77:88, "
                "rd 65002:23"),
}
GOBGP_RTC_VECTORS = {
    "rtc": ("ipv4 rtc", None, "route target membership of VRF red, 65002:30"),
}

def start_bird_families(factories, daemon_end: Endpoint, raw_address: str) -> None:
    peer = BirdPeer(
        "raw", daemon_end.address, daemon_end.port, raw_address, 179, DAEMON_AS, RAW_AS,
        ipv6_next_hop="2001:db8::2",
        export_static=[("2001:db8:77::/48", {"bgp_med": MED, "bgp_community": [(DAEMON_AS, 7)]})],
        # global statements: the tables and the static routes in them.  The VPN
        # and labeled routes go "via lo" (any other next hop must resolve on
        # the host); BIRD 2.0 sends them with next hop self and label 3
        # (implicit null, RFC 8277 section 2), whatever label they hold.
        tables=[
            "flow4 table flowtab4;", "flow6 table flowtab6;", "vpn4 table vpntab4;",
            "ipv4 table labeltab4;",
            'protocol static vpnstatic4 { vpn4 { table vpntab4; }; '
            'route 65002:40 198.51.100.0/24 via "lo" mpls 300; }',
            'protocol static labelstatic4 { ipv4 { table labeltab4; }; '
            'route 198.51.100.128/25 via "lo" mpls 302; }',
            "protocol static flowstatic4 { flow4 { table flowtab4; }; route flow4 { "
            "dst 198.51.100.0/24; src 203.0.113.0/24; proto = 6; dport = 80 || = 443; "
            "tcp flags 0x02/0x02; length >= 64 && <= 1500; }; }",
            "protocol static flowstatic6 { flow6 { table flowtab6; }; route flow6 { "
            "dst 2001:db8:80::/48; next header = 17; dport = 53; }; route flow6 { "
            "dst 2001:db8:81::/64 offset 8; src 2001:db8:82::/48; next header = 6 || = 17; "
            "label 4660; dscp 10; }; }",
            "protocol static flowmore4 { flow4 { table flowtab4; }; route flow4 { "
            "dst 192.0.2.0/24; sport >= 1024 && <= 2048; icmp type 8; icmp code 0; length > 100; "
            "dscp 46; fragment is_fragment; }; }",
        ],
        extra=[
            "flow4 { table flowtab4; import none; export filter { "
            "bgp_ext_community.add((generic, 0x80060000, 0)); accept; }; };",
            "flow6 { table flowtab6; import none; export all; };",
            "vpn4 mpls { table vpntab4; igp table igp4; import none; export filter { "
            "bgp_ext_community.add((rt, 65002, 40)); accept; }; };",
            "ipv4 mpls { table labeltab4; igp table igp4; import none; export all; };",
        ])
    factories["bird"](daemon_end.address, [peer])


BIRD_VECTORS = {
    "ipv6": ("ipv6 unicast", None, "2001:db8:77::/48, MED 42, community 65002:7"),
    # BIRD puts both rules of a family in one UPDATE (same attributes)
    "flow4": ("ipv4 flow", FLOW4_198, "two rules, traffic-rate 0: dst 198.51.100.0/24; "
              "src 203.0.113.0/24; proto = 6; dport = 80 || = 443; tcp flags 0x02/0x02; "
              "length >= 64 && <= 1500 - and dst 192.0.2.0/24; sport >= 1024 && <= 2048; "
              "icmp type 8; icmp code 0; length > 100; dscp 46; fragment is_fragment"),
    "flow6": ("ipv6 flow", FLOW6_80, "two rules: dst 2001:db8:80::/48; next header = 17; dport = 53 "
              "- and dst 2001:db8:81::/64 offset 8; src 2001:db8:82::/48; next header = 6 || = 17; "
              "label 4660; dscp 10"),
    "vpnv4": ("ipv4 mpls-vpn", None, "65002:40 198.51.100.0/24 mpls 300, route target 65002:40"),
    "ipv4-mpls": ("ipv4 nlri-mpls", None, "198.51.100.128/25 mpls 302"),
}


def start_frr_families(factories, daemon_end: Endpoint, raw_address: str) -> None:
    factories["frr"](daemon_end.address, DAEMON_AS, daemon_end, [FrrPeer(
        raw_address, 179, RAW_AS, ipv6_next_hop="2001:db8::3",
        networks=[("2001:db8:77::/48", {"med": MED, "communities": [f"{DAEMON_AS}:7"]})],
        families=["ipv4 vpn"],
        router=[" address-family ipv4 vpn",
                "  network 198.51.100.0/24 rd 65002:40 label 300",
                " exit-address-family"])])


def start_frr_labeled(factories, daemon_end: Endpoint, raw_address: str) -> None:
    # a session of its own: FRR refuses IPv4 unicast beside labeled unicast
    # on one neighbor; the route comes from the unicast table
    factories["frr"](daemon_end.address, DAEMON_AS, daemon_end, [FrrPeer(
        raw_address, 179, RAW_AS, unicast=False, families=["ipv4 labeled-unicast"],
        router=[" address-family ipv4 unicast", "  network 198.51.100.128/25", " exit-address-family"])])


FRR_LABELED_VECTORS = {
    "ipv4-mpls": ("ipv4 nlri-mpls", None, "198.51.100.128/25 (a network of address-family ipv4 "
                  "unicast, sent on labeled unicast)"),
}

FRR_VECTORS = {
    "ipv6": ("ipv6 unicast", None, "2001:db8:77::/48 (network with a route-map), MED 42, "
             "community 65002:7"),
    "vpnv4": ("ipv4 mpls-vpn", None, "198.51.100.0/24 rd 65002:40 label 300 (a network of "
              "address-family ipv4 vpn)"),
}

# session name -> (daemon, start, version command, vectors); the session's
# OPEN is stored as <session>-open.hex
FAMILY_SESSIONS: dict[str, tuple[str, Callable, list[str], dict[str, tuple[str, int | bytes | None, str]]]] = {
    "gobgp-families": ("gobgp", start_gobgp_families, ["gobgpd", "--version"], GOBGP_VECTORS),
    "gobgp-rtc": ("gobgp", start_gobgp_rtc, ["gobgpd", "--version"], GOBGP_RTC_VECTORS),
    "bird-families": ("bird", start_bird_families, ["bird", "--version"], BIRD_VECTORS),
    "frr-families": ("frr", start_frr_families, [BGPD, "--version"], FRR_VECTORS),
    "frr-labeled": ("frr", start_frr_labeled, [BGPD, "--version"], FRR_LABELED_VECTORS),
}


def _families(vectors: dict[str, tuple[str, int | bytes | None, str]]) -> tuple[tuple[int, int], ...]:
    return ((1, 1), *sorted({FAMILY_CODES[family] for family, _, _ in vectors.values()} - {(1, 1)}))


@pytest.mark.parametrize("session_name", sorted(FAMILY_SESSIONS))
def test_daemon_still_sends_the_stored_family_vectors(session_name, factories, addresses):
    daemon, start, version_command, vectors = FAMILY_SESSIONS[session_name]
    require_binary(version_command[0])
    daemon_end, raw_end = addresses.pair()
    start(factories, daemon_end, raw_end.address)
    families = _families(vectors)
    wanted = {name: reaches(*FAMILY_CODES[family], which)
              for name, (family, which, _) in vectors.items()}
    open_message, updates = RawPeer(raw_end.address, daemon_end, families).capture_each(wanted)
    session = ", ".join(name for name, codes in FAMILY_CODES.items() if codes in families)
    if os.environ.get("BGPMESH_WRITE_VECTORS"):
        version = _version(version_command)
        write_vector(f"{session_name}-open.hex", open_message, daemon, version,
                     f"the OPEN {daemon} sends with these families configured", session)
        for name, (family, _, what) in vectors.items():
            write_vector(f"{daemon}-{name}-update.hex", updates[name], daemon, version,
                         f"{family}: {what}", session)
    stored = read_vector(f"{session_name}-open.hex")
    assert decoded_form(open_message) == decoded_form(stored), "open"
    for name, captured in updates.items():
        assert decoded_form(captured) == decoded_form(read_vector(f"{daemon}-{name}-update.hex")), name


def write_vector(name: str, message: bytes, daemon: str, version: str, what: str,
                 session: str = "IPv4 unicast") -> None:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    hex_text = message.hex()
    lines = [
        f"# daemon: {version}",
        f"# captured: {today} by tests/interop/test_capture_vectors.py ({daemon})",
        f"# what: {what}",
        f"# session: {daemon} AS {DAEMON_AS} to a raw socket peer AS {RAW_AS} "
        f"({session}, route refresh, 4-octet AS)",
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
