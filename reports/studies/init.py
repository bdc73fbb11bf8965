"""The initialization study: per-layer activation distributions at initialization and after training.

Reads the ``activations`` table (one row per run, epoch, hidden layer and histogram bin; see
docs/results-schema.md). Histograms come from one seed (ReLU's bin edges follow each run's own
maximum, so seeds cannot be averaged bin by bin); every number in the tables and the scorecard is
a mean over the seeds that have it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .. import cost, plotting
from ..claims import Check, Claim, no_data, seeds_text, verdict
from ..data import StudyResults
from ..interactive.curves import Chart, curve_chart
from ..tables import Table, number

TITLE = "Initialization"
ORDER = 100

STAT_COLUMNS = ("mean", "std", "saturated", "dead_units")
BEFORE, AFTER = "at initialization", "after training"


def init_label(init: str, scale: float) -> str:
    """``N(0, 0.01)``, ``Xavier``, ``He``: the initializer as the literature names it."""
    if init == "normal":
        return f"N(0, {scale:g})"
    name = {"xavier": "Xavier", "he": "He", "he_uniform": "He uniform"}.get(init, init)
    return name if scale == 1 else f"{name} x {scale:g}"


def init_labels(frame: pd.DataFrame) -> list[str]:
    """``init_label`` of each row's init and init_scale."""
    return [init_label(i, s) for i, s in zip(frame["init"], frame["init_scale"])]


def _init_order(runs: pd.DataFrame, present=None) -> list[str]:
    """Labels in the order of nncore.INITIALIZERS (normal, he, xavier, ...), each by falling
    scale; the normals first, then Xavier before He as the literature came (2010, 2015). Only
    those in ``present`` (the labels drawn) when given."""
    preferred = ["normal", "xavier", "he"]
    pairs = runs[["init", "init_scale"]].drop_duplicates()
    rank = pairs["init"].map(lambda i: (preferred.index(i) if i in preferred else len(preferred), i))
    pairs = pairs.assign(rank=rank, neg_scale=-pairs["init_scale"]).sort_values(["rank", "neg_scale"])
    return [label for label in init_labels(pairs) if present is None or label in set(present)]


def stats_frame(study: StudyResults) -> pd.DataFrame:
    """The activations table joined with each run's init, seed and status; ``moment`` says
    whether a row is the run's first (at initialization) or last (after training) epoch.
    Runs that diverged keep their statistics at initialization."""
    if study.activations is None:
        raise ValueError("no activations table")
    runs = study.runs[["run_id", "init", "init_scale", "seed", "status", "final_val_acc"]]
    frame = study.activations.drop(columns=["study"], errors="ignore").merge(runs, on="run_id")
    frame["init_label"] = init_labels(frame)
    first = frame.groupby("run_id")["epoch"].transform("min")
    last = frame.groupby("run_id")["epoch"].transform("max")
    frame["moment"] = np.where(frame["epoch"] == first, BEFORE,
                               np.where(frame["epoch"] == last, AFTER, "during training"))
    return frame


def layer_summary(study: StudyResults) -> pd.DataFrame:
    """Per activation, init, moment and layer: each statistic's mean over seeds, and the seeds."""
    frame = stats_frame(study)
    per_layer = frame.drop_duplicates(["run_id", "epoch", "layer"])
    grouped = per_layer.groupby(["activation", "init_label", "moment", "layer"])
    summary = grouped[list(STAT_COLUMNS)].mean()
    summary["seeds"] = grouped["seed"].nunique()
    summary["epoch"] = grouped["epoch"].max()
    return summary.reset_index()


def _histogram_panel(ax, rows: pd.DataFrame, activation: str) -> None:
    """One layer of one run: bars at initialization, a line after training, sd and the dead
    (ReLU) or saturated share before -> after."""
    before, after = (rows[rows["moment"] == moment].sort_values("bin") for moment in (BEFORE, AFTER))
    def edges(bins):
        return np.append(bins["bin_low"].to_numpy(), bins["bin_high"].iloc[-1])
    if len(before):
        ax.bar(before["bin_low"], before["fraction"], width=np.diff(edges(before)), align="edge",
               color="C0", alpha=0.6, label=BEFORE)
    if len(after):
        ax.stairs(after["fraction"], edges(after), color="C3", linewidth=1.4, label=AFTER)
    if len(before):
        def text(column, shown):  # before -> after
            return shown(before[column].iloc[0]) + (f" → {shown(after[column].iloc[0])}" if len(after) else "")
        ax.text(0.97, 0.95, f"sd {text('std', lambda v: f'{v:.2g}')}\n"
                f"{'dead' if activation == 'relu' else 'sat.'} {text('saturated', lambda v: f'{100 * v:.0f}%')}",
                transform=ax.transAxes, ha="right", va="top", fontsize=7.5,
                bbox={"facecolor": "white", "alpha": 0.7, "linewidth": 0})
    ax.tick_params(labelsize=7.5)
    ax.xaxis.set_major_locator(plotting.MaxNLocator(4))
    ax.xaxis.set_major_formatter(plotting.FuncFormatter(lambda v, _: f"{v:.3g}"))


def histogram_grid(study: StudyResults, path: Path, activation: str) -> list[str]:
    """Rows: initializers; columns: hidden layers. Bars: the distribution of the layer's
    activations at initialization; line: after training (same run). One seed, the lowest."""
    frame = stats_frame(study)
    frame = frame[frame["activation"] == activation]
    if frame.empty:
        raise ValueError(f"no activation statistics for {activation}")
    order = _init_order(study.runs, frame["init_label"])
    layers = sorted(frame["layer"].unique())
    fig, axes = plotting.plt.subplots(len(order), len(layers), figsize=(2.5 * len(layers), 1.9 * len(order)),
                                     squeeze=False, sharey="row", layout="constrained")
    drawn = []
    for row, label in enumerate(order):
        rows = frame[frame["init_label"] == label]
        seed = rows["seed"].min()
        rows = rows[rows["seed"] == seed]
        drawn += list(rows["run_id"].unique())
        for col, layer in enumerate(layers):
            ax = axes[row][col]
            _histogram_panel(ax, rows[rows["layer"] == layer], activation)
            if row == 0:
                ax.set_title(f"layer {layer}", fontsize=10)
            if col == 0:
                ax.set_ylabel(f"{label}\nfraction", fontsize=9)
        status = rows["status"].iloc[0]
        if status != "ok":
            axes[row][-1].annotate(f"training {status}", (1.02, 0.5), xycoords="axes fraction",
                                   rotation=90, va="center", fontsize=8, color="C3")
    for ax in axes[-1]:
        ax.set_xlabel(f"{activation} output", fontsize=8)
    plotting.legend_outside(fig, axes, None, "outside lower center", columns=2)
    fig.suptitle(f"Initialization study, {activation}: activations per hidden layer over the "
                 f"training set (one seed)\nbars: {BEFORE}, annotated with sd and "
                 f"{'dead (exactly 0)' if activation == 'relu' else 'saturated (within 1% of a bound)'}"
                 f" share; line: {AFTER} (epoch {int(frame['epoch'].max())}; annotations: before → after)")
    plotting.save(fig, path)
    return drawn


def init_curves(study: StudyResults) -> pd.DataFrame:
    """Curves of the finished runs with activation, init_label, seed and training seconds."""
    curves = study.curves_of_ok_runs(("activation", "init", "init_scale", "seed"))
    curves = curves.assign(init_label=init_labels(curves))
    return cost.with_training_seconds(curves)


def curves_chart(study: StudyResults, x: str) -> Chart:
    """The interactive companion of a row of ``training_curves``' figure: validation loss against
    ``x`` (epoch, or training seconds with the means taken per epoch), a panel per activation, a
    line per initializer (in the figure's order)."""
    curves = init_curves(study)
    seconds = x == cost.SECONDS
    curves = curves[curves[x] > 0] if seconds else curves
    order = _init_order(study.runs, curves["init_label"])
    curves = curves.assign(init_label=pd.Categorical(curves["init_label"], categories=order))
    x_title = "training seconds" if seconds else x
    return curve_chart(curves, x, "validation cross entropy", x_title=x_title, cols="activation",
                       hue="init_label", log_x=seconds, log_y=True, value="val_loss",
                       along="epoch" if seconds else None,
                       title=f"Initialization: validation loss against {x_title}")


def training_curves(study: StudyResults, path: Path) -> list[str]:
    """Validation loss against epoch (top) and against training seconds (bottom), a panel per
    activation, a line per initializer: mean over seeds, band 95% bootstrap CI (epoch only)."""
    curves = init_curves(study)
    activations = [a for a in ("sigmoid", "tanh", "relu", "identity") if a in set(curves["activation"])]
    order = _init_order(study.runs, curves["init_label"])
    colors = plotting.level_colors(order, "colorblind")
    fig, axes = plotting.plt.subplots(2, len(activations), figsize=(4.6 * len(activations), 7.2),
                                     squeeze=False, sharey="col", layout="constrained")
    for col, activation in enumerate(activations):
        rows = curves[curves["activation"] == activation]
        shown = {k: v for k, v in colors.items() if k in set(rows["init_label"])}
        plotting.mean_lines(axes[0][col], rows, "epoch", "val_loss", "init_label", shown)
        cost.mean_against_seconds(axes[1][col], rows, "val_loss", "init_label", shown)
        axes[0][col].set(title=activation, xlabel="epoch")
        axes[1][col].set(xlabel="training seconds (evaluation excluded)")
        for ax in axes[:, col]:
            ax.set_yscale("log")
            plotting.plain_log(ax.yaxis)
    for ax in axes[:, 0]:
        ax.set_ylabel("validation cross entropy (log scale)")
    plotting.legend_outside(fig, axes, "initialization")
    seeds = curves.groupby(["activation", "init_label"])["seed"].nunique()
    missing = study.runs[study.runs["status"] != "ok"]
    note = ("" if missing.empty else "; not drawn (diverged): " + ", ".join(sorted(
        {f"{a} {label}" for a, label in zip(missing["activation"], init_labels(missing))})))
    fig.suptitle("Initialization study: validation loss against epoch (top) and training seconds "
                 f"(bottom)\ntop: {plotting.seeds_note(seeds)}; bottom: mean over seeds{note}")
    plotting.save(fig, path)
    return list(curves["run_id"].unique())


def summary_table(study: StudyResults) -> Table:
    """Per activation, initializer and moment: per-layer sd and saturated/dead share (layer 1 /
    ... / 5, mean over seeds), the deepest layer's dead units, and the final validation accuracy."""
    summary = layer_summary(study)
    accuracy = study.ok.assign(init_label=init_labels(study.ok))
    accuracy = accuracy.groupby(["activation", "init_label"])["final_val_acc"].mean()
    order = _init_order(study.runs)
    rows = []
    for (activation, label, moment), group in summary.groupby(["activation", "init_label", "moment"]):
        group = group.sort_values("layer")
        deepest = group.iloc[-1]
        rows.append({
            "activation": activation, "init": label, "when": f"{moment} (epoch {group['epoch'].max()})",
            "seeds": int(group["seeds"].min()),
            "sd per layer": " / ".join(number(v, 2) for v in group["std"]),
            "mean per layer": " / ".join(number(v, 2) for v in group["mean"]),
            "saturated (dead for ReLU) % per layer": " / ".join(f"{100 * v:.0f}" for v in group["saturated"]),
            "dead units, deepest layer": f"{100 * deepest['dead_units']:.0f}%",
            "final val acc": number(accuracy.get((activation, label), np.nan)) if moment == AFTER else "",
            "_order": (activation, order.index(label) if label in order else len(order), moment != BEFORE)})
    frame = pd.DataFrame(rows).sort_values("_order").drop(columns="_order").fillna("—")
    return Table(f"{study.name}_activations", "Initialization: activation statistics per hidden layer",
                 frame, "Values for layers 1 / 2 / ... over the whole training set, mean over seeds. "
                 "Saturated: sigmoid < 0.01 or > 0.99, |tanh| > 0.98; dead: ReLU exactly 0 (a share "
                 "of all values); dead units: units at 0 (or saturated) on every sample.")


def picture(study: StudyResults | None) -> dict[str, dict] | None:
    """The numbers behind the four claims of the classic picture, at initialization, mean over
    seeds: per (activation, init label) the per-layer sd, mean, saturated share and dead units."""
    if study is None or study.activations is None:
        return None
    summary = layer_summary(study)
    summary = summary[summary["moment"] == BEFORE].sort_values("layer")
    return {key: {column: group[column].to_numpy() for column in (*STAT_COLUMNS, "seeds")}
            for key, group in summary.groupby(["activation", "init_label"])}


def section(b) -> None:
    name = b.study.name
    if b.has("activations", "activation histograms"):
        for activation in sorted(b.study.activations["activation"].unique()):
            b.figure(f"{name}_histograms_{activation}.png",
                     f"{activation}: each hidden layer's activations at initialization (bars) and "
                     "after training (line), a row per initializer.",
                     lambda p, a=activation: histogram_grid(b.study, p, a))
        b.table("activation statistics", lambda: summary_table(b.study))
    if b.has("curves", "training curves"):
        b.figure(f"{name}_curves.png", "Validation loss against epoch and against training "
                 "seconds, a line per initializer, a panel per activation.",
                 lambda p: training_curves(b.study, p),
                 lambda: curves_chart(b.study, "epoch"), lambda: curves_chart(b.study, cost.SECONDS))


# --- the claims: the classic picture, at initialization, mean over seeds ------------------------
INIT_SATURATED = 0.25     # sigmoid N(0, 1): share saturated in every layer past the first
INIT_COLLAPSE = 0.01      # sigmoid N(0, 0.01): |mean - 0.5| and, times 2, the sd
INIT_SPREAD_SD = 0.05     # Xavier: every layer's sd at least this, and under 2% saturated
INIT_SPREAD_SATURATED = 0.02
INIT_DEAD_UNITS = 0.05    # He: under 5% dead units in every layer, deepest sd >= half the first's


def _layers(values, percent: bool = False) -> str:
    return " / ".join(f"{100 * v:.0f}%" if percent else f"{v:.2g}" for v in values)


def _init_claim(init: StudyResults | None, claim: str, published: str, needed: list[tuple[str, str]],
                judge: Callable[[dict], tuple[bool, str]]) -> Claim:
    """A claim about the per-layer statistics at initialization of the (activation, init)
    pairs in ``needed``; ``judge(picture)`` returns (holds, ours)."""
    found = picture(init)
    if found is None or any(key not in found for key in needed):
        return no_data(claim, published)
    holds, ours = judge(found)
    seeds = int(min(found[key]["seeds"].min() for key in needed))
    return Claim(claim, published, f"{ours} (layers 1 / ... / {len(found[needed[0]]['std'])}, "
                                   f"mean of {seeds_text(seeds)})", verdict(holds))


def init_sigmoid_saturates(init: StudyResults | None) -> Claim:
    def judge(p):
        saturated = p[("sigmoid", "N(0, 1)")]["saturated"]
        return bool(np.all(saturated[1:] >= INIT_SATURATED)), f"saturated {_layers(saturated, True)}"
    return _init_claim(init, "init: sigmoid with N(0, 1) weights saturates (at least "
                       f"{100 * INIT_SATURATED:.0f}% of the values within 1% of 0 or 1 in every "
                       "layer past the first)", "activations pile up at 0 and 1",
                       [("sigmoid", "N(0, 1)")], judge)


def init_sigmoid_collapses(init: StudyResults | None) -> Claim:
    def judge(p):
        stats = p[("sigmoid", "N(0, 0.01)")]
        holds = bool(np.all(np.abs(stats["mean"] - 0.5) < INIT_COLLAPSE)
                     and np.all(stats["std"] < 2 * INIT_COLLAPSE))
        return holds, f"mean {_layers(stats['mean'])}, sd {_layers(stats['std'])}"
    return _init_claim(init, "init: sigmoid with N(0, 0.01) weights collapses onto 0.5 (every "
                       f"layer's mean within {INIT_COLLAPSE:g} of 0.5, sd < {2 * INIT_COLLAPSE:g})",
                       "all outputs near 0.5", [("sigmoid", "N(0, 0.01)")], judge)


def init_xavier_spreads(init: StudyResults | None) -> Claim:
    keys = [("sigmoid", "Xavier"), ("tanh", "Xavier")]

    def judge(p):
        holds = all(np.all(p[k]["std"] >= INIT_SPREAD_SD)
                    and np.all(p[k]["saturated"] < INIT_SPREAD_SATURATED) for k in keys)
        return holds, "; ".join(f"{a}: sd {_layers(p[(a, i)]['std'])}, saturated "
                                f"{_layers(p[(a, i)]['saturated'], True)}" for a, i in keys)
    return _init_claim(init, "init: Xavier keeps sigmoid and tanh spread (every layer's sd >= "
                       f"{INIT_SPREAD_SD:g}, < {100 * INIT_SPREAD_SATURATED:.0f}% saturated)",
                       "spread in every layer", keys, judge)


def init_he_keeps_relu_alive(init: StudyResults | None) -> Claim:
    def judge(p):
        he, tiny = p[("relu", "He")], p[("relu", "N(0, 0.01)")]
        holds = bool(np.all(he["dead_units"] < INIT_DEAD_UNITS) and he["std"][-1] >= 0.5 * he["std"][0])
        ours = (f"He: sd {_layers(he['std'])}, dead units {_layers(he['dead_units'], True)}; "
                f"N(0, 0.01) for contrast: sd {_layers(tiny['std'])}, dead units "
                f"{_layers(tiny['dead_units'], True)}")
        return holds, ours
    return _init_claim(init, "init: He keeps ReLU layers from dying (< "
                       f"{100 * INIT_DEAD_UNITS:.0f}% dead units in every layer, deepest sd at "
                       "least half the first's)", "spread kept layer after layer",
                       [("relu", "He"), ("relu", "N(0, 0.01)")], judge)


CLAIMS = (
    Check("init-sigmoid-saturates", init_sigmoid_saturates),
    Check("init-sigmoid-collapses", init_sigmoid_collapses),
    Check("init-xavier-spreads", init_xavier_spreads),
    Check("init-he-relu-alive", init_he_keeps_relu_alive),
)
