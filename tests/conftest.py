"""Shared fixtures: loopback addresses per test and real daemons that always stop.

Real-daemon tests need the daemon's binary. On a developer machine a missing
binary skips the test with the package to install; under CI (``CI`` set to
anything but "", "0", "false") it fails, so a broken image cannot turn the
interop suite into a row of silent skips.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.daemons import exabgp42
from tests.daemons import frr as frr_module
from tests.daemons.addresses import AddressAllocator, Endpoint
from tests.daemons.bgpmesh import Bgpmesh
from tests.daemons.bird import Bird, BirdPeer
from tests.daemons.exabgp import Exabgp, ExabgpPeer
from tests.daemons.frr import Frr, FrrPeer
from tests.daemons.gobgp import Gobgp, GobgpPeer

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


def _stop_all(started: list) -> None:
    errors = []
    for daemon in reversed(started):
        try:
            daemon.stop()
        except Exception as error:  # keep stopping the others
            errors.append(error)
    if errors:
        raise errors[0]


@pytest.fixture
def gobgp_factory(tmp_path: Path, addresses: AddressAllocator) -> Iterator[Callable[..., Gobgp]]:
    """``gobgp_factory(router_id, asn, endpoint, peers, name=None)`` -> a started ``Gobgp``.

    gobgpd listens for BGP on ``endpoint``; its gRPC API gets another free
    port on the same address.  All instances are stopped at teardown.
    """
    require_binary("gobgpd")
    require_binary("gobgp")
    started: list[Gobgp] = []

    def factory(router_id: str, asn: int, endpoint: Endpoint, peers: list[GobgpPeer],
                name: str | None = None) -> Gobgp:
        api_port = addresses.port(endpoint.address)
        gobgp = Gobgp(tmp_path / (name or f"gobgp{len(started)}"), router_id, asn,
                      endpoint.address, endpoint.port, api_port, peers)
        started.append(gobgp)
        return gobgp.start()

    yield factory
    _stop_all(started)


@pytest.fixture
def frr_factory(tmp_path: Path) -> Iterator[Callable[..., Frr]]:
    """``frr_factory(router_id, asn, endpoint, peers, name=None)`` -> a started ``Frr``.

    bgpd (alone, no zebra) listens on ``endpoint``; all are stopped at teardown.
    """
    require_binary(frr_module.BGPD)
    require_binary("vtysh")
    started: list[Frr] = []

    def factory(router_id: str, asn: int, endpoint: Endpoint, peers: list[FrrPeer],
                name: str | None = None) -> Frr:
        frr = Frr(tmp_path / (name or f"frr{len(started)}"), router_id, asn,
                  endpoint.address, endpoint.port, peers)
        started.append(frr)
        return frr.start()

    yield factory
    _stop_all(started)


@pytest.fixture
def exabgp_factory(tmp_path: Path) -> Iterator[Callable[..., Exabgp]]:
    """``exabgp_factory(endpoint, peers, name=None)`` -> a started ``Exabgp``.

    The reference ExaBGP is the PyPI release pinned in setup.cfg's ``test``
    extra: its entry point next to this interpreter, else on PATH (Debian's
    ``exabgp`` package is 4.2, whose JSON and settings differ).
    """
    beside = Path(sys.executable).with_name("exabgp")
    executable = str(beside) if os.access(beside, os.X_OK) else shutil.which("exabgp")
    if executable is None:
        reason = "'exabgp' not found (pip install -e '.[test]', which pins exabgp 5.0.15)"
        if in_ci():
            pytest.fail(f"{reason}; CI is set, so missing daemons are an error", pytrace=False)
        pytest.skip(reason)
    started: list[Exabgp] = []

    def factory(endpoint: Endpoint, peers: list[ExabgpPeer], name: str | None = None) -> Exabgp:
        exabgp = Exabgp(tmp_path / (name or f"exabgp{len(started)}"), endpoint.address,
                        endpoint.port, peers, executable=executable)
        started.append(exabgp)
        return exabgp.start()

    yield factory
    _stop_all(started)


@pytest.fixture(scope="session")
def exabgp42_python() -> Path:
    """An interpreter with ExaBGP 4.2.25 (tests/daemons/exabgp42.py), its venv
    made on first use; a skip if that fails, a failure under CI."""
    python, why = exabgp42.provide()
    if python is None:
        reason = f"no ExaBGP {exabgp42.VERSION}: {why}"
        if in_ci():
            pytest.fail(f"{reason}; CI is set, so a missing reference is an error", pytrace=False)
        pytest.skip(reason)
    return python


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[Callable[..., Bgpmesh]]:
    """``mesh(config, workers=1)``: a started ``bgpmesh start``, stopped after the test."""
    started: list[Bgpmesh] = []

    def factory(config: str, workers: int = 1) -> Bgpmesh:
        instance = Bgpmesh(tmp_path / f"bgpmesh{len(started)}", config, workers)
        started.append(instance)
        return instance.start()

    yield factory
    for instance in started:
        instance.stop()
