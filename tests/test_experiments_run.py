"""One run: a pure function of its configuration, with task-specific metrics and timing fields."""
import json
import math

import numpy as np

from experiments.config import FIELDS, REQUIRED
from experiments.run import execute


def config(**values) -> dict:
    defaults = {key: f.default for key, f in FIELDS.items() if f.default is not REQUIRED}
    return {**defaults, "dataset": "sincos", "dataset_options": {"step": 0.5},
            "layer_sizes": [2, 5, 1], "epochs": 2, **values}


def run(timing=False, **values) -> dict:
    return execute({"config": config(**values), "run_id": "id", "study": "test", "timing": timing})


def test_a_run_is_a_pure_function_of_its_configuration():
    first, second = run(seed=3), run(seed=3)
    for key in ("final_train_loss", "final_val_loss", "best_train_loss", "metrics"):
        assert first["runs"][key] == second["runs"][key]
    assert first["curves"]["train_loss"] == second["curves"]["train_loss"]
    assert run(seed=4)["runs"]["final_train_loss"] != first["runs"]["final_train_loss"]


def test_curves_have_one_row_per_epoch_from_zero():
    result = run(epochs=3)
    curves = result["curves"]
    assert curves["epoch"] == [0, 1, 2, 3] and curves["run_id"] == ["id"] * 4
    assert math.isnan(curves["lr"][0]) and curves["epoch_s"][0] == 0
    assert result["runs"]["epochs_run"] == 3 and result["runs"]["status"] == "ok"
    assert result["runs"]["sec_per_epoch"] == np.median(curves["epoch_s"][1:])


def test_curves_count_optimizer_steps_also_when_evaluating_every_kth_epoch():
    # sincos with step 0.5: 20 x 20 = 400 training samples, 40 steps an epoch at batch 10
    curves = run(epochs=5, batch_size=10, evaluate_every=2)["curves"]
    assert curves["epoch"] == [0, 2, 4, 5]
    assert curves["step"] == [0, 80, 160, 200]


def test_snapshots_hold_the_training_grid_at_the_asked_epochs():
    snapshots = run(epochs=2, snapshot_epochs=[0, 2])["snapshots"]
    assert len(snapshots["epoch"]) == 2 * 400
    assert sorted(set(snapshots["epoch"].tolist())) == [0, 2]
    assert np.array_equal(snapshots["y_true"][:400], np.sin(snapshots["x1"][:400]) - np.cos(snapshots["x2"][:400]))


def test_xor_metrics_say_whether_and_when_it_was_solved():
    result = run(dataset="xor", dataset_options={}, layer_sizes=[2, 3, 1], init_scale=1.0,
                 batch_size=4, lr=0.01, epochs=1000, seed=9)
    metrics = json.loads(result["runs"]["metrics"])
    assert metrics["solved"] is True and 0 < metrics["steps_to_solve"] <= 1000
    assert np.round(metrics["predictions"]).tolist() == [0, 1, 1, 0]
    unsolved = json.loads(run(dataset="xor", dataset_options={}, layer_sizes=[2, 3, 1],
                              batch_size=4, epochs=1)["runs"]["metrics"])
    assert unsolved["solved"] is False and unsolved["steps_to_solve"] is None


def test_people_metrics_are_the_outputs_for_emily_and_frank():
    result = run(dataset="people", dataset_options={}, layer_sizes=[2, 2, 1], activation="sigmoid",
                 output="sigmoid", init_scale=1.0, batch_size=1, lr=0.1, epochs=1000)
    metrics = json.loads(result["runs"]["metrics"])
    assert metrics["emily"] > 0.9 and metrics["frank"] < 0.1


def test_gradcheck_task_compares_numerical_and_vectorized_gradients():
    result = run(task="gradcheck", engine="numerical", epochs=0, layer_sizes=[2, 4, 4, 1],
                 activation="tanh")
    metrics = json.loads(result["runs"]["metrics"])
    assert set(metrics) == {"max_rel_error", "numerical_s", "backprop_s", "n_params"}
    assert metrics["max_rel_error"] < 1e-6 and metrics["n_params"] == 12 + 20 + 5
    assert not result.get("curves") and result["runs"]["status"] == "ok"


def test_the_matmul_peak_is_measured_only_for_timing_studies():
    assert math.isnan(run()["runs"]["peak_gflops"])
    timed = run(timing=True)["runs"]
    assert timed["peak_gflops"] > 0 and timed["peak_share"] == timed["gflops"] / timed["peak_gflops"]


def test_every_run_pins_blas_to_one_thread_and_records_provenance():
    row = run()["runs"]
    assert row["blas_threads"] == 1
    assert row["python_version"] and row["numpy_version"] == np.__version__ and row["host"]


def test_activation_statistics_are_kept_at_the_asked_epochs_one_row_per_layer_and_bin():
    result = run(epochs=2, layer_sizes=[2, 5, 4, 1], activation="sigmoid",
                 activation_stats_epochs=[0, 2])
    stats = result["activations"]
    assert len(stats["epoch"]) == 2 * 2 * 20  # epochs x hidden layers x bins
    assert sorted(set(stats["epoch"])) == [0, 2] and sorted(set(stats["layer"])) == [1, 2]
    assert set(stats["run_id"]) == {"id"} and set(stats["activation"]) == {"sigmoid"}
    fractions = np.array(stats["fraction"]).reshape(4, 20)
    np.testing.assert_allclose(fractions.sum(axis=1), 1.0)
    assert not run(epochs=1)["activations"]  # none asked for: no rows
