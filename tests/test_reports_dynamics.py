"""The training-dynamics report pieces on small hand-made tables: the double-descent verdict, the
batch-size lr rules and time to target, training seconds, the init claims."""
import numpy as np
import pandas as pd

from reports import cost
from reports.studies import batch_size as batch_study
from reports.studies import double_descent, init
from reports.data import StudyResults


def _descent_study(test_errors, train_errors, widths=(2, 4, 8, 16, 32, 64), seeds=(0, 1)):
    rows = [{"run_id": f"{w}-{s}", "status": "ok", "width": w, "seed": s, "dataset_options": "{}",
             "final_train_acc": 1 - train, "final_val_acc": 1 - test, "epochs_run": 10}
            for w, test, train in zip(widths, test_errors, train_errors) for s in seeds]
    return StudyResults("double_descent", pd.DataFrame(rows))


def test_a_test_error_peak_at_the_interpolation_threshold_that_falls_again_is_double_descent():
    study = _descent_study(test_errors=[0.5, 0.3, 0.4, 0.2, 0.15, 0.1],
                           train_errors=[0.5, 0.2, 0.005, 0.0, 0.0, 0.0])
    found = double_descent.descent(study)
    assert found.threshold == 8 and found.peak_width == 8
    assert np.allclose([found.peak_error, found.valley_error, found.widest_error], [0.4, 0.3, 0.1])
    assert found.holds
    assert double_descent.double_descent_peaks(study).holds == "yes"


def test_test_error_that_only_falls_is_reported_as_no_double_descent():
    study = _descent_study(test_errors=[0.5, 0.4, 0.3, 0.2, 0.15, 0.1],
                           train_errors=[0.5, 0.2, 0.005, 0.0, 0.0, 0.0])
    found = double_descent.descent(study)
    assert found.threshold == 8 and not found.holds
    claim = double_descent.double_descent_peaks(study)
    assert claim.holds == "no" and "threshold width 8" in claim.ours


def test_without_a_width_that_interpolates_there_is_no_threshold():
    study = _descent_study(test_errors=[0.5, 0.4, 0.3, 0.3, 0.3, 0.3],
                           train_errors=[0.5, 0.3, 0.2, 0.1, 0.05, 0.02])
    found = double_descent.descent(study)
    assert found.threshold is None and not found.holds
    assert "no width reaches" in double_descent.summary_text(found)


def test_lr_rules_put_the_shared_reference_batch_in_both():
    runs = pd.DataFrame({"run_id": list("abcdefg"), "dataset": ["d"] * 7,
                         "batch_size": [1, 4, 16, 64, 1, 4, 16],
                         "lr": [0.05, 0.05, 0.05, 0.05, 0.01, 0.02, 0.03]})
    membership = batch_study.rules(runs)
    fixed = membership[membership["rule"] == batch_study.FIXED]
    scaled = membership[membership["rule"] == batch_study.SCALED]
    assert sorted(fixed["run_id"]) == list("abcd")
    assert sorted(scaled["run_id"]) == list("defg")  # batch 64's run serves both rules


def test_training_seconds_sum_epoch_seconds_times_epochs_elapsed():
    curves = pd.DataFrame({"run_id": ["r"] * 4, "epoch": [0, 2, 4, 5],
                           "epoch_s": [0.0, 1.5, 2.0, 3.0]})
    seconds = cost.with_training_seconds(curves)[cost.SECONDS].tolist()
    assert seconds == [0.0, 3.0, 7.0, 10.0]


def test_time_to_target_takes_the_first_epoch_at_or_below_the_target():
    runs = pd.DataFrame({"run_id": ["a", "b", "c"], "status": "ok", "dataset": "d",
                         "batch_size": [10, 10, 20], "lr": 0.1, "seed": [0, 1, 0], "loss": "mse",
                         "final_val_loss": [0.5, 0.5, 1.5]})
    curves = pd.DataFrame({"run_id": ["a"] * 4 + ["b"] * 4, "epoch": [0, 1, 2, 3] * 2,
                           "val_loss": [4.0, 2.0, 1.0, 0.5, 4.0, 3.0, 1.0, 0.5],
                           "epoch_s": [0, 1.0, 1.0, 1.0, 0, 2.0, 2.0, 2.0],
                           "step": [0, 5, 10, 15] * 2})
    study = StudyResults("batch_size", runs, curves=curves)
    assert batch_study.targets(study) == {"d": 1.0}  # the median configuration's final loss
    row = batch_study.time_to_target(study).iloc[0]  # batch 10; batch 20 has no curves
    assert (row.reached, row.seeds) == (2, 2)
    assert row.epochs == 2 and row.steps == 10 and row.seconds == np.median([2.0, 4.0])


def test_init_claims_without_the_study_say_no_data():
    for judge in (init.init_sigmoid_saturates, init.init_sigmoid_collapses,
                  init.init_xavier_spreads, init.init_he_keeps_relu_alive):
        assert judge(None).holds == "no data"
