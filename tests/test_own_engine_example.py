"""examples/own-engine: an engine written outside nnstudy passes the kit, runs in a spec on loky
workers and shows in the report; its deliberately wrong twin fails the kit, naming the check."""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nncore.engines import plugins
from nnstudy.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "own-engine"

# The twin: the bias gradient off by a factor of two, everything else the example's.
BROKEN = '''
import mymodule


class SlightlyWrongDense(mymodule.Dense):
    def backward(self, grad_z):
        grad_x = super().backward(grad_z)
        self.db = 2 * self.db
        return grad_x


class BrokenEngine(mymodule.MyEngine):
    dense = SlightlyWrongDense
'''


def nnstudy(*args, extra_path=(), timeout=300):
    """``python -m nnstudy ARGS`` with the example folder (and ``extra_path``) on PYTHONPATH."""
    path = os.pathsep.join([str(ROOT), str(EXAMPLE), *map(str, extra_path)])
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "nnstudy", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout)


@pytest.fixture
def on_path(monkeypatch, tmp_path):
    """The example folder and tmp_path on sys.path, as PYTHONPATH puts them in a new process."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "broken.py").write_text(BROKEN)
    yield
    for module in ("mymodule", "broken"):
        sys.modules.pop(module, None)
    plugins._plugin_class.cache_clear()


def test_the_example_engine_passes_the_kit(on_path, capsys):
    assert main(["check-engine", "mymodule:MyEngine"]) == 0
    out = capsys.readouterr().out
    assert "passes every check" in out and "NO" not in out.split()


def failed_checks(stderr: str) -> list[str]:
    """The checks named on the kit's closing FAILED line."""
    line = stderr.strip().splitlines()[-1]
    assert "FAILED" in line, stderr
    return line.split("checks: ")[1].split(" (")[0].split(", ")


def test_a_wrong_bias_gradient_fails_the_kit_naming_the_checks(on_path, capsys):
    assert main(["check-engine", "broken:BrokenEngine"]) == 1
    captured = capsys.readouterr()
    assert failed_checks(captured.err) == ["gradients_vs_numerical", "gradients_vs_vectorized",
                                           "batch_of_one", "training_vs_vectorized"]
    rows = {line.split()[0]: line for line in captured.out.splitlines()[1:] if line.strip()}
    assert rows["gradients_vs_numerical"].rstrip().endswith("NO")
    assert rows["purity"].rstrip().endswith("yes")  # wrong, not impure


def test_an_engine_that_cannot_be_loaded_exits_2_with_one_line(on_path, capsys):
    assert main(["check-engine", "mymodule:NoSuchEngine"]) == 2
    assert capsys.readouterr().err.strip() == (
        "check-engine: engine='mymodule:NoSuchEngine': module 'mymodule' has no 'NoSuchEngine'")


@pytest.mark.slow
def test_the_installed_command_fails_the_broken_twin_with_exit_1_and_no_traceback(tmp_path):
    (tmp_path / "broken.py").write_text(BROKEN)
    done = nnstudy("check-engine", "broken:BrokenEngine", extra_path=[tmp_path])
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "gradients_vs_numerical" in failed_checks(done.stderr)


@pytest.mark.slow
def test_the_example_study_sweeps_on_loky_workers_and_is_reported(tmp_path):
    results, out = tmp_path / "results", tmp_path / "out"
    done = nnstudy("sweep", str(EXAMPLE / "engines.toml"), "--quick", "--jobs", "2",
                   "--results", str(results))
    assert done.returncode == 0, done.stderr
    planned = int(re.search(r"running (\d+) runs", done.stderr).group(1))
    assert done.stderr.strip().endswith(f": {planned} ok")
    done = nnstudy("report", str(EXAMPLE / "engines.toml"), "--quick", "--results", str(results),
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "mymodule:MyEngine" in (out / "index.html").read_text()
    code = textwrap.dedent(f"""
        import experiments
        runs = experiments.load("own_engine-quick", "runs", results={str(results)!r})
        mine = runs[runs["engine"] == "mymodule:MyEngine"]
        print(sorted(set(runs["backend"])), len(mine) > 0, mine["engine_source_sha256"].notna().all())
        """)
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True).stdout.split()
    assert shown == ["['loky']", "True", "True"]


@pytest.mark.slow
def test_the_example_study_runs_on_dask_workers_which_import_the_engine_themselves(tmp_path):
    pytest.importorskip("dask.distributed")
    done = nnstudy("sweep", str(EXAMPLE / "engines.toml"), "--quick", "--backend", "dask",
                   "--jobs", "2", "--results", str(tmp_path / "results"))
    assert done.returncode == 0, done.stderr
    planned = int(re.search(r"running (\d+) runs", done.stderr).group(1))
    assert done.stderr.strip().endswith(f": {planned} ok")
