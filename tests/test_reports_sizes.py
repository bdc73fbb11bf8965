"""The report code fits on a screen: no function over ~60 lines, no module over ~400 (issue 16)."""
from __future__ import annotations

import ast
from pathlib import Path

REPORTS = Path(__file__).resolve().parents[1] / "reports"
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


def test_no_report_module_is_over_400_lines():
    lines = {path.relative_to(REPORTS).as_posix(): len(path.read_text().splitlines())
             for path in REPORTS.rglob("*.py")}
    assert {name: n for name, n in lines.items() if n > MAX_MODULE_LINES} == {}


def test_no_report_function_is_over_60_lines():
    long = {}
    for path in REPORTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(REPORTS).as_posix()}:{node.name}"] = lines
    assert long == {}
