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

from .run import build_network

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


def tiny_data(layer_sizes: list[int], output: str, rows: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` seeded samples (rows, n_in) and targets (rows, n_out); one-hot for softmax."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, layer_sizes[0]))
    if output == "softmax":
        Y = np.eye(layer_sizes[-1])[rng.integers(layer_sizes[-1], size=rows)]
    else:
        Y = rng.uniform(0.1, 0.9, size=(rows, layer_sizes[-1]))
    return X, Y


def warm_compiled(jobs: list[dict]) -> float:
    """Train one tiny epoch of each kind of compiled network among ``jobs`` here; the seconds it took."""
    started = time.perf_counter()
    for config in kernel_configs(jobs):
        net = build_network(config)
        X, Y = tiny_data(config["layer_sizes"], config["output"])
        with np.errstate(all="ignore"):
            nncore.train(net, X, Y, epochs=1, batch_size=2, lr=config["lr"], schedule=config["schedule"],
                         engine="compiled", reduction=config["reduction"], optimizer=config["optimizer"])
    return time.perf_counter() - started
