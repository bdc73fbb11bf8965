"""Extending is one edit: a new engine, dataset or study is registered in one place and the
spec validator, the cost model, plan, sweep, list, status and the report discover it."""
import textwrap

import numpy as np
import pytest

import experiments
import nncore
from experiments import spec
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


def test_a_new_dataset_needs_no_shape_table(tmp_path, monkeypatch):
    monkeypatch.setitem(nncore.datasets.DATASETS, "blobs", blobs)
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
    study = spec.load_spec(path)
    assert study.runs[0].config["layer_sizes"] == [3, 4, 2]
    bad = write(tmp_path, "big", path.read_text().replace("batch_size = 24", "batch_size = 25"))
    with pytest.raises(spec.SpecError, match="25 is more than the 24 training samples of 'blobs'"):
        spec.load_spec(bad)
    assert main(["sweep", str(path), "--results", str(tmp_path / "r"), "--backend", "serial",
                 "--quiet"]) == 0
    assert experiments.load("blob", "runs", results=tmp_path / "r")["status"].tolist() == ["ok"]


@pytest.mark.slow
def test_a_new_study_file_is_listed_swept_by_default_and_reported(tmp_path, monkeypatch, capsys):
    studies = tmp_path / "studies"
    studies.mkdir()
    write(studies, "tiny", SINCOS.format(name="tiny") + "[grid]\nlr = [0.01, 0.001]\n")
    monkeypatch.setattr(spec, "STUDIES_DIR", studies)
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
    monkeypatch.setattr(spec, "STUDIES_DIR", studies)
    results = str(tmp_path / "results")
    assert main(["sweep", "heavy", "--results", results, "--backend", "serial"]) == 0
    capsys.readouterr()
    assert main(["status", "--results", results]) == 0
    [line] = [l for l in capsys.readouterr().out.splitlines() if l.startswith("heavy ")]
    assert line.split()[1:6] == ["2", "2", "0", "0", "0"]  # runs, ok, diverged, failed, pending
    assert "no shipped spec" not in line


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
