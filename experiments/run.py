"""One run: a pure function of its configuration, executed inside a worker.

``execute(job)`` never raises: a run that raises becomes a ``failed`` row with its traceback, one
whose loss turns NaN or infinite a ``diverged`` row. It returns plain columns for the three tables,
so only small configuration dicts travel to workers and only results travel back. Datasets are
built inside the worker (cached per process); all randomness comes from ``SeedSequence(seed)``, so
a run gives the same numbers on any backend, worker or completion order.
"""
from __future__ import annotations

import functools
import json
import time
import traceback
from datetime import datetime, timezone

import numpy as np

import nncore
import nndata
from nncore.network import parameter_count
from nncore.probe import training_flops, training_peak

from . import fields, provenance
from .config import canonical_json

# Result columns that are the same on every backend and machine (used by the identity tests).
RESULT_COLUMNS = ("run_id", "status", "final_train_loss", "final_val_loss", "best_train_loss",
                  "best_val_loss", "final_train_acc", "final_val_acc", "epochs_run")


@functools.lru_cache(maxsize=8)
def _dataset(name: str, options_json: str):
    """The dataset's arrays, built once per worker process and shared by its runs (read-only)."""
    arrays = nndata.DATASETS[name].load(**json.loads(options_json))
    for array in arrays:
        if array is not None:
            array.setflags(write=False)
    return arrays


def dataset(config: dict):
    return _dataset(config["dataset"], canonical_json(config["dataset_options"]))


# Seconds per round of the matmul peak's best of three: a timing study measures one peak per
# network and batch size (20 in the engines study), at 0.2 s a round that was 12 s of its sweep.
PEAK_ROUND_SECONDS = 0.05


@functools.lru_cache(maxsize=64)
def _peak(layer_sizes: tuple[int, ...], batch_size: int, dtype: str) -> float:
    return training_peak(list(layer_sizes), batch_size, dtype, min_seconds=PEAK_ROUND_SECONDS)


def seeds(config: dict) -> tuple[int, int, int]:
    """(init, shuffle, batch) seeds spawned from the replicate seed, independent of anything else.

    Runs that differ only in, say, width share their shuffling order for the same replicate seed
    (common random numbers), which makes comparisons between grid points less noisy.
    """
    state = np.random.SeedSequence(config["seed"]).generate_state(3)
    return tuple(int(s) for s in state)


def build_network(config: dict) -> nncore.MLP:
    init_seed, _, _ = seeds(config)
    return nncore.MLP(config["layer_sizes"], activation=config["activation"], output=config["output"],
                      loss=config["loss"], init=config["init"], init_scale=config["init_scale"],
                      seed=init_seed, dtype=config["dtype"])


def _median(values) -> float:
    return float(np.median(values)) if len(values) else float("nan")


def _finite_min(values) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(min(finite)) if finite else float("nan")


def activation_columns(net, X: np.ndarray, epoch: int) -> dict[str, list]:
    """``activations`` table columns for the hidden layers of ``net`` on inputs X (n, n_inputs):
    one row per layer and histogram bin (nncore.activation_stats)."""
    names = ("epoch", "layer", "activation", "mean", "std", "saturated", "dead_units", "bin", "bin_low",
             "bin_high", "count", "fraction")
    columns = {name: [] for name in names}
    for layer in nncore.activation_stats.per_layer(net, X):
        total = max(int(layer.counts.sum()), 1)
        for i, count in enumerate(layer.counts):
            row = (epoch, layer.layer, layer.activation, layer.mean, layer.std, layer.saturated,
                   layer.dead_units, i, float(layer.bin_edges[i]), float(layer.bin_edges[i + 1]),
                   int(count), int(count) / total)
            for name, value in zip(names, row):
                columns[name].append(value)
    return columns


def train_run(config: dict, timing: bool) -> tuple[dict, dict[str, dict]]:
    """Train one network; returns (runs fields, {detail table: its columns})."""
    arrays = X, Y, X_val, Y_val = dataset(config)
    net = build_network(config)
    _, shuffle_seed, _ = seeds(config)
    snapshot_epochs = set(config["snapshot_epochs"])
    snapshots = {"epoch": [], "x1": [], "x2": [], "y_true": [], "y_pred": []}
    stats_epochs = set(config.get("activation_stats_epochs", ()))
    activations = {}
    measured = nndata.DATASETS[config["dataset"]].metrics(arrays, config["dataset_options"])

    def callback(epoch, net, history):
        if epoch in stats_epochs:  # measured on the training inputs, outside the epoch's timer
            for name, values in activation_columns(net, X, epoch).items():
                activations.setdefault(name, []).extend(values)
        if epoch in snapshot_epochs:
            predictions = net.forward(X)[:, 0]
            snapshots["epoch"].append(np.full(len(X), epoch, dtype=np.int64))
            snapshots["x1"].append(X[:, 0])
            snapshots["x2"].append(X[:, 1])
            snapshots["y_true"].append(Y[:, 0])
            snapshots["y_pred"].append(predictions.astype(np.float64))
        measured.observe(epoch, net, history)  # what the dataset measures, e.g. XOR solved

    validation = (X_val, Y_val) if X_val is not None else None
    history = nncore.train(net, X, Y, epochs=config["epochs"], batch_size=config["batch_size"],
                           lr=config["lr"], schedule=config["schedule"], engine=config["engine"],
                           reduction=config["reduction"], validation=validation,
                           seed=shuffle_seed, callback=callback, optimizer=config["optimizer"],
                           evaluate_every=config.get("evaluate_every", 1))

    n_train = len(X)
    sec_per_epoch = _median(history.epoch_s[1:])  # NaN without epochs
    if not sec_per_epoch > 0:  # an epoch below the clock's resolution: no rate to report
        sec_per_epoch = float("nan")
    gflops = training_flops(config["layer_sizes"], n_train) / sec_per_epoch / 1e9
    peak = _peak(tuple(config["layer_sizes"]), config["batch_size"], config["dtype"]) \
        if timing else float("nan")
    metrics = measured.result(net, history)
    fields = {
        "final_train_loss": history.train_loss[-1], "final_val_loss": history.val_loss[-1],
        "best_train_loss": _finite_min(history.train_loss), "best_val_loss": _finite_min(history.val_loss),
        "final_train_acc": history.train_acc[-1], "final_val_acc": history.val_acc[-1],
        "epochs_run": history.epochs_run, "sec_per_epoch": sec_per_epoch,
        "samples_per_s": n_train / sec_per_epoch, "gflops": gflops,
        "peak_gflops": peak, "peak_share": gflops / peak, "metrics": metrics,
    }
    if history.diverged:
        fields["status"] = "diverged"
        fields["error"] = (f"loss became {history.train_loss[-1]} at epoch {history.epochs_run} "
                           f"(lr={config['lr']}); training stopped")
    curves = history.as_dict()  # its "step": optimizer steps by the end of each recorded epoch
    snapshot_columns = {key: np.concatenate(parts) if parts else np.empty(0)
                        for key, parts in snapshots.items()}
    return fields, {"curves": curves, "snapshots": snapshot_columns, "activations": activations}


def gradcheck_run(config: dict) -> dict:
    """Time one numerical gradient against one vectorized backprop on the first batch."""
    X, Y, _, _ = dataset(config)
    _, _, batch_seed = seeds(config)
    rows = np.random.default_rng(batch_seed).choice(len(X), size=config["batch_size"], replace=False)
    X_batch, Y_batch = X[rows], Y[rows]
    net = build_network(config)
    started = time.perf_counter()
    _, numerical = nncore.backprop(net, X_batch, Y_batch, engine="numerical", reduction=config["reduction"])
    numerical_s = time.perf_counter() - started
    started = time.perf_counter()
    loss, vectorized = nncore.backprop(net, X_batch, Y_batch, engine="vectorized",
                                       reduction=config["reduction"])
    backprop_s = time.perf_counter() - started
    metrics = {"max_rel_error": nncore.gradcheck.max_relative_error(numerical, vectorized),
               "numerical_s": numerical_s, "backprop_s": backprop_s,
               "n_params": parameter_count(net.layer_sizes)}
    return {"final_train_loss": float(loss), "best_train_loss": float(loss), "epochs_run": 0,
            "metrics": metrics}


def _json_metrics(metrics: dict) -> str:
    """Canonical JSON; non-finite floats become null so the text is valid JSON everywhere."""
    def clean(value):
        if isinstance(value, float) and not np.isfinite(value):
            return None
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    return canonical_json({key: clean(value) for key, value in metrics.items()})


def execute(job: dict) -> dict:
    """Run ``job["config"]`` and return ``{"run_id", "runs": row, <detail table>: columns, ...}``
    (detail tables: ``curves``, ``snapshots``, ``activations``; a table without rows is ``{}``).

    ``job`` also carries ``study``, ``timing`` (measure the matmul peak), and ``backend`` and
    ``n_workers`` for the provenance columns. Never raises.
    """
    config, run_id, study = job["config"], job["run_id"], job["study"]
    started_at = datetime.now(timezone.utc)
    started = time.perf_counter()
    row = _identity_columns(job, "ok", None)
    details = {}
    # One BLAS thread in every backend: BLAS results change with the thread count.
    with provenance.threadpools().limit(limits=1, user_api="blas"):
        row["blas_threads"] = provenance.blas_threads()
        try:
            if config["task"] == "gradcheck":
                row.update(gradcheck_run(config))
            else:
                fields, details = train_run(config, job.get("timing", False))
                row.update(fields)
        except Exception:  # a failing run is a result, not the end of the sweep
            row.update(status="failed", error=traceback.format_exc())
            details = {}
    row["metrics"] = _json_metrics(row.get("metrics", {}))
    row.update(_provenance_columns(job, started_at, datetime.now(timezone.utc)),
               wall_s=time.perf_counter() - started)
    for key in ("final_train_loss", "final_val_loss", "best_train_loss", "best_val_loss",
                "final_train_acc", "final_val_acc", "sec_per_epoch", "samples_per_s", "gflops",
                "peak_gflops", "peak_share"):
        row[key] = float(row.get(key, float("nan")))
    result = {"run_id": run_id, "runs": row}
    for table, columns in details.items():  # each labelled with its run; empty tables left out
        n = len(columns.get("epoch", ()))
        result[table] = {"run_id": [run_id] * n, "study": [study] * n, **columns} if n else {}
    return result


def failed_result(job: dict, message: str) -> dict:
    """The ``failed`` result of a run that could not report one (its worker died), built without
    running it: the same runs row as ``execute`` writes, with ``message`` as its error."""
    now = datetime.now(timezone.utc)
    row = {**_identity_columns(job, "failed", message), "metrics": "{}",
           **_provenance_columns(job, now, now)}
    return {"run_id": job["run_id"], "runs": row}


def _identity_columns(job: dict, status: str, error: str | None) -> dict:
    """A runs row's first columns: the run, its study, its status, and its configuration."""
    return {"run_id": job["run_id"], "study": job["study"], "status": status, "error": error,
            **fields.config_columns(job["config"])}


def _provenance_columns(job: dict, started_at: datetime, ended_at: datetime) -> dict:
    """A runs row's provenance columns: the machine, the engine's source, when and where it ran."""
    return {**provenance.machine(), **provenance.engine_source(job["config"]["engine"]),
            "started_at": started_at, "ended_at": ended_at,
            "backend": job.get("backend", "serial"), "n_workers": job.get("n_workers", 1)}
