"""Which engine the heavy studies should use: epochs of their networks on ``vectorized`` and
``compiled`` in turns, and whether the two trained networks agree.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m benchmarks.probes.study_engines [--rounds 5]

Each case is a study's network, optimizer, dtype and batch size (from experiments/studies/*.toml)
on seeded data of the study's shape (MNIST-1D: 40 inputs, 10 classes, 4,000 samples), trained
with ``nncore.train`` (shuffled, evaluated every epoch as the studies' short runs are). Printed:
the median over rounds of vectorized's seconds over compiled's, with quartiles, and the largest
relative difference between the two engines' parameters after the same epochs.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import nncore
from benchmarks.machine import host_line

CASES = {  # name: (hidden, activation, init, optimizer, lr, dtype)
    "double_descent w10": ([10, 10], "relu", "he_uniform", {"kind": "momentum", "momentum": 0.9}, 0.01, "float32"),
    "double_descent w100": ([100, 100], "relu", "he_uniform", {"kind": "momentum", "momentum": 0.9}, 0.01, "float32"),
    "double_descent w400": ([400, 400], "relu", "he_uniform", {"kind": "momentum", "momentum": 0.9}, 0.01, "float32"),
    "init sigmoid xavier": ([100] * 5, "sigmoid", "xavier", "sgd", 0.1, "float64"),
    "optimizers adam": ([100, 100], "relu", "he", "adam", 1e-3, "float64"),
}
N_SAMPLES, N_INPUTS, N_CLASSES, BATCH = 4000, 40, 10, 100


def run(case: tuple, engine: str, epochs: int) -> tuple[float, np.ndarray]:
    """(seconds, trained parameters in float64) of ``epochs`` epochs of ``case`` on ``engine``."""
    hidden, activation, init, optimizer, lr, dtype = case
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_SAMPLES, N_INPUTS))
    Y = rng.integers(0, N_CLASSES, size=N_SAMPLES)
    net = nncore.MLP([N_INPUTS, *hidden, N_CLASSES], activation=activation, output="softmax",
                     loss="cross_entropy", init=init, init_scale=1.0, seed=1, dtype=dtype)
    started = time.perf_counter()
    nncore.train(net, X, Y, epochs=epochs, batch_size=BATCH, lr=lr, engine=engine, optimizer=optimizer, seed=2)
    return time.perf_counter() - started, net.flat_params().astype(np.float64)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    print(host_line())  # whose machine the figures below come from
    print(f"{'case':<22} {'dtype':<8} {'vectorized s':>12} {'compiled s':>10} {'vec / comp':>22} {'max rel diff':>12}")
    with threadpool_limits(1):
        for name, case in CASES.items():
            run(case, "compiled", 1)  # compiles or loads the kernels
            seconds = {"vectorized": [], "compiled": []}
            for _ in range(args.rounds):
                for engine in seconds:
                    elapsed, params = run(case, engine, args.epochs)
                    seconds[engine].append(elapsed)
                    if engine == "vectorized":
                        reference = params
            difference = np.max(np.abs(params - reference) / (np.abs(reference) + 1e-3))
            ratio = np.array(seconds["vectorized"]) / np.array(seconds["compiled"])
            q1, median, q3 = np.percentile(ratio, [25, 50, 75])
            print(f"{name:<22} {case[-1]:<8} {np.median(seconds['vectorized']):>12.3f} "
                  f"{np.median(seconds['compiled']):>10.3f} {median:>9.2f}x [{q1:.2f}-{q3:.2f}] {difference:>12.1e}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
