"""Wait on conditions, never on fixed sleeps.

A test states what it expects and how long that may take; ``wait_until``
polls until it holds and fails with the caller's message (plus the last value
seen, which is what one needs when reading a CI log) when the deadline passes.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout: float,
    interval: float = 0.05,
    message: str | Callable[[], str] = "condition not met",
) -> T:
    """Poll ``predicate`` until it returns a truthy value, and return that value.

    Raises AssertionError with ``message`` (a string, or a callable evaluated
    only on failure so it can describe the final state) after ``timeout``
    seconds. The predicate is always tried at least once, and once more at
    the deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            text = message() if callable(message) else message
            raise AssertionError(f"{text} (after {timeout:g}s; last value: {value!r})")
        time.sleep(min(interval, remaining))


def wait_for_table(read: Callable[[], T], predicate: Callable[[T], object], timeout: float,
                   what: str) -> T:
    """Poll ``read()`` (a daemon's routing table) until ``predicate`` holds on it,
    and return that table, even when it is empty ("everything withdrawn")."""
    seen: dict[str, T] = {}

    def check() -> bool:
        seen["last"] = read()
        return bool(predicate(seen["last"]))

    wait_until(check, timeout, interval=0.1,
               message=lambda: f"{what} never matched: {seen.get('last')}")
    return seen["last"]


def terminate(process, timeout: float = 5.0) -> int | None:
    """SIGTERM a process we started, SIGKILL after ``timeout``; its exit code."""
    if process is None:
        return None
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    return process.returncode
