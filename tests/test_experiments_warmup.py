"""The compiled engine's kernels are made once, in the sweep's process, before parallel workers
start: a worker then loads every kernel it calls from numba's cache and compiles none."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from experiments import catalog, sweep
from experiments import warmup
from experiments.warmup import kernel_configs

ROOT = Path(__file__).resolve().parents[1]


def jobs_of(name: str, backend: str = "loky", workers: int = 2, quick: bool = False) -> list[dict]:
    study = catalog.find_study(name, quick=quick)
    return sweep._jobs(study, study.runs, backend, workers)


def test_one_configuration_per_kind_of_compiled_network():
    jobs = jobs_of("depth")  # 4 depths x seeds, one kernel configuration per depth
    assert {job["config"]["engine"] for job in jobs} == {"compiled"}
    configs = kernel_configs(jobs)
    assert sorted(len(config["layer_sizes"]) for config in configs) == [3, 4, 5, 6]
    assert kernel_configs(jobs_of("engines")) != []  # its compiled runs only
    assert all(config["engine"] == "compiled" for config in kernel_configs(jobs_of("engines")))
    assert kernel_configs(jobs_of("gradcheck")) == []


@pytest.mark.parametrize("backend, workers", [("loky", 2), ("serial", 1), ("dask", 2)])
def test_a_parallel_sweep_warms_up_first_and_a_serial_one_does_not(monkeypatch, tmp_path, backend, workers):
    warmed_here, dispatched = [], []
    monkeypatch.setattr(sweep, "warm_compiled", lambda jobs: warmed_here.append(len(jobs)) or 0.0)
    monkeypatch.setattr("experiments.backends.run_jobs",
                        lambda jobs, *args, **kwargs: dispatched.extend(jobs) or iter(()))
    jobs = jobs_of("width", backend, workers, quick=True) + jobs_of("gradcheck", backend, workers, quick=True)
    sweep.execute_batches([(jobs, backend, workers)], tmp_path / "results", quiet=True)
    parts = [job["warm"] for job in dispatched if "warm" in job]
    # loky: the warm-up's parts go first in the pool; Dask: made here first; serial: by the runs
    assert parts == (list(warmup.PARTS) if backend == "loky" else [])
    assert all("warm" in job for job in dispatched[:len(parts)])
    assert warmed_here == ([len(jobs)] if backend == "dask" else [])
    engines = [job["config"]["engine"] for job in dispatched[len(parts):]]
    assert len(engines) == len(jobs) and engines[0] != "compiled"  # runs needing no kernel next
    assert engines == sorted(engines, key=lambda engine: engine == "compiled")


WORKER = """
import json, sys
import numpy as np
import nncore
from experiments.warmup import warm_compiled
from experiments.run import train_run
jobs = json.loads(sys.argv[1])
if sys.argv[2] == "warm" and sys.argv[3] == "1":  # in this process, as before a Dask sweep
    warm_compiled(jobs)
elif sys.argv[2] == "warm":  # as the first jobs of a loky sweep's pool
    from experiments.backends import run_jobs
    from experiments.warmup import run_or_warm, warm_jobs
    assert [result["run_id"] for result in run_jobs(warm_jobs(jobs), "loky", 2, task=run_or_warm)]
else:  # as a worker: each run as the sweep runs it, then count the kernels numba had to compile
    for job in jobs:
        train_run(job["config"], False)
    from nncore.engines import compiled_kernels, compiled_optimizers
    kernels = [f for m in (compiled_kernels, compiled_optimizers) for f in vars(m).values() if hasattr(f, "stats")]
    print(json.dumps({"misses": sum(sum(f.stats.cache_misses.values()) for f in kernels),
                      "hits": sum(sum(f.stats.cache_hits.values()) for f in kernels)}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("warm_workers", [1, 2])  # in this process (Dask), or in the loky pool
def test_after_the_warm_up_a_worker_compiles_nothing(tmp_path, warm_workers):
    # a run of each kind the default studies have: data of the sweep's own types (read-only)
    jobs = [jobs_of(name, quick=True)[0] for name in ("width", "mnist1d", "final")]
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache"),
                   "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}

    def run(role: str) -> str:
        return subprocess.run([sys.executable, "-c", textwrap.dedent(WORKER), json.dumps(jobs), role,
                               str(warm_workers)],
                              env=environment, capture_output=True, text=True, check=True, timeout=600).stdout

    cold_worker = json.loads(run("worker"))  # an empty cache: the worker compiles (shows the test can fail)
    assert cold_worker["misses"] > 0
    environment["NUMBA_CACHE_DIR"] = str(tmp_path / "second-cache")
    run("warm")
    worker = json.loads(run("worker"))
    assert worker == {"misses": 0, "hits": worker["hits"]} and worker["hits"] > 0
