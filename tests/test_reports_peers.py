"""The peer-baseline table: shown when `make bench-peers` wrote one, a message otherwise."""
from __future__ import annotations

import pandas as pd

from reports.build import build


def write_peers(results, nncore_seconds=0.05, torch_seconds=0.25, compiled_seconds=None):
    seconds_of = {"nncore": nncore_seconds, "torch": torch_seconds}
    if compiled_seconds is not None:
        seconds_of["nncore-compiled"] = compiled_seconds
    rows = [{"case": "sincos-2-10-1-b10", "dtype": "float64", "framework": framework,
             "sec_per_epoch": seconds, "ratio_to_nncore": seconds / nncore_seconds,
             "peak_share": 0.3, "blas_kernel": "Haswell", "measured_at": "2026-11-23T20:00:00"}
            for framework, seconds in seconds_of.items()]
    (results / "peers").mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(results / "peers" / "peers.parquet")


def peer_section(report):
    return [s for s in report.sections if s.study == "peers"]


def test_peer_table_shows_each_framework_and_its_ratio(tmp_path):
    write_peers(tmp_path / "results")
    report = build(tmp_path / "results", tmp_path / "out", ["width"])
    [section] = peer_section(report)
    [table] = section.tables
    row = table.frame.iloc[0]
    assert row["network"] == "sincos-2-10-1-b10"
    assert row["torch / nncore"] == "5x"
    assert row["sklearn s/epoch"] == "—"  # not measured: shown as absent, not as zero
    assert (tmp_path / "out" / "tables" / "peers.md").exists()
    assert "peers.html" in (tmp_path / "out" / "index.html").read_text()


def test_peer_table_has_the_compiled_engine_beside_vectorized(tmp_path):
    write_peers(tmp_path / "results", compiled_seconds=0.01)
    [section] = peer_section(build(tmp_path / "results", tmp_path / "out", ["width"]))
    row = section.tables[0].frame.iloc[0]
    assert row["nncore-compiled s/epoch"] == "0.01"
    assert row["nncore-compiled / nncore"] == "0.2x"


def test_without_a_peer_file_there_is_no_peer_section(tmp_path):
    (tmp_path / "results").mkdir()
    report = build(tmp_path / "results", tmp_path / "out", ["width"])
    assert not peer_section(report)


def test_corrupt_peer_file_is_named_and_the_rest_builds(tmp_path):
    (tmp_path / "results" / "peers").mkdir(parents=True)
    (tmp_path / "results" / "peers" / "peers.parquet").write_bytes(b"not parquet")
    report = build(tmp_path / "results", tmp_path / "out", ["width"])
    assert not peer_section(report)
    assert any(level == "warning" and "peers.parquet" in text for level, text in report.messages)
    assert (tmp_path / "out" / "index.html").exists()


def test_peer_table_can_be_turned_off(tmp_path):
    write_peers(tmp_path / "results")
    assert not peer_section(build(tmp_path / "results", tmp_path / "out", ["width"], peers=False))
