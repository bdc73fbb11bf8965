"""The code fits on a screen: no function over ~60 lines, no module over ~400 (issue 16), in
every package of the project (benchmarks and tests aside)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("nncore", "nndata", "experiments", "reports", "nnstudy", "nnstudy_engines")
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_over_400_lines(package):
    lines = {path.relative_to(ROOT).as_posix(): len(path.read_text().splitlines())
             for path in sources(package)}
    assert lines and {name: n for name, n in lines.items() if n > MAX_MODULE_LINES} == {}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_is_over_60_lines(package):
    """Whole definitions, signature and docstring included."""
    long = {}
    for path in sources(package):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = lines
    assert long == {}
