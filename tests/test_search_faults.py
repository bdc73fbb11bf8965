"""Searches that used to fail silently or late (issue 28, items 6-8): drawn nuisance values pass
the grid's per-run validation before anything runs; ``stage`` and ``trial`` are no nuisance; an
objective the runs never measure is refused at spec time; a grid point without a winner is one
line of the sweep; a torn shard stops the retrain stage naming the file."""
import textwrap

import pytest

from experiments import store
from experiments.cli import main

SPEC = """
    name = "sf"
    seeds = 2
    [base]
    dataset = "sincos"
    dataset_options = {{ step = 0.5 }}
    reduction = "sum"
    batch_size = 10
    width = 4
    epochs = 2
    [grid]
    activation = ["relu", "tanh"]
    [search]
    trials = 4
    objective = "{objective}"
    [search.nuisance]
    {nuisance}
    """


def write(tmp_path, nuisance='lr = { log = [1e-3, 3e-2] }', objective="val_loss"):
    path = tmp_path / "sf.toml"
    path.write_text(textwrap.dedent(SPEC.format(nuisance=nuisance, objective=objective)))
    return path


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- 6: drawn values pass the per-run validation of a grid value ------------------------------------
@pytest.mark.parametrize("nuisance, key, drawn", [
    ("lr = { range = [-0.01, 0.01] }", "lr", "lr=-"),
    ("init_scale = { range = [-1.0, 1.0] }", "init_scale", "init_scale=-"),
    ("epochs = { range = [-3, 3] }", "epochs", "epochs=-"),
    ("evaluate_every = { range = [0, 2] }", "evaluate_every", "evaluate_every=0"),
    ("batch_size = { range = [10, 100000] }", "batch_size", "batch_size="),
    ('engine = { choice = ["vectorized", "nosuchmodule:Engine"] }', "engine", "engine=nosuchmodule:Engine"),
    ('"dataset_options.n_val" = { range = [-50, 10] }', "dataset_options", "dataset_options.n_val="),
])
@pytest.mark.parametrize("command", ["plan", "sweep"])
def test_a_drawn_value_a_run_cannot_take_is_refused_before_anything_runs(tmp_path, capsys, nuisance, key,
                                                                         drawn, command):
    path = write(tmp_path, nuisance)
    results = tmp_path / "results"
    arguments = [command, str(path), "--results", str(results)]
    assert main(arguments + (["--backend", "serial", "--quiet"] if command == "sweep" else [])) == 2
    line = one_line(capsys)
    assert str(path) in line and "search.nuisance" in line and drawn in line and f"{key}" in line, line
    assert not (results / "sf").exists()


@pytest.mark.parametrize("key", ["stage", "trial"])
def test_stage_and_trial_are_not_nuisance_keys(tmp_path, capsys, key):
    path = write(tmp_path, f'lr = {{ log = [1e-3, 3e-2] }}\n    {key} = {{ choice = ["retrain"] }}'
                 if key == "stage" else f'lr = {{ log = [1e-3, 3e-2] }}\n    {key} = {{ range = [0, 3] }}')
    assert main(["plan", str(path)]) == 2
    line = one_line(capsys)
    assert f"unknown nuisance key {key!r}" in line


# --- 7: an objective the runs never measure; a grid point without a winner -------------------------
@pytest.mark.parametrize("objective", ["val_acc", "train_acc"])
def test_an_objective_the_runs_never_measure_is_refused_at_spec_time(tmp_path, capsys, objective):
    path = write(tmp_path, objective=objective)
    assert main(["plan", str(path)]) == 2
    line = one_line(capsys)
    assert "search.objective" in line and objective in line and "mse" in line


def test_a_grid_point_whose_every_trial_diverged_is_one_line_of_the_sweep(tmp_path, capsys):
    # relu at lr 1e6..1e7 overflows within two epochs; tanh stays finite at the same lr.
    path = write(tmp_path, "lr = { log = [1e6, 1e7] }")
    path.write_text(path.read_text().replace('activation = ["relu", "tanh"]',
                                             'activation = ["relu", "tanh"]\n    init_scale = [0.1]'))
    results = tmp_path / "results"
    main(["sweep", str(path), "--results", str(results), "--backend", "serial", "--quiet"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "no winner" in line]
    assert lines, err
    assert all("activation=" in line and "every trial diverged or failed" in line for line in lines)


# --- 8: a torn shard in a searched study --------------------------------------------------------------
def swept_with_torn_curves(tmp_path):
    """(spec, results, the torn shard): the searched study swept in full and compacted, then its
    one curves shard cut short, as a full disk or a killed copy leaves it."""
    path = write(tmp_path)
    results = tmp_path / "results"
    assert main(["sweep", str(path), "--results", str(results), "--backend", "serial", "--quiet"]) == 0
    assert main(["compact", "sf", "--results", str(results)]) == 0
    (curves,) = store.shard_paths(results, "sf", "curves")
    curves.write_bytes(curves.read_bytes()[:200])
    return path, results, curves


def test_a_torn_curves_shard_stops_the_retrain_stage_naming_the_file(tmp_path, capsys):
    path, results, curves = swept_with_torn_curves(tmp_path)
    capsys.readouterr()
    assert main(["sweep", str(path), "--results", str(results), "--backend", "serial", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(curves) in err.splitlines()[-1]


# --- 7 and 8, the report's side ------------------------------------------------------------------
def test_the_report_draws_the_search_of_a_study_whose_every_trial_diverged(tmp_path):
    from reports.build import build

    path = write(tmp_path, "lr = { log = [1e6, 1e7] }")
    results = tmp_path / "results"
    main(["sweep", str(path), "--results", str(results), "--backend", "serial", "--quiet"])
    report = build(results, tmp_path / "out", [str(path)], peers=False)
    texts = [text for _, text in report.messages]
    assert not any("left out" in text and "no run finished" in text for text in texts), texts
    assert sum("every trial diverged or failed" in text for text in texts) == 2, texts
    figures = {p.name for p in (tmp_path / "out" / "figures").iterdir()}
    assert "sf_search_axes.png" in figures, figures


def test_the_report_of_a_searched_study_with_a_torn_shard_warns_naming_it(tmp_path):
    from nnstudy.cli import main as nnstudy
    from reports.build import build

    path, results, curves = swept_with_torn_curves(tmp_path)
    report = build(results, tmp_path / "out", [str(path)], peers=False)
    assert any(level == "warning" and str(curves) in text for level, text in report.messages), \
        report.messages
    assert nnstudy(["report", str(path), "--results", str(results), "--out", str(tmp_path / "out2"),
                    "--quiet"]) == 0
