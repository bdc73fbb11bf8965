"""What a fresh machine's first sweep pays to compile the compiled engine's kernels: the warm-up of the
default studies (``experiments.warmup.warm_compiled`` over their jobs) with an empty numba cache.

    nice python -m benchmarks.probes.warmup_compile [--rounds 3] [--against REV]

Each measurement is a fresh Python process with a fresh, empty ``NUMBA_CACHE_DIR``, so every kernel
the default studies call is compiled, as on a new clone's first ``make report``. Printed per process:
the seconds of ``warm_compiled`` (what the sweep reports as its warm-up, in its pool of one process
per core), the CPU seconds the probe's own process took (all of it where a revision warmed up in
one process) and the seconds of the imports before it. With ``--against REV``, that revision's tree (``git archive``; or
a folder holding another checkout) takes turns with the working tree's, each on its own cache, the
order swapped every round, so that a busy spell of this shared machine hits both sides alike; the
last lines give each side's medians and the median ratios of the rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import host_line

ROOT = Path(__file__).resolve().parents[2]
PROBE = """if True:
    import json, time
    started = time.perf_counter()
    from experiments import catalog, sweep
    from experiments.warmup import kernel_configs, warm_compiled
    jobs = [job for study in catalog.default_studies() for job in sweep._jobs(study, study.runs, "loky", 2)]
    imported, cpu = time.perf_counter(), time.process_time()
    try:  # as a loky sweep warms up: the first jobs of its pool, one part per process
        from experiments.backends import default_workers, run_jobs
        from experiments.warmup import run_or_warm, warm_jobs
        list(run_jobs(warm_jobs(jobs), "loky", default_workers(), task=run_or_warm))
        warm_s = time.perf_counter() - imported
    except ImportError:  # a revision that warmed up in the sweep's own process
        warm_s = warm_compiled(jobs)
    print(json.dumps({"import_s": imported - started, "warm_s": warm_s, "warm_cpu_s": time.process_time() - cpu,
                      "kernels": len(kernel_configs(jobs))}))
"""


def warm_up(tree: Path) -> dict:
    """One fresh process running the default studies' warm-up from ``tree`` on an empty numba cache."""
    with tempfile.TemporaryDirectory(prefix="nnstudy-numba-") as cache_dir:
        environment = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "PYTHONPATH": str(tree)}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                              cwd=tree, env=environment)
    return {**json.loads(done.stdout.splitlines()[-1]), "process_s": time.perf_counter() - started}


def export(revision: str, folder: Path) -> Path:
    """The tree of ``revision`` written into ``folder`` (``git archive``), or ``revision`` itself when
    it is a folder (another checkout)."""
    if Path(revision).is_dir():
        return Path(revision).resolve()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def summarize(seconds: dict[str, dict[str, list[float]]], against: str | None, digits: int = 1) -> None:
    """Print each side's medians ({side: {column: values per round}}) and, with a revision taking
    turns (``against``), the median ratio this tree / it of the rounds, per column."""
    for name, columns in seconds.items():
        print(f"{name}: " + ", ".join(f"{column} median {statistics.median(values):.{digits}f} (min "
                                      f"{min(values):.{digits}f}, max {max(values):.{digits}f})"
                                      for column, values in columns.items()))
    for column in seconds[against] if against else ():
        ratios = [new / old for new, old in zip(seconds["this tree"][column], seconds[against][column])]
        print(f"this tree / {against}, {column}: median ratio of the rounds {statistics.median(ratios):.2f} "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f}, {len(ratios)} rounds)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probes.warmup_compile",
                                      description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="cold-cache warm-ups per side (default 3)")
    parser.add_argument("--against", metavar="REV",
                        help="a revision (or another checkout's folder) whose warm-up takes turns with this tree's")
    args = parser.parse_args(argv)
    print(host_line())  # whose machine the figures below come from
    with tempfile.TemporaryDirectory(prefix="nnstudy-tree-") as folder:
        sides = {"this tree": ROOT}
        if args.against:
            sides = {args.against: export(args.against, Path(folder)), **sides}
        seconds = {name: {"warm_s": [], "warm_cpu_s": []} for name in sides}
        print(f"{'round':>5} {'side':<16} {'import s':>9} {'warm-up s':>10} {'its CPU s':>10} {'process s':>10} "
              f"{'kernels':>8}")
        for round_index in range(args.rounds):
            names = list(sides) if round_index % 2 == 0 else list(reversed(sides))
            for name in names:
                row = warm_up(sides[name])
                for column, values in seconds[name].items():
                    values.append(row[column])
                print(f"{round_index:>5} {name:<16} {row['import_s']:>9.2f} {row['warm_s']:>10.2f} "
                      f"{row['warm_cpu_s']:>10.2f} {row['process_s']:>10.2f} {row['kernels']:>8}", flush=True)
    summarize(seconds, args.against, digits=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
