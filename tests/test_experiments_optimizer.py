"""The optimizer config field: canonical in the run id, validated at spec time, stored as JSON."""
import json
import textwrap

import pytest

import experiments
from experiments.cli import main
from experiments.spec import SpecError, load_spec

SPEC = """
name = "opt"
[base]
dataset = "xor"
hidden = [3]
batch_size = 4
epochs = 3
lr = 0.05
"""


def write(tmp_path, extra, name="opt.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(SPEC) + textwrap.dedent(extra))
    return path


def only_run(path):
    runs = load_spec(path).runs
    assert len(runs) == 1
    return runs[0]


def test_spellings_of_one_optimizer_are_one_run(tmp_path):
    short = only_run(write(tmp_path, 'optimizer = { kind = "adam" }\n', "a.toml"))
    spelled = only_run(write(tmp_path, 'optimizer = { kind = "adam", beta1 = 0.9, eps = 1e-8 }\n', "b.toml"))
    assert short.run_id == spelled.run_id
    assert short.config["optimizer"] == {"kind": "adam", "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                         "weight_decay": 0.0}
    other = only_run(write(tmp_path, 'optimizer = { kind = "adam", beta1 = 0.8 }\n', "c.toml"))
    assert other.run_id != short.run_id


def test_plain_sgd_keeps_the_run_id_of_a_spec_without_optimizer(tmp_path):
    without = only_run(write(tmp_path, "", "a.toml"))
    explicit = only_run(write(tmp_path, 'optimizer = { kind = "sgd", weight_decay = 0 }\n', "b.toml"))
    assert explicit.run_id == without.run_id
    assert without.config["optimizer"] == {"kind": "sgd", "weight_decay": 0.0}
    decayed = only_run(write(tmp_path, 'optimizer = { kind = "sgd", weight_decay = 1e-4 }\n', "c.toml"))
    assert decayed.run_id != without.run_id


@pytest.mark.parametrize(("extra", "words"), [
    ('optimizer = { kind = "lbfgs" }\n', ["optimizer", "'lbfgs'", "adam", "sgd"]),
    ('optimizer = { kind = "adam", momentum = 0.9 }\n', ["optimizer", "'momentum'", "beta1"]),
    ('optimizer = { kind = "momentum", momentum = 1.0 }\n', ["optimizer", "momentum", "[0, 1)"]),
    ('optimizer = { kind = "adam", eps = -1.0 }\n', ["optimizer", "eps", ">= 0"]),
    ('optimizer = "adam"\n', ["base.optimizer", "a table"]),
])
def test_bad_optimizer_settings_name_file_and_key(tmp_path, extra, words):
    path = write(tmp_path, extra)
    with pytest.raises(SpecError) as error:
        load_spec(path)
    message = str(error.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_cli_exits_2_on_bad_optimizer_and_writes_nothing(tmp_path, capsys):
    path = write(tmp_path, "[grid]\noptimizer = [{ kind = 'sgd' }, { kind = 'adam', beta2 = 1.5 }]\n")
    results = tmp_path / "results"
    assert main(["sweep", str(path), "--results", str(results), "--backend", "serial"]) == 2
    assert "beta2" in capsys.readouterr().err
    assert not results.exists()


def test_a_sweep_trains_with_the_optimizer_and_stores_it_as_canonical_json(tmp_path):
    path = write(tmp_path, "[grid]\noptimizer = [{ kind = 'sgd' }, { kind = 'adam' }]\n")
    results = tmp_path / "results"
    assert main(["sweep", str(path), "--results", str(results), "--backend", "serial", "--quiet"]) == 0
    runs = experiments.load("opt", "runs", results=results)
    stored = {json.loads(text)["kind"]: json.loads(text) for text in runs["optimizer"]}
    assert stored["adam"] == {"kind": "adam", "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}
    assert stored["sgd"] == {"kind": "sgd", "weight_decay": 0.0}
    losses = runs.set_index(runs["optimizer"].map(lambda text: json.loads(text)["kind"]))["final_train_loss"]
    assert losses["adam"] != losses["sgd"]  # the optimizer reached nncore.train


def test_the_optimizer_study_gives_every_optimizer_its_own_lr_grid_on_both_datasets():
    import nncore
    from experiments import catalog

    study = catalog.find_study("optimizers")
    assert not study.default
    grid = {}
    for run in study.runs:
        grid.setdefault((run.config["dataset"], run.config["optimizer"]["kind"]), set()).add(run.config["lr"])
    assert {dataset for dataset, _ in grid} == {"mnist1d", "digits"}
    assert {kind for _, kind in grid} == set(nncore.OPTIMIZERS)
    assert all(len(lrs) == 4 for lrs in grid.values())
    assert {run.config["seed"] for run in study.runs} == {0, 1, 2}


def test_the_mnist1d_study_is_the_papers_setting():
    from experiments import catalog

    study = catalog.find_study("mnist1d")
    assert sorted(run.config["layer_sizes"] for run in study.runs[::5]) == [[40, 10], [40, 100, 100, 10]]
    for run in study.runs:
        config = run.config
        assert config["optimizer"]["kind"] == "adam" and config["lr"] == 1e-2
        assert config["batch_size"] == 100 and config["epochs"] * 4000 // 100 == 8000
        assert config["init"] == "he" and config["loss"] == "cross_entropy"
    assert len({run.config["seed"] for run in study.runs}) == 5
