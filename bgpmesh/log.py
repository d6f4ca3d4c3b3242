"""Logging as bgpmesh writes it: one line per event, naming the process.

Every process (supervisor, each worker, each bridge) writes one line per event
with its role in it, e.g. ``12:00:01 worker auto-0 INFO 127.0.0.2: session
established``.  ``setup`` runs once in the supervisor, before it forks;
``set_role`` runs once in each child right after the fork and reopens the
file and syslog handlers there, so no two processes share a socket or a file
offset they did not open themselves.

ExaBGP's ``exabgp.log.*`` settings (``setup(level, environment)``):

* ``enable`` false: nothing is logged;
* ``level``: syslog names (EMERG ... DEBUG) on Python's levels, NOTICE as WARNING;
* ``destination``: ``stdout``, ``stderr``, ``syslog`` or ``syslog:FACILITY``
  (local syslog, facility ``daemon`` unless named), ``host:ADDRESS[:PORT]``
  (remote syslog over UDP, port 514), or a file path (appended to, reopened
  when logrotate moves it).  Left at its default, bgpmesh keeps writing to
  stderr, as it always has;
* a switch per topic (``TOPICS``): a topic switched off loses its lines below
  ERROR.  ``packets``, ``rib``, ``message``, ``timers``, ``routes`` and
  ``parser`` are DEBUG lines of the ``bgpmesh.<topic>`` loggers: switched on,
  they are written whatever the level; ``all`` switches every topic on;
* ``short``: no time stamp.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import socket
import sys

_role = "supervisor"

# logger name -> the exabgp.log switches that cover it (any one on: logged)
TOPICS: dict[str, tuple[str, ...]] = {
    "bgpmesh.supervisor": ("daemon",),
    "bgpmesh.bridge": ("processes",),
    "bgpmesh.worker": ("network", "reactor"),
    "bgpmesh.config": ("configuration",),
    "bgpmesh.reload": ("configuration",),
    "bgpmesh.packets": ("packets",),
    "bgpmesh.rib": ("rib",),
    "bgpmesh.message": ("message",),
    "bgpmesh.timers": ("timers",),
    "bgpmesh.routes": ("routes",),
    "bgpmesh.parser": ("parser",),
}
# topics whose lines are DEBUG lines, written when the switch is on
DEBUG_TOPICS = ("packets", "rib", "message", "timers", "routes", "parser")
SWITCHES = ("configuration", "reactor", "daemon", "processes", "network", *DEBUG_TOPICS)

_LEVELS = {"EMERG": logging.CRITICAL, "ALERT": logging.CRITICAL, "CRIT": logging.CRITICAL,
           "CRITICAL": logging.CRITICAL, "ERR": logging.ERROR, "ERROR": logging.ERROR,
           "WARNING": logging.WARNING, "NOTICE": logging.WARNING, "INFO": logging.INFO,
           "DEBUG": logging.DEBUG}

_FACILITIES = logging.handlers.SysLogHandler.facility_names
_SYSLOG_SOCKETS = ("/dev/log", "/var/run/syslog", "/var/run/log")


class _RoleFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.role = _role
        return True


class _TopicFilter(logging.Filter):
    """Drops the lines below ERROR of a topic switched off."""

    def __init__(self, off: frozenset[str]) -> None:
        super().__init__()
        self.off = off  # logger names whose topics are all off

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR or not self.off:
            return True
        name = record.name
        while name:
            if name in self.off:
                return False
            name = name.rpartition(".")[0]
        return True


class _Handlers:
    """How to make the handler again after a fork: (destination, short)."""

    destination = "stderr"
    short = False
    off: frozenset[str] = frozenset()
    enabled = True


def parse_destination(text: str) -> tuple[str, object]:
    """``exabgp.log.destination`` -> (kind, argument): ("stream", sys.stdout),
    ("syslog", facility), ("host", (address, port, facility)), ("file", path).
    ValueError on an unknown facility."""
    word = text.strip()
    lower = word.lower()
    if lower in ("stdout", ""):
        return "stream", "stdout"
    if lower == "stderr":
        return "stream", "stderr"
    if lower == "syslog" or lower.startswith("syslog:"):
        facility = lower.partition(":")[2] or "daemon"
        if facility not in _FACILITIES:
            raise ValueError(f"unknown syslog facility {facility!r}")
        return "syslog", facility
    if lower.startswith("host:"):
        rest = word[5:]
        port = 514
        if rest.startswith("["):  # host:[2001:db8::1]:514
            address, _, tail = rest[1:].partition("]")
            if tail.startswith(":"):
                port = int(tail[1:])
        elif rest.count(":") == 1:
            address, _, number = rest.partition(":")
            port = int(number)
        else:
            address = rest
        return "host", (address, port)
    return "file", os.path.expanduser(word)


def _make_handler(destination: str, short: bool) -> logging.Handler:
    kind, argument = parse_destination(destination)
    if kind == "stream":
        handler: logging.Handler = logging.StreamHandler(
            sys.stdout if argument == "stdout" else sys.stderr)
    elif kind == "file":
        handler = logging.handlers.WatchedFileHandler(argument, encoding="utf-8")
    elif kind == "syslog":
        address = next((p for p in _SYSLOG_SOCKETS if os.path.exists(p)), ("localhost", 514))
        handler = logging.handlers.SysLogHandler(address=address,
                                                 facility=_FACILITIES[argument])
    else:
        handler = logging.handlers.SysLogHandler(address=argument,
                                                 facility=_FACILITIES["daemon"],
                                                 socktype=socket.SOCK_DGRAM)
    if kind in ("syslog", "host"):
        # syslog stamps the time itself
        text = "bgpmesh[%(process)d]: %(role)s %(levelname)s %(message)s"
        handler.setFormatter(logging.Formatter(text))
    elif short:
        handler.setFormatter(logging.Formatter("%(role)s %(levelname)s %(message)s"))
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(role)s %(levelname)s %(message)s", datefmt="%H:%M:%S"))
    handler.addFilter(_RoleFilter())
    handler.addFilter(_TopicFilter(_Handlers.off))
    handler._bgpmesh = True  # type: ignore[attr-defined]
    return handler


def set_role(role: str) -> None:
    """Name this process in every line; called in a child right after fork,
    where it also reopens the file or syslog the parent had open."""
    global _role
    _role = role
    reopen()


def reopen() -> None:
    """Close our handler and open it again (after a fork, or a rotation)."""
    if not _Handlers.enabled:
        return
    kind, _ = parse_destination(_Handlers.destination)
    if kind == "stream":
        return  # a stream is the process's own stdout/stderr: nothing to reopen
    root = logging.getLogger()
    mine = [h for h in root.handlers if getattr(h, "_bgpmesh", False)]
    if not mine:
        return
    for handler in mine:
        root.removeHandler(handler)
        try:
            handler.close()
        except OSError:
            pass
    root.addHandler(_make_handler(_Handlers.destination, _Handlers.short))


def level_number(name: str) -> int:
    return _LEVELS[name.upper()]


def setup(level: str | None = "INFO", environment=None) -> None:
    """Configure the root logger.  ``level`` (``--log-level``) beats
    exabgp.log.level; ``environment`` carries the exabgp.log settings (None:
    INFO on stderr, every topic on, the debug topics off)."""

    def setting(key: str, default):
        if environment is None:
            return default
        return environment.get("log", key)

    given = environment is not None and \
        environment.origin.get(("exabgp", "log", "destination"), "default") != "default"
    _Handlers.destination = setting("destination", "stdout") if given else "stderr"
    _Handlers.short = bool(setting("short", False))
    _Handlers.enabled = bool(setting("enable", True))
    every = bool(setting("all", False))
    on = {name for name in SWITCHES if every or setting(name, name not in DEBUG_TOPICS)}
    _Handlers.off = frozenset(name for name, topics in TOPICS.items()
                              if not any(t in on for t in topics))
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
        if getattr(handler, "_bgpmesh", False):
            handler.close()
    if not _Handlers.enabled:
        root.addHandler(logging.NullHandler())
        root.setLevel(logging.CRITICAL + 1)
        return
    root.addHandler(_make_handler(_Handlers.destination, _Handlers.short))
    if level:
        root.setLevel(level_number(level))
    else:
        root.setLevel(logging.DEBUG if every else level_number(setting("level", "INFO")))
    for topic in DEBUG_TOPICS:
        # on: their DEBUG lines are written whatever the level; off: never
        logging.getLogger(f"bgpmesh.{topic}").setLevel(
            logging.DEBUG if topic in on else max(logging.INFO, root.level))
