"""The one-off probes under benchmarks/probes/: each is listed with its command in the package's
docstring, and each runnable one answers ``--help`` through ``python -m`` (so a move or a broken
import cannot go unnoticed)."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import benchmarks.probes

ROOT = Path(__file__).resolve().parents[1]
PROBES = sorted(path for path in (ROOT / "benchmarks" / "probes").glob("*.py") if path.name != "__init__.py")


def runnable(path: Path) -> bool:
    """Whether the module has an ``if __name__ == "__main__":`` block."""
    return any(isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)
               for node in ast.parse(path.read_text()).body)


def test_benchmarks_hold_only_suites_and_their_tools_while_probes_have_their_folder():
    assert len(PROBES) >= 9
    assert not any(runnable(path) and path.stem in {p.stem for p in PROBES}
                   for path in (ROOT / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("probe", PROBES, ids=lambda path: path.stem)
def test_every_probe_is_documented_with_its_command(probe):
    documentation = benchmarks.probes.__doc__
    if runnable(probe):
        assert f"python -m benchmarks.probes.{probe.stem}" in documentation
    else:  # a helper of another probe, named where that probe is documented
        assert f"benchmarks.probes.{probe.stem}" in documentation


@pytest.mark.slow
@pytest.mark.parametrize("probe", [path for path in PROBES if runnable(path)], ids=lambda path: path.stem)
def test_every_runnable_probe_answers_help(probe):
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", f"benchmarks.probes.{probe.stem}", "--help"], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
