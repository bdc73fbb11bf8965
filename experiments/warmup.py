"""The compiled engine's kernels made once per sweep, before its runs start.

numba compiles a kernel at its first call and caches the machine code on disk (``cache=True``,
nncore/engines/compiled_kernels.py). On a machine with an empty cache, workers that start at
once would each compile the same kernels; made here first, the runs load them from the cache (a
fraction of a second). The engine's two entry points, the epoch and the evaluation, are compiled
at once, one per process of the sweep's own pool (``python -m benchmarks.probes.warmup_compile``
times it). With a warm cache this costs numba's set-up and one tiny call per kind of network.
"""
from __future__ import annotations

import json
import time

import numpy as np

from nncore.engines import get_engine, zero_gradients
from nncore.optimizers import make_optimizer

from .run import build_network, dataset, execute

# What selects a compiled kernel (its dtype, entry point and fused path): everything but sizes of data.
KERNEL_KEYS = ("layer_sizes", "activation", "output", "loss", "dtype", "reduction", "optimizer", "schedule")


def kernel_configs(jobs: list[dict]) -> list[dict]:
    """One configuration per distinct compiled kernel the ``compiled`` jobs will call."""
    distinct = {}
    for job in jobs:
        config = job["config"]
        if config.get("engine") == "compiled" and config.get("task", "train") == "train":
            key = json.dumps([config.get(name) for name in KERNEL_KEYS], sort_keys=True, default=str)
            distinct.setdefault(key, config)
    return list(distinct.values())


def first_rows(config: dict, rows: int = 4) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    """The first ``rows`` of the run's own training set (X, Y) and validation set (or None).

    A run's own arrays, not made-up ones: numba compiles a kernel again for each kind of array it
    meets (dtype, dimensions, layout, flags), and made-up data once missed what the runs met (they
    were writable, a run's are read-only: each worker compiled again at its first run, 8-12 s)."""
    X, Y, X_val, Y_val = dataset(config)
    return X[:rows], Y[:rows], (None if X_val is None else (X_val[:rows], Y_val[:rows]))


def warm_part(configs: list[dict], part: str) -> None:
    """Make the kernels of one entry point (``PARTS``) of the compiled engine for each of
    ``configs``, calling it as ``nncore.train`` does on a few of the run's own rows."""
    engine = get_engine("compiled")
    for config in configs:
        net = build_network(config)
        X, Y, validation = first_rows(config)
        X, Y = net.check_data(X, Y)
        with np.errstate(all="ignore"):
            if part == "evaluate":
                for data in [(X, Y)] + ([net.check_data(*validation)] if validation else []):
                    engine.evaluate(net, *data)
            else:
                optimizer = make_optimizer(config["optimizer"], net.flat_params(), config["lr"])
                order = np.random.default_rng(0).permutation(len(X))
                engine.train_epoch(net, X, Y, 2, optimizer, config["reduction"], zero_gradients(net), order)


# The engine's two entry points, compiled independently of each other: the epoch (optimizer_epoch,
# ~9 s on an empty cache) and the evaluation (~6 s).
PARTS = ("train_epoch", "evaluate")


def warm_jobs(jobs: list[dict]) -> list[dict]:
    """The warm-up of ``jobs`` as jobs of the sweep's own pool, one per part of ``PARTS`` (made at
    once on two cores; the worker that finishes first goes on with runs that need no kernel);
    none when no job trains on the compiled engine. ``run_or_warm`` runs them."""
    configs = kernel_configs(jobs)
    return [{"run_id": f"warm-up: {part}", "warm": part, "configs": configs} for part in PARTS] if configs else []


def run_or_warm(job: dict) -> dict:
    """``run.execute(job)``; for a job of ``warm_jobs``, its part made: {"run_id", "warm_s"}."""
    if "warm" not in job:
        return execute(job)
    started = time.perf_counter()
    warm_part(job["configs"], job["warm"])
    return {"run_id": job["run_id"], "warm_s": time.perf_counter() - started}


def warm_compiled(jobs: list[dict]) -> float:
    """Make the compiled kernels that ``jobs`` will call in this process (before a Dask sweep,
    whose workers share this machine's cache); the seconds it took."""
    started = time.perf_counter()
    configs = kernel_configs(jobs)
    if configs:
        for part in PARTS:
            warm_part(configs, part)
    return time.perf_counter() - started
