"""exabgp.env / bgpmesh.env files and variables -> typed settings, env > ini > default."""

from __future__ import annotations

import pytest

from bgpmesh.environment import EnvironmentError_, load_environment


def test_defaults_are_exabgp_42() -> None:
    env = load_environment({})
    assert env.get("tcp", "port") == 179
    assert env.get("tcp", "bind") == ()
    assert env.get("api", "ack") is True
    assert env.get("api", "encoder") == "json"
    assert env.get("api", "respawn") is True
    assert env.get("api", "terminate") is False
    assert env.get("daemon", "user") == "nobody"
    assert env.get("daemon", "umask") == 0o137
    assert env.get("log", "level") == "INFO"
    assert env.get("bgp", "openwait") == 60
    assert env.get("reactor", "speed") == 1.0
    assert env.get("workers", "count", "bgpmesh") == 0
    assert env.origin[("exabgp", "tcp", "port")] == "default"


def test_precedence_env_over_ini_over_default(tmp_path) -> None:
    ini = tmp_path / "exabgp.env"
    ini.write_text("[exabgp.tcp]\nport = 1179\nbind = '127.0.0.1 ::1'\n"
                   "[exabgp.api]\nack = false\nencoder = text\n"
                   "[bgpmesh.workers]\ncount = 4\n")
    env = load_environment({"exabgp.tcp.port": "2179", "EXABGP_API_ENCODER": "json",
                            "exabgp_api_show_routes_format": "v2", "HOME": "/root"},
                           [ini, tmp_path / "missing.env"])
    assert env.get("tcp", "port") == 2179
    assert env.origin[("exabgp", "tcp", "port")] == "environment"
    assert env.get("tcp", "bind") == ("127.0.0.1", "::1")
    assert env.get("api", "ack") is False
    assert env.get("api", "encoder") == "json"
    assert env.get("api", "show-routes-format") == "v2"
    assert env.get("workers", "count", "bgpmesh") == 4
    assert env.to_dict()["exabgp.tcp.port"] == 2179


def test_unknown_variables_are_reported() -> None:
    env = load_environment({"exabgp_tcp_bogus": "1", "bgpmesh_nothing_here": "x",
                            "exabgp_envfile": "/etc/exabgp.env"})
    assert env.unknown == ("bgpmesh_nothing_here", "exabgp_tcp_bogus")


@pytest.mark.parametrize("text, fragment", [
    ("[exabgp.tcp]\nport = fast\n", "invalid value 'fast' for exabgp.tcp.port"),
    ("[exabgp.tcp]\nprt = 1\n", "unknown setting exabgp.tcp.prt, expected one of: once"),
    ("[exabgp.tpc]\nport = 1\n", "unknown section [exabgp.tpc]"),
    ("[exabgp.api]\nencoder = xml\n", "expected json or text"),
    ("[exabgp.log]\nlevel = LOUD\n", "invalid value 'LOUD'"),
])
def test_bad_ini(tmp_path, text: str, fragment: str) -> None:
    ini = tmp_path / "exabgp.env"
    ini.write_text(text)
    with pytest.raises(EnvironmentError_) as info:
        load_environment({}, [ini])
    assert fragment in str(info.value)
    assert str(ini) in str(info.value)


def test_bad_variable() -> None:
    with pytest.raises(EnvironmentError_, match="environment variable exabgp_api_ack"):
        load_environment({"exabgp_api_ack": "maybe"})
