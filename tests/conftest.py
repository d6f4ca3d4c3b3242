"""Shared fixtures: loopback addresses per test and real daemons that always stop.

Real-daemon tests need the daemon's binary. On a developer machine a missing
binary skips the test with the package to install; under CI (``CI`` set to
anything but "", "0", "false") it fails, so a broken image cannot turn the
interop suite into a row of silent skips.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.daemons.addresses import AddressAllocator
from tests.daemons.bird import Bird, BirdPeer

PACKAGES = {
    "bird": "bird2",
    "birdc": "bird2",
    "gobgpd": "gobgpd",
    "gobgp": "gobgpd",
    "vtysh": "frr",
    "tshark": "tshark",
    "exabgp": "exabgp",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_binary(name: str) -> str:
    """Path of executable ``name``; fail under CI, skip elsewhere, if it is missing.

    Absolute paths (``/usr/lib/frr/bgpd``) are checked as files.
    """
    path = shutil.which(name)
    if path is not None:
        return path
    package = PACKAGES.get(name, name)
    reason = f"{name!r} not found on PATH (apt-get install {package})"
    if in_ci():
        pytest.fail(f"{reason}; CI is set, so missing daemons are an error", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def addresses() -> AddressAllocator:
    """Loopback endpoints of this test alone, distinct across xdist workers."""
    return AddressAllocator()


@pytest.fixture
def bird_factory(tmp_path: Path) -> Iterator[Callable[..., Bird]]:
    """``bird_factory(router_id, peers, name="bird")`` -> a started ``Bird``.

    Each instance lives in ``tmp_path / name``; all are stopped at teardown,
    whatever the test did.
    """
    require_binary("bird")
    require_binary("birdc")
    started: list[Bird] = []

    def factory(router_id: str, peers: list[BirdPeer], name: str | None = None) -> Bird:
        bird = Bird(tmp_path / (name or f"bird{len(started)}"), router_id, peers)
        started.append(bird)
        return bird.start()

    yield factory
    errors = []
    for bird in reversed(started):
        try:
            bird.stop()
        except Exception as error:  # keep stopping the others
            errors.append(error)
    if errors:
        raise errors[0]
