"""Each benchmark's own noise, measured by an A/A comparison (``nnstudy bench calibrate``).

The noise of a (benchmark, metric) is the widest relative variation identical code showed: the
larger of its spread (IQR / median of a side's rounds) and |ratio - 1| between the two sides.
``compare`` then counts a change only beyond ``max(threshold, noise_factor x noise)``. Stored per
machine fingerprint: a calibration on one machine says nothing about another.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from benchmarks.stats import Comparison

COLUMNS = ("fingerprint_id", "benchmark", "metric", "noise", "commit", "calibrated_at")


def noise_of(comparison: Comparison) -> float:
    return max(comparison.spread, abs(comparison.ratio - 1.0))


def save(path: Path, comparisons: list[Comparison], fingerprint_id: str, commit: str) -> pd.DataFrame:
    """Store the noise of every comparison, replacing earlier calibrations of the same fingerprint
    and benchmark; returns the rows written."""
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    new = pd.DataFrame([{"fingerprint_id": fingerprint_id, "benchmark": c.benchmark, "metric": c.metric,
                         "noise": noise_of(c), "commit": commit, "calibrated_at": now} for c in comparisons],
                       columns=list(COLUMNS))
    path = Path(path)
    if path.exists():
        old = pd.read_parquet(path)
        kept = old.merge(new[["fingerprint_id", "benchmark", "metric"]], how="left", indicator=True)
        new = pd.concat([kept[kept["_merge"] == "left_only"].drop(columns="_merge"), new], ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    new.to_parquet(path.with_suffix(".tmp"), index=False)
    path.with_suffix(".tmp").replace(path)
    return new


def load(path: Path, fingerprint_id: str) -> dict[tuple[str, str], float]:
    """{(benchmark, metric): noise} calibrated on the machine ``fingerprint_id`` (empty if none)."""
    if not Path(path).exists():
        return {}
    table = pd.read_parquet(path)
    mine = table[table["fingerprint_id"] == fingerprint_id]
    return {(row.benchmark, row.metric): float(row.noise) for row in mine.itertuples()}
