"""The tables of the results store and their explicit Arrow schemas (docs/results-schema.md).

Every shard is written with these schemas, so columns never drift (an ``lr`` of 1 stays a
float64); the runs table's configuration columns come from the field declarations
(experiments/fields.py).
"""
from __future__ import annotations

import pyarrow as pa

from . import fields

_STRING, _FLOAT, _INT = pa.string(), pa.float64(), pa.int64()

_RUNS_RESULT_COLUMNS = [
    ("final_train_loss", _FLOAT), ("final_val_loss", _FLOAT),
    ("best_train_loss", _FLOAT), ("best_val_loss", _FLOAT),
    ("final_train_acc", _FLOAT), ("final_val_acc", _FLOAT),
    ("epochs_run", _INT), ("wall_s", _FLOAT), ("sec_per_epoch", _FLOAT),
    ("samples_per_s", _FLOAT), ("gflops", _FLOAT), ("peak_gflops", _FLOAT), ("peak_share", _FLOAT),
    ("metrics", _STRING),
    ("started_at", pa.timestamp("us", tz="UTC")), ("ended_at", pa.timestamp("us", tz="UTC")),
    ("git_commit", _STRING), ("git_dirty", pa.bool_()),
    ("nnstudy_version", _STRING), ("python_version", _STRING), ("numpy_version", _STRING),
    ("blas", _STRING), ("cpu_model", _STRING), ("host", _STRING),
    ("backend", _STRING), ("n_workers", _INT), ("blas_threads", _INT),
    ("engine_distribution", _STRING), ("engine_version", _STRING),
    ("engine_source_sha256", _STRING),
]


def runs_schema() -> pa.Schema:
    """The runs table: identity and status, one column per configuration field (declared in
    experiments/fields.py, in order), then results and provenance."""
    return pa.schema([
        ("run_id", _STRING), ("study", _STRING), ("status", _STRING), ("error", _STRING),
        *fields.runs_columns(), *_RUNS_RESULT_COLUMNS])


RUNS_SCHEMA = runs_schema()

CURVES_SCHEMA = pa.schema([
    ("run_id", _STRING), ("study", _STRING), ("epoch", _INT),
    ("train_loss", _FLOAT), ("val_loss", _FLOAT), ("train_acc", _FLOAT), ("val_acc", _FLOAT),
    ("lr", _FLOAT), ("epoch_s", _FLOAT), ("step", _INT),
])

SNAPSHOTS_SCHEMA = pa.schema([
    ("run_id", _STRING), ("study", _STRING), ("epoch", _INT),
    ("x1", _FLOAT), ("x2", _FLOAT), ("y_true", _FLOAT), ("y_pred", _FLOAT),
])

# Per-layer activation statistics (nncore.activation_stats) at the run's activation_stats_epochs:
# one row per epoch, hidden layer and histogram bin; the layer's statistics repeat on its bins.
ACTIVATIONS_SCHEMA = pa.schema([
    ("run_id", _STRING), ("study", _STRING), ("epoch", _INT), ("layer", _INT),
    ("activation", _STRING), ("mean", _FLOAT), ("std", _FLOAT), ("saturated", _FLOAT),
    ("dead_units", _FLOAT), ("bin", _INT), ("bin_low", _FLOAT), ("bin_high", _FLOAT),
    ("count", _INT), ("fraction", _FLOAT),
])

SCHEMAS: dict[str, pa.Schema] = {"runs": RUNS_SCHEMA, "curves": CURVES_SCHEMA,
                                 "snapshots": SNAPSHOTS_SCHEMA, "activations": ACTIVATIONS_SCHEMA}
TABLES = tuple(SCHEMAS)
# Tables with many rows per run; written before the runs' ``runs`` rows (``write_runs_together``).
DETAIL_TABLES = tuple(table for table in TABLES if table != "runs")
