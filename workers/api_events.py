"""The worker's side of the ExaBGP API beyond routes: queries, and opt-in events.

Theory of operation: ``state`` and received ``update`` events are always
published (``bgpmesh watch`` reads them without any api block).  Every other
kind (open, keepalive, notification, refresh, their ``send-`` twins, raw
``packets``, ``negotiated``, ``fsm``) costs a decode or a frame per message, so
it is published only for a neighbor whose api blocks ask for it: ``kinds``
answers that from the neighbor's configuration, cached per Neighbor value.

Raw messages reach ``wire``: what the socket gave (which may end mid-message:
the rest waits here, in a buffer reset when the peer makes a new
MessageReader, i.e. a new connection), or whole messages we wrote.  ``wire``
cuts them at the BGP header's length field, publishes ``packets`` as hex and
decodes only the kinds asked for.

Queries (bus ``query``) read the peers' state and Adj-RIB-Out and return
plain rows; the bridge renders them in ExaBGP's layouts
(``bgpmesh.api.exabgp``).  ``flush-adj-rib-out`` and ``clear-adj-rib-out``
change the Adj-RIB-Out, then let the usual flush send the result.
"""

from __future__ import annotations

import json
import logging

from bgpmesh.api.exabgp import MESSAGE_NAMES, api_wants, attributes_text
from bgpmesh.api.json import attributes as json_attributes
from bgpmesh.api.json import (
    notification_message,
    open_message,
    operational_message,
    refresh_message,
    update_message,
)
from bgpmesh.api.json_nlri import TEXT_TYPES, route_text
from bgpmesh.api.nlri_words import FAMILY_GRAMMARS, NLRI_WORD_TYPES, nlri_text
from bgpmesh.codec.header import MESSAGES
from bgpmesh.codec.nlri import codec_for
from bgpmesh.errors import BgpError

log = logging.getLogger("bgpmesh.worker")

HEADER = 19
# kinds every worker publishes anyway (see the module docstring)
ALWAYS = frozenset({"state", "update"})
_DECODERS = {
    "open": open_message,
    "notification": notification_message,
    "operational": operational_message,
    "refresh": refresh_message,
    "update": update_message,
}


def _configuration(n) -> list[str]:
    """The neighbor's settings, in the configuration's own words."""
    lines = [f"neighbor {n.peer_address} {{"]
    if n.description:
        lines.append(f'\tdescription "{n.description}";')
    lines += [f"\trouter-id {n.router_id};",
              f"\tlocal-address {n.local_address or 'auto'};",
              f"\tlocal-as {n.local_as};",
              f"\tpeer-as {n.peer_as if n.peer_as is not None else 'auto'};",
              f"\thold-time {n.hold_time};"]
    if n.passive:
        lines.append("\tpassive;")
    lines.append("\tfamily {")
    lines += [f"\t\t{f};" for f in n.families]
    lines += ["\t}", "}"]
    return [line.replace("\t", "    ") for line in lines]


class ApiEvents:
    def __init__(self, worker) -> None:
        self.worker = worker
        self.kinds_cache: dict[str, tuple[object, frozenset[str]]] = {}
        self.buffers: dict[str, tuple[object, bytearray]] = {}
        self.fsm_seen: dict[str, object] = {}
        self.up_at: dict[str, float] = {}
        self.down_at: dict[str, float] = {}
        # name -> message name -> [sent, received]
        self.counters: dict[str, dict[str, list[int]]] = {}
        self.born = worker.loop.time()

    def now(self) -> float:
        return self.worker.loop.time()

    def kinds(self, peer) -> frozenset[str]:
        """The opt-in event kinds some api block of this neighbor asks for."""
        cached = self.kinds_cache.get(peer.name)
        if cached is None or cached[0] is not peer.neighbor:
            wanted = frozenset(k for api in peer.neighbor.apis for k in api_wants(api))
            cached = self.kinds_cache[peer.name] = (peer.neighbor, wanted - ALWAYS)
        return cached[1]

    def count(self, peer, name: str, index: int, n: int = 1) -> None:
        per = self.counters.setdefault(peer.name, {})
        pair = per.get(name)
        if pair is None:
            pair = per[name] = [0, 0]
        pair[index] += n

    # -- events ------------------------------------------------------------

    def received_update(self, peer) -> None:
        self.count(peer, "update", 1)

    def sent_updates(self, peer, messages: list[bytes]) -> None:
        self.count(peer, "update", 0, len(messages))
        if self.kinds(peer):
            self.wire(peer, "send", b"".join(messages))

    def state_changed(self, peer, state: str) -> None:
        if state == "up":
            self.up_at[peer.name] = self.now()
            if "negotiated" in self.kinds(peer) and peer.negotiated is not None:
                self.worker.publish_event(peer, "negotiated", self.negotiated(peer))
        elif state == "down":
            self.up_at.pop(peer.name, None)
            self.down_at[peer.name] = self.now()

    def fsm_moved(self, peer) -> None:
        if "fsm" not in self.kinds(peer) or peer.fsm is None:
            return
        state = peer.fsm.state
        if self.fsm_seen.get(peer.name) is not state:
            self.fsm_seen[peer.name] = state
            self.worker.publish_event(peer, "fsm", {"state": state.name.upper()})

    def negotiated(self, peer) -> dict:
        neg = peer.negotiated
        session = neg.session
        refresh = "enhanced" if neg.enhanced_route_refresh else (
            "normal" if neg.route_refresh else "absent")
        return {"negotiated": {
            "message_size": session.max_size,
            "hold_time": neg.hold_time,
            "asn4": session.asn4,
            "multisession": False,
            "operational": neg.operational,
            "refresh": refresh,
            "families": sorted(str(f) for f in neg.families),
            "nexthop": sorted(f"{f} {'ipv6' if afi == 2 else 'ipv4'}"
                              for f, afi in neg.extended_next_hop),
            "add_path": {"send": sorted(str(f) for f in session.add_path_send),
                         "receive": sorted(str(f) for f in session.add_path_receive)},
        }}

    def wire(self, peer, direction: str, data: bytes) -> None:
        """Events for raw BGP messages received or sent (see the module docstring)."""
        kinds = self.kinds(peer)
        if not kinds:
            return
        if direction == "receive":
            held = self.buffers.get(peer.name)
            if held is None or held[0] is not peer.reader:
                held = self.buffers[peer.name] = (peer.reader, bytearray())
            buffer = held[1]
            buffer += data
            prefix = ""
        else:
            buffer = bytearray(data)
            prefix = "send-"
        offset = 0
        size = len(buffer)
        while size - offset >= HEADER:
            length = int.from_bytes(buffer[offset + 16:offset + 18], "big")
            if length < HEADER:  # the reader fails the session; stop here
                buffer.clear()
                return
            if offset + length > size:
                break
            code = buffer[offset + 18]
            body = bytes(buffer[offset + HEADER:offset + length])
            header = bytes(buffer[offset:offset + HEADER])
            offset += length
            if prefix + "packets" in kinds:
                self.worker.publish_event(peer, prefix + "packets", {
                    "category": code, "header": header.hex().upper(),
                    "body": body.hex().upper()})
            name = MESSAGE_NAMES.get(code)
            kind = prefix + name if name else ""
            if kind not in kinds:
                continue
            if name == "keepalive":
                self.worker.publish_event(peer, kind, {})
                continue
            if kind == "operational":
                continue  # Peer.delivered publishes it once the FSM accepted it
            render = _DECODERS.get(name)
            if render is None:
                continue
            try:
                self.worker.publish_event(peer, kind,
                                          render(MESSAGES[code].decode(body, peer.session)))
            except BgpError:
                continue  # the session's own reader reports it
            except Exception:
                log.exception("%s: bug while rendering a %s event", peer.name, kind)
        del buffer[:offset]

    # -- queries -------------------------------------------------------------

    def query(self, op: str, names: list[str], options) -> tuple[list[dict], str]:
        peers = [self.worker.peers[n] for n in names if n in self.worker.peers]
        if op == "show-neighbor":
            return [self.row(p, "configuration" in options) for p in peers], ""
        if op == "show-adj-rib-out":
            rows = []
            for p in peers:
                row = self.row(p)
                row["routes"] = self.routes(p)
                rows.append(row)
            return rows, ""
        if op == "show-adj-rib-in":
            rows = []
            for p in peers:
                row = self.row(p)
                row["routes"] = received_routes(p)
                rows.append(row)
            return rows, ""
        if op == "clear-adj-rib-in":
            for p in peers:
                p.adj_rib_in.clear()
            return [], ""
        if op == "flush-adj-rib-out":
            # only established sessions get their table again (as ExaBGP)
            for p in peers:
                if p.established:
                    p.rib.pending.update(p.rib.routes)
                    self.worker.dirty.add(p)
            self.worker.schedule_flush()
            return [], ""
        if op == "clear-adj-rib-out":
            for p in peers:
                p.rib.clear()
                self.worker.dirty.add(p)
            self.worker.schedule_flush()
            return [], ""
        return [], f"unknown query {op!r}"

    def routes(self, peer) -> list[list[str]]:
        out = []
        for (family, key), (next_hop, attributes) in peer.rib.routes.items():
            try:
                # a key that names a route (EVPN) is not what was announced
                value = codec_for(family).unpack(getattr(key, "announce", key))[0]
                prefix = show_text(value) if family in FAMILY_GRAMMARS else str(value)
            except Exception:
                prefix = key.hex()
            if next_hop == "self":
                next_hop = peer.local_ip or "self"
            out.append([str(family), prefix, attributes_text(next_hop, attributes)])
        return out

    def row(self, peer, configuration: bool = False) -> dict:
        n = peer.neighbor
        neg = peer.negotiated
        fsm = peer.fsm
        remote = getattr(fsm, "remote_open", None) if fsm is not None else None
        now = self.now()
        up_at = self.up_at.get(peer.name)
        counters = self.counters.get(peer.name, {})
        row = {
            "peer-address": n.peer_address,
            "local-address": peer.local_ip or n.local_address,
            "state": fsm.state.name.upper() if fsm is not None else "IDLE",
            "duration": now - up_at if up_at is not None and peer.established else 0,
            "down": now - self.down_at.get(peer.name, self.born),
            "local-as": n.local_as,
            "peer-as": n.peer_as,
            "local-id": n.router_id,
            "peer-id": remote.router_id if remote is not None else None,
            "local-hold": n.hold_time,
            "peer-hold": remote.hold_time if remote is not None else None,
            "capabilities": {
                "route-refresh": [True, neg.route_refresh if neg else None],
                "asn4": [n.capability.asn4, neg.session.asn4 if neg else None],
                "extended-message": [n.capability.extended_message,
                                     neg.session.extended_message if neg else None],
            },
            "families": [[str(f), True, (f in neg.families) if neg else None,
                          (f in neg.session.add_path_send) if neg else None]
                         for f in n.families],
            "messages": {"update": counters.get("update", [0, 0])},
        }
        if configuration:
            row["configuration"] = _configuration(n)
        return row


def show_text(nlri) -> str:
    """How ``show adj-rib in|out`` write a route that is a codec object, the
    same both ways: ExaBGP's string where ExaBGP has one (MUP, MCAST-VPN, SR
    Policy: ``route_text``), else the words that announce it (EVPN, RTC, the
    bgpmesh extensions: ``nlri_words.nlri_text``), else the value's ``str``."""
    if type(nlri) in TEXT_TYPES:
        return route_text(nlri)
    if type(nlri) in NLRI_WORD_TYPES:
        return nlri_text(nlri)
    return str(nlri)


def received_routes(peer) -> list[list[str]]:
    """The peer's Adj-RIB-In as [family, prefix, attributes text] rows, the
    shape ``show adj-rib out`` uses (text: ``next-hop X`` then ExaBGP's
    attribute names and values)."""
    out = []
    rendered: dict[int, str] = {}
    for (family, nlri), (hops, update) in peer.adj_rib_in.items():
        text = rendered.get(id(update))
        if text is None:
            text = rendered[id(update)] = " ".join(
                f"{name} {_value_text(value)}" for name, value in json_attributes(update).items())
        hop = f"next-hop {hops[0]} " if hops else ""
        out.append([str(family), nlri if type(nlri) is str else show_text(nlri), (hop + text).strip()])
    return out


def _value_text(value) -> str:
    if isinstance(value, list):
        return "[ " + " ".join(_value_text(v) for v in value) + " ]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value).replace("\n", "\\n").replace("\r", "\\r")
