"""The compiled engine's kernels made once, in the sweep's own process, before workers start.

numba compiles a kernel at its first call and caches the machine code on disk (``cache=True``,
nncore/engines/compiled_kernels.py). On a machine with an empty cache, workers that start at
once would each compile the same kernels (about 9 s of CPU for the default studies' on the 2-core
Intel host: ``python -m benchmarks.probes.warmup_compile``); compiled here first, the workers load
them from the cache (a fraction of a second). With a warm cache this costs numba's set-up and one
tiny epoch per kind of network, about a second.
"""
from __future__ import annotations

import json
import time

import numpy as np

import nncore

from .run import build_network, dataset

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
    meets, and a run's are read-only (``experiments.run.dataset``) where a label vector became a
    fresh one-hot matrix, writable. Made-up writable data left each worker compiling the kernels
    its runs called (measured: the first run in each worker 8-12 s instead of 1-3 s)."""
    X, Y, X_val, Y_val = dataset(config)
    return X[:rows], Y[:rows], (None if X_val is None else (X_val[:rows], Y_val[:rows]))


def warm_compiled(jobs: list[dict]) -> float:
    """Train one tiny epoch of each kind of compiled network among ``jobs`` here; the seconds it took."""
    started = time.perf_counter()
    for config in kernel_configs(jobs):
        net = build_network(config)
        X, Y, validation = first_rows(config)
        with np.errstate(all="ignore"):
            nncore.train(net, X, Y, epochs=1, batch_size=2, lr=config["lr"], schedule=config["schedule"],
                         engine="compiled", reduction=config["reduction"], optimizer=config["optimizer"],
                         validation=validation)
    return time.perf_counter() - started
