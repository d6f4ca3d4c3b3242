"""AdjRibOut: what is announced to one neighbor and what is not sent yet.

Each test drives the table through announce/withdraw/clear and reads what a
flush (``take_pending``) or a new session (``take_all``) would send.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST
from bgpmesh.route import NO_ATTRIBUTES, Attributes
from bgpmesh.workers.rib import AdjRibOut

V4 = IPV4_UNICAST
V6 = IPV6_UNICAST
A = Attributes(med=10)
B = Attributes(local_pref=200)
K1 = bytes([24, 10, 0, 1])  # 10.0.1.0/24 as NLRI bytes
K2 = bytes([24, 10, 0, 2])
K3 = bytes([24, 10, 0, 3])
NH = "192.0.2.1"


def test_empty():
    rib = AdjRibOut()
    assert len(rib) == 0
    assert rib.take_pending() == ({}, {})
    assert rib.take_all() == ({}, {})


def test_announce_is_pending_once():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    assert len(rib) == 1
    assert rib.take_pending() == ({(V4, NH, A): [K1]}, {})
    assert rib.take_pending() == ({}, {})
    assert len(rib) == 1


def test_announce_same_value_again_sends_nothing():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.take_pending()
    rib.announce(V4, K1, NH, Attributes(med=10))  # equal, not identical
    assert rib.take_pending() == ({}, {})


def test_announce_replaces_value():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.take_pending()
    rib.announce(V4, K1, NH, B)
    rib.announce(V4, K1, "192.0.2.9", B)
    assert len(rib) == 1
    assert rib.take_pending() == ({(V4, "192.0.2.9", B): [K1]}, {})
    assert rib.take_all() == ({(V4, "192.0.2.9", B): [K1]}, {})


def test_changing_back_before_flush_still_sends_latest():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.take_pending()
    rib.announce(V4, K1, NH, B)
    rib.announce(V4, K1, NH, A)
    # the peer has A already; re-sending it is harmless, losing B->A is not
    assert rib.take_pending() == ({(V4, NH, A): [K1]}, {})


def test_grouping_by_family_next_hop_and_attributes():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.announce(V4, K2, NH, Attributes(med=10))  # equal set: same group
    rib.announce(V4, K3, NH, B)
    rib.announce(V6, K1, NH, A)
    rib.announce(V4, b"\x08\x0b", "192.0.2.2", A)
    announce, withdraw = rib.take_pending()
    assert withdraw == {}
    assert announce == {
        (V4, NH, A): [K1, K2],
        (V4, NH, B): [K3],
        (V6, NH, A): [K1],
        (V4, "192.0.2.2", A): [b"\x08\x0b"],
    }


def test_same_key_in_two_families_is_two_routes():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.announce(V6, K1, NH, A)
    assert len(rib) == 2
    rib.withdraw(V6, K1)
    assert len(rib) == 1
    assert rib.take_pending() == ({(V4, NH, A): [K1]}, {V6: [K1]})


def test_withdraw_after_flush():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.announce(V4, K2, NH, A)
    rib.take_pending()
    rib.withdraw(V4, K1)
    assert len(rib) == 1
    assert rib.take_pending() == ({}, {V4: [K1]})
    assert rib.take_all() == ({(V4, NH, A): [K2]}, {})


def test_withdraw_unknown_sends_nothing():
    rib = AdjRibOut()
    rib.withdraw(V4, K1)
    assert rib.take_pending() == ({}, {})


def test_withdraw_twice_sends_one_withdrawal():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.take_pending()
    rib.withdraw(V4, K1)
    rib.withdraw(V4, K1)
    assert rib.take_pending() == ({}, {V4: [K1]})
    rib.withdraw(V4, K1)
    assert rib.take_pending() == ({}, {})


def test_announce_then_withdraw_before_flush_leaves_one_withdrawal():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.withdraw(V4, K1)
    assert len(rib) == 0
    assert rib.take_pending() == ({}, {V4: [K1]})


def test_withdraw_then_announce_before_flush_leaves_the_announcement():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.take_pending()
    rib.withdraw(V4, K1)
    rib.announce(V4, K1, NH, A)
    assert rib.take_pending() == ({(V4, NH, A): [K1]}, {})


def test_clear_withdraws_everything():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.announce(V6, K2, NH, B)
    rib.take_pending()
    rib.announce(V4, K3, NH, A)  # pending, not flushed
    rib.clear()
    assert len(rib) == 0
    announce, withdraw = rib.take_pending()
    assert announce == {}
    # order follows when each key first became pending: K3 was already
    assert {family: sorted(ks) for family, ks in withdraw.items()} == {V4: [K1, K3], V6: [K2]}
    assert rib.take_all() == ({}, {})


def test_clear_keeps_pending_withdrawals():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.announce(V4, K2, NH, A)
    rib.take_pending()
    rib.withdraw(V4, K1)
    rib.clear()
    assert rib.take_pending() == ({}, {V4: [K1, K2]})


def test_take_all_drops_pending():
    rib = AdjRibOut()
    rib.announce(V4, K1, NH, A)
    rib.announce(V4, K2, NH, NO_ATTRIBUTES)
    rib.take_pending()
    rib.withdraw(V4, K2)
    rib.announce(V4, K3, NH, A)
    # a new session: the full table, no withdrawals (the peer has nothing)
    assert rib.take_all() == ({(V4, NH, A): [K1, K3]}, {})
    assert rib.take_pending() == ({}, {})
    # and the table is kept for the next session
    assert rib.take_all() == ({(V4, NH, A): [K1, K3]}, {})


# -- model check ---------------------------------------------------------------

keys = st.sampled_from([K1, K2, K3])
families = st.sampled_from([V4, V6])
values = st.sampled_from([(NH, A), (NH, B), ("192.0.2.2", A)])
operations = st.lists(st.one_of(
    st.tuples(st.just("announce"), families, keys, values),
    st.tuples(st.just("withdraw"), families, keys),
    st.tuples(st.just("clear")),
    st.tuples(st.just("flush")),
), max_size=30)


def _apply(peer: dict, announce: dict, withdraw: dict) -> None:
    for family, ks in withdraw.items():
        for key in ks:
            peer.pop((family, key), None)
    for (family, next_hop, attributes), ks in announce.items():
        for key in ks:
            peer[(family, key)] = (next_hop, attributes)


@given(operations)
def test_flushes_keep_the_peer_in_step(ops):
    """Whatever the order of operations, a peer that applies every flush holds
    exactly the table, and a fresh session given take_all holds it too."""
    rib = AdjRibOut()
    peer: dict = {}
    for op in ops:
        if op[0] == "announce":
            _, family, key, (next_hop, attributes) = op
            rib.announce(family, key, next_hop, attributes)
        elif op[0] == "withdraw":
            rib.withdraw(op[1], op[2])
        elif op[0] == "clear":
            rib.clear()
        else:
            _apply(peer, *rib.take_pending())
    _apply(peer, *rib.take_pending())
    assert peer == rib.routes
    assert len(rib) == len(peer)
    fresh: dict = {}
    _apply(fresh, *rib.take_all())
    assert fresh == rib.routes


@given(operations)
def test_a_key_is_never_both_announced_and_withdrawn(ops):
    rib = AdjRibOut()
    for op in ops:
        if op[0] == "announce":
            rib.announce(op[1], op[2], *op[3])
        elif op[0] == "withdraw":
            rib.withdraw(op[1], op[2])
        elif op[0] == "clear":
            rib.clear()
    announce, withdraw = rib.take_pending()
    announced = {(f, k) for (f, _, _), ks in announce.items() for k in ks}
    withdrawn = {(f, k) for f, ks in withdraw.items() for k in ks}
    assert not announced & withdrawn
    assert sum(len(ks) for ks in announce.values()) == len(announced)
    assert sum(len(ks) for ks in withdraw.values()) == len(withdrawn)
