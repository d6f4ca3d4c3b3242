"""Bus frames: the one module that builds and parses what crosses the buses.

Theory of operation
-------------------
bgpmesh has two ZeroMQ buses, each an XSUB/XPUB proxy in the supervisor:

* the **command bus**: bridges, ``bgpmesh send`` and other clients publish;
  workers subscribe to their group's topic.  The supervisor sees every frame
  on the way through (its XSUB subscribes to everything), keeps the announced
  state of every neighbor from it, and replays that state to a worker the
  moment the worker subscribes, so a restarted worker loses nothing.
* the **event bus**: workers publish acks and events; bridges, clients and
  ``bgpmesh watch`` subscribe.

Every message is two frames, ``[topic, payload]``: the topic alone in the first
frame so ZeroMQ's prefix filtering never looks into the payload, the payload a
msgpack map with ``v`` (schema version) and ``kind``.  Topics end with ``|`` so
that ``w/10.0.0.1|`` is not a prefix of ``w/10.0.0.10|``.

Kinds (payload fields beyond ``v`` and ``kind``)::

    command bus, topic  w/<group>|     (a worker group)   or  sup|  (the supervisor)
      command   id=[publisher, seq] op=str neighbors=[name...] routes=[route...]
                family=[afi, safi]|None arg=int|None text=str
      batch     publisher=str seqs=[seq...] op="announce"|"withdraw"
                neighbors=[name...] family=[afi, safi] prefixes=[str...]
                hops=[next hop...] index=[int...] attributes=[wire attributes...]
                counts=[int per seq]|nil
                                          consecutive route commands of one publisher
                                          with the same op, neighbors and family, in
                                          order, in columns: route i is prefixes[i]
                                          with hops[i] and attributes[index[i]] (hops
                                          and index empty in a withdraw batch); with
                                          counts nil command (publisher, seqs[i]) is
                                          route i, else it is the next counts[i]
                                          routes; answered by one ``acks``
      replay    neighbor=name routes=[route...] withdrawn=[route...]
      ready     group=str                 supervisor -> worker: replay is over
      start     group=str                 supervisor -> worker: sessions may start
                                          (every bridge is on the bus by now)
      ping      id=[publisher, seq] [bridge=process name] [sync=true]
                                          client -> supervisor: am I connected?
                                          answered by an ``ack``; with sync=true on
                                          ~sync/<publisher>| (a topic that sorts
                                          last: a SUB sends the subscriptions it
                                          holds at connect in byte order, so then
                                          all of them are in place)
      query     id=[publisher, seq] op=str neighbors=[name...] options=[str...]
                                          client -> worker: op is show-neighbor,
                                          show-adj-rib-out, flush-adj-rib-out or
                                          clear-adj-rib-out; answered by ``answer``
      control   id=[publisher, seq] op="shutdown"|"reload"
                | op="neighbor-create" text=str (one ``neighbor`` block)
                | op="neighbor-delete"|"neighbor-disable"|"neighbor-enable"
                  neighbor=name or peer address
                                          answered by ``reply`` data={error, neighbor}
      status    id=[publisher, seq]       client -> supervisor: send a ``reply``
      snapshot  id=[publisher, seq]       client -> supervisor: a ``reply`` with
                                          data={neighbors: {name: [route...]}},
                                          the shadow Adj-RIB-Out (last-value cache)
      command and batch may carry wire=true: their workers then also send ``wire``

    event bus, topic  ack/<publisher>|  |  ev/<type>/<neighbor>|  |  sys/<what>|
                      |  ~sync/<publisher>|
      ack       id=[publisher, seq] group=str ok=bool error=str matched=int
      acks      publisher=str seqs=[seq...] group=str errors={seq: str} matched=int
                                          the acks of one ``batch``: every seq is
                                          answered, ok unless it is in ``errors``
      wire      publisher=str seqs=[seq...] group=str matched=int
                                          after the ack of a command/batch sent with
                                          wire=true: every matched established neighbor
                                          had its UPDATEs written to its socket (the
                                          rest count as done: nothing can be sent)
      reply     id=[publisher, seq] ok=bool data=map   supervisor -> client
      answer    id=[publisher, seq] group=str ok=bool error=str rows=[map...]
                                          worker -> client: the answer to a ``query``,
                                          a row per matched neighbor
      topology  neighbors=[NeighborRef as map...] wants={process: {name: [type...]}}
                                          on sys/topology|, after a reload
      hello     group=str                 worker -> supervisor: my PUB is up
      event     type=str neighbor={peer, local, local_as, peer_as} name=str
                publisher=str seq=int     seq counts 1, 2, ... per (publisher, topic):
                                          a subscriber gets whole topics, so a hole
                                          in seq is frames it lost (XPUB high-water
                                          mark); ``SequenceGaps`` counts them
                body=dict (state: {state, reason}; update: ExaBGP "message" map;
                open, notification, refresh, negotiated: ExaBGP's section, e.g.
                {"open": {...}}; keepalive: {}; fsm: {state}; packets: {category,
                header, body} in hex).  type is a received message's name
                (update, open, notification, keepalive, refresh, packets),
                send-<name> for what we sent, or state, negotiated, fsm.  Workers
                publish the kinds beyond state and update only for neighbors
                whose api blocks ask for them.

A route on the wire is a flat list (cheap to pack, no per-route map keys)::

    [afi, safi, prefix, next_hop, origin, as_path, med, local_pref, communities,
     as_set, extended_communities, large_communities, originator_id, cluster_list,
     aggregator, atomic_aggregate, aigp, generic]

that is, every field of ``bgpmesh.route.Attributes`` in order (absent values
nil, tuples as lists).  A ``batch`` sends its routes in columns instead, each
attribute set once (the items after the next hop), so that the supervisor and
the workers handle a route with a few list lookups and no per-route map or
list::

    prefixes  ["10.0.0.1/32", "10.0.0.2/32", ...]
    hops      ["self",        "self",        ...]
    index     [0,             0,             ...]  -> attributes[0]

A route with more than a prefix has one more item, ``extra``, whose first
word says what it is; ``prefix`` is then a text that names the route (for the
supervisor's replay keys and the logs)::

    ["route", labels, rd, path_id, watchdog, name, withdrawn]    Route
    ["flow", [[component, [value...]]...], [[action, [argument...]]...], rd, name]
                                          FlowRoute; prefix is its match as text
    ["vpls", endpoint, base, offset, size, rd, name, withdrawn]  Vpls (AFI 25 SAFI 65)
    ["nlri", nlri, key, path_id, name, withdrawn]
                                          NlriRoute (EVPN, RTC, ...): nlri the
                                          encoded NLRI, key the one that names it
                                          (both binary, no path id); prefix is
                                          its text (``api.nlri_words``)

Batches carry plain routes only (no ``extra``).  ``route_identity`` is what
tells two routes apart (rd and path id included, labels and actions not):
for IPv4 and IPv6 unicast, the bulk of any table, the prefix text alone (it
names its AFI), so the supervisor's shadow Adj-RIB-Out keeps no tuple per
route; ``withdrawal_from_identity`` rebuilds a withdrawal from it.  The shadow
may keep a batched route as ``(next_hop, attributes)``, both shared with its
other routes, and ``shadow_route`` gives it back as a whole wire route.
"""

from __future__ import annotations

import msgpack

from bgpmesh.api.nlri_words import nlri_text
from bgpmesh.codec.nlri import codec_for
from bgpmesh.codec.packer import nlri_octets
from bgpmesh.errors import BgpError
from bgpmesh.family import Family
from bgpmesh.route import Attributes, FlowRoute, NlriRoute, Route, Vpls

VERSION = 1

TOPIC_SUPERVISOR = b"sup|"
TOPIC_BROADCAST = b"w/*|"


class FrameError(ValueError):
    """A frame that is not a bgpmesh bus message of a version we read."""


def worker_topic(group: str) -> bytes:
    return b"w/" + group.encode() + b"|"


def ack_topic(publisher: str) -> bytes:
    return b"ack/" + publisher.encode() + b"|"


def sync_topic(publisher: str) -> bytes:
    """Where the answer to a ``ping`` with sync=true goes: "~" sorts after
    every other topic's first byte (see ``ping``)."""
    return b"~sync/" + publisher.encode() + b"|"


def event_topic(kind: str, neighbor: str) -> bytes:
    return b"ev/" + kind.encode() + b"/" + neighbor.encode() + b"|"


def system_topic(what: str) -> bytes:
    return b"sys/" + what.encode() + b"|"


def pack(topic: bytes, kind: str, **fields) -> list[bytes]:
    fields["v"] = VERSION
    fields["kind"] = kind
    return [topic, msgpack.packb(fields, use_bin_type=True)]


def unpack(frames: list[bytes]) -> tuple[bytes, dict]:
    """Return (topic, payload); FrameError if it is not ours."""
    if len(frames) != 2:
        raise FrameError(f"expected 2 frames, got {len(frames)}")
    try:
        payload = msgpack.unpackb(frames[1], raw=False, strict_map_key=False)
    except Exception as exc:  # msgpack raises several unrelated classes
        raise FrameError(f"payload is not msgpack: {exc}") from None
    if not isinstance(payload, dict) or payload.get("v") != VERSION or "kind" not in payload:
        raise FrameError("payload lacks v/kind or has another schema version")
    return frames[0], payload


def query(topic: bytes, publisher: str, seq: int, op: str, neighbors: list[str],
          options: list[str] | tuple[str, ...] = ()) -> list[bytes]:
    return pack(topic, "query", id=[publisher, seq], op=op, neighbors=neighbors,
                options=list(options))


def answer(ident: list, group: str, rows: list[dict], error: str = "") -> list[bytes]:
    return pack(ack_topic(str(ident[0])), "answer", id=ident, group=group, ok=not error,
                error=error, rows=rows)


# -- routes ------------------------------------------------------------------


def batch(topic: bytes, publisher: str, seqs: list[int], op: str, neighbors: list[str],
          family: tuple[int, int], prefixes: list[str], hops: list, index: list[int],
          attributes: list[list], counts: list[int] | None = None) -> list[bytes]:
    """A ``batch`` frame (see the docstring): commands ``seqs``, their routes in
    columns, ``counts`` None when each command is one route."""
    return pack(topic, "batch", publisher=publisher, seqs=seqs, op=op, neighbors=neighbors,
                family=list(family), prefixes=prefixes, hops=hops, index=index,
                attributes=attributes, counts=counts)


def batch_owners(msg: dict) -> list:
    """The seq of the command each route of a ``batch`` payload belongs to."""
    counts = msg.get("counts")
    if counts is None:
        return msg["seqs"]
    return [seq for seq, n in zip(msg["seqs"], counts, strict=True) for _ in range(n)]


def batch_routes(msg: dict):
    """Every route of a ``batch`` payload, in order, as full wire routes."""
    afi, safi = msg["family"]
    if msg["op"] != "announce":
        for prefix in msg["prefixes"]:
            yield withdrawal_to_wire(afi, safi, prefix)
        return
    table = msg["attributes"]
    for prefix, next_hop, i in zip(msg["prefixes"], msg["hops"], msg["index"], strict=True):
        yield [afi, safi, prefix, next_hop, *table[i]]


def acks(publisher: str, seqs: list[int], group: str, errors: dict[int, str] | None = None,
         matched: int = 0) -> list[bytes]:
    """The one answer to a ``batch``."""
    return pack(ack_topic(publisher), "acks", publisher=publisher, seqs=seqs, group=group,
                errors=errors or {}, matched=matched)


def attributes_to_wire(a: Attributes) -> list:
    """The attribute part of a wire route: every Attributes field, in order."""
    return [
        a.origin,
        list(a.as_path) if a.as_path is not None else None,
        a.med,
        a.local_pref,
        list(a.communities),
        list(a.as_set) if a.as_set is not None else None,
        list(a.extended_communities),
        [list(c) for c in a.large_communities],
        a.originator_id,
        list(a.cluster_list),
        list(a.aggregator) if a.aggregator is not None else None,
        a.atomic_aggregate,
        a.aigp,
        [list(g) for g in a.generic],
    ]


def attributes_key(item: list) -> tuple:
    """Hashable, and the exact Attributes arguments."""
    (origin, as_path, med, local_pref, communities, as_set, extended, large, originator,
     clusters, aggregator, atomic, aigp, generic) = item
    return (origin, tuple(as_path) if as_path is not None else None, med, local_pref,
            tuple(communities), tuple(as_set) if as_set is not None else None,
            tuple(extended), tuple(tuple(c) for c in large), originator, tuple(clusters),
            tuple(aggregator) if aggregator is not None else None, atomic, aigp,
            tuple(tuple(g) for g in generic))


def attributes_from_wire(item: list) -> Attributes:
    return Attributes(*attributes_key(item))


EMPTY_ATTRIBUTES = attributes_to_wire(Attributes())


def withdrawal_to_wire(afi: int, safi: int, prefix: str) -> list:
    return [afi, safi, prefix, None, *EMPTY_ATTRIBUTES]


_ATTRIBUTE_ITEMS = len(EMPTY_ATTRIBUTES)
_PLAIN_ITEMS = 4 + _ATTRIBUTE_ITEMS
_VPLS = (25, 65)


def flow_text(match) -> str:
    """A FlowRoute's match as ExaBGP writes it: "destination 10.0.0.0/8 port =80"."""
    return " ".join(f"{name} {values[0]}" if len(values) == 1 else
                    f"{name} [ {' '.join(values)} ]" for name, values in match)


def vpls_text(v: Vpls) -> str:
    return f"endpoint {v.endpoint} base {v.base} offset {v.offset} size {v.size} rd {v.rd}"


def route_to_wire(route: Route | FlowRoute | Vpls | NlriRoute) -> list:
    if type(route) is Route:
        item = [route.family.afi, route.family.safi, route.prefix, route.next_hop,
                *attributes_to_wire(route.attributes)]
        if route.labels or route.rd is not None or route.path_id is not None or \
                route.watchdog is not None or route.name is not None or route.withdrawn:
            item.append(["route", list(route.labels), route.rd, route.path_id, route.watchdog,
                         route.name, route.withdrawn])
        return item
    if type(route) is FlowRoute:
        return [route.family.afi, route.family.safi, flow_text(route.match), route.next_hop,
                *attributes_to_wire(route.attributes),
                ["flow", [[n, list(v)] for n, v in route.match],
                 [[a, list(v)] for a, v in route.actions], route.rd, route.name]]
    if type(route) is NlriRoute:
        nlri, key = nlri_octets(route)
        return [route.family.afi, route.family.safi, nlri_text(route.nlri), route.next_hop,
                *attributes_to_wire(route.attributes),
                ["nlri", nlri, key, route.path_id, route.name, route.withdrawn]]
    return [*_VPLS, vpls_text(route), route.next_hop, *attributes_to_wire(route.attributes),
            ["vpls", route.endpoint, route.base, route.offset, route.size, route.rd, route.name,
             route.withdrawn]]


# (afi, safi) whose plain routes are named by their prefix text alone
BY_PREFIX = {(1, 1), (2, 1)}


def identity(afi: int, safi: int, prefix: str) -> str | tuple:
    """The identity of a route with nothing beyond a prefix (see route_identity)."""
    return prefix if (afi, safi) in BY_PREFIX else (afi, safi, prefix)


def route_identity(item: list) -> str | tuple:
    """What names a wire route: the prefix text for IPv4/IPv6 unicast,
    (afi, safi, prefix) for another plain one; rd and path id, or a flow's
    match, added for the others."""
    if len(item) == _PLAIN_ITEMS:
        return identity(item[0], item[1], item[2])
    extra = item[_PLAIN_ITEMS]
    kind = extra[0]
    if kind == "route":
        if extra[2] is None and extra[3] is None:
            # labels and names do not tell routes apart
            return identity(item[0], item[1], item[2])
        return (item[0], item[1], item[2], kind, extra[2], extra[3])
    if kind == "flow":
        return (item[0], item[1], item[2], kind, extra[3],
                tuple((n, tuple(v)) for n, v in extra[1]))
    if kind == "nlri":
        # the key, not the text: a new label replaces the route (evpn.py)
        return (item[0], item[1], extra[2].hex(), kind, extra[2], extra[3])
    return (item[0], item[1], item[2], kind, *extra[1:6])


def shadow_route(key: str | tuple, value: list | tuple) -> list:
    """A whole wire route from a shadow entry: ``value`` is one already, or
    ``(next_hop, attributes)`` of a batched route whose identity is ``key``."""
    if type(value) is not tuple:
        return value
    if type(key) is str:
        afi, safi, prefix = (2 if ":" in key else 1), 1, key
    else:
        afi, safi, prefix = key
    return [afi, safi, prefix, value[0], *value[1]]


def route_watchdog(item: list) -> str | None:
    """The ``watchdog NAME`` a wire route is tagged with, or None."""
    if len(item) == _PLAIN_ITEMS:
        return None
    extra = item[_PLAIN_ITEMS]
    return extra[4] if extra[0] == "route" else None


def with_withdrawn(item: list, withdrawn: bool) -> list:
    """A wire route tagged with a watchdog, its ``withdraw`` flag set: held
    back by ``withdraw watchdog NAME`` (True) or sent again (False)."""
    extra = item[_PLAIN_ITEMS]
    return [*item[:_PLAIN_ITEMS], [*extra[:6], withdrawn]]


def withdrawal_from_identity(key: str | tuple) -> list:
    if type(key) is str:
        return withdrawal_to_wire(2 if ":" in key else 1, 1, key)
    if len(key) == 3:
        return withdrawal_to_wire(*key)
    afi, safi, prefix, kind = key[:4]
    if kind == "route":
        extra = ["route", [], key[4], key[5], None, None, False]
    elif kind == "flow":
        extra = ["flow", [[n, list(v)] for n, v in key[5]], [], key[4], None]
    elif kind == "nlri":
        extra = ["nlri", key[4], key[4], key[5], None, False]
    else:
        extra = ["vpls", *key[4:9], None, False]
    return [afi, safi, prefix, None, *EMPTY_ATTRIBUTES, extra]


def route_from_wire(item: list, _cache: dict | None = None) -> Route | FlowRoute | Vpls | NlriRoute:
    """Rebuild a Route.  ``_cache`` (a dict the caller keeps) makes routes that
    share attributes share one Attributes object, so later grouping by
    attribute set is an identity-fast dict lookup."""
    afi, safi, prefix, next_hop = item[:4]
    akey = attributes_key(item[4:_PLAIN_ITEMS])
    attributes = None if _cache is None else _cache.get(akey)
    if attributes is None:
        attributes = Attributes(*akey)
        if _cache is not None:
            _cache[akey] = attributes
    if len(item) == _PLAIN_ITEMS:
        return Route(Family(afi, safi), prefix, next_hop, attributes)
    extra = item[_PLAIN_ITEMS]
    kind = extra[0]
    if kind == "route":
        labels, rd, path_id, watchdog, name, withdrawn = extra[1:]
        return Route(Family(afi, safi), prefix, next_hop, attributes, tuple(labels), rd,
                     path_id, watchdog, name, bool(withdrawn))
    if kind == "flow":
        match, actions, rd, name = extra[1:]
        return FlowRoute(Family(afi, safi), tuple((n, tuple(v)) for n, v in match),
                         tuple((a, tuple(v)) for a, v in actions), rd, next_hop, attributes,
                         name)
    if kind == "vpls":
        endpoint, base, offset, size, rd, name, withdrawn = extra[1:]
        return Vpls(endpoint, base, offset, size, rd, next_hop, attributes, name,
                    bool(withdrawn))
    if kind == "nlri":
        nlri, _key, path_id, name, withdrawn = extra[1:]
        family = Family(afi, safi)
        try:
            value = codec_for(family).nlri.decode(nlri, afi)
        except (BgpError, AttributeError) as exc:
            raise ValueError(f"{family} NLRI {bytes(nlri).hex()}: {exc}") from None
        return NlriRoute(family, value, next_hop, attributes, path_id, name, bool(withdrawn))
    raise ValueError(f"unknown route kind {kind!r}")


class SequenceGaps:
    """Counts the events a subscriber lost: holes in each (publisher, topic)
    sequence.  The first frame of a sequence is a start, not a loss (we may
    have joined late); so is a new publisher (a restarted worker)."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, bytes], int] = {}
        self.lost = 0

    def see(self, topic: bytes, msg: dict) -> int:
        """How many frames of this sequence went missing just before msg."""
        publisher, seq = msg.get("publisher"), msg.get("seq")
        if publisher is None or not isinstance(seq, int):
            return 0
        key = (publisher, topic)
        last = self.last.get(key)
        self.last[key] = seq
        if last is None or seq <= last + 1:
            return 0
        missed = seq - last - 1
        self.lost += missed
        return missed


def neighbor_ident(peer: str, local: str | None, local_as: int, peer_as: int) -> dict:
    return {"peer": peer, "local": local, "local_as": local_as, "peer_as": peer_as}
