"""The file dataset: tables and arrays in, labels mapped in sorted order, a stratified seeded split,
features standardized by the training split, and errors naming file, column and row."""
import numpy as np
import pandas as pd
import pytest

import nndata
from nndata import datafile


def table(n_per_class=(20, 30, 10), seed=0) -> pd.DataFrame:
    """Three well separated classes named out of alphabetical order, and a numeric target."""
    rng = np.random.default_rng(seed)
    names = ["zebra", "ant", "moose"]
    rows = []
    for name, count in zip(names, n_per_class):
        centre = names.index(name) * 5.0
        for _ in range(count):
            rows.append({"a": centre + rng.normal(), "b": 100 + 10 * rng.normal(),
                         "kind": name, "size": centre * 2 + rng.normal()})
    return pd.DataFrame(rows)


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "animals.csv"
    table().to_csv(path, index=False)
    return path


def test_describe_reads_sizes_and_sorted_classes(csv):
    found = datafile.describe(csv, target="kind", features=["a", "b"], classify=True)
    assert found.classes == ["ant", "moose", "zebra"]
    assert (found.inputs, found.outputs, found.rows) == (2, 3, 60)
    # Stratified 20%: 4 of 20, 6 of 30, 2 of 10 held out.
    assert found.train_rows == 60 - 12 and found.validation_rows == 12
    assert nndata.shape("file", path=str(csv), target="kind", features=["a", "b"],
                          classes=found.classes) == (2, 3, 48)


def test_load_maps_labels_in_sorted_order_and_splits_each_class(csv):
    X, y, X_val, y_val = datafile.load(csv, target="kind", features=["a", "b"],
                                       classes=["ant", "moose", "zebra"], standardize=False)
    frame = table()
    assert X.shape == (48, 2) and X_val.shape == (12, 2) and y.dtype == np.int64
    assert np.bincount(y_val).tolist() == [6, 2, 4]  # ant 30, moose 10, zebra 20: 20% of each
    # The label of every row follows its row: find each training row back in the file.
    for row, label in zip(X[:5], y[:5]):
        match = frame[np.isclose(frame["a"], row[0]) & np.isclose(frame["b"], row[1])]
        assert ["ant", "moose", "zebra"][label] == match["kind"].item()


def test_split_is_seeded(csv):
    options = dict(target="kind", classes=["ant", "moose", "zebra"])
    first = datafile.load(csv, split_seed=0, **options)[2]
    np.testing.assert_array_equal(datafile.load(csv, split_seed=0, **options)[2], first)
    assert not np.array_equal(datafile.load(csv, split_seed=1, **options)[2], first)


def test_standardize_uses_the_training_split_only(csv):
    X, _, X_val, _ = datafile.load(csv, target="kind", classes=["ant", "moose", "zebra"])
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-12)
    raw, _, raw_val, _ = datafile.load(csv, target="kind", classes=["ant", "moose", "zebra"],
                                       standardize=False)
    np.testing.assert_allclose(X_val, (raw_val - raw.mean(axis=0)) / raw.std(axis=0))


def test_regression_targets_are_numbers_one_column_each(csv):
    X, Y, X_val, Y_val = datafile.load(csv, target=["size", "b"], features=["a"], validation=0.25)
    assert X.shape == (45, 1) and Y.shape == (45, 2) and Y_val.shape == (15, 2)
    assert datafile.describe(csv, target=["size", "b"], features=["a"], validation=0.25).outputs == 2


def test_parquet_and_csv_give_the_same_arrays(csv, tmp_path):
    parquet = tmp_path / "animals.parquet"
    pd.read_csv(csv).to_parquet(parquet)
    options = dict(target="kind", classes=["ant", "moose", "zebra"])
    for a, b in zip(datafile.load(csv, **options), datafile.load(parquet, **options)):
        np.testing.assert_allclose(a, b)


def test_npz_uses_its_own_validation_split(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "arrays.npz"
    np.savez(path, X=rng.normal(size=(30, 4)), Y=rng.integers(0, 3, 30),
             X_val=rng.normal(size=(7, 4)), Y_val=rng.integers(0, 3, 7))
    found = datafile.describe(path, classify=True)
    assert (found.inputs, found.outputs, found.train_rows, found.validation_rows) == (4, 3, 30, 7)
    X, y, X_val, y_val = datafile.load(path, classes=found.classes, standardize=False)
    np.testing.assert_array_equal(X_val, np.load(path)["X_val"])
    np.testing.assert_array_equal(y, np.load(path)["Y"])


BAD_FILES = [
    # (what, file text, options, words in the message)
    ("unknown target", "a,b\n1,2\n", {"target": "c"}, ["column 'c' not found", "a, b"]),
    ("one class", "a,b\n1,x\n2,x\n", {"target": "b", "classify": True}, ["'b'", "single class"]),
    ("text in a numeric target", "a,b\n1,2\n2,oops\n", {"target": "b"}, ["'b'", "line 3", "'oops'"]),
    ("fractional label", "a,b\n1,2\n2,2.5\n", {"target": "b", "classify": True}, ["'b'", "line 3", "2.5"]),
    ("header only", "a,b\n", {"target": "b"}, ["no rows"]),
    ("empty", "", {"target": "b"}, ["empty"]),
    ("two rows to split", "a,b\n1,2\n2,3\n", {"target": "b"},
     ["too small for its validation split: 2 rows", "validation = 0.2 of 2 rows rounds to no validation sample"]),
    ("classes too small to split", "a,b\n1,x\n2,x\n3,y\n4,y\n", {"target": "b", "classify": True},
     ["column 'b' has 'x': 2, 'y': 2", "validation = 0.2 of each class"]),
]


def test_a_file_too_small_to_split_is_fine_without_validation_or_with_a_larger_share(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("a,b\n1,x\n2,x\n3,y\n4,y\n")
    assert datafile.describe(path, "b", classify=True, validation=0).train_rows == 4
    assert datafile.describe(path, "b", classify=True, validation=0.25).train_rows == 2


@pytest.mark.parametrize("text, options, words", [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_files_name_the_file_and_column(tmp_path, text, options, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        datafile.describe(path, **options)
    assert str(path) in str(error.value)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("cell, words", [("", "missing"), ("nan", "missing"), ("inf", "inf"),
                                         ("abc", "'abc' is not a number")])
def test_a_bad_feature_cell_is_named_by_column_and_line(tmp_path, cell, words):
    path = tmp_path / "cells.csv"
    path.write_text(f"x,y,label\n1,2,a\n3,{cell},b\n5,6,a\n")
    with pytest.raises(ValueError, match=f"{path}: column 'y' line 3: .*{words}"):
        datafile.load(path, target="label", classes=["a", "b"])


def test_load_refuses_a_file_whose_sha256_changed(csv):
    sha = datafile.sha256(csv)
    datafile.load(csv, target="kind", classes=["ant", "moose", "zebra"], sha256=sha)
    csv.write_text(csv.read_text().replace("zebra", "horse", 1))
    with pytest.raises(ValueError, match="changed since the spec was read"):
        datafile.load(csv, target="kind", classes=["ant", "moose", "zebra"], sha256=sha)


def test_unsupported_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match=r"unsupported file type '\.xlsx'.*\.csv, \.parquet, \.npz"):
        datafile.describe(tmp_path / "data.xlsx", target="y")
    with pytest.raises(ValueError, match="no such file"):
        datafile.describe(tmp_path / "data.csv", target="y")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match="junk.parquet: cannot be read as Parquet"):
        datafile.describe(tmp_path / "junk.parquet", target="y")
