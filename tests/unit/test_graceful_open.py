"""What graceful restart puts in our OPEN, and the LLGR_STALE re-announcement.

``local_open`` builds the Graceful Restart (64) and Long-Lived Graceful
Restart (71) capabilities from ``capability { graceful-restart N;
long-lived-graceful-restart [AFI SAFI] SECONDS; }``; ``_with_llgr_stale`` is
how a route entering RFC 9494's long-lived phase reaches scripts again.
"""

from __future__ import annotations

from bgpmesh.api.json import update_message
from bgpmesh.codec import (
    GracefulRestart,
    LongLivedGracefulRestart,
    MpReachNlri,
    NextHop,
    Origin,
    Update,
)
from bgpmesh.codec.attributes.communities import Communities
from bgpmesh.config import parse_config
from bgpmesh.family import IPV4_UNICAST, IPV6_UNICAST
from workers.peer import _with_llgr_stale, local_open, long_lived_times


def neighbor(capability: str):
    (n,) = parse_config(
        "neighbor 192.0.2.2 { local-as 65001; peer-as 65002; router-id 192.0.2.1; "
        "local-address 192.0.2.1; family { ipv4 unicast; ipv6 unicast; } "
        f"capability {{ {capability} }} }}").neighbors
    return n


def test_graceful_restart_alone_offers_no_long_lived_capability():
    message = local_open(neighbor("graceful-restart 120;"))
    assert message.capability(GracefulRestart) == GracefulRestart(0, 120, (
        (IPV4_UNICAST, 0x80), (IPV6_UNICAST, 0x80)))
    assert message.capability(LongLivedGracefulRestart) is None


def test_long_lived_times_per_family_over_the_default():
    n = neighbor("graceful-restart 30; long-lived-graceful-restart 3600; "
                 "long-lived-graceful-restart ipv6 unicast 60;")
    assert long_lived_times(n) == [(IPV4_UNICAST, 3600), (IPV6_UNICAST, 60)]
    message = local_open(n, restarting=True)
    assert message.capability(GracefulRestart).restart_flags == GracefulRestart.RESTART_STATE
    assert message.capability(LongLivedGracefulRestart) == LongLivedGracefulRestart((
        (IPV4_UNICAST, 0x80, 3600), (IPV6_UNICAST, 0x80, 60)))


def test_long_lived_alone_goes_with_a_zero_restart_time():
    """RFC 9494 section 4.1: capability 71 is sent with capability 64."""
    message = local_open(neighbor("long-lived-graceful-restart ipv6 unicast 600;"))
    assert message.capability(GracefulRestart).restart_time == 0
    assert message.capability(LongLivedGracefulRestart).families == ((IPV6_UNICAST, 0x80, 600),)
    # the encoded OPEN decodes to the same capabilities
    wire = message.capability(LongLivedGracefulRestart).encode()
    assert wire == bytes.fromhex("470700020180000258")


def test_llgr_stale_is_added_to_ipv4_routes_kept_from_an_update():
    original = Update(attributes=(Origin(0), NextHop("192.0.2.9"), Communities((65000 << 16 | 1,))),
                      nlri=("10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"))
    tagged = _with_llgr_stale(original, IPV4_UNICAST, ("10.0.1.0/24",))
    assert tagged.nlri == ("10.0.1.0/24",)
    assert tagged.attribute(Communities).values == (65000 << 16 | 1, 0xFFFF0006)
    body = update_message(tagged)["update"]
    assert body["attribute"]["community"] == [[65000, 1], [65535, 6]]
    assert body["announce"] == {"ipv4 unicast": {"192.0.2.9": [{"nlri": "10.0.1.0/24"}]}}


def test_llgr_stale_on_ipv6_keeps_the_next_hops_and_adds_communities():
    reach = MpReachNlri(IPV6_UNICAST, ("2001:db8::1",), ("2001:db8:1::/48", "2001:db8:2::/48"))
    tagged = _with_llgr_stale(Update(attributes=(Origin(0), reach)), IPV6_UNICAST,
                              ("2001:db8:2::/48",))
    assert tagged.attribute(MpReachNlri) == MpReachNlri(IPV6_UNICAST, ("2001:db8::1",),
                                                        ("2001:db8:2::/48",))
    assert tagged.attribute(Communities).values == (0xFFFF0006,)
    assert not tagged.nlri
    # already tagged: not twice
    again = _with_llgr_stale(tagged, IPV6_UNICAST, ("2001:db8:2::/48",))
    assert again.attribute(Communities).values == (0xFFFF0006,)
