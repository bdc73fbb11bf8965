"""The scorecard judges each claim on the data: data built to contradict a claim make it fail."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from experiments.stats import mean_intervals
from reports.data import StudyResults
from reports.provenance import mixing_warning
from claim_lookup import by_id, claim_ids
from reports.scorecard import scorecard
from reports.studies.engines.timing import speedup_stats
from synthetic_results import run_row

CLAIM_IDS = ("width-lower-loss", "depth-lower-loss", "width-fair-lower-loss",
             "depth-fair-lower-loss", "optimizers-fair-winner", "final-train-mse", "final-val-mse",
             "xor-solved", "people-emily", "people-frank", "random-regression-zero",
             "gradients-agree", "mnist1d-logistic", "mnist1d-mlp", "init-sigmoid-saturates",
             "init-sigmoid-collapses", "init-xavier-spreads", "init-he-relu-alive",
             "double-descent-peak")


def study(name: str, rows: list[dict]) -> StudyResults:
    return StudyResults(name=name, runs=pd.DataFrame(rows))


def sweep(name: str, sizes_and_losses, seeds=range(5), noise=0.0) -> StudyResults:
    """A grid study: each layer size's loss on every seed, plus seeded noise of sd ``noise``."""
    rng = np.random.default_rng(0)
    return study(name, [run_row(name, layer_sizes=sizes, seed=seed,
                                final_train_loss=loss + rng.normal(0, noise))
                        for sizes, loss in sizes_and_losses for seed in seeds])


def verdict(studies: dict[str, StudyResults], claim_id: str) -> str:
    return by_id(scorecard(studies), claim_id).holds


def test_wider_is_lower_holds_when_every_step_is_resolved():
    width = sweep("width", [([2, 10, 1], 0.04), ([2, 20, 1], 0.02), ([2, 100, 1], 0.01)],
                  noise=0.001)
    claim = by_id(scorecard({"width": width}), "width-lower-loss")
    assert claim.holds == "yes"
    assert "holds: every step resolved" in claim.ours


def test_wider_is_lower_is_not_resolved_rather_than_no_where_one_step_is_noise():
    width = sweep("width", [([2, 10, 1], 0.04), ([2, 20, 1], 0.02), ([2, 50, 1], 0.01),
                            ([2, 100, 1], 0.0099)], noise=0.001)
    claim = by_id(scorecard({"width": width}), "width-lower-loss")
    assert claim.holds == "not resolved (5 seeds)"
    assert "a step is open: 50 -> 100: not resolved (5 seeds)" in claim.ours
    assert "fixed-sample 95% bootstrap interval" in claim.ours
    assert "10 -> 20" not in claim.ours.split(". Steps")[0]  # the resolved steps are not named


def test_an_order_step_with_two_seeds_is_never_resolved():
    width = sweep("width", [([2, 10, 1], 0.04), ([2, 20, 1], 0.02)], seeds=(0, 1), noise=0.001)
    assert "10 -> 20: not resolved (2 seeds)" in by_id(scorecard({"width": width}),
                                                      "width-lower-loss").ours


def test_wider_is_lower_fails_when_a_narrower_net_has_lower_loss():
    width = sweep("width", [([2, 10, 1], 0.01), ([2, 20, 1], 0.02), ([2, 100, 1], 0.005)],
                  noise=0.001)
    claim = by_id(scorecard({"width": width}), "width-lower-loss")
    assert claim.holds == "no"
    assert "10 -> 20: resolved the other way (worse) (5 seeds)" in claim.ours


def test_deeper_is_lower_fails_when_depth_raises_the_loss():
    depth = sweep("depth", [([2, 20, 1], 0.01), ([2, 20, 20, 1], 0.02)])
    assert verdict({"depth": depth}, "depth-lower-loss") == "no"


@pytest.mark.parametrize("train_loss, holds", [(0.00015, "yes"), (0.00029, "yes"),
                                               (0.00031, "no"), (0.00007, "no")])
def test_final_train_mse_holds_only_within_a_factor_of_two(train_loss, holds):
    final = study("final", [run_row("final", final_train_loss=train_loss)])
    assert verdict({"final": final}, "final-train-mse") == holds


def classics(**metrics_by_dataset) -> StudyResults:
    return study("classics", [run_row("classics", dataset=dataset, seed=seed,
                                      final_train_loss=values.pop("loss", 0.01),
                                      metrics=json.dumps(values))
                              for dataset, per_seed in metrics_by_dataset.items()
                              for seed, values in enumerate(per_seed)])


def test_xor_fails_when_no_seed_solves_it():
    data = classics(xor=[{"solved": False}, {"solved": False}])
    assert verdict({"classics": data}, "xor-solved") == "no"


def test_xor_holds_when_some_seed_solves_it_and_says_how_often():
    data = classics(xor=[{"solved": True, "steps_to_solve": 3000}, {"solved": False}])
    assert verdict({"classics": data}, "xor-solved") == "yes"
    ours = by_id(scorecard({"classics": data}), "xor-solved").ours
    assert ours == "solved by 1 of 2 seeds, median 3,000 steps"


def test_people_claims_fail_when_emily_and_frank_are_swapped():
    data = classics(people=[{"emily": 0.04, "frank": 0.95}])
    assert verdict({"classics": data}, "people-emily") == "no"
    assert verdict({"classics": data}, "people-frank") == "no"


def test_random_regression_fails_when_the_loss_stays_high():
    data = classics(random_regression=[{"loss": 0.5}])
    assert verdict({"classics": data}, "random-regression-zero") == "no"


def test_gradients_fail_when_one_check_disagrees():
    gradcheck = study("gradcheck", [run_row("gradcheck", task="gradcheck", seed=seed,
                                            metrics=json.dumps({"max_rel_error": error}))
                                    for seed, error in enumerate((1e-10, 1e-4))])
    assert verdict({"gradcheck": gradcheck}, "gradients-agree") == "no"


def mnist1d(logistic: list[float], mlp: list[float]) -> StudyResults:
    return study("mnist1d", [run_row("mnist1d", dataset="mnist1d", layer_sizes=sizes, seed=seed,
                                     final_val_acc=accuracy)
                             for sizes, accuracies in (([40, 10], logistic), ([40, 100, 100, 10], mlp))
                             for seed, accuracy in enumerate(accuracies)])


@pytest.mark.parametrize("mlp, holds", [([0.66, 0.66], "yes"), ([0.70, 0.72], "yes"),
                                        ([0.64, 0.65], "no"), ([0.70, 0.74], "no")])
def test_mnist1d_mlp_holds_only_within_three_points_of_68_percent(mlp, holds):
    assert verdict({"mnist1d": mnist1d([0.32], mlp)}, "mnist1d-mlp") == holds


def test_mnist1d_logistic_regression_is_judged_on_its_own_runs():
    data = mnist1d([0.25, 0.27], [0.68, 0.68])
    assert verdict({"mnist1d": data}, "mnist1d-logistic") == "no"
    assert verdict({"mnist1d": data}, "mnist1d-mlp") == "yes"
    ours = by_id(scorecard({"mnist1d": data}), "mnist1d-logistic").ours
    assert ours.startswith("26 ± 1.4% after") and "2 seeds" in ours


def test_every_claim_without_its_study_says_no_data():
    claims = scorecard({})
    assert [claim.id for claim in claims] == list(CLAIM_IDS)
    assert {claim.holds for claim in claims} == {"no data"}


def test_claim_ids_are_unique_and_a_missing_id_names_the_valid_ones():
    assert len(set(claim_ids())) == len(claim_ids())
    with pytest.raises(KeyError, match="no claim 'nope'; claims: width-lower-loss, "):
        by_id(scorecard({}), "nope")


def test_claims_use_only_runs_that_finished():
    runs = sweep("width", [([2, 10, 1], 0.04), ([2, 20, 1], 0.02)], noise=0.001).runs.to_dict("records")
    runs.append(run_row("width", layer_sizes=[2, 20, 1], seed=9, status="diverged",
                        final_train_loss=0.9))
    assert verdict({"width": study("width", runs)}, "width-lower-loss") == "yes"


def test_speedup_is_a_ratio_of_summed_costs_not_a_mean_of_ratios():
    times = pd.DataFrame({"engine": ["loop", "loop", "vectorized", "vectorized"], "width": 10,
                          "batch_size": 10, "epoch_s": [1.0, 3.0, 1.0, 2.0]})
    row = speedup_stats(times).set_index("baseline").loc["loop"]
    assert row["speedup"] == pytest.approx(4.0 / 3.0)  # a mean of per-epoch ratios would give 1.25
    assert row["low"] <= row["speedup"] <= row["high"]


def test_mixed_provenance_is_named():
    runs = pd.DataFrame([run_row("width", git_commit="aaaa"), run_row("width", seed=1, git_commit="bbbb")])
    warning = mixing_warning("figure width_loss_curves.png", runs)
    assert "git commit (aaaa, bbbb)" in warning
    assert mixing_warning("figure x", runs.iloc[:1]) is None


def test_the_same_blas_libraries_listed_in_another_order_are_not_mixed_provenance():
    runs = pd.DataFrame([run_row("width", blas="openblas 0.3.30; openblas 0.3.31"),
                         run_row("width", seed=1, blas="openblas 0.3.31; openblas 0.3.30")])
    assert mixing_warning("figure x", runs) is None
    runs.loc[1, "blas"] = "openblas 0.3.31"
    assert "BLAS (openblas 0.3.30; openblas 0.3.31, openblas 0.3.31)" in mixing_warning("figure x", runs)


def test_mean_interval_brackets_the_mean_and_is_absent_for_one_seed():
    frame = pd.DataFrame({"width": [10, 10, 10, 20], "loss": [1.0, 2.0, 3.0, 5.0]})
    summary = mean_intervals(frame, ["width"], "loss").set_index("width")
    assert summary.loc[10, "mean"] == 2.0 and summary.loc[10, "n"] == 3
    assert 1.0 <= summary.loc[10, "low"] < 2.0 < summary.loc[10, "high"] <= 3.0
    assert np.isnan(summary.loc[20, "low"])
