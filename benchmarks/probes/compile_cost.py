"""What the compiled engine costs before its first step: compiling once, loading from the cache after.

    python -m benchmarks.probes.compile_cost [--repeats 2] [--cached 3]

Each measurement is a fresh Python process with its own numba cache folder (``NUMBA_CACHE_DIR``):
the first process compiles the kernels it needs and writes the cache, the next ones only load it,
the way a second run, a second sweep or a loky worker does. Printed per process, in seconds:
``import`` (numba, nncore and the kernel modules), the first call of each entry point a float64
training run makes (a gradient, a plain-SGD epoch, an Adam epoch: each compiles or loads one
signature), and ``new process total``, everything from the interpreter's start to the end of the
first Adam epoch, the figure the goal (under 1 s with a warm cache) is about; ``python -X
importtime`` and the per-call split say where the rest goes.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from benchmarks.machine import host_line

PROBE = """if True:
    import json, time
    started = time.perf_counter()
    import numpy as np
    numpy_done = time.perf_counter()
    import numba
    numba_done = time.perf_counter()
    import nncore
    from nncore.engines import get_engine
    engine = get_engine("compiled")
    imported = time.perf_counter()
    net = nncore.MLP([2, 100, 1])
    X, Y = np.ones((20, 2)), np.zeros((20, 1))
    calls = {}
    for name, call in (("gradient", lambda: nncore.backprop(net, X, Y, engine=engine)),
                       ("sgd_epoch", lambda: nncore.train(net, X, Y, 1, 10, 1e-3, engine=engine)),
                       ("adam_epoch", lambda: nncore.train(net, X, Y, 1, 10, 1e-3, engine=engine,
                                                           optimizer="adam"))):
        begin = time.perf_counter()
        call()
        calls[name] = time.perf_counter() - begin
    kernels = engine.kernels
    stats = [kernels.batch_gradients.stats, engine.rules.sgd_epoch.stats, engine.rules.optimizer_epoch.stats]
    print(json.dumps({"numpy_s": numpy_done - started, "numba_s": numba_done - numpy_done,
                      "nncore_s": imported - numba_done, **calls, "in_process_s": time.perf_counter() - started,
                      "cache_hits": sum(len(s.cache_hits) for s in stats),
                      "cache_misses": sum(len(s.cache_misses) for s in stats)}))
"""
COLUMNS = ("numpy_s", "numba_s", "nncore_s", "gradient", "sgd_epoch", "adam_epoch")


def probe(cache_dir: str) -> dict:
    """One fresh process with ``NUMBA_CACHE_DIR=cache_dir``; its timings as a dict, with
    ``total_s`` the wall seconds of the whole process as the parent saw it."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                            env={**os.environ, "NUMBA_CACHE_DIR": cache_dir})
    return {**json.loads(result.stdout), "total_s": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probes.compile_cost",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2, help="cold caches measured (default 2)")
    parser.add_argument("--cached", type=int, default=3, help="cached loads after each (default 3)")
    args = parser.parse_args(argv)
    print(host_line())  # whose machine the figures below come from
    print(f"{'process':<8} " + " ".join(f"{name:>10}" for name in COLUMNS)
          + f" {'in process':>10} {'new process total':>17} {'hits':>5} {'misses':>6}")
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="nnstudy-numba-") as cache_dir:
            for index in range(1 + args.cached):
                row = probe(cache_dir)
                print(f"{'first' if index == 0 else 'cached':<8} " + " ".join(f"{row[name]:>10.3f}" for name in COLUMNS)
                      + f" {row['in_process_s']:>10.3f} {row['total_s']:>17.3f} {row['cache_hits']:>5} "
                      f"{row['cache_misses']:>6}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
