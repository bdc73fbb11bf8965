"""The Parquet store: atomic shards, explicit schemas, de-duplication on read, clear read errors."""
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import experiments
from experiments import compaction, schemas, store


def test_load_raises_missing_results_when_nothing_is_stored(tmp_path):
    with pytest.raises(experiments.MissingResults):
        experiments.load("width", "runs", results=tmp_path)
    assert issubclass(experiments.MissingResults, LookupError)


def test_load_returns_every_schema_column_even_for_rows_that_set_few(tmp_path):
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": "ok", "lr": 1}])
    frame = experiments.load("s", "runs", results=tmp_path)
    assert list(frame.columns) == schemas.RUNS_SCHEMA.names
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
    compaction.compact(tmp_path, "s", "runs")
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
    assert pq.read_schema(path).remove_metadata() == schemas.CURVES_SCHEMA
    assert not [p for p in os.listdir(path.parent) if p.endswith(".tmp")]


def test_compacted_shard_sorts_before_shards_written_after_the_ones_it_merged(tmp_path):
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": "failed"}])
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "b", "status": "ok"}])
    compacted = compaction.compact(tmp_path, "s", "runs")
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": "ok"}])  # a later rerun
    assert store.shard_paths(tmp_path, "s", "runs")[0] == compacted
    frame = experiments.load("s", "runs", results=tmp_path).set_index("run_id")
    assert frame["status"].to_dict() == {"a": "ok", "b": "ok"}


def test_compaction_keeps_a_column_this_version_does_not_know(tmp_path):
    # A newer version sharing the results folder wrote a runs shard with a column of its own.
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "old", "status": "ok"}])
    newer = store.to_arrow("runs", [{"run_id": "new", "status": "ok"}])
    newer = newer.append_column("momentum_dampening", pa.array([0.25]))
    pq.write_table(newer, tmp_path / "s" / "runs" / "99999999999999999999-1-newer.parquet")
    compaction.compact(tmp_path, "s", "runs")
    (shard,) = store.shard_paths(tmp_path, "s", "runs")
    merged = pq.read_table(shard).sort_by("run_id").to_pydict()
    assert merged["momentum_dampening"] == [0.25, None]  # "new", then "old" (a shard without it)
    assert merged["run_id"] == ["new", "old"]
    frame = experiments.load("s", "runs", results=tmp_path)  # reading it keeps working
    assert list(frame.columns) == schemas.RUNS_SCHEMA.names and sorted(frame.run_id) == ["new", "old"]


def test_compaction_refuses_an_unknown_column_of_two_unmergeable_types_naming_both_shards(tmp_path):
    directory = tmp_path / "s" / "curves"
    directory.mkdir(parents=True)
    for name, values in (("1-a", pa.array([[1]])), ("2-b", pa.array([{"x": 1}]))):
        pq.write_table(pa.table({"run_id": ["r"], "future": values}), directory / f"{name}.parquet")
    with pytest.raises(experiments.CorruptResults, match=r"2-b\.parquet.*'future'.*1-a\.parquet"):
        compaction.compact(tmp_path, "s", "curves")
    assert len(store.shard_paths(tmp_path, "s", "curves")) == 2  # nothing deleted


def test_compaction_deduplicates_as_the_reader_does_across_row_groups(tmp_path, monkeypatch):
    from experiments import compaction

    monkeypatch.setattr(compaction, "ROW_GROUP_ROWS", 3)  # several row groups, and batches of 3
    monkeypatch.setattr(compaction, "COMBINE_BATCHES", 2)
    for i in range(7):
        store.write_shard(tmp_path, "s", "runs", [{"run_id": f"r{i % 4}", "status": f"v{i}"}])
        store.write_shard(tmp_path, "s", "curves", [{"run_id": f"r{i % 4}", "epoch": e}
                                                    for e in range(i + 1)])
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "r9", "status": "first"},
                                              {"run_id": "r9", "status": "last"}])
    before = {table: experiments.load("s", table, results=tmp_path) for table in ("runs", "curves")}
    for table in ("runs", "curves"):
        compaction.compact(tmp_path, "s", table)
        assert len(store.shard_paths(tmp_path, "s", table)) == 1
    runs = experiments.load("s", "runs", results=tmp_path).set_index("run_id")["status"].to_dict()
    assert runs == before["runs"].set_index("run_id")["status"].to_dict()
    assert runs == {"r0": "v4", "r1": "v5", "r2": "v6", "r3": "v3", "r9": "last"}
    curves = experiments.load("s", "curves", results=tmp_path)
    assert sorted(zip(curves.run_id, curves.epoch)) == sorted(zip(before["curves"].run_id,
                                                                  before["curves"].epoch))
    assert curves.groupby("run_id").size().to_dict() == {"r0": 5, "r1": 6, "r2": 7, "r3": 4}


COMPACT_PEAK = """
import sys
import pyarrow as pa
from experiments import compaction
compaction.compact(sys.argv[1], "s", "runs")
print(pa.default_memory_pool().max_memory())
"""


def test_compaction_memory_does_not_grow_with_the_number_of_shards(tmp_path):
    import subprocess
    import sys

    peaks = []
    for n_shards in (100, 800):
        results = tmp_path / str(n_shards)
        for i in range(n_shards):
            store.write_shard(results, "s", "runs", [{"run_id": f"r{i}", "status": "ok",
                                                      "metrics": "{}" * 50, "layer_sizes": [2, 5, 1]}])
        out = subprocess.run([sys.executable, "-c", COMPACT_PEAK, str(results)], check=True,
                             capture_output=True, text=True).stdout
        peaks.append(int(out))
        assert len(experiments.load("s", "runs", results=results)) == n_shards
    # Arrow's peak allocation: the whole table at once grew ~8x with 8x the shards.
    assert peaks[1] < 2 * peaks[0] + (1 << 20), peaks


@pytest.mark.parametrize("stray", [pa.table({"width": [10]}), pa.table({"run_id": [None, "b"]})])
def test_compaction_refuses_a_shard_that_is_not_one_naming_it_and_deletes_nothing(tmp_path, stray):
    store.write_shard(tmp_path, "s", "curves", [{"run_id": "a", "epoch": 0}])
    pq.write_table(stray, tmp_path / "s" / "curves" / "stray.parquet")
    with pytest.raises(experiments.CorruptResults, match=r"stray\.parquet.*run_id"):
        compaction.compact(tmp_path, "s", "curves")
    assert len(store.shard_paths(tmp_path, "s", "curves")) == 2
