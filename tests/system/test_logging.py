"""exabgp.log.* in every process, processes-match and restart, end to end (issue 4)."""

from __future__ import annotations

import pytest

from tests.daemons.bgpmesh import Bgpmesh, Relay
from tests.daemons.waiting import wait_until

pytestmark = pytest.mark.system


def test_file_log_in_every_process_and_restart_via_processes_match(tmp_path, addresses):
    peer, me = addresses.pair()
    relay = Relay(tmp_path, "watch-1")
    config = (relay.process_block() +
              f"neighbor {peer.address} {{\n    router-id {me.address};\n"
              f"    local-address {me.address};\n    local-as 65001;\n    peer-as 65002;\n"
              f"    connect {peer.port};\n"
              "    api {\n        processes-match [ ^watch ];\n        neighbor-changes;\n"
              "    }\n}\n")
    mesh = Bgpmesh(tmp_path / "mesh", config)
    log_path = tmp_path / "exabgp.log"
    (mesh.directory / "exabgp.env").write_text(
        f"[exabgp.log]\ndestination = {log_path}\nmessage = true\n")
    mesh.start()
    try:
        # matched by regex only: the script may command the neighbor
        relay.send(f"neighbor {peer.address} announce route 10.74.0.0/24 next-hop self")
        assert relay.wait_acks(1) == ["done"]
        relay.send("restart")
        relay.wait_acks(2)
        assert [x for x in relay.lines() if not x.startswith("{")][-2:] == [
            "restart in progress", "done"]

        def logged():
            text = log_path.read_text() if log_path.exists() else ""
            return all(role in text for role in (
                " supervisor INFO ", " worker auto-0 ", " process watch-1 INFO ",
                "process watch-1: command 2: restart")) and text
        text = wait_until(logged, 15, message=lambda: log_path.read_text())
        assert "Ctrl-C stops" not in text  # the banner is not a log line
        assert " process watch-1 " not in mesh.log()  # lines go to the file only
    finally:
        assert mesh.stop() == 0
