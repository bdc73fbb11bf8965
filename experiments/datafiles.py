"""The ``file`` dataset at spec time: where the file is, what it is, and whether it can be read.

A spec names a data file relative to itself. Resolving a run turns that into the absolute path
(how the worker finds the file) and adds the file's SHA-256 (what the file *is*), plus the sorted
class labels when the loss makes the target a class label. The run id hashes everything but the
path: an edited file gives new runs, a moved one changes nothing. Only the header and the target
are read here (``nncore.datafile.describe``); ``check_readable`` reads each file whole once before
a sweep starts, so a bad cell stops the sweep before any run, naming file, column and row.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

from nncore import datafile
from nncore.losses import CLASSIFICATION_LOSSES

DATASET = "file"
UNHASHED_OPTIONS = ("path",)  # where the file is; what it is goes in as sha256
DERIVED_OPTIONS = ("classes",)  # computed from the file; a spec does not set them


@functools.lru_cache(maxsize=64)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    return datafile.sha256(path)


def file_sha256(path: str | Path) -> str:
    """The file's SHA-256, hashed once per process for each (path, size, modification time)."""
    stat = os.stat(path)
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _describe(path: str, sha: str, target, features, classify: bool, validation: float):
    return datafile.describe(path, _listed(target), _listed(features), classify, validation)


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _listed(value):
    return list(value) if isinstance(value, tuple) else value


def resolve_options(options: dict, spec_dir: Path, loss: str) -> tuple[dict, tuple[int, int, int]]:
    """The run's ``dataset_options`` (absolute path, sha256, classes) and its (inputs, outputs,
    training samples); ValueError naming the option, or the file and column, when unusable."""
    for key in DERIVED_OPTIONS:
        if key in options:
            raise ValueError(f"{key} is read from the file at spec time; leave it out")
    if not isinstance(options.get("path"), str) or not options["path"]:
        raise ValueError("path: name the data file (.csv, .parquet or .npz), relative to the spec")
    path = Path(options["path"]).expanduser()
    if not path.is_absolute():
        path = spec_dir / path
    path = Path(os.path.abspath(path))
    checked = datafile.check_path(path)  # missing, empty, unsupported: before hashing
    sha = file_sha256(checked)
    if options.get("sha256") not in (None, sha):
        raise ValueError(f"{path}: sha256 {options['sha256']!r} in the spec does not match the "
                         f"file ({sha}); the file changed")
    if not (isinstance(options.get("split_seed", 0), int) and options.get("split_seed", 0) >= 0):
        raise ValueError(f"split_seed must be an integer >= 0, got {options['split_seed']!r}")
    if not isinstance(options.get("standardize", True), bool):
        raise ValueError(f"standardize must be true or false, got {options['standardize']!r}")
    classify = loss in CLASSIFICATION_LOSSES
    validation = options.get("validation", 0.2)
    found = _describe(str(path), sha, _hashable(options.get("target")),
                      _hashable(options.get("features")), classify, validation)
    if loss == "binary_cross_entropy" and found.classes is not None and len(found.classes) != 2:
        raise ValueError(f"{path}: column {options.get('target', 'Y')!r} has {len(found.classes)} "
                         "classes; binary_cross_entropy needs exactly two (use cross_entropy "
                         "with output = 'softmax')")
    resolved = {**options, "path": str(path), "sha256": sha}
    outputs = found.outputs
    if found.classes is not None:
        resolved["classes"] = found.classes
        outputs = 1 if loss == "binary_cross_entropy" else len(found.classes)
    return resolved, (found.inputs, outputs, found.train_rows)


def hashed_options(options: dict) -> dict:
    """The options that identify the data: without the path."""
    return {key: value for key, value in options.items() if key not in UNHASHED_OPTIONS}


@functools.lru_cache(maxsize=16)
def _readable(path: str, sha: str, options_items: tuple) -> None:
    options = {key: _listed(value) for key, value in options_items}
    datafile.load(**options)


def check_readable(configs) -> None:
    """Read every distinct data file of these run configurations whole (once each): a NaN,
    infinity or non-numeric cell raises ValueError naming file, column and row."""
    for config in configs:
        if config["dataset"] != DATASET:
            continue
        options = config["dataset_options"]
        _readable(options["path"], options["sha256"],
                  tuple(sorted((k, _hashable(v)) for k, v in options.items())))
