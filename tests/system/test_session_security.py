"""TCP MD5 (RFC 2385) and TTL options against a real BIRD."""

from __future__ import annotations

import pytest

from tests.daemons.bgpmesh import Bgpmesh
from tests.daemons.bird import BirdPeer
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import neighbor_block

pytestmark = pytest.mark.system


def with_lines(block: str, *lines: str) -> str:
    head, _, tail = block.partition("    hold-time 9;\n")
    return head + "    hold-time 9;\n" + "".join(f"    {line}\n" for line in lines) + tail


def test_md5_session_comes_up_with_the_right_key_and_not_with_a_wrong_one(
        tmp_path, addresses, bird_factory):
    good_bird, good_me = addresses.pair()
    bad_bird, bad_me = addresses.pair()
    peers = [
        BirdPeer(name="good", local_address=good_bird.address, local_port=good_bird.port,
                 peer_address=good_me.address, peer_port=good_me.port, local_as=65002,
                 peer_as=65001, password="s3cret"),
        BirdPeer(name="bad", local_address=bad_bird.address, local_port=bad_bird.port,
                 peer_address=bad_me.address, peer_port=bad_me.port, local_as=65002,
                 peer_as=65001, password="s3cret"),
    ]
    bird = bird_factory("10.0.0.2", peers)
    config = (with_lines(neighbor_block(good_bird, good_me,
                                        static=["10.70.0.0/24 next-hop self"]),
                         'md5-password "s3cret";', "outgoing-ttl 64;")
              + with_lines(neighbor_block(bad_bird, bad_me), 'md5-password "wrong";'))
    mesh = Bgpmesh(tmp_path / "mesh", config).start()
    try:
        bird.wait_established("good", timeout=30)
        bird.wait_routes("good", lambda r: "10.70.0.0/24" in r, timeout=15)
        # with the wrong key the kernel drops every segment: our connects time
        # out, again and again, and BIRD never sees a session
        wait_until(lambda: mesh.log().count(f"connect to {bad_bird.address} port "
                                            f"{bad_bird.port} failed: timed out") >= 2,
                   40, message=lambda: mesh.log())
        assert bird.protocol_state("bad") != "Established"
    finally:
        assert mesh.stop() == 0


def test_passive_md5_and_gtsm_are_on_the_listening_socket(tmp_path, addresses, bird_factory):
    bird_end, my_end = addresses.pair()
    bird = bird_factory("10.0.0.2", [BirdPeer(
        name="mesh", local_address=bird_end.address, local_port=bird_end.port,
        peer_address=my_end.address, peer_port=my_end.port, local_as=65002, peer_as=65001,
        passive=False, password="k3y", extra=["ttl security on;"])])
    # GTSM both ways: BIRD sends with TTL 255 and, with multihop 2, accepts 254
    # and up, so our SYN-ACK must leave the listener with TTL 255 as well
    config = with_lines(neighbor_block(bird_end, my_end, passive=True,
                                       static=["10.71.0.0/24 next-hop self"]),
                        'md5-password "k3y";', "incoming-ttl 254;", "outgoing-ttl 255;")
    mesh = Bgpmesh(tmp_path / "mesh", config).start()
    try:
        bird.wait_established("mesh", timeout=30)
        bird.wait_routes("mesh", lambda r: "10.71.0.0/24" in r, timeout=15)
    finally:
        assert mesh.stop() == 0
