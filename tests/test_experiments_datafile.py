"""A study on the user's own file: path relative to the spec, the file's identity in the run id,
sizes from the data, stale runs after an edit, and bad files stopped before any run."""
import json
import os
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
from experiments import spec
from experiments.cli import main

SPEC = """
name = "mine"
seeds = 2
[base]
dataset = "file"
dataset_options = {{ path = "{path}", target = "kind" }}
output = "softmax"
loss = "cross_entropy"
epochs = 20
batch_size = 8
lr = 0.3
[grid]
width = [4, 8]
"""


def write_data(path, seed=0, n=40):
    rng = np.random.default_rng(seed)
    kind = np.where(np.arange(n) % 2 == 0, "red", "blue")
    x = np.where(kind == "red", 2.0, -2.0) + rng.normal(size=n)
    pd.DataFrame({"x": x, "noise": rng.normal(size=n), "kind": kind}).to_csv(path, index=False)
    return path


@pytest.fixture
def study_dir(tmp_path):
    folder = tmp_path / "study"
    (folder / "data").mkdir(parents=True)
    write_data(folder / "data" / "points.csv")
    (folder / "mine.toml").write_text(textwrap.dedent(SPEC.format(path="data/points.csv")))
    return folder


def test_path_is_relative_to_the_spec_and_sizes_come_from_the_data(study_dir, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # not the spec's folder
    study = spec.load_spec(study_dir / "mine.toml")
    options = study.runs[0].config["dataset_options"]
    assert options["path"] == str(study_dir / "data" / "points.csv")
    assert options["classes"] == ["blue", "red"] and len(options["sha256"]) == 64
    assert [run.config["layer_sizes"] for run in study.runs[::2]] == [[2, 4, 2], [2, 8, 2]]


def test_binary_cross_entropy_gets_one_output(study_dir):
    path = study_dir / "mine.toml"
    path.write_text(path.read_text().replace('"softmax"', '"sigmoid"').replace(
        '"cross_entropy"', '"binary_cross_entropy"'))
    assert spec.load_spec(path).runs[0].config["layer_sizes"] == [2, 4, 1]


def test_moving_the_file_keeps_run_ids_and_editing_it_changes_them(study_dir, tmp_path):
    before = [run.run_id for run in spec.load_spec(study_dir / "mine.toml").runs]
    moved = tmp_path / "elsewhere"
    shutil.copytree(study_dir, moved)
    assert [run.run_id for run in spec.load_spec(moved / "mine.toml").runs] == before
    write_data(moved / "data" / "points.csv", seed=1)
    after = [run.run_id for run in spec.load_spec(moved / "mine.toml").runs]
    assert not set(after) & set(before)


def test_a_csv_study_sweeps_resumes_and_marks_old_data_stale(study_dir, tmp_path, capsys):
    results, spec_path = str(tmp_path / "results"), str(study_dir / "mine.toml")
    assert main(["sweep", spec_path, "--results", results, "--backend", "serial", "--quiet"]) == 0
    runs = experiments.load("mine", "runs", results=results)
    assert len(runs) == 4 and set(runs["status"]) == {"ok"}
    assert json.loads(runs["metrics"].iloc[0])["classes"] == ["blue", "red"]
    assert runs["final_val_acc"].min() > 0.8  # two well separated blobs
    capsys.readouterr()
    assert main(["sweep", spec_path, "--results", results, "--backend", "serial"]) == 0
    assert "nothing to run" in capsys.readouterr().out

    write_data(study_dir / "data" / "points.csv", seed=7)
    assert main(["status", spec_path, "--results", results]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("mine"))
    assert line.split()[1:7] == ["4", "0", "0", "0", "4", "4"]  # runs ok div failed pending stale
    assert "earlier version of the data file" in line
    assert main(["sweep", spec_path, "--results", results, "--backend", "serial", "--quiet"]) == 0
    assert len(experiments.load("mine", "runs", results=results)) == 8


BAD = [
    # (what, how to spoil the study folder, words the one-line error must hold)
    ("missing file", lambda d: (d / "data" / "points.csv").unlink(), ["points.csv", "no such file"]),
    ("empty file", lambda d: (d / "data" / "points.csv").write_text(""), ["points.csv", "empty"]),
    ("unreadable file", lambda d: (d / "data" / "points.csv").write_bytes(b"\xff\xfe\x00\x81" * 50),
     ["points.csv", "cannot be read"]),
    ("unknown target", lambda d: (d / "mine.toml").write_text(
        (d / "mine.toml").read_text().replace('"kind"', '"knd"')), ["points.csv", "'knd'", "x, noise, kind"]),
    ("one class", lambda d: (d / "data" / "points.csv").write_text("x,kind\n1,red\n2,red\n"),
     ["points.csv", "'kind'", "single class"]),
    ("NaN in a feature", lambda d: (d / "data" / "points.csv").write_text(
        "x,noise,kind\n" + "1,0,red\n-1,0,blue\n" * 20 + "2,nan,red\n"), ["points.csv", "'noise'", "line 42"]),
    ("infinity in a feature", lambda d: (d / "data" / "points.csv").write_text(
        "x,noise,kind\n" + "1,0,red\n-1,0,blue\n" * 20 + "inf,0,red\n"), ["points.csv", "'x'", "inf"]),
    # What the path is when it is not a file (issue 19, item 9: these all said "no such file").
    ("a directory", lambda d: _replace(d, lambda p: p.mkdir()), ["points.csv", "is a directory"]),
    ("a symlink loop", lambda d: _replace(d, lambda p: p.symlink_to(p.name)),
     ["points.csv", "is a symlink loop"]),
    ("a symlink to /dev/null", lambda d: _replace(d, lambda p: p.symlink_to(os.devnull)),
     ["points.csv", "is not a regular file", "character device"]),
    ("a FIFO", lambda d: _replace(d, lambda p: os.mkfifo(p)),
     ["points.csv", "is not a regular file", "FIFO"]),
    ("a broken symlink", lambda d: _replace(d, lambda p: p.symlink_to("gone.csv")),
     ["points.csv", "no such file", "symlink"]),
    # Too small for its validation split (item 11: every run failed with a NumPy reduction error).
    # The class labels are read from the file; a spec that gives them is told what it may give.
    ("classes given", lambda d: (d / "mine.toml").write_text((d / "mine.toml").read_text().replace(
        'target = "kind"', 'target = "kind", classes = ["red"]')),
     ["dataset_options.classes", "unknown option for dataset 'file'", "path, target, features"]),
    ("five classes of two rows", lambda d: (d / "data" / "points.csv").write_text(
        "x,noise,kind\n" + "".join(f"{i},0,{'abcde'[i // 2]}\n" for i in range(10))),
     ["points.csv", "too small for its validation split", "'a': 2, 'b': 2", "validation = 0.2"]),
]


def _replace(study_dir, make):
    """Put something other than a regular file where the spec's data file was."""
    path = study_dir / "data" / "points.csv"
    path.unlink()
    make(path)


@pytest.mark.parametrize("spoil, words", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_data_exits_2_with_one_line_and_writes_nothing(study_dir, tmp_path, capsys, spoil, words):
    spoil(study_dir)
    results = tmp_path / "results"
    assert main(["sweep", str(study_dir / "mine.toml"), "--results", str(results),
                 "--backend", "serial"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "Traceback" not in error
    for word in words:
        assert word in error
    assert not results.exists()


def test_the_shipped_example_is_a_valid_small_study():
    example = Path(__file__).resolve().parents[1] / "examples" / "own-data"
    assert (example / "wine.csv").stat().st_size <= 100_000
    study = spec.load_spec(example / "wine.toml")
    assert len(study.runs) == 27 and study.report == {"facet": ["lr"]}
    assert {tuple(run.config["layer_sizes"]) for run in study.runs} == {(13, 4, 3), (13, 16, 3), (13, 64, 3)}
    assert study.runs[0].config["dataset_options"]["classes"] == ["barbera", "barolo", "grignolino"]


@pytest.mark.parametrize("example", sorted((Path(__file__).resolve().parents[1] / "examples").glob("*/*.toml")),
                         ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_shipped_example_spec_plans(example, capsys, monkeypatch):
    """`nnstudy plan` of each example a user is told to run, with its folder on the path as its
    comments say: its file data resolve, and a searched one's drawn trials resolve again
    (wine_fair's did not: the file's classes were refused)."""
    from experiments.cli import main

    monkeypatch.syspath_prepend(str(example.parent))
    assert main(["plan", str(example)]) == 0, capsys.readouterr().err
    assert "runs:" in capsys.readouterr().out
