"""The runner's cost per run, apart from training: a run of the ``width`` study's first
configuration trained for 0 epochs, executed and stored (Parquet shards written atomically)
through the same ``execute_batches`` that ``make sweep`` uses. Issue 3's goal: under 50 ms a run."""
import itertools

import pytest

from experiments.catalog import find_study
from experiments.config import run_id
from experiments.sweep import execute_batches

ZERO_EPOCH_JOBS = 4


def zero_epoch_jobs(count: int, backend: str, n_workers: int) -> list[dict]:
    """``count`` distinct 0-epoch runs (seeds 0..count-1) of the width study's first configuration."""
    base = dict(find_study("width").runs[0].config, epochs=0, snapshot_epochs=[])
    jobs = []
    for seed in range(count):
        config = dict(base, seed=seed)
        jobs.append({"config": config, "run_id": run_id(config), "study": "bench-runner",
                     "timing": False, "backend": backend, "n_workers": n_workers})
    return jobs


@pytest.mark.parametrize(("backend", "n_workers"), [("serial", 1), ("loky", 2)])
def test_runner_overhead_per_zero_epoch_run(benchmark, tmp_path, backend, n_workers):
    jobs = zero_epoch_jobs(ZERO_EPOCH_JOBS, backend, n_workers)
    fresh = (tmp_path / f"results-{i}" for i in itertools.count())
    benchmark.group = "runner"
    benchmark.extra_info.update(backend=backend, n_workers=n_workers, runs_per_call=len(jobs),
                                layer_sizes=jobs[0]["config"]["layer_sizes"], epochs=0,
                                note="seconds per call / runs_per_call = overhead per run")

    outcome = benchmark.pedantic(execute_batches, setup=lambda: (([(jobs, backend, n_workers)], next(fresh)),
                                                                 {"quiet": True}),
                                 rounds=5, warmup_rounds=1)

    assert outcome.statuses["ok"] == len(jobs)
