"""``source-interface``: outgoing connections bound to one interface (SO_BINDTODEVICE)."""

from __future__ import annotations

import pytest

from tests.daemons.bgpmesh import Bgpmesh
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import bird_peer, neighbor_block
from tests.system.test_session_security import with_lines

pytestmark = pytest.mark.system


def test_session_through_the_named_interface_and_a_clear_error_for_a_missing_one(
        tmp_path, addresses, bird_factory):
    good_bird, good_me = addresses.pair()
    bad_bird, bad_me = addresses.pair()
    bird = bird_factory("10.0.0.2", [bird_peer("good", good_bird, good_me),
                                     bird_peer("bad", bad_bird, bad_me)])
    config = (with_lines(neighbor_block(good_bird, good_me,
                                        static=["10.74.0.0/24 next-hop self"]),
                         "source-interface lo;")
              + with_lines(neighbor_block(bad_bird, bad_me), "source-interface nosuchif0;"))
    mesh = Bgpmesh(tmp_path / "mesh", config).start()
    try:
        # 127/8 lives on lo: bound to it, the session comes up as before
        bird.wait_established("good", timeout=30)
        bird.wait_routes("good", lambda r: "10.74.0.0/24" in r, timeout=15)
        # an interface that does not exist: every connect fails, saying why,
        # and the other session is untouched
        failure = (f"connect to {bad_bird.address} port {bad_bird.port} failed: "
                   "source-interface nosuchif0: No such device")
        wait_until(lambda: failure in mesh.log(), 20, message=lambda: mesh.log())
        assert bird.protocol_state("bad") != "Established"
        assert bird.protocol_state("good") == "Established"
    finally:
        assert mesh.stop() == 0
