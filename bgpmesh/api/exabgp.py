"""Events as ExaBGP's encoders write them to a script's stdin (4.x dialect).

A worker publishes an event as (type, neighbor identity, body); the body of an
update is already the ExaBGP ``message`` map (``bgpmesh.api.json``).  Here the
bridge wraps it in ExaBGP's envelope, ``{"exabgp": "4.0.1", "time": ...,
"host": ..., "pid": ..., "ppid": ..., "counter": N, "type": ..., "neighbor":
{...}}``, or renders the text encoder's lines.  ``"exabgp"`` is the JSON format
version, not the daemon's.  Output goes through ``json.dumps`` only, so a
string a peer sent can never add keys or lines.
"""

from __future__ import annotations

import json

JSON_VERSION = "4.0.1"


def _neighbor(ident: dict) -> dict:
    return {
        "address": {"local": ident.get("local") or "", "peer": ident["peer"]},
        "asn": {"local": ident["local_as"], "peer": ident["peer_as"]},
    }


def json_event(kind: str, ident: dict, body: dict, *, counter: int, time: float, host: str,
               pid: int, ppid: int) -> str:
    neighbor = _neighbor(ident)
    if kind == "state":
        neighbor["state"] = body["state"]
        if "reason" in body:
            neighbor["reason"] = body["reason"]
    else:
        neighbor["direction"] = "receive"
        neighbor["message"] = body
    out = {
        "exabgp": JSON_VERSION,
        "time": time,
        "host": host,
        "pid": pid,
        "ppid": ppid,
        "counter": counter,
        "type": kind,
        "neighbor": neighbor,
    }
    return json.dumps(out, separators=(", ", ": "))


def json_shutdown(*, time: float, host: str, pid: int, ppid: int) -> str:
    return json.dumps({"exabgp": JSON_VERSION, "time": time, "host": host, "pid": pid,
                       "ppid": ppid, "counter": 1, "type": "notification",
                       "notification": "shutdown"}, separators=(", ", ": "))


# A script reading its stdin in text mode ends a line at "\r" as well as "\n",
# and str.splitlines() at every one of these: escaped, a string a peer sent
# cannot start a line of its own.
_LINE_BREAKS = str.maketrans({c: repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"})


def _text_value(value) -> str:
    if isinstance(value, list):
        return "[ " + " ".join(_text_value(v) for v in value) + " ]"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value).translate(_LINE_BREAKS)


def text_event(kind: str, ident: dict, body: dict) -> list[str]:
    """ExaBGP's text encoder lines for one event."""
    peer = ident["peer"]
    if kind == "state":
        if body["state"] == "down":
            return [f"neighbor {peer} down - {_text_value(body.get('reason', ''))}"]
        return [f"neighbor {peer} {body['state']}"]
    if kind != "update":
        return [f"neighbor {peer} receive {kind}"]
    if "eor" in body:
        eor = body["eor"]
        return [f"neighbor {peer} receive update end-of-rib {eor['afi']} {eor['safi']}"]
    update = body.get("update", {})
    attributes = " ".join(f"{k} {_text_value(v)}" for k, v in update.get("attribute", {}).items())
    lines = [f"neighbor {peer} receive update start"]
    for family, hops in update.get("announce", {}).items():
        for next_hop, nlris in hops.items():
            for item in nlris:
                nlri = item["nlri"] if isinstance(item, dict) else item
                lines.append(f"neighbor {peer} receive update announced {nlri} next-hop "
                             f"{next_hop} {attributes}".rstrip() + f" family {family}")
    for family, nlris in update.get("withdraw", {}).items():
        for item in nlris:
            nlri = item["nlri"] if isinstance(item, dict) else item
            lines.append(f"neighbor {peer} receive update withdrawn {nlri} family {family}")
    lines.append(f"neighbor {peer} receive update end")
    return lines
