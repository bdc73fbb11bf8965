"""The learning-rate study: final loss against learning rate, a line per width; runs that
diverged are marked, not dropped."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..claims import epochs_text
from ..data import StudyResults
from ..interactive.curves import Chart, curve_chart
from ..plotting import (SPLITS, Line2D, facet_lines, level_colors, loss_name, save, seeds_count,
                        split_frame)
from ..tables import summary_table

TITLE = "Learning rate"
ORDER = 40


def final_losses(study: StudyResults) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(the runs with a final loss; the diverged runs; long form of the first: run_id, lr, width
    (a categorical over both), seed, split, loss)."""
    ok = study.ok[np.isfinite(study.ok["final_train_loss"])]
    diverged = study.runs[study.runs["status"] == "diverged"]
    finals = {f"final_{column}": name for column, name in SPLITS}
    long = split_frame(ok, finals, ["run_id", "lr", "width", "seed"], value="loss")
    widths = sorted(set(ok["width"]) | set(diverged["width"]))
    long["width"] = pd.Categorical(long["width"], categories=widths)
    return ok, diverged, long


def lr_chart(study: StudyResults) -> Chart:
    """The interactive companion of ``lr_sweep``'s figure; diverged runs are counted in its note
    (they have no final loss to place)."""
    _, diverged, long = final_losses(study)
    chart = curve_chart(long, "lr", loss_name(study), x_title="learning rate", cols="split",
                        hue="width", label=width_label, log_x=True, log_y=True, value="loss",
                        title="Learning rate: final loss")
    if len(diverged):
        chart.note = "; ".join(filter(None, [chart.note, f"diverged runs not drawn: {len(diverged)} "
                                                         "(no final loss; the PNG's crosses)"]))
    return chart


def width_label(width) -> str:
    return f"{width} units"


def lr_sweep(study: StudyResults, path: Path) -> list[str]:
    """Final loss against learning rate (log-log), one line per width: mean over seeds, band
    95% bootstrap CI, each seed a dot; runs that diverged are crosses along the top edge."""
    ok, diverged, long = final_losses(study)
    widths = list(long["width"].cat.categories)
    fig, axes = facet_lines(long, "lr", "loss", cols="split", hue="width", marker="o",
                            hue_label=width_label, log_x=True,
                            panel_title=lambda split, _: f"final {split} loss",
                            xlabel="learning rate (log scale)",
                            ylabel=f"{loss_name(study)} (log scale)")
    colors = level_colors(widths)
    for ax, split in zip(axes[0], long["split"].cat.categories):
        dots = long[long["split"] == split]
        ax.scatter(dots["lr"], dots["loss"], c=[colors[w] for w in dots["width"]], s=14, alpha=0.35)
        if len(diverged):
            # A diverged run has no loss to place: a cross in a strip added above the data
            # (x in data, y in axes coordinates), clear of the lines.
            low, high = ax.get_ylim()
            ax.set_ylim(low, high * (high / low) ** 0.15)
            for (width, lr), runs in diverged.groupby(["width", "lr"]):
                ax.plot([lr], [0.95], "x", color=colors[width], markersize=9, markeredgewidth=2,
                        transform=ax.get_xaxis_transform())
                ax.annotate(str(len(runs)), (lr, 0.95), xycoords=ax.get_xaxis_transform(),
                            xytext=(7, -4), textcoords="offset points", color=colors[width])
    if len(diverged):
        legend = fig.legends[0]
        handles = legend.legend_handles + [Line2D([], [], marker="x", linestyle="", color="C2",
                                                  markersize=9, markeredgewidth=2)]
        labels = [text.get_text() for text in legend.get_texts()] + ["diverged"]
        legend.remove()
        fig.legend(handles, labels, title="width", loc="outside right upper")
    seeds = ok.groupby(["width", "lr"])["seed"].nunique()
    crosses = "\n× n at the top: n seeds diverged (no final loss)" if len(diverged) else ""
    seeds_note = ("one seed per point" if seeds.max() < 2 else
                  f"line: mean over {seeds_count(seeds)} seeds, band: 95% bootstrap CI; "
                  "dots: single seeds")
    fig.suptitle(f"Learning rate: final loss after {epochs_text(ok)} epochs\n{seeds_note}{crosses}")
    save(fig, path)
    return list(ok["run_id"].unique()) + list(diverged["run_id"])


def section(b) -> None:
    b.figure(f"{b.study.name}_final_loss.png", "Final loss against learning rate, one line per width.",
             lambda p: lr_sweep(b.study, p), lambda: lr_chart(b.study))
    b.table("summary", lambda: summary_table(
        b.study, ["width", "lr"], f"{b.section.title} study: final loss per width and lr"))
