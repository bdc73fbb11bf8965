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

``--hook``: instead, what the vectorized engine's whole-epoch hook saves, on the default studies'
shapes (sin-cos 2-100-1 and the digits and MNIST-1D classifiers at batch 10 and 100): an epoch
through ``train_epoch`` against the same epoch step by step (``nncore.train_step`` per batch),
alternating. Both make the same updates to the bit (tests/test_nncore_train.py); the hook does the
per-step Python work (the parameter vector's check, the workspace lookup, the views, the
activations) once per epoch. Printed per case: CPU seconds per epoch of each, and the median over
rounds of the per-round ratio step-by-step / hook, with its quartiles.
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
HOOK_SAMPLES = 2000
HOOK_CASES = ((WIDE, "sgd"), (NetCase("softmax", (64, 100, 10), 10, ()), "sgd"),
              *((NetCase("softmax", (40, 100, 100, 10), 100, ()), kind) for kind in ("momentum", "adam")))


def epoch_seconds(case: NetCase, engine_name: str, optimizer: str, dtype: str = "float64", seed: int = 0,
                  steps: int | None = None, stepwise: bool = False):
    """A callable that trains one epoch of ``case`` with ``optimizer`` on ``engine_name`` (through
    its ``train_epoch`` hook, or ``nncore.train_step`` per batch when ``stepwise``) and returns its
    (CPU seconds, wall seconds)."""
    net = case.make_net(dtype, seed=seed)
    X, Y = case.dataset((steps or STEPS_PER_EPOCH[case.batch_size]) * case.batch_size, seed=seed)
    X, Y = net.check_data(X, Y)
    engine, grads = get_engine(engine_name), zero_gradients(net)
    rule = make_optimizer(optimizer, net.flat_params(), case.lr)

    def epoch() -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):
            if stepwise:
                for start in range(0, len(X), case.batch_size):
                    nncore.train_step(net, engine, X[start:start + case.batch_size],
                                      Y[start:start + case.batch_size], grads, rule, "mean")
            else:
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


def hook_savings(rounds: int) -> None:
    """Per ``HOOK_CASES`` case: CPU seconds per epoch through the hook and step by step, and the
    median and quartiles of the per-round ratios steps / hook."""
    print(f"{'case':<36} {'hook s':>9} {'steps s':>9}  steps / hook [quartiles]")
    for case, optimizer in HOOK_CASES:
        hooked, stepwise = (epoch_seconds(case, "vectorized", optimizer, steps=HOOK_SAMPLES // case.batch_size,
                                          stepwise=stepwise) for stepwise in (False, True))
        hooked(), stepwise()  # warm: workspaces, BLAS
        pairs = np.array([(hooked()[0], stepwise()[0]) for _ in range(rounds)])
        q1, q2, q3 = np.percentile(pairs[:, 1] / pairs[:, 0], [25, 50, 75])
        label = f"{'-'.join(map(str, case.layer_sizes))}, batch {case.batch_size}, {optimizer}"
        print(f"{label:<36} {np.median(pairs[:, 0]):>9.4f} {np.median(pairs[:, 1]):>9.4f}  "
              f"{q2:.2f}x [{q1:.2f}-{q3:.2f}]", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, help="timed rounds (default 15; with --hook 9)")
    parser.add_argument("--optimizers", nargs="+", default=["sgd", "adam"],
                        choices=list(nncore.OPTIMIZERS))
    parser.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)  # tests: tiny epochs
    parser.add_argument("--hook", action="store_true", help="instead: what the vectorized engine's "
                        "whole-epoch hook saves over stepping batch by batch")
    args = parser.parse_args(argv)
    print(host_line())  # whose machine the figures below come from
    if args.hook:
        return hook_savings(args.rounds or 9) or 0
    optimizers = tuple(dict.fromkeys(["sgd", *args.optimizers]))
    print(f"{'case':<31} {'engine':<10} {'optimizer':<9} {'steps':>5} {'CPU s':>8} {'wall s':>8} "
          f"{'CPU x sgd [quartiles]':>22} {'wall x sgd':>10}  goal (on CPU time)")
    for row in measure(args.rounds or 15, optimizers, args.steps):
        goal = row["goal"]
        verdict = "" if goal is None else f"<= {goal}: {'met' if row['cpu_ratio'] <= goal else 'MISSED'}"
        low, high = row["cpu_quartiles"]
        print(f"{row['case']:<31} {row['engine']:<10} {row['optimizer']:<9} {row['steps']:>5} {row['cpu_s']:>8.4f} "
              f"{row['wall_s']:>8.4f} {row['cpu_ratio']:>9.2f} [{low:.2f}-{high:.2f}] {row['wall_ratio']:>10.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
