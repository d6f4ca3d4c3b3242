"""OPERATIONAL messages (ExaBGP's draft-ietf-idr-operational-message) against
ExaBGP 5.0.15, both ways: bgpmesh's ``announce operational`` reaches ExaBGP's
API as an ``operational`` event, and ExaBGP's reaches a bgpmesh process whose
api has ``receive { operational; }``.  Without the capability on both sides
the command is refused."""

from __future__ import annotations

import pytest

from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.exabgp import ExabgpPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system

MESH_AS = 65001
PEER_AS = 65002


def config(daemon_end, mesh_end, relay: Relay, operational: bool) -> str:
    return relay.process_block() + (
        f"neighbor {daemon_end.address} {{\n"
        f"    router-id {mesh_end.address};\n"
        f"    local-address {mesh_end.address};\n"
        f"    local-as {MESH_AS};\n"
        f"    peer-as {PEER_AS};\n"
        "    hold-time 9;\n"
        f"    connect {daemon_end.port};\n"
        "    family {\n        ipv4 unicast;\n    }\n"
        + ("    capability {\n        operational;\n    }\n" if operational else "")
        + "    api {\n        processes [ script ];\n"
        "        receive {\n            parsed;\n            operational;\n        }\n    }\n"
        "}\n")


def operational_events(messages: list[dict]) -> list[dict]:
    return [m["neighbor"]["operational"] for m in messages if m.get("type") == "operational"]


@pytest.mark.parametrize("operational", [True, False], ids=["negotiated", "not-negotiated"])
def test_operational_both_ways(operational, addresses, exabgp_factory, tmp_path):
    daemon_end, mesh_end = addresses.pair()
    exabgp = exabgp_factory(daemon_end, [ExabgpPeer(
        address=mesh_end.address, port=mesh_end.port, local_address=daemon_end.address,
        local_as=PEER_AS, peer_as=MESH_AS, router_id="10.0.0.2",
        capabilities=["operational enable"] if operational else [])])
    relay = Relay(tmp_path, "script")
    mesh = Bgpmesh(tmp_path / "bgpmesh", config(daemon_end, mesh_end, relay, operational))
    mesh.start()
    try:
        exabgp.wait_established(mesh_end.address, 20)
        relay.send('announce operational adm afi ipv4 safi unicast advisory "maintenance at 22h"')
        if not operational:
            assert relay.wait_acks(1) == ["error"]
            return
        assert relay.wait_acks(1) == ["done"]
        wait_until(lambda: operational_events(exabgp.messages()), 20,
                   message=lambda: f"ExaBGP output:\n{exabgp.log_text()[-2000:]}")
        assert operational_events(exabgp.messages()) == [
            {"name": "ADM", "afi": "ipv4", "safi": "unicast", "advisory": "maintenance at 22h"}]

        # ExaBGP's API splits the line on spaces and keeps quotes: one bare word
        exabgp.command("announce operational asm afi ipv4 safi unicast advisory from-exabgp")
        event = relay.wait_message(lambda m: m.get("type") == "operational", 20)
        assert event["neighbor"]["direction"] == "receive"
        assert event["neighbor"]["address"]["peer"] == daemon_end.address
        assert event["neighbor"]["operational"] == {
            "name": "ASM", "afi": "ipv4", "safi": "unicast", "advisory": "from-exabgp"}
        # the session survives both
        assert exabgp.session_state(mesh_end.address) == "up"
    finally:
        mesh.stop()
