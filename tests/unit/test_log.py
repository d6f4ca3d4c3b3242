"""exabgp.log.* settings, processes-match, api.compact and restart (issue 4)."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest

from bgpmesh import log
from bgpmesh.api.exabgp import compact_update, json_event
from bgpmesh.config.model import Api, Config, Neighbor, Process
from bgpmesh.environment import load_environment
from bgpmesh.topology import build, process_wants


@pytest.fixture(autouse=True)
def keep_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {t: logging.getLogger(f"bgpmesh.{t}").level for t in log.DEBUG_TOPICS}
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    for topic, value in levels.items():
        logging.getLogger(f"bgpmesh.{topic}").setLevel(value)
    log._role = "supervisor"


def env(**values):
    return load_environment({f"exabgp.log.{k}": str(v) for k, v in values.items()})


@pytest.mark.parametrize("text, expected", [
    ("stdout", ("stream", "stdout")),
    ("stderr", ("stream", "stderr")),
    ("syslog", ("syslog", "daemon")),
    ("syslog:local3", ("syslog", "local3")),
    ("host:192.0.2.1", ("host", ("192.0.2.1", 514))),
    ("host:192.0.2.1:5514", ("host", ("192.0.2.1", 5514))),
    ("host:[2001:db8::1]:5514", ("host", ("2001:db8::1", 5514))),
    ("/var/log/bgpmesh.log", ("file", "/var/log/bgpmesh.log")),
])
def test_destinations(text, expected):
    assert log.parse_destination(text) == expected


def test_unknown_facility_is_refused():
    with pytest.raises(ValueError, match="facility"):
        log.parse_destination("syslog:nowhere")


def test_file_destination_topics_and_debug_switches(tmp_path):
    path = tmp_path / "out.log"
    log.setup(None, env(destination=path, processes="false", packets="true", level="INFO"))
    logging.getLogger("bgpmesh.supervisor").info("daemon line")
    logging.getLogger("bgpmesh.bridge").info("hidden process line")
    logging.getLogger("bgpmesh.bridge").error("process error stays")
    logging.getLogger("bgpmesh.packets").debug("packet line")
    logging.getLogger("bgpmesh.rib").debug("rib line off")
    logging.getLogger("bgpmesh.worker").debug("below the level")
    text = path.read_text()
    assert "supervisor INFO daemon line" in text
    assert "hidden" not in text
    assert "process error stays" in text
    assert "supervisor DEBUG packet line" in text
    assert "rib line" not in text and "below the level" not in text


def test_level_all_short_and_enable(tmp_path):
    path = tmp_path / "out.log"
    log.setup(None, env(destination=path, all="true", short="true"))
    logging.getLogger("bgpmesh.worker").debug("everything")
    assert path.read_text().splitlines() == ["supervisor DEBUG everything"]
    log.setup(None, env(destination=path, enable="false"))
    logging.getLogger("bgpmesh.supervisor").error("nothing")
    assert "nothing" not in path.read_text()
    # --log-level beats exabgp.log.level
    log.setup("ERROR", env(destination=path, level="DEBUG"))
    logging.getLogger("bgpmesh.supervisor").warning("quiet")
    assert "quiet" not in path.read_text()


def test_default_destination_stays_stderr(capsys):
    log.setup("INFO", env())
    logging.getLogger("bgpmesh.supervisor").info("to stderr")
    captured = capsys.readouterr()
    assert captured.out == ""


def test_forked_child_reopens_the_file(tmp_path):
    path = tmp_path / "out.log"
    log.setup(None, env(destination=path))
    before = [h for h in logging.getLogger().handlers if getattr(h, "_bgpmesh", False)]
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            log.set_role("worker auto-0")
            after = [h for h in logging.getLogger().handlers if getattr(h, "_bgpmesh", False)]
            assert after and after[0] is not before[0]
            logging.getLogger("bgpmesh.worker").info("127.0.0.2: from the child")
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    logging.getLogger("bgpmesh.supervisor").info("from the parent")
    text = path.read_text()
    assert "worker auto-0 INFO 127.0.0.2: from the child" in text
    assert "supervisor INFO from the parent" in text


# -- processes-match -----------------------------------------------------------

def _config():
    watch = Api(None, (), neighbor_changes=True, processes_match=("watch",))
    named = Api(None, ("other",), receive=frozenset({"update"}))
    return Config(
        processes=(Process("watch-a", ("true",)), Process("watch-b", ("true",)),
                   Process("other", ("true",)), Process("xwatch", ("true",))),
        neighbors=(Neighbor("192.0.2.1", None, "192.0.2.254", 65001, 65002, apis=(watch,)),
                   Neighbor("192.0.2.2", None, "192.0.2.254", 65001, 65002, apis=(named,))))


def test_processes_match_selects_by_regex_at_the_start():
    config = _config()
    refs = build(config, 1)
    assert refs[0].processes == ("watch-a", "watch-b")  # re.match: not xwatch
    assert refs[1].processes == ("other",)
    assert process_wants(config, refs) == {
        "watch-a": {"192.0.2.1": ["state"]}, "watch-b": {"192.0.2.1": ["state"]},
        "other": {"192.0.2.2": ["update"]}}


def _bridge(config, name, **kwargs):
    from bgpmesh.supervisor.bridge import Bridge

    bridge = Bridge(config.process(name), build(config, 1), config.neighbors, {}, 1, **kwargs)
    bridge.out_ready = asyncio.Event()
    sent = []

    class Pub:
        def send_multipart(self, frames):
            sent.append(frames)

    bridge.pub = Pub()
    return bridge, sent


def test_bridge_candidates_and_wants_follow_processes_match():
    bridge, _ = _bridge(_config(), "watch-b")
    assert [r.name for r in bridge.candidates] == ["192.0.2.1"]
    assert bridge.wants == {"192.0.2.1": {"state"}}
    bridge, _ = _bridge(_config(), "xwatch")
    assert bridge.candidates == [] and bridge.wants == {}


# -- api.compact -----------------------------------------------------------------

UPDATE = {"update": {"attribute": {"origin": "igp"},
                     "announce": {"ipv4 unicast": {"192.0.2.9": [
                         {"nlri": "10.0.0.0/24"},
                         {"nlri": "10.0.1.0/24", "path-information": "0.0.0.1"}]}},
                     "withdraw": {"ipv4 unicast": [{"nlri": "10.0.2.0/24"}]}}}
IDENT = {"peer": "192.0.2.1", "local": "192.0.2.254", "local_as": 65001, "peer_as": 65002}


def test_compact_turns_bare_nlri_maps_into_strings():
    out = compact_update(UPDATE)
    assert out["update"]["announce"]["ipv4 unicast"]["192.0.2.9"] == [
        "10.0.0.0/24", {"nlri": "10.0.1.0/24", "path-information": "0.0.0.1"}]
    assert out["update"]["withdraw"]["ipv4 unicast"] == ["10.0.2.0/24"]
    assert UPDATE["update"]["withdraw"]["ipv4 unicast"] == [{"nlri": "10.0.2.0/24"}]
    common = dict(counter=1, time=0.0, host="h", pid=1, ppid=0)
    assert '"10.0.0.0/24"]' not in json_event("update", IDENT, UPDATE, **common)
    assert '["10.0.0.0/24", ' in json_event("update", IDENT, UPDATE, compact=True, **common)


def test_bridge_renders_compact_when_asked():
    bridge, _ = _bridge(_config(), "other", compact=True)
    bridge.on_event({"name": "192.0.2.2", "type": "update", "neighbor": IDENT, "body": UPDATE})
    assert '"192.0.2.9": ["10.0.0.0/24", ' in bridge.out[0]


# -- restart ---------------------------------------------------------------------

def test_restart_reloads_then_tears_every_session_down():
    from bgpmesh import bus

    bridge, sent = _bridge(_config(), "other")
    bridge.handle_line("restart")
    assert len(sent) == 1
    _, control = bus.unpack(sent[0])
    assert control["op"] == "reload"
    bridge.on_reply({"id": [bridge.publisher, 1], "ok": True, "data": {}})
    ops = [bus.unpack(frames)[1] for frames in sent[1:]]
    assert [(m["op"], m["neighbors"], m["arg"]) for m in ops] == [
        ("teardown", ["192.0.2.1", "192.0.2.2"], 4)]
    assert list(bridge.out) == []  # waits for the worker's ack
    bridge.pending[1].groups.discard("auto-0")
    bridge.flush_acks()
    assert list(bridge.out) == ["restart in progress", "done"]


def test_restart_refused_reload_answers_error():
    bridge, _ = _bridge(_config(), "other")
    bridge.handle_line("restart")
    bridge.on_reply({"id": [bridge.publisher, 1], "ok": False, "data": {"error": "bad"}})
    assert list(bridge.out) == ["error"]
