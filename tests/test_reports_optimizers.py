"""The optimizer study's report: steps from the stored curves, the best lr per optimizer."""
import json

import numpy as np
import pandas as pd
import pytest

from reports.data import StudyResults
from reports.studies.mnist1d import mnist1d_table
from reports.studies.optimizers import (best_lr, curves_by_step, labelled_runs, optimizer_kind,
                                        optimizer_table)
from synthetic_results import CLASSIFIER, curve_rows, run_row


def mnist1d_study(steps_per_epoch: int) -> StudyResults:
    run = run_row("mnist1d", dataset="mnist1d", layer_sizes=[40, 10], lr=0.01, epochs_run=3,
                  optimizer=json.dumps({"kind": "adam"}), final_train_acc=0.4, final_val_acc=0.3,
                  **CLASSIFIER)
    curves = pd.DataFrame(curve_rows(run, 1.0, 1.2, steps_per_epoch=steps_per_epoch))
    return StudyResults("mnist1d", pd.DataFrame([run]), curves)


def test_steps_are_the_stored_step_column_not_recounted_from_the_dataset():
    # 7 steps an epoch is not what mnist1d's 4,000 samples at batch 100 would give (40)
    study = mnist1d_study(steps_per_epoch=7)
    assert curves_by_step(study, labelled_runs(study))["step"].tolist() == [0, 7, 14, 21]
    assert mnist1d_table(study, {}).frame["steps"].tolist() == ["21"]


def test_curves_without_a_step_column_say_so():
    study = mnist1d_study(steps_per_epoch=7)
    study.curves = study.curves.drop(columns=["step"])
    with pytest.raises(ValueError, match="no step column"):
        curves_by_step(study, labelled_runs(study))


def test_rows_stored_before_the_optimizer_column_are_plain_sgd():
    assert optimizer_kind(None) == "sgd"
    assert optimizer_kind(json.dumps({"kind": "adam", "beta1": 0.9})) == "adam"


def test_best_lr_is_the_highest_mean_final_accuracy_ties_to_the_smaller_lr():
    runs = pd.DataFrame({"dataset": "d", "kind": ["adam"] * 6 + ["sgd"] * 4,
                         "lr": [1e-3, 1e-3, 1e-2, 1e-2, 1e-1, 1e-1, 0.1, 0.1, 0.3, 0.3],
                         "final_val_acc": [0.5, 0.7, 0.65, 0.65, 0.9, 0.1, 0.6, 0.6, 0.7, 0.5]})
    best = best_lr(runs).set_index("kind")["lr"]
    assert best["adam"] == 1e-2      # means 0.6, 0.65, 0.5
    assert best["sgd"] == 0.1        # a tie at 0.6: the smaller lr


def test_the_table_keeps_an_lr_whose_runs_all_diverged():
    rows, curves = [], []
    for lr, status in ((0.01, "ok"), (1.0, "diverged")):
        for seed in range(2):
            row = run_row("optimizers", dataset="digits", layer_sizes=[64, 10], seed=seed, lr=lr,
                          optimizer=json.dumps({"kind": "sgd", "weight_decay": 0.0}), status=status,
                          batch_size=100, final_train_acc=0.9, final_val_acc=0.8 if status == "ok" else np.nan)
            rows.append(row)
            if status == "ok":
                curves += curve_rows(row, 0.3, 0.4)
    table = optimizer_table(StudyResults("optimizers", pd.DataFrame(rows), pd.DataFrame(curves)))
    frame = table.frame.set_index("lr")
    assert list(frame.index) == ["0.01", "1"]
    assert frame.loc["1", "not finished"] == "2 diverged" and frame.loc["1", "final val acc % (mean ± sd)"] == "—"
    assert frame.loc["0.01", "best lr"] == "yes" and frame.loc["0.01", "final val acc % (mean ± sd)"] == "80 ± 0"
