"""Time to result: steps and seconds to a target, targets from a reference configuration, and the
performance profile across workloads."""
import math

import numpy as np
import pandas as pd
import pytest

from reports.studies.search.time_to_result import (TAUS, performance_profile, reference_targets, time_to_target,
                                    times_to_target)


def curve(values, run_id="a", column="val_loss"):
    """A run's curve: epochs 0..n-1, 10 steps and (epoch + 1) seconds an epoch after epoch 0."""
    n = len(values)
    return pd.DataFrame({"run_id": run_id, "epoch": range(n), column: values,
                         "step": [10 * e for e in range(n)],
                         "epoch_s": [math.nan, *[float(e + 1) for e in range(1, n)]]})


def test_the_time_is_the_first_epoch_at_or_below_the_target_with_the_seconds_up_to_it():
    # epoch 2 is the first at or below 0.45: 20 steps, 2 + 3 = 5 training seconds
    assert time_to_target(curve([1.0, 0.6, 0.4, 0.3]), "val_loss", 0.45) == (20.0, 5.0)
    assert time_to_target(curve([1.0, 0.6, 0.4, 0.3]), "val_loss", 0.4) == (20.0, 5.0)
    assert time_to_target(curve([1.0, 0.3, 0.5]).iloc[::-1], "val_loss", 0.45) == (10.0, 2.0)


def test_a_target_never_reached_is_infinite():
    assert time_to_target(curve([1.0, 0.6, math.nan]), "val_loss", 0.5) == (math.inf, math.inf)
    assert time_to_target(curve([1.0, 0.6]), "val_loss", math.nan) == (math.inf, math.inf)


def test_an_accuracy_reaches_its_target_from_below():
    acc = curve([0.1, 0.5, 0.8, 0.9], column="val_acc")
    assert time_to_target(acc, "val_acc", 0.75, lower_is_better=False) == (20.0, 5.0)
    assert time_to_target(acc, "val_acc", 0.75, lower_is_better=True) == (0.0, 0.0)


def runs_and_curves():
    """sgd and adam on two datasets, two seeds each; sgd's best val_loss per seed: x (0.4, 0.6)
    and y (0.2, 0.3); adam is twice as fast on x and never reaches y's target."""
    best = {("x", "sgd"): [0.4, 0.6], ("y", "sgd"): [0.2, 0.3],
            ("x", "adam"): [0.3, 0.35], ("y", "adam"): [0.5, 0.5]}
    runs, curves = [], []
    for (dataset, optimizer), values in best.items():
        for seed, value in enumerate(values):
            run_id = f"{dataset}-{optimizer}-{seed}"
            runs.append({"run_id": run_id, "dataset": dataset, "optimizer": optimizer,
                         "seed": seed, "status": "ok"})
            fall = [1.0, 0.9, 0.8, 0.7, 0.65, value] if optimizer == "sgd" else [1.0, 0.6, value, value]
            curves.append(curve(fall, run_id))
    return pd.DataFrame(runs), pd.concat(curves, ignore_index=True)


def test_the_reference_target_is_the_median_over_seeds_of_its_best_per_workload():
    runs, curves = runs_and_curves()
    targets = reference_targets(runs, curves, "val_loss", {"optimizer": "sgd"})
    assert targets == pytest.approx({"x": 0.5, "y": 0.25})


def test_a_workload_without_a_finished_reference_run_has_no_target():
    runs, curves = runs_and_curves()
    runs.loc[runs["dataset"] == "y", "status"] = "diverged"
    targets = reference_targets(runs, curves, "val_loss", {"optimizer": "sgd"})
    assert targets["x"] == pytest.approx(0.5) and math.isnan(targets["y"])


def test_every_run_gets_its_workloads_target_and_a_diverged_run_never_reaches_it():
    runs, curves = runs_and_curves()
    runs.loc[runs["run_id"] == "x-adam-1", "status"] = "diverged"
    times = times_to_target(runs, curves, "val_loss", {"x": 0.5, "y": 0.25}).set_index("run_id")
    assert times.loc["x-sgd-0", "steps"] == 50  # 0.4 at epoch 5
    assert times.loc["x-sgd-1", "steps"] == math.inf  # its best, 0.6, is above 0.5
    assert times.loc["x-adam-0", "steps"] == 20
    assert times.loc["x-adam-1", "steps"] == math.inf
    assert (times.loc[["y-adam-0", "y-adam-1"], "steps"] == math.inf).all()
    one_target = times_to_target(runs, curves, "val_loss", 0.95).set_index("run_id")["steps"]
    assert one_target.drop("x-adam-1").eq(10).all() and one_target["x-adam-1"] == math.inf


def profile(times):
    table = performance_profile(times, "optimizer")
    return {(row.optimizer, row.tau): row.share for row in table.itertuples()}


def times_of(per_workload):
    return pd.DataFrame([{"dataset": d, "optimizer": o, "steps": t}
                         for d, row in per_workload.items() for o, t in row.items()])


def test_the_profile_is_the_share_of_workloads_within_tau_of_the_fastest():
    shares = profile(times_of({"a": {"A": 10, "B": 20}, "b": {"A": 30, "B": 15}, "c": {"A": 8, "B": 8}}))
    assert shares[("A", 1.0)] == shares[("B", 1.0)] == pytest.approx(2 / 3)  # fastest on one, tie on c
    assert shares[("A", 1.75)] == pytest.approx(2 / 3)  # 30 / 15 = 2 > 1.75
    assert shares[("A", 2.0)] == shares[("B", 2.0)] == 1.0
    assert sorted({tau for _, tau in shares}) == list(TAUS) and TAUS[0] == 1.0 and TAUS[-1] == 4.0


def test_never_reaching_is_never_within_any_tau_and_a_workload_nobody_reaches_counts_for_none():
    shares = profile(times_of({"a": {"A": 10, "B": math.inf}, "b": {"A": math.inf, "B": math.inf}}))
    assert shares[("A", 1.0)] == 0.5 and shares[("A", 4.0)] == 0.5
    assert shares[("B", 4.0)] == 0.0


def test_the_profile_uses_the_median_over_seeds_and_reaching_at_step_zero_is_fastest():
    times = times_of({"a": {"A": 0, "B": 0}})
    assert profile(times)[("A", 1.0)] == profile(times)[("B", 1.0)] == 1.0
    seeds = pd.DataFrame({"dataset": "a", "optimizer": ["A", "A", "A", "B"],
                          "steps": [10, 40, np.inf, 30]})  # A's median: 40
    assert profile(seeds)[("A", 1.25)] == 0.0 and profile(seeds)[("A", 1.5)] == 1.0
