"""What the vectorized engine's whole-epoch hook saves: an epoch through ``train_epoch`` against
the same epoch step by step (``nncore.train.train_step`` per batch), alternating in one process.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.probes.epoch_hook [--rounds 9]

Both make the same updates to the bit (tests/test_nncore_train.py); the hook does the per-step
Python work (the parameter vector's check, the workspace lookup, the views, the activations)
once per epoch. Printed per case: CPU seconds per epoch of each, and the median over rounds of
the per-round ratio step-by-step / hook, with its quartiles. The cases are the shapes of the
default studies (sin-cos 2-100-1 and the digits and MNIST-1D classifiers at batch 10 and 100).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import nncore
from nncore.engines import get_engine, zero_gradients
from nncore.optimizers import make_optimizer
from nncore.train import train_step
from benchmarks.machine import host_line

CASES = (  # (label, layer sizes, output, loss, batch, optimizer)
    ("2-100-1, batch 10, sgd", [2, 100, 1], "identity", "mse", 10, "sgd"),
    ("64-100-10, batch 10, sgd", [64, 100, 10], "softmax", "cross_entropy", 10, "sgd"),
    ("40-100-100-10, batch 100, momentum", [40, 100, 100, 10], "softmax", "cross_entropy", 100, "momentum"),
    ("40-100-100-10, batch 100, adam", [40, 100, 100, 10], "softmax", "cross_entropy", 100, "adam"),
)
SAMPLES = 2000


def epochs(sizes, output, loss, batch, optimizer):
    """Two callables, (hooked, stepwise), each training one epoch of SAMPLES seeded samples and
    returning its CPU seconds."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((SAMPLES, sizes[0])), np.eye(sizes[-1])[rng.integers(0, sizes[-1], SAMPLES)]
    engine = get_engine("vectorized")

    def make(hooked: bool):
        net = nncore.MLP(sizes, output=output, loss=loss, init="he", seed=1)
        grads, rule = zero_gradients(net), make_optimizer(optimizer, net.flat_params(), 1e-3)

        def epoch() -> float:
            started = time.process_time()
            if hooked:
                engine.train_epoch(net, X, Y, batch, rule, "mean", grads)
            else:
                for start in range(0, SAMPLES, batch):
                    train_step(net, engine, X[start:start + batch], Y[start:start + batch], grads, rule, "mean")
            return time.process_time() - started
        return epoch
    return make(True), make(False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    print(host_line())  # whose machine the figures below come from
    print(f"{'case':<36} {'hook s':>9} {'steps s':>9}  steps / hook [quartiles]")
    for label, *case in CASES:
        hooked, stepwise = epochs(*case)
        hooked(), stepwise()   # warm: workspaces, BLAS
        pairs = np.array([(hooked(), stepwise()) for _ in range(args.rounds)])
        ratios = pairs[:, 1] / pairs[:, 0]
        q1, q2, q3 = np.percentile(ratios, [25, 50, 75])
        print(f"{label:<36} {np.median(pairs[:, 0]):>9.4f} {np.median(pairs[:, 1]):>9.4f}  "
              f"{q2:.2f}x [{q1:.2f}-{q3:.2f}]")


if __name__ == "__main__":
    main()
