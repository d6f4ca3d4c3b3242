"""Update groups: neighbors with equal pending changes and equal encoding
parameters get the same UPDATE bytes, encoded once.

Fake peers with the real ``Peer.flush`` and ``Peer._write_updates``, fake
transports that record what is written; no sockets, no loop.
"""

from __future__ import annotations

import ipaddress
import logging
from types import SimpleNamespace

import pytest

from bgpmesh.codec.packer import end_of_rib
from bgpmesh.codec.session import DEFAULT_SESSION, Session
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST
from bgpmesh.route import Attributes
from bgpmesh.workers import update_groups
from bgpmesh.workers.peer import Peer
from bgpmesh.workers.rib import AdjRibOut
from bgpmesh.workers.update_groups import UpdateGroups, encode_updates

V4 = IPV4_UNICAST
V6 = IPV6_UNICAST
A = Attributes(med=10)
B = Attributes(local_pref=200)


class Transport:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.chunks.append(data)


class Protocol:
    def __init__(self) -> None:
        self.transport = Transport()


class Loop:
    def __init__(self) -> None:
        self.soon: list = []

    def call_soon(self, callback):
        self.soon.append(callback)
        return callback


class Neighbor:
    def __init__(self, local_as: int) -> None:
        self.local_as = local_as


class FakePeer:
    flush = Peer.flush
    _write_updates = Peer._write_updates

    def __init__(self, worker, name: str, local_ip: str, *, local_as: int = 65000,
                 peer_as: int = 65001, session: Session = DEFAULT_SESSION,
                 families: frozenset = frozenset((V4, V6))) -> None:
        self.worker = worker
        self.loop = worker.loop
        self.name = name
        self.local_ip = local_ip
        self.neighbor = Neighbor(local_as)
        self.peer_as = peer_as
        self.session = session
        self.negotiated = SimpleNamespace(families=families)
        self.unsent: set = set()
        self.rib = AdjRibOut()
        self.attr_cache: dict = {}
        self.children = None
        self.flush_handle = None
        self.paused = False
        self.established = True
        self.protocol = Protocol()
        self.eor_due: list = []
        self.eorr_due: list = []

    @property
    def written(self) -> bytes:
        return b"".join(self.protocol.transport.chunks)

    def __repr__(self) -> str:
        return self.name


class FakeWorker:
    def __init__(self, limit: int = 20_000) -> None:
        self.loop = Loop()
        self.dirty: set = set()
        self.scheduled = 0
        self.groups = UpdateGroups(self, limit)

    def schedule_flush(self) -> None:
        self.scheduled += 1

    def flush(self) -> None:
        dirty, self.dirty = self.dirty, set()
        self.groups.flush(dirty)

    def run(self) -> None:
        """Flush until nothing is left to do, as the loop would."""
        for _ in range(1000):
            if self.dirty:
                self.flush()
            elif self.loop.soon:
                self.loop.soon.pop(0)()
            else:
                return
        raise AssertionError("no end")


@pytest.fixture
def packs(monkeypatch):
    """Counts calls of pack_announce (every announcement encoding goes through it)."""
    calls = []
    real = update_groups.pack_announce

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(update_groups, "pack_announce", counting)
    return calls


def key(i: int) -> bytes:
    return bytes([32]) + ipaddress.IPv4Address(f"10.0.{i // 256}.{i % 256}").packed


def announce(peers, count: int, next_hop: str = "self", attributes=A, start: int = 0) -> None:
    for peer in peers:
        for i in range(start, start + count):
            peer.rib.announce(V4, key(i), next_hop, attributes)
        peer.worker.dirty.add(peer)


def updates(data: bytes) -> list[bytes]:
    out = []
    while data:
        length = int.from_bytes(data[16:18], "big")
        out.append(data[:length])
        data = data[length:]
    return out


def nlris(data: bytes) -> list[bytes]:
    """Announced IPv4 /32 NLRI, in order."""
    found = []
    for message in updates(data):
        withdrawn = int.from_bytes(message[19:21], "big")
        at = 21 + withdrawn
        body = message[at + 2 + int.from_bytes(message[at:at + 2], "big"):]
        found.extend(body[i:i + 5] for i in range(0, len(body), 5))
    return found


def alone(peer) -> bytes:
    """What ``peer`` would get if it were encoded by itself."""
    rib = AdjRibOut()
    rib.pending = dict(peer.rib.pending)
    return b"".join(encode_updates(peer, *rib.take_pending()))


def test_identical_peers_get_identical_bytes_encoded_once(packs):
    w = FakeWorker()
    peers = [FakePeer(w, f"p{i}", "192.0.2.1") for i in range(5)]
    announce(peers, 1000, next_hop="198.51.100.1")
    expected = alone(peers[0])
    packs.clear()
    w.run()
    assert len(packs) == 1
    assert w.groups.encodes == 1
    assert all(p.written == expected for p in peers)
    assert all(not p.rib.pending for p in peers)


def test_next_hop_self_is_patched_per_peer_and_encoded_once(packs):
    w = FakeWorker()
    peers = [FakePeer(w, f"p{i}", f"127.201.{i}.1") for i in range(4)]
    announce(peers, 2000)  # more than one UPDATE per peer
    expected = [alone(p) for p in peers]
    packs.clear()
    w.run()
    assert len(packs) == 1
    for peer, want in zip(peers, expected, strict=True):
        assert len(updates(peer.written)) > 1
        assert peer.written == want
        assert socket_bytes(peer.local_ip) in peer.written
    assert len({p.written for p in peers}) == 4


def socket_bytes(address: str) -> bytes:
    return ipaddress.IPv4Address(address).packed


def test_explicit_next_hop_equal_to_a_local_address_is_not_patched(packs):
    w = FakeWorker()
    peers = [FakePeer(w, f"p{i}", f"127.201.{i}.1") for i in range(3)]
    announce(peers, 10, next_hop="127.201.0.1")  # the leader's address, written as such
    announce(peers, 10, next_hop="self", attributes=B, start=10)
    expected = [alone(p) for p in peers]
    packs.clear()
    w.run()
    assert [p.written for p in peers] == expected


def test_a_paused_peer_is_not_blocked_and_catches_up_with_end_of_rib():
    w = FakeWorker(limit=100)
    peers = [FakePeer(w, f"p{i}", f"127.201.{i}.1") for i in range(3)]
    for p in peers:
        p.eor_due = [V4]
    announce(peers, 450)
    w.flush()  # one shared slice to all three
    assert all(len(nlris(p.written)) == 100 for p in peers)
    slow = peers[2]
    slow.paused = True  # its transport said its buffer is full
    w.run()
    for p in peers[:2]:
        assert len(nlris(p.written)) == 450
        assert p.protocol.transport.chunks[-1] == end_of_rib(V4)
    assert len(nlris(slow.written)) == 100
    assert slow.rib.pending and slow.eor_due == [V4]
    # the others got new changes meanwhile; the slow one too
    announce(peers, 5, start=1000)
    w.run()
    assert len(nlris(slow.written)) == 100
    slow.paused = False  # resume_writing: Peer.writing_paused calls flush
    slow.flush()
    w.run()
    got = nlris(slow.written)
    assert sorted(got) == sorted(nlris(peers[0].written))
    assert len(got) == 455
    assert slow.protocol.transport.chunks[-1] == end_of_rib(V4)
    assert slow.protocol.transport.chunks.count(end_of_rib(V4)) == 1


def test_end_of_rib_follows_the_last_shared_slice():
    w = FakeWorker(limit=100)
    peers = [FakePeer(w, f"p{i}", "127.201.0.1") for i in range(2)]
    for p in peers:
        p.eor_due = [V4]
    announce(peers, 250)
    w.run()
    for p in peers:
        chunks = p.protocol.transport.chunks
        assert chunks[-1] == end_of_rib(V4)
        assert chunks.count(end_of_rib(V4)) == 1
        assert len(nlris(b"".join(chunks[:-1]))) == 250
    assert w.groups.encodes == 3


def test_differing_pending_changes_are_encoded_separately(packs):
    w = FakeWorker()
    peers = [FakePeer(w, f"p{i}", "192.0.2.1") for i in range(3)]
    announce(peers, 50)
    announce(peers[2:], 1, start=500)  # one more route for the third
    expected = [alone(p) for p in peers]
    packs.clear()
    w.run()
    assert [p.written for p in peers] == expected
    assert len(packs) == 2  # one for the two equal peers, one for the third
    assert len(nlris(peers[2].written)) == 51


def test_same_routes_other_attributes_are_encoded_separately(packs):
    w = FakeWorker()
    peers = [FakePeer(w, f"p{i}", "192.0.2.1") for i in range(2)]
    announce(peers[:1], 20, attributes=A)
    announce(peers[1:], 20, attributes=B)
    w.run()
    assert len(packs) == 2
    assert peers[0].written != peers[1].written


@pytest.mark.parametrize("other", [
    {"peer_as": 65000},  # iBGP: no local AS in AS_PATH, LOCAL_PREF
    {"local_as": 65002},
    {"session": Session(asn4=False)},
    {"session": Session(extended_message=True)},
    {"session": Session(add_path_send=frozenset((V4,)))},
])
def test_different_encoding_parameters_are_encoded_separately(packs, other):
    w = FakeWorker()
    peers = [FakePeer(w, "p0", "192.0.2.1"), FakePeer(w, "p1", "192.0.2.1"),
             FakePeer(w, "p2", "192.0.2.1", **other)]
    announce(peers, 30, next_hop="198.51.100.1")
    expected = [alone(p) for p in peers]
    packs.clear()
    w.run()
    assert [p.written for p in peers] == expected
    assert len(packs) == 2


def test_withdrawals_are_shared_too(packs):
    w = FakeWorker()
    peers = [FakePeer(w, f"p{i}", f"127.201.{i}.1") for i in range(3)]
    announce(peers, 10)
    w.run()
    for p in peers:
        p.protocol.transport.chunks.clear()
        for i in range(5):
            p.rib.withdraw(V4, key(i))
        w.dirty.add(p)
    w.run()
    assert w.groups.encodes == 2
    assert len({p.written for p in peers}) == 1
    assert peers[0].written.count(key(0)) == 1


def test_peers_that_cannot_share_flush_alone():
    w = FakeWorker()
    peers = [FakePeer(w, f"p{i}", "192.0.2.1") for i in range(3)]
    peers[1].established = False
    peers[2].paused = True
    announce(peers, 10)
    w.run()
    assert len(nlris(peers[0].written)) == 10
    assert peers[1].written == peers[2].written == b""
    assert len(peers[1].rib.pending) == len(peers[2].rib.pending) == 10
    assert w.groups.encodes == 0


def test_a_token_lets_the_next_slice_skip_the_comparison(monkeypatch):
    w = FakeWorker(limit=10)
    peers = [FakePeer(w, f"p{i}", "192.0.2.1") for i in range(3)]
    announce(peers, 35)
    w.flush()
    assert peers[0].rib.token is not None
    assert all(p.rib.token is peers[0].rib.token for p in peers)
    peers[1].rib.announce(V4, key(900), "self", A)  # a change of its own
    assert peers[1].rib.token is None
    w.run()
    assert len(nlris(peers[1].written)) == 36
    assert len(nlris(peers[0].written)) == len(nlris(peers[2].written)) == 35


def test_a_family_not_negotiated_is_kept_not_sent(packs, caplog):
    # RFC 4760 section 3: routes of a family go only where both OPENs listed it
    w = FakeWorker()
    v6_only = FakePeer(w, "v6", "192.0.2.1", families=frozenset((V6,)))
    both = FakePeer(w, "both", "192.0.2.1")
    v6_key = bytes([128]) + ipaddress.IPv6Address("2001:db8::1").packed
    with caplog.at_level(logging.WARNING, "bgpmesh.worker"):
        announce([v6_only, both], 10, next_hop="198.51.100.1")
        for peer in (v6_only, both):
            peer.rib.announce(V6, v6_key, "2001:db8::ff", A)
        w.run()
        # the peers do not share bytes: their families differ
        assert nlris(both.written)[:10] == [key(i) for i in range(10)]
        assert key(0) not in v6_only.written and v6_key in v6_only.written
        # the routes stay in its Adj-RIB-Out, for a later session that negotiates them
        assert len(v6_only.rib.routes) == 11 and not v6_only.rib.pending
        # more of them, and withdrawals: nothing sent, logged once per session
        v6_only.protocol.transport.chunks.clear()
        announce([v6_only], 5, next_hop="198.51.100.1", start=100)
        v6_only.rib.withdraw(V4, key(0))
        w.run()
    assert v6_only.written == b""
    logged = [r.getMessage() for r in caplog.records if "not negotiated" in r.getMessage()]
    assert logged == ["v6: ipv4 unicast was not negotiated with this peer (RFC 4760): its "
                      "routes stay in the Adj-RIB-Out and are not sent"]
