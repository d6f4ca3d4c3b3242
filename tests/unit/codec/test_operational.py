"""OPERATIONAL messages (ExaBGP's draft-ietf-idr-operational-message, type 6).

The hex is what ExaBGP 5.0.15's ``exabgp.bgp.message.operational`` packs for
the same values (``Advisory.ADM(1, 1, "hello world").message(...)`` ...).
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from bgpmesh import fsm as F
from bgpmesh.api.exabgp import json_event, text_event
from bgpmesh.api.json import operational_message
from bgpmesh.codec import MessageReader, OperationalMessage, Session
from bgpmesh.codec.header import MESSAGES
from bgpmesh.codec.operational import ADM, APCP, ASM, LPCQ, RPCQ
from bgpmesh.errors import BadMessageLength
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST, Family
from workers.worker import operational_from_wire

SESSION = Session()
MARKER = "ff" * 16


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (MARKER + "0025" "06" "0001" "000e" "0001" "01" + b"hello world".hex(),
         OperationalMessage(ADM, IPV4_UNICAST, advisory="hello world")),
        (MARKER + "0022" "06" "0003" "000b" "0001" "01" "0a000001" "00000007",
         OperationalMessage(RPCQ, IPV4_UNICAST, router_id="10.0.0.1", sequence=7)),
        (MARKER + "0026" "06" "0006" "000f" "0002" "01" "0a000001" "00000007" "00003039",
         OperationalMessage(APCP, IPV6_UNICAST, router_id="10.0.0.1", sequence=7,
                            counter=12345)),
    ],
)
def test_exabgp_vectors(wire: str, message: OperationalMessage) -> None:
    assert message.encode().hex() == wire
    assert MessageReader().feed(bytes.fromhex(wire), SESSION) == [message]


def test_registered_as_type_6() -> None:
    assert MESSAGES[6] is OperationalMessage


def test_utf8_advisory_round_trips_and_long_text_is_cut_as_exabgp_does() -> None:
    message = OperationalMessage(ASM, IPV4_UNICAST, advisory="maintenance \u00e0 22h")
    assert OperationalMessage.decode(message.encode()[19:]) == message
    long = OperationalMessage(ADM, IPV4_UNICAST, advisory="x" * 3000).encode()
    assert len(long) == 19 + 4 + 3 + 2048
    assert long.endswith(b"x...")


def test_unknown_tlv_type_keeps_its_value() -> None:
    body = bytes.fromhex("0009" "0005" "0001" "01" "abcd")
    message = OperationalMessage.decode(body)
    assert (message.code, message.family, message.raw, message.category) == (
        9, IPV4_UNICAST, b"\xab\xcd", "unknown")
    assert message.encode()[19:] == body


@pytest.mark.parametrize("body", [
    "0001" "0003" "0001",  # shorter than AFI and SAFI
    "0001" "0010" "0001" "01" "6869",  # TLV length past the end
    "0003" "0007" "0001" "01" "0a000001",  # a query without its sequence
])
def test_truncated_is_bad_message_length(body: str) -> None:
    with pytest.raises(BadMessageLength):
        OperationalMessage.decode(bytes.fromhex(body))


def test_json_and_text_as_exabgp() -> None:
    ident = {"peer": "10.0.0.1", "local": "10.0.0.254", "local_as": 65000, "peer_as": 65001}
    body = operational_message(OperationalMessage(ADM, IPV4_UNICAST, advisory="hi \"you\""))
    assert body == {"operational": {"name": "ADM", "afi": "ipv4", "safi": "unicast",
                                    "advisory": "hi \"you\""}}
    out = json.loads(json_event("operational", ident, body, counter=1, time=0.0, host="h",
                                pid=1, ppid=0))
    assert out["type"] == "operational"
    assert out["neighbor"]["direction"] == "receive"
    assert out["neighbor"]["operational"] == body["operational"]
    assert text_event("operational", ident, body) == [
        'neighbor 10.0.0.1 receive operational ADM afi ipv4 safi unicast advisory "hi "you""']
    query = operational_message(OperationalMessage(LPCQ, IPV6_UNICAST, router_id="1.2.3.4",
                                                   sequence=3))
    assert query == {"operational": {"name": "LPCQ", "afi": "ipv6", "safi": "unicast"}}
    counter = operational_message(OperationalMessage(APCP, IPV4_UNICAST, router_id="1.2.3.4",
                                                     sequence=3, counter=9))
    assert counter["operational"] == {"name": "APCP", "afi": "ipv4", "safi": "unicast",
                                      "router-id": "1.2.3.4", "sequence": 3, "counter": 9}
    assert text_event("send-operational", ident, counter) == [
        "neighbor 10.0.0.1 send operational APCP afi ipv4 safi unicast router-id 1.2.3.4 "
        "sequence 3 counter 9"]


def test_command_payload_to_message() -> None:
    assert operational_from_wire(["adm", 1, 1, [["advisory", "text"]]]) == \
        OperationalMessage(ADM, IPV4_UNICAST, advisory="text")
    assert operational_from_wire(["rpcp", 2, 1, [["sequence", "4"], ["counter", "8"]]]) == \
        OperationalMessage(4, Family(2, 1), sequence=4, counter=8)


def test_fsm_delivers_only_when_negotiated() -> None:
    from tests.unit.test_fsm import to_state

    message = OperationalMessage(ADM, IPV4_UNICAST, advisory="x")
    _, fsm = to_state(F.State.Established)
    actions = fsm.handle(F.event_for_message(message), 1.0)
    # not negotiated: an unknown message type, RFC 4271 section 6.1
    notification = next(a for a in actions if isinstance(a, F.Send))
    assert notification.data[19:21] == bytes((1, 3))
    _, fsm = to_state(F.State.Established)
    fsm.negotiated = dataclasses.replace(fsm.negotiated, operational=True)
    assert fsm.handle(F.OperationalMsg(message), 1.0) == [F.Deliver(message)]
