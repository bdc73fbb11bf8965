"""The report of a ``[resolve]`` study: its comparisons table and funnel figure, and order claims
judged by the sequential verdicts with the fourth verdict, "not resolved (N seeds)", apart from
"no" (which needs a step resolved against the claim)."""
import math
import textwrap

import numpy as np
import pandas as pd
import pytest

from experiments.resolve import rounds
from experiments.spec import load_spec
from reports.build import build
from reports.claims import order_holds
from reports.data import StudyResults
from claim_lookup import by_id
from reports.scorecard import scorecard

SPEC = """
    name = "width"
    seeds = 3
    [base]
    dataset = "sincos"
    epochs = 2
    [grid]
    width = [5, 10, 20]
    [report]
    section = "width"
    [resolve]
    axis = "width"
    add = 2
    max_seeds = 7
    margin = {margin}
    """


def resolved_study(tmp_path, means: dict[int, float], noise=0.01, margin=0.0) -> StudyResults:
    """A width study whose every planned run is stored with value mean + paired noise."""
    path = tmp_path / "width.toml"
    path.write_text(textwrap.dedent(SPEC.format(margin=margin)))
    spec = load_spec(path)
    rng = np.random.default_rng(0)
    shared = {s: rng.normal(0, noise) for s in spec.resolve.seeds}
    values = {run.run_id: means[int(label.split("=")[1])] + shared[s] + rng.normal(0, noise / 10)
              for label, by_seed in spec.resolve.runs.items() for s, run in by_seed.items()}
    replay = rounds.replay(spec.resolve, spec.resolve.runs, values)
    runs = pd.DataFrame([{"run_id": run.run_id, "status": "ok", "width": run.config["layer_sizes"][1],
                          "seed": run.config["seed"], "final_train_loss": values[run.run_id]}
                         for run in replay.needed])
    return StudyResults(name="width", runs=runs, spec=spec, resolved=replay)


def test_an_order_claim_holds_when_every_sequential_step_is_better(tmp_path):
    claim = by_id(scorecard({"width": resolved_study(tmp_path, {5: 0.5, 10: 0.3, 20: 0.1})}),
                  "width-lower-loss")
    assert claim.holds == "yes"
    assert "width=5 -> width=10: better" in claim.ours and "3 seeds (round 1)" in claim.ours
    assert "sequential interval 95% family-wise" in claim.ours


def test_an_open_step_is_not_resolved_with_its_seeds_not_no(tmp_path):
    claim = by_id(scorecard({"width": resolved_study(tmp_path, {5: 0.5, 10: 0.3, 20: 0.3})}),
                  "width-lower-loss")
    assert claim.holds == "not resolved (7 seeds)"
    assert "width=10 -> width=20: not resolved (7 seeds)" in claim.ours


def test_a_step_resolved_the_other_way_is_no(tmp_path):
    claim = by_id(scorecard({"width": resolved_study(tmp_path, {5: 0.5, 10: 0.3, 20: 0.6})}),
                  "width-lower-loss")
    assert claim.holds == "no"
    assert "width=10 -> width=20: worse" in claim.ours


def test_an_equivalent_step_is_no_for_a_strict_order_claim(tmp_path):
    study = resolved_study(tmp_path, {5: 0.5, 10: 0.3, 20: 0.3}, noise=0.0, margin=0.01)
    assert by_id(scorecard({"width": study}), "width-lower-loss").holds == "no"


@pytest.mark.parametrize("verdicts, seeds, expected", [
    (["better", "better"], [5, 5], "yes"),
    (["better", "not resolved"], [5, 20], "not resolved (20 seeds)"),
    (["open", "not resolved"], [10, 20], "not resolved (20 seeds)"),
    (["worse", "not resolved"], [5, 20], "no"),
    (["equivalent", "better"], [5, 5], "no"),
])
def test_order_holds_is_no_only_for_a_step_resolved_against_the_claim(verdicts, seeds, expected):
    assert order_holds(verdicts, seeds) == expected


def test_the_report_of_a_resolve_study_has_its_table_and_funnel(tmp_path):
    from experiments.cli import main

    path = tmp_path / "width.toml"
    path.write_text(textwrap.dedent(SPEC.format(margin=0.0)).replace('name = "width"', 'name = "grow"'))
    results = tmp_path / "results"
    assert main(["sweep", str(path), "--results", str(results), "--quiet", "--jobs", "1"]) == 0
    report = build(results, tmp_path / "out", [str(path)], peers=False)
    [section] = report.sections
    assert "figures/grow_resolve_funnel.png" in [p for p, _ in section.figures]
    [table] = [t for t in section.tables if t.name == "grow_resolve"]
    assert list(table.frame["comparison"]) == ["width=5 -> width=10", "width=10 -> width=20"]
    assert set(table.frame["verdict"]) <= {"better", "worse", "equivalent", "not resolved"}
    assert (tmp_path / "out" / "figures" / "grow_resolve_funnel.png").stat().st_size > 10_000


def test_a_searched_resolve_study_shows_the_added_retrain_seeds_in_its_search_section(tmp_path):
    from experiments.cli import main
    from experiments.resolve.rounds import with_rounds
    from test_resolve_sweep import SEARCHED

    path = tmp_path / "grow.toml"
    path.write_text(textwrap.dedent(SEARCHED).replace("width = [1, 32]", "width = [2, 3]"))
    results = tmp_path / "results"
    assert main(["sweep", str(path), "--results", str(results), "--quiet", "--jobs", "1"]) == 0
    _, replay = with_rounds(load_spec(path), results)
    assert replay.outcomes[0].seeds == 5  # open after round 1: 2 seeds were added
    report = build(results, tmp_path / "out", [str(path)], peers=False)
    [table] = [t for s in report.sections for t in s.tables if t.name == "grow_search_winners"]
    assert list(table.frame["n (retrain seeds)"]) == [4, 4]  # seeds 1-4, the trial's seed 0 apart
    [comparisons] = [t for s in report.sections for t in s.tables if t.name == "grow_search_comparisons"]
    assert "Fixed-sample intervals" in comparisons.caption


def test_the_page_shows_not_resolved_apart_from_no():
    from reports.claims import Claim
    from reports.page import _table
    from reports.scorecard import scorecard_table

    claims = [Claim("a", "p", "o", "no", "a-id"), Claim("b", "p", "o", "not resolved (20 seeds)", "b-id")]
    table = scorecard_table(claims)
    html = _table(table)
    assert "<td class='no'>no</td>" in html
    assert "<td class='not-resolved'>not resolved (20 seeds)</td>" in html
    assert "0 of 2 checked claims hold, 1 not resolved" in table.caption
