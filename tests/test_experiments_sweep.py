"""Sweeps: failures and divergence are results, a killed sweep resumes, backends agree to the bit."""
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

import experiments
from experiments import catalog, spec, store
from experiments.cli import main
from experiments.run import RESULT_COLUMNS

# 400 training samples (a 20 x 20 sin-cos grid): runs take milliseconds.
SMALL = """
    [base]
    dataset = "sincos"
    dataset_options = { step = 0.5 }
    reduction = "sum"
    batch_size = 10
    """


def write_spec(directory, name, body, top=""):
    path = directory / f"{name}.toml"
    path.write_text(f'name = "{name}"\n{top}\n' + textwrap.dedent(body))
    return path


def sweep(*args) -> int:
    return main(["sweep", "--quiet", *map(str, args)])


def raw_rows(results, study, table="runs") -> pd.DataFrame:
    """Every stored row, duplicates included (what load() de-duplicates)."""
    paths = store.shard_paths(results, study, table)
    return pd.concat([pq.read_table(path).to_pandas() for path in paths], ignore_index=True)


def results_of(results, study) -> dict[str, pd.DataFrame]:
    """The backend-independent part of a study's tables, sorted for comparison."""
    runs = experiments.load(study, "runs", results=results)[list(RESULT_COLUMNS) + ["metrics"]]
    curves = experiments.load(study, "curves", results=results).drop(columns=["epoch_s"])
    frames = {"runs": runs.sort_values("run_id"), "curves": curves.sort_values(["run_id", "epoch"])}
    try:
        snapshots = experiments.load(study, "snapshots", results=results)
        frames["snapshots"] = snapshots.sort_values(["run_id", "epoch", "x1", "x2"])
    except experiments.MissingResults:
        pass
    return {name: frame.reset_index(drop=True) for name, frame in frames.items()}


def assert_same_results(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


def test_raising_and_diverging_runs_are_recorded_and_the_others_complete(tmp_path, capsys):
    path = write_spec(tmp_path, "mixed", SMALL + """
        epochs = 2
        width = 5
        [[case]]
        lr = 0.001
        [[case]]
        lr = 5.0   # the summed gradient over a batch of 10 blows up
        [[case]]   # no MNIST files there: the worker raises FileNotFoundError
        dataset = "mnist"
        dataset_options = { directory = "/nonexistent/mnist" }
        batch_size = 100
        """)
    results = tmp_path / "results"
    assert sweep(path, "--results", results, "--backend", "serial") == 1  # a run failed
    runs = experiments.load("mixed", "runs", results=results)
    by_case = {(row.dataset, row.lr): row for row in runs.itertuples()}
    assert {case: row.status for case, row in by_case.items()} == {
        ("sincos", 0.001): "ok", ("sincos", 5.0): "diverged", ("mnist", 0.001): "failed"}
    failed = by_case[("mnist", 0.001)]
    assert "FileNotFoundError" in failed.error and "Traceback" in failed.error
    diverged = by_case[("sincos", 5.0)]
    assert "loss became" in diverged.error and diverged.epochs_run == 1
    assert by_case[("sincos", 0.001)].final_train_loss > 0
    assert "failed: mixed" in capsys.readouterr().err

    # A plain rerun keeps every stored result; --retry-failed reruns only the failed run.
    assert sweep(path, "--results", results, "--backend", "serial") == 0
    assert len(raw_rows(results, "mixed")) == 3
    assert sweep(path, "--results", results, "--backend", "serial", "--retry-failed") == 1
    raw = raw_rows(results, "mixed")
    assert len(raw) == 4 and (raw["status"] == "failed").sum() == 2


def test_force_reruns_everything_and_the_newest_row_wins(tmp_path):
    path = write_spec(tmp_path, "again", SMALL + "epochs = 1\nwidth = 5\n")
    results = tmp_path / "results"
    assert sweep(path, "--results", results, "--backend", "serial") == 0
    first = experiments.load("again", "runs", results=results)
    assert sweep(path, "--results", results, "--backend", "serial", "--force") == 0
    second = experiments.load("again", "runs", results=results)
    assert len(raw_rows(results, "again")) == 2 and len(second) == 1
    assert second["ended_at"].iloc[0] > first["ended_at"].iloc[0]
    assert second["final_train_loss"].iloc[0] == first["final_train_loss"].iloc[0]


IDENTITY_SPEC = SMALL + """
    epochs = 3
    snapshot_epochs = [0, 3]
    [grid]
    width = [5, 30]
    lr = [0.001, 5.0]
    """


@pytest.mark.slow
def test_serial_loky_and_dask_store_identical_results(tmp_path):
    path = write_spec(tmp_path, "same", IDENTITY_SPEC, top="seeds = 2")
    stored = {}
    for backend in ("serial", "loky", "dask"):
        results = tmp_path / backend
        assert sweep(path, "--results", results, "--backend", backend, "--jobs", 2) == 0
        stored[backend] = results_of(results, "same")
        runs = experiments.load("same", "runs", results=results)
        assert set(runs["backend"]) == {backend} and set(runs["blas_threads"]) == {1}
        assert set(runs["n_workers"]) == {1 if backend == "serial" else 2}
    assert len(stored["serial"]["runs"]) == 8
    assert set(stored["serial"]["runs"]["status"]) == {"ok", "diverged"}
    assert_same_results(stored["serial"], stored["loky"])
    assert_same_results(stored["serial"], stored["dask"])


def wait_until(event, process: subprocess.Popen, what: str, timeout_s: float = 300) -> None:
    """Poll ``event()`` until it is true. If ``process`` (a session leader) exits first or the
    generous timeout (for a machine busy with other work) passes, end its process group and fail
    naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while not event():
        if process.poll() is not None or time.monotonic() > deadline:
            problem = (f"exited with {process.returncode}" if process.returncode is not None
                       else f"ran {timeout_s:.0f} s")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail(f"the process {problem} without {what}")
        time.sleep(0.01)


@pytest.mark.slow
def test_sweep_killed_with_sigkill_resumes_to_one_ok_row_per_run_with_the_same_numbers(tmp_path):
    path = write_spec(tmp_path, "killed", SMALL + """
        epochs = 150
        [grid]
        width = [10, 20]
        """, top="seeds = 8")
    killed, reference = tmp_path / "killed", tmp_path / "reference"
    command = [sys.executable, "-m", "experiments", "sweep", str(path), "--results", str(killed),
               "--jobs", "2", "--quiet"]
    env = {**os.environ, "NNSTUDY_FLUSH_SECONDS": "0"}  # one shard per finished run
    process = subprocess.Popen(command, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill on an event, not after a guessed delay: as soon as the first run is stored.
    wait_until(lambda: store.shard_paths(killed, "killed", "runs"), process, "the first run to be stored")
    os.killpg(process.pid, signal.SIGKILL)  # the sweep and its workers, as in a power cut
    assert process.wait() == -signal.SIGKILL, "the sweep finished before it could be killed"

    partial = experiments.load("killed", "runs", results=killed)  # no torn file is ever read
    assert 1 <= len(partial) < 16, "the sweep should have been killed part way"

    rerun = subprocess.run(command, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    raw = raw_rows(killed, "killed")
    assert (raw["status"] == "ok").all()
    assert raw["run_id"].value_counts().eq(1).all() and len(raw) == 16
    assert not list(killed.rglob("*.tmp"))

    assert sweep(path, "--results", reference, "--backend", "serial") == 0
    assert_same_results(results_of(killed, "killed"), results_of(reference, "killed"))


def test_missing_only_runs_pending_runs_of_default_studies_and_then_nothing(tmp_path, monkeypatch):
    studies = tmp_path / "studies"
    studies.mkdir()
    write_spec(studies, "one", SMALL + "epochs = 1\nwidth = 5\n", top="seeds = 2")
    write_spec(studies, "extra", SMALL + "epochs = 1\nwidth = 5\n", top="default = false")
    monkeypatch.setattr(catalog, "STUDIES_DIR", studies)
    results = tmp_path / "results"
    assert sweep("--missing-only", "--results", results) == 0
    assert len(experiments.load("one", "runs", results=results)) == 2
    assert not (results / "extra").exists()
    shards = store.shard_paths(results, "one", "runs")
    assert sweep("--missing-only", "--results", results) == 0
    assert store.shard_paths(results, "one", "runs") == shards  # nothing new written


def status_line(capsys, path, results, study):
    assert main(["status", str(path), "--results", str(results)]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith(study + " ")][0]


def test_status_counts_runs_stored_by_other_code_as_stale(tmp_path, capsys, monkeypatch):
    path = write_spec(tmp_path, "old", SMALL + "epochs = 1\nwidth = 5\n", top="seeds = 2")
    results = tmp_path / "results"
    assert sweep(path, "--results", results, "--backend", "serial") == 0
    # runs ok diverged failed pending stale
    assert status_line(capsys, path, results, "old").split()[1:] == ["2", "2", "0", "0", "0", "0"]
    with monkeypatch.context() as patch:  # stored by a commit this checkout does not know
        patch.setattr("experiments.provenance.code_version",
                      lambda: {"git_commit": "f" * 40, "git_dirty": False})
        assert sweep(path, "--results", results, "--backend", "serial", "--force") == 0
    assert status_line(capsys, path, results, "old").split()[1:] == ["2", "2", "0", "0", "0", "2"]


def execute_unless_marked_to_die(job):
    """run.execute, except that a job carrying ``die_once`` kills its worker process the first time."""
    from pathlib import Path

    from experiments.run import execute

    marker = job.get("die_once")
    if marker and not Path(marker).exists():
        Path(marker).touch()
        os._exit(1)  # as the OOM killer would: no exception, the process is gone
    return execute(job)


@pytest.mark.slow
def test_runs_lost_with_a_dead_worker_are_resubmitted(tmp_path):
    from experiments.backends import run_jobs

    study = spec.load_spec(write_spec(tmp_path, "dies", SMALL + "epochs = 1\nwidth = 5\n", top="seeds = 6"))
    jobs = [{"config": run.config, "run_id": run.run_id, "study": "dies"} for run in study.runs]
    jobs[2]["die_once"] = str(tmp_path / "died")
    results = list(run_jobs(jobs, "loky", 2, task=execute_unless_marked_to_die))
    assert (tmp_path / "died").exists()
    assert sorted(r["run_id"] for r in results) == sorted(job["run_id"] for job in jobs)
    assert {r["runs"]["status"] for r in results} == {"ok"}


@pytest.mark.slow
def test_dask_backend_joins_an_existing_scheduler(tmp_path):
    from dask.distributed import LocalCluster

    path = write_spec(tmp_path, "joined", IDENTITY_SPEC)
    assert sweep(path, "--results", tmp_path / "serial", "--backend", "serial") == 0
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert sweep(path, "--results", tmp_path / "joined", "--backend", "dask",
                     "--scheduler", cluster.scheduler_address) == 0
    runs = experiments.load("joined", "runs", results=tmp_path / "joined")
    assert set(runs["backend"]) == {"dask"} and set(runs["n_workers"]) == {1}
    assert_same_results(results_of(tmp_path / "serial", "joined"), results_of(tmp_path / "joined", "joined"))


def test_a_corrupt_shard_stops_the_sweep_with_exit_2_naming_the_file(tmp_path, capsys):
    path = write_spec(tmp_path, "torn", SMALL + "epochs = 1\nwidth = 5\n")
    results = tmp_path / "results"
    (results / "torn" / "runs").mkdir(parents=True)
    (results / "torn" / "runs" / "broken.parquet").write_bytes(b"")
    assert sweep(path, "--results", results, "--backend", "serial") == 2
    assert "broken.parquet" in capsys.readouterr().err
    assert not (results / "torn" / "curves").exists()


def test_a_sweep_that_leaves_many_shards_compacts_them(tmp_path, monkeypatch):
    monkeypatch.setattr("experiments.sweep.FLUSH_SECONDS", 0.0)  # one shard per run
    monkeypatch.setattr("experiments.sweep.COMPACT_AT_SHARDS", 2)
    path = write_spec(tmp_path, "many", SMALL + "epochs = 1\nwidth = 5\n", top="seeds = 5")
    results = tmp_path / "results"
    assert sweep(path, "--results", results, "--backend", "serial") == 0
    for table in ("runs", "curves"):
        assert len(store.shard_paths(results, "many", table)) == 1
    assert len(raw_rows(results, "many")) == 5


def test_an_extended_grid_runs_only_its_new_points_and_plan_says_so(tmp_path, capsys):
    path = write_spec(tmp_path, "grows", SMALL + "epochs = 1\nwidth = 5\n", top="seeds = 2")
    results = tmp_path / "results"
    assert sweep(path, "--results", results, "--backend", "serial") == 0
    path.write_text(path.read_text().replace("seeds = 2", "seeds = 3"))
    shards = store.shard_paths(results, "grows", "runs")
    capsys.readouterr()
    assert main(["plan", str(path), "--results", str(results)]) == 0
    assert "runs: 3 (2 ok, 0 diverged, 0 failed stored; 1 to run)" in capsys.readouterr().out
    assert store.shard_paths(results, "grows", "runs") == shards  # plan wrote nothing
    assert sweep(path, "--results", results, "--backend", "serial") == 0
    raw = raw_rows(results, "grows")
    assert len(raw) == 3 and sorted(raw["seed"]) == [0, 1, 2]
