"""ADD-PATH receive (RFC 7911) past the codec: JSON in both dialects, the text
encoder, the Adj-RIB-In and ``show adj-rib in``, graceful-restart stale keys.

Two paths of one prefix are two routes everywhere.  The JSON entry shape is
ExaBGP's (INET.json of 4.2.25 and 5.0.15: ``{"nlri": P, "path-information":
"a.b.c.d"}``, also for path identifier 0), the text ExaBGP's
``prefix path-information a.b.c.d``.
"""

from __future__ import annotations

from types import SimpleNamespace

from bgpmesh.api.exabgp import compact_update, text_event
from bgpmesh.api.json import update_message, update_message_v5
from bgpmesh.api.json_nlri import route_text
from bgpmesh.codec import (
    AsPath,
    MessageReader,
    MpReachNlri,
    MpUnreachNlri,
    NextHop,
    Origin,
    Session,
    Update,
)
from bgpmesh.codec.nlri.prefix import PathPrefix
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST
from bgpmesh.graceful import Retention, StaleRoutes, StaleWithdrawn
from workers.api_events import received_routes
from workers.peer import Peer, _withdrawal

P1 = PathPrefix("10.53.0.0/24", 1)
P2 = PathPrefix("10.53.0.0/24", 2)
ATTRIBUTES = (Origin(0), AsPath(((2, (65002,)),)), NextHop("192.0.2.2"))
SESSION = Session(add_path_receive=frozenset({IPV4_UNICAST, IPV6_UNICAST}),
                  add_path_send=frozenset({IPV4_UNICAST, IPV6_UNICAST}))
IDENT = {"peer": "192.0.2.2", "local": "192.0.2.1", "local_as": 65001, "peer_as": 65002}


def received(update: Update) -> Update:
    """``update`` as it arrives on a session with ADD-PATH receive."""
    [decoded] = MessageReader().feed(update.encode(SESSION), SESSION)
    return decoded


def test_json_has_each_paths_path_information() -> None:
    update = received(Update((PathPrefix("10.9.0.0/16", 0),), ATTRIBUTES, (P1, P2)))
    body = update_message(update)["update"]
    assert body["announce"] == {"ipv4 unicast": {"192.0.2.2": [
        {"nlri": "10.53.0.0/24", "path-information": "0.0.0.1"},
        {"nlri": "10.53.0.0/24", "path-information": "0.0.0.2"}]}}
    # identifier 0 is still shown: ExaBGP prints any identifier it received
    assert body["withdraw"] == {"ipv4 unicast": [{"nlri": "10.9.0.0/16", "path-information": "0.0.0.0"}]}
    # the 5.0 dialect changes attributes only; the entries are the same
    assert update_message_v5(update)["update"]["announce"] == body["announce"]
    # compact (exabgp.api.compact) keeps an entry with more than its prefix a map
    compact = compact_update(update_message(update))["update"]
    assert compact["announce"]["ipv4 unicast"]["192.0.2.2"][0] == {
        "nlri": "10.53.0.0/24", "path-information": "0.0.0.1"}


def test_json_of_mp_families() -> None:
    reach = MpReachNlri(IPV6_UNICAST, ("2001:db8::1",), (PathPrefix("2001:db8::/32", 0x01000002),))
    unreach = MpUnreachNlri(IPV6_UNICAST, (PathPrefix("2001:db8:1::/48", 5),))
    body = update_message(received(Update((), (Origin(0), AsPath(()), reach, unreach), ())))["update"]
    assert body["announce"] == {"ipv6 unicast": {"2001:db8::1": [
        {"nlri": "2001:db8::/32", "path-information": "1.0.0.2"}]}}
    assert body["withdraw"] == {"ipv6 unicast": [{"nlri": "2001:db8:1::/48", "path-information": "0.0.0.5"}]}


def test_text_encoder_puts_the_path_after_the_prefix() -> None:
    update = received(Update((PathPrefix("10.9.0.0/16", 3),), ATTRIBUTES, (P1,)))
    assert text_event("update", IDENT, update_message(update)) == [
        "neighbor 192.0.2.2 receive update start",
        "neighbor 192.0.2.2 receive update announced 10.53.0.0/24 path-information 0.0.0.1 "
        "next-hop 192.0.2.2 origin igp as-path [ 65002 ] confederation-path [  ] family ipv4 unicast",
        "neighbor 192.0.2.2 receive update withdrawn 10.9.0.0/16 path-information 0.0.0.3 "
        "family ipv4 unicast",
        "neighbor 192.0.2.2 receive update end",
    ]


def test_path_prefix_text_is_exabgps() -> None:
    assert route_text(PathPrefix("10.0.0.0/24", 0x01020304)) == "10.0.0.0/24 path-information 1.2.3.4"
    assert route_text(PathPrefix("10.0.0.0/24", 0)) == "10.0.0.0/24 path-information 0.0.0.0"


def test_adj_rib_in_keeps_each_path_and_withdraws_one() -> None:
    peer = SimpleNamespace(adj_rib_in={})
    Peer.keep_received(peer, received(Update((), ATTRIBUTES, (P1, P2))))
    assert set(peer.adj_rib_in) == {(IPV4_UNICAST, P1), (IPV4_UNICAST, P2)}
    shown = sorted(row[1] for row in received_routes(peer))
    assert shown == ["10.53.0.0/24 path-information 0.0.0.1", "10.53.0.0/24 path-information 0.0.0.2"]
    # the withdrawal of path 1 is not the withdrawal of the prefix
    Peer.keep_received(peer, received(Update((P1,))))
    assert set(peer.adj_rib_in) == {(IPV4_UNICAST, P2)}


def test_graceful_restart_stale_keys_are_paths() -> None:
    stale = StaleRoutes()
    stale.dropped({IPV4_UNICAST: [P1, P2]}, {IPV4_UNICAST: Retention(120, 0)}, True, 0.0)
    stale.established(frozenset({IPV4_UNICAST}), 1.0)
    # the peer announces path 2 again: only path 1 is left stale at End-of-RIB
    for family, nlri, _hops in received(Update((), ATTRIBUTES, (P2,))).announced():
        stale.refreshed(family, nlri)
    [action] = stale.end_of_rib(IPV4_UNICAST, 2.0)
    assert type(action) is StaleWithdrawn and action.keys == frozenset({P1})
    # and the script sees path 1 withdrawn, with its path id
    assert update_message(_withdrawal(IPV4_UNICAST, tuple(action.keys)))["update"]["withdraw"] == {
        "ipv4 unicast": [{"nlri": "10.53.0.0/24", "path-information": "0.0.0.1"}]}


def test_withdrawal_of_mixed_keys_still_renders() -> None:
    # stale text keys (a session without ADD-PATH) beside PathPrefix keys
    message = update_message(_withdrawal(IPV4_UNICAST, ("10.1.0.0/24", P1)))
    assert message["update"]["withdraw"] == {"ipv4 unicast": [
        {"nlri": "10.1.0.0/24"}, {"nlri": "10.53.0.0/24", "path-information": "0.0.0.1"}]}
