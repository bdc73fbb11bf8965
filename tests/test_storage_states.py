"""Ordinary storage states (issue 28, items 9-11): a full disk, a read-only results folder, and
another user's study folder in a shared results folder. Each is one line (or a note), never a
traceback, and nothing stored is harmed.

We run as root in CI's container, where permissions do not stop us: the states are made at the
operating-system seam (``os`` and ``pathlib`` calls answering as the kernel would), not by chmod.
"""
import errno
import os
import pathlib

import pytest

import experiments
from experiments import catalog, lock, store
from experiments.cli import main

from test_experiments_faults import one_line_error, sweep, write_spec


def _os_error(code: int, path=None) -> OSError:
    return OSError(code, os.strerror(code), *([str(path)] if path is not None else []))


# --- 9: a full disk while the lock holder's pid is written -----------------------------------------
def test_a_sweep_with_nothing_to_run_on_a_full_disk_is_not_stopped_by_the_lock(tmp_path, capsys, monkeypatch):
    path = write_spec(tmp_path, "full")
    results = tmp_path / "results"
    assert sweep(path, "--results", results) == 0
    capsys.readouterr()

    def disk_full(descriptor, data, offset):
        raise _os_error(errno.ENOSPC)

    monkeypatch.setattr(lock.os, "pwrite", disk_full)
    assert sweep(path, "--results", results) == 0
    captured = capsys.readouterr()
    assert "nothing to run: all 1 runs of full are stored" in captured.out
    assert "Traceback" not in captured.err
    assert len(experiments.load("full", "runs", results=results)) == 1


def test_a_sweep_with_runs_to_do_on_a_full_disk_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    path = write_spec(tmp_path, "fuller")
    results = tmp_path / "results"

    def disk_full(*args, **kwargs):
        raise _os_error(errno.ENOSPC)

    monkeypatch.setattr(lock.os, "pwrite", disk_full)
    monkeypatch.setattr(pathlib.Path, "write_bytes", disk_full)   # check_writable's probe
    assert sweep(path, "--results", results) == 2
    assert "No space left on device" in one_line_error(capsys)


# --- 10: a read-only results folder: compact -------------------------------------------------------
def test_compact_in_a_read_only_folder_is_one_line_exit_2_and_keeps_every_shard(tmp_path, capsys, monkeypatch):
    for i in range(3):
        store.write_shard(tmp_path, "frozen", "runs", [{"run_id": f"r{i}", "status": "ok"}])
    shards = store.shard_paths(tmp_path, "frozen", "runs")

    def read_only(*args, **kwargs):
        raise _os_error(errno.EROFS)

    from experiments import compaction
    monkeypatch.setattr(compaction.pq, "ParquetWriter", read_only)
    monkeypatch.setattr(pathlib.Path, "unlink", read_only)   # the cleanup fails the same way
    assert main(["compact", "--results", str(tmp_path)]) == 2
    line = one_line_error(capsys)
    assert str(tmp_path / "frozen" / "runs") in line and "Read-only file system" in line
    monkeypatch.undo()
    assert store.shard_paths(tmp_path, "frozen", "runs") == shards


# --- 11: another user's study folder (mode 700) in a shared results folder --------------------------
@pytest.fixture
def shared(tmp_path, monkeypatch):
    """A results folder holding 'mine' (a spec in the catalog) and 'theirs', whose folder this
    process may not enter; every attempt to look inside or at it is counted."""
    studies = tmp_path / "studies"
    studies.mkdir()
    mine = write_spec(studies, "mine", seeds=2)
    theirs = write_spec(tmp_path, "theirs")
    results = tmp_path / "results"
    assert sweep(mine, "--results", results) == 0
    assert sweep(theirs, "--results", results) == 0
    for study in ("mine", "theirs"):   # two shards each, so compact has work
        store.write_shard(results, study, "runs", [{"run_id": "extra", "status": "ok"}])
    forbidden, touched = str(results / "theirs"), []

    def guard(original):
        def guarded(path, *args, **kwargs):
            text = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else ""
            if text == forbidden or text.startswith(forbidden + os.sep):
                touched.append(text)
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), text)
            return original(path, *args, **kwargs)
        return guarded

    for name in ("stat", "lstat", "listdir", "scandir", "open"):
        monkeypatch.setattr(os, name, guard(getattr(os, name)))
    monkeypatch.setattr(catalog, "STUDIES_DIR", studies)
    return mine, results, touched


def test_status_of_all_skips_another_users_study_with_a_note(shared, capsys):
    _, results, touched = shared
    assert main(["status", "--results", str(results)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    row = next(line for line in captured.out.splitlines() if line.startswith("mine "))
    assert row.split()[1:3] == ["2", "2"]
    note = [line for line in captured.out.splitlines() + captured.err.splitlines() if "theirs" in line]
    assert len(note) == 1 and "skipped" in note[0] and "Permission denied" in note[0], note


def test_compact_of_all_compacts_mine_and_skips_theirs_with_a_note(shared, capsys):
    _, results, touched = shared
    assert main(["compact", "--results", str(results)]) == 0
    captured = capsys.readouterr()
    assert "mine/runs: 3 shards -> 1" in captured.out
    assert any("theirs" in line and "skipped" in line for line in captured.err.splitlines())


def test_a_report_of_one_study_does_not_read_the_others(shared, tmp_path, capsys):
    from nnstudy.cli import main as nnstudy
    mine, results, touched = shared
    out = tmp_path / "out"
    assert nnstudy(["report", str(mine), "--results", str(results), "--out", str(out), "--quiet"]) == 0
    assert touched == [] and (out / "index.html").exists()
