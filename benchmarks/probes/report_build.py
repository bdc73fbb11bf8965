"""How long the report takes to build from one results folder, in turns with another revision's build.

    python -m benchmarks.probes.report_build --results DIR [--against REV] [--rounds 3] [--jobs 1]

Each build is ``python -m reports build --results DIR --out OUT --jobs N`` in a fresh process with an
empty ``OUT`` (no figure cache to copy from), from a copy of ``DIR`` made once (so that no build can
write into the original). Printed per build: its wall seconds and the CPU seconds of its processes
(user + system, workers included). With ``--against REV``, that revision's tree (``git archive``; or
a folder holding another checkout) takes turns with the working tree's, the order swapped every
round, so that a busy spell of this shared machine hits both sides alike; the last lines give each
side's medians and the median ratios of the rounds (below 1: the working tree builds faster).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import host_line
from benchmarks.probes.warmup_compile import export, summarize

ROOT = Path(__file__).resolve().parents[2]


def build_seconds(tree: Path, results: Path, out: Path, jobs: int) -> dict[str, float]:
    """Wall and CPU seconds of one report build from ``tree``'s code into an empty ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reports", "build", "--results", str(results), "--out", str(out),
                    "--jobs", str(jobs)], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"wall_s": wall, "cpu_s": cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probes.report_build",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, required=True, help="the results folder to build from")
    parser.add_argument("--against", metavar="REV",
                        help="a revision (or another checkout's folder) whose build takes turns with this tree's")
    parser.add_argument("--rounds", type=int, default=3, help="builds per side (default 3)")
    parser.add_argument("--jobs", type=int, default=1, help="the build's worker processes (default 1)")
    args = parser.parse_args(argv)
    print(host_line())  # whose machine the figures below come from
    with tempfile.TemporaryDirectory(prefix="nnstudy-report-build-") as folder:
        folder = Path(folder)
        results = folder / "results"
        shutil.copytree(args.results, results)
        sides = {"this tree": ROOT}
        if args.against:
            (folder / "tree").mkdir()
            sides = {args.against: export(args.against, folder / "tree"), **sides}
        seconds = {name: {"wall_s": [], "cpu_s": []} for name in sides}
        print(f"{'round':>5} {'side':<16} {'wall s':>8} {'CPU s':>8} {'load':>6}")
        for round_index in range(args.rounds):
            names = list(sides) if round_index % 2 == 0 else list(reversed(sides))
            for name in names:
                row = build_seconds(sides[name], results, folder / "out", args.jobs)
                for column, values in seconds[name].items():
                    values.append(row[column])
                print(f"{round_index:>5} {name:<16} {row['wall_s']:>8.1f} {row['cpu_s']:>8.1f} "
                      f"{os.getloadavg()[0]:>6.2f}", flush=True)
    summarize(seconds, args.against)
    return 0


if __name__ == "__main__":
    sys.exit(main())
