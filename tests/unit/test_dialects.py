"""The 4.x and 5.0 JSON dialects: ``bgpmesh decode --dialect``, events
(``json_event(dialect=)``) and the bgpmesh.api.dialect setting."""

from __future__ import annotations

import json

import pytest

from bgpmesh.api.exabgp import json_event
from bgpmesh.api.json import update_message
from bgpmesh.decode import Envelope, run
from bgpmesh.environment import EnvironmentError_, load_environment
from tests.interop.test_decode_oracle import CORPUS

ENVELOPE = Envelope(1.0, "h", 1, 2)
BY_NAME = dict(CORPUS)


def _decode(name: str, dialect: int) -> dict:
    lines, errors = run([BY_NAME[name]], is_open=False, nlri=False, family=None, text=False,
                        envelope=ENVELOPE, dialect=dialect)
    assert not errors
    return json.loads(lines[0])


def test_default_is_the_4x_dialect() -> None:
    document = _decode("as-set and confederation segments", 4)
    assert document["exabgp"] == "4.0.1" and "router-id" not in document["neighbor"]
    attribute = document["neighbor"]["message"]["update"]["attribute"]
    assert attribute["as-path"] == [65000, 65000]
    assert attribute["as-set"] == [65004] and attribute["confederation-path"] == [65001]


def test_5_dialect_as_path_segments_in_order() -> None:
    document = _decode("as-set and confederation segments", 5)
    assert document["exabgp"] == "5.0.0" and document["neighbor"]["router-id"] == "10.0.0.2"
    attribute = document["neighbor"]["message"]["update"]["attribute"]
    assert list(attribute) == ["origin", "as-path"]
    assert attribute["as-path"] == {
        "0": {"element": "as-confed-sequence", "value": [65001]},
        "1": {"element": "as-confed-set", "value": [65002, 65003]},
        "2": {"element": "as-sequence", "value": [65000, 65000]},
        "3": {"element": "as-set", "value": [65004]},
    }


def test_5_dialect_open_and_notification() -> None:
    document = _decode("every capability", 5)
    assert document["neighbor"]["open"]["capabilities"]["1"]["families"] == ["ipv4/unicast"]
    # the same in both: 4.2 prints "ipv4/unicast" too (MultiProtocol.json)
    assert _decode("every capability", 4)["neighbor"]["open"]["capabilities"]["1"]["families"] == [
        "ipv4/unicast"]
    notification = _decode("shutdown communication", 5)["neighbor"]["notification"]
    assert notification["message"] == 'Shutdown Communication: "hello world"'
    assert "message" not in _decode("shutdown communication", 4)["neighbor"]["notification"]


def test_event_in_the_5_dialect() -> None:
    from bgpmesh.codec.header import MessageReader
    from bgpmesh.codec.session import Session

    session = Session()
    (update,) = MessageReader().feed(bytes.fromhex(BY_NAME["as-set and confederation segments"]), session)
    ident = {"peer": "192.0.2.2", "local": "192.0.2.1", "local_as": 1, "peer_as": 2,
             "router_id": "192.0.2.1"}
    common = {"counter": 1, "time": 1.0, "host": "h", "pid": 1, "ppid": 2}
    four = json.loads(json_event("update", ident, update_message(update), **common))
    five = json.loads(json_event("update", ident, update_message(update), dialect=5, **common))
    assert four["exabgp"] == "4.0.1" and "router-id" not in four["neighbor"]
    assert five["exabgp"] == "5.0.0" and five["neighbor"]["router-id"] == "192.0.2.1"
    path = five["neighbor"]["message"]["update"]["attribute"]["as-path"]
    assert [segment["element"] for segment in path.values()] == [
        "as-confed-sequence", "as-confed-set", "as-sequence", "as-set"]
    assert four["neighbor"]["message"]["update"]["attribute"]["as-path"] == [65000, 65000]


def test_dialect_setting() -> None:
    assert load_environment({}).get("api", "dialect", "bgpmesh") == 4
    assert load_environment({"bgpmesh_api_dialect": "5"}).get("api", "dialect", "bgpmesh") == 5
    with pytest.raises(EnvironmentError_):
        load_environment({"bgpmesh.api.dialect": "6"})


def test_cli_option() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bgpmesh", "decode", "--dialect", "5",
                           BY_NAME["ipv4 withdraw"]], capture_output=True, text=True, timeout=60)
    assert json.loads(done.stdout)["exabgp"] == "5.0.0"
