"""The dataset registry: each record's cheap shape and validation count agree with the data its
loader builds, and only the records that say so snapshot, hash or resolve differently."""
import numpy as np
import pytest

import nndata
from nndata.record import Dataset, Metrics


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NNSTUDY_CACHE", str(tmp_path))


CASES = [("sincos", {}), ("sincos", {"step": 0.5, "n_val": 30}), ("xor", {}), ("people", {}),
         ("random_regression", {"n": 7, "n_inputs": 3, "n_outputs": 2}), ("digits", {}),
         ("digits", {"test_size": 0.5}), ("mnist1d", {"n_train": 50, "n_test": 20})]


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n} {o}" for n, o in CASES])
def test_cheap_shape_and_validation_count_match_the_built_data(cache, name, options):
    record = nndata.DATASETS[name]
    X, Y, X_val, _ = record.load(**options)
    outputs = Y.shape[1] if Y.ndim == 2 else int(Y.max()) + 1
    assert record.cheap_shape is not None
    assert record.shape(**options) == (X.shape[1], outputs, X.shape[0])
    if record.validation_samples is not None:
        assert record.validation_samples(**options) == (0 if X_val is None else len(X_val))


def test_every_record_names_its_task_and_its_spec_options():
    for name, record in nndata.DATASETS.items():
        assert record.task in nndata.TASKS, name
        assert "download" not in record.options, name  # fetching is not a result-relevant option
    assert nndata.DATASETS["mnist"].options == ("directory",)
    assert nndata.DATASETS["sincos"].options == ("n_val", "seed", "step")


def test_only_sincos_is_a_snapshot_grid():
    assert nndata.snapshot_datasets() == ["sincos"]


def test_only_the_file_dataset_leaves_an_option_out_of_the_run_id():
    options = {"path": "/somewhere/data.csv", "sha256": "ab" * 32, "target": "y"}
    assert nndata.hashed_options("file", options) == {"sha256": "ab" * 32, "target": "y"}
    assert nndata.hashed_options("sincos", {"step": 0.5}) == {"step": 0.5}
    assert nndata.hashed_options("removed-since", options) == options  # stored runs keep their ids


def test_a_record_without_a_cheap_shape_is_measured_once():
    built = []

    def load(n=5):
        built.append(n)
        return np.zeros((n, 3)), np.arange(n) % 4, None, None
    record = Dataset(load=load, task="classification")
    assert record.shape(n=5) == (3, 4, 5) and record.shape(n=5) == (3, 4, 5)
    assert built == [5]


def test_options_that_are_not_json_reach_the_loader_as_given():
    from pathlib import Path

    def load(where=None):
        assert isinstance(where, Path)
        return np.zeros((2, 1)), np.zeros((2, 1)), None, None
    assert Dataset(load=load, task="regression").shape(where=Path("here")) == (1, 1, 2)


def test_a_record_that_says_nothing_measures_nothing_and_is_costed_neutrally(monkeypatch):
    record = Dataset(load=lambda: (np.zeros((8, 2)), np.zeros((8, 1)), None, None), task="regression")
    monkeypatch.setitem(nndata.DATASETS, "plain", record)
    assert nndata.validation_samples("plain", {}, 40) == 10  # a quarter of the training samples
    measured = record.metrics(record.load(), {})
    measured.observe(0, None, None)
    assert type(measured) is Metrics and measured.result(None, None) == {}
    assert record.hashed_options({"a": 1}) == {"a": 1} and not record.snapshot_grid


def test_a_record_with_an_unknown_task_is_refused():
    with pytest.raises(ValueError, match="'ranking' is not one of regression, classification"):
        Dataset(load=lambda: None, task="ranking")


def test_the_docs_datasets_table_lists_every_record_with_its_task_options_and_size(cache):
    from pathlib import Path
    import inspect

    text = (Path(__file__).resolve().parents[1] / "docs" / "experiments.md").read_text()
    section = text[text.index("### Datasets"):text.index("### Your own data")]
    rows = {cells[0].strip("`"): cells for cells in
            ([c.strip() for c in line.strip().strip("|").split("|")]
             for line in section.splitlines() if line.startswith("| `"))}
    assert sorted(rows) == sorted(nndata.DATASETS)
    for name, record in nndata.DATASETS.items():
        task, options, samples = rows[name][1], rows[name][2], rows[name][3]
        assert task.split()[0] == record.task, name
        if name == "file":
            continue
        defaults = {p.name: p.default for p in inspect.signature(record.load).parameters.values()}
        for option in record.options:
            assert f"`{option}`" in options, (name, option)
            if defaults[option] is not None:
                assert f"`{option}` ({defaults[option]})" in options, (name, option)
        if record.options == ():
            assert options == "none"
        if name != "mnist":  # the standard files' size: the data is not shipped
            assert int(samples) == record.shape()[2], name


def test_every_dataset_entry_point_the_readme_and_docs_name_exists():
    import importlib
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    text = (root / "README.md").read_text() + (root / "docs" / "experiments.md").read_text()
    names = set(re.findall(r"\b(nndata(?:\.\w+)*|nncore\.datasets(?:\.\w+)*)", text))
    assert {"nncore.datasets.sincos", "nndata.mnist1d.mnist1d", "nndata.DATASETS"} <= names
    for name in sorted(names):
        parts = name.split(".")
        for split in range(len(parts), 0, -1):  # the longest importable module, then attributes
            try:
                found = importlib.import_module(".".join(parts[:split]))
            except ImportError:
                continue
            for attribute in parts[split:]:
                assert hasattr(found, attribute), name
                found = getattr(found, attribute)
            break
