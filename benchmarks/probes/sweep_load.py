"""The load figures of a real sweep: runs stored per second for many tiny runs with ``--jobs 2``,
the sweep process's own peak memory, then ``status`` and ``reports build`` on its results.

    .venv/bin/python -m benchmarks.probes.store_scale --sweep 3000 [--dir DIR]

Each step is a child process (what a user runs); the sweep's peak memory is its own
(``RUSAGE_SELF`` in the sweep process: not its workers'). Wall seconds: on a shared machine they
vary with the load, so the load average is printed with them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

WIDTHS = [3, 4, 5]

# The sweep command in a child that reports its own peak resident memory on its last line.
SWEEP_CHILD = """
import json, resource, sys, time
from experiments.cli import main
started = time.perf_counter()
status = main(sys.argv[1:])
print(json.dumps({"status": status, "wall_s": time.perf_counter() - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_spec(directory: Path, n_runs: int) -> Path:
    """``n_runs`` runs of one epoch on 400 sin-cos samples (milliseconds each)."""
    path = directory / "load.toml"
    path.write_text(f'name = "load"\nseeds = {max(1, n_runs // len(WIDTHS))}\n[base]\n'
                    'dataset = "sincos"\ndataset_options = { step = 0.5 }\nreduction = "sum"\n'
                    f"batch_size = 10\nepochs = 1\n[grid]\nwidth = {WIDTHS}\n")
    return path


def timed(command: list[str]) -> tuple[float, str]:
    """Wall seconds of ``command`` and its standard output; fails loudly if it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).parents[2])
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def main(n_runs: int, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    results, out = work / "results", work / "report"
    shutil.rmtree(results, ignore_errors=True)
    spec_path = write_spec(work, n_runs)
    python = sys.executable
    sweep_s, sweep_out = timed([python, "-c", SWEEP_CHILD, "sweep", str(spec_path), "--results",
                                str(results), "--jobs", "2", "--quiet"])
    figures = json.loads(sweep_out.splitlines()[-1])
    load = os.getloadavg()[0]
    status_s, _ = timed([python, "-m", "experiments", "status", str(spec_path), "--results",
                         str(results)])
    report_s, _ = timed([python, "-m", "reports", "build", str(spec_path), "--results",
                         str(results), "--out", str(out), "--quiet"])
    n_stored = len(__import__("experiments").load("load", "runs", results=results))
    print(f"\n{n_stored} tiny runs (1 epoch, 400 samples), sweep --jobs 2; load average "
          f"{load:.1f}\n")
    print("| figure | measured |\n| --- | ---: |")
    print(f"| runs stored per second (whole command) | {n_stored / sweep_s:.0f} |")
    print(f"| runs stored per second (inside `main`) | {n_stored / figures['wall_s']:.0f} |")
    print(f"| sweep process peak RSS | {figures['peak_rss_mb']:.0f} MB |")
    print(f"| `python -m experiments status` | {status_s:.1f} s |")
    print(f"| `python -m reports build` | {report_s:.1f} s |")
