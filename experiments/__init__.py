"""experiments: study specs -> runs -> workers (serial, loky, dask) -> Parquet results.

    python -m experiments sweep width          # run a study (resumes where it stopped)
    frame = experiments.load("width", "runs")  # read results as a pandas DataFrame

The Parquet layout is docs/results-schema.md; user documentation is docs/experiments.md.
"""
from .schemas import TABLES
from .store import CorruptResults, MissingResults, load

__all__ = ["load", "MissingResults", "CorruptResults", "TABLES"]
