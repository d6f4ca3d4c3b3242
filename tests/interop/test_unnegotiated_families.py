"""A family the session did not negotiate is never sent (RFC 4760 section 3,
RFC 5492), and one the neighbor is not configured for is refused.

GoBGP 3.10 is configured for IPv4 unicast only; bgpmesh for IPv4 unicast,
IPv4 MUP and IPv6 unicast.  What GoBGP received is read from its own
counters: a MUP route bgpmesh announces stays in its Adj-RIB-Out (``show
adj-rib out``) and never reaches GoBGP, which would otherwise count one
more UPDATE.  TCP keeps order, so once a unicast route announced after the
MUP one is in GoBGP's RIB, anything sent before it has been counted.  The
script's answers are ExaBGP 5.0's JSON (``bgpmesh.api.ack-format = json``).
"""

from __future__ import annotations

import pytest

from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.gobgp import GobgpPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.interop

MESH_AS, PEER_AS = 65001, 65002
MUP = "announce ipv4 mup mup-isd 10.0.1.1/32 rd 100:100 next-hop 192.0.2.9"


def config(relay: Relay, gobgp_end, mesh_end) -> str:
    return relay.process_block() + (
        f"neighbor {gobgp_end.address} {{\n"
        f"    router-id {mesh_end.address};\n"
        f"    local-address {mesh_end.address};\n"
        f"    local-as {MESH_AS};\n"
        f"    peer-as {PEER_AS};\n"
        "    hold-time 9;\n"
        f"    connect {gobgp_end.port};\n"
        "    family {\n        ipv4 unicast;\n        ipv4 mup;\n        ipv6 unicast;\n    }\n"
        "    api {\n        processes [ script ];\n    }\n"
        "}\n")


def test_a_family_not_negotiated_is_kept_and_never_sent(tmp_path, addresses, gobgp_factory):
    gobgp_end, mesh_end = addresses.pair()
    gobgp = gobgp_factory("10.0.0.2", PEER_AS, gobgp_end, [GobgpPeer(
        address=mesh_end.address, port=mesh_end.port, peer_as=MESH_AS, passive=True,
        ipv4=True, ipv6=False)])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "mesh", config(relay, gobgp_end, mesh_end),
                   env={"bgpmesh_api_ack_format": "json"}).start()

    def answers() -> list[dict]:
        return [m for m in relay.messages() if "answer" in m]

    def send(line: str) -> dict:
        count = len(answers())
        relay.send(line)
        return wait_until(lambda: len(a := answers()) > count and a[count], 15,
                          message=relay.lines)

    def updates_received() -> int:
        messages = gobgp.neighbor(mesh_end.address)["state"]["messages"]["received"]
        return int(messages.get("update", 0))

    def holds(prefix: str) -> bool:
        return prefix in (gobgp.cli_json("global", "rib", "-a", "ipv4") or {})

    try:
        gobgp.wait_established(mesh_end.address, 30)
        assert send("announce route 10.7.0.0/24 next-hop 192.0.2.1") == {"answer": "done",
                                                                    "message": ""}
        wait_until(lambda: holds("10.7.0.0/24"), 20, message=lambda: "no 10.7.0.0/24")
        before = updates_received()

        # configured, not negotiated: accepted, kept, not sent, logged once
        assert send(MUP)["answer"] == "done"
        assert send(MUP.replace("10.0.1.1/32", "10.0.1.2/32"))["answer"] == "done"
        assert send("announce route 10.7.1.0/24 next-hop 192.0.2.1")["answer"] == "done"
        wait_until(lambda: holds("10.7.1.0/24"), 20, message=lambda: "no 10.7.1.0/24")
        assert updates_received() == before + 1  # the unicast route only
        warned = wait_until(lambda: [line for line in mesh.log().splitlines()
                                     if "ipv4 mup was not negotiated" in line], 15,
                            message=lambda: mesh.log()[-2000:])
        assert len(warned) == 1, warned
        shown = send("show adj-rib out")
        assert shown["answer"] == "done"
        assert any("ipv4 mup" in line and "10.0.1.1/32" in line for line in relay.lines())

        # not configured at all: refused, the families named
        refused = send("announce ipv4 mcast-vpn source-ad source 10.0.0.1 group 239.0.0.1 "
                       "rd 1:1 next-hop 192.0.2.9")
        assert refused == {"answer": "error", "message": (
            "ipv4 mcast-vpn source-ad source 10.0.0.1 group 239.0.0.1 rd 1:1: no selected "
            f"neighbor is configured for ipv4 mcast-vpn (their families: {gobgp_end.address}: "
            "ipv4 unicast, ipv4 mup, ipv6 unicast)")}
        # the same for a plain multicast line, which travels in batches
        refused = send("announce ipv4 multicast 10.9.0.0/24 next-hop 192.0.2.1")
        assert refused["answer"] == "error"
        assert refused["message"].startswith("10.9.0.0/24: no selected neighbor is configured "
                                             "for ipv4 multicast"), refused
        assert gobgp.session_state(mesh_end.address) == "Established"
    finally:
        mesh.stop()
