"""What a whole study run costs beside its bare training epochs, per engine, side by side.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m benchmarks.run_cost [--rounds 7]

A whole run is ``experiments.run.execute`` of the width study's run at width 100 (sin-cos, 10,000
training and 1,000 validation rows, batch 10, 30 epochs, evaluated after every epoch) on each
engine, and of the same run with the deep net 2-100-80-50-30-10-1 in its place: the shuffle, the
training, the evaluations, the history and the rows a sweep records, end to end. Its bare epochs
are the same 30 epochs through the engine's ``train_epoch`` hook on the same rows in a fixed
order: no shuffle, no evaluation, nothing recorded. A run and its bare epochs take turns, one
thread (threadpoolctl), so a busy spell of a shared machine hits both alike; the ratio is the
median of the per-round ratios run / bare epochs, with its quartiles. Goals (``GOALS``): on
``compiled``, at most 1.3 on 2-100-1 and 1.15 on the deep net. The output names the host.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import nncore
from nncore.engines import get_engine, zero_gradients
from nncore.optimizers import make_optimizer

from benchmarks.cases import SINCOS_DEEP, SINCOS_WIDE
from benchmarks.machine import host_line
from benchmarks.peers import interleaved_seconds

WIDTH_STUDY = Path(__file__).resolve().parents[1] / "experiments" / "studies" / "width.toml"
ENGINES = ("compiled", "vectorized")
NETS = {"2-100-1": list(SINCOS_WIDE), "deep": list(SINCOS_DEEP)}
GOALS = {("compiled", "2-100-1"): 1.3, ("compiled", "deep"): 1.15}  # highest run / bare epochs


@dataclass
class RunPair:
    """A whole run and its bare epochs on one engine and network, as two callables."""

    engine: str
    net: str
    run: object
    bare_epochs: object


QUICK_DATA = {"step": 1.0, "n_val": 100}  # 100 training rows: the test suite's quick look


def run_config(engine: str, layer_sizes: list[int], quick: bool = False) -> dict:
    """The width study's width-100 run configuration with ``engine`` and ``layer_sizes``
    (``quick``: the sin-cos grid at step 1, 100 rows)."""
    from experiments.spec import load_spec

    config = dict(load_spec(WIDTH_STUDY).runs[-1].config, engine=engine, layer_sizes=layer_sizes)
    if quick:
        config["dataset_options"] = {**config["dataset_options"], **QUICK_DATA}
    return config


def run_pair(engine: str, net_name: str, quick: bool = False) -> RunPair:
    """The whole run (``experiments.run.execute`` of ``run_config``) and its bare epochs."""
    from experiments.run import build_network, dataset, execute

    config = run_config(engine, NETS[net_name], quick)
    job = {"config": config, "run_id": f"run-cost-{engine}-{net_name}", "study": "run-cost"}
    net = build_network(config)
    X, Y = net.check_data(*dataset(config)[:2])
    hook, grads = get_engine(engine), zero_gradients(net)
    sgd = make_optimizer(config["optimizer"], net.flat_params(), config["lr"])

    def run():
        row = execute(job)["runs"]
        if row["status"] != "ok":
            raise RuntimeError(f"the {engine} run failed: {row['error']}")

    def bare_epochs():
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(config["epochs"]):
                hook.train_epoch(net, X, Y, config["batch_size"], sgd, config["reduction"], grads, None)
    return RunPair(engine, net_name, run, bare_epochs)


def measure(pair: RunPair, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """Seconds of the run and of its bare epochs per round (after one warm-up round)."""
    seconds = interleaved_seconds({"run": pair.run, "bare": pair.bare_epochs}, rounds + 1)
    return np.array(seconds["run"][1:]), np.array(seconds["bare"][1:])


def report_line(pair: RunPair, run_s: np.ndarray, bare_s: np.ndarray) -> tuple[str, bool | None]:
    """The printed row and whether its goal is met (None: no goal)."""
    q1, ratio, q3 = np.percentile(run_s / bare_s, [25, 50, 75])
    goal = GOALS.get((pair.engine, pair.net))
    verdict = "" if goal is None else f"goal <= {goal:g}: {'met' if ratio <= goal else 'NOT met'}"
    return (f"{pair.engine:<11} {pair.net:<8} {np.median(run_s):>9.4f} {np.median(bare_s):>9.4f} "
            f"{ratio:>6.2f}x [{q1:.2f}-{q3:.2f}]  {verdict}"), (None if goal is None else ratio <= goal)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per engine and net (default 7)")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=sorted(nncore.ENGINES))
    parser.add_argument("--nets", nargs="+", default=list(NETS), choices=list(NETS))
    parser.add_argument("--quick", action="store_true", help=argparse.SUPPRESS)  # tests: tiny runs
    args = parser.parse_args(argv)
    with threadpool_limits(1):
        print(host_line())
        print("a whole run (experiments.run.execute: 30 epochs, shuffled, evaluated after each on the "
              "training and validation sets, rows recorded) against its 30 bare epochs (the engine's "
              "train_epoch hook), in turns; seconds are medians\n")
        print(f"{'engine':<11} {'net':<8} {'run s':>9} {'epochs s':>9}  run / epochs [quartiles]")
        for engine in args.engines:
            for net_name in args.nets:
                pair = run_pair(engine, net_name, args.quick)
                line, _ = report_line(pair, *measure(pair, max(args.rounds, 1)))
                print(line, flush=True)
        print(f"\n{host_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
