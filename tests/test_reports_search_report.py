"""The report's search section and the fair studies' claims, on synthetic stored rows (nothing
trained): comparisons stay within a workload, time to result per grid point, the checks at the
top of the page, and order claims that hold only when every step is resolved."""
import textwrap

import numpy as np
import pandas as pd

from experiments.config import Where
from experiments.search import retrain_runs, winners
from experiments.search.study import plan_search
from experiments.spec import load_spec
from reports.studies.search import analysis as search_section
from reports.studies.search.time_to_result import winner_times
from reports.data import Messages, StudyResults
from claim_lookup import by_id
from reports.scorecard import scorecard
from reports.sections import SectionBuilder
from reports.studies import discover
from reports.studies import search as search_module
from synthetic_results import run_row

TABLE = {"trials": 4, "objective": "val_loss", "at": "final",
         "nuisance": {"lr": {"log": [1e-4, 1e-1]}}}


def searched(tmp_path, grid: str, name: str = "fair", report: str = ""):
    """(the spec with its plan, the plan) of a 5-seed study of ``grid`` (TOML lines)."""
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(f"""
        name = "{name}"
        seeds = 5
        [base]
        dataset = "sincos"
        [grid]
        {grid}
        {report}
        """))
    spec = load_spec(path)
    return plan_search(spec, TABLE, {"width", "dataset"}, Where(path))


def stored(plan, loss_of) -> pd.DataFrame:
    """Runs rows (run_id, status, final_val_loss, dataset, seed) of every trial and the
    retrains its winners call for; ``loss_of(planned)`` is a run's loss."""
    def row(p):
        fields = run_row("fair")  # every stored column (provenance reads them)
        loss = loss_of(p)
        fields.update(run_id=p.run_id, final_val_loss=loss, dataset=p.config["dataset"],
                      seed=p.config["seed"], status="diverged" if np.isnan(loss) else "ok")
        return fields
    runs = pd.DataFrame([row(t) for t in plan.trials])
    best = winners(plan.trials, runs, None, plan.search).best
    return pd.concat([runs, pd.DataFrame([row(r) for r in retrain_runs(best, plan.seeds)])],
                     ignore_index=True)


def noisy(means: dict, sd: float = 0.001):
    """A loss of mean ``means[width]`` (plus a dataset offset), lowest at lr 1e-2 (by far more
    than the noise, so every width's winner has the same lr), seeded noise of sd ``sd`` on the
    retrains (none on the trials: the winner's lr does not depend on the noise)."""
    def loss(planned):
        width, lr = planned.config["layer_sizes"][1], planned.config["lr"]
        rng = np.random.default_rng([planned.config["seed"], width])
        offset = 1.0 if planned.config["dataset"] == "digits" else 0.0
        return means[width] + offset + 0.2 * abs(np.log10(lr) + 2) + \
            (rng.normal(0, sd) if planned.stage == "retrain" else 0.0)
    return loss


def test_a_grid_crossing_datasets_is_compared_within_each_dataset_only(tmp_path):
    _, plan = searched(tmp_path, 'dataset = ["sincos", "digits"]\nwidth = [4, 16, 64]')
    runs = stored(plan, noisy({4: 0.3, 16: 0.2, 64: 0.1}))
    table = search_section.build(plan, runs, None).comparisons
    assert set(table["kind"]) == {"baseline"}
    for row in table.itertuples():  # never a comparison across datasets
        assert row.reference.split(",")[0] == row.candidate.split(",")[0] == row.workload
    assert set(table["reference"]) == {"dataset=sincos, width=64", "dataset=digits, width=64"}
    assert table["verdict"].tolist() == ["worse"] * 4


def test_one_dataset_compares_adjacent_points_and_the_baseline(tmp_path):
    _, plan = searched(tmp_path, "width = [4, 16, 64]")
    runs = stored(plan, noisy({4: 0.3, 16: 0.2, 64: 0.1}))
    table = search_section.build(plan, runs, None, baseline="width=4").comparisons
    assert list(zip(table["kind"], table["reference"], table["candidate"])) == [
        ("step", "width=4", "width=16"), ("step", "width=16", "width=64"),
        ("baseline", "width=4", "width=16"), ("baseline", "width=4", "width=64")]


def curves_for(runs: pd.DataFrame, reach_at: dict) -> pd.DataFrame:
    """Three epochs per run (step 10 each, 0.5 s each); a run's val_loss drops to 0.1 at epoch
    ``reach_at[dataset]`` (never when None) and stays at 1 before."""
    rows = []
    for run in runs.itertuples():
        at = reach_at[run.dataset]
        for epoch in (1, 2, 3):
            rows.append({"run_id": run.run_id, "epoch": epoch, "step": 10 * epoch, "epoch_s": 0.5,
                         "val_loss": 0.1 if at is not None and epoch >= at else 1.0})
    return pd.DataFrame(rows)


def test_time_to_a_number_is_steps_and_seconds_per_point_and_infinite_when_never_reached(tmp_path):
    _, plan = searched(tmp_path, 'dataset = ["sincos", "digits"]\nwidth = [4, 16]')
    runs = stored(plan, noisy({4: 0.3, 16: 0.2}))
    found = search_section.build(plan, runs, None)
    curves = curves_for(runs, {"sincos": 2, "digits": None})
    times = winner_times(plan, found, runs, curves, 0.5)
    table = times.table.set_index("point")
    assert table.loc["dataset=sincos, width=4", "steps"] == 20
    assert table.loc["dataset=sincos, width=4", "seconds"] == 1.0
    assert table.loc["dataset=digits, width=16", "steps"] == np.inf
    assert table["n"].tolist() == [5, 5, 5, 5]  # every seed of the winner, its trial included
    profile = times.profile.set_index(["candidate", "tau"])["share"]
    assert profile[("width=4", 1.0)] == 0.5  # fastest on sincos, nobody reaches on digits


def test_a_reference_target_is_the_reference_winners_median_best_per_dataset(tmp_path):
    _, plan = searched(tmp_path, 'dataset = ["sincos", "digits"]\nwidth = [4, 16]')
    runs = stored(plan, noisy({4: 0.3, 16: 0.2}))
    found = search_section.build(plan, runs, None)
    curves = curves_for(runs, {"sincos": 3, "digits": 1})
    times = winner_times(plan, found, runs, curves, {"reference": {"width": 4}})
    assert times.table["target"].tolist() == [0.1] * 4
    assert times.table.set_index("point").loc["dataset=digits, width=16", "steps"] == 10


def built_section(tmp_path, spec, runs):
    study = StudyResults(name=spec.name, runs=runs, spec=spec)
    messages = Messages()
    b = SectionBuilder(study, tmp_path / "out", messages, search_module.TITLE)
    search_module.section(b)
    return b, messages


def test_the_checks_are_warnings_in_the_section_and_at_the_top_of_the_page(tmp_path):
    spec, plan = searched(tmp_path, "width = [4, 16]")
    lrs = sorted({t.config["lr"] for t in plan.trials})
    def half_diverge(planned):  # the two highest lrs diverge
        return np.nan if planned.config["lr"] >= lrs[2] else 0.5 + 0.001 * planned.config["seed"]
    b, messages = built_section(tmp_path, spec, stored(plan, half_diverge))
    check = "width=4: 2 of 4 trials diverged (50%); the search range may reach too far"
    assert check in b.section.warnings
    assert ("warning", f"study 'fair': {check}") in list(messages)
    names = {path.rsplit("/", 1)[1] for path, _ in b.section.figures}
    assert names == {"fair_search_isolation.png", "fair_search_axes.png", "fair_search_budget.png"}
    assert {t.name for t in b.section.tables} == {"fair_search_winners", "fair_search_comparisons"}
    assert b.section.title == "Searched study: fair"


def test_a_study_without_search_gets_a_warning_naming_it(tmp_path):
    spec, _ = searched(tmp_path, "width = [4, 16]")
    spec = spec.__class__(**{**spec.__dict__, "search": None})
    b, _ = built_section(tmp_path, spec, pd.DataFrame({"run_id": ["x"], "status": ["ok"]}))
    assert b.section.warnings == ["[report] section = 'search' but the spec has no [search] table; "
                                  "nothing to show"]


def fair_claim(tmp_path, means, sd=0.001):
    spec, plan = searched(tmp_path, "width = [4, 16, 64]", name="width_fair")
    study = StudyResults(name="width_fair", runs=stored(plan, noisy(means, sd)), spec=spec)
    return by_id(scorecard({"width_fair": study}), "width-fair-lower-loss")


def test_the_fair_width_claim_holds_when_every_step_is_resolved(tmp_path):
    claim = fair_claim(tmp_path, {4: 0.3, 16: 0.2, 64: 0.1})
    assert claim.holds == "yes"
    assert "holds: every step resolved" in claim.ours


def test_the_fair_width_claim_names_the_step_that_is_noise(tmp_path):
    claim = fair_claim(tmp_path, {4: 0.3, 16: 0.2, 64: 0.1999}, sd=0.01)
    assert claim.holds == "not resolved (4 seeds)"
    assert "a step is open: width=16 -> width=64: not resolved (4 seeds)" in claim.ours


def test_the_optimizer_claim_names_each_datasets_winner_and_what_is_not_resolved(tmp_path):
    spec, plan = searched(tmp_path, 'dataset = ["sincos", "digits"]\nwidth = [4, 16, 64]',
                          name="optimizers_fair")
    study = StudyResults(name="optimizers_fair", spec=spec,
                  runs=stored(plan, noisy({4: 0.3, 16: 0.1005, 64: 0.1}, sd=0.01)))
    claim = by_id(scorecard({"optimizers_fair": study}), "optimizers-fair-winner")
    assert claim.holds == "no"
    assert claim.ours.startswith("dataset=sincos: width=64 best")
    assert "not resolved against width=16" in claim.ours
    assert "resolved against 1 of 2" in claim.ours


def test_the_search_claims_judge_their_own_studies_not_the_first_bound_one():
    claims = {c.id: c for c in discover()[0]["search"].claims}
    assert {claims[i].study for i in ("width-fair-lower-loss", "depth-fair-lower-loss",
                                      "optimizers-fair-winner")} == \
        {"width_fair", "depth_fair", "optimizers_fair"}
