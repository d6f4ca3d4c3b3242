"""Logging as bgpmesh writes it: one line per event, naming the process.

Every process (supervisor, each worker, each bridge) logs to stderr with its
role in the line, e.g. ``12:00:01 worker auto-0 INFO 127.0.0.2: session
established``.  ``set_role`` is called once in a child right after fork.
"""

from __future__ import annotations

import logging
import sys

_role = "supervisor"


class _RoleFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.role = _role
        return True


def set_role(role: str) -> None:
    global _role
    _role = role


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RoleFilter())
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(role)s %(levelname)s %(message)s", datefmt="%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
