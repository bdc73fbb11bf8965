"""Provenance: which code, machine and libraries produced the runs behind each figure.

A figure drawn from runs that differ in any of ``MIXING_KEYS`` compares things measured under
different conditions; the report says so next to the figure.
"""
from __future__ import annotations

import pandas as pd

from .tables import Table

# Fields whose difference between runs of one figure deserves a warning.
MIXING_KEYS = {"git_commit": "git commit", "cpu_model": "CPU", "python_version": "Python",
               "numpy_version": "NumPy", "blas": "BLAS", "blas_threads": "BLAS threads",
               "nnstudy_version": "nnstudy version"}


def _values(runs: pd.DataFrame, column: str) -> str:
    if column not in runs:
        return "—"
    values = [str(v) for v in runs[column].dropna().unique()]
    if column == "git_commit":
        values = [v[:10] for v in values]
    return ", ".join(sorted(values)) or "—"


def _dates(runs: pd.DataFrame) -> str:
    start = pd.to_datetime(runs["started_at"], utc=True).min()
    end = pd.to_datetime(runs["ended_at"], utc=True).max()
    if pd.isna(start) or pd.isna(end):
        return "—"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"


def _same_blas(value):
    """A stored ``blas`` value as a set: runs stored before the libraries were listed sorted name
    NumPy's and SciPy's BLAS in the order their process loaded them."""
    return "; ".join(sorted(set(value.split("; ")))) if isinstance(value, str) else value


def mixed_provenance(runs: pd.DataFrame) -> list[str]:
    """What differs between ``runs``, each as ``BLAS (openblas 0.3.30, openblas 0.3.31)``."""
    if "blas" in runs:
        runs = runs.assign(blas=runs["blas"].map(_same_blas))
    return [f"{label} ({_values(runs, key)})" for key, label in MIXING_KEYS.items()
            if key in runs and runs[key].nunique(dropna=True) > 1]


def mixing_warning(figure: str, runs: pd.DataFrame) -> str | None:
    """A sentence naming what differs between the runs of one figure, or None."""
    mixed = mixed_provenance(runs)
    if not mixed:
        return None
    return (f"{figure} mixes runs of different provenance: " + "; ".join(mixed)
            + ". Rerun the study on one code version and machine to compare like with like.")


def provenance_row(figure: str, runs: pd.DataFrame) -> dict:
    dirty = bool(runs["git_dirty"].fillna(False).any()) if "git_dirty" in runs else False
    return {"figure": figure, "runs": len(runs),
            "git commit": _values(runs, "git_commit") + (" (uncommitted changes)" if dirty else ""),
            "run dates": _dates(runs),
            "machine": f"{_values(runs, 'cpu_model')} on {_values(runs, 'host')}",
            "Python / NumPy": f"{_values(runs, 'python_version')} / {_values(runs, 'numpy_version')}",
            "BLAS (threads)": f"{_values(runs, 'blas')} ({_values(runs, 'blas_threads')})",
            "backend (workers)": f"{_values(runs, 'backend')} ({_values(runs, 'n_workers')})",
            "nnstudy": _values(runs, "nnstudy_version")}


def provenance_table(rows: list[dict]) -> Table:
    return Table("provenance", "Provenance of each figure", pd.DataFrame(rows),
                 "Every value that differs between a figure's runs is listed; "
                 "a warning in the figure's section says when they differ.")
