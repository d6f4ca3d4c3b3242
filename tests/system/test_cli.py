"""The CLI's own behaviour: validate, --dump, environment files, keys."""

from __future__ import annotations

import json
import subprocess
import sys

CONFIG = """
template {
    neighbor base {
        local-as 65001;
        hold-time 30;
    }
}
neighbor 192.0.2.1 {
    inherit base;
    router-id 192.0.2.254;
    local-address 192.0.2.254;
    peer-as 65002;
}
"""


def bgpmesh(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bgpmesh", *args], capture_output=True,
                          text=True, timeout=30, env=env)


def test_validate_summarises_and_dumps_the_resolved_model(tmp_path):
    conf = tmp_path / "a.conf"
    conf.write_text(CONFIG)
    ok = bgpmesh("validate", str(conf))
    assert ok.returncode == 0 and "1 neighbor(s)" in ok.stdout
    dump = json.loads(bgpmesh("validate", "--dump", str(conf)).stdout)
    (neighbor,) = dump["neighbors"]
    assert neighbor["peer_address"] == "192.0.2.1"
    assert neighbor["local_as"] == 65001 and neighbor["hold_time"] == 30  # from the template


def test_a_broken_environment_file_stops_start_with_its_name(tmp_path):
    conf = tmp_path / "a.conf"
    conf.write_text(CONFIG)
    env_file = tmp_path / "exabgp.env"
    env_file.write_text("[exabgp.tcp]\nport = not-a-number\n")
    result = bgpmesh("start", str(conf), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 1
    assert str(env_file) in result.stderr
    assert not (tmp_path / "run").exists()
