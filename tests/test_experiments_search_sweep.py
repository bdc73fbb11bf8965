"""A searched study through the command line: ``plan`` shows both stages, ``sweep`` runs the
trials and then retrains each grid point's winner (loky and Dask), a resumed sweep finds the same
winners and runs only what is missing, ``status`` and ``list`` count both stages, and every bad
``[search]`` stops with one line naming the file and the key."""
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import experiments
from experiments import sweep as sweeps
from experiments.cli import main
from experiments.search import count_runs
from experiments.spec import load_spec

GRID_POINTS, TRIALS, SEEDS = 2, 3, 3  # 3 trials: not a power of two, so the balance is lost
SPEC = f"""
    name = "fair"
    seeds = {SEEDS}
    [base]
    dataset = "sincos"
    dataset_options = {{ step = 0.5 }}
    reduction = "sum"
    batch_size = 10
    width = 6
    epochs = 4
    [grid]
    optimizer = [{{ kind = "sgd" }}, {{ kind = "momentum" }}]
    [search]
    trials = {TRIALS}
    objective = "val_loss"
    [search.nuisance]
    lr = {{ log = [1e-3, 3e-2] }}
    "optimizer.momentum" = {{ range = [0.5, 0.9] }}
    """
N_TRIALS, N_RETRAINS = count_runs(GRID_POINTS, TRIALS, SEEDS)


def write(tmp_path, text=SPEC, name="fair.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def stored(results) -> pd.DataFrame:
    return experiments.load("fair", "runs", results=results)


def best_val_loss(results) -> pd.Series:
    """Each stored run's lowest validation loss over its curve, computed here from the curves."""
    curves = experiments.load("fair", "curves", results=results)
    return curves.groupby("run_id")["val_loss"].min()


def expected_winners(results) -> dict[str, int]:
    """The trial index with the lowest best val_loss per optimizer among the stored trials that
    finished (a diverged one never wins)."""
    runs = stored(results)
    trials = runs[(runs["stage"] == "trial") & (runs["status"] == "ok")].set_index("run_id")
    trials = trials.assign(value=best_val_loss(results).reindex(trials.index))
    return {kind: int(group.sort_values(["value", "trial"]).iloc[0]["trial"])
            for kind, group in trials.groupby(trials["optimizer"].str.extract(r'"kind":"(\w+)"')[0])}


def assert_both_stages_stored(results) -> None:
    runs = stored(results)
    assert runs["run_id"].is_unique
    assert (runs["stage"] == "trial").sum() == N_TRIALS == GRID_POINTS * TRIALS
    retrains = runs[runs["stage"] == "retrain"]
    assert len(retrains) == N_RETRAINS == GRID_POINTS * (SEEDS - 1)
    assert set(runs.loc[runs["stage"] == "trial", "seed"]) == {0}
    assert sorted(retrains["seed"]) == sorted([1, 2] * GRID_POINTS)
    winners = expected_winners(results)
    for _, retrain in retrains.iterrows():
        kind = retrain["optimizer"].split('"kind":"')[1].split('"')[0]
        assert retrain["trial"] == winners[kind]
        trial = runs[(runs["stage"] == "trial") & (runs["trial"] == retrain["trial"])
                     & (runs["optimizer"] == retrain["optimizer"])].iloc[0]
        assert retrain["lr"] == trial["lr"]  # the winner's nuisance values, another seed


def test_plan_shows_both_stages_the_left_out_nuisance_and_the_lost_balance(tmp_path, capsys):
    assert main(["plan", str(write(tmp_path)), "--results", str(tmp_path / "results")]) == 0
    out = capsys.readouterr().out
    total = N_TRIALS + N_RETRAINS
    assert f"runs: {total} (0 ok, 0 diverged, 0 failed stored; {total} to run)" in out
    assert f"stage 1, trials: 2 grid points x 3 trials = {N_TRIALS} runs at seed 0" in out
    assert f"stage 2, retrain (after the trials): the best trial of each grid point on 2 more " \
           f"seeds: 2 x 2 = {N_RETRAINS} runs" in out
    assert "balance lost: 3 trials is not a power of two; the first 3 of 4 sobol points" in out
    assert "optimizer=sgd: does not use optimizer.momentum (left out)" in out
    assert "optimizer=momentum: does not use" not in out
    assert not (tmp_path / "results").exists()


def test_a_loky_sweep_runs_the_trials_then_retrains_each_winner_on_the_other_seeds(tmp_path, capsys):
    path, results = write(tmp_path), tmp_path / "results"
    assert main(["sweep", str(path), "--results", str(results), "--jobs", "2", "--quiet"]) == 0
    assert "stage 2 (after the trials)" in capsys.readouterr().err
    assert_both_stages_stored(results)
    assert main(["sweep", str(path), "--results", str(results), "--quiet"]) == 0
    assert f"nothing to run: all {N_TRIALS + N_RETRAINS} runs" in capsys.readouterr().out
    assert main(["status", str(path), "--results", str(results)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("fair "))
    total, ok, diverged, failed, pending = map(int, row.split()[1:6])
    assert (total, ok + diverged, failed, pending) == (N_TRIALS + N_RETRAINS,) * 2 + (0, 0)
    assert diverged >= 1  # lr 3e-2 summed over 10 samples: a diverged trial, which never won


def interrupt_after(monkeypatch, n_runs: int) -> None:
    """Ctrl-C in the sweep right after its ``n_runs``-th run is stored."""
    add = sweeps.Writer.add
    seen = []

    def add_then_interrupt(self, result):
        add(self, result)
        self.flush()
        seen.append(result)
        if len(seen) == n_runs:
            raise KeyboardInterrupt

    monkeypatch.setattr(sweeps.Writer, "add", add_then_interrupt)


def test_a_sweep_interrupted_in_the_trials_resumes_to_the_same_winners(tmp_path, capsys, monkeypatch):
    path, results, reference = write(tmp_path), tmp_path / "results", tmp_path / "reference"
    assert main(["sweep", str(path), "--results", str(reference), "--backend", "serial", "--quiet"]) == 0
    with monkeypatch.context() as patch:
        interrupt_after(patch, 2)
        assert main(["sweep", str(path), "--results", str(results), "--backend", "serial",
                     "--quiet"]) == 130
    assert len(stored(results)) == 2
    capsys.readouterr()
    assert main(["status", str(path), "--results", str(results)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("fair "))
    total = N_TRIALS + N_RETRAINS  # the retrains are pending until the trials finish
    assert row.split()[1:6] == [str(total), "2", "0", "0", str(total - 2)]

    assert main(["sweep", str(path), "--results", str(results), "--backend", "serial", "--quiet"]) == 0
    assert f"running {N_TRIALS - 2} runs" in capsys.readouterr().err
    assert_both_stages_stored(results)
    assert set(stored(results)["run_id"]) == set(stored(reference)["run_id"])


@pytest.mark.slow
def test_a_dask_sweep_stores_the_same_two_stages_as_loky(tmp_path):
    path = write(tmp_path)
    for backend in ("loky", "dask"):
        assert main(["sweep", str(path), "--results", str(tmp_path / backend), "--backend", backend,
                     "--jobs", "2", "--quiet"]) == 0
        assert_both_stages_stored(tmp_path / backend)
    columns = ["run_id", "stage", "trial", "seed", "status", "final_val_loss"]
    loky, dask = (stored(tmp_path / b)[columns].sort_values("run_id").reset_index(drop=True)
                  for b in ("loky", "dask"))
    pd.testing.assert_frame_equal(loky, dask, check_exact=True)
    assert set(stored(tmp_path / "dask")["backend"]) == {"dask"}


def test_list_shows_the_shipped_searched_studies_with_both_stages(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("width_fair", "depth_fair", "optimizers_fair"):
        study = load_spec(experiments.catalog.STUDIES_DIR / f"{name}.toml")
        plan = study.search
        total = sum(count_runs(len(plan.grid_configs), plan.search.trials, len(plan.seeds)))
        total += study.resolve.most_added() if study.resolve is not None else 0  # at most
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert line.split()[1:3] == [str(total), "runs"]
        assert f"searched: {plan.search.trials} trials per grid point, then retrained" in line


# --- bad input: one line naming the file and the key, exit 2, nothing written ------------------
NUISANCE_LINES = ('lr = { log = [1e-3, 3e-2] }\n    "optimizer.momentum" = { range = [0.5, 0.9] }')
BAD = [  # (replace this, with this, the key the message names, what it says)
    ('lr = { log = [1e-3, 3e-2] }', 'rate = { log = [1e-3, 3e-2] }', "search.nuisance.rate",
     "unknown nuisance key 'rate'"),
    ('lr = { log = [1e-3, 3e-2] }', 'optimizer = { choice = [{ kind = "sgd" }] }',
     "search.nuisance.optimizer", "is also a grid key"),
    ('lr = { log = [1e-3, 3e-2] }', 'lr = { range = [0.1, 0.1] }', "search.nuisance.lr.range",
     "low must be below high"),
    ('lr = { log = [1e-3, 3e-2] }', 'lr = { log = [0.0, 0.1] }', "search.nuisance.lr.log",
     "a log range must stay above 0"),
    ('lr = { log = [1e-3, 3e-2] }', 'lr = { choice = [] }', "search.nuisance.lr.choice",
     "must be a non-empty list"),
    (f"trials = {TRIALS}", "trials = 0", "search.trials", "must be an integer >= 1, got 0"),
    (f"trials = {TRIALS}", 'sampler = "grid"', "search.sampler", "'grid' is not one of sobol"),
    ('objective = "val_loss"', 'objective = "loss"', "search.objective", "'loss' is not one of"),
    ('objective = "val_loss"', 'at = "last"', "search.at", "'last' is not one of best, final"),
    ('lr = { log = [1e-3, 3e-2] }', '"lr.scale" = { range = [0.1, 0.2] }',
     'search.nuisance."lr.scale"', "'lr' is not a table field"),
]


@pytest.mark.parametrize("command", ["sweep", "plan"])
@pytest.mark.parametrize("old, new, key, message", BAD, ids=[case[2] + ":" + case[3][:20] for case in BAD])
def test_a_bad_search_table_stops_with_one_line_naming_file_and_key(tmp_path, capsys, command,
                                                                   old, new, key, message):
    assert old in SPEC
    path, results = write(tmp_path, SPEC.replace(old, new)), tmp_path / "results"
    assert main([command, str(path), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"error: {path}: {key}: ") and message in err, err
    assert not results.exists()


def test_a_baseline_that_is_no_grid_point_stops_with_one_line(tmp_path, capsys):
    path = write(tmp_path, SPEC + '[report]\nbaseline = { optimizer = { kind = "adam" } }\n')
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: report.baseline: ") and "matches no grid point" in err
    assert "optimizer=sgd; optimizer=momentum" in err


@pytest.mark.parametrize("validation, refused", [(0, True), (0.2, False)])
def test_a_validation_objective_on_data_without_a_validation_split_stops_with_one_line(
        tmp_path, capsys, validation, refused):
    """A data file with ``validation = 0`` (and none of its own) has no validation loss: every
    trial would score NaN and no winner could be retrained."""
    example = Path(experiments.__file__).parents[1] / "examples" / "own-data"
    shutil.copy(example / "wine.csv", tmp_path / "wine.csv")
    text = (example / "wine_fair.toml").read_text().replace(
        'target = "cultivar" }', f'target = "cultivar", validation = {validation} }}')
    path = write(tmp_path, text, "wine_fair.toml")
    assert main(["plan", str(path)]) == (2 if refused else 0)
    err = capsys.readouterr().err
    if refused:
        assert err.startswith(f"error: {path}: search.objective: 'val_loss' is never measured"), err
        assert "no validation split" in err and "objectives it measures: train_loss, train_acc" in err, err
    else:
        assert "error" not in err


def test_the_docs_give_each_fair_study_its_run_count_of_both_stages():
    text = (experiments.catalog.STUDIES_DIR.parents[1] / "docs" / "measurements.md").read_text()
    for name in ("width_fair", "depth_fair", "optimizers_fair"):
        plan = load_spec(experiments.catalog.STUDIES_DIR / f"{name}.toml").search
        total = sum(count_runs(len(plan.grid_configs), plan.search.trials, len(plan.seeds)))
        assert f"| `{name}` | {total} |" in text


def test_the_report_table_takes_a_section_a_baseline_and_a_target(tmp_path):
    study = load_spec(write(tmp_path, SPEC + '[report]\nsection = "search"\nbaseline = '
                            '{ optimizer = { kind = "momentum" } }\ntarget = 0.02\n'))
    assert study.report == {"section": "search", "baseline": "optimizer=momentum", "target": 0.02}
    study = load_spec(write(tmp_path, SPEC + '[report]\ntarget = { optimizer = { kind = "sgd" } }\n'))
    assert study.report == {"target": {"reference": {"optimizer": {"kind": "sgd"}}}}


@pytest.mark.parametrize("table, key, words", [
    ('section = "my section"', "report.section", "must name a report module"),
    ('target = "fast"', "report.target", "must be a number"),
    ('target = { optimizer = { kind = "adam" } }', "report.target", "matches no grid point"),
    ("baseline = {}", "report.baseline", "must name a grid point"),
])
def test_a_bad_report_option_stops_with_one_line(tmp_path, capsys, table, key, words):
    path = write(tmp_path, SPEC + f"[report]\n{table}\n")
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: {key}: ") and words in err, err


def test_a_quick_searched_study_keeps_two_trials_one_seed_and_no_retrains(tmp_path, capsys):
    path = write(tmp_path)
    study = load_spec(path, quick=True)
    assert study.name == "fair-quick" and len(study.runs) == GRID_POINTS * 2
    assert main(["sweep", str(path), "--quick", "--results", str(tmp_path / "r"), "--quiet"]) == 0
    runs = experiments.load("fair-quick", "runs", results=tmp_path / "r")
    assert len(runs) == GRID_POINTS * 2 and set(runs["stage"]) == {"trial"}
    assert "stage 2" not in capsys.readouterr().err


def test_a_target_reference_names_its_grid_point_on_every_dataset():
    plan = load_spec(experiments.catalog.STUDIES_DIR / "optimizers_fair.toml").search
    reference = load_spec(experiments.catalog.STUDIES_DIR / "optimizers_fair.toml").report["target"]["reference"]
    matching = plan.points_matching(reference)
    assert [plan.grid_labels[g] for g in matching] == ["dataset=mnist1d, optimizer=sgd",
                                                       "dataset=digits, optimizer=sgd"]


def test_a_quick_run_leaves_out_a_nuisance_only_the_dropped_grid_points_use():
    """--quick keeps each axis's first and last value: optimizers_fair keeps sgd and adamw, which
    use no momentum; the quick plan leaves optimizer.momentum out instead of refusing the spec."""
    from experiments import catalog

    full = catalog.find_study("optimizers_fair")
    quick = catalog.find_study("optimizers_fair", quick=True)
    assert "optimizer.momentum" in [n.key for n in full.search.search.nuisance]
    assert "optimizer.momentum" not in [n.key for n in quick.search.search.nuisance]
    assert {run.config["optimizer"]["kind"] for run in quick.runs} == {"sgd", "adamw"}
