"""What the report reads from benchmarks/: where the benchmark history and the peer table live,
their columns, and how to read them (the history's per-commit series and its change points).

The one module of benchmarks/ that reports import: standard library, pandas and the change-point
detector (ruptures, a core dependency) only; no pytest, no pytest-benchmark, so an installed
nnstudy without the dev tools draws the performance history. Writing both files is
``benchmarks.history`` (``make bench``, ``nnstudy bench compare``) and ``benchmarks.peers``
(``make bench-peers``).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.changepoints import level_changes
from benchmarks.pytest_plugin.nnstudy_bench_plugin import FINGERPRINT_KEYS

HISTORY = Path(".benchmarks/history.parquet")
COLUMNS = ("recorded_at", "source", "commit", "dirty", "commit_date", "subject", "benchmark", "metric",
           "value", "rounds", "fingerprint_id", *(f"machine_{key}" for key in FINGERPRINT_KEYS))
# A benchmark's time over the reference workload timed in the same process (``benchmarks.rounds``):
# a unitless cost that a slow state of the machine moves far less than it moves seconds.
RELATIVE = "time_per_reference"
CHANGE_COLUMNS = ("fingerprint_id", "benchmark", "metric", "commit", "subject", "before", "after", "ratio",
                  "points", "newest")

# The peer table, relative to a results folder (``results/peers/peers.parquet`` by default).
PEERS_FILE = Path("peers") / "peers.parquet"
PEER_FRAMEWORKS = ("nncore", "nncore-compiled", "torch", "jax", "sklearn")  # nncore: the vectorized engine
PEER_COLUMNS = ("case", "dtype", "framework", "sec_per_epoch", "ratio_to_nncore")


class HistoryError(Exception):
    """The history file cannot be read or written: one line naming it and why."""


def reason(error: Exception) -> str:
    """An exception's first line (its type when it has no message)."""
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def load(path: Path = HISTORY) -> pd.DataFrame:
    """The history table, empty (with its columns) when there is none yet; ``HistoryError`` when
    the file cannot be read."""
    if not Path(path).exists():
        return pd.DataFrame(columns=list(COLUMNS))
    try:
        return pd.read_parquet(path)
    except Exception as error:  # torn, not Parquet, a folder, unreadable: pyarrow's or the OS's
        raise HistoryError(f"the benchmark history {path} cannot be read ({type(error).__name__}: "
                           f"{reason(error)}): move it aside to start a new one") from None


def dirty_rows(history: pd.DataFrame) -> pd.Series:
    """Which rows were recorded from a tree with uncommitted changes (bool per row)."""
    return history["dirty"].fillna(False).astype(bool)



def per_commit(history: pd.DataFrame) -> pd.DataFrame:
    """One row per (fingerprint, benchmark, metric, commit) of the clean recordings (a dirty tree's
    are no level of the commit it started from): the median value, in commit-date order."""
    keys = ["fingerprint_id", "benchmark", "metric", "commit"]
    table = history[~dirty_rows(history)].groupby(keys, as_index=False).agg(
        value=("value", "median"), subject=("subject", "first"), commit_date=("commit_date", "first"),
        first_recorded=("recorded_at", "min"), recordings=("value", "size"))
    table["commit_time"] = pd.to_datetime(table["commit_date"], utc=True)
    return table.sort_values(["fingerprint_id", "benchmark", "metric", "commit_time", "first_recorded"],
                             ignore_index=True)


def change_points(history: pd.DataFrame) -> pd.DataFrame:
    """Every level change (``CHANGE_COLUMNS``) of every series: the commit at the new level first."""
    found = []
    for (machine, benchmark, metric), series in per_commit(history).groupby(
            ["fingerprint_id", "benchmark", "metric"], sort=True):
        series = series.reset_index(drop=True)
        for change in level_changes(series["value"].to_numpy()):
            at = series.iloc[change.index]
            found.append({"fingerprint_id": machine, "benchmark": benchmark, "metric": metric,
                          "commit": at["commit"], "subject": at["subject"], "before": change.before,
                          "after": change.after, "ratio": change.ratio, "points": len(series),
                          "newest": change.newest})
    return pd.DataFrame(found, columns=list(CHANGE_COLUMNS))
