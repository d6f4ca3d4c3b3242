"""The configuration corpus of tests/configs (issue 4).

good/NAME.conf must resolve to exactly good/NAME.json (``Config.to_dict()``,
with each neighbor's ``source`` reduced to "NAME.conf:LINE" so the corpus does
not depend on where the repository lives).  broken/NAME.conf must fail with
the ``file:line:column: message`` fragment its first line names after
"# expect: ".  Set BGPMESH_REGENERATE_CORPUS=1 to rewrite the .json files
(then read the diff: they are the expectation, not a snapshot to wave through).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bgpmesh.config import load_config
from bgpmesh.errors import ConfigError

CORPUS = Path(__file__).resolve().parents[2] / "configs"
GOOD = sorted((CORPUS / "good").glob("*.conf"))
BROKEN = sorted((CORPUS / "broken").glob("*.conf"))
EXPECT = "# expect: "


def resolved(path: Path) -> dict:
    model = load_config(path).to_dict()
    for neighbor in model["neighbors"]:
        filename, _, line = neighbor["source"].rpartition(":")
        neighbor["source"] = f"{Path(filename).name}:{line}"
    return model


def test_corpus_is_not_empty() -> None:
    assert len(GOOD) >= 5 and len(BROKEN) >= 15


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_configuration_resolves_to_its_model(path: Path) -> None:
    expected_path = path.with_suffix(".json")
    model = resolved(path)
    if os.environ.get("BGPMESH_REGENERATE_CORPUS"):
        expected_path.write_text(json.dumps(model, indent=1, sort_keys=True) + "\n")
    assert model == json.loads(expected_path.read_text())


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_configuration_names_the_spot(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first.startswith(EXPECT), f"{path.name}: first line must be '{EXPECT}...'"
    fragment = first[len(EXPECT):]
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    where = f"{Path(error.filename).name}:{error.line}:{error.column}: {error.message}"
    assert where.startswith(fragment), f"got {where!r}"
    # the caret sits under the column the message names
    lines = str(error).splitlines()
    if error.source_line:
        assert lines[2].index("^") - 2 == error.column - 1


def test_statement_coverage() -> None:
    """Every keyword of the parser's tables appears in some good configuration."""
    from bgpmesh.config import parser

    text = "\n".join(path.read_text() for path in GOOD)
    words = set(text.replace(";", " ").replace("{", " ").split())
    tables = [parser._TOP, parser._NEIGHBOR, parser._API, parser._PROCESS, parser._CAPABILITY]
    missing = sorted({k for table in tables for k in table} - words)
    assert missing == []


@pytest.mark.parametrize("path", BROKEN[:3], ids=[p.stem for p in BROKEN[:3]])
def test_validate_command_reports_the_same_spot(path: Path) -> None:
    fragment = path.read_text().splitlines()[0][len(EXPECT):]
    result = subprocess.run([sys.executable, "-m", "bgpmesh", "validate", str(path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert fragment.split(": ", 1)[1] in result.stdout + result.stderr
    assert f"{path.name}:{fragment.split(':')[1]}:" in result.stdout + result.stderr


@pytest.mark.parametrize("path", GOOD[:2], ids=[p.stem for p in GOOD[:2]])
def test_validate_dump_matches_the_model(path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bgpmesh", "validate", "--dump", str(path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    dumped = json.loads(result.stdout)
    assert dumped == load_config(path).to_dict()
