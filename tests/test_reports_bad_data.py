"""Missing studies and unreadable Parquet: a clear message naming what is wrong, the rest builds."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from experiments.schemas import CURVES_SCHEMA
from reports.__main__ import main
from reports.output import MANIFEST
from synthetic_results import make_results


def run_cli(capsys, results, out, *studies):
    status = main(["build", "--quiet", "--results", str(results), "--out", str(out), *studies])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return status, captured.err


def only_shard(results, study, table):
    (shard,) = (results / study / table).glob("*.parquet")
    return shard


@pytest.mark.slow
def test_missing_study_is_named_and_the_rest_builds(tmp_path, capsys):
    results = make_results(tmp_path / "results", studies=("classics",))
    stale = tmp_path / "out" / "figures" / "gradcheck.png"  # from an earlier build: its manifest
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an old figure")
    (tmp_path / "out" / MANIFEST).write_text(json.dumps({"files": ["figures/gradcheck.png"]}))
    status, err = run_cli(capsys, results, tmp_path / "out", "gradcheck", "classics")
    assert status == 0
    assert "study 'gradcheck': no results" in err
    assert "python -m experiments sweep gradcheck --results" in err
    assert (tmp_path / "out" / "figures" / "classics.png").is_file()
    assert not (tmp_path / "out" / "figures" / "gradcheck.png").exists()
    assert "study &#x27;gradcheck&#x27;: no results" in (tmp_path / "out" / "index.html").read_text()


@pytest.mark.slow
def test_corrupt_runs_shard_is_named_and_the_rest_builds(tmp_path, capsys):
    results = make_results(tmp_path / "results", studies=("classics", "gradcheck"))
    shard = only_shard(results, "classics", "runs")
    shard.write_bytes(b"PAR1 this is not a parquet file")
    status, err = run_cli(capsys, results, tmp_path / "out", "classics", "gradcheck")
    assert status == 0
    assert "study 'classics'" in err and str(shard) in err
    assert (tmp_path / "out" / "figures" / "gradcheck.png").is_file()
    assert not (tmp_path / "out" / "figures" / "classics.png").exists()


@pytest.mark.slow
def test_empty_parquet_file_is_named_and_the_rest_builds(tmp_path, capsys):
    results = make_results(tmp_path / "results", studies=("classics", "gradcheck"))
    shard = only_shard(results, "gradcheck", "runs")
    shard.write_bytes(b"")
    status, err = run_cli(capsys, results, tmp_path / "out", "classics", "gradcheck")
    assert status == 0
    assert "study 'gradcheck'" in err and str(shard) in err
    assert (tmp_path / "out" / "figures" / "classics.png").is_file()


def test_corrupt_curves_leave_the_figure_out_but_keep_the_summary(tmp_path, capsys):
    results = make_results(tmp_path / "results", studies=("width",))
    shard = only_shard(results, "width", "curves")
    shard.write_bytes(shard.read_bytes()[:100])  # a torn file, as a killed writer leaves
    status, err = run_cli(capsys, results, tmp_path / "out", "width")
    assert status == 0
    assert "table 'curves' cannot be read" in err and str(shard) in err
    assert not (tmp_path / "out" / "figures" / "width_loss_curves.png").exists()
    assert (tmp_path / "out" / "tables" / "width_summary.md").is_file()


def test_table_without_rows_is_named_and_left_out(tmp_path, capsys):
    results = make_results(tmp_path / "results", studies=("width",))
    shard = only_shard(results, "width", "curves")
    pq.write_table(pa.Table.from_pylist([], schema=CURVES_SCHEMA), shard)
    status, err = run_cli(capsys, results, tmp_path / "out", "width")
    assert status == 0
    assert "study 'width': table 'curves' has no rows" in err
    assert (tmp_path / "out" / "tables" / "width_summary.md").is_file()


def test_no_results_at_all_fails_with_a_message(tmp_path, capsys):
    status, err = run_cli(capsys, tmp_path / "nothing", tmp_path / "out")
    assert status == 1
    assert "study 'width': no results" in err
    # The page still opens and says so, with an all-"no data" scorecard.
    assert "no data" in (tmp_path / "out" / "index.html").read_text()


@pytest.mark.slow
def test_unknown_study_is_named(tmp_path, capsys):
    results = make_results(tmp_path / "results", studies=("gradcheck",))
    status, err = run_cli(capsys, results, tmp_path / "out", "gradcheck", "widht")
    assert status == 0
    assert "unknown study 'widht'" in err


def test_study_without_curves_says_which_figure_is_missing(tmp_path, capsys):
    results = make_results(tmp_path / "results", studies=("width",))
    only_shard(results, "width", "curves").unlink()
    status, err = run_cli(capsys, results, tmp_path / "out", "width")
    assert status == 0
    assert "study 'width': no usable 'curves' table, so no curve figures" in err
    assert (tmp_path / "out" / "tables" / "width_summary.md").is_file()
