"""``bgpmesh decode``: hex BGP messages in, ExaBGP's decoder output out.

Theory of operation: like ``exabgp decode`` (5.0), a message is given as hex,
with or without the 16-octet marker and header; spaces and colons are
ignored.  With the header, its type picks the decoder; without it the hex is
the body of an UPDATE, or of an OPEN with ``--open``.  ``--nlri`` decodes a
bare NLRI field of ``--family``.  The session is ExaBGP's decoder's: 4-octet
AS numbers, no ADD-PATH unless ``-i``/``--path-information`` (as ``exabgp
decode -i``: ADD-PATH received for the families ExaBGP offers it for, the
unicast, nlri-mpls and mpls-vpn ones, RFC 7911).

Output is ExaBGP's JSON envelope for a received message (4.x dialect,
``"exabgp": "4.0.1"``, or with ``--dialect 5`` 5.0's: ``"exabgp": "5.0.0"``,
the decoder neighbor's "router-id", AS_PATH as a map of segments), one line per message, built as dicts and serialised
by the JSON encoder so that nothing the message holds can add keys or lines
(the envelope's fixed parts are serialised once per envelope and kept);
``--text`` prints the text encoder's form.  Time, host and pids are the
caller's (this module reads no clock), so tests can pin them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bgpmesh.api.json import (
    VERSION,
    VERSION_V5,
    notification_message,
    notification_message_v5,
    open_message,
    open_message_v5,
    refresh_message,
    update_message,
    update_message_v5,
)
from bgpmesh.codec.header import (
    KEEPALIVE,
    MARKER,
    MESSAGES,
    NOTIFICATION,
    OPEN,
    ROUTE_REFRESH,
    UPDATE,
    check_header,
)
from bgpmesh.codec.session import EXTENDED_MAX_SIZE, Session
from bgpmesh.errors import BgpError
from bgpmesh.family import IPV4_UNICAST, Family

TYPE_NAMES = {
    OPEN: "open",
    UPDATE: "update",
    NOTIFICATION: "notification",
    KEEPALIVE: "keepalive",
    ROUTE_REFRESH: "refresh",
}

# ExaBGP's decoder runs against a made-up neighbor; its identity shows in
# every envelope and scripts written against `exabgp decode` expect it.
NEIGHBOR = {
    "address": {"local": "127.0.0.1", "peer": "127.0.0.1"},
    "asn": {"local": 65533, "peer": 65533},
}
# the 5.0 envelope adds the neighbor's router-id, 10.0.0.2 in the decoder's
NEIGHBOR_V5 = {**NEIGHBOR, "router-id": "10.0.0.2"}
DIALECTS = (4, 5)


class DecodeError(ValueError):
    """The input is not hex, or not a message this command can decode."""


@dataclass(frozen=True, slots=True)
class Envelope:
    time: float
    host: str
    pid: int
    ppid: int


def parse_hex(text: str) -> bytes:
    """Hex with optional spaces and colons, as ``exabgp decode`` takes it."""
    cleaned = "".join(text.split()).replace(":", "")
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise DecodeError("the BGP message must be hexadecimal") from None


def split(raw: bytes, default_type: int) -> tuple[int, bytes]:
    """(message type, body): from the header when there is one."""
    if not raw.startswith(MARKER):
        return default_type, raw
    if len(raw) < 19:
        raise DecodeError("header truncated")
    try:
        length, message_type = check_header(raw[:19], EXTENDED_MAX_SIZE)
    except BgpError as error:
        raise DecodeError(f"bad header: {error}") from None
    if length > len(raw):
        raise DecodeError(f"header says {length} octets, {len(raw)} given")
    return message_type, raw[19:length]


def decode_message(raw: bytes, *, is_open: bool = False, session: Session | None = None) -> tuple[str, Any]:
    """(type name, decoded message) of one message."""
    message_type, body = split(raw, OPEN if is_open else UPDATE)
    session = session or Session(extended_message=True)
    try:
        return TYPE_NAMES[message_type], MESSAGES[message_type].decode(body, session)
    except BgpError as error:
        raise DecodeError(f"{type(error).__name__}: {error}") from None
    except (IndexError, KeyError) as error:
        raise DecodeError(f"truncated message ({error})") from None


def body_of(kind: str, message: Any, dialect: int = 4) -> dict[str, Any]:
    """What goes under "neighbor" for this message."""
    if kind == "update":
        return {"message": update_message_v5(message) if dialect == 5 else update_message(message)}
    if kind == "open":
        return open_message_v5(message) if dialect == 5 else open_message(message)
    if kind == "notification":
        return notification_message_v5(message) if dialect == 5 else notification_message(message)
    if kind == "refresh":
        return refresh_message(message)
    return {}


def to_json(kind: str, message: Any, envelope: Envelope, counter: int = 1, dialect: int = 4) -> str:
    """``dialect``: 4 for ExaBGP 4.x's JSON ("exabgp": "4.0.1"), 5 for 5.0's.

    The text ``json_envelope`` would give: the parts that are the same for
    every message of one kind, envelope and dialect are serialised once and
    kept; the counter and the message body are serialised each time.
    """
    body = body_of(kind, message, dialect)
    key = (id(envelope), kind, dialect)
    head = _HEADS.get(key)
    if head is None or head[0] is not envelope:
        if len(_HEADS) >= 64:
            _HEADS.clear()
        head = _HEADS[key] = _head(kind, envelope, dialect)
    number = str(counter) if type(counter) is int else _ENCODER.encode(counter)
    # body is {"message": ...} or {"open": ...}: it goes on inside "neighbor"
    rest = ", " + _ENCODER.encode(body)[1:] if body else "}"
    return head[1] + number + head[2] + rest + "}"


def json_envelope(kind: str, message: Any, envelope: Envelope, counter: int = 1, dialect: int = 4) -> dict[str, Any]:
    """The whole JSON object of one received message."""
    neighbor: dict[str, Any] = {**(NEIGHBOR_V5 if dialect == 5 else NEIGHBOR), "direction": "in"}
    neighbor.update(body_of(kind, message, dialect))
    return {
        "exabgp": VERSION_V5 if dialect == 5 else VERSION,
        "time": envelope.time,
        "host": envelope.host,
        "pid": envelope.pid,
        "ppid": envelope.ppid,
        "counter": counter,
        "type": kind,
        "neighbor": neighbor,
    }


# json.dumps(out, separators=(", ", ": ")) without making an encoder per
# message, nor keeping the ids of the containers it is in (what is encoded is
# built here from decoded values: it cannot refer to itself)
_ENCODER = json.JSONEncoder(separators=(", ", ": "), check_circular=False)
# (id(envelope), kind, dialect) -> (envelope, the text before the counter, the
# text after it up to the body); the entry holds the envelope, so its id is
# not reused while the entry lives
_HEADS: dict[tuple[int, str, int], tuple[Envelope, str, str]] = {}


def _head(kind: str, envelope: Envelope, dialect: int) -> tuple[Envelope, str, str]:
    start = _ENCODER.encode({
        "exabgp": VERSION_V5 if dialect == 5 else VERSION,
        "time": envelope.time,
        "host": envelope.host,
        "pid": envelope.pid,
        "ppid": envelope.ppid,
    })
    neighbor = _ENCODER.encode({**(NEIGHBOR_V5 if dialect == 5 else NEIGHBOR), "direction": "in"})
    # both objects are left open: the counter, then the body, go on after them
    return (envelope, start[:-1] + ', "counter": ',
            f', "type": {_ENCODER.encode(kind)}, "neighbor": {neighbor[:-1]}')


def _escape(text: str) -> str:
    # a peer's string stays on its line and cannot fake a field
    return json.dumps(text, ensure_ascii=True)


def to_text(kind: str, message: Any) -> list[str]:
    """The text encoder's lines for a received message."""
    peer = "neighbor 127.0.0.1 receive"
    if kind == "update":
        return _update_text(peer, message)
    if kind == "open":
        caps = " ".join(_escape(str(c)) for c in message.capabilities)
        return [f"{peer} open version {message.version} asn {message.asn} hold_time {message.hold_time} "
                f"router_id {message.router_id} capabilities [ {caps} ]"]
    if kind == "notification":
        line = f"{peer} notification code {message.code} subcode {message.subcode} data {message.data.hex()}"
        line += f" ({_escape(str(message))})"
        text = message.shutdown_communication
        if text is not None:
            line += f" shutdown-communication {_escape(text)}"
        return [line]
    if kind == "refresh":
        return [f"{peer} route-refresh afi {message.family.afi_name} safi {message.family.safi_name} "
                f"{refresh_message(message)['route-refresh']['subtype']}"]
    return [f"{peer} {kind}"]


def _update_text(peer: str, update: Any) -> list[str]:
    section = update_message(update)
    if "eor" in section:
        eor = section["eor"]
        return [f"{peer} update end-of-rib {eor['afi']} {eor['safi']}"]
    body = section["update"]
    attributes = " ".join(
        f"{key} {json.dumps(value, separators=(',', ':'))}" for key, value in body.get("attribute", {}).items()
    )
    lines = [f"{peer} update start"]
    for family, hops in body.get("announce", {}).items():
        for hop, routes in hops.items():
            for route in routes:
                nlri = json.dumps(route, separators=(",", ":"))
                lines.append(f"{peer} update announced {family} {nlri} next-hop {hop} {attributes}".rstrip())
    for family, routes in body.get("withdraw", {}).items():
        for route in routes:
            lines.append(f"{peer} update withdrawn {family} {json.dumps(route, separators=(',', ':'))}")
    lines.append(f"{peer} update end")
    return lines


def decode_nlri(raw: bytes, family: Family, add_path: bool = False) -> list[dict[str, Any]]:
    """A bare NLRI field of ``family``, as ExaBGP's ``decode --nlri`` prints it."""
    from bgpmesh.api.json_nlri import nlri_json
    from bgpmesh.codec.nlri import codec_for

    try:
        values = codec_for(family).unpack(raw, add_path)
    except BgpError as error:
        raise DecodeError(f"{type(error).__name__}: {error}") from None
    return [nlri_json(value) for value in values]


def parse_family(text: str | None) -> Family:
    if not text:
        return IPV4_UNICAST
    words = text.split()
    if len(words) != 2:
        raise DecodeError(f"family {text!r}: expected \"AFI SAFI\"")
    try:
        return Family.from_names(*words)
    except KeyError:
        raise DecodeError(f"unknown family {text!r}") from None


# the families ``exabgp decode -i`` decodes Path Identifiers of
ADD_PATH_FAMILIES = frozenset(Family(afi, safi) for afi in (1, 2) for safi in (1, 4, 128))


def run(payloads: list[str], *, is_open: bool, nlri: bool, family: str | None, text: bool,
        envelope: Envelope, dialect: int = 4, path_information: bool = False) -> tuple[list[str], list[str]]:
    """Decode every payload: (output lines, error lines)."""
    out: list[str] = []
    errors: list[str] = []
    session = Session(extended_message=True,
                      add_path_receive=ADD_PATH_FAMILIES if path_information else frozenset())
    for counter, payload in enumerate(payloads, 1):
        try:
            raw = parse_hex(payload)
            if nlri:
                kind_of = parse_family(family)
                out.extend(json.dumps(entry) for entry in decode_nlri(
                    raw, kind_of, kind_of in session.add_path_receive))
                continue
            kind, message = decode_message(raw, is_open=is_open, session=session)
        except DecodeError as error:
            errors.append(f"invalid payload: {error}")
            continue
        if text:
            out.extend(to_text(kind, message))
        else:
            out.append(to_json(kind, message, envelope, counter, dialect))
    return out, errors
