"""The checks of a searched study, each a warning line for its section and the top of the page:
a best trial at the edge of its range, a grid point whose trials often diverged, and a winner's
validation curve that overfits or still improves at its last epoch."""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from experiments.search import Nuisance, exp_text

EDGE = 0.1                # best trial in the outer tenth of a range: widen it
DIVERGED_WARNING = 0.25   # warn when at least this share of a grid point's trials diverged
OVERFIT_SHARE = 0.1       # the last epoch gave back more than this share of the curve's range
IMPROVING_SHARE = 0.05    # the last quarter of epochs still gained more than this share of it


def _bound_text(nuisance: Nuisance, value: float) -> str:
    return exp_text(value) if nuisance.kind == "log" else f"{value:g}"


def edge_warnings(best: pd.DataFrame, point: str, nuisances: Iterable[Nuisance]) -> list[str]:
    """For each grid point's best trial (one row of ``best``: the label in ``point``, one column
    per nuisance key), each log or range nuisance whose value is in the outer tenth of its range
    (on the log scale for a log range): "lr: the best trial of width=64 is at the top of
    [1e-4, 1e-1]; widen the range". A value the grid point does not use (NaN) is skipped."""
    lines = []
    for row in best.to_dict("records"):
        for nuisance in nuisances:
            value = row.get(nuisance.key, math.nan)
            if nuisance.kind == "choice" or value is None or not np.isfinite(value):
                continue
            position = nuisance.position(float(value))
            side = "top" if position >= 1 - EDGE else "bottom" if position <= EDGE else None
            if side:
                lines.append(f"{nuisance.key}: the best trial of {row[point]} is at the {side} of "
                             f"[{_bound_text(nuisance, nuisance.low)}, "
                             f"{_bound_text(nuisance, nuisance.high)}]; widen the range")
    return lines


def diverged_shares(trials: pd.DataFrame, point: str) -> tuple[pd.DataFrame, list[str]]:
    """Per grid point the share of its trials whose status is "diverged" (columns point,
    trials, diverged, share), and a warning for each point at DIVERGED_WARNING or above."""
    table = (trials.assign(diverged=trials["status"] == "diverged")
             .groupby(point, sort=False)["diverged"].agg(trials="size", diverged="sum").reset_index())
    table["share"] = table["diverged"] / table["trials"]
    lines = [f"{row[point]}: {row['diverged']} of {row['trials']} trials diverged "
             f"({row['share']:.0%}); the search range may reach too far"
             for row in table.to_dict("records") if row["share"] >= DIVERGED_WARNING]
    return table, lines


def curve_warnings(curve: pd.DataFrame, column: str, lower_is_better: bool, label: str) -> list[str]:
    """Warnings on one best trial's curve (``epoch`` and ``column``, one row per recorded epoch):
    overfitting when the value at the last epoch gave back more than OVERFIT_SHARE of the curve's
    range since its best epoch; too few epochs when the last quarter of the epochs still gained
    more than IMPROVING_SHARE of it."""
    curve = curve.dropna(subset=[column]).sort_values("epoch")
    values, epochs = curve[column].to_numpy(float), curve["epoch"].to_numpy()
    if len(values) < 2 or not np.isfinite(values).all():
        return []
    sign = 1.0 if lower_is_better else -1.0
    spread = values.max() - values.min()
    if spread == 0:
        return []
    best = int(np.argmin(sign * values))
    lines = []
    given_back = sign * (values[-1] - values[best])
    if best < len(values) - 1 and given_back > OVERFIT_SHARE * spread:
        lines.append(f"{label}: the best trial's {column} worsens after epoch {epochs[best]} "
                     f"({values[best]:.3g} there, {values[-1]:.3g} at epoch {epochs[-1]}): "
                     "overfitting; stop earlier or regularize")
    quarter = int(round(0.75 * (len(values) - 1)))
    gained = sign * (values[quarter] - values[-1])
    if len(values) >= 4 and gained > IMPROVING_SHARE * spread:
        lines.append(f"{label}: the best trial's {column} still improves at its last epoch "
                     f"({values[quarter]:.3g} at epoch {epochs[quarter]}, {values[-1]:.3g} at "
                     f"epoch {epochs[-1]}): too few epochs")
    return lines
