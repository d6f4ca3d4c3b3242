"""Update groups: encode an UPDATE once and write it to every neighbor that
would get the same bytes (FRR has the same idea under that name).

A worker often sends the same changes to many neighbors: a producer with no
selector announces to all of them.  Encoding is most of the cost of a flush,
so ``UpdateGroups.flush`` sorts the neighbors to flush into groups first:

- same encoding parameters (``signature``): local AS, eBGP or iBGP (the only
  use ``encode_attributes`` makes of the peer AS), the negotiated
  ``Session`` (four-octet AS, maximum message size, add-path per family) and
  families (``encode_updates`` leaves out the routes of the others);
- equal pending changes in the Adj-RIB-Out: equal lengths, then equal dicts,
  or the same ``AdjRibOut.token`` (set here after a shared slice, cleared by
  any other change), so a table sent in many slices is compared once.

For a group, one slice is taken from the leader's Adj-RIB-Out and the same
keys dropped from the others (``AdjRibOut.take_shared``), encoded once and
written to every member.  "next-hop self" is each neighbor's own local
address: when the slice has it only for IPv4 unicast and every member's local
address is IPv4, the four octets of NEXT_HOP are patched into a copy of the
messages for each member (FRR does the same); otherwise members are encoded
once per local address.

Flow control stays per neighbor: a group is one slice per loop turn, and a
neighbor whose transport paused is not in any group; it keeps its pending
changes and flushes alone when its transport resumes.  End-of-RIB still goes
out from ``Peer.flush`` once a neighbor's pending is empty.  Anything that
does not fit (a passive range, a neighbor not established, a flush already
in progress) goes through ``Peer.flush`` as before.
"""

from __future__ import annotations

import logging
import socket

from bgpmesh.codec import encode_attributes, pack_announce, pack_withdraw
from bgpmesh.family import IPV4_UNICAST

log = logging.getLogger("bgpmesh.worker")

_NEXT_HOP = 3
_EXTENDED_LENGTH = 0x10


def encode_updates(peer, announce: dict, withdraw: dict, marks: list[int] | None = None
                   ) -> list[bytes]:
    """The UPDATE messages of one slice for ``peer``.  ``marks``, if given,
    gets the index of every message whose NEXT_HOP is "self" (IPv4 unicast)."""
    session = peer.session
    # RFC 4760 section 3 / RFC 5492: only the families both OPENs advertised
    # are sent; the others stay in the Adj-RIB-Out (one check per family)
    families = peer.negotiated.families
    out: list[bytes] = []
    for family, keys in withdraw.items():
        if family in families:
            out.extend(pack_withdraw(family, keys, session))
    cache = peer.attr_cache
    local_as = peer.neighbor.local_as
    for (family, next_hop, attributes), keys in announce.items():
        if family not in families:
            _not_negotiated(peer, family)
            continue
        raw = cache.get(attributes)
        if raw is None:
            raw = cache[attributes] = encode_attributes(attributes, local_as, peer.peer_as,
                                                        session)
        is_self = next_hop == "self"
        if is_self:
            next_hop = peer.local_ip
        try:
            messages = pack_announce(family, raw, next_hop, keys, session)
        except ValueError as exc:
            # a next hop this family cannot carry: the producer's error
            log.warning("%s: %d %s routes not sent: %s", peer.name, len(keys), family, exc)
            continue
        if marks is not None and is_self and family == IPV4_UNICAST:
            marks.extend(range(len(out), len(out) + len(messages)))
        out.extend(messages)
    return out


def _not_negotiated(peer, family) -> None:
    if family not in peer.unsent:  # once per session
        peer.unsent.add(family)
        log.warning("%s: %s was not negotiated with this peer (RFC 4760): its routes stay "
                    "in the Adj-RIB-Out and are not sent", peer.name, family)


def send_updates(peer, out: list[bytes]) -> None:
    if out:
        peer.protocol.transport.write(b"".join(out))
        api = getattr(peer.worker, "api", None)
        if api is not None:
            api.sent_updates(peer, out)


def signature(peer) -> tuple:
    local_as = peer.neighbor.local_as
    return (local_as, local_as == peer.peer_as, peer.session, peer.negotiated.families)


def shareable(peer) -> bool:
    return (peer.children is None and peer.flush_handle is None and not peer.paused
            and peer.protocol is not None and bool(peer.rib.pending) and peer.established)


def next_hop_offset(message: bytes) -> int:
    """Where the four octets of NEXT_HOP are in an UPDATE, or -1."""
    pos = 21 + int.from_bytes(message[19:21], "big")
    end = pos + 2 + int.from_bytes(message[pos:pos + 2], "big")
    pos += 2
    while pos < end:
        flags, code = message[pos], message[pos + 1]
        if flags & _EXTENDED_LENGTH:
            length, head = int.from_bytes(message[pos + 2:pos + 4], "big"), 4
        else:
            length, head = message[pos + 2], 3
        if code == _NEXT_HOP:
            return pos + head if length == 4 else -1
        pos += head + length
    return -1


def _ipv4(address: str | None) -> bytes | None:
    try:
        return socket.inet_aton(address) if address and ":" not in address else None
    except OSError:
        return None


class UpdateGroups:
    def __init__(self, worker, limit: int) -> None:
        self.worker = worker
        self.limit = limit  # routes per slice (FLUSH_SLICE)
        self.encodes = 0  # encode_updates calls made for groups
        self.shared = 0  # slices written to more than one neighbor

    def flush(self, peers) -> None:
        alone = []
        kinds: dict[tuple, list] = {}
        for peer in peers:
            if shareable(peer):
                kinds.setdefault(signature(peer), []).append(peer)
            else:
                alone.append(peer)
        for members in kinds.values():
            for group in _equal(members) if len(members) > 1 else [members]:
                if len(group) == 1:
                    alone.extend(group)
                else:
                    self.send(group)
        for peer in alone:
            peer.flush()

    def send(self, group: list) -> None:
        """One slice of the group's (equal) pending changes to every member."""
        leader = group[0]
        announce, withdraw = leader.rib.take_shared(
            self.limit, [peer.rib for peer in group[1:]])
        exact = any(next_hop == "self" and family != IPV4_UNICAST
                    for family, next_hop, _attributes in announce)
        by_encoding: dict[object, list] = {}
        for peer in group:
            key = peer.local_ip if exact or _ipv4(peer.local_ip) is None else True
            by_encoding.setdefault(key, []).append(peer)
        for key, peers in by_encoding.items():
            marks: list[int] | None = [] if key is True else None
            out = encode_updates(peers[0], announce, withdraw, marks)
            self.encodes += 1
            self.shared += len(peers) > 1
            send_updates(peers[0], out)
            for peer in peers[1:]:
                if marks and peer.local_ip != peers[0].local_ip:
                    theirs = _patched(out, marks, peers[0].local_ip, peer.local_ip)
                    if theirs is None:  # not laid out as expected: encode for it
                        theirs = encode_updates(peer, announce, withdraw)
                        self.encodes += 1
                    send_updates(peer, theirs)
                else:
                    send_updates(peer, out)
        more = [peer for peer in group if peer.rib.pending]
        if more:
            # the next slice on the next loop turn, with whoever is not paused
            token = object()
            for peer in more:
                peer.rib.token = token
            self.worker.dirty.update(more)
            self.worker.schedule_flush()
        for peer in group:
            if not peer.rib.pending and (peer.eor_due or peer.eorr_due):
                peer.flush()  # End-of-RIB, after the table


def _equal(peers: list) -> list[list]:
    """Partition ``peers`` by equal pending changes."""
    groups: list[list] = []
    for peer in peers:
        rib = peer.rib
        for group in groups:
            other = group[0].rib
            if (rib.token is not None and rib.token is other.token) or (
                    len(rib.pending) == len(other.pending) and rib.pending == other.pending):
                group.append(peer)
                break
        else:
            groups.append([peer])
    return groups


def _patched(out: list[bytes], marks: list[int], mine: str, theirs: str) -> list[bytes] | None:
    old, new = _ipv4(mine), _ipv4(theirs)
    if old is None or new is None:
        return None
    copy = list(out)
    for i in marks:
        message = out[i]
        at = next_hop_offset(message)
        if at < 0 or message[at:at + 4] != old:
            return None
        copy[i] = message[:at] + new + message[at + 4:]
    return copy
