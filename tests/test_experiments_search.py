"""The [search] table: validation naming file and key, the quasi-random points, and the two stages
(trials on the first seed, the winner of each grid point retrained on the other seeds)."""
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import search
from experiments.config import SpecError, Where, hashed_config, run_id
from experiments.run import execute
from experiments.spec import load_spec

AT = Where(Path("studies/fair.toml"))
NUISANCE = {"lr": {"log": [1e-4, 1e-1]}, "optimizer.beta1": {"range": [0.8, 0.99]},
            "optimizer.momentum": {"choice": [0.0, 0.9]}}


def parse(grid_keys=("optimizer",), **table):
    return search.parse_search({"nuisance": NUISANCE, **table}, set(grid_keys), AT)


OPTIMIZER_GRID = 'optimizer = [{ kind = "sgd" }, { kind = "adam" }, { kind = "momentum" }]'


def grid_configs(tmp_path, grid=OPTIMIZER_GRID, seeds=3):
    """One resolved configuration per grid point (seed 0) from a real spec without [search]."""
    path = tmp_path / "grid.toml"
    path.write_text(textwrap.dedent(f"""
        name = "grid"
        seeds = {seeds}
        [base]
        dataset = "sincos"
        dataset_options = {{ step = 0.5 }}
        width = 4
        epochs = 2
        [grid]
        {grid}
        """))
    return [run.config for run in load_spec(path).runs if run.config["seed"] == 0]


# --- validation -------------------------------------------------------------------------------
def test_defaults_fill_an_omitted_key():
    parsed = parse()
    assert (parsed.trials, parsed.sampler, parsed.seed, parsed.objective, parsed.at) == (
        16, "sobol", 0, "val_loss", "best")
    assert [n.key for n in parsed.nuisance] == ["lr", "optimizer.beta1", "optimizer.momentum"]


@pytest.mark.parametrize("table, where, says", [
    ({"nuisance": {"learning_rate": {"log": [1e-4, 1e-1]}}}, "search.nuisance.learning_rate",
     "unknown nuisance key 'learning_rate'; valid keys:"),
    ({"nuisance": {"optimizer.beta9": {"range": [0.8, 0.9]}}}, 'search.nuisance."optimizer.beta9"',
     "optimizer takes alpha, beta1, beta2, eps, momentum, weight_decay"),
    ({"nuisance": {"lr.low": {"range": [0.8, 0.9]}}}, 'search.nuisance."lr.low"',
     "'lr' is not a table field; dotted keys reach into optimizer, schedule, dataset_options"),
    ({"nuisance": {"width": {"choice": [1, 2]}}}, "search.nuisance.width", "unknown nuisance key"),
    ({"nuisance": {"seed": {"choice": [1, 2]}}}, "search.nuisance.seed", "unknown nuisance key"),
    ({"nuisance": {"lr": {"range": [0.1, 0.1]}}}, "search.nuisance.lr.range",
     "low must be below high, got [0.1, 0.1]"),
    ({"nuisance": {"lr": {"log": [0.0, 0.1]}}}, "search.nuisance.lr.log", "a log range must stay above 0"),
    ({"nuisance": {"lr": {"log": [-1, 0.1]}}}, "search.nuisance.lr.log", "a log range must stay above 0"),
    ({"nuisance": {"lr": {"choice": []}}}, "search.nuisance.lr.choice", "must be a non-empty list"),
    ({"nuisance": {"lr": {"uniform": [0, 1]}}}, "search.nuisance.lr", "must be one of { log"),
    ({"nuisance": {"lr": {"range": [0.1]}}}, "search.nuisance.lr.range", "must be [low, high]"),
    ({"nuisance": {"activation": {"range": [0, 1]}}}, "search.nuisance.activation", "is not a number"),
    ({"nuisance": {"activation": {"choice": ["relu", "nope"]}}}, "search.nuisance.activation.choice[1]",
     "'nope' is not one of"),
    ({"nuisance": {}}, "search.nuisance", "must be a non-empty table"),
    ({"trials": 0, "nuisance": NUISANCE}, "search.trials", "must be an integer >= 1, got 0"),
    ({"trials": 2.5, "nuisance": NUISANCE}, "search.trials", "must be an integer >= 1"),
    ({"sampler": "lhs", "nuisance": NUISANCE}, "search.sampler", "'lhs' is not one of sobol, halton, random"),
    ({"objective": "loss", "nuisance": NUISANCE}, "search.objective",
     "'loss' is not one of train_loss, val_loss, train_acc, val_acc"),
    ({"at": "last", "nuisance": NUISANCE}, "search.at", "'last' is not one of best, final"),
    ({"budget": 3, "nuisance": NUISANCE}, "search.budget", "unknown key; valid keys: trials"),
])
def test_bad_search_tables_name_the_file_and_the_key(table, where, says):
    with pytest.raises(SpecError) as error:
        search.parse_search(table, {"optimizer"}, AT)
    message = str(error.value)
    assert message.startswith(f"studies/fair.toml: {where}: "), message
    assert says in message
    assert "\n" not in message


def test_a_nuisance_that_is_also_a_grid_key_is_refused():
    with pytest.raises(SpecError, match=r"fair.toml: search.nuisance.lr: 'lr' is also a grid key"):
        parse(grid_keys=("lr", "optimizer"))


def test_a_dotted_nuisance_into_a_grid_table_is_allowed():
    # The optimizer kind is scientific, its beta1 nuisance: the optimizer study's shape.
    assert parse(grid_keys=("optimizer",)).nuisance[1].key == "optimizer.beta1"


def test_a_nuisance_no_grid_point_uses_is_refused(tmp_path):
    parsed = search.parse_search({"nuisance": {"optimizer.beta1": {"range": [0.8, 0.9]}}}, set(), AT)
    configs = grid_configs(tmp_path, grid="optimizer = [{ kind = \"sgd\" }, { kind = \"momentum\" }]")
    with pytest.raises(SpecError, match=r"optimizer.beta1\": no grid point uses 'optimizer.beta1'"):
        search.check_used(parsed, configs, AT)
    search.check_used(parse(), grid_configs(tmp_path), AT)  # adam uses it: no error


# --- points -------------------------------------------------------------------------------------
@pytest.mark.parametrize("sampler", search.SAMPLERS)
def test_points_are_seeded_in_the_unit_cube_and_differ_between_seeds(sampler):
    first = search.unit_points(parse(sampler=sampler, trials=8))
    assert first.shape == (8, 3)
    assert ((first >= 0) & (first < 1)).all()
    assert np.array_equal(first, search.unit_points(parse(sampler=sampler, trials=8)))
    assert not np.array_equal(first, search.unit_points(parse(sampler=sampler, trials=8, seed=1)))


@pytest.mark.parametrize("sampler", search.SAMPLERS)
def test_more_trials_extend_the_same_points(sampler):
    # so raising trials keeps every stored trial's run id
    assert np.array_equal(search.unit_points(parse(sampler=sampler, trials=5)),
                          search.unit_points(parse(sampler=sampler, trials=16))[:5])


def test_sobol_points_are_balanced_at_a_power_of_two():
    # Each half of every axis holds exactly half of 16 Sobol points; not so for 16 random ones.
    sobol = search.unit_points(parse(trials=16))
    assert ((sobol < 0.5).sum(axis=0) == 8).all()
    assert ((sobol < 0.25).sum(axis=0) == 4).all()
    assert parse(trials=16).balanced and not parse(trials=10).balanced
    assert parse(trials=10).draws == 16 and parse(trials=1).draws == 1


def test_values_map_to_log_linear_and_choice():
    lr, beta1, momentum = parse().nuisance
    assert lr.value(0.0) == pytest.approx(1e-4) and lr.value(0.5) == pytest.approx(10 ** -2.5)
    assert beta1.value(0.5) == pytest.approx(0.895)
    assert [momentum.value(u) for u in (0.0, 0.49, 0.5, 0.999)] == [0.0, 0.0, 0.9, 0.9]
    assert lr.position(10 ** -2.5) == pytest.approx(0.5) and beta1.position(0.99) == pytest.approx(1.0)


def test_choice_splits_the_unit_interval_equally():
    choice = search.Nuisance("optimizer.momentum", "choice", choices=(0.0, 0.5, 0.9))
    u = np.linspace(0, 1, 3000, endpoint=False)
    counts = pd.Series([choice.value(x) for x in u]).value_counts()
    assert counts.to_dict() == {0.0: 1000, 0.5: 1000, 0.9: 1000}


def test_an_integer_field_gets_integer_values():
    parsed = search.parse_search({"nuisance": {"batch_size": {"log": [4, 64]}}}, set(), AT)
    values = [p["batch_size"] for p in search.points(parsed)]
    assert all(isinstance(v, int) and 4 <= v <= 64 for v in values)


def test_log_values_cover_the_decades_evenly():
    values = np.array([p["lr"] for p in search.points(parse(trials=16))])
    assert np.histogram(np.log10(values), bins=3, range=(-4, -1))[0].tolist() in ([5, 6, 5], [6, 5, 5], [5, 5, 6])


# --- applying a point ---------------------------------------------------------------------------
def test_a_point_reaches_into_the_optimizer_table_and_leaves_out_what_a_kind_lacks(tmp_path):
    sgd, adam, momentum = grid_configs(tmp_path)
    point = {"lr": 0.01, "optimizer.beta1": 0.85, "optimizer.momentum": 0.9}
    parsed = parse()
    assert search.apply_point(adam, point, parsed)["optimizer"]["beta1"] == 0.85
    assert search.apply_point(adam, point, parsed)["lr"] == 0.01
    assert search.apply_point(sgd, point, parsed)["optimizer"] == {"kind": "sgd", "weight_decay": 0.0}
    assert search.apply_point(momentum, point, parsed)["optimizer"]["momentum"] == 0.9
    assert adam["optimizer"]["beta1"] == 0.9  # the base configuration is not modified
    assert search.unused(parsed, sgd) == ["optimizer.beta1", "optimizer.momentum"]
    assert search.unused(parsed, momentum) == ["optimizer.beta1"]


def test_an_integer_choice_gives_the_same_run_as_its_float(tmp_path):
    _, _, momentum = grid_configs(tmp_path)
    as_int = search.parse_search({"nuisance": {"optimizer.momentum": {"choice": [0, 1]}}}, set(), AT)
    config = search.apply_point(momentum, {"optimizer.momentum": 0}, as_int)
    assert config["optimizer"]["momentum"] == 0.0 and isinstance(config["optimizer"]["momentum"], float)
    with pytest.raises(ValueError, match="momentum must be in"):
        search.apply_point(momentum, {"optimizer.momentum": 1}, as_int)


# --- the two stages -----------------------------------------------------------------------------
def test_every_grid_point_gets_the_same_points_at_the_first_seed(tmp_path):
    configs = grid_configs(tmp_path)
    parsed = parse(trials=4)
    trials = search.trial_runs(configs, parsed, seeds=[7, 8, 9])
    assert [(t.grid_point, t.trial) for t in trials] == [(g, i) for g in range(3) for i in range(4)]
    assert {t.config["seed"] for t in trials} == {7}
    assert {t.config["stage"] for t in trials} == {"trial"}
    lrs = [[t.config["lr"] for t in trials if t.grid_point == g] for g in range(3)]
    assert lrs[0] == lrs[1] == lrs[2]
    assert len({t.run_id for t in trials}) == 12
    assert all(t.run_id == run_id(t.config) for t in trials)


def test_counting_matches_the_stages(tmp_path):
    configs = grid_configs(tmp_path)
    parsed = parse(trials=5)
    seeds = [0, 1, 2, 3]
    trials = search.trial_runs(configs, parsed, seeds)
    best = {g: next(t for t in trials if t.grid_point == g) for g in range(3)}
    retrain = search.retrain_runs(best, seeds)
    assert (len(trials), len(retrain)) == search.count_runs(3, 5, 4) == (3 * 5, 3 * 3)


def stored(trials, values, status=None):
    """A runs table for these trials: final_val_loss from ``values`` (one per trial)."""
    status = status or ["ok"] * len(trials)
    return pd.DataFrame({"run_id": [t.run_id for t in trials], "status": status,
                         "final_val_loss": values, "best_val_loss": values,
                         "final_val_acc": [-v for v in values]})


def test_the_winner_is_the_lowest_objective_and_ties_go_to_the_first_trial(tmp_path):
    trials = search.trial_runs(grid_configs(tmp_path)[:2], parse(trials=4, at="final"), [0, 1])
    result = search.winners(trials, stored(trials, [0.5, 0.2, 0.2, 0.9, 0.4, 0.3, 0.8, 0.1]), None,
                            parse(trials=4, at="final"))
    assert {g: t.trial for g, t in result.best.items()} == {0: 1, 1: 3}
    assert result.pending == [] and result.none_finished == []


def test_an_accuracy_objective_is_maximised(tmp_path):
    parsed = parse(trials=4, at="final", objective="val_acc")
    trials = search.trial_runs(grid_configs(tmp_path)[:1], parsed, [0, 1])
    result = search.winners(trials, stored(trials, [0.5, 0.2, 0.3, 0.9]), None, parsed)
    assert result.best[0].trial == 1  # val_acc = -0.2 is the highest


def test_diverged_and_failed_trials_never_win(tmp_path):
    parsed = parse(trials=4, at="final")
    trials = search.trial_runs(grid_configs(tmp_path)[:2], parsed, [0, 1])
    runs = stored(trials, [0.01, 0.02, 0.5, 0.6, 0.0, 0.1, 0.2, 0.3],
                  ["diverged", "failed", "ok", "ok", "diverged", "diverged", "diverged", "diverged"])
    result = search.winners(trials, runs, None, parsed)
    assert result.best[0].trial == 2 and 1 not in result.best
    assert result.none_finished == [1]
    assert search.retrain_runs(result.best, [0, 1, 2])[0].grid_point == 0


def test_a_grid_point_with_trials_missing_has_no_winner_yet(tmp_path):
    parsed = parse(trials=4, at="final")
    trials = search.trial_runs(grid_configs(tmp_path)[:2], parsed, [0, 1])
    result = search.winners(trials, stored(trials[:6], [0.1] * 6), None, parsed)
    assert list(result.best) == [0] and result.pending == [1]
    assert search.winners(trials, stored([], []), None, parsed).pending == [0, 1]


def test_best_reads_the_curves_and_final_the_runs_table(tmp_path):
    trials = search.trial_runs(grid_configs(tmp_path)[:1], parse(trials=2), [0, 1])
    runs = stored(trials, [0.3, 0.4])
    # trial 1 dips lowest at epoch 2 but ends higher than trial 0
    curves = pd.DataFrame({"run_id": [trials[0].run_id] * 3 + [trials[1].run_id] * 3,
                           "epoch": [1, 2, 3] * 2, "val_loss": [0.5, 0.35, 0.3, 0.5, 0.1, 0.4]})
    assert search.winners(trials, runs, curves, parse(trials=2, at="best")).best[0].trial == 1
    assert search.winners(trials, runs, curves, parse(trials=2, at="final")).best[0].trial == 0


def test_retrain_runs_the_winner_on_every_other_seed(tmp_path):
    parsed = parse(trials=2, at="final")
    trials = search.trial_runs(grid_configs(tmp_path)[:1], parsed, [0, 1, 2])
    winner = search.winners(trials, stored(trials, [0.4, 0.3]), None, parsed).best
    retrain = search.retrain_runs(winner, [0, 1, 2])
    assert [(r.stage, r.trial, r.config["seed"]) for r in retrain] == [("retrain", 1, 1), ("retrain", 1, 2)]
    differs = {k for k in retrain[0].config if retrain[0].config[k] != trials[1].config[k]}
    assert differs == {"seed", "stage"}
    # resumed: the same stored trials give the same retrain run ids
    again = search.retrain_runs(search.winners(trials, stored(trials, [0.4, 0.3]), None, parsed).best, [0, 1, 2])
    assert [r.run_id for r in again] == [r.run_id for r in retrain]


def test_a_spec_without_search_keeps_the_stage_keys_at_defaults_out_of_its_run_ids(tmp_path):
    for config in grid_configs(tmp_path):
        assert (config["stage"], config["trial"]) == ("", -1)
        assert not set(search.STAGE_KEYS) & set(hashed_config(config))


def test_a_trial_runs_as_an_ordinary_run_and_scores_from_its_row(tmp_path):
    parsed = parse(trials=2)
    trial = search.trial_runs(grid_configs(tmp_path)[1:2], parsed, [0])[0]
    result = execute({"config": trial.config, "run_id": trial.run_id, "study": "fair"})
    assert result["runs"]["status"] == "ok"
    runs = pd.DataFrame([result["runs"]])
    curves = pd.DataFrame(result["curves"])
    value = search.objective_values(runs, curves, parsed)[trial.run_id]
    assert value == pytest.approx(min(curves["val_loss"]))
    assert math.isfinite(value)


# --- plan ---------------------------------------------------------------------------------------
def test_plan_shows_both_stages_the_lost_balance_and_what_is_left_out(tmp_path):
    configs = grid_configs(tmp_path)
    lines = search.plan_lines(parse(trials=10), configs, ["optimizer=sgd", "optimizer=adam",
                                                          "optimizer=momentum"], [0, 1, 2])
    text = "\n".join(lines)
    assert "over lr (log 1e-4..1e-1), optimizer.beta1 (range 0.8..0.99), optimizer.momentum (choice 0, 0.9)" in text
    assert "stage 1, trials: 3 grid points x 10 trials = 30 runs at seed 0" in text
    assert "stage 2, retrain (after the trials): the best trial of each grid point on 2 more seeds: 3 x 2 = 6 runs" in text
    assert "total: 36 runs" in text
    assert "balance lost: 10 trials is not a power of two; the first 10 of 16 sobol points are used" in text
    assert "optimizer=sgd: does not use optimizer.beta1, optimizer.momentum (left out)" in text
    assert "optimizer=adam: does not use optimizer.momentum (left out)" in text
    assert "balance lost" not in "\n".join(search.plan_lines(parse(trials=16), configs, ["a", "b", "c"], [0]))


def test_exp_text_writes_bounds_as_powers_of_ten():
    assert [search.exp_text(v) for v in (1e-4, 0.1, 3e-3, 0.25)] == ["1e-4", "1e-1", "3e-3", "2.5e-1"]


# --- a searched study through the sweep (stage 1, stage 2, resume) -------------------------------
def test_a_searched_study_sweeps_both_stages_and_resumes_to_the_same_winners(tmp_path):
    import dataclasses

    from experiments import progress, sweep
    from experiments.search.study import plan_search, stage_two

    path = tmp_path / "fair.toml"
    path.write_text(textwrap.dedent("""
        name = "fair"
        seeds = 3
        [base]
        dataset = "sincos"
        dataset_options = { step = 0.5 }
        epochs = 3
        [grid]
        width = [4, 8]
        """))
    table = {"trials": 3, "objective": "train_loss", "at": "final",
             "nuisance": {"lr": {"log": [1e-3, 1e-1]}}}
    study, plan = plan_search(load_spec(path), table, {"width"}, Where(path))
    assert len(study.runs) == 6 and {r.config["seed"] for r in study.runs} == {0}
    assert study.runs[0].label() == "width=4, trial=0, seed=0" and "lr" in study.varying
    results = tmp_path / "results"

    def sweep_runs(runs):
        batches = sweep.plan_batches([(study, runs)], "serial", 1, 1)
        return sweep.execute_batches(batches, results, quiet=True).statuses

    sweep_runs(study.runs[:4])  # killed after four trials: width=8 has one trial missing
    retrain, outcome = stage_two(plan, results, "fair")
    assert outcome.pending == [1] and [r.config["layer_sizes"][1] for r in retrain] == [4, 4]
    sweep_runs(progress.select(study, progress.stored_runs(results, "fair")))  # resumed: the last two
    retrain, outcome = stage_two(plan, results, "fair")
    assert outcome.pending == [] and len(retrain) == 4
    assert [r.config["seed"] for r in retrain] == [1, 2, 1, 2]
    assert all(r.config["stage"] == "retrain" for r in retrain)
    final_loss = store_frame(results)
    for g, best in outcome.best.items():  # the winner has the lowest stored loss of its trials
        mine = [t.run_id for t in plan.trials if t.grid_point == g]
        assert final_loss[best.run_id] == min(final_loss[i] for i in mine)
    sweep_runs(retrain)
    again, _ = stage_two(plan, results, "fair")
    assert [r.run_id for r in again] == [r.run_id for r in retrain]
    whole = dataclasses.replace(study, runs=study.runs + again)
    assert progress.select(whole, progress.stored_runs(results, "fair")) == []
    assert progress.counts(whole, progress.stored_runs(results, "fair")).total == 6 + 4 == sum(
        search.count_runs(2, 3, 3))


def store_frame(results):
    from experiments import store
    runs = store.load("fair", "runs", results)
    return dict(zip(runs["run_id"], runs["final_train_loss"]))


def test_a_quick_searched_study_keeps_two_trials(tmp_path):
    from experiments.search.study import plan_search

    path = tmp_path / "fair.toml"
    path.write_text(textwrap.dedent("""
        name = "fair"
        seeds = 3
        [base]
        dataset = "sincos"
        dataset_options = { step = 0.5 }
        [grid]
        width = [4, 8, 16]
        """))
    study, plan = plan_search(load_spec(path, quick=True), {"nuisance": {"lr": {"log": [1e-3, 1e-1]}}},
                              {"width"}, Where(path))
    assert len(study.runs) == 2 * 2 and plan.search.trials == 2
    assert any("stage 2" in line and "0 runs" in line for line in plan.lines())


def test_a_search_larger_than_max_runs_is_refused_before_drawing(tmp_path):
    from experiments.search.study import plan_search

    path = tmp_path / "fair.toml"
    path.write_text('name = "fair"\nseeds = 3\n[base]\ndataset = "sincos"\n[grid]\nwidth = [4, 8]\n')
    table = {"trials": 10**9, "nuisance": {"lr": {"log": [1e-3, 1e-1]}}}
    with pytest.raises(SpecError, match=r"fair.toml: search.trials: 2 grid points x 1000000000 trials "
                                        r"and 2 retrain seeds make 2000000004 runs, more than 1000"):
        plan_search(load_spec(path), table, {"width"}, Where(path), max_runs=1000)


def test_grid_point_labels_read_as_written_and_a_baseline_finds_its_label(tmp_path):
    from experiments.search.study import plan_search

    path = tmp_path / "fair.toml"
    path.write_text(textwrap.dedent("""
        name = "fair"
        [base]
        dataset = "sincos"
        [grid]
        optimizer = [{ kind = "sgd" }, { kind = "adam", beta2 = 0.99 }]
        width = [4, 8]
        """))
    table = {"trials": 2, "nuisance": {"lr": {"log": [1e-3, 1e-1]}}}
    _, plan = plan_search(load_spec(path), table, {"optimizer", "width"}, Where(path))
    assert plan.grid_labels == ["optimizer=sgd, width=4", "optimizer=sgd, width=8",
                                "optimizer=adam(beta2=0.99), width=4", "optimizer=adam(beta2=0.99), width=8"]
    # a [report] baseline names one grid point by its spec values, or is refused naming them all
    text = path.read_text()
    path.write_text(text + '[report]\nbaseline = { optimizer = { kind = "sgd" }, width = 8 }\n')
    assert load_spec(path).report["baseline"] == "optimizer=sgd, width=8"
    path.write_text(text + "[report]\nbaseline = { width = 8 }\n")
    with pytest.raises(SpecError, match=r"fair.toml: report.baseline: \{'width': 8\} matches 2 grid points"):
        load_spec(path)
