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

import datetime
import json

from bgpmesh.api.json import message_v5
from bgpmesh.api.json_nlri import entry_text

JSON_VERSION = "4.0.1"
JSON_VERSION_V5 = "5.0.0"  # bgpmesh.api.dialect = 5


def _neighbor(ident: dict) -> dict:
    return {
        "address": {"local": ident.get("local") or "", "peer": ident["peer"]},
        "asn": {"local": ident["local_as"], "peer": ident["peer_as"]},
    }


def _compact_nlri(item):
    """``{"nlri": "p"}`` -> ``"p"``; an NLRI with more to say stays a map."""
    if isinstance(item, dict) and len(item) == 1 and "nlri" in item:
        return item["nlri"]
    return item


def compact_update(body: dict) -> dict:
    """exabgp.api.compact: bare prefixes in the announce (and withdraw) lists
    of an update's ``message``; a copy, the body stays as the worker sent it."""
    update = body.get("update")
    if not update:
        return body
    update = dict(update)
    if "announce" in update:
        update["announce"] = {
            family: {hop: [_compact_nlri(i) for i in nlris] for hop, nlris in hops.items()}
            for family, hops in update["announce"].items()}
    if "withdraw" in update:
        update["withdraw"] = {family: [_compact_nlri(i) for i in nlris]
                              for family, nlris in update["withdraw"].items()}
    return {**body, "update": update}


def json_event(kind: str, ident: dict, body: dict, *, counter: int, time: float, host: str,
               pid: int, ppid: int, compact: bool = False, dialect: int = 4) -> str:
    """``compact``: exabgp.api.compact (see ``compact_update``); ``dialect``:
    bgpmesh.api.dialect, 5 for ExaBGP 5.0's JSON (version "5.0.0", the local
    "router-id" when ``ident`` has one, AS_PATH as a map of segments)."""
    neighbor = _neighbor(ident)
    if dialect == 5 and ident.get("router_id"):
        neighbor["router-id"] = ident["router_id"]
    name, direction = event_name(kind)
    if direction:
        neighbor["direction"] = direction
    if kind == "state" and body["state"] == "stale":
        # bgpmesh's graceful restart event (a type of its own, which ExaBGP
        # scripts that dispatch on "type" pass over)
        name = "stale"
        neighbor["stale"] = stale_section(body)
    elif kind == "state":
        neighbor["state"] = body["state"]
        if "reason" in body:
            neighbor["reason"] = body["reason"]
    elif name == "update":
        message = message_v5(body) if dialect == 5 else body
        neighbor["message"] = compact_update(message) if compact else message
    elif name == "packets":
        name = MESSAGE_NAMES.get(body["category"], str(body["category"]))
        neighbor["message"] = {"category": body["category"], "header": body["header"],
                               "body": body["body"]}
    else:  # the message's own section: "open", "notification", "route-refresh"...
        neighbor.update(body)
    out = {
        "exabgp": JSON_VERSION_V5 if dialect == 5 else JSON_VERSION,
        "time": time,
        "host": host,
        "pid": pid,
        "ppid": ppid,
        "counter": counter,
        "type": name,
        "neighbor": neighbor,
    }
    return json.dumps(out, separators=(", ", ": "))


def stale_section(body: dict) -> dict:
    """The ``stale`` event's own map: family, phase (restart, long-lived,
    over), routes, and until (epoch seconds) or reason when there is one."""
    return {key: body[key] for key in ("family", "phase", "routes", "until", "reason")
            if key in body}


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


def _with_path(nlri: str, item) -> str:
    """ExaBGP's text of an ADD-PATH route: the prefix, then its path
    identifier ("10.0.0.0/24 path-information 0.0.0.1"), then the rest."""
    if isinstance(item, dict) and "path-information" in item:
        return f"{nlri} path-information {item['path-information']}"
    return nlri


def text_event(kind: str, ident: dict, body: dict) -> list[str]:
    """ExaBGP's text encoder lines for one event."""
    peer = ident["peer"]
    if kind == "state" and body["state"] == "stale":
        line = f"neighbor {peer} stale {body['phase']} routes {body['routes']}"
        if "until" in body:
            line += f" until {body['until']}"
        if "reason" in body:
            line += f" reason {_text_value(body['reason'])}"
        return [f"{line} family {body['family']}"]
    if kind == "state":
        if body["state"] == "down":
            return [f"neighbor {peer} down - {_text_value(body.get('reason', ''))}"]
        return [f"neighbor {peer} {body['state']}"]
    name, direction = event_name(kind)
    head = f"neighbor {peer} {direction}"
    if name in ("negotiated", "fsm", "signal"):
        return []  # ExaBGP's text encoder has no line for these
    if name == "keepalive":
        return [f"{head} keepalive"]
    if name == "notification":
        n = body["notification"]
        return [f"{head} notification code {n['code']} subcode {n['subcode']} "
                f"data {_text_value(n['data'])}"]
    if name == "refresh":
        r = body["route-refresh"]
        return [f"{head} route-refresh afi {r['afi']} safi {r['safi']} {r['subtype']}"]
    if name == "operational":
        o = body["operational"]
        line = f"{head} operational {o['name']} afi {o['afi']} safi {o['safi']}"
        if "advisory" in o:
            line += f' advisory "{_text_value(o["advisory"])}"'
        elif "counter" in o:
            line += f" router-id {o['router-id']} sequence {o['sequence']} counter {o['counter']}"
        return [line]
    if name == "open":
        o = body["open"]
        capabilities = ", ".join(_text_value(c) for c in o["capabilities"])
        return [f"{head} open version {o['version']} asn {o['asn']} hold_time "
                f"{o['hold_time']} router_id {o['router_id']} capabilities [{capabilities}]"]
    if name == "packets":
        return [f"{head} {body['category']} header {body['header']} body {body['body']}"]
    if name != "update":
        return [f"{head} {name} {_text_value(body)}"]
    if "eor" in body:
        eor = body["eor"]
        return [f"{head} update end-of-rib {eor['afi']} {eor['safi']}"]
    update = body.get("update", {})
    attributes = " ".join(f"{k} {_text_value(v)}" for k, v in update.get("attribute", {}).items())
    lines = [f"{head} update start"]
    for family, hops in update.get("announce", {}).items():
        for next_hop, nlris in hops.items():
            for item in nlris:
                try:
                    nlri = item["nlri"] if isinstance(item, dict) else item
                except KeyError:  # a family whose NLRI are objects
                    nlri = entry_text(family, item)
                else:
                    nlri = _with_path(nlri, item)
                lines.append(f"{head} update announced {nlri} next-hop "
                             f"{next_hop} {attributes}".rstrip() + f" family {family}")
    for family, nlris in update.get("withdraw", {}).items():
        for item in nlris:
            try:
                nlri = item["nlri"] if isinstance(item, dict) else item
            except KeyError:
                nlri = entry_text(family, item)
            else:
                nlri = _with_path(nlri, item)
            lines.append(f"{head} update withdrawn {nlri} family {family}")
    lines.append(f"{head} update end")
    return lines


# -- what a process subscribes to ---------------------------------------------

# BGP message names as ``api { receive {...}; send {...} }`` spells them
MESSAGE_KINDS = ("open", "update", "notification", "keepalive", "refresh", "operational")
# wire type code -> name, for ``packets`` and the ``type`` of raw events
MESSAGE_NAMES = {1: "open", 2: "update", 3: "notification", 4: "keepalive", 5: "refresh",
                 6: "operational"}


def api_wants(api) -> list[str]:
    """The event types (bus topics) one ``api`` block asks for.

    A received message keeps its name (``update``, ``open``...), a sent one
    is ``send-<name>``; ``packets`` / ``send-packets`` are raw messages;
    ``state`` is ``neighbor-changes``; ``negotiated``, ``fsm``, ``signal`` as
    written."""
    kinds = []
    if api.neighbor_changes:
        kinds.append("state")
    for name in (*MESSAGE_KINDS, "packets"):
        if name in api.receive:
            kinds.append(name)
        if name in api.send:
            kinds.append("send-" + name)
    kinds.extend(e for e in ("negotiated", "fsm", "signal") if e in api.events)
    return kinds


def event_name(kind: str) -> tuple[str, str]:
    """Bus event type -> (ExaBGP message type, direction or "")."""
    if kind.startswith("send-"):
        return kind[5:], "send"
    if kind in MESSAGE_KINDS or kind == "packets":
        return kind, "receive"
    return kind, ""


# -- answers to show commands --------------------------------------------------
#
# A worker answers a query with plain data (a row per neighbor, per route);
# the bridge prints it here, in ExaBGP 4.2's layouts
# (``reactor/api/command/neighbor.py`` ``Neighbor``, ``command/rib.py``).

SUMMARY_HEADER = "Peer            AS        up/down state       |     #sent     #recvd"
_KV = "   %-20s %15s %15s %15s"
_ORIGINS = {0: "igp", 1: "egp", 2: "incomplete"}


def _since(seconds: float) -> str:
    return str(datetime.timedelta(seconds=int(seconds)))


def _na(value) -> str:
    return "n/a" if value is None else str(value)


def _enabled(value) -> str:
    if value is None:
        return "n/a"
    return "enabled" if value else "disabled"


def neighbor_summary(row: dict) -> str:
    updates = row["messages"].get("update", (0, 0))
    up = _since(row["duration"]) if row["duration"] else "down"
    return (f"{row['peer-address']:<15} {_na(row['peer-as']):<7} {up:>9} "
            f"{row['state'].lower():<12} {updates[0]:>10d} {updates[1]:>10d}")


def neighbor_extensive(row: dict) -> list[str]:
    if row["duration"]:
        duration = _KV % ("up for", _since(row["duration"]), "", "")
    else:
        duration = _KV % ("down for", _since(row["down"]), "", "")
    lines = [f"Neighbor {row['peer-address']}", "",
             "  Session                         Local",
             _KV % ("local", _na(row["local-address"]), "", ""),
             _KV % ("state", row["state"], "", ""),
             duration, "",
             "  Setup                           Local          Remote",
             _KV % ("AS", row["local-as"], _na(row["peer-as"]), ""),
             _KV % ("ID", row["local-id"], _na(row["peer-id"]), ""),
             _KV % ("hold-time", row["local-hold"], _na(row["peer-hold"]), ""), "",
             "  Capability                      Local          Remote"]
    lines += [_KV % (f"{name}:", _enabled(local), _enabled(remote), "")
              for name, (local, remote) in row["capabilities"].items()]
    lines += ["", "  Families                        Local          Remote        Add-Path"]
    lines += [_KV % (f"{family}:", _enabled(local), _enabled(remote), _enabled(add_path))
              for family, local, remote, add_path in row["families"]]
    lines += ["", "  Message Statistic                Sent        Received"]
    lines += [_KV % (f"{name}:", _na(sent), _na(received), "")
              for name, (sent, received) in row["messages"].items()]
    return lines + [""]


def attributes_text(next_hop: str, a) -> str:
    """A route's attributes as the text API writes them (``next-hop ... med ...``)."""
    words = [f"next-hop {next_hop}"]
    if a.origin is not None:
        words.append(f"origin {_ORIGINS.get(a.origin, a.origin)}")
    if a.as_path is not None:
        path = " ".join(map(str, a.as_path))
        if a.as_set:
            path += " ( " + " ".join(map(str, a.as_set)) + " )"
        words.append(f"as-path [ {path} ]")
    if a.med is not None:
        words.append(f"med {a.med}")
    if a.local_pref is not None:
        words.append(f"local-preference {a.local_pref}")
    if a.communities:
        words.append("community [ " + " ".join(f"{c >> 16}:{c & 0xFFFF}"
                                               for c in a.communities) + " ]")
    if a.extended_communities:
        words.append("extended-community [ " + " ".join(
            f"0x{c:016x}" for c in a.extended_communities) + " ]")
    if a.large_communities:
        words.append("large-community [ " + " ".join(
            ":".join(map(str, c)) for c in a.large_communities) + " ]")
    if a.originator_id:
        words.append(f"originator-id {a.originator_id}")
    if a.cluster_list:
        words.append("cluster-list [ " + " ".join(a.cluster_list) + " ]")
    if a.aggregator:
        words.append(f"aggregator ( {a.aggregator[0]}:{a.aggregator[1]} )")
    if a.atomic_aggregate:
        words.append("atomic-aggregate")
    if a.aigp is not None:
        words.append(f"aigp {a.aigp}")
    return " ".join(words)


def neighbor_name(row: dict) -> str:
    """ExaBGP's ``Neighbor.name()``: the neighbor and its qualifiers."""
    return (f"neighbor {row['peer-address']} local-ip {_na(row['local-address'])} "
            f"local-as {row['local-as']} peer-as {_na(row['peer-as'])} "
            f"router-id {row['local-id']} family-allowed in-open")


def adj_rib_line(row: dict, route: list, extensive: bool) -> str:
    """``route`` is [family, prefix, attributes text] from the worker."""
    family, prefix, text = route
    if extensive:
        return f"{neighbor_name(row)} {family} {prefix} {text}"
    return f"neighbor {row['peer-address']} {family} {prefix}"


def answer_json(ok: bool, message: str = "") -> str:
    """ExaBGP 5.0's JSON acknowledgement."""
    return json.dumps({"answer": "done" if ok else "error", "message": message},
                      separators=(", ", ": "))
