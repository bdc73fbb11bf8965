"""A ``[resolve]`` study through the command line: ``sweep`` runs round after round, a resumed
sweep replays the decisions and stores the same run ids as an uninterrupted one, ``plan`` shows
the first round and the most later rounds can add, ``status`` counts the rounds' runs, a searched
study's retrains get the seeds, and every bad [resolve] value stops with one line (exit 2)."""
import textwrap

import pytest

import experiments
from experiments import sweep_command
from experiments.cli import main
from experiments.resolve.rounds import with_rounds
from experiments.spec import load_spec

SPEC = """
    name = "grow"
    seeds = 3
    [base]
    dataset = "sincos"
    dataset_options = { step = 0.5 }
    batch_size = 10
    epochs = 6
    lr = 0.01
    [grid]
    width = [1, 32, 33]
    [resolve]
    axis = "width"
    add = 2
    max_seeds = 7
    """


def write(tmp_path, text=SPEC, name="grow.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def stored_ids(results, study="grow") -> set[str]:
    return set(experiments.load(study, "runs", results=results)["run_id"])


def test_a_sweep_runs_rounds_until_the_comparisons_are_decided_or_the_budget_is_spent(tmp_path):
    spec, results = write(tmp_path), tmp_path / "results"
    assert main(["sweep", str(spec), "--results", str(results), "--quiet", "--jobs", "1"]) == 0
    study, replay = with_rounds(load_spec(spec), results)
    assert replay.finished and stored_ids(results) == {run.run_id for run in study.runs}
    ids = stored_ids(results)
    seeds_of = {label: {s for s, run in by_seed.items() if run.run_id in ids}
                for label, by_seed in study.resolve.runs.items()}
    # 1 -> 32 is decided before the budget is spent; 32 -> 33 is not
    assert [o.verdict for o in replay.outcomes] == ["better", "not resolved"]
    assert replay.outcomes[0].seeds < 7 == replay.outcomes[1].seeds
    for label, seeds in seeds_of.items():  # a grid point ran as long as its longest comparison
        longest = max(o.seeds for o in replay.outcomes
                      if label in (o.comparison.reference, o.comparison.candidate))
        assert seeds == set(range(longest))
    for outcome in replay.outcomes:  # every pair compared on the seeds of its deciding look
        assert outcome.n + outcome.dropped == outcome.seeds


def test_a_resumed_sweep_stores_the_same_run_ids_as_an_uninterrupted_one(tmp_path, monkeypatch):
    spec = write(tmp_path)
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    assert main(["sweep", str(spec), "--results", str(whole), "--quiet", "--jobs", "1"]) == 0

    def stop(args, studies):  # interrupted after the first round
        raise KeyboardInterrupt
    monkeypatch.setattr(sweep_command, "_sweep_rounds", stop)
    assert main(["sweep", str(spec), "--results", str(resumed), "--quiet", "--jobs", "1"]) == 130
    monkeypatch.undo()
    assert len(stored_ids(resumed)) == 9
    assert main(["sweep", str(spec), "--results", str(resumed), "--quiet", "--jobs", "1"]) == 0
    assert stored_ids(resumed) == stored_ids(whole)


def test_plan_shows_the_first_round_and_the_most_later_rounds_can_add(tmp_path, capsys):
    spec = write(tmp_path)
    assert main(["plan", str(spec), "--results", str(tmp_path / "none")]) == 0
    out = capsys.readouterr().out
    assert "runs: 9 (" in out
    assert "at most 3 x 4 = 12 more runs" in out
    assert "looks at 3, 5, 7 seeds per grid point" in out


def test_status_counts_the_runs_of_the_rounds_so_far(tmp_path, capsys):
    spec, results = write(tmp_path), tmp_path / "results"
    main(["sweep", str(spec), "--results", str(results), "--quiet", "--jobs", "1"])
    capsys.readouterr()
    assert main(["status", str(spec), "--results", str(results)]) == 0
    line = [line for line in capsys.readouterr().out.splitlines() if line.startswith("grow")][0]
    total = len(stored_ids(results))
    assert line.split()[1:6] == [str(total), str(total), "0", "0", "0"]
    assert "resolve: done:" in line


SEARCHED = """
    name = "grow"
    seeds = 3
    [base]
    dataset = "sincos"
    dataset_options = { step = 0.5 }
    batch_size = 10
    epochs = 3
    [grid]
    width = [1, 32]
    [search]
    trials = 2
    objective = "val_loss"
    [search.nuisance]
    lr = { log = [1e-3, 1e-2] }
    [resolve]
    axis = "width"
    metric = "best_val_loss"
    add = 2
    max_seeds = 5
    """


def test_a_searched_study_gives_the_added_seeds_to_its_retrains(tmp_path):
    spec, results = write(tmp_path, SEARCHED), tmp_path / "results"
    assert main(["sweep", str(spec), "--results", str(results), "--quiet", "--jobs", "1"]) == 0
    runs = experiments.load("grow", "runs", results=results)
    study, replay = with_rounds(load_spec(spec), results)
    assert replay.finished and set(runs["run_id"]) == {run.run_id for run in study.runs}
    assert set(runs.loc[runs["stage"] == "trial", "seed"]) == {0}
    retrain_seeds = set(runs.loc[runs["stage"] == "retrain", "seed"])
    outcome = replay.outcomes[0]
    assert retrain_seeds == set(range(1, outcome.seeds))
    assert outcome.n + outcome.dropped == outcome.seeds - 1  # the winning trial's seed left out


BAD = [
    ('axis = "depth"', "resolve.axis", "not a [grid] key"),
    ('axis = "width"\ncompare = "pairs"', "resolve.compare", "not one of adjacent, baseline"),
    ('axis = "width"\ncompare = "baseline"', "resolve.compare", "[report] baseline"),
    ('axis = "width"\nmetric = "final_loss"', "resolve.metric", "not a stored result column"),
    ('axis = "width"\nconfidence = 1.0', "resolve.confidence", "(0, 1)"),
    ('axis = "width"\nconfidence = 0', "resolve.confidence", "(0, 1)"),
    ('axis = "width"\nmargin = -0.1', "resolve.margin", ">= 0"),
    ('axis = "width"\nadd = 0', "resolve.add", ">= 1"),
    ('axis = "width"\nmax_seeds = 2', "resolve.max_seeds", "first round's seeds = 3"),
    ('axis = "width"\nmax_seeds = 7.5', "resolve.max_seeds", "an integer"),
    ('axis = "width"\nrounds = 3', "resolve.rounds", "unknown key"),
]


@pytest.mark.parametrize("table, key, words", BAD, ids=[key for _, key, _ in BAD])
def test_a_bad_resolve_value_exits_2_naming_file_and_key_and_writes_nothing(tmp_path, capsys, table, key, words):
    text = SPEC[:SPEC.index("[resolve]")] + "[resolve]\n" + table + "\n"
    spec, results = write(tmp_path, textwrap.dedent(text)), tmp_path / "results"
    assert main(["sweep", str(spec), "--results", str(results)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"{spec}: {key}:" in lines[0] and words in lines[0]
    assert not results.exists()


def test_the_missing_only_sweep_of_make_report_runs_the_rounds_too(tmp_path, monkeypatch):
    from experiments import catalog

    studies = tmp_path / "studies"
    studies.mkdir()
    write(studies)
    monkeypatch.setattr(catalog, "STUDIES_DIR", studies)
    results = tmp_path / "results"
    assert main(["sweep", "--missing-only", "--results", str(results), "--jobs", "1"]) == 0
    study, replay = with_rounds(load_spec(studies / "grow.toml"), results)
    assert replay.finished and len(stored_ids(results)) == len(study.runs) > 9


SAME = """
    name = "same"
    seeds = 3
    [base]
    dataset = "sincos"
    dataset_options = { step = 0.5 }
    batch_size = 10
    epochs = 3
    width = 4
    [grid]
    snapshot_epochs = [[0], [1], [2]]   # changes the run ids, not the training
    [resolve]
    axis = "snapshot_epochs"
    margin = {margin}
    add = 2
    max_seeds = 5
    """


@pytest.mark.parametrize("margin, verdict, runs", [(0.001, "equivalent", 9), (0.0, "not resolved", 15)])
def test_grid_points_that_train_identically_are_equivalent_with_a_margin_never_better_or_worse(
        tmp_path, margin, verdict, runs):
    spec, results = write(tmp_path, SAME.replace("{margin}", str(margin)), "same.toml"), tmp_path / "r"
    assert main(["sweep", str(spec), "--results", str(results), "--quiet", "--jobs", "1"]) == 0
    _, replay = with_rounds(load_spec(spec), results)
    assert [o.verdict for o in replay.outcomes] == [verdict, verdict]
    assert all(o.mean == 0 for o in replay.outcomes) and len(stored_ids(results, "same")) == runs


@pytest.mark.slow
def test_a_dask_sweep_runs_the_same_rounds_as_a_serial_one(tmp_path):
    spec = write(tmp_path)
    for backend in ("serial", "dask"):
        assert main(["sweep", str(spec), "--results", str(tmp_path / backend), "--backend", backend,
                     "--jobs", "2", "--quiet"]) == 0
    assert stored_ids(tmp_path / "dask") == stored_ids(tmp_path / "serial")
    assert set(experiments.load("grow", "runs", results=tmp_path / "dask")["backend"]) == {"dask"}
