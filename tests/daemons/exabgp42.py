"""ExaBGP 4.2.25 from PyPI in a venv of its own, made once per machine.

Theory of operation: the test interpreter holds ExaBGP 5.0.15 (the daemon
the interop tests run), so 4.2 cannot live beside it; it gets a venv in the
user's cache, ``~/.cache/bgpmesh-tests/exabgp-4.2.25`` (``$XDG_CACHE_HOME``
is honoured), which every later run reuses.  ``$EXABGP42_PYTHON`` names an
interpreter to use instead.

    ~/.cache/bgpmesh-tests/
        exabgp-4.2.25.lock        <- flock: one builder at a time (xdist)
        exabgp-4.2.25/bin/python  <- python -m venv; pip install exabgp==4.2.25
        exabgp-4.2.25/complete    <- written last: a venv without it is rebuilt

Debian's ``exabgp`` (4.2.21) is no use here: its decoder fails on any
NEXT_HOP under Python 3.11; 4.2.25 fixed that.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

VERSION = "4.2.25"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bgpmesh-tests" / f"exabgp-{VERSION}"


def version_of(python: str | Path) -> str | None:
    """The ExaBGP release ``python`` imports, or None."""
    try:
        done = subprocess.run([str(python), "-I", "-c", "from exabgp.version import version; print(version)"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def provide() -> tuple[Path | None, str]:
    """(the interpreter with ExaBGP 4.2.25, "") or (None, why there is none)."""
    override = os.environ.get("EXABGP42_PYTHON")
    if override:
        found = version_of(override)
        if found != VERSION:
            return None, f"$EXABGP42_PYTHON={override} has exabgp {found}, not {VERSION}"
        return Path(override), ""
    home = cache_dir()
    python = home / "bin" / "python"
    if (home / "complete").exists() and version_of(python) == VERSION:
        return python, ""
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f"exabgp-{VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # another process may have built it while this one waited
        if (home / "complete").exists() and version_of(python) == VERSION:
            return python, ""
        shutil.rmtree(home, ignore_errors=True)
        steps = ([sys.executable, "-m", "venv", str(home)],
                 [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                  f"exabgp=={VERSION}"])
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=600)
            except (OSError, subprocess.TimeoutExpired) as error:
                return None, f"{' '.join(step[:4])}: {error}"
            if done.returncode != 0:
                return None, f"{' '.join(step[:4])} failed: {(done.stderr or done.stdout).strip()[-500:]}"
        found = version_of(python)
        if found != VERSION:
            return None, f"{home} has exabgp {found} after pip install"
        (home / "complete").write_text(VERSION + "\n")
    return python, ""
