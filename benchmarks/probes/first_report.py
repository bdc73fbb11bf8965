"""A new user's first report: wall time from ``git clone`` to ``reports/out/index.html``, install
included, split into clone, install, compile, sweep and build; then a second ``make report`` with
nothing to run.

    python -m benchmarks.probes.first_report [--repo PATH_OR_URL] [--dir DIR] [--keep]

Each step runs as a user types it, in a fresh clone of ``--repo`` (default: this checkout's
committed HEAD): ``make .venv/.installed-core`` (a new venv and the core, installed by uv: needs the
package index), then ``make report``, whose output lines are timestamped as they arrive: the sweep
runs from its start to its last "done in" line (retrains and ``[resolve]`` rounds included; those
lines also give the seconds spent making the compiled engine's kernels, the compile: numba's cache
starts empty in a new clone), the build from there to "report written". Beside each wall time, the
CPU seconds of the step's processes (user + system, workers included), and the load average: on a
shared machine the wall times move with the load, the CPU seconds much less. Not a test: it takes
minutes and needs the network.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DONE = re.compile(r"done in ([\d.]+) (s|min|h)(?: \(of which ([\d.]+) (s|min|h) making the compiled kernels\))?")
UNIT = {"s": 1.0, "min": 60.0, "h": 3600.0}
TIMELINE = ("running ", "done in ", "stage 2", "resolve:", "report written")


def timed_lines(command: list[str], cwd: Path) -> tuple[float, list[tuple[float, str]], int]:
    """Run ``command``; (wall seconds, [(seconds since start, line)] of stdout and stderr, status)."""
    started = time.perf_counter()
    # A new user's caches: an empty one beside the clone (pip's, the report's script bundle); and
    # a user's shell, which lets Python keep the byte code it compiles (some sandboxes forbid it).
    environment = {**os.environ, "PYTHONPATH": "", "XDG_CACHE_HOME": str(cwd.parent / "cache")}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1, env=environment)
    lines = [(time.perf_counter() - started, line.rstrip("\n")) for line in process.stdout]
    status = process.wait()
    return time.perf_counter() - started, lines, status


def seconds_of(value: str, unit: str) -> float:
    return float(value) * UNIT[unit]


def report_split(lines: list[tuple[float, str]], wall: float) -> dict[str, float]:
    """compile, sweep (without the compile) and build seconds of one ``make report``'s output.

    The sweep runs from the start to its last "done in" line (the first batch, a searched study's
    retrains, each ``[resolve]`` round), the compile is what those lines say was spent making the
    kernels, and the build is the rest."""
    dones = [(t, DONE.search(line)) for t, line in lines if DONE.search(line)]
    if not dones:  # nothing to run: all of it is the sweep's check and the build
        return {"compile_s": 0.0, "sweep_s": 0.0, "build_s": wall}
    compile_s = sum(seconds_of(found.group(3), found.group(4)) for _, found in dones if found.group(3))
    end = dones[-1][0]
    return {"compile_s": compile_s, "sweep_s": end - compile_s, "build_s": wall - end}


def host() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    return f"{model}, {os.cpu_count()} cores"


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def step(name: str, command: list[str], cwd: Path, figures: dict) -> tuple[float, list]:
    print(f"{name}: {' '.join(command)} (load {load()})", flush=True)
    cpu = children_cpu()
    wall, lines, status = timed_lines(command, cwd)
    figures[f"{name}_cpu_s"] = round(children_cpu() - cpu, 1)
    if status != 0:
        tail = "\n".join(line for _, line in lines[-20:])
        raise SystemExit(f"{name} failed (exit {status}):\n{tail}")
    figures[f"{name}_wall_s"] = round(wall, 1)
    return wall, lines


def measure(repo: str, folder: Path) -> dict:
    figures = {"host": host(), "load_before": load()}
    clone_s, _ = step("clone", ["git", "clone", "--quiet", repo, str(folder / "nnstudy")], folder, figures)
    checkout = folder / "nnstudy"
    install_s, _ = step("install", ["make", ".venv/.installed-core"], checkout, figures)
    report_s, lines = step("report", ["make", "report"], checkout, figures)
    for seconds, line in lines:  # the sweep's batches and rounds, and the build's end, timed
        if line.startswith(TIMELINE):
            print(f"  {seconds:6.1f} s  {line[:110]}", flush=True)
    figures.update({key: round(value, 1) for key, value in report_split(lines, report_s).items()})
    figures["first_total_s"] = round(clone_s + install_s + report_s, 1)
    figures["index_html"] = (checkout / "reports" / "out" / "index.html").exists()
    figures["load_after_first"] = load()
    second_s, _ = step("second_report", ["make", "report"], checkout, figures)
    figures["load_after_second"] = load()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probes.first_report",
                                     description=__doc__.split("\n\n")[0])
    here = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True).stdout.strip()
    parser.add_argument("--repo", default=here, help="what to clone (default: this checkout)")
    parser.add_argument("--dir", type=Path, help="where to clone (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its venv and results)")
    args = parser.parse_args(argv)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="nnstudy-first-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        figures = measure(args.repo, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
