"""Calibration of the sequential verdicts (experiments/resolve/sequential.py) on simulated paired
differences, no training: the family-wise error under the null stays within 1 - confidence when
seeds are added round by round and every round is looked at; a true difference of one noise sd is
resolved within 50 seeds; and the same null test catches the naive rule (today's fixed-sample
bootstrap verdict, reports/uncertainty.py, recomputed after every round)."""
import functools
import re
from pathlib import Path

import numpy as np
import pytest

from experiments.resolve import sequential as sq
from reports import uncertainty

STUDIES, COMPARISONS, FIRST, ADD, MAX_SEEDS = 2000, 6, 5, 5, 50
CONFIDENCE = 0.95
LOOKS = sq.looks(FIRST, ADD, MAX_SEEDS)
# Three binomial standard errors of a share of 5% over 2,000 studies: the Monte Carlo error.
MONTE_CARLO = 3 * np.sqrt(0.05 * 0.95 / STUDIES)


def noise(kind: str, rng: np.random.Generator, size) -> np.ndarray:
    """Paired differences (studies, comparisons, seeds) of a grid of comparisons + 1 points along
    one axis, adjacent points compared (neighbouring comparisons share a point, as in a study),
    each run's value its own noise: normal, or a lognormal (sigma 1, skewness about 6: a few seeds
    far out on the bad side, as the losses of runs that went badly). Scaled so that the paired
    differences have mean 0 and sd 1."""
    studies, comparisons, seeds = size
    shape = (studies, comparisons + 1, seeds)
    if kind == "normal":
        values = rng.standard_normal(shape)
    else:
        sigma = 1.0
        values = (rng.lognormal(0.0, sigma, shape) - np.exp(sigma ** 2 / 2)) / np.sqrt(
            (np.exp(sigma ** 2) - 1) * np.exp(sigma ** 2))
    values /= np.sqrt(2)  # a difference of two runs has twice a run's variance
    return np.diff(values, axis=1)


def sequential_rule(differences: np.ndarray) -> np.ndarray:
    """(studies,) whether any comparison of a study was declared better or worse."""
    alpha = sq.look_alpha(CONFIDENCE, COMPARISONS, len(LOOKS))
    verdict = sq.run_looks(differences, LOOKS, alpha, 0.0, lower_is_better=True)["verdict"]
    return np.isin(verdict, [sq.BETTER, sq.WORSE]).any(axis=-1)


def bootstrap_p_values(differences: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """uncertainty.compare's paired p-value for every row of ``differences`` (rows, n): the
    two-sided share of bootstrap means across 0, (2 * across + 1) / (resamples + 1). One set of
    resamples for all rows (as compare's fixed seed gives every study the same resamples), drawn
    as multinomial counts so that all rows resample in one matrix product."""
    n = differences.shape[-1]
    counts = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=resamples)
    means = differences @ (counts.T / n)                      # (rows, resamples)
    across = np.minimum((means <= 0).sum(axis=-1), (means >= 0).sum(axis=-1))
    return np.minimum(1.0, (2 * across + 1) / (resamples + 1))


def naive_rule(differences: np.ndarray) -> np.ndarray:
    """Today's fixed-sample verdict (paired bootstrap p, Holm over the study's comparisons,
    resolved below 5%) recomputed after every round: (studies,) whether any look declared a
    comparison better or worse."""
    studies, comparisons, _ = differences.shape
    fooled = np.zeros(studies, dtype=bool)
    for seeds in LOOKS:
        p = np.stack([bootstrap_p_values(differences[:, c, :seeds], uncertainty.RESAMPLES, seed=c)
                      for c in range(comparisons)], axis=-1)
        adjusted = np.apply_along_axis(uncertainty.holm, -1, p)
        fooled |= (adjusted < uncertainty.ALPHA).any(axis=-1)
    return fooled


@functools.cache
def false_verdict_share(rule, kind: str, seed: int = 0) -> float:
    """The share of null studies with any better/worse verdict (cached: the docs test reads it)."""
    differences = noise(kind, np.random.default_rng(seed), (STUDIES, COMPARISONS, MAX_SEEDS))
    return float(rule(differences).mean())


@functools.cache
def resolved_share(kind: str) -> float:
    """The share of studies whose every comparison of a true difference of one sd is resolved."""
    differences = noise(kind, np.random.default_rng(2), (STUDIES, COMPARISONS, MAX_SEEDS)) - 1.0
    alpha = sq.look_alpha(CONFIDENCE, COMPARISONS, len(LOOKS))
    verdict = sq.run_looks(differences, LOOKS, alpha, 0.0, lower_is_better=True)["verdict"]
    assert (verdict == sq.WORSE).sum() == 0
    return float((verdict == sq.BETTER).all(axis=-1).mean())


@functools.cache
def skewed_share(sigma: float) -> float:
    """The null share when the paired differences themselves are mean-zero lognormal."""
    draws = np.random.default_rng(0).lognormal(0.0, sigma, (STUDIES, COMPARISONS, MAX_SEEDS))
    return float(sequential_rule(draws - np.exp(sigma ** 2 / 2)).mean())


@pytest.mark.parametrize("kind", ["normal", "lognormal"])
def test_sequential_verdicts_keep_the_family_wise_error_under_the_null(kind):
    share = false_verdict_share(sequential_rule, kind)
    assert share <= (1 - CONFIDENCE) + MONTE_CARLO


def test_the_naive_rule_fails_the_same_null_test():
    share = false_verdict_share(naive_rule, "normal")
    assert share > (1 - CONFIDENCE) + MONTE_CARLO


def test_the_naive_rules_p_value_is_uncertainty_compares():
    """The vectorised replica above gives compare's p-values, up to resampling noise (four
    standard errors of the two bootstrap shares)."""
    rng = np.random.default_rng(1)
    for _ in range(8):
        reference = rng.standard_normal(10)
        candidate = reference + rng.normal(0.4, 1.0, 10)
        expected = uncertainty.compare(reference, candidate, True, paired=True)["p_value"]
        replica = bootstrap_p_values((candidate - reference)[None, :], uncertainty.RESAMPLES, 0)[0]
        noise_sd = 2 * np.sqrt(2 * expected * (1 - expected) / uncertainty.RESAMPLES)
        assert abs(replica - expected) <= 4 * noise_sd + 2 / uncertainty.RESAMPLES


@pytest.mark.parametrize("kind", ["normal", "lognormal"])
def test_a_difference_of_one_noise_sd_is_resolved_within_50_seeds(kind):
    assert resolved_share(kind) >= 0.90  # every comparison of a study, none the wrong way


def test_strongly_skewed_paired_differences_break_the_assumption_as_documented():
    """docs/measurements.md: mean-zero lognormal paired differences (sigma 0.5, skewness about 1.8)
    give false verdicts in about 14% of studies: the t interval's assumption, not a bug to hide."""
    assert 0.10 <= skewed_share(0.5) <= 0.18


def test_the_docs_state_the_calibration_figures_these_tests_compute():
    text = " ".join((Path(__file__).resolve().parents[1] / "docs" / "measurements.md").read_text().split())
    found = re.search(r"better/worse verdict is ([\d.]+)% \(normal\) and ([\d.]+)% \(lognormal\)", text)
    assert found, "docs/measurements.md no longer states the null shares"
    assert [float(x) for x in found.groups()] == [
        round(100 * false_verdict_share(sequential_rule, kind), 1) for kind in ("normal", "lognormal")]
    found = re.search(r"within 50 seeds in ([\d.]+)% \(normal\) and ([\d.]+)% \(lognormal\)", text)
    assert [float(x) for x in found.groups()] == [round(100 * resolved_share(k), 1)
                                                  for k in ("normal", "lognormal")]
    found = re.search(r"false verdict in (\d+)% of the same null studies", text)
    assert int(found.group(1)) == round(100 * false_verdict_share(naive_rule, "normal"))
    found = re.search(r"gave any false verdict in (\d+)% of studies .*?, skewness 0.8 in (\d+)%", text)
    assert [int(x) for x in found.groups()] == [round(100 * skewed_share(s)) for s in (0.5, 0.25)]
