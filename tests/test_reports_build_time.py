"""Building the report (every figure, table and index.html) from a fixed small results set: the
synthetic one the report tests use, written through ``experiments.store``.

A pytest-benchmark benchmark that lives with the report tests (benchmarks/ sits below reports and
never imports it); ``make bench`` times it with the suites under benchmarks/."""
import pytest
from synthetic_results import STUDIES, make_results

from reports.build import build


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
