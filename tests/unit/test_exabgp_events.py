"""Events as an ExaBGP 4.x script reads them: the JSON envelope and text lines.

The envelope and its key order follow ExaBGP 4.2's
``reactor/api/response/json.py`` (``_header``, ``_neighbor``, ``up``/``down``,
``update``).  Strings a peer sent reach these functions; whatever they hold,
each event stays one line of one JSON object with the keys below.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpmesh.api.exabgp import JSON_VERSION, json_event, json_shutdown, text_event

IDENT = {"peer": "10.0.0.1", "local": "10.0.0.254", "local_as": 65000, "peer_as": 65001}
ENV = {"counter": 3, "time": 1700000000.5, "host": "rtr1", "pid": 100, "ppid": 1}

UPDATE = {"update": {
    "attribute": {"origin": "igp", "as-path": [65001, 65002], "confederation-path": [],
                  "med": 10},
    "announce": {"ipv4 unicast": {"192.0.2.1": [{"nlri": "10.0.0.0/24"},
                                                {"nlri": "10.0.1.0/24"}]}},
    "withdraw": {"ipv4 unicast": [{"nlri": "10.9.0.0/16"}]},
}}


def event(kind: str, body: dict, ident: dict = IDENT) -> dict:
    text = json_event(kind, ident, body, **ENV)
    assert "\n" not in text and "\r" not in text
    return json.loads(text)


def test_state_up():
    out = event("state", {"state": "up"})
    assert out == {
        "exabgp": "4.0.1", "time": 1700000000.5, "host": "rtr1", "pid": 100, "ppid": 1,
        "counter": 3, "type": "state",
        "neighbor": {"address": {"local": "10.0.0.254", "peer": "10.0.0.1"},
                     "asn": {"local": 65000, "peer": 65001}, "state": "up"},
    }
    # ExaBGP's key order, which some scripts match on with regexps
    assert list(out) == ["exabgp", "time", "host", "pid", "ppid", "counter", "type", "neighbor"]
    assert list(out["neighbor"]) == ["address", "asn", "state"]


def test_state_down_with_reason():
    out = event("state", {"state": "down", "reason": "received NOTIFICATION 6/2"})
    assert out["neighbor"]["state"] == "down"
    assert out["neighbor"]["reason"] == "received NOTIFICATION 6/2"
    assert list(out["neighbor"]) == ["address", "asn", "state", "reason"]


def test_json_version_is_the_format_not_the_daemon():
    assert JSON_VERSION == "4.0.1"
    assert event("state", {"state": "up"})["exabgp"] == "4.0.1"


def test_local_address_unknown_is_empty_string():
    out = event("state", {"state": "connected"}, {**IDENT, "local": None})
    assert out["neighbor"]["address"] == {"local": "", "peer": "10.0.0.1"}


def test_update():
    out = event("update", UPDATE)
    assert out["type"] == "update"
    neighbor = out["neighbor"]
    assert list(neighbor) == ["address", "asn", "direction", "message"]
    assert neighbor["direction"] == "receive"
    assert neighbor["message"] == UPDATE


def test_eor_update():
    body = {"eor": {"afi": "ipv6", "safi": "unicast"}}
    assert event("update", body)["neighbor"]["message"] == body


def test_json_uses_exabgp_separators():
    text = json_event("state", IDENT, {"state": "up"}, **ENV)
    assert text.startswith('{"exabgp": "4.0.1", "time": 1700000000.5, "host": "rtr1", ')


def test_shutdown():
    out = json.loads(json_shutdown(time=1.0, host="h", pid=2, ppid=1))
    assert out == {"exabgp": "4.0.1", "time": 1.0, "host": "h", "pid": 2, "ppid": 1,
                   "counter": 1, "type": "notification", "notification": "shutdown"}


HOSTILE = [
    'x", "evil": "1',
    'x"}, "type": "shutdown", "z": {"a": "',
    "line one\nline two",
    "cr\rlf\r\n",
    "\\",
    "\u2028\u2029\x85\x0b\x0c\x1c",
    "\x00\x1b[2J",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_reason_stays_a_value(text):
    out = event("state", {"state": "down", "reason": text})
    assert out["neighbor"]["reason"] == text
    assert set(out) == {"exabgp", "time", "host", "pid", "ppid", "counter", "type", "neighbor"}
    assert out["type"] == "state"
    assert set(out["neighbor"]) == {"address", "asn", "state", "reason"}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_update_strings_stay_values(text):
    body = {"update": {"attribute": {"origin": "igp", text: text, "aggregator": text},
                       "announce": {"ipv4 unicast": {text: [{"nlri": text}]}}}}
    out = event("update", body)
    assert out["neighbor"]["message"] == body
    assert set(out["neighbor"]) == {"address", "asn", "direction", "message"}


@given(st.text())
def test_any_reason_is_one_line_with_fixed_keys(text):
    line = json_event("state", IDENT, {"state": "down", "reason": text}, **ENV)
    assert len(line.splitlines()) == 1
    out = json.loads(line)
    assert out["neighbor"]["reason"] == text
    assert set(out["neighbor"]) == {"address", "asn", "state", "reason"}


# -- text encoder ------------------------------------------------------------------


def test_text_state():
    assert text_event("state", IDENT, {"state": "up"}) == ["neighbor 10.0.0.1 up"]
    assert text_event("state", IDENT, {"state": "connected"}) == ["neighbor 10.0.0.1 connected"]
    assert text_event("state", IDENT, {"state": "down", "reason": "hold timer expired"}) == [
        "neighbor 10.0.0.1 down - hold timer expired"]
    assert text_event("state", IDENT, {"state": "down"}) == ["neighbor 10.0.0.1 down - "]


def test_text_update():
    assert text_event("update", IDENT, UPDATE) == [
        "neighbor 10.0.0.1 receive update start",
        "neighbor 10.0.0.1 receive update announced 10.0.0.0/24 next-hop 192.0.2.1 "
        "origin igp as-path [ 65001 65002 ] confederation-path [  ] med 10 family ipv4 unicast",
        "neighbor 10.0.0.1 receive update announced 10.0.1.0/24 next-hop 192.0.2.1 "
        "origin igp as-path [ 65001 65002 ] confederation-path [  ] med 10 family ipv4 unicast",
        "neighbor 10.0.0.1 receive update withdrawn 10.9.0.0/16 family ipv4 unicast",
        "neighbor 10.0.0.1 receive update end",
    ]


def test_text_update_plain_nlri_strings_and_no_attributes():
    body = {"update": {"announce": {"ipv6 unicast": {"2001:db8::1": ["2001:db8:1::/48"]}},
                       "withdraw": {"ipv6 unicast": ["2001:db8:2::/48"]}}}
    assert text_event("update", IDENT, body) == [
        "neighbor 10.0.0.1 receive update start",
        "neighbor 10.0.0.1 receive update announced 2001:db8:1::/48 next-hop 2001:db8::1 "
        "family ipv6 unicast",
        "neighbor 10.0.0.1 receive update withdrawn 2001:db8:2::/48 family ipv6 unicast",
        "neighbor 10.0.0.1 receive update end",
    ]


def test_text_eor():
    body = {"eor": {"afi": "ipv4", "safi": "unicast"}}
    assert text_event("update", IDENT, body) == [
        "neighbor 10.0.0.1 receive update end-of-rib ipv4 unicast"]


def test_text_notification_as_exabgp_4_2():
    body = {"notification": {"code": 6, "subcode": 2, "data": "ab"}}
    assert text_event("notification", IDENT, body) == [
        "neighbor 10.0.0.1 receive notification code 6 subcode 2 data ab"]


def test_text_dict_attribute_is_json():
    body = {"update": {"attribute": {"aggregator": {"asn": 65001, "address": "192.0.2.9"}},
                       "withdraw": {"ipv4 unicast": []},
                       "announce": {"ipv4 unicast": {"192.0.2.1": ["10.0.0.0/24"]}}}}
    lines = text_event("update", IDENT, body)
    assert lines[1] == ('neighbor 10.0.0.1 receive update announced 10.0.0.0/24 next-hop '
                        '192.0.2.1 aggregator {"asn": 65001, "address": "192.0.2.9"} '
                        'family ipv4 unicast')


def test_text_line_breaks_are_escaped():
    (line,) = text_event("state", IDENT, {"state": "down", "reason": "a\nb\rc\u2028d"})
    assert line == "neighbor 10.0.0.1 down - a\\nb\\rc\\u2028d"


@pytest.mark.parametrize("text", HOSTILE)
def test_text_hostile_reason_is_one_line(text):
    (line,) = text_event("state", IDENT, {"state": "down", "reason": text})
    assert line.startswith("neighbor 10.0.0.1 down - ")
    # a script reading with Python's universal newlines or splitlines() sees one line
    assert len(line.splitlines()) == 1


@pytest.mark.parametrize("text", HOSTILE)
def test_text_hostile_attribute_is_one_line(text):
    body = {"update": {"attribute": {"aggregator": text, "as-path": [text]},
                       "announce": {"ipv4 unicast": {"192.0.2.1": ["10.0.0.0/24"]}}}}
    lines = text_event("update", IDENT, body)
    assert len(lines) == 3
    assert all(len(line.splitlines()) == 1 for line in lines)


@given(st.text())
def test_text_any_reason_is_one_line(text):
    (line,) = text_event("state", IDENT, {"state": "down", "reason": text})
    assert len(line.splitlines()) == 1


# -- events beyond state and update (ExaBGP 4.2 response/json.py, text.py) ----

from types import SimpleNamespace  # noqa: E402

from bgpmesh.api.exabgp import (  # noqa: E402
    SUMMARY_HEADER,
    answer_json,
    api_wants,
    neighbor_summary,
)


def test_json_open_keeps_its_section_and_direction():
    body = {"open": {"version": 4, "asn": 65001, "hold_time": 90, "router_id": "1.1.1.1",
                     "capabilities": {}}}
    out = json.loads(json_event("open", IDENT, body, **ENV))
    assert out["type"] == "open"
    assert out["neighbor"]["direction"] == "receive"
    assert out["neighbor"]["open"]["asn"] == 65001


def test_json_sent_update_says_send():
    out = json.loads(json_event("send-update", IDENT, UPDATE, **ENV))
    assert out["type"] == "update" and out["neighbor"]["direction"] == "send"
    assert out["neighbor"]["message"] == UPDATE


def test_json_packets_are_typed_by_the_message_they_carry():
    body = {"category": 4, "header": "F" * 32 + "001304", "body": ""}
    out = json.loads(json_event("packets", IDENT, body, **ENV))
    assert out["type"] == "keepalive"
    assert out["neighbor"]["message"] == {"category": 4, "header": body["header"], "body": ""}


def test_json_keepalive_fsm_negotiated_shapes():
    keepalive = json.loads(json_event("keepalive", IDENT, {}, **ENV))
    assert keepalive["type"] == "keepalive" and "message" not in keepalive["neighbor"]
    fsm = json.loads(json_event("fsm", IDENT, {"state": "ESTABLISHED"}, **ENV))
    assert fsm["neighbor"]["state"] == "ESTABLISHED" and "direction" not in fsm["neighbor"]
    neg = json.loads(json_event("negotiated", IDENT, {"negotiated": {"hold_time": 9}}, **ENV))
    assert neg["neighbor"]["negotiated"] == {"hold_time": 9}


def test_text_forms_of_the_other_messages():
    assert text_event("send-keepalive", IDENT, {}) == ["neighbor 10.0.0.1 send keepalive"]
    refresh = {"route-refresh": {"afi": "ipv4", "safi": "unicast", "subtype": "query"}}
    assert text_event("refresh", IDENT, refresh) == [
        "neighbor 10.0.0.1 receive route-refresh afi ipv4 safi unicast query"]
    assert text_event("packets", IDENT, {"category": 4, "header": "FF", "body": ""}) == [
        "neighbor 10.0.0.1 receive 4 header FF body "]
    assert text_event("fsm", IDENT, {"state": "IDLE"}) == []  # as ExaBGP's text encoder
    assert text_event("send-update", IDENT, UPDATE)[0] == "neighbor 10.0.0.1 send update start"


def test_api_wants_names_every_kind_asked():
    api = SimpleNamespace(neighbor_changes=True, receive=frozenset({"update", "open", "packets"}),
                          send=frozenset({"update"}), events=frozenset({"fsm"}))
    assert api_wants(api) == ["state", "open", "update", "send-update", "packets", "fsm"]


def test_summary_row_matches_exabgp_columns():
    row = {"peer-address": "10.0.0.1", "peer-as": 65001, "duration": 65, "state": "ESTABLISHED",
           "messages": {"update": [3, 4]}}
    assert SUMMARY_HEADER.startswith("Peer            AS")
    assert neighbor_summary(row) == ("10.0.0.1        65001     0:01:05 established  "
                                     "         3          4")


def test_json_answer_of_5_0():
    assert json.loads(answer_json(False, "x")) == {"answer": "error", "message": "x"}


# -- bgpmesh's graceful restart event (receiving speaker) ----------------------


def test_stale_event_json_and_text():
    body = {"state": "stale", "family": "ipv4 unicast", "phase": "restart", "routes": 12,
            "until": 1700000120.5, "reason": "waiting for the peer"}
    out = event("state", body)
    assert out["type"] == "stale"
    assert out["neighbor"] == {
        "address": {"local": "10.0.0.254", "peer": "10.0.0.1"},
        "asn": {"local": 65000, "peer": 65001},
        "stale": {"family": "ipv4 unicast", "phase": "restart", "routes": 12,
                  "until": 1700000120.5, "reason": "waiting for the peer"}}
    assert json_event("state", IDENT, body, dialect=5, **ENV).count('"type": "stale"') == 1
    assert text_event("state", IDENT, body) == [
        "neighbor 10.0.0.1 stale restart routes 12 until 1700000120.5 reason waiting for the "
        "peer family ipv4 unicast"]
    over = {"state": "stale", "family": "ipv6 unicast", "phase": "over", "routes": 1,
            "reason": "End-of-RIB"}
    assert event("state", over)["neighbor"]["stale"] == {
        "family": "ipv6 unicast", "phase": "over", "routes": 1, "reason": "End-of-RIB"}
    assert text_event("state", IDENT, over) == [
        "neighbor 10.0.0.1 stale over routes 1 reason End-of-RIB family ipv6 unicast"]
