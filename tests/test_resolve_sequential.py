"""The sequential verdicts' pieces (experiments/resolve/sequential.py) on small exact inputs."""
import numpy as np
import pytest
from scipy import stats

from experiments.resolve import sequential as sq


def test_looks_step_by_add_and_end_at_max_seeds():
    assert sq.looks(5, 5, 50) == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]
    assert sq.looks(5, 10, 20) == [5, 15, 20]
    assert sq.looks(5, 5, 5) == [5]


@pytest.mark.parametrize("first, add, max_seeds", [(0, 5, 50), (5, 0, 50), (10, 5, 5)])
def test_looks_refuse_an_impossible_schedule(first, add, max_seeds):
    with pytest.raises(ValueError):
        sq.looks(first, add, max_seeds)


def test_each_look_of_each_comparison_gets_an_equal_share_of_the_error():
    assert sq.look_alpha(0.95, 6, 10) == pytest.approx(0.05 / 60)
    with pytest.raises(ValueError):
        sq.look_alpha(1.0, 6, 10)


def test_t_interval_is_students_and_leaves_dropped_seeds_out():
    values = np.array([0.3, -0.1, 0.5, np.nan, 0.2])
    n, mean, low, high = sq.t_interval(values, 0.05)
    finite = values[np.isfinite(values)]
    half = stats.t.ppf(0.975, 3) * finite.std(ddof=1) / 2
    assert n == 4 and mean == pytest.approx(finite.mean())
    assert (low, high) == pytest.approx((finite.mean() - half, finite.mean() + half))


def test_one_finished_pair_gives_no_interval():
    n, _, low, high = sq.t_interval(np.array([0.3, np.nan]), 0.05)
    assert n == 1 and np.isnan(low) and np.isnan(high)


def test_identical_runs_are_equivalent_with_a_margin_and_never_better_or_worse_without():
    zeros = np.zeros(10)
    with_margin = sq.run_looks(zeros, [5, 10], 0.01, margin=0.1, lower_is_better=True)
    assert with_margin["verdict"] == sq.EQUIVALENT and with_margin["look"] == 0
    without = sq.run_looks(zeros, [5, 10], 0.01, margin=0.0, lower_is_better=True)
    assert without["verdict"] == sq.NOT_RESOLVED and without["n"] == 10


def test_better_means_lower_for_a_loss_and_higher_for_an_accuracy():
    low, high = np.array([-0.3, 0.1, -0.1]), np.array([-0.1, 0.4, 0.2])
    assert list(sq.verdict_codes(low, high, 0.0, True)) == [sq.BETTER, sq.WORSE, sq.OPEN]
    assert list(sq.verdict_codes(low, high, 0.0, False)) == [sq.WORSE, sq.BETTER, sq.OPEN]


def test_equivalence_needs_the_whole_interval_inside_the_margin():
    codes = sq.verdict_codes(np.array([-0.05, -0.2]), np.array([0.05, 0.05]), 0.1, True)
    assert list(codes) == [sq.EQUIVALENT, sq.OPEN]


def test_a_comparison_stops_at_its_first_decided_look_and_keeps_that_interval():
    rng = np.random.default_rng(0)
    differences = np.concatenate([rng.normal(-1.0, 0.05, 5), rng.normal(1.0, 0.05, 5)])
    result = sq.run_looks(differences, [5, 10], 0.01, 0.0, lower_is_better=True)
    assert result["verdict"] == sq.BETTER and result["look"] == 0 and result["n"] == 5
    assert np.isnan(result["trace_mean"][1])  # not looked at again
