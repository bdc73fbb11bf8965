"""The cost model: a rough wall time of a run from its configuration, before it runs.

Used for the dispatch order (longest runs first) and for ``plan``'s and ``list``'s estimates and
the scorecard's "how to fill this row", which ``calibrated_estimates`` scales by the study's stored
wall times.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import nndata
from nncore.network import parameter_count
from nncore.probe import training_flops

from .config import dataset_shape
from .search.stages import count_runs

if TYPE_CHECKING:
    from .progress import Stored
    from .study import Study

# Seconds per unit, measured on the 2-core development machine with one BLAS thread, two runs at
# a time (the compiled engine's and the evaluation's refitted to the default sweep's runs on
# 2026-12-06: the estimates were 3-6x high); the ranking matters (longest runs first), and the
# order of magnitude (``plan``'s and ``list``'s estimates, the scorecard's "how to fill this row").
STEP_LAYER_S = {"vectorized": 10e-6, "compiled": 0.7e-6, "loop": 0.0, "scalar": 0.0, "numerical": 6e-6}
SAMPLE_LAYER_S = {"vectorized": 0.0, "compiled": 0.0, "loop": 13e-6, "scalar": 1e-5, "numerical": 0.0}
FLOP_S = {"vectorized": 1 / 4e9, "compiled": 1 / 12e9, "loop": 1 / 1e9, "scalar": 6.5e-8, "numerical": 1 / 4e9}
# Evaluating after an epoch (forward only): the compiled engine in its own kernel, every other
# engine through nncore.evaluation's NumPy chunks. Fitted to the default sweep's runs (2026-12-06).
EVALUATE_FLOP_S = {"compiled": 1 / 12e9}
NUMPY_EVALUATE_FLOP_S = 1 / 4e9
# An engine registered after these measurements is costed like this one until it is measured:
# ``plan`` scales every estimate by the study's stored wall times, and dispatch needs only a rank.
NEUTRAL_ENGINE = "vectorized"


def _per_engine(seconds: dict[str, float], engine: str) -> float:
    return seconds.get(engine, seconds[NEUTRAL_ENGINE])


def estimate_seconds(config: dict) -> float:
    """A rough wall time of the run from its configuration (no measurement)."""
    sizes = config["layer_sizes"]
    n_layers = len(sizes) - 1
    _, _, n_train = dataset_shape(config["dataset"], config["dataset_options"])
    forward_flops = 2.0 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    if config["task"] == "gradcheck":
        seconds_per_pass = forward_flops * config["batch_size"] * NUMPY_EVALUATE_FLOP_S + n_layers * 5e-6
        return 0.05 + 2 * parameter_count(sizes) * seconds_per_pass  # two passes per parameter
    engine = config["engine"]
    steps = -(-n_train // config["batch_size"])
    train_epoch = (steps * n_layers * _per_engine(STEP_LAYER_S, engine)
                   + n_train * n_layers * _per_engine(SAMPLE_LAYER_S, engine)
                   + training_flops(sizes, n_train) * _per_engine(FLOP_S, engine))
    n_val = nndata.validation_samples(config["dataset"], config["dataset_options"], n_train)
    evaluate_epoch = (forward_flops * (n_train + n_val) * EVALUATE_FLOP_S.get(engine, NUMPY_EVALUATE_FLOP_S)
                      + 2e-5)
    inspections = len(config["snapshot_epochs"]) + len(config.get("activation_stats_epochs", ()))
    snapshots = inspections * forward_flops * n_train / 1.5e9
    evaluations = -(-config["epochs"] // config.get("evaluate_every", 1)) + 1  # epoch 0 too
    return 0.02 + config["epochs"] * train_epoch + evaluations * evaluate_epoch + snapshots


def calibrated_estimates(study: Study, stored: Stored) -> dict[str, float]:
    """``estimate_seconds`` per run id, scaled by how long this study's stored runs really took
    (their wall seconds over their estimates), so ``plan`` learns this machine's speed."""
    estimates = {run.run_id: estimate_seconds(run.config) for run in study.runs}
    done = [run_id for run_id in estimates if (stored.wall_s.get(run_id) or 0) > 0]
    if done:
        factor = sum(stored.wall_s[run_id] for run_id in done) / sum(estimates[run_id] for run_id in done)
        estimates = {run_id: seconds * factor for run_id, seconds in estimates.items()}
    return estimates


def unknown_runs_seconds(estimates: dict[str, float], n_runs: int) -> float:
    """Estimated seconds of ``n_runs`` runs not known yet (a searched study's retrains before
    its trials finish): as many runs of the mean known estimate."""
    return n_runs * sum(estimates.values()) / len(estimates) if estimates and n_runs > 0 else 0.0


def total_runs(study: Study) -> int:
    """Every run a whole sweep of ``study`` makes: a searched study's retrains too, and the most
    runs the rounds of a ``[resolve]`` study can add (an upper bound: they stop once resolved)."""
    most_added = study.resolve.most_added() if study.resolve is not None else 0
    if study.search is None:
        return len(study.runs) + most_added
    plan = study.search
    return sum(count_runs(len(plan.grid_configs), plan.search.trials, len(plan.seeds))) + most_added


def sweep_seconds(study: Study, stored: Stored, workers: int) -> float:
    """Estimated wall seconds of sweeping the whole of ``study`` (stored runs included) on
    ``workers`` processes, one for a timing study (it runs one at a time)."""
    estimates = calibrated_estimates(study, stored)
    unknown = unknown_runs_seconds(estimates, total_runs(study) - len(study.runs))
    return (sum(estimates.values()) + unknown) / (1 if study.timing else workers)


def format_seconds(seconds: float) -> str:
    """``45 s``, ``3.6 min``, ``1.2 h``: an estimate or a measured duration, for people."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
