"""What is stored of a study and what is left: the bookkeeping that ``sweep``, ``plan`` and
``status`` share (which runs are done, failed, pending or stale, and which to run next)."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import provenance, store
from .search.study import retrains_unplanned, with_retrains
from .study import Run, Study


@dataclass
class Stored:
    """Per run id, the stored status, the commit that produced it, its wall seconds and, for runs
    of a data file, the file's SHA-256; for runs of a plugin engine, (engine, its source's SHA-256)."""

    status: dict[str, str] = field(default_factory=dict)
    commit: dict[str, str] = field(default_factory=dict)
    wall_s: dict[str, float] = field(default_factory=dict)
    data_sha256: dict[str, str] = field(default_factory=dict)
    engine_source: dict[str, tuple[str, str]] = field(default_factory=dict)


def stored_runs(results: str | Path, study: str) -> Stored:
    """The newest stored row of every run of ``study`` (empty if nothing is stored)."""
    try:
        table = store.read_arrow(results, study, "runs",
                                 columns=["status", "git_commit", "wall_s", "dataset_options",
                                          "engine", "engine_source_sha256"])
    except store.MissingResults:
        return Stored()
    ids = table.column("run_id").to_pylist()
    data_sha256 = {}
    for run_id, options in zip(ids, table.column("dataset_options").to_pylist()):
        if options and '"sha256"' in options:
            data_sha256[run_id] = json.loads(options)["sha256"]
    engine_source = {run_id: (engine, sha256) for run_id, engine, sha256 in zip(
        ids, table.column("engine").to_pylist(), table.column("engine_source_sha256").to_pylist())
        if sha256}
    return Stored(dict(zip(ids, table.column("status").to_pylist())),
                  dict(zip(ids, table.column("git_commit").to_pylist())),
                  dict(zip(ids, table.column("wall_s").to_pylist())), data_sha256, engine_source)


def select(study: Study, stored: Stored, force: bool = False, retry_failed: bool = False) -> list[Run]:
    """Runs to execute: pending ones (never stored), plus failed ones with ``retry_failed``, or
    all with ``force``. ``diverged`` is a result (the same config diverges again) and is kept."""
    if force:
        return list(study.runs)
    wanted = {None, "failed"} if retry_failed else {None}
    return [run for run in study.runs if stored.status.get(run.run_id) in wanted]


@dataclass
class Counts:
    total: int
    ok: int
    diverged: int
    failed: int
    pending: int
    stale: int
    extra: int  # stored runs no longer in the spec (grid changed)
    stale_data: int = 0  # stored runs of an earlier version of the spec's data file
    unknown: int = 0  # stored runs whose staleness cannot be told (no git here, or no commit stored)


def is_stale(stored_commit: str | None, commit: str) -> bool | None:
    """Stored by another commit whose result-computing code (provenance.RESULT_CODE) differs
    from this checkout's; a commit that only touched docs or reports leaves results current.
    None (cannot tell) when either commit is unknown, e.g. where git cannot be run."""
    if provenance.UNKNOWN_COMMIT in (stored_commit or provenance.UNKNOWN_COMMIT, commit):
        return None
    return stored_commit != commit and provenance.results_code_changed(stored_commit)


def run_is_stale(stored: Stored, run_id: str, commit: str) -> bool | None:
    """``is_stale`` of the run's commit, or True when it ran a plugin engine whose module source
    has changed since (None: cannot tell)."""
    by_commit = is_stale(stored.commit[run_id], commit)
    engine, sha256 = stored.engine_source.get(run_id, (None, None))
    by_source = provenance.engine_source_changed(engine, sha256) if sha256 else False
    if by_commit or by_source:
        return True
    return None if None in (by_commit, by_source) else False


def counts(study: Study, stored: Stored, commit: str | None = None) -> Counts:
    """How many of the study's runs are done, failed, pending; ``stale``: stored by another commit."""
    ids = {run.run_id for run in study.runs}
    statuses = Counter(stored.status.get(run_id) for run_id in ids)
    commit = commit or provenance.code_version()["git_commit"]
    staleness = Counter(run_is_stale(stored, run_id, commit) for run_id in ids if run_id in stored.commit)
    current_data = {run.config["dataset_options"].get("sha256") for run in study.runs}
    others = set(stored.status) - ids
    stale_data = sum(1 for run_id in others if stored.data_sha256.get(run_id, None) not in
                     (None, *current_data))
    return Counts(total=len(ids), ok=statuses["ok"], diverged=statuses["diverged"],
                  failed=statuses["failed"], pending=statuses[None], stale=staleness[True],
                  extra=len(others) - stale_data, stale_data=stale_data, unknown=staleness[None])


def both_stages(study: Study, results: str | Path, commit: str | None = None):
    """(the study with its known retrains, what is stored (``Stored``), its
    ``Counts``): for a searched study the retrains not known yet (trials unfinished) count
    as pending. Raises store.CorruptResults when a shard cannot be read."""
    stored = stored_runs(results, study.name)
    full, outcome = with_retrains(study, results)
    tally = counts(full, stored, commit)
    if outcome is not None:
        unplanned = retrains_unplanned(study.search, outcome)
        tally.total += unplanned
        tally.pending += unplanned
    return full, stored, tally
