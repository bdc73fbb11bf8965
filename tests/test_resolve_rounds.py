"""``[resolve]`` rounds (experiments/resolve/rounds.py) replayed on synthetic stored values: only
open comparisons get seeds, decided ones stay decided, identical grid points are equivalent with
a margin, dropped seeds are counted, and a spec's [resolve] never enters a run id."""
import math
import textwrap

import numpy as np
import pytest

from experiments.resolve import rounds
from experiments.spec import load_spec

SPEC = """
    name = "grow"
    seeds = 3
    [base]
    dataset = "sincos"
    epochs = 2
    [grid]
    width = [5, 10, 20]
    {resolve}
    """
RESOLVE = """
    [resolve]
    axis = "width"
    add = 2
    max_seeds = 9
    margin = {margin}
    """


def study_of(tmp_path, resolve=RESOLVE.format(margin=0.0), text=SPEC):
    path = tmp_path / "grow.toml"
    path.write_text(textwrap.dedent(text.format(resolve=textwrap.dedent(resolve))))
    return load_spec(path)


def values_for(plan, means: dict[str, float], noise=0.01, seed=0, nan_at=()) -> dict[str, float]:
    """A stored value for every run of every grid point and seed: the point's mean plus a small
    seeded noise shared by the seed (paired), NaN for (label, seed) in ``nan_at``."""
    rng = np.random.default_rng(seed)
    shared = {s: rng.normal(0, noise) for s in plan.seeds}
    own = {(label, s): rng.normal(0, noise / 10) for label in plan.labels for s in plan.seeds}
    return {run.run_id: (math.nan if (label, s) in nan_at else means[label] + shared[s] + own[label, s])
            for label, by_seed in plan.runs.items() for s, run in by_seed.items()}


def test_resolve_changes_no_run_id_of_the_first_round(tmp_path):
    plain = study_of(tmp_path, resolve="")
    resolving = study_of(tmp_path)
    assert [run.run_id for run in resolving.runs] == [run.run_id for run in plain.runs]
    assert resolving.resolve.seeds == list(range(9)) and resolving.resolve.looks == [3, 5, 7, 9]


def test_a_round_waits_for_its_runs_and_asks_for_the_first_seeds_first(tmp_path):
    plan = study_of(tmp_path).resolve
    replay = rounds.replay(plan, plan.runs, {})
    assert not replay.finished and replay.round == 0
    assert {run.config["seed"] for run in replay.needed} == {0, 1, 2} and len(replay.needed) == 9


def test_only_open_comparisons_get_more_seeds(tmp_path):
    plan = study_of(tmp_path).resolve
    # 5 -> 10 is far apart (decided at once); 10 -> 20 differs by far less than the noise
    values = values_for(plan, {"width=5": 1.0, "width=10": 0.5, "width=20": 0.5}, noise=0.01)
    first = {run.run_id: values[run.run_id] for label in plan.labels for s, run in plan.runs[label].items() if s < 3}
    replay = rounds.replay(plan, plan.runs, first)
    assert replay.round == 1 and not replay.finished
    added = [run for run in replay.needed if run.config["seed"] >= 3]
    assert {run.label() for run in added} == {f"width={w}, seed={s}" for w in (10, 20) for s in (3, 4)}
    decided = replay.outcomes[0]
    assert (decided.verdict, decided.round, decided.seeds) == ("better", 1, 3)


def test_a_decided_comparison_stays_decided_and_keeps_its_round(tmp_path):
    plan = study_of(tmp_path).resolve
    values = values_for(plan, {"width=5": 1.0, "width=10": 0.5, "width=20": 0.5})
    replay = rounds.replay(plan, plan.runs, values)
    assert replay.finished
    assert [(o.verdict, o.round) for o in replay.outcomes] == [("better", 1), ("not resolved", None)]
    assert replay.outcomes[1].seeds == 9 and len(replay.outcomes[1].trace) == 4
    assert max(run.config["seed"] for run in replay.needed if run.label().startswith("width=5,")) == 2


def test_identical_grid_points_are_equivalent_with_a_margin(tmp_path):
    plan = study_of(tmp_path, resolve=RESOLVE.format(margin=0.01)).resolve
    values = values_for(plan, {"width=5": 0.5, "width=10": 0.5, "width=20": 0.5}, noise=0.0)
    assert [o.verdict for o in rounds.replay(plan, plan.runs, values).outcomes] == ["equivalent"] * 2


def test_identical_grid_points_are_never_better_or_worse_without_a_margin(tmp_path):
    plan = study_of(tmp_path).resolve
    values = values_for(plan, {"width=5": 0.5, "width=10": 0.5, "width=20": 0.5}, noise=0.0)
    assert [o.verdict for o in rounds.replay(plan, plan.runs, values).outcomes] == ["not resolved"] * 2


def test_a_diverged_seed_is_dropped_from_its_comparisons_and_counted(tmp_path):
    plan = study_of(tmp_path).resolve
    values = values_for(plan, {"width=5": 1.0, "width=10": 0.5, "width=20": 0.2},
                        nan_at={("width=10", 1)})
    outcomes = rounds.replay(plan, plan.runs, values).outcomes
    assert [(o.n, o.dropped) for o in outcomes] == [(2, 1), (2, 1)]
    assert [o.verdict for o in outcomes] == ["better", "better"]


@pytest.mark.parametrize("compare, baseline, expected", [
    ("adjacent", "", [("width=5", "width=10"), ("width=10", "width=20")]),
    ("baseline", "[report]\nbaseline = { width = 10 }",
     [("width=10", "width=5"), ("width=10", "width=20")]),
])
def test_comparisons_are_adjacent_values_or_each_against_the_baseline(tmp_path, compare, baseline, expected):
    resolve = f'[resolve]\naxis = "width"\ncompare = "{compare}"\n{baseline}'
    plan = study_of(tmp_path, resolve=resolve).resolve
    assert [(c.reference, c.candidate) for c in plan.comparisons] == expected


def test_comparisons_stay_within_each_combination_of_the_other_grid_keys(tmp_path):
    text = SPEC.replace("width = [5, 10, 20]", "width = [5, 10]\nlr = [0.01, 0.1]")
    plan = study_of(tmp_path, resolve='[resolve]\naxis = "width"', text=text).resolve
    assert [(c.reference, c.candidate) for c in plan.comparisons] == [
        ("width=5, lr=0.01", "width=10, lr=0.01"), ("width=5, lr=0.1", "width=10, lr=0.1")]


def test_a_quick_smoke_run_adds_no_rounds(tmp_path):
    path = tmp_path / "grow.toml"
    path.write_text(textwrap.dedent(SPEC.format(resolve=textwrap.dedent(RESOLVE.format(margin=0)))))
    assert load_spec(path, quick=True).resolve is None


def test_a_whole_sweep_is_counted_at_most_every_seed_the_rounds_can_add(tmp_path):
    from experiments.cost_model import total_runs

    study = study_of(tmp_path)
    assert len(study.runs) == 9 and study.resolve.most_added() == 3 * (9 - 3)
    assert total_runs(study) == 9 + 18
