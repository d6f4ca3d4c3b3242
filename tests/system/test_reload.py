"""Reload is transactional and touches only what changed (issue: one daemon, many cores)."""

from __future__ import annotations

import pytest

from tests.daemons.bgpmesh import Bgpmesh
from tests.daemons.waiting import wait_until
from tests.system.test_end_to_end import bird_peer, neighbor_block

pytestmark = pytest.mark.system


def test_reload_keeps_unchanged_sessions_and_applies_the_rest(tmp_path, addresses,
                                                              bird_factory):
    pairs = {name: addresses.pair() for name in ("kept", "changed", "removed", "added")}
    bird = bird_factory("10.0.0.2", [bird_peer(name, b, m) for name, (b, m) in pairs.items()])

    def block(name, static):
        bird_end, my_end = pairs[name]
        return neighbor_block(bird_end, my_end, static=[static])

    first = (block("kept", "10.61.0.0/24 next-hop self")
             + block("changed", "10.62.0.0/24 next-hop self med 1")
             + block("removed", "10.63.0.0/24 next-hop self"))
    mesh = Bgpmesh(tmp_path / "mesh", first).start()
    try:
        for name in ("kept", "changed", "removed"):
            bird.wait_established(name, timeout=30)
        sent = mesh.cli("send", "announce route 10.60.0.0/24 next-hop self")
        assert sent.returncode == 0, sent.stderr
        bird.wait_routes("changed", lambda r: "10.60.0.0/24" in r, timeout=15)

        # a broken file changes nothing and says why
        mesh.config_path.write_text(first + "neighbor 127.1.2.3 {\n  hold-tme 5;\n}\n")
        refused = mesh.cli("reload")
        assert refused.returncode == 1
        assert "hold-tme" in refused.stderr and "nothing changed" in refused.stderr

        second = (block("kept", "10.61.0.0/24 next-hop self")
                  + block("changed", "10.62.0.0/24 next-hop self med 2")
                  + block("added", "10.64.0.0/24 next-hop self"))
        mesh.config_path.write_text(second)
        check = mesh.cli("reload", "--check")
        assert check.returncode == 0, check.stderr
        kept_addr, changed_addr, removed_addr, added_addr = (
            pairs[n][0].address for n in ("kept", "changed", "removed", "added"))
        assert f"neighbors restarted (changed): {changed_addr}" in check.stdout
        assert f"neighbors removed: {removed_addr}" in check.stdout
        assert f"neighbors added: {added_addr}" in check.stdout
        assert "neighbors added" not in mesh.log().split("reload check")[0]  # not applied

        applied = mesh.cli("reload")
        assert applied.returncode == 0, applied.stderr
        bird.wait_established("added", timeout=30)
        bird.wait_routes("added", lambda r: "10.64.0.0/24" in r, timeout=15)
        # the changed neighbor came back with its new MED and the producer's route
        routes = bird.wait_routes(
            "changed", lambda r: r.get("10.62.0.0/24", {}).get("med") == 2
            and "10.60.0.0/24" in r, timeout=30)
        assert routes["10.62.0.0/24"]["med"] == 2
        # the removed one was told why
        wait_until(lambda: "de-configured" in bird.log_text().lower(), 15,
                   message=lambda: bird.log_text()[-2000:])
        # the kept one never flapped
        assert f"{kept_addr}: session down" not in mesh.log()
        assert bird.protocol_state("kept") == "Established"
        assert {"10.60.0.0/24", "10.61.0.0/24"} <= set(bird.routes("kept"))
    finally:
        assert mesh.stop() == 0
