"""RFC 5492 section 5: no address family in common refuses the session with 2/7.

BIRD and FRR check this themselves and refuse first ("Required capability
missing"), so the peer here is GoBGP, which lets such a session come up.
"""

from __future__ import annotations

import pytest

from tests.daemons.bgpmesh import Bgpmesh
from tests.daemons.gobgp import GobgpPeer
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system


def test_no_family_in_common_sends_unsupported_capability(tmp_path, addresses, gobgp_factory):
    gobgp_end, my_end = addresses.pair()
    gobgp = gobgp_factory("10.0.0.2", 65002, gobgp_end, [GobgpPeer(
        address=my_end.address, port=my_end.port, peer_as=65001, passive=True,
        ipv4=True, ipv6=False)])
    config = (f"neighbor {gobgp_end.address} {{\n"
              f"    router-id {my_end.address};\n    local-address {my_end.address};\n"
              f"    local-as 65001;\n    peer-as 65002;\n    hold-time 9;\n"
              f"    connect {gobgp_end.port};\n"
              f"    family {{\n        ipv6 unicast;\n    }}\n}}\n")
    mesh = Bgpmesh(tmp_path / "mesh", config).start()

    def notifications() -> int:
        state = gobgp.neighbor(my_end.address).get("state", {})
        return state.get("messages", {}).get("received", {}).get("notification", 0)

    try:
        # GoBGP offers IPv4 unicast only, we IPv6 unicast only: nothing to
        # carry, so our answer to its OPEN is NOTIFICATION 2/7
        wait_until(lambda: notifications() >= 1, 30,
                   message=lambda: f"{gobgp.neighbor(my_end.address)}\n{mesh.log()[-2000:]}")
        wait_until(lambda: "no address family in common: we offer ipv6 unicast" in mesh.log(),
                   10, message=lambda: mesh.log()[-2000:])
        assert gobgp.neighbor(my_end.address)["state"]["session_state"] != "established"
    finally:
        assert mesh.stop() == 0
