"""Statistics of fair comparisons on small seeded synthetic data: bootstrap differences, Holm,
verdicts, order claims, the budget curve and each check of a searched study."""
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import search
from experiments.config import Where
from experiments import stats
from reports import uncertainty as u
from reports.studies.search import budget, checks

REFERENCE = np.array([1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.02, 0.98])
# Paired improvements whose bootstrap p-value is about 0.04: resolved alone, not after Holm.
BORDERLINE = np.array([0.1, 0.2, -0.05, 0.15, -0.05, 0.12, -0.02, 0.08])


def runs(samples: dict, seeds=None) -> pd.DataFrame:
    """One row per run: point label, seed, value."""
    return pd.DataFrame([{"point": name, "seed": (seeds or range(len(values)))[i], "value": v}
                         for name, values in samples.items() for i, v in enumerate(values)])


# --- summaries and one comparison -----------------------------------------------------------------
def test_seed_summary_gives_median_and_interquartile_mean():
    frame = runs({"a": [1, 2, 3, 4, 100, 5, 6, 7], "b": [2.0, np.nan, 4.0]})
    summary = u.seed_summary(frame, ["point"], "value").set_index("point")
    assert summary.loc["a", "median"] == 4.5
    assert summary.loc["a", "iqm"] == pytest.approx(np.mean([3, 4, 5, 6]))  # the outlier is trimmed
    assert summary.loc["b", "n"] == 2 and summary.loc["b", "mean"] == 3.0


def test_mean_interval_holds_the_mean_and_needs_two_values():
    mean, low, high = stats.mean_interval(np.array([1.0, 2.0, 3.0, np.nan, 4.0]))
    assert mean == 2.5 and 1.0 <= low < 2.5 < high <= 4.0
    assert stats.mean_interval(np.array([1.0, 1.0, 1.0]))[1:] == (1.0, 1.0)
    single = stats.mean_interval(np.array([3.0]))
    assert single[0] == 3.0 and math.isnan(single[1])


def test_a_known_shift_is_better_and_its_interval_covers_it():
    rng = np.random.default_rng(0)
    candidate = REFERENCE - 0.2 + rng.normal(0, 0.02, len(REFERENCE))
    result = u.compare(REFERENCE, candidate, lower_is_better=True, paired=True)
    assert result["low"] < -0.2 + 0.03 and result["high"] > -0.2 - 0.03 and result["high"] < 0
    assert result["p_value"] < 0.01 and result["prob_improvement"] > 0.9 and result["n"] == 8
    assert u.verdict(result["difference"], result["p_value"], lower_is_better=True) == "better"
    assert u.verdict(result["difference"], result["p_value"], lower_is_better=False) == "worse"


def test_identical_samples_are_not_resolved():
    result = u.compare(REFERENCE, REFERENCE.copy(), lower_is_better=True, paired=True)
    assert result["difference"] == 0 and result["p_value"] == 1.0
    assert result["prob_improvement"] == 0.5
    assert u.verdict(result["difference"], result["p_value"], True) == "not resolved"


def test_the_same_seed_noise_cancels_when_paired_and_not_when_unpaired():
    rng = np.random.default_rng(1)
    seed_effect = rng.normal(0, 1.0, 6)  # large per-seed noise, shared by both sides
    reference, candidate = 5 + seed_effect, 5 + seed_effect - 0.1
    assert u.compare(reference, candidate, True, paired=True)["p_value"] < 0.01
    assert u.compare(reference, candidate, True, paired=False)["p_value"] > 0.5


def test_the_bootstrap_is_seeded():
    candidate = REFERENCE - np.random.default_rng(5).normal(0.1, 0.1, len(REFERENCE))
    first = u.compare(REFERENCE, candidate, True, True, seed=3)
    assert first == u.compare(REFERENCE, candidate, True, True, seed=3)
    assert first["low"] != u.compare(REFERENCE, candidate, True, True, seed=4)["low"]


def test_probability_of_improvement_counts_all_pairs_and_half_ties():
    assert u.probability_of_improvement(np.array([1.0, 2.0]), np.array([1.5, 1.0]), True) == pytest.approx(
        (1 + 0 + 0.5 + 1) / 4)
    assert u.probability_of_improvement(np.array([1.0]), np.array([2.0]), False) == 1.0


def test_two_seeds_get_an_interval_but_never_a_verdict():
    result = u.compare(np.array([1.0, 1.1]), np.array([0.5, 0.6]), True, paired=True)
    assert result["low"] == pytest.approx(-0.5) and result["p_value"] == 1.0
    assert u.compare(np.array([1.0, 1.1, 1.05]), np.array([0.5, 0.6, 0.55]), True, True)["p_value"] < 0.01


def test_one_seed_a_side_has_no_interval_and_is_not_resolved():
    result = u.compare(np.array([1.0]), np.array([0.5]), True, paired=False)
    assert math.isnan(result["low"]) and result["p_value"] == 1.0 and result["n"] == 1


# --- Holm and the comparison table --------------------------------------------------------------
def test_holm_multiplies_the_smallest_by_m_and_stays_monotone():
    assert stats.holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]).tolist() == pytest.approx([1.0, 1.0])
    assert stats.holm([]).tolist() == []


def test_holm_turns_a_borderline_difference_into_not_resolved():
    alone = runs({"a": REFERENCE, "b": REFERENCE - BORDERLINE})
    table = u.comparisons(alone, "point", "value", lower_is_better=True)
    assert 0.01 < table.loc[0, "p_value"] < 0.05
    assert table["verdict"].tolist() == ["better"]
    # the same difference among two comparisons: its adjusted p doubles
    two = runs({"a": REFERENCE, "b": REFERENCE - BORDERLINE, "c": REFERENCE - BORDERLINE})
    table = u.comparisons(two, "point", "value", lower_is_better=True)
    assert table.loc[0, "p_value"] < 0.05 < table.loc[0, "p_holm"]
    assert table["verdict"].tolist() == ["not resolved", "not resolved"]


def test_comparisons_cover_adjacent_steps_and_the_baseline():
    rng = np.random.default_rng(2)
    frame = runs({w: 1.0 / w + rng.normal(0, 0.001, 5) for w in (10, 20, 50)})
    table = u.comparisons(frame, "point", "value", True, order=[10, 20, 50], baseline=10)
    assert list(zip(table["kind"], table["reference"], table["candidate"])) == [
        ("step", 10, 20), ("step", 20, 50), ("baseline", 10, 20), ("baseline", 10, 50)]
    assert table["verdict"].tolist() == ["better"] * 4
    assert table["paired"].all() and (table["n"] == 5).all()
    assert table.loc[0, "difference"] == pytest.approx(1 / 20 - 1 / 10, abs=0.002)


def test_unpaired_when_the_seeds_differ():
    frame = pd.concat([runs({"a": [1.0, 1.1, 0.9]}, seeds=[0, 1, 2]),
                       runs({"b": [0.5, 0.6, 0.4]}, seeds=[3, 4, 5])])
    assert not u.comparisons(frame, "point", "value", True)["paired"].any()


# --- order claims -----------------------------------------------------------------------------
def test_an_order_claim_holds_only_when_every_step_is_resolved():
    rng = np.random.default_rng(3)
    resolved = runs({w: 1.0 / w + rng.normal(0, 0.001, 5) for w in (10, 20, 50)})
    assert u.failing_steps(u.comparisons(resolved, "point", "value", True)) == ()
    noisy = runs({10: 0.1 + rng.normal(0, 0.001, 5), 20: 0.05 + rng.normal(0, 0.001, 5),
                  50: 0.05 + rng.normal(0, 0.01, 5)})
    assert u.failing_steps(u.comparisons(noisy, "point", "value", True)) == ("20 -> 50: not resolved (5 seeds)",)


def test_an_order_claim_names_a_step_resolved_the_other_way():
    frame = runs({1: REFERENCE, 2: REFERENCE + 0.5})
    failing = u.failing_steps(u.comparisons(frame, "point", "value", True))
    assert failing == ("1 -> 2: resolved the other way (worse) (8 seeds)",)
    assert u.failing_steps(u.comparisons(frame, "point", "value", True), expected="worse") == ()


# --- the budget curve --------------------------------------------------------------------------
def test_expected_best_of_k_matches_brute_force():
    from itertools import combinations
    values = np.array([0.3, 0.1, 0.5, 0.2, 0.4])
    for k in range(1, 6):
        brute = np.mean([min(c) for c in combinations(values, k)])
        assert budget.expected_best(values, k, True) == pytest.approx(brute)
    assert budget.expected_best(values, 1, False) == pytest.approx(values.mean())
    assert budget.expected_best(values, 5, False) == 0.5


def test_expected_best_is_infinite_while_k_trials_can_all_diverge():
    values = np.array([np.nan, np.nan, 0.2, 0.4])
    assert budget.expected_best(values, 2, True) == math.inf
    assert budget.expected_best(values, 3, True) == pytest.approx(np.mean([0.2, 0.2, 0.4, 0.2]))


def test_the_budget_curve_falls_with_k_and_its_band_holds_the_expectation():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"point": ["a"] * 16 + ["b"] * 16, "value": rng.random(32)})
    curve = budget.budget_curve(frame, "point", "value", lower_is_better=True)
    assert len(curve) == 32 and curve["k"].max() == 16
    a = curve[curve["point"] == "a"]
    assert (np.diff(a["expected"]) <= 1e-12).all()
    assert a["expected"].iloc[-1] == frame["value"][:16].min()
    assert ((a["low"] <= a["expected"] + 1e-12) & (a["expected"] <= a["high"] + 1e-12)).all()


# --- checks --------------------------------------------------------------------------------------
def nuisances():
    return search.parse_search({"nuisance": {"lr": {"log": [1e-4, 1e-1]},
                                             "optimizer.beta1": {"range": [0.8, 0.99]},
                                             "optimizer.momentum": {"choice": [0.0, 0.9]}}},
                               set(), Where(Path("fair.toml"))).nuisance


def test_the_edge_warning_fires_at_the_top_and_bottom_and_not_in_the_middle():
    best = pd.DataFrame({"point": ["width=64", "width=16", "width=256"],
                         "lr": [0.08, 10 ** -2.5, 1.2e-4],   # top (log scale), middle, bottom
                         "optimizer.beta1": [0.9, 0.805, np.nan],
                         "optimizer.momentum": [0.9, 0.9, 0.0]})
    assert checks.edge_warnings(best, "point", nuisances()) == [
        "lr: the best trial of width=64 is at the top of [1e-4, 1e-1]; widen the range",
        "optimizer.beta1: the best trial of width=16 is at the bottom of [0.8, 0.99]; widen the range",
        "lr: the best trial of width=256 is at the bottom of [1e-4, 1e-1]; widen the range"]


def test_the_edge_is_on_the_log_scale_for_a_log_range():
    # Linearly 3e-3 is at the bottom of [1e-4, 1e-1] and 10^-1.25 in the middle; on the log
    # scale 3e-3 is in the middle and 10^-1.25 in the top tenth.
    middle = pd.DataFrame({"point": ["p"], "lr": [3e-3]})
    assert checks.edge_warnings(middle, "point", nuisances()[:1]) == []
    just_inside = pd.DataFrame({"point": ["p"], "lr": [10 ** -1.35]})  # log position 0.883
    assert checks.edge_warnings(just_inside, "point", nuisances()[:1]) == []
    at_edge = pd.DataFrame({"point": ["p"], "lr": [10 ** -1.25]})  # log position 0.917
    assert len(checks.edge_warnings(at_edge, "point", nuisances()[:1])) == 1


def test_diverged_shares_warn_above_a_quarter():
    trials = pd.DataFrame({"point": ["a"] * 8 + ["b"] * 8,
                           "status": ["diverged"] * 3 + ["ok"] * 5 + ["diverged"] + ["ok"] * 7})
    table, lines = checks.diverged_shares(trials, "point")
    assert table.set_index("point")["share"].to_dict() == {"a": 3 / 8, "b": 1 / 8}
    assert lines == ["a: 3 of 8 trials diverged (38%); the search range may reach too far"]


def curve(values):
    return pd.DataFrame({"epoch": np.arange(1, len(values) + 1), "val_loss": values})


def test_overfitting_fires_when_the_validation_loss_climbs_after_its_best_epoch():
    lines = checks.curve_warnings(curve([1.0, 0.5, 0.3, 0.25, 0.3, 0.4]), "val_loss", True, "width=64")
    assert lines == ["width=64: the best trial's val_loss worsens after epoch 4 (0.25 there, 0.4 at "
                     "epoch 6): overfitting; stop earlier or regularize"]


def test_a_curve_that_levels_off_gets_no_warning():
    assert checks.curve_warnings(curve([1.0, 0.5, 0.3, 0.25, 0.249, 0.2495, 0.249, 0.2488]),
                            "val_loss", True, "w") == []


def test_too_few_epochs_fires_when_the_last_quarter_still_improves():
    lines = checks.curve_warnings(curve([1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]), "val_loss", True, "w")
    assert lines == ["w: the best trial's val_loss still improves at its last epoch (0.3 at epoch 6, "
                     "0.1 at epoch 8): too few epochs"]


def test_curve_checks_follow_the_direction_of_an_accuracy():
    rising = pd.DataFrame({"epoch": range(1, 9), "val_acc": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]})
    assert "too few epochs" in checks.curve_warnings(rising, "val_acc", False, "w")[0]
    falling_back = pd.DataFrame({"epoch": range(1, 6), "val_acc": [0.1, 0.8, 0.9, 0.7, 0.6]})
    assert "overfitting" in checks.curve_warnings(falling_back, "val_acc", False, "w")[0]
