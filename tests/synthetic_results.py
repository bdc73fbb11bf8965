"""A small synthetic results set for the report tests, written through
``experiments.store.write_shard`` as docs/results-schema.md says.

Values are shaped like the real studies (the width and depth orderings hold, the final model
reaches the published MSE, XOR is solved, ...) so that every figure and scorecard claim has data;
tests then change one thing to contradict a claim or to break a file.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.store import write_shard

STUDIES = ("width", "depth", "final", "lr", "engines", "classics", "gradcheck", "optimizers", "mnist1d")
EPOCHS = 6


def run_row(study: str, **fields) -> dict:
    """One `runs` row with every schema column, defaults as in the `width` study."""
    layer_sizes = fields.pop("layer_sizes", [2, 20, 1])
    row = {
        "study": study, "task": "train", "status": "ok", "error": None, "dataset": "sincos",
        "dataset_options": "{}", "layer_sizes": layer_sizes,
        "hidden": "-".join(str(s) for s in layer_sizes[1:-1]), "width": layer_sizes[1],
        "depth": len(layer_sizes) - 2, "activation": "relu", "output": "identity", "loss": "mse",
        "init": "normal", "init_scale": 0.1, "engine": "vectorized", "reduction": "sum",
        "dtype": "float64", "epochs": EPOCHS, "batch_size": 10, "lr": 1e-3, "schedule": "{}",
        "seed": 0, "snapshot_epochs": [], "final_train_loss": 0.1, "final_val_loss": 0.1,
        "best_train_loss": 0.1, "best_val_loss": 0.1, "final_train_acc": np.nan,
        "final_val_acc": np.nan, "epochs_run": EPOCHS, "wall_s": 1.0, "sec_per_epoch": 0.1,
        "samples_per_s": 1e5, "gflops": 1.0, "peak_gflops": 20.0, "peak_share": 0.05,
        "metrics": "{}", "started_at": pd.Timestamp("2026-11-23 10:00", tz="UTC"),
        "ended_at": pd.Timestamp("2026-11-23 10:01", tz="UTC"), "git_commit": "abc1234",
        "git_dirty": False, "nnstudy_version": "0.1.0", "python_version": "3.12.0",
        "numpy_version": "2.4.6", "blas": "openblas 0.3.31", "cpu_model": "Test CPU @ 2.0GHz",
        "host": "testhost", "backend": "loky", "n_workers": 2, "blas_threads": 1,
    }
    row.update(fields)
    identity = ("study", "dataset", "layer_sizes", "engine", "batch_size", "lr", "seed")
    if "optimizer" in fields:  # rows without it are plain SGD stored before the column existed
        identity += ("optimizer",)
    row["run_id"] = hashlib.sha256(json.dumps(
        {k: row[k] for k in identity}, sort_keys=True, default=str).encode()).hexdigest()
    row["best_train_loss"] = min(row["best_train_loss"], row["final_train_loss"])
    return row


def curve_rows(run: dict, final_train: float, final_val: float, epoch_s: float = 0.1,
               steps_per_epoch: int = 10) -> list[dict]:
    """Losses decaying geometrically from 1 at epoch 0 to the run's final values; accuracies
    (classifiers) rising linearly from 0.1 to the run's final ones; ``step``: the optimizer
    steps taken by the end of each epoch, as the runner stores it."""
    rows = []
    for epoch in range(run["epochs_run"] + 1):
        fraction = epoch / max(run["epochs_run"], 1)
        rows.append({"run_id": run["run_id"], "study": run["study"], "epoch": epoch,
                     "train_loss": final_train ** fraction, "val_loss": final_val ** fraction,
                     "train_acc": 0.1 + fraction * (run["final_train_acc"] - 0.1),
                     "val_acc": 0.1 + fraction * (run["final_val_acc"] - 0.1),
                     "lr": np.nan if epoch == 0 else run["lr"],
                     "epoch_s": 0.0 if epoch == 0 else epoch_s * (1 + 0.05 * (epoch % 3)),
                     "step": epoch * steps_per_epoch})
    return rows


def write_table(results: Path, study: str, table: str, rows: list[dict]) -> Path:
    """One shard through the runner's own writer, so the layout is the store's."""
    return write_shard(results, study, table, rows)


def sweep_study(study: str, configs: list[dict], loss_of) -> tuple[list[dict], list[dict]]:
    """Runs and curves for each config x 3 seeds; ``loss_of(config, seed)`` -> (train, val)."""
    runs, curves = [], []
    for config in configs:
        for seed in range(3):
            train, val = loss_of(config, seed)
            run = run_row(study, seed=seed, final_train_loss=train, final_val_loss=val, **config)
            runs.append(run)
            curves += curve_rows(run, train, val)
    return runs, curves


def width_loss(config, seed):
    loss = 0.5 / config["layer_sizes"][1] * (1 + 0.1 * seed)
    return loss, loss * 1.1


def depth_loss(config, seed):
    loss = 0.05 / len(config["layer_sizes"]) ** 2 * (1 + 0.1 * seed)
    return loss, loss * 1.1


def make_results(results: Path, studies=STUDIES, width_loss=width_loss) -> Path:
    """Write the synthetic results set under ``results`` and return it."""
    if "width" in studies:
        runs, curves = sweep_study("width", [{"layer_sizes": [2, w, 1]} for w in (10, 20, 50, 100)],
                                   width_loss)
        write_table(results, "width", "runs", runs)
        write_table(results, "width", "curves", curves)
    if "depth" in studies:
        runs, curves = sweep_study(
            "depth", [{"layer_sizes": [2] + [20] * d + [1]} for d in (1, 2, 3, 4)], depth_loss)
        write_table(results, "depth", "runs", runs)
        write_table(results, "depth", "curves", curves)
    if "lr" in studies:
        configs = [{"layer_sizes": [2, w, 1], "lr": lr} for w in (20, 100)
                   for lr in (1e-4, 1e-3, 1e-2)]
        runs, curves = sweep_study(
            "lr", configs, lambda c, s: (abs(np.log10(c["lr"]) + 2.5) * 0.01 + 0.1 / c["layer_sizes"][1]
                                         + 0.001 * s,) * 2)
        runs.append(run_row("lr", layer_sizes=[2, 100, 1], lr=1e-2, seed=3, status="diverged",
                            error="loss became nan at epoch 2", final_train_loss=np.nan,
                            final_val_loss=np.nan, epochs_run=2))
        write_table(results, "lr", "runs", runs)
        write_table(results, "lr", "curves", curves)
    if "final" in studies:
        _write_final(results)
    if "engines" in studies:
        _write_engines(results)
    if "classics" in studies:
        _write_classics(results)
    if "optimizers" in studies:
        _write_optimizers(results)
    if "mnist1d" in studies:
        _write_mnist1d(results)
    if "gradcheck" in studies:
        rows = [run_row("gradcheck", task="gradcheck", layer_sizes=sizes, epochs=0, epochs_run=0,
                        metrics=json.dumps({"max_rel_error": 1e-9 * (i + 1), "numerical_s": 0.1 * (i + 1),
                                            "backprop_s": 1e-4 * (i + 1)}))
                for i, sizes in enumerate(([2, 3, 1], [2, 10, 10, 1], [64, 50, 10]))]
        write_table(results, "gradcheck", "runs", rows)
    return results


def _write_final(results: Path) -> None:
    sizes = [2, 100, 80, 50, 30, 10, 1]
    runs, curves, snapshots = [], [], []
    axis = np.arange(-5, 5, 0.5)
    x1, x2 = np.meshgrid(axis, axis, indexing="ij")
    y_true = np.sin(x1) - np.cos(x2)
    for seed in range(2):
        run = run_row("final", layer_sizes=sizes, lr=0.01, seed=seed, snapshot_epochs=[0, 1, 3, EPOCHS],
                      schedule='{"every": 3, "factor": 0.9, "kind": "step"}',
                      final_train_loss=0.00016, final_val_loss=0.00018)
        runs.append(run)
        curves += curve_rows(run, 0.00016, 0.00018)
        for epoch in run["snapshot_epochs"]:
            blend = epoch / EPOCHS
            y_pred = blend * y_true + (1 - blend) * 0.1 * x1
            snapshots += [{"run_id": run["run_id"], "study": "final", "epoch": epoch, "x1": a, "x2": b,
                           "y_true": t, "y_pred": p}
                          for a, b, t, p in zip(x1.ravel(), x2.ravel(), y_true.ravel(), y_pred.ravel())]
    write_table(results, "final", "runs", runs)
    write_table(results, "final", "curves", curves)
    write_table(results, "final", "snapshots", snapshots)


def _write_engines(results: Path) -> None:
    runs, curves = [], []
    for engine, cost in (("scalar", 100.0), ("loop", 10.0), ("vectorized", 1.0)):
        for width in (10, 50, 200):
            for batch_size in (1, 100):
                if engine == "scalar" and width == 200:
                    continue  # as the real study: scalar only where it finishes in time
                seconds = cost * 1e-3 * width / (batch_size if engine == "vectorized" else 1)
                run = run_row("engines", engine=engine, layer_sizes=[2, width, 1],
                              batch_size=batch_size, epochs=3, epochs_run=3, sec_per_epoch=seconds,
                              samples_per_s=10000 / seconds, gflops=0.01 / seconds,
                              peak_share=0.0005 / seconds)
                runs.append(run)
                curves += curve_rows(run, 0.1, 0.1, epoch_s=seconds)
    write_table(results, "engines", "runs", runs)
    write_table(results, "engines", "curves", curves)


def _write_classics(results: Path) -> None:
    runs = []
    for seed in range(2):
        runs += [
            run_row("classics", dataset="xor", layer_sizes=[2, 3, 1], seed=seed,
                    final_train_loss=0.01, final_val_loss=np.nan, final_train_acc=1.0,
                    metrics=json.dumps({"solved": True})),
            run_row("classics", dataset="people", layer_sizes=[2, 2, 1], activation="sigmoid",
                    seed=seed, final_train_loss=0.002, final_val_loss=0.003,
                    metrics=json.dumps({"emily": 0.95, "frank": 0.04})),
            run_row("classics", dataset="random_regression", layer_sizes=[1000, 100, 10],
                    seed=seed, final_train_loss=1e-5, final_val_loss=np.nan),
            run_row("classics", dataset="digits", layer_sizes=[64, 50, 10], output="softmax",
                    loss="cross_entropy", seed=seed, final_train_loss=0.2, final_val_loss=0.25,
                    final_train_acc=0.96, final_val_acc=0.94),
        ]
    write_table(results, "classics", "runs", runs)


CLASSIFIER = {"output": "softmax", "loss": "cross_entropy", "init": "he", "init_scale": 1.0,
              "batch_size": 100, "reduction": "mean"}


def _write_optimizers(results: Path) -> None:
    """Three optimizers at two lrs on both datasets, 2 seeds; the smaller lr of each is the best."""
    runs, curves = [], []
    for dataset, inputs in (("mnist1d", 40), ("digits", 64)):
        for rank, kind in enumerate(("sgd", "momentum", "adam")):
            for lr, penalty in ((0.01, 0.0), (0.1, 0.05)):
                for seed in range(2):
                    accuracy = 0.6 + 0.05 * rank - penalty + 0.01 * seed
                    run = run_row("optimizers", dataset=dataset, layer_sizes=[inputs, 100, 100, 10],
                                  optimizer=json.dumps({"kind": kind}), lr=lr, seed=seed,
                                  final_train_loss=0.5 - 0.1 * rank, final_val_loss=0.6,
                                  final_train_acc=accuracy + 0.1, final_val_acc=accuracy, **CLASSIFIER)
                    runs.append(run)
                    curves += curve_rows(run, run["final_train_loss"], 0.6)
    write_table(results, "optimizers", "runs", runs)
    write_table(results, "optimizers", "curves", curves)


def _write_mnist1d(results: Path) -> None:
    """The paper's two models, 3 seeds, at the paper's accuracies give or take a point."""
    runs, curves = [], []
    for sizes, accuracy in (([40, 10], 0.32), ([40, 100, 100, 10], 0.68)):
        for seed in range(3):
            run = run_row("mnist1d", dataset="mnist1d", layer_sizes=sizes, seed=seed, lr=0.01,
                          optimizer=json.dumps({"kind": "adam"}), final_train_loss=1.0,
                          final_val_loss=1.2, final_train_acc=accuracy + 0.1,
                          final_val_acc=accuracy + 0.01 * (seed - 1), **CLASSIFIER)
            runs.append(run)
            curves += curve_rows(run, 1.0, 1.2)
    write_table(results, "mnist1d", "runs", runs)
    write_table(results, "mnist1d", "curves", curves)
