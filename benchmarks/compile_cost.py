"""What the compiled engine costs before its first step: compiling once, loading from the cache after.

    python -m benchmarks.compile_cost [--repeats 3]

Each measurement is a fresh Python process with its own empty numba cache folder
(``NUMBA_CACHE_DIR``): the first process compiles the kernels (float64 and float32, both entry
points) and writes the cache, the next ones only load it, the way a second run, a second sweep or
a loky worker does. Printed per process: seconds to ``import numba``, to make the engine
(``get_engine("compiled")``, which compiles or loads every kernel) and for the first training step
after that, against the same step with the vectorized engine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

PROBE = """if True:
    import json, time
    started = time.perf_counter()
    import numba
    imported = time.perf_counter()
    import numpy as np, nncore
    from nncore.engines import get_engine, zero_gradients
    made = time.perf_counter()
    engine = get_engine("compiled")
    ready = time.perf_counter()
    net = nncore.MLP([2, 100, 1])
    X, Y = net.check_data(np.ones((10, 2)), np.zeros((10, 1)))
    steps = {}
    for name in ("compiled", "vectorized"):
        step_engine = engine if name == "compiled" else get_engine(name)
        begin = time.perf_counter()
        nncore.sgd_step(net, step_engine, X, Y, zero_gradients(net), 1e-3, "mean")
        steps[name] = time.perf_counter() - begin
    stats = [engine.kernels.batch_gradients.stats, engine.kernels.sgd_epoch.stats]
    print(json.dumps({"import_numba_s": imported - started, "make_engine_s": ready - made,
                      "first_step_s": steps["compiled"], "vectorized_first_step_s": steps["vectorized"],
                      "cache_hits": sum(len(s.cache_hits) for s in stats),
                      "cache_misses": sum(len(s.cache_misses) for s in stats)}))
"""


def probe(cache_dir: str) -> dict:
    """One fresh process with ``NUMBA_CACHE_DIR=cache_dir``; its timings as a dict."""
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                            env={**os.environ, "NUMBA_CACHE_DIR": cache_dir})
    return json.loads(result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compile_cost",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="cold caches measured (default 3)")
    parser.add_argument("--cached", type=int, default=3, help="cached loads after each (default 3)")
    args = parser.parse_args(argv)
    print(f"{'process':<10} {'import numba s':>14} {'make engine s':>13} {'first step ms':>13} "
          f"{'vectorized ms':>13} {'hits':>5} {'misses':>6}")
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="nnstudy-numba-") as cache_dir:
            for index in range(1 + args.cached):
                row = probe(cache_dir)
                print(f"{'first' if index == 0 else 'cached':<10} {row['import_numba_s']:>14.2f} "
                      f"{row['make_engine_s']:>13.2f} {row['first_step_s'] * 1e3:>13.3f} "
                      f"{row['vectorized_first_step_s'] * 1e3:>13.3f} {row['cache_hits']:>5} "
                      f"{row['cache_misses']:>6}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
