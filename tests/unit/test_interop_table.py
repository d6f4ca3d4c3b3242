"""The interop table script names real tests and reads pytest's JUnit XML."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("interop_table", ROOT / "scripts/interop_table.py")
interop_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(interop_table)


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_cell_names_a_test_that_exists():
    for node in interop_table.node_ids():
        path, _, name = node.partition("::")
        function = re.sub(r"\[.*\]$", "", name)
        assert function in _tests_in(ROOT / path), node


def test_cells_from_junit_outcomes(tmp_path):
    junit = tmp_path / "r.xml"
    junit.write_text(
        '<testsuites><testsuite>'
        '<testcase classname="tests.interop.test_matrix" name="test_session_established[bird]"/>'
        '<testcase classname="tests.interop.test_matrix" name="test_session_established[frr]">'
        '<failure message="boom"/></testcase>'
        '<testcase classname="tests.interop.test_matrix_families" name="test_gobgp_rtc">'
        '<skipped type="pytest.xfail" message="gap"/></testcase>'
        '</testsuite></testsuites>')
    outcomes = interop_table.junit_outcomes(junit)
    table = interop_table.markdown(outcomes)
    session = next(line for line in table.splitlines() if line.startswith("| Session up"))
    assert session.split(" | ")[1:4] == ["yes", "FAILED", "?"]
    rtc = next(line for line in table.splitlines() if line.startswith("| Route target"))
    assert rtc.rstrip(" |").split(" | ")[1:] == ["-", "-", "no", "-"]
