"""Extending is one edit: a new engine, dataset (one record in ``nndata.DATASETS``) or study is
registered in one place and the spec validator, the cost model, plan, sweep, list, status and the
report discover it."""
import json
import textwrap

import numpy as np
import pytest

import experiments
import nncore
import nndata
from experiments import catalog, schemas, spec
from experiments.cli import main
from nncore.engines.vectorized import VectorizedEngine
from reports.build import build


def write(folder, name, text):
    path = folder / f"{name}.toml"
    path.write_text(textwrap.dedent(text))
    return path


class TurboEngine(VectorizedEngine):
    """An engine the cost model has never measured."""

    name = "turbo"


def blobs(n: int = 30, seed: int = 0):
    """A dataset with no cheap shape: three inputs, two classes, no validation split."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    return rng.normal(size=(n, 3)) + y[:, None], y, None, None


SINCOS = """
name = "{name}"
[base]
dataset = "sincos"
dataset_options = {{ step = 0.5 }}
width = 5
epochs = 1
"""


def test_a_new_engine_is_planned_and_swept(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(nncore.ENGINES, "turbo", TurboEngine)
    path = write(tmp_path, "fast", SINCOS.format(name="fast") + "[grid]\nengine = ['vectorized', 'turbo']\n")
    assert main(["plan", str(path), "--results", str(tmp_path / "r")]) == 0
    assert "engine='turbo'" in capsys.readouterr().out
    assert main(["sweep", str(path), "--results", str(tmp_path / "r"), "--backend", "serial",
                 "--quiet"]) == 0
    runs = experiments.load("fast", "runs", results=tmp_path / "r")
    assert sorted(runs["engine"]) == ["turbo", "vectorized"] and set(runs["status"]) == {"ok"}
    # Same batches, same math: the new engine's loss equals the vectorized one's.
    losses = runs.set_index("engine")["final_train_loss"]
    assert losses["turbo"] == pytest.approx(losses["vectorized"], rel=1e-12)


class BlobMetrics(nndata.Metrics):
    """Counts the evaluated epochs it is shown and reports the trained net's training accuracy."""

    evaluated = 0

    def observe(self, epoch, net, history):
        self.evaluated += 1

    def result(self, net, history):
        predicted = net.forward(self.X).argmax(axis=1)
        return {"evaluated_epochs": self.evaluated, "blob_accuracy": float(np.mean(predicted == self.Y))}


def test_a_new_dataset_is_one_record(tmp_path, monkeypatch, capsys):
    bad_name = write(tmp_path, "none", SINCOS.format(name="none").replace('"sincos"', '"blobs"'))
    with pytest.raises(spec.SpecError, match="'blobs' is not one of"):
        spec.load_spec(bad_name)
    monkeypatch.setitem(nndata.DATASETS, "blobs", nndata.Dataset(load=blobs, task="classification",
                                                                 metrics=BlobMetrics))
    path = write(tmp_path, "blob", """
        name = "blob"
        [base]
        dataset = "blobs"
        dataset_options = { n = 24 }
        hidden = [4]
        output = "softmax"
        loss = "cross_entropy"
        batch_size = 24
        epochs = 2
        """)
    study = spec.load_spec(path)  # no cheap shape: measured by building the data once
    assert study.runs[0].config["layer_sizes"] == [3, 4, 2]
    bad = write(tmp_path, "big", path.read_text().replace("batch_size = 24", "batch_size = 25"))
    with pytest.raises(spec.SpecError, match="25 is more than the 24 training samples of 'blobs'"):
        spec.load_spec(bad)
    typo = write(tmp_path, "typo", path.read_text().replace("{ n = 24 }", "{ samples = 24 }"))
    with pytest.raises(spec.SpecError, match=r"dataset_options.samples: .*valid: n, seed"):
        spec.load_spec(typo)
    assert main(["plan", str(path), "--results", str(tmp_path / "r")]) == 0  # costed, neutrally
    assert main(["sweep", str(path), "--results", str(tmp_path / "r"), "--backend", "serial",
                 "--quiet"]) == 0
    runs = experiments.load("blob", "runs", results=tmp_path / "r")
    assert runs["status"].tolist() == ["ok"]
    metrics = json.loads(runs["metrics"].iloc[0])
    assert metrics["evaluated_epochs"] == 3  # epochs 0, 1, 2
    assert 0 <= metrics["blob_accuracy"] <= 1


@pytest.mark.slow
def test_a_new_study_file_is_listed_swept_by_default_and_reported(tmp_path, monkeypatch, capsys):
    studies = tmp_path / "studies"
    studies.mkdir()
    write(studies, "tiny", SINCOS.format(name="tiny") + "[grid]\nlr = [0.01, 0.001]\n")
    monkeypatch.setattr(catalog, "STUDIES_DIR", studies)
    results = str(tmp_path / "results")
    assert main(["list"]) == 0
    assert capsys.readouterr().out.split()[:2] == ["tiny", "2"]
    assert main(["sweep", "--missing-only", "--results", results]) == 0  # `make report`, step 1
    assert main(["status", "--results", results]) == 0
    [line] = [l for l in capsys.readouterr().out.splitlines() if l.startswith("tiny ")]
    assert line.split()[1:3] == ["2", "2"]  # runs, ok
    report = build(results, tmp_path / "out")  # `make report`, step 2: every study found
    assert [section.study for section in report.sections] == ["tiny"]
    assert report.sections[0].figures[0][0] == "figures/tiny_loss_curves.png"


def test_a_shipped_study_outside_the_default_sweep_shows_its_counts_once_it_has_results(
        tmp_path, monkeypatch, capsys):
    studies = tmp_path / "studies"
    studies.mkdir()
    write(studies, "heavy", SINCOS.format(name="heavy").replace('name = "heavy"',
          'name = "heavy"\ndefault = false') + "[grid]\nlr = [0.01, 0.001]\n")
    monkeypatch.setattr(catalog, "STUDIES_DIR", studies)
    results = str(tmp_path / "results")
    assert main(["sweep", "heavy", "--results", results, "--backend", "serial"]) == 0
    capsys.readouterr()
    assert main(["status", "--results", results]) == 0
    [line] = [l for l in capsys.readouterr().out.splitlines() if l.startswith("heavy ")]
    assert line.split()[1:6] == ["2", "2", "0", "0", "0"]  # runs, ok, diverged, failed, pending
    assert "no shipped spec" not in line


def test_a_new_config_field_is_one_declaration(tmp_path, monkeypatch):
    from experiments import fields
    from experiments.fields import config_columns
    from test_run_id_pins import PINNED, _matches

    declared = fields.Field("label_noise", float, 0.0, "share of training labels flipped", low=0.0)
    monkeypatch.setitem(fields.FIELDS, "label_noise", declared)
    # Validated: its type and range, with the messages every field gets.
    path = write(tmp_path, "noisy", SINCOS.format(name="noisy") + "[grid]\nlabel_noise = [0.0, 0.2]\n")
    study = spec.load_spec(path)
    assert [run.config["label_noise"] for run in study.runs] == [0.0, 0.2]
    for bad, words in (("-0.1", "must be >= 0.0, got -0.1"), ("'lots'", "must be a number")):
        text = SINCOS.format(name="bad") + f"label_noise = {bad}\n"
        with pytest.raises(spec.SpecError, match=words):
            spec.load_spec(write(tmp_path, "bad", text))
    # Stored: a runs column of its declared type, filled from the configuration.
    schema = schemas.runs_schema()
    assert schema.field("label_noise").type == declared.column_type
    assert config_columns(study.runs[1].config)["label_noise"] == 0.2
    # Documented: the field table lists it.
    assert "| label_noise | float64 | `0.0` | share of training labels flipped |" in fields.doc_table()
    # And nothing stored is re-labelled: at its default it stays out of the run id.
    for name, point, expected in PINNED:
        assert expected in {run.run_id for run in catalog.find_study(name).runs if _matches(run, point)}


SECTION_MODULE = '''
"""A study section written by a newcomer: one figure, one claim."""
from reports.claims import Check, Claim, no_data, verdict
from reports.plotting import plt, save

TITLE = "Tiny lr"


def final_losses(study, path):
    fig, ax = plt.subplots()
    ax.scatter(study.ok["lr"], study.ok["final_train_loss"])
    save(fig, path)


def section(b):
    b.figure(f"{b.study.name}_final_losses.png", "Final loss per lr.",
             lambda p: final_losses(b.study, p))


def trains(study):
    if study is None:
        return no_data("tiny: every run finishes", "all")
    return Claim("tiny: every run finishes", "all", f"{len(study.ok)} of {len(study.runs)}",
                 verdict(len(study.ok) == len(study.runs)))


CLAIMS = (Check("tiny-every-run-finishes", trains),)
'''


def test_a_study_with_its_own_figure_and_claim_is_its_spec_and_its_module(tmp_path, monkeypatch):
    import reports.studies

    sections = tmp_path / "sections"  # a folder on the section package's path: what
    sections.mkdir()                  # `reports/studies/` is for the shipped sections
    (sections / "tiny_lr.py").write_text(SECTION_MODULE)
    monkeypatch.setattr(reports.studies, "__path__", [*reports.studies.__path__, str(sections)])
    path = write(tmp_path, "tiny", SINCOS.format(name="tiny")
                 + "[grid]\nlr = [0.01, 0.001]\n[report]\nsection = 'tiny_lr'\n")
    results = tmp_path / "results"
    assert main(["sweep", str(path), "--results", str(results), "--backend", "serial",
                 "--quiet"]) == 0
    report = build(results, tmp_path / "out", [str(path)])
    [section] = report.sections
    assert section.title == "Tiny lr"
    figures = [figure for figure, _ in section.figures]
    assert figures[0] == "figures/tiny_final_losses.png"
    assert "figures/tiny_loss_curves.png" in figures  # the generic section still builds
    assert "figures/tiny_final_losses.png" in (tmp_path / "out" / "index.html").read_text()
    card = report.scorecard.frame.set_index("id")
    assert card.loc["tiny-every-run-finishes", "holds"] == "yes"
    assert card.loc["tiny-every-run-finishes", "ours"] == "2 of 2"


class SignSGD(nncore.optimizers.Optimizer):
    """p -= lr sign(g): an update rule nncore does not ship."""

    kind = "signsgd"
    defaults = {"weight_decay": 0.0}

    def _update(self, p, g, scratch):
        np.sign(g, out=g)
        g *= self.lr
        p -= g


def test_a_new_optimizer_is_one_class_in_the_registry(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(nncore.OPTIMIZERS, "signsgd", SignSGD)
    text = SINCOS.format(name="signs") + "lr = 0.01\n[grid]\noptimizer = [{ kind = 'sgd' }, { kind = 'signsgd' }]\n"
    path = write(tmp_path, "signs", text)
    assert main(["sweep", str(path), "--results", str(tmp_path / "r"), "--backend", "serial",
                 "--quiet"]) == 0
    runs = experiments.load("signs", "runs", results=tmp_path / "r").set_index("optimizer")
    assert set(runs["status"]) == {"ok"}
    stored = '{"kind":"signsgd","weight_decay":0.0}'
    assert stored in runs.index
    # It trained with its own rule: a different result from plain SGD's on the same batches.
    assert runs.loc[stored, "final_train_loss"] != runs.loc['{"kind":"sgd","weight_decay":0.0}',
                                                            "final_train_loss"]
    bad = write(tmp_path, "bad", SINCOS.format(name="bad") + "optimizer = { kind = 'signsgdd' }\n")
    assert main(["sweep", str(bad), "--results", str(tmp_path / "r")]) == 2
    assert "signsgd" in capsys.readouterr().err  # the registered kind is among the valid choices
