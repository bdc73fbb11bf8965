"""Faults a user meets (issue 11): each gets one clear line and the right exit status, and
nothing already stored is lost or damaged."""
import errno
import os
import subprocess
import sys
import textwrap
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import experiments
from experiments import catalog, compaction, spec, store
from experiments.cli import main

# 400 training samples (a 20 x 20 sin-cos grid), one epoch: runs take milliseconds.
TINY = """
    [base]
    dataset = "sincos"
    dataset_options = { step = 0.5 }
    reduction = "sum"
    batch_size = 10
    epochs = 1
    width = 5
    """


def write_spec(directory, name, seeds=1, body=TINY):
    path = directory / f"{name}.toml"
    path.write_text(f'name = "{name}"\nseeds = {seeds}\n' + textwrap.dedent(body))
    return path


def sweep(*args) -> int:
    return main(["sweep", "--quiet", "--backend", "serial", *map(str, args)])


def one_line_error(capsys) -> str:
    """The single error line a fault prints (stderr, after the sweep's 'running ...' line)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if not line.startswith("running ")]
    assert len(lines) == 1, err
    return lines[0]


# --- 1: reads never race a concurrent compaction ---------------------------------------------------
COMPACTOR = """
import os, sys
from pathlib import Path
from experiments import compaction, store
results, flags = sys.argv[1], Path(sys.argv[2])
written = compactions = 0
while not (flags / "stop").exists():
    for _ in range(6):
        store.write_shard(results, "race", "curves", [{"run_id": f"run{written}", "epoch": 0}])
        written += 1
    (flags / "compacting").touch()
    compaction.compact(results, "race", "curves")
    (flags / "compacting").unlink()
    compactions += 1
    (flags / "count.tmp").write_text(str(compactions))
    os.replace(flags / "count.tmp", flags / "count")
"""


@pytest.mark.slow  # timing-dependent: a busy machine can fail it
def test_reads_never_fail_while_another_process_compacts(tmp_path):
    results, flags = tmp_path / "results", tmp_path / "flags"
    flags.mkdir()
    store.write_shard(results, "race", "curves", [{"run_id": "first", "epoch": 0}])
    compactor = subprocess.Popen([sys.executable, "-c", COMPACTOR, str(results), str(flags)])

    def compactions() -> str:
        return (flags / "count").read_text() if (flags / "count").exists() else "0"

    overlapping, reads, rows_seen = 0, 0, 0
    try:
        deadline = time.monotonic() + 120
        while overlapping < 20 and time.monotonic() < deadline:
            while not (flags / "compacting").exists() and time.monotonic() < deadline:
                time.sleep(0.001)  # start reading when a compaction starts
            before, busy = compactions(), (flags / "compacting").exists()
            frame = experiments.load("race", "curves", results=results)
            busy = busy or (flags / "compacting").exists() or compactions() != before
            reads += 1
            overlapping += busy
            assert frame["run_id"].is_unique
            assert len(frame) >= rows_seen  # a read never loses rows an earlier one saw
            rows_seen = len(frame)
    finally:
        (flags / "stop").touch()
        compactor.wait(timeout=60)
    assert compactor.returncode == 0
    assert overlapping >= 20, f"only {overlapping} of {reads} reads overlapped a compaction"


def test_a_shard_that_vanishes_between_listing_and_reading_is_read_again(tmp_path, monkeypatch):
    for status in ("failed", "ok"):
        store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": status}])
    listed = store.shard_paths(tmp_path, "s", "runs")

    def listing_then_compaction(*args):  # the compaction runs right after this listing
        monkeypatch.setattr(store, "shard_paths", original)
        compaction.compact(tmp_path, "s", "runs")
        return listed

    original = store.shard_paths
    monkeypatch.setattr(store, "shard_paths", listing_then_compaction)
    frame = experiments.load("s", "runs", results=tmp_path)
    assert frame["status"].tolist() == ["ok"]


# --- 3: an unwritable results folder ---------------------------------------------------------------
def test_results_that_is_a_file_stops_before_any_run_naming_it(tmp_path, capsys):
    path = write_spec(tmp_path, "nowhere")
    target = tmp_path / "results"
    target.write_text("not a folder")
    assert sweep(path, "--results", target) == 2
    line = one_line_error(capsys)
    assert line == f"error: --results {target}: not a directory"
    assert target.read_text() == "not a folder"


def test_a_full_disk_names_the_folder_exits_2_and_damages_nothing_stored(tmp_path, capsys, monkeypatch):
    path = write_spec(tmp_path, "full", seeds=2)
    results = tmp_path / "results"
    assert sweep(path, "--results", results) == 0
    before = experiments.load("full", "runs", results=results)
    path.write_text(path.read_text().replace("seeds = 2", "seeds = 4"))
    capsys.readouterr()

    def disk_full(table, where, **kwargs):
        with open(where, "wb") as handle:  # a partial file, as a full disk leaves it
            handle.write(b"PAR1")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store.pq, "write_table", disk_full)
    assert sweep(path, "--results", results) == 2
    line = one_line_error(capsys)
    assert str(results / "full") in line and "No space left on device" in line
    assert "2 of 4 runs are stored" in line and "rerun to resume" in line
    monkeypatch.undo()
    after = experiments.load("full", "runs", results=results)
    assert after.equals(before)
    assert not list(results.rglob("*.tmp"))


# --- issue 19, item 4: a run's rows are stored together ---------------------------------------------
def test_a_failed_runs_write_leaves_no_curves_without_their_runs_row(tmp_path, capsys, monkeypatch):
    path = write_spec(tmp_path, "together", seeds=2)
    results = tmp_path / "results"
    write_shard = store.write_shard

    def runs_write_fails(results, study, table, rows):
        if table == "runs":
            raise store.UnwritableResults(f"cannot write to {results}/{study}/runs: injected")
        return write_shard(results, study, table, rows)

    monkeypatch.setattr(store, "write_shard", runs_write_fails)
    assert sweep(path, "--results", results) == 2
    assert "injected" in one_line_error(capsys)
    assert store.shard_paths(results, "together", "curves") == []  # undone with the runs row
    monkeypatch.undo()
    assert sweep(path, "--results", results) == 0  # the rerun stores each run's curves once
    assert len(store.shard_paths(results, "together", "curves")) == 2
    assert len(experiments.load("together", "curves", results=results)) == 4  # 2 runs x epochs 0, 1


def test_a_runs_row_that_cannot_be_stored_stores_none_of_its_run_s_rows(tmp_path, monkeypatch):
    from experiments.sweep import Writer

    to_arrow = store.to_arrow

    def out_of_range(table, rows):
        if table == "runs":
            raise OverflowError("int too big to convert")  # a seed of 2**64, say
        return to_arrow(table, rows)

    monkeypatch.setattr(store, "to_arrow", out_of_range)
    writer = Writer(tmp_path)
    curves = {"run_id": ["r"], "study": ["s"], "epoch": [0], "train_loss": [0.5]}
    writer.columns[("s", "curves")] = [curves]
    writer.runs["s"] = [{"run_id": "r", "study": "s", "status": "ok"}]
    with pytest.raises(OverflowError):
        writer.flush()
    assert not (tmp_path / "s").exists()


# --- 4, 5: shards that are not what they should be -------------------------------------------------
def test_a_parquet_file_without_run_id_is_named_with_the_missing_column(tmp_path):
    store.write_shard(tmp_path, "s", "runs", [{"run_id": "a", "status": "ok"}])
    stray = tmp_path / "s" / "runs" / "stray.parquet"
    pq.write_table(pa.table({"width": [10, 20]}), stray)
    with pytest.raises(experiments.CorruptResults, match=r"stray\.parquet.*'run_id'"):
        experiments.load("s", "runs", results=tmp_path)


def test_the_advice_for_a_corrupt_curves_shard_is_what_brings_the_curves_back(tmp_path, capsys):
    path = write_spec(tmp_path, "torn")
    results = tmp_path / "results"
    assert sweep(path, "--results", results) == 0
    (shard,) = store.shard_paths(results, "torn", "curves")
    shard.write_bytes(b"torn")
    with pytest.raises(experiments.CorruptResults) as caught:
        experiments.load("torn", "curves", results=results)
    advice = str(caught.value)
    assert str(shard) in advice
    # Deleting a curves shard alone reruns nothing (the runs row says done): the advice says so
    # and names the command that does bring the curves back.
    assert "will be rerun" not in advice and "sweep torn --force" in advice
    shard.unlink()
    assert sweep(path, "--results", results) == 0
    with pytest.raises(experiments.MissingResults):
        experiments.load("torn", "curves", results=results)
    assert sweep(path, "--results", results, "--force") == 0
    assert len(experiments.load("torn", "curves", results=results)) == 2  # epochs 0 and 1


def test_the_advice_for_a_corrupt_runs_shard_is_true(tmp_path):
    path = write_spec(tmp_path, "torn")
    results = tmp_path / "results"
    assert sweep(path, "--results", results) == 0
    (shard,) = store.shard_paths(results, "torn", "runs")
    shard.write_bytes(b"torn")
    with pytest.raises(experiments.CorruptResults, match="will be rerun"):
        experiments.load("torn", "runs", results=results)
    shard.unlink()
    assert sweep(path, "--results", results) == 0  # as the advice says: the run is rerun
    assert experiments.load("torn", "runs", results=results)["status"].tolist() == ["ok"]


# --- 9, 10: a bad shard in status and in a sweep of several studies --------------------------------
def test_status_exits_2_naming_an_unreadable_file(tmp_path, capsys):
    path = write_spec(tmp_path, "bad")
    results = tmp_path / "results"
    assert sweep(path, "--results", results) == 0
    (shard,) = store.shard_paths(results, "bad", "runs")
    shard.write_bytes(b"")
    assert main(["status", str(path), "--results", str(results)]) == 2
    assert str(shard) in capsys.readouterr().out


def test_one_bad_study_does_not_stop_the_others_and_is_reported_at_the_end(tmp_path, capsys, monkeypatch):
    studies = tmp_path / "studies"
    studies.mkdir()
    write_spec(studies, "broken")
    write_spec(studies, "fine", seeds=2)
    monkeypatch.setattr(catalog, "STUDIES_DIR", studies)
    results = tmp_path / "results"
    (results / "broken" / "runs").mkdir(parents=True)
    (results / "broken" / "runs" / "torn.parquet").write_bytes(b"")
    assert sweep("--results", results) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "torn.parquet" in err.splitlines()[-1]
    assert len(experiments.load("fine", "runs", results=results)) == 2
    assert not (results / "broken" / "curves").exists()


# --- also: compact on demand, and argument errors name the option -----------------------------------
def test_compact_command_leaves_one_shard_per_table_with_the_same_rows(tmp_path, capsys):
    for study in ("one", "two"):
        for i in range(3):
            store.write_shard(tmp_path, study, "runs", [{"run_id": f"r{i}", "status": "ok"}])
            store.write_shard(tmp_path, study, "curves", [{"run_id": f"r{i}", "epoch": 0}])
    assert main(["compact", "one", "--results", str(tmp_path)]) == 0
    assert len(store.shard_paths(tmp_path, "one", "runs")) == 1
    assert len(store.shard_paths(tmp_path, "two", "runs")) == 3
    assert "one/runs: 3 shards -> 1" in capsys.readouterr().out
    assert main(["compact", "--results", str(tmp_path)]) == 0
    for study in ("one", "two"):
        for table in ("runs", "curves"):
            assert len(store.shard_paths(tmp_path, study, table)) == 1
        assert sorted(experiments.load(study, "runs", results=tmp_path)["run_id"]) == ["r0", "r1", "r2"]


def test_a_non_numeric_jobs_value_names_the_option(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sweep", "--jobs", "abc"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--jobs" in err and "'abc'" in err and "positive_int" not in err


# --- 2, 7: a Dask cluster that is unreachable, has no workers, is lost, or is interrupted ----------
def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_fails_after_the_connect_timeout_with_one_line(tmp_path, capsys,
                                                                                monkeypatch):
    monkeypatch.setattr("experiments.backends.DASK_CONNECT_S", 1.0)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    results = tmp_path / "results"
    assert sweep(write_spec(tmp_path, "far"), "--results", results, "--backend", "dask",
                 "--scheduler", address) == 2
    line = one_line_error(capsys)
    assert line.startswith(f"error: cannot reach the Dask scheduler at {address} within 1 s")
    assert line.endswith(f"0 of 1 runs are stored in {results}/; rerun to resume")


@pytest.mark.slow  # timing-dependent: a busy machine can fail it
def test_a_scheduler_without_workers_fails_with_one_line(tmp_path, capsys, monkeypatch):
    from dask.distributed import LocalCluster

    monkeypatch.setattr("experiments.backends.DASK_FIRST_WORKER_S", 0.5)
    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert sweep(write_spec(tmp_path, "idle"), "--results", tmp_path / "results",
                     "--backend", "dask", "--scheduler", cluster.scheduler_address) == 2
    line = one_line_error(capsys)
    assert f"the Dask scheduler at {cluster.scheduler_address} has no workers" in line
    assert "0 of 1 runs are stored" in line and line.endswith("rerun to resume")


def ran_in_main_thread(job):
    import threading

    return {"run_id": job["run_id"], "main_thread": threading.current_thread() is threading.main_thread()}


@pytest.mark.slow  # timing-dependent: a busy machine can fail it
def test_a_one_worker_dask_cluster_runs_the_runs_on_its_worker(tmp_path):
    from dask.distributed import LocalCluster

    from experiments.backends import run_jobs

    jobs = [{"run_id": str(i)} for i in range(3)]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        results = list(run_jobs(jobs, "dask", 1, cluster.scheduler_address, task=ran_in_main_thread))
    assert sorted(r["run_id"] for r in results) == ["0", "1", "2"]
    assert not any(r["main_thread"] for r in results)  # joblib's dask backend ran them here


# Runs of a second or so: the cluster is lost, or Ctrl-C comes, while most are still to do.
LONG = TINY.replace("epochs = 1", "epochs = 300")


def start_dask_cluster(port: int) -> list[subprocess.Popen]:
    """A scheduler and one single-threaded worker, each its own process, on loopback; returns
    once the scheduler accepts connections."""
    import socket

    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                   "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet),
                 subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                   "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host",
                                   "127.0.0.1"], **quiet)]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return processes
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the Dask scheduler did not start within 120 s")


@pytest.mark.slow
def test_a_cluster_lost_mid_sweep_exits_2_with_one_line_and_what_is_stored(tmp_path, capsys, monkeypatch):
    from experiments.sweep import Writer

    monkeypatch.setattr("experiments.backends.DASK_FIRST_WORKER_S", 120.0)  # a loaded machine
    port = free_port()
    cluster = start_dask_cluster(port)
    add = Writer.add

    def store_then_lose_the_cluster(writer, result):
        add(writer, result)
        for process in cluster:  # the scheduler's machine goes away, and its worker with it
            process.kill()
            process.wait()

    monkeypatch.setattr(Writer, "add", store_then_lose_the_cluster)
    results = tmp_path / "results"
    try:
        status = sweep(write_spec(tmp_path, "lost", seeds=4, body=LONG), "--results", results,
                       "--backend", "dask", "--scheduler", f"tcp://127.0.0.1:{port}")
    finally:
        for process in cluster:
            process.kill()
    assert status == 2
    line = one_line_error(capsys)
    assert line.startswith(f"error: lost the Dask scheduler at tcp://127.0.0.1:{port}")
    assert line.endswith(f"1 of 4 runs are stored in {results}/; rerun to resume")
    assert len(experiments.load("lost", "runs", results=results)) == 1


@pytest.mark.slow
def test_ctrl_c_with_the_local_dask_backend_prints_one_line_and_exits_130(tmp_path):
    import signal

    # Runs long enough that the first stored one comes seconds before the last (a quiet CI
    # machine finished 16 runs of LONG before the signal arrived).
    path = write_spec(tmp_path, "stopped", seeds=16, body=TINY.replace("epochs = 1", "epochs = 3000"))
    results = tmp_path / "results"
    command = [sys.executable, "-m", "experiments", "sweep", str(path), "--results", str(results),
               "--backend", "dask", "--jobs", "2", "--quiet"]
    # A suite started in the background of a non-interactive shell inherits SIGINT ignored, and
    # Python keeps an ignored SIGINT ignored: give the sweep the terminal's default, as Ctrl-C finds it.
    sweep_process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not store.shard_paths(results, "stopped", "runs") and time.monotonic() < deadline:
        assert sweep_process.poll() is None, sweep_process.stderr.read()
        time.sleep(0.02)
    os.killpg(sweep_process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = sweep_process.communicate(timeout=120)
    assert sweep_process.returncode == 130, err
    assert err.splitlines() == [f"running 16 runs of stopped (16) into {results}/",
                                "interrupted: finished runs are stored; rerun the same command to resume"]


# --- 8: status where git cannot be run --------------------------------------------------------------
def test_status_shows_staleness_as_unknown_when_git_cannot_be_run(tmp_path, capsys, monkeypatch):
    from experiments import provenance

    path = write_spec(tmp_path, "elsewhere", seeds=2)
    results = tmp_path / "results"
    assert sweep(path, "--results", results) == 0  # stored with this checkout's commit
    capsys.readouterr()
    monkeypatch.setattr(provenance, "_git", lambda *args: None)  # git missing, or not our clone
    provenance.code_version.cache_clear()
    provenance.results_code_changed.cache_clear()
    try:
        assert main(["status", str(path), "--results", str(results)]) == 0
    finally:
        monkeypatch.undo()
        provenance.code_version.cache_clear()
        provenance.results_code_changed.cache_clear()
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("elsewhere "))
    # runs ok diverged failed pending stale
    assert row.split()[1:7] == ["2", "2", "0", "0", "0", "?"]
    assert "2 of unknown staleness" in row and "git cannot be run" in out


# --- 6: a grid too large to expand ------------------------------------------------------------------
HUGE = TINY.replace("width = 5", "") + """
    [grid]
    width = [%s]
    lr = [%s]
    """ % (", ".join(str(w) for w in range(1, 101)), ", ".join(f"{k}e-5" for k in range(1, 101)))


def test_a_spec_of_ten_million_runs_is_refused_before_expanding_naming_count_and_factors(tmp_path, capsys):
    path = write_spec(tmp_path, "huge", seeds=1000, body=HUGE)
    assert main(["plan", str(path)]) == 2
    assert one_line_error(capsys) == (
        f"error: {path}: grid: expands to 10,000,000 runs (grid.width 100 x grid.lr 100 x "
        "seeds 1,000), more than the limit of 100,000; check the spec, or pass --max-runs "
        "10000000 to run it")


def test_max_runs_sets_the_limit(tmp_path, capsys):
    path = write_spec(tmp_path, "three", seeds=3)
    assert main(["plan", str(path), "--max-runs", "2"]) == 2
    assert "expands to 3 runs (seeds 3), more than the limit of 2" in capsys.readouterr().err
    assert main(["plan", str(path), "--max-runs", "3"]) == 0


# --- issue 19, item 6: one sweep per study at a time -------------------------------------------------
HOLDER = """
import sys
from experiments.lock import study_lock
with study_lock(sys.argv[1], sys.argv[2]):
    print("locked", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def hold_lock(results, study) -> subprocess.Popen:
    """Another process holding ``study``'s sweep lock, as a running sweep does."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(results), study], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout.readline() == "locked\n"
    return holder


def release(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    assert holder.wait(timeout=60) == 0


def test_a_second_sweep_of_a_study_being_swept_names_the_holder_and_exits_2(tmp_path, capsys):
    import socket

    path = write_spec(tmp_path, "busy")
    results = tmp_path / "results"
    holder = hold_lock(results, "busy")
    try:
        assert sweep(path, "--results", results) == 2
        line = one_line_error(capsys)
    finally:
        release(holder)
    assert line == (f"error: study 'busy' is being swept by process {holder.pid} on "
                    f"{socket.gethostname()} (lock: {results / 'busy' / '.sweep.lock'}); let it "
                    "finish, or pass --wait to start when it does")
    assert store.shard_paths(results, "busy", "runs") == []  # ran nothing
    assert sweep(path, "--results", results) == 0  # released: runs


def test_sweeps_of_different_studies_run_side_by_side(tmp_path):
    results = tmp_path / "results"
    holder = hold_lock(results, "other")
    try:
        assert sweep(write_spec(tmp_path, "mine"), "--results", results) == 0
    finally:
        release(holder)
    assert len(experiments.load("mine", "runs", results=results)) == 1


def test_the_lock_of_a_killed_sweep_does_not_block(tmp_path):
    results = tmp_path / "results"
    holder = hold_lock(results, "stale")
    holder.kill()  # kill -9: its lock file stays, with its pid
    holder.wait()
    assert (results / "stale" / ".sweep.lock").read_text().startswith(f"{holder.pid} ")
    assert sweep(write_spec(tmp_path, "stale"), "--results", results) == 0


def test_wait_starts_the_sweep_when_the_holder_finishes(tmp_path, capsys):
    import threading

    path = write_spec(tmp_path, "queued")
    results = tmp_path / "results"
    holder = hold_lock(results, "queued")
    releaser = threading.Timer(1.0, release, [holder])
    releaser.start()
    started = time.monotonic()
    try:
        assert sweep(path, "--results", results, "--wait") == 0
    finally:
        releaser.join()
    assert time.monotonic() - started >= 1.0
    assert f"waiting for process {holder.pid} on " in capsys.readouterr().err
    assert len(experiments.load("queued", "runs", results=results)) == 1


# --- issue 19, item 5: SIGTERM is handled like Ctrl-C ------------------------------------------------
def live_processes_in_group(group: int) -> list[str]:
    """Command lines of the processes (not zombies) whose process group is ``group``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[2]) == group:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    found.append(handle.read().replace(b"\0", b" ").decode()[:120])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return found


@pytest.mark.slow
def test_sigterm_stops_the_loky_workers_prints_one_line_and_exits_143(tmp_path):
    import signal

    path = write_spec(tmp_path, "termed", seeds=8, body=LONG)
    results = tmp_path / "results"
    command = [sys.executable, "-m", "experiments", "sweep", str(path), "--results", str(results),
               "--jobs", "2", "--quiet"]
    sweep_process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while not store.shard_paths(results, "termed", "runs") and time.monotonic() < deadline:
            assert sweep_process.poll() is None, sweep_process.stderr.read()
            time.sleep(0.02)
        assert len(live_processes_in_group(sweep_process.pid)) >= 3  # the sweep and 2 workers
        sweep_process.send_signal(signal.SIGTERM)  # to the sweep alone, as `kill PID` does
        _, err = sweep_process.communicate(timeout=120)
        deadline = time.monotonic() + 30  # loky's resource tracker ends when its pipe closes
        while live_processes_in_group(sweep_process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = live_processes_in_group(sweep_process.pid)
    finally:
        for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
            try:
                if os.getpgid(int(pid)) == sweep_process.pid:
                    os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    assert sweep_process.returncode == 143, err
    assert err.splitlines() == [f"running 8 runs of termed (8) into {results}/",
                                "terminated: finished runs are stored; rerun the same command to resume"]
    assert survivors == []
    stored = experiments.load("termed", "runs", results=results)
    assert 1 <= len(stored) < 8 and set(stored.status) == {"ok"}


# --- issue 19, item 7: the streaming compaction keeps kill -9 harmless -------------------------------
COMPACT_ONE = """
import sys
from experiments import compaction
print("started", flush=True)
compaction.compact(sys.argv[1], "killed", sys.argv[2])
"""


@pytest.mark.slow
def test_kill_9_at_any_moment_of_a_compaction_loses_nothing(tmp_path):
    import random

    results = tmp_path / "results"
    for i in range(300):
        store.write_shard(results, "killed", "runs", [{"run_id": f"r{i % 250}", "status": f"v{i}"}])
        store.write_shard(results, "killed", "curves", [{"run_id": f"r{i % 250}", "epoch": e}
                                                         for e in range(i % 7 + 1)])

    def rows(table):
        frame = experiments.load("killed", table, results=results)
        return sorted(map(tuple, frame[["run_id", "status" if table == "runs" else "epoch"]].values))

    before = {table: rows(table) for table in ("runs", "curves")}
    chances = random.Random(0)
    for attempt in range(6):
        table = ("runs", "curves")[attempt % 2]
        compactor = subprocess.Popen([sys.executable, "-c", COMPACT_ONE, str(results), table],
                                     stdout=subprocess.PIPE, text=True)
        assert compactor.stdout.readline() == "started\n"
        time.sleep(chances.uniform(0.0, 1.0))
        compactor.kill()
        compactor.wait()
        assert {t: rows(t) for t in ("runs", "curves")} == before
    store.clean_temporaries(results)
    for table in ("runs", "curves"):
        compaction.compact(results, "killed", table)
        assert len(store.shard_paths(results, "killed", table)) == 1
    assert {t: rows(t) for t in ("runs", "curves")} == before
    assert not list(results.rglob("*.tmp"))
