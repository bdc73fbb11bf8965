"""One round of a comparison: one fresh pytest-benchmark process running a checkout's own benchmarks.

The process runs with the checkout first on ``PYTHONPATH`` (its own ``nncore``, ``benchmarks``, ...),
this interpreter (``sys.executable``, so the same packages), one BLAS thread, and the plugin folder
``benchmarks/pytest_plugin`` (peak memory and the machine fingerprint, for commits of any age).
Each round gives, per benchmark, the fastest of its timed rounds (on a shared machine load only ever
adds time) and the peak memory of one call. Every round runs pinned to one CPU (``default_cpu``):
on this VM the two vCPUs differ by about 1.6x on the same matmul, and a process lands on either,
which made per-round values bimodal until the rounds were pinned.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.gitrepo import BadInput, Side

PLUGIN_DIR = Path(__file__).resolve().parent / "pytest_plugin"
PLUGIN = "nnstudy_bench_plugin"
TARGETS = ("benchmarks",)
# The peers time other libraries (slow, and torch is optional): `make bench-peers` runs them.
PYTEST_ARGS = ("-q", "--benchmark-only", "--ignore=benchmarks/test_peers.py", "-p", "no:cacheprovider",
               "--benchmark-min-rounds=5", "--benchmark-max-time=0.2")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
PYTEST_NO_TESTS = 5


class CannotRun(Exception):
    """A checkout's benchmarks do not run (import error, failing test): bisect skips such commits."""


@dataclass(frozen=True)
class Measured:
    """One benchmark in one round: ``time_s`` its fastest timed round, ``median_s`` the median,
    ``peak_bytes`` tracemalloc's peak of one call and ``reference_s`` the plugin's reference
    workload timed right after it in the same process (None without the plugin)."""

    benchmark: str
    time_s: float
    median_s: float
    inner_rounds: int
    peak_bytes: float | None
    reference_s: float | None = None


def default_cpu() -> int | None:
    """The lowest-numbered CPU this process may run on (None where affinity is unsupported)."""
    try:
        return min(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def pinned_to(cpu: int | None):
    """A ``preexec_fn`` pinning the child process to ``cpu`` (None: no pinning)."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def environment(side: Side) -> dict[str, str]:
    inherited = os.environ.get("PYTHONPATH")
    path = os.pathsep.join([str(side.path), str(PLUGIN_DIR)] + ([inherited] if inherited else []))
    return {**os.environ, **ONE_THREAD, "PYTHONPATH": path}


def pytest_command(targets: list[str], selection: str | None, extra: tuple[str, ...] = ()) -> list[str]:
    command = [sys.executable, "-m", "pytest", *targets, *PYTEST_ARGS, "-p", PLUGIN, *extra]
    return command + (["-k", selection] if selection else [])


def no_match(side: Side, selection: str | None) -> BadInput:
    return BadInput(f"-k {selection!r} selects no benchmark in {', '.join(TARGETS)} at {side.label} "
                    f"{side.short}: pytest's -k matches test names, e.g. -k 'sincos-2-100-1-b10 and vectorized'")


def benchmark_files(side: Side, selection: str | None) -> list[str]:
    """The test files under ``TARGETS`` holding tests that ``selection`` selects, so that the timed
    rounds import only those (collecting every suite costs seconds a process)."""
    done = subprocess.run(pytest_command(list(TARGETS), selection, ("--collect-only",)),
                          cwd=side.path, env=environment(side), capture_output=True, text=True)
    if done.returncode == PYTEST_NO_TESTS:
        raise no_match(side, selection)
    if done.returncode != 0:
        raise cannot_run(side, "cannot be collected", done)
    # pytest -q --collect-only lists node ids ("file.py::test[id]"); -qq lists "file.py: count".
    files = {line.split("::")[0].split(": ")[0] for line in done.stdout.splitlines()
             if line.split("::")[0].split(": ")[0].endswith(".py")}
    return sorted(files)


def run_round(side: Side, files: list[str], selection: str | None,
              cpu: int | None = None) -> tuple[list[Measured], dict]:
    """Run ``side``'s benchmarks in ``files`` once in a new process (pinned to ``cpu`` if given):
    its measurements and the machine fingerprint. Raises BadInput when ``selection`` matches no
    benchmark, CannotRun when pytest fails."""
    with tempfile.TemporaryDirectory(prefix="nnstudy-round-") as folder:
        json_path = Path(folder) / "round.json"
        done = subprocess.run(pytest_command(files, selection, (f"--benchmark-json={json_path}",)),
                              cwd=side.path, env=environment(side), capture_output=True, text=True,
                              preexec_fn=pinned_to(cpu))
        if done.returncode == PYTEST_NO_TESTS or (done.returncode == 0 and not json_path.exists()):
            raise no_match(side, selection)
        if done.returncode != 0:
            raise cannot_run(side, "do not run", done)
        run = json.loads(json_path.read_text())
    return parse_round(run), run.get("machine_info", {}).get("nnstudy", {})


def cannot_run(side: Side, what: str, done: subprocess.CompletedProcess) -> CannotRun:
    return CannotRun(f"the benchmarks of {side.label} {side.short} {what} (pytest exit status "
                     f"{done.returncode}: {first_error(done.stdout + done.stderr)})")


def first_error(output: str) -> str:
    """The line of pytest's output that says what went wrong (``E ...``, ERROR, FAILED), else the last."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("E ", "ERROR", "FAILED")):
            return line
    return lines[-1] if lines else "no output"


def parse_round(run: dict) -> list[Measured]:
    """The per-benchmark values of a pytest-benchmark JSON run."""
    measured = []
    for bench in run.get("benchmarks", []):
        stats, info = bench["stats"], bench.get("extra_info", {})
        peak, reference = info.get("peak_memory_bytes"), info.get("reference_s")
        measured.append(Measured(bench["fullname"], float(stats["min"]), float(stats["median"]),
                                 int(stats["rounds"]), None if peak is None else float(peak),
                                 None if reference is None else float(reference)))
    if not measured:
        raise CannotRun("the benchmark run recorded no benchmark (was it run with --benchmark-disable?)")
    return measured
