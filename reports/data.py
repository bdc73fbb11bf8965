"""Reading a study's tables for the report, through ``experiments.load`` only.

A report never stops on bad data: every problem (no results, an unreadable shard, an empty table)
becomes one sentence in ``Messages`` and the affected part of the report is left out.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

import experiments
from experiments import catalog, names
from experiments.config import SpecError
from experiments.resolve.rounds import with_rounds
from experiments.study import Study as SpecStudy

TABLES = ("runs", "curves", "snapshots", "activations")
# The -quick rule is experiments' study catalog's: `sweep --quick` stores a study's smoke runs as
# <study>-quick.
quick_rule = names.split_quick


def is_quick(name: str) -> bool:
    return quick_rule(name)[1]


def quick_name(name: str) -> str:
    """The results name of ``name``'s quick runs (``width`` -> ``width-quick``)."""
    return name if is_quick(name) else names.quick_name(name)


@dataclass
class Messages:
    """What the reader must know about the build: notes (fine) and warnings (something left out)."""

    lines: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    said: set = field(default_factory=set)  # the keys of ``warn_once`` warnings given

    def note(self, text: str) -> None:
        self.lines.append(("note", text))

    def warn(self, text: str) -> None:
        self.lines.append(("warning", text))

    def warn_once(self, key, text: str) -> None:
        """``warn(text)`` unless a warning of this ``key`` was given already (one line per study
        for what every figure of it would repeat)."""
        if key not in self.said:
            self.said.add(key)
            self.warn(text)

    def __iter__(self):
        return iter(self.lines)


@dataclass
class StudyResults:
    """One study's tables; ``runs`` holds every stored run, ``ok`` only those that finished."""

    name: str
    runs: pd.DataFrame
    curves: pd.DataFrame | None = None
    snapshots: pd.DataFrame | None = None
    activations: pd.DataFrame | None = None
    spec: SpecStudy | None = None  # the spec the runs come from, when it is known
    resolved: object | None = None  # [resolve]: experiments.resolve.rounds.Replay of the stored runs

    @property
    def report_options(self) -> dict:
        """The spec's ``[report]`` table (x, facet, metric), empty when unknown."""
        return self.spec.report if self.spec is not None else {}

    @property
    def ok(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "ok"]

    def curves_of_ok_runs(self, columns: tuple[str, ...] = ()) -> pd.DataFrame | None:
        """Curves of finished runs joined with the given ``runs`` columns (e.g. width, seed)."""
        if self.curves is None:
            return None
        keep = ["run_id", *[c for c in columns if c != "run_id"]]
        # A runs column asked for wins over a curves column of the same name (lr: the run's
        # configured rate, not the scheduled rate of each epoch).
        return self.curves.drop(columns=["study", *keep[1:]], errors="ignore").merge(
            self.ok[keep], on="run_id", how="inner")


def sweep_hint(study: str, results: str, spec_path: str | None = None) -> str:
    """The command that makes ``study``'s results: by the spec's path as the user gave it, else
    by the shipped study's name."""
    base, quick = quick_rule(study)
    target = spec_path if spec_path is not None else base
    return f"python -m experiments sweep {target}{' --quick' if quick else ''} --results {results}"


def load_table(study: str, table: str, results: str, messages: Messages,
               required: bool, spec_path: str | None = None) -> pd.DataFrame | None:
    """One table as a DataFrame, or None with a message saying why it is left out;
    ``spec_path``: the spec file the user named, for the hint when there are no results."""
    try:
        frame = experiments.load(study, table, results=results)
    except experiments.MissingResults:
        if required:
            messages.warn(f"study '{study}': no results in {results}/{study}/ (run "
                          f"`{sweep_hint(study, results, spec_path)}`); left out")
        return None
    except experiments.CorruptResults as error:
        messages.warn(f"study '{study}': table '{table}' cannot be read ({error}); "
                      "the parts of the report that need it are left out")
        return None
    except Exception as error:  # an unexpected reader failure must not end the whole report
        messages.warn(f"study '{study}': reading table '{table}' failed "
                      f"({type(error).__name__}: {error}); left out")
        return None
    if frame is None or len(frame) == 0:
        messages.warn(f"study '{study}': table '{table}' has no rows; the parts of the report "
                      "that need it are left out")
        return None
    return frame


def shipped_spec(name: str) -> SpecStudy | None:
    """The shipped spec that stores its results as ``name`` (None if there is none)."""
    try:
        spec = catalog.shipped_study_of(name)
    except SpecError:
        return None
    return spec if spec is not None and spec.name == name else None


def requested_study(request: str, quick: bool, messages: Messages) -> tuple[str, SpecStudy | None] | None:
    """(results name, spec) for a study name or a spec file's path; None (with a warning) for a
    spec file that cannot be read. ``quick`` reports a spec's ``sweep --quick`` runs."""
    if request.endswith(".toml"):
        try:
            spec = catalog.find_study(request, quick=quick)
        except SpecError as error:
            messages.warn(f"spec {request} cannot be used ({error}); left out")
            return None
        return spec.name, spec
    name = quick_name(request) if quick else request
    return name, shipped_spec(name)


def current_runs_only(name: str, runs: pd.DataFrame, messages: Messages,
                      spec: SpecStudy | None = None) -> pd.DataFrame:
    """Leave out stored runs that the spec no longer asks for: an older grid, or an earlier version
    of the study's data file.

    Only when the results hold runs of the current spec at all: results made from another spec
    file of the same name are reported whole.
    """
    if spec is None:
        return runs
    ids = {run.run_id for run in spec.runs}
    current = runs["run_id"].isin(ids)
    if current.any() and not current.all():
        messages.note(f"study '{name}': {int((~current).sum())} stored runs are not in the current "
                      "spec (an older grid or data file); left out (`--all-runs` keeps them)")
        return runs[current]
    return runs


def load_study(name: str, results: str, messages: Messages, all_runs: bool = False,
               spec: SpecStudy | None = None, spec_path: str | None = None) -> StudyResults | None:
    """A study's tables; None (with a message) when it has no readable ``runs`` table.

    ``spec``: the spec the runs come from (default: the shipped spec of this name, if any);
    ``spec_path``: that spec's path as the user gave it (for the hint when nothing is stored).
    Unless ``all_runs``, runs that the spec no longer contains are left out.
    """
    spec = spec or shipped_spec(name)
    resolved = None
    if spec is not None and (spec.search is not None or spec.resolve is not None):
        spec, resolved = _with_retrains(name, spec, results, messages)  # current runs too
    if resolved is not None and not any(outcome.trace for outcome in resolved.outcomes):
        resolved = None  # not one round stored (or other runs of that name): fixed-sample claims
    runs = load_table(name, "runs", results, messages, required=True, spec_path=spec_path)
    if runs is None:
        return None
    if not all_runs:
        runs = current_runs_only(name, runs, messages, spec)
    tables = {table: load_table(name, table, results, messages, required=False)
              for table in TABLES[1:]}
    tables = {table: None if frame is None else frame[frame["run_id"].isin(runs["run_id"])]
              for table, frame in tables.items()}
    study = StudyResults(name=name, runs=runs, spec=spec, resolved=resolved, **tables)
    not_ok = runs[runs["status"] != "ok"]
    if len(not_ok):
        counts = ", ".join(f"{n} {status}" for status, n in not_ok["status"].value_counts().items())
        messages.note(f"study '{name}': {counts} of {len(runs)} runs; figures and tables use "
                      "the runs that finished (status ok)")
    if study.ok.empty and (spec is None or spec.search is None):
        messages.warn(f"study '{name}': no run finished with status ok; left out")
        return None
    return study  # a searched study's section shows its trials, diverged or not, and says so


def _with_retrains(name: str, spec: SpecStudy, results: str,
                   messages: Messages) -> tuple[SpecStudy, object | None]:
    """A searched spec with the retrains its stored trials call for, a ``[resolve]`` spec with
    the seeds its rounds added, and the rounds' replay (None without ``[resolve]``); as it is (its
    first runs only), with a warning naming the file, when a shard they are read from is torn."""
    try:
        return with_rounds(spec, results)
    except experiments.CorruptResults as error:
        messages.warn(f"study '{name}': the search's winners or the resolve rounds cannot be read "
                      f"({error}); its retrains and added seeds are left out")
        return spec, None


def metric_value(text, key: str):
    """One key of a ``metrics`` JSON cell; None where absent or unreadable."""
    try:
        return json.loads(text).get(key)
    except (TypeError, ValueError, AttributeError):  # not text, not JSON, not an object
        return None


def metric(runs: pd.DataFrame, key: str) -> pd.Series:
    """One key of the ``metrics`` JSON column as a float Series (NaN where absent or unreadable)."""
    return pd.to_numeric(runs["metrics"].map(lambda text: metric_value(text, key)),
                         errors="coerce").astype(float)


def architecture(layer_sizes) -> str:
    """``[2, 100, 1]`` -> ``"2-100-1"``."""
    return "-".join(str(int(size)) for size in layer_sizes)
