"""Figures whose inputs did not change are copied from the previous build, not drawn again.

A figure is a function of its study's tables (runs, curves, snapshots, activations), the study's
spec file, the code it runs (every source file of reports, experiments, nndata and nncore) and the
plotting libraries' versions; its key hashes all of them with its name and caption. Each build
leaves the keys of the figures it wrote in ``.nnstudy-figure-stamps.json.gz`` (with what the
drawing returned: the run ids drawn, the messages it gave and the figure's interactive charts);
the next build copies a figure whose key is unchanged from the previous output folder, and says
the same. Anything else (a new run, an edited spec, a code change, another library version, a
missing file) draws it again.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import json
import shutil
from importlib import metadata
from pathlib import Path

import pandas as pd

# gzip: the charts' specs carry their data (about 4 MB of JSON for the default report, 0.4 MB
# compressed), and the folder has to stay small.
STAMPS = ".nnstudy-figure-stamps.json.gz"
TABLES = ("runs", "curves", "snapshots", "activations")
LIBRARIES = ("matplotlib", "seaborn", "numpy", "pandas", "scipy")


# The packages a figure's drawing runs code of: the report's own, and below it the statistics,
# labels and records of experiments, nndata and nncore (a change anywhere there redraws).
CODE_PACKAGES = ("reports", "experiments", "nndata", "nncore")


@functools.lru_cache(maxsize=1)
def code_stamp() -> str:
    """A hash of the source files of ``CODE_PACKAGES`` and the plotting libraries' versions."""
    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        root = Path(importlib.util.find_spec(package).origin).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(f"{package}/{path.relative_to(root).as_posix()}".encode())
            digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    return digest.hexdigest()


def frame_digest(frame: pd.DataFrame | None) -> bytes:
    """The content of a table (columns, dtypes, every value, row order) as a short digest."""
    if frame is None:
        return b"none"
    digest = hashlib.sha256(json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode())
    hashed = pd.util.hash_pandas_object(frame.astype({c: str for c in frame.columns if frame[c].dtype == object}),
                                        index=False)
    digest.update(hashed.to_numpy().tobytes())
    return digest.digest()


def study_stamp(study) -> str:
    """A hash of what a study's figures are drawn from: its name, tables and spec file."""
    digest = hashlib.sha256(study.name.encode())
    for table in TABLES:
        digest.update(frame_digest(getattr(study, table, None)))
    spec = getattr(study, "spec", None)
    if spec is not None and getattr(spec, "path", None) and Path(spec.path).is_file():
        digest.update(Path(spec.path).read_bytes())
    digest.update(code_stamp().encode())
    return digest.hexdigest()


class FigureCache:
    """The previous build's figure stamps, and this build's, kept as figures are drawn or copied."""

    def __init__(self, previous_out: Path | None, previous_files: set[str], out: Path):
        self.previous_out, self.out = previous_out, out
        self.previous: dict[str, dict] = {}
        if previous_out is not None and STAMPS in previous_files:
            try:
                self.previous = json.loads(gzip.decompress((previous_out / STAMPS).read_bytes()))
            except (OSError, ValueError, EOFError):
                self.previous = {}  # unreadable: every figure is drawn again
        self.stamps: dict[str, dict] = {}
        self.copied = 0

    @staticmethod
    def key(study_key: str, name: str, caption: str) -> str:
        return hashlib.sha256(f"{study_key}\n{name}\n{caption}".encode()).hexdigest()

    def reuse(self, name: str, key: str) -> dict | None:
        """The previous stamp of ``figures/<name>`` (its file copied into this build) when its key is
        ``key`` and the file is there; None when it must be drawn."""
        entry = self.previous.get(name)
        source = self.previous_out / "figures" / name if self.previous_out is not None else None
        if entry is None or entry.get("key") != key or source is None or not source.is_file():
            return None
        target = self.out / "figures" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        self.stamps[name] = entry
        self.copied += 1
        return entry

    def record(self, name: str, key: str, run_ids: list[str], messages: list[tuple[str, str]],
               charts: list[dict] = (), study: tuple[str, str] = ("", "")) -> None:
        """This build drew ``figures/<name>``: its key, the run ids drawn, the messages it gave, its
        interactive charts (Vega-Lite specs with their notes) and its study's (name, stamp)."""
        self.stamps[name] = {"key": key, "run_ids": list(run_ids), "messages": [list(m) for m in messages],
                             "charts": list(charts), "study": list(study)}

    def all_copied(self, study: str, stamp: str) -> bool:
        """Whether the previous build drew figures of ``study`` and all of them from tables, spec and
        code with this ``study_stamp``: its figures will be copied, none drawn (a missing file aside)."""
        found = [entry.get("study") for entry in self.previous.values() if entry.get("study", [""])[0] == study]
        return bool(found) and all(pair == [study, stamp] for pair in found)

    def write(self) -> None:
        (self.out / STAMPS).write_bytes(gzip.compress(
            json.dumps(self.stamps, separators=(",", ":")).encode("utf-8"), mtime=0))
