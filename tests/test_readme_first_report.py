"""What the README says about a first ``make report`` that the code can check: the default sweep's
size, what ``make report`` installs, and the command that measured the times."""
import os
import re
import shutil
import subprocess
from pathlib import Path

from experiments import catalog
from experiments.cost_model import total_runs

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def test_the_default_sweep_is_the_size_the_readme_says():
    found = re.search(r"the default sweep: (\d+) studies, at most ([\d,]+) runs", README.replace("\n", " "))
    assert found, "the README must state the default sweep's size"
    studies = catalog.default_studies()
    assert int(found.group(1)) == len(studies)
    assert int(found.group(2).replace(",", "")) == sum(total_runs(study) for study in studies)


def planned_install(tmp_path: Path, *arguments: str) -> str:
    """The commands ``make`` would run to install the core into a new venv (``make -n``)."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    environment = {name: value for name, value in os.environ.items() if name not in ("MAKEFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", "-n", ".venv/.installed-core", *arguments],
                          cwd=tmp_path, check=True, capture_output=True, text=True, env=environment).stdout


def test_make_report_installs_the_core_with_uv_and_falls_back_to_pip(tmp_path):
    commands = planned_install(tmp_path)
    assert "-m venv --without-pip .venv\n" in commands  # 0.1 s, where ensurepip takes 3-4 s
    uv = ".venv/bin/python -m uv pip install --quiet --python .venv/bin/python -e . || "
    assert "-m pip --python .venv/bin/python install --quiet --no-compile uv && " + uv in commands
    fallback = commands.split(" || ", 1)[1].splitlines()[0]
    assert "-m ensurepip" in fallback  # the venv has no pip until the fallback needs one
    assert fallback.endswith(".venv/bin/python -m pip install --quiet --no-compile -e .)")
    assert "[" not in commands and "compileall" not in commands  # no extra; a process compiles its imports


def test_installer_pip_installs_the_core_with_pip_alone(tmp_path):
    commands = planned_install(tmp_path, "INSTALLER=pip")
    assert "-m ensurepip" in commands
    assert ".venv/bin/python -m pip install --quiet --no-compile -e .\n" in commands
    assert "uv" not in commands


def test_make_test_installs_the_rest_on_top_of_the_core():
    assert re.search(r"^report: \$\(CORE_STAMP\)$", MAKEFILE, re.M)
    assert re.search(r"^test: \$\(STAMP\)$", MAKEFILE, re.M)
    whole = re.search(r"^\$\(STAMP\): \$\(CORE_STAMP\)\n((?:\t.*\n)+)", MAKEFILE, re.M).group(1)
    assert "[dev," in whole and "torch" in whole and "jax" in whole
    assert whole.splitlines()[0] == "\t$(VENV_PIP)"  # a venv made by `make report` has no pip yet
    assert "compileall" in whole  # the suite's processes find every library compiled
    assert "`make report` installs only what the report needs (`uv pip install -e .`" in README


def test_the_readme_names_the_probe_that_measured_the_times():
    assert "python -m benchmarks.probes.first_report" in README
    assert (ROOT / "benchmarks" / "probes" / "first_report.py").exists()
