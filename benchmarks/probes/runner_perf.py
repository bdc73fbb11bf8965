"""Runner performance: parallel efficiency on 2 cores and the per-run overhead.

    .venv/bin/python -m benchmarks.probes.runner_perf efficiency [--studies width depth lr]
    .venv/bin/python -m benchmarks.probes.runner_perf overhead [--runs 400]

``efficiency``: wall(serial) / (workers x wall(loky, workers)) over the given studies, each sweep
into a fresh temporary results directory (target >= 0.85 on 2 cores).
``overhead``: sweeps of 0-epoch XOR runs (the run itself is a few evaluations, well under a
millisecond), reporting the whole sweep's wall time per run (spawn, pickling, Parquet writing,
reading what is stored, spec expansion), with a cold pool and a warm one (target < 50 ms).
Not a pytest file on purpose: it takes minutes and needs an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from experiments import catalog
from experiments.backends import default_workers
from experiments.cli import main as cli
from benchmarks.machine import host_line

OVERHEAD_SPEC = """
name = "overhead"
seeds = {runs}
[base]
dataset = "xor"
hidden = [3]
batch_size = 4
epochs = 0
"""


def timed_sweep(targets: list[str], backend: str, jobs: int, results: Path) -> float:
    started = time.perf_counter()
    status = cli(["sweep", *targets, "--results", str(results), "--backend", backend,
                  "--jobs", str(jobs), "--quiet"])
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"sweep {targets} on {backend} exited {status}")
    return elapsed


def _busy(seconds_of_work: int) -> float:
    """A fixed CPU-bound NumPy workload (the shapes of a width-20 training step); its wall time."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, w = rng.standard_normal((10, 20)), rng.standard_normal((20, 20))
    started = time.perf_counter()
    for _ in range(seconds_of_work * 100_000):
        a = np.tanh(a @ w)
    return time.perf_counter() - started


def machine_scaling(workers: int) -> float:
    """wall(one process) / wall(``workers`` processes doing the same work each, concurrently):
    what the machine allows right now (1.0 on idle cores; less when other work competes)."""
    from joblib import Parallel, delayed

    alone = _busy(2)
    together = Parallel(n_jobs=workers)(delayed(_busy)(2) for _ in range(workers))
    return alone / max(together)


def efficiency(studies: list[str], workers: int) -> None:
    import experiments

    n_runs = sum(len(catalog.find_study(name).runs) for name in studies)
    print(f"machine scaling before: {machine_scaling(workers):.2f}, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as scratch:
        serial = timed_sweep(studies, "serial", 1, Path(scratch) / "serial")
        parallel = timed_sweep(studies, "loky", workers, Path(scratch) / "loky")
        run_seconds = {backend: sum(experiments.load(name, "runs", results=Path(scratch) / backend)["wall_s"].sum()
                                    for name in studies) for backend in ("serial", "loky")}
    print(f"machine scaling after: {machine_scaling(workers):.2f}, load average {os.getloadavg()[0]:.2f}")
    print(f"studies {' '.join(studies)} ({n_runs} runs): serial {serial:.1f} s, loky x{workers} "
          f"{parallel:.1f} s, parallel efficiency {serial / (workers * parallel):.3f}")
    print(f"  runs' own seconds: serial {run_seconds['serial']:.1f}, loky {run_seconds['loky']:.1f} "
          f"(slowdown of a run next to a neighbour {run_seconds['loky'] / run_seconds['serial']:.2f}); "
          f"workers busy {run_seconds['loky'] / (workers * parallel):.1%} of the loky sweep")


def overhead(runs: int, workers: int) -> None:
    """Per-run cost of 0-epoch runs: first sweep with a cold worker pool (its start included),
    then a second sweep of other runs on the warm pool (loky keeps its workers between calls)."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for backend, jobs in (("loky", workers), ("serial", 1)):
            walls = []
            for first_seed in (0, runs):  # different seeds: different runs, nothing is skipped
                path = scratch / f"overhead{first_seed}.toml"
                path.write_text(OVERHEAD_SPEC.format(runs=list(range(first_seed, first_seed + runs))))
                walls.append(timed_sweep([str(path)], backend, jobs, scratch / backend))
            print(f"{backend:>6} x{jobs}: {runs} zero-epoch runs in {walls[0]:.2f} s cold "
                  f"({1000 * walls[0] / runs:.1f} ms per run, pool start included), "
                  f"{walls[1]:.2f} s warm ({1000 * walls[1] / runs:.1f} ms per run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("efficiency", "overhead", "all"))
    parser.add_argument("--studies", nargs="+", default=["width", "depth", "lr"])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    print(host_line())  # whose machine the figures below come from
    if args.what in ("overhead", "all"):
        overhead(args.runs, args.workers)
    if args.what in ("efficiency", "all"):
        efficiency(args.studies, args.workers)


if __name__ == "__main__":
    main()
