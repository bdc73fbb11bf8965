"""How the results store scales: `status` and `load` on a study of 10^4 runs, uncompacted (as an
interrupted sweep leaves it: one shard per run and table) and compacted, and the compaction.

    .venv/bin/python -m benchmarks.probes.store_scale [--runs 10000] [--dir /tmp/store_scale]
    (or --fabricate-only, then --reuse: write once, time again after a code change;
    --compact-only: only the compaction's time and peak memory, each table in a child process;
    --code DIR: compact with the code of another checkout, e.g. an older commit's)
    .venv/bin/python -m benchmarks.probes.store_scale --sweep 3000 [--dir DIR]
    (the load figures: a real `sweep --jobs 2` of that many tiny runs (1 epoch, 400 sin-cos
    samples), then `status` and `reports build` on its results, each a child process; the
    sweep's peak memory is its own, RUSAGE_SELF, not its workers'; the load average is printed
    beside the wall seconds)

Fabricates the stored rows without training: for each run of a spec of ``--runs`` runs (width x
lr x seeds), a ``runs`` row with every column of the schema and 31 ``curves`` rows (30 epochs),
each run written as its own shards, as a sweep writes them. Then times, in this process:
``status`` (the CLI command, and its parts: expanding the spec, reading the runs table), ``load``
of both tables, ``compact`` of both tables, and the same reads again. Not a pytest file: writing
the 20,000 shards takes a minute or two.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import experiments
from experiments import compaction, progress, provenance, store
from experiments.spec import load_spec
from experiments.study import Study
from experiments.cli import main as cli
from experiments.fields import config_columns

from benchmarks.machine import host_line

EPOCHS = 30
WIDTHS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
LRS = [1e-4, 2e-4, 3e-4, 5e-4, 7e-4, 1e-3, 2e-3, 3e-3, 5e-3, 7e-3]


def write_spec(directory: Path, n_runs: int) -> Path:
    seeds = max(1, n_runs // (len(WIDTHS) * len(LRS)))
    path = directory / "scale.toml"
    path.write_text(f'name = "scale"\nseeds = {seeds}\n[base]\ndataset = "sincos"\n'
                    f'reduction = "sum"\nepochs = {EPOCHS}\nbatch_size = 10\ndepth = 1\n'
                    f"[grid]\nwidth = {WIDTHS}\nlr = {LRS}\n")
    return path


def fabricate(study: Study, results: Path) -> None:
    """One runs shard and one curves shard per run, with plausible values (written by a few
    threads: Parquet writing releases the GIL)."""
    rng = np.random.default_rng(0)
    code, machine = provenance.code_version(), provenance.machine()
    now = datetime.now(timezone.utc)
    n_epochs = EPOCHS + 1
    losses = np.sort(rng.uniform(0.01, 1.0, (len(study.runs), n_epochs)), axis=1)[:, ::-1]
    runs = store.to_arrow("runs", [{
        "run_id": run.run_id, "study": study.name, "status": "ok", **config_columns(run.config),
        "final_train_loss": loss[-1], "final_val_loss": loss[-1] * 1.1,
        "best_train_loss": loss[-1], "best_val_loss": loss[-1] * 1.1, "epochs_run": EPOCHS,
        "wall_s": 3.0, "sec_per_epoch": 0.1, "metrics": "{}", "started_at": now, "ended_at": now,
        **code, **machine, "backend": "loky", "n_workers": 2, "blas_threads": 1}
        for run, loss in zip(study.runs, losses)])
    curves = store.to_arrow("curves", {
        "run_id": np.repeat([run.run_id for run in study.runs], n_epochs),
        "study": [study.name] * (len(study.runs) * n_epochs),
        "epoch": np.tile(np.arange(n_epochs), len(study.runs)), "train_loss": losses.ravel(),
        "val_loss": losses.ravel() * 1.1, "train_acc": np.full(losses.size, np.nan),
        "val_acc": np.full(losses.size, np.nan),
        "lr": np.repeat([run.config["lr"] for run in study.runs], n_epochs),
        "epoch_s": rng.uniform(0.1, 0.2, losses.size)})

    def write_run(i: int) -> None:
        store.write_shard(results, study.name, "curves", curves.slice(i * n_epochs, n_epochs))
        store.write_shard(results, study.name, "runs", runs.slice(i, 1))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write_run, range(len(study.runs))))


def seconds(action) -> tuple[float, float]:
    """(wall, CPU) seconds of ``action()``: on a shared machine the CPU time is the steadier."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def quiet_status(spec_path: Path, results: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli(["status", str(spec_path), "--results", str(results)]) == 0


def measure(spec_path: Path, results: Path) -> dict[str, tuple[float, float]]:
    return {
        "status": seconds(lambda: quiet_status(spec_path, results)),
        "  expand the spec": seconds(lambda: load_spec(spec_path)),
        "  read the runs table": seconds(lambda: progress.stored_runs(results, "scale")),
        "load runs": seconds(lambda: experiments.load("scale", "runs", results=results)),
        "load curves": seconds(lambda: experiments.load("scale", "curves", results=results)),
    }


# A child process compacts one table and reports its own peak memory (RUSAGE_SELF: this child
# alone) and Arrow's peak allocation.
COMPACT_CHILD = """
import json, resource, sys, time
import pyarrow as pa
from experiments import compaction
started = time.perf_counter()
compaction.compact(sys.argv[1], "scale", sys.argv[2])
print(json.dumps({"wall_s": time.perf_counter() - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "arrow_peak_mb": pa.default_memory_pool().max_memory() / 2**20}))
"""


def compact_in_child(results: Path, table: str, code: Path | None = None) -> dict:
    """Compact ``table`` in a fresh process (with the code in ``code`` if given); its wall
    seconds, peak resident memory and Arrow's peak allocation, in MB."""
    code = code or Path(__file__).resolve().parents[2]
    # Run in ``code``: with -c, the current folder comes first on the import path.
    out = subprocess.run([sys.executable, "-c", COMPACT_CHILD, str(results), table], check=True,
                         capture_output=True, text=True, cwd=code,
                         env={**os.environ, "PYTHONPATH": str(code)}).stdout
    return json.loads(out.splitlines()[-1])


def report_compaction(results: Path, n_runs: int, code: Path | None) -> None:
    results = results.resolve()
    n_shards = {table: len(store.shard_paths(results, "scale", table)) for table in ("runs", "curves")}
    print(f"\ncompaction of {n_runs} runs, each table in its own process"
          f"{f' (code of {code})' if code else ''}\n")
    print("| table | shards | wall s | peak RSS MB | Arrow peak MB |\n| --- | ---: | ---: | ---: | ---: |")
    for table, n in n_shards.items():
        figures = compact_in_child(results, table, code)
        print(f"| {table} | {n} | {figures['wall_s']:.1f} | {figures['peak_rss_mb']:.0f} | "
              f"{figures['arrow_peak_mb']:.0f} |", flush=True)


LOAD_WIDTHS = [3, 4, 5]
# The sweep command in a child that reports its own peak resident memory on its last line.
SWEEP_CHILD = """
import json, resource, sys, time
from experiments.cli import main
started = time.perf_counter()
status = main(sys.argv[1:])
print(json.dumps({"status": status, "wall_s": time.perf_counter() - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def timed(command: list[str]) -> tuple[float, str]:
    """Wall seconds of ``command`` and its standard output; fails loudly if it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).parents[2])
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def sweep_load(n_runs: int, work: Path) -> None:
    """Runs stored per second of a real ``sweep --jobs 2`` of ``n_runs`` one-epoch runs, the sweep
    process's peak memory, then ``status`` and ``reports build`` on its results."""
    work.mkdir(parents=True, exist_ok=True)
    results, spec_path = work / "results", work / "load.toml"
    shutil.rmtree(results, ignore_errors=True)
    spec_path.write_text(f'name = "load"\nseeds = {max(1, n_runs // len(LOAD_WIDTHS))}\n[base]\n'
                         'dataset = "sincos"\ndataset_options = { step = 0.5 }\nreduction = "sum"\n'
                         f"batch_size = 10\nepochs = 1\n[grid]\nwidth = {LOAD_WIDTHS}\n")
    where = ["--results", str(results)]
    sweep_s, sweep_out = timed([sys.executable, "-c", SWEEP_CHILD, "sweep", str(spec_path), *where,
                                "--jobs", "2", "--quiet"])
    figures, load = json.loads(sweep_out.splitlines()[-1]), os.getloadavg()[0]
    status_s, _ = timed([sys.executable, "-m", "experiments", "status", str(spec_path), *where])
    report_s, _ = timed([sys.executable, "-m", "reports", "build", str(spec_path), *where,
                         "--out", str(work / "report"), "--quiet"])
    n_stored = len(experiments.load("load", "runs", results=results))
    print(f"\n{n_stored} tiny runs (1 epoch, 400 samples), sweep --jobs 2; load average {load:.1f}\n")
    print("| figure | measured |\n| --- | ---: |")
    print(f"| runs stored per second (whole command) | {n_stored / sweep_s:.0f} |")
    print(f"| runs stored per second (inside `main`) | {n_stored / figures['wall_s']:.0f} |")
    print(f"| sweep process peak RSS | {figures['peak_rss_mb']:.0f} MB |")
    print(f"| `python -m experiments status` | {status_s:.1f} s |")
    print(f"| `python -m reports build` | {report_s:.1f} s |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--fabricate-only", action="store_true",
                        help="write the uncompacted results and stop (time them with --reuse)")
    parser.add_argument("--reuse", action="store_true",
                        help="time the uncompacted results an earlier --fabricate-only left in --dir")
    parser.add_argument("--compact-only", action="store_true",
                        help="only compact, each table in a child process: time and peak memory")
    parser.add_argument("--code", type=Path, help="with --compact-only: compact with this "
                        "checkout's code (default: this one)")
    parser.add_argument("--sweep", type=int, metavar="N",
                        help="instead: the load figures of a real sweep of N tiny runs")
    args = parser.parse_args(argv)
    print(host_line())  # whose machine the figures below come from
    work = args.dir or Path(tempfile.mkdtemp(prefix="store_scale-"))
    if args.sweep:
        return sweep_load(args.sweep, work)
    results = work / "results"
    if not args.reuse:
        work.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(results, ignore_errors=True)
        study = load_spec(write_spec(work, args.runs))
        print(f"fabricating {len(study.runs)} runs into {results} ...", flush=True)
        written, _ = seconds(lambda: fabricate(study, results))
        print(f"  {written:.0f} s for {2 * len(study.runs)} shards", flush=True)
        if args.fabricate_only:
            return
    spec_path = work / "scale.toml"
    study = load_spec(spec_path)
    if args.compact_only:
        return report_compaction(results, len(study.runs), args.code)
    n_shards = {table: len(store.shard_paths(results, "scale", table)) for table in ("runs", "curves")}
    uncompacted = measure(spec_path, results)
    compacting = {f"compact {table} ({n} shards)": seconds(lambda: compaction.compact(results, "scale", table))
                  for table, n in n_shards.items()}
    compacted = measure(spec_path, results)
    print(f"\n{len(study.runs)} runs, {EPOCHS + 1} curve rows each; seconds, wall (CPU)\n")
    print("| | uncompacted | compacted |\n| --- | ---: | ---: |")
    for name in uncompacted:
        print(f"| {name} | {_pair(uncompacted[name])} | {_pair(compacted[name])} |")
    for name, value in compacting.items():
        print(f"| {name} | {_pair(value)} | |")


def _pair(times: tuple[float, float]) -> str:
    return f"{times[0]:.2f} ({times[1]:.2f})"


if __name__ == "__main__":
    main()
