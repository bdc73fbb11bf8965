"""What an optimizer costs: seconds per training epoch with each rule, as a ratio to plain SGD.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.optimizer_cost [--rounds 15]

An epoch is ``nncore.train(..., epochs=1)``'s timed part (``History.epoch_s``: shuffling and the
training steps, evaluation excluded) over ``STEPS_PER_EPOCH`` batches of seeded data. Rounds
alternate between the optimizers, so a busy spell on the shared machine hits each of them alike,
and each time is the fastest round (a busy spell only ever adds time). Goals (issue 9): an Adam
epoch at most 1.3x an SGD epoch on 784-1024-1024-10 at batch 128, at most 1.6x on the deep
sin-cos net at batch 10.
"""
from __future__ import annotations

import argparse

import nncore

from benchmarks.cases import SINCOS_DEEP, SOFTMAX_BIG, NetCase

STEPS_PER_EPOCH = {128: 10, 10: 100}
GOALS = {  # (case, optimizer): highest epoch-time ratio to sgd
    (NetCase("softmax", SOFTMAX_BIG, 128, ("vectorized",)), "adam"): 1.3,
    (NetCase("sincos", SINCOS_DEEP, 10, ("vectorized",)), "adam"): 1.6,
}
CASES = tuple(dict.fromkeys(case for case, _ in GOALS))


def epoch_seconds(case: NetCase, optimizer: str, dtype: str = "float64", seed: int = 0):
    """A callable that trains one epoch of ``case`` with ``optimizer`` and returns its seconds."""
    net = case.make_net(dtype, seed=seed)
    X, Y = case.dataset(STEPS_PER_EPOCH[case.batch_size] * case.batch_size, seed=seed)
    X, Y = net.check_data(X, Y)
    epochs_done = 0

    def epoch() -> float:
        nonlocal epochs_done
        epochs_done += 1
        history = nncore.train(net, X, Y, epochs=1, batch_size=case.batch_size, lr=case.lr,
                               optimizer=optimizer, seed=epochs_done)
        return history.epoch_s[-1]
    return epoch


def measure(rounds: int = 15, optimizers: tuple[str, ...] = ("sgd", "adam")) -> list[dict]:
    """Fastest epoch per (case, optimizer), rounds interleaved; rows with ratio to sgd."""
    rows = []
    for case in CASES:
        epochs = {name: epoch_seconds(case, name) for name in optimizers}
        best = {name: float("inf") for name in optimizers}
        for _ in range(rounds):
            for name, epoch in epochs.items():
                best[name] = min(best[name], epoch())
        for name in optimizers:
            ratio = best[name] / best["sgd"] if "sgd" in best else float("nan")
            rows.append({"case": case.case_id, "optimizer": name, "epoch_s": best[name],
                         "steps": STEPS_PER_EPOCH[case.batch_size], "ratio_to_sgd": ratio,
                         "goal": GOALS.get((case, name))})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--optimizers", nargs="+", default=["sgd", "adam"],
                        choices=list(nncore.OPTIMIZERS))
    args = parser.parse_args(argv)
    optimizers = tuple(dict.fromkeys(["sgd", *args.optimizers]))
    print(f"{'case':<28} {'optimizer':<9} {'epoch s':>9} {'steps':>5} {'x sgd':>6}  goal")
    for row in measure(args.rounds, optimizers):
        goal = row["goal"]
        verdict = "" if goal is None else f"<= {goal}: {'met' if row['ratio_to_sgd'] <= goal else 'MISSED'}"
        print(f"{row['case']:<28} {row['optimizer']:<9} {row['epoch_s']:>9.4f} {row['steps']:>5} "
              f"{row['ratio_to_sgd']:>6.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
