"""What an optimizer costs: seconds per training epoch with each rule, as a ratio to plain SGD.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.probes.optimizer_cost [--rounds 15]

An epoch is the engine's ``train_epoch`` hook over ``STEPS_PER_EPOCH`` consecutive batches of
seeded data, exactly as ``nncore.train`` runs it (its shuffling and per-epoch evaluation left out:
they cost every optimizer the same): with ``vectorized``, its NumPy calls step by step; with
``compiled``, the whole epoch as one compiled call for every rule. Each epoch is timed twice: CPU seconds of
this process (``time.process_time``), which other processes on a shared machine hardly move, and
wall seconds. Rounds alternate between the optimizers, so a busy spell hits each of them alike;
a ratio is the median of the per-round ratios to the same round's SGD epoch, printed with its
quartiles. Goals: an Adam epoch at most 1.3x an SGD epoch, with ``vectorized`` on
784-1024-1024-10 at batch 128 (1.6x on the deep sin-cos net at batch 10), with ``compiled`` on
both nets and on 2-100-1 at batch 10.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import nncore
from nncore.engines import get_engine, zero_gradients
from nncore.optimizers import make_optimizer

from benchmarks.cases import SINCOS_DEEP, SINCOS_WIDE, SOFTMAX_BIG, NetCase
from benchmarks.machine import host_line

STEPS_PER_EPOCH = {128: 10, 10: 100}
BIG, DEEP, WIDE = (NetCase("softmax", SOFTMAX_BIG, 128, ()), NetCase("sincos", SINCOS_DEEP, 10, ()),
                   NetCase("sincos", SINCOS_WIDE, 10, ()))
GOALS = {  # (case, engine, optimizer): highest epoch-time ratio to sgd
    (BIG, "vectorized", "adam"): 1.3, (DEEP, "vectorized", "adam"): 1.6,
    (BIG, "compiled", "adam"): 1.3, (DEEP, "compiled", "adam"): 1.3, (WIDE, "compiled", "adam"): 1.3,
}
CASES = tuple(dict.fromkeys((case, engine) for case, engine, _ in GOALS))


def epoch_seconds(case: NetCase, engine_name: str, optimizer: str, dtype: str = "float64", seed: int = 0,
                  steps: int | None = None):
    """A callable that trains one epoch of ``case`` with ``optimizer`` on ``engine_name`` and
    returns its (CPU seconds, wall seconds)."""
    net = case.make_net(dtype, seed=seed)
    X, Y = case.dataset((steps or STEPS_PER_EPOCH[case.batch_size]) * case.batch_size, seed=seed)
    X, Y = net.check_data(X, Y)
    engine, grads = get_engine(engine_name), zero_gradients(net)
    rule = make_optimizer(optimizer, net.flat_params(), case.lr)

    def epoch() -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):
            engine.train_epoch(net, X, Y, case.batch_size, rule, "mean", grads, None)
        return time.process_time() - cpu, time.perf_counter() - wall
    return epoch


def measure(rounds: int = 15, optimizers: tuple[str, ...] = ("sgd", "adam"), steps: int | None = None) -> list[dict]:
    """Per (case, engine, optimizer): median epoch seconds (CPU and wall) over rounds interleaved
    across the optimizers, and the median and quartiles of the per-round ratios to sgd."""
    rows = []
    for case, engine in CASES:
        epochs = {name: epoch_seconds(case, engine, name, steps=steps) for name in optimizers}
        for epoch in epochs.values():
            epoch()  # warm-up: compiles or loads the kernels, touches every buffer
        cpu = {name: [] for name in optimizers}
        wall = {name: [] for name in optimizers}
        for _ in range(rounds):
            for name, epoch in epochs.items():
                cpu_s, wall_s = epoch()
                cpu[name].append(cpu_s)
                wall[name].append(wall_s)
        for name in optimizers:
            cpu_ratio = np.array(cpu[name]) / np.array(cpu["sgd"])
            wall_ratio = np.array(wall[name]) / np.array(wall["sgd"])
            rows.append({"case": case.case_id, "engine": engine, "optimizer": name,
                         "steps": steps or STEPS_PER_EPOCH[case.batch_size],
                         "cpu_s": float(np.median(cpu[name])), "wall_s": float(np.median(wall[name])),
                         "cpu_ratio": float(np.median(cpu_ratio)),
                         "cpu_quartiles": tuple(np.percentile(cpu_ratio, [25, 75])),
                         "wall_ratio": float(np.median(wall_ratio)), "goal": GOALS.get((case, engine, name))})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--optimizers", nargs="+", default=["sgd", "adam"],
                        choices=list(nncore.OPTIMIZERS))
    parser.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)  # tests: tiny epochs
    args = parser.parse_args(argv)
    print(host_line())  # whose machine the figures below come from
    optimizers = tuple(dict.fromkeys(["sgd", *args.optimizers]))
    print(f"{'case':<31} {'engine':<10} {'optimizer':<9} {'steps':>5} {'CPU s':>8} {'wall s':>8} "
          f"{'CPU x sgd [quartiles]':>22} {'wall x sgd':>10}  goal (on CPU time)")
    for row in measure(args.rounds, optimizers, args.steps):
        goal = row["goal"]
        verdict = "" if goal is None else f"<= {goal}: {'met' if row['cpu_ratio'] <= goal else 'MISSED'}"
        low, high = row["cpu_quartiles"]
        print(f"{row['case']:<31} {row['engine']:<10} {row['optimizer']:<9} {row['steps']:>5} {row['cpu_s']:>8.4f} "
              f"{row['wall_s']:>8.4f} {row['cpu_ratio']:>9.2f} [{low:.2f}-{high:.2f}] {row['wall_ratio']:>10.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
