"""The final model (100-80-50-30-10 on sin-cos): the fitted surface over training beside the truth,
its loss curves, and the published training and validation MSE it should reproduce."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.animation import PillowWriter

from ..claims import Check, Claim, epochs_text, no_data, seeds_text, verdict
from ..data import StudyResults
from ..plotting import loss_curves, loss_curves_chart, plt, save
from ..tables import mean_sd, number, summary_table

TITLE = "Final model"
ORDER = 30
FINAL_FACTOR = 2.0  # published MSE reproduced within this factor either way


def _grid(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = frame.pivot_table(index="x1", columns="x2", values=column)
    x1, x2 = np.meshgrid(table.index.to_numpy(), table.columns.to_numpy(), indexing="ij")
    return x1, x2, table.to_numpy()


def _surface(ax, x1, x2, z, title: str, z_limits) -> None:
    ax.plot_surface(x1, x2, z, cmap="viridis", vmin=z_limits[0], vmax=z_limits[1],
                    linewidth=0, antialiased=True, rcount=50, ccount=50)
    ax.set(title=title, xlabel="x1", ylabel="x2", zlabel="y", zlim=z_limits)
    ax.view_init(elev=30, azim=-60)


def snapshot_run(study: StudyResults):
    """What the surface figures show: the run of the lowest seed that has snapshots (its id,
    seed, snapshots and their epochs), the true surface on the grid and the z limits."""
    ok = study.ok[study.ok["run_id"].isin(study.snapshots["run_id"].unique())]
    run_id, seed = ok.sort_values(["seed", "run_id"])[["run_id", "seed"]].iloc[0]
    shots = study.snapshots[study.snapshots["run_id"] == run_id]
    epochs = sorted(shots["epoch"].unique())
    truth = _grid(shots[shots["epoch"] == epochs[0]], "y_true")
    return run_id, int(seed), shots, epochs, truth, (np.nanmin(truth[2]) - 0.5, np.nanmax(truth[2]) + 0.5)


def surfaces(study: StudyResults, path: Path) -> list[str]:
    """The true y = sin(x1) - cos(x2) beside the fitted surface at each snapshot epoch."""
    run_id, seed, shots, epochs, truth, z_limits = snapshot_run(study)
    fig = plt.figure(figsize=(4.2 * (len(epochs) + 1), 4.4))
    ax = fig.add_subplot(1, len(epochs) + 1, 1, projection="3d")
    _surface(ax, *truth, "true: sin(x1) - cos(x2)", z_limits)
    for i, epoch in enumerate(epochs, start=2):
        ax = fig.add_subplot(1, len(epochs) + 1, i, projection="3d")
        _surface(ax, *_grid(shots[shots["epoch"] == epoch], "y_pred"),
                 f"fitted, epoch {epoch}", z_limits)
    fig.suptitle(f"Final model: fitted surface over training (seed {seed}; every panel on the "
                 "true function's z axis)")
    save(fig, path)
    return [run_id]


def surface_animation(study: StudyResults, path: Path) -> list[str]:
    """An animated GIF: true surface beside the fitted one, one frame per snapshot epoch."""
    run_id, seed, shots, epochs, truth, z_limits = snapshot_run(study)
    fig = plt.figure(figsize=(9, 4.2))
    writer = PillowWriter(fps=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer.saving(fig, str(path), dpi=80):
        for epoch in epochs:
            fig.clear()
            fig.suptitle(f"Final model over training (seed {seed})")
            _surface(fig.add_subplot(1, 2, 1, projection="3d"), *truth, "true function", z_limits)
            _surface(fig.add_subplot(1, 2, 2, projection="3d"),
                     *_grid(shots[shots["epoch"] == epoch], "y_pred"), f"fitted, epoch {epoch}",
                     z_limits)
            writer.grab_frame()
    plt.close(fig)
    return [run_id]


def section(b) -> None:
    if b.has("snapshots", "fitted-surface figures"):
        b.figure(f"{b.study.name}_surfaces.png", "Fitted surface at the snapshot epochs beside the truth.",
                 lambda p: surfaces(b.study, p))
        b.figure(f"{b.study.name}_surfaces.gif", "The fitted surface over training (animated).",
                 lambda p: surface_animation(b.study, p))
    if b.has("curves", "loss-curve figure"):
        title = "Final model (100-80-50-30-10): loss against epoch"
        b.figure(f"{b.study.name}_loss_curves.png", "Loss of the final model against epoch.",
                 lambda p: loss_curves(b.study, p, None, None, title),
                 lambda: loss_curves_chart(b.study, None, None, title))
    b.table("summary", lambda: summary_table(b.study, ["hidden"], f"{b.section.title}: final loss"))


def within_factor(study: StudyResults | None, column: str, published_value: float, claim: str) -> Claim:
    """Our mean of ``column`` within FINAL_FACTOR of the published value, either way."""
    published = f"{published_value:g}"
    if study is None or not np.isfinite(study.ok[column]).any():
        return no_data(claim, published)
    ratio = study.ok[column].mean() / published_value
    text = (f"{mean_sd(study.ok[column])} after {epochs_text(study.ok)} epochs (mean ± sd of "
            f"{seeds_text(study.ok[column].notna().sum())}; mean {number(ratio, 2)}x published)")
    return Claim(claim, published, text, verdict(1 / FINAL_FACTOR <= ratio <= FINAL_FACTOR))


CLAIMS = (
    Check("final-train-mse", lambda study: within_factor(
        study, "final_train_loss", 0.00015,
        f"final model (100-80-50-30-10): training MSE, within {FINAL_FACTOR:g}x")),
    Check("final-val-mse", lambda study: within_factor(
        study, "final_val_loss", 0.00016,
        f"final model (100-80-50-30-10): validation MSE, within {FINAL_FACTOR:g}x")),
)
