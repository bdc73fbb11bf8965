"""What an optimizer costs: seconds per training epoch with each rule, as a ratio to plain SGD.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.optimizer_cost [--rounds 15]

An epoch is ``nncore.train_step`` over ``STEPS_PER_EPOCH`` consecutive batches of seeded data,
as ``nncore.train`` runs them (its shuffling and per-epoch evaluation left out: they cost every
optimizer the same). Each epoch is timed twice: CPU seconds of this process
(``time.process_time``), which other processes on a shared machine hardly move, and wall
seconds. Rounds alternate between the optimizers, so a busy spell hits each of them alike, and
each time is the fastest round (a busy spell only ever adds time). Goals (issue 9): an Adam
epoch at most 1.3x an SGD epoch on 784-1024-1024-10 at batch 128, at most 1.6x on the deep
sin-cos net at batch 10.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import nncore
from nncore.engines import get_engine, zero_gradients
from nncore.optimizers import make_optimizer

from benchmarks.cases import SINCOS_DEEP, SOFTMAX_BIG, NetCase

STEPS_PER_EPOCH = {128: 10, 10: 100}
GOALS = {  # (case, optimizer): highest epoch-time ratio to sgd
    (NetCase("softmax", SOFTMAX_BIG, 128, ("vectorized",)), "adam"): 1.3,
    (NetCase("sincos", SINCOS_DEEP, 10, ("vectorized",)), "adam"): 1.6,
}
CASES = tuple(dict.fromkeys(case for case, _ in GOALS))


def epoch_seconds(case: NetCase, optimizer: str, dtype: str = "float64", seed: int = 0):
    """A callable that trains one epoch of ``case`` with ``optimizer`` and returns its
    (CPU seconds, wall seconds)."""
    net = case.make_net(dtype, seed=seed)
    X, Y = case.dataset(STEPS_PER_EPOCH[case.batch_size] * case.batch_size, seed=seed)
    X, Y = net.check_data(X, Y)
    engine, grads = get_engine("vectorized"), zero_gradients(net)
    rule = make_optimizer(optimizer, net.flat_params(), case.lr)
    batches = [(X[start:start + case.batch_size], Y[start:start + case.batch_size])
               for start in range(0, X.shape[0], case.batch_size)]

    def epoch() -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):
            for X_batch, Y_batch in batches:
                nncore.train_step(net, engine, X_batch, Y_batch, grads, rule, "mean")
        return time.process_time() - cpu, time.perf_counter() - wall
    return epoch


def measure(rounds: int = 15, optimizers: tuple[str, ...] = ("sgd", "adam")) -> list[dict]:
    """Fastest epoch (CPU and wall) per (case, optimizer), rounds interleaved; ratios to sgd."""
    rows = []
    for case in CASES:
        epochs = {name: epoch_seconds(case, name) for name in optimizers}
        cpu = {name: float("inf") for name in optimizers}
        wall = dict(cpu)
        for _ in range(rounds):
            for name, epoch in epochs.items():
                cpu_s, wall_s = epoch()
                cpu[name], wall[name] = min(cpu[name], cpu_s), min(wall[name], wall_s)
        for name in optimizers:
            rows.append({"case": case.case_id, "optimizer": name, "steps": STEPS_PER_EPOCH[case.batch_size],
                         "cpu_s": cpu[name], "wall_s": wall[name],
                         "cpu_ratio": cpu[name] / cpu.get("sgd", float("nan")),
                         "wall_ratio": wall[name] / wall.get("sgd", float("nan")),
                         "goal": GOALS.get((case, name))})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--optimizers", nargs="+", default=["sgd", "adam"],
                        choices=list(nncore.OPTIMIZERS))
    args = parser.parse_args(argv)
    optimizers = tuple(dict.fromkeys(["sgd", *args.optimizers]))
    print(f"{'case':<31} {'optimizer':<9} {'steps':>5} {'CPU s':>8} {'wall s':>8} {'CPU x sgd':>9} "
          f"{'wall x sgd':>10}  goal (on CPU time)")
    for row in measure(args.rounds, optimizers):
        goal = row["goal"]
        verdict = "" if goal is None else f"<= {goal}: {'met' if row['cpu_ratio'] <= goal else 'MISSED'}"
        print(f"{row['case']:<31} {row['optimizer']:<9} {row['steps']:>5} {row['cpu_s']:>8.4f} "
              f"{row['wall_s']:>8.4f} {row['cpu_ratio']:>9.2f} {row['wall_ratio']:>10.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
