"""What the README says about a first ``make report`` that the code can check: the default sweep's
size, what ``make report`` installs, and the command that measured the times."""
import re
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


def test_make_report_installs_the_core_alone_and_make_test_the_rest():
    core = re.search(r"^\$\(CORE_STAMP\): pyproject.toml\n((?:\t.*\n)+)", MAKEFILE, re.M).group(1)
    assert "pip install --quiet --no-compile -e .\n" in core and "[" not in core  # no extra
    assert "compileall" not in core  # a process compiles what it imports, once
    assert re.search(r"^report: \$\(CORE_STAMP\)$", MAKEFILE, re.M)
    assert re.search(r"^test: \$\(STAMP\)$", MAKEFILE, re.M)
    whole = re.search(r"^\$\(STAMP\): \$\(CORE_STAMP\)\n((?:\t.*\n)+)", MAKEFILE, re.M).group(1)
    assert "[dev," in whole and "torch" in whole and "jax" in whole
    assert "compileall" in whole  # the suite's processes find every library compiled
    assert "`make report` installs only what the report needs (`pip install -e .`" in README


def test_the_readme_names_the_probe_that_measured_the_times():
    assert "python -m benchmarks.probes.first_report" in README
    assert (ROOT / "benchmarks" / "probes" / "first_report.py").exists()
