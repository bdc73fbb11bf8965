"""The benchmark history: one Parquet table, one row per (recording, benchmark, metric).

Every ``make bench`` (``python -m benchmarks.history record RUN.json``) and every ``nnstudy bench
compare`` appends rows with the commit, whether the tree was dirty, the commit's date, when it was
recorded, and the machine fingerprint (``benchmarks.machine``); reading it is ``benchmarks.records``. Histories of different fingerprints
are never mixed: change points are found per (fingerprint, benchmark, metric), on one value per
commit (the median of that commit's recordings), commits ordered by their date. Recordings from a
dirty tree (uncommitted changes) are kept out of those series and listed apart.

    python -m benchmarks.history record .benchmarks/last-bench.json   # append a saved run
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd

from benchmarks import gitrepo
from benchmarks.machine import FINGERPRINT_KEYS, fingerprint_id
from benchmarks.records import (COLUMNS, HISTORY, RELATIVE, HistoryError, dirty_rows, load,  # noqa: F401
                                per_commit, reason)
from benchmarks.rounds import parse_round


def commit_fields(root: Path, commit: str, dirty: bool) -> dict:
    return {"commit": commit, "dirty": dirty, "commit_date": gitrepo.commit_date(root, commit),
            "subject": gitrepo.subject(root, commit)}


def machine_fields(fingerprint: dict) -> dict:
    return {"fingerprint_id": fingerprint.get("id") or fingerprint_id(fingerprint),
            **{f"machine_{key}": str(fingerprint.get(key, "unknown")) for key in FINGERPRINT_KEYS}}


def rows(values: pd.DataFrame, commit: dict, fingerprint: dict, source: str) -> pd.DataFrame:
    """History rows from ``values`` (columns benchmark, metric, value, rounds) of one commit."""
    recorded_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    table = values.assign(recorded_at=recorded_at, source=source, **commit, **machine_fields(fingerprint))
    return table[list(COLUMNS)]


def rows_from_run(run: dict, commit: dict, source: str = "bench") -> pd.DataFrame:
    """History rows of one pytest-benchmark JSON run: each benchmark's fastest round and peak memory."""
    values = []
    for m in parse_round(run):
        values.append({"benchmark": m.benchmark, "metric": "time_s", "value": m.time_s, "rounds": m.inner_rounds})
        if m.reference_s:
            values.append({"benchmark": m.benchmark, "metric": RELATIVE, "value": m.time_s / m.reference_s,
                           "rounds": m.inner_rounds})
        if m.peak_bytes is not None:
            values.append({"benchmark": m.benchmark, "metric": "peak_bytes", "value": m.peak_bytes, "rounds": 1})
    return rows(pd.DataFrame(values), commit, run.get("machine_info", {}).get("nnstudy", {}), source)


def rows_from_samples(samples: pd.DataFrame, side_commits: dict[str, dict], fingerprint: dict) -> pd.DataFrame:
    """History rows of a comparison: per side, benchmark and metric, the median of its rounds
    (``RELATIVE`` too, from the rounds that timed the reference workload)."""
    if "reference_s" in samples:
        timed = samples[(samples.metric == "time_s") & (samples.reference_s > 0)]
        samples = pd.concat([samples, timed.assign(metric=RELATIVE, value=timed.value / timed.reference_s)],
                            ignore_index=True)
    tables = []
    for label, commit in side_commits.items():
        side = samples[samples.side == label]
        values = side.groupby(["benchmark", "metric"], as_index=False).agg(
            value=("value", "median"), rounds=("value", "size"))
        tables.append(rows(values, commit, fingerprint, "compare"))
    return pd.concat(tables, ignore_index=True)


def append(path: Path, new_rows: pd.DataFrame) -> Path:
    """Append ``new_rows`` to the history at ``path`` (written whole, then renamed: never half a
    file); ``HistoryError`` when it cannot be read or written, the file left as it was."""
    path = Path(path)
    old = load(path)
    table = new_rows if old.empty else pd.concat([old, new_rows], ignore_index=True)
    temporary = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_parquet(temporary, index=False)
        temporary.replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):  # the first error is the one to report
            temporary.unlink(missing_ok=True)
        raise HistoryError(f"cannot write the benchmark history {path}: {reason(error)}") from None
    return path


def format_changes(history: pd.DataFrame, changes: pd.DataFrame) -> str:
    """Per machine fingerprint: what it is, how many commits each series has, and each level change."""
    lines = []
    series = per_commit(history)
    for machine, rows_of_machine in history.groupby("fingerprint_id", sort=True):
        first = rows_of_machine.iloc[0]
        lines.append(f"machine {machine}: {first['machine_cpu']}, {first['machine_cores']} cores, "
                     f"{first['machine_blas']} ({first['machine_blas_kernel']}, {first['machine_blas_threads']} "
                     f"threads), Python {first['machine_python']}, NumPy {first['machine_numpy']}, "
                     f"numba {first['machine_numba']}")
        mine = series[series["fingerprint_id"] == machine]
        commits = mine.groupby(["benchmark", "metric"]).size()
        lines.append(f"  {len(commits)} series, {commits.min()}-{commits.max()} commits each" if len(commits)
                     else "  no recording from a clean tree yet")
        found = changes[changes["fingerprint_id"] == machine]
        if found.empty:
            lines.append("  no level change")
        for change in found.itertuples():
            lines.append(f"  {change.benchmark.split('::')[-1]} {change.metric}: x{change.ratio:.2f} "
                         f"({change.before:.4g} -> {change.after:.4g}) at {change.commit[:10]} {change.subject}"
                         + (" (the newest commit, alone at this level so far)" if change.newest else ""))
        lines.extend(_dirty_lines(rows_of_machine))
    return "\n".join(lines)


def _dirty_lines(rows_of_machine: pd.DataFrame) -> list[str]:
    """The dirty-tree recordings of one machine, apart from its series."""
    dirty = rows_of_machine[dirty_rows(rows_of_machine)]
    if dirty.empty:
        return []
    commits = ", ".join(c[:10] for c in dict.fromkeys(dirty["commit"]))
    return [f"  {dirty['recorded_at'].nunique()} recording(s) from a dirty tree (uncommitted changes on "
            f"{commits}) kept out of the series"]


def record(run_path: Path, history_path: Path = HISTORY, source: str = "bench") -> int:
    """Append a saved pytest-benchmark run of the checkout here to the history; the rows added."""
    root = gitrepo.repo_root(".")
    run = json.loads(Path(run_path).read_text())
    commit = commit_fields(root, gitrepo.resolve(root, "HEAD"), gitrepo.is_dirty(root))
    new_rows = rows_from_run(run, commit, source)
    append(history_path, new_rows)
    return len(new_rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.history", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    saved = commands.add_parser("record", help="append a pytest-benchmark JSON run of this checkout")
    saved.add_argument("run", type=Path)
    saved.add_argument("--history", type=Path, default=HISTORY)
    args = parser.parse_args(argv)
    if not args.run.exists():
        print(f"error: {args.run} does not exist: give the JSON file of a pytest-benchmark run "
              "(--benchmark-json)", file=sys.stderr)
        return 2
    try:
        added = record(args.run, args.history)
    except gitrepo.BadInput as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    print(f"history: {added} rows appended to {args.history}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
