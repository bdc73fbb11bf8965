"""Building the report (every figure, table and index.html) from a fixed small results set: the
synthetic one the report tests use, written through ``experiments.store``."""
import sys
from pathlib import Path

import pytest

from reports.build import build

# The synthetic results set lives with the report tests; reuse it rather than keep a second copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from synthetic_results import STUDIES, make_results  # noqa: E402


@pytest.mark.slow
def test_build_report_from_small_results(benchmark, tmp_path):
    results = make_results(tmp_path / "results")
    # Under --benchmark-disable (make test) one cheap section is enough to keep this from rotting;
    # the report tests build the whole report already.
    studies = ["engines"] if benchmark.disabled else list(STUDIES)
    benchmark.group = "report"
    benchmark.extra_info.update(studies=studies, results="tests/synthetic_results.make_results")

    report = benchmark.pedantic(build, args=(results, tmp_path / "out", studies), rounds=3, warmup_rounds=0)

    assert (tmp_path / "out" / "index.html").exists() and report.sections
