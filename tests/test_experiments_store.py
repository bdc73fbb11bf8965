"""The Parquet store: atomic shards, explicit schemas, de-duplication on read, clear read errors."""
import os

import pyarrow.parquet as pq
import pytest

import experiments
from experiments import store


def test_load_raises_missing_results_when_nothing_is_stored(tmp_path):
    with pytest.raises(experiments.MissingResults):
        experiments.load("width", "runs", results=tmp_path)
    assert issubclass(experiments.MissingResults, LookupError)


def test_load_returns_every_schema_column_even_for_rows_that_set_few(tmp_path):
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": "ok", "lr": 1}])
    frame = experiments.load("s", "runs", results=tmp_path)
    assert list(frame.columns) == store.RUNS_SCHEMA.names
    assert frame["lr"].dtype == "float64"  # an lr of 1 stays a float column


def test_newest_runs_row_wins(tmp_path):
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": "failed"},
                                              {"run_id": "b", "status": "ok"}])
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": "ok"}])
    frame = experiments.load("s", "runs", results=tmp_path).set_index("run_id")
    assert frame["status"].to_dict() == {"a": "ok", "b": "ok"}


def test_curves_keep_only_the_newest_shard_of_each_run(tmp_path):
    store.write_shard(tmp_path, "s", "curves", [{"run_id": "a", "epoch": e} for e in range(3)])
    store.write_shard(tmp_path, "s", "curves", [{"run_id": "a", "epoch": e} for e in range(2)]
                      + [{"run_id": "b", "epoch": 0}])
    frame = experiments.load("s", "curves", results=tmp_path)
    assert sorted(zip(frame["run_id"], frame["epoch"])) == [("a", 0), ("a", 1), ("b", 0)]


@pytest.mark.parametrize("content", [b"", b"not parquet at all"])
def test_unreadable_shard_raises_corrupt_results_naming_the_file(tmp_path, content):
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a"}])
    bad = tmp_path / "s" / "runs" / "bad.parquet"
    bad.write_bytes(content)
    with pytest.raises(experiments.CorruptResults, match="bad.parquet"):
        experiments.load("s", "runs", results=tmp_path)
    assert issubclass(experiments.CorruptResults, ValueError)


def test_compaction_leaves_one_shard_with_the_same_rows(tmp_path):
    for status in ("failed", "ok"):
        store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": status}])
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "b", "status": "ok"}])
    before = experiments.load("s", "runs", results=tmp_path).sort_values("run_id")
    store.compact(tmp_path, "s", "runs")
    assert len(store.shard_paths(tmp_path, "s", "runs")) == 1
    after = experiments.load("s", "runs", results=tmp_path).sort_values("run_id")
    assert before["status"].tolist() == after["status"].tolist() == ["ok", "ok"]


def test_stale_temporaries_of_dead_writers_are_removed_and_never_read(tmp_path):
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a"}])
    directory = tmp_path / "s" / "runs"
    stale = directory / ".00000000000000000001-999999999-deadbeef.parquet.999999999.tmp"
    live = directory / f".00000000000000000002-1-cafe.parquet.{os.getppid()}.tmp"  # a running writer
    live.write_bytes(b"in progress")
    stale.write_bytes(b"torn")
    assert len(experiments.load("s", "runs", results=tmp_path)) == 1
    assert store.clean_temporaries(tmp_path) == [stale]
    assert not stale.exists() and live.exists()


def test_shards_are_plain_parquet_with_the_explicit_schema(tmp_path):
    path = store.write_shard(tmp_path, "s", "curves", [{"run_id": "a", "epoch": 0, "lr": float("nan")}])
    assert pq.read_schema(path).remove_metadata() == store.CURVES_SCHEMA
    assert not [p for p in os.listdir(path.parent) if p.endswith(".tmp")]


def test_compacted_shard_sorts_before_shards_written_after_the_ones_it_merged(tmp_path):
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": "failed"}])
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "b", "status": "ok"}])
    compacted = store.compact(tmp_path, "s", "runs")
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": "ok"}])  # a later rerun
    assert store.shard_paths(tmp_path, "s", "runs")[0] == compacted
    frame = experiments.load("s", "runs", results=tmp_path).set_index("run_id")
    assert frame["status"].to_dict() == {"a": "ok", "b": "ok"}
