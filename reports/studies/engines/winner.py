"""Which engine is fastest in each (width, batch size) cell of a timing study, and by what factor,
and the batch sizes where the faster of two engines changes: from the timed epochs of
``timing.epoch_times``, for whatever engines a study times."""
from __future__ import annotations

import math
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ...plotting import plt, save
from ...tables import Table
from .timing import NEUTRAL, engine_colors, engine_sorted


def factor_text(factor: float) -> str:
    """A speedup for a reader: 2.5x, 14x, 4000x."""
    return f"{factor:.0f}x" if factor >= 10 else f"{factor:.2g}x"


def batch_text(batch: float) -> str:
    """An interpolated batch size for a reader: 2.5, 76, 660."""
    return f"{batch:.0f}" if batch >= 10 else f"{batch:.2g}"


def median_seconds(times: pd.DataFrame) -> pd.DataFrame:
    """Median seconds per epoch, indexed by (width, batch_size), one column per engine."""
    medians = times.groupby(["width", "batch_size", "engine"])["epoch_s"].median().unstack("engine")
    return medians[engine_sorted(medians.columns)]


def winner_stats(times: pd.DataFrame) -> pd.DataFrame:
    """Per (width, batch_size) timed by at least two engines: ``winner``, ``runner_up``, their
    median seconds per epoch ``winner_s`` and ``runner_up_s``, and ``factor`` = runner_up_s /
    winner_s (how many times faster the winner is)."""
    rows = []
    for (width, batch_size), seconds in median_seconds(times).iterrows():
        ranked = seconds.dropna().sort_values()
        if len(ranked) < 2:
            continue
        rows.append({"width": width, "batch_size": batch_size, "winner": ranked.index[0],
                     "runner_up": ranked.index[1], "winner_s": ranked.iloc[0],
                     "runner_up_s": ranked.iloc[1], "factor": ranked.iloc[1] / ranked.iloc[0]})
    return pd.DataFrame(rows, columns=["width", "batch_size", "winner", "runner_up", "winner_s",
                                       "runner_up_s", "factor"])


def _shade(color, factor: float, top_factor: float) -> tuple[float, float, float]:
    """``color`` mixed with white: pale for a narrow win, full for the widest win in the figure."""
    strength = 0.25 + 0.75 * (math.log(factor) / math.log(top_factor) if top_factor > 1 else 1.0)
    return tuple(1 - strength * (1 - channel) for channel in color)


def winner_heatmap(winners: pd.DataFrame, path: Path, title: str = "Engines",
                   colors: dict | None = None) -> None:
    """Grid of widths (rows) by batch sizes (columns); each cell names the fastest engine and its
    factor over the runner-up, coloured by engine (``colors``, default ``engine_colors`` of the
    winners), darker for a wider margin."""
    widths = sorted(winners["width"].unique())
    batches = sorted(winners["batch_size"].unique())
    engines = engine_sorted(winners["winner"])
    colors = {e: (colors or engine_colors(engines)).get(e, NEUTRAL) for e in engines}
    top_factor = max(float(winners["factor"].max()), 1.0)
    image = np.ones((len(widths), len(batches), 3))
    fig, ax = plt.subplots(figsize=(1.6 * len(batches) + 2.6, 0.75 * len(widths) + 1.6),
                           layout="constrained")
    for cell in winners.itertuples():
        row, column = widths.index(cell.width), batches.index(cell.batch_size)
        image[row, column] = shade = _shade(colors[cell.winner], cell.factor, top_factor)
        luminance = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2]
        ax.text(column, row, f"{cell.winner}\n{factor_text(cell.factor)} over {cell.runner_up}",
                ha="center", va="center", fontsize=8, color="black" if luminance > 0.5 else "white")
    ax.imshow(image, origin="lower", aspect="auto")
    ax.set_xticks(range(len(batches)), [str(b) for b in batches])
    ax.set_yticks(range(len(widths)), [str(w) for w in widths])
    ax.set(xlabel="batch size", ylabel="hidden width (units)")
    ax.grid(False)
    fig.legend(handles=[Patch(color=colors[e], label=e) for e in engines], title="fastest",
               loc="outside right center")
    fig.suptitle(f"{title}: fastest engine per cell and its speedup over the runner-up\n"
                 "(median seconds per epoch; darker: wider margin)")
    save(fig, path)


def _crossing(batch_low: float, ratio_low: float, batch_high: float, ratio_high: float) -> float:
    """Batch size where log(ratio) crosses 0 on the straight line in log-log between two points."""
    share = math.log(ratio_low) / (math.log(ratio_low) - math.log(ratio_high))
    return math.exp(math.log(batch_low) + share * (math.log(batch_high) - math.log(batch_low)))


def crossover_stats(times: pd.DataFrame, engines: set[str] | None = None) -> pd.DataFrame:
    """Per width and pair of engines (both in ``engines``, default all) timed at two or more
    common batch sizes: the faster at the smallest and at the largest batch, ``crossovers`` (the
    interpolated batch sizes where the faster one changes, in order; empty if it never does) and
    ``ratio_small`` / ``ratio_large``: the slower's median over the faster's at the smallest and
    largest batch (>= 1)."""
    medians = median_seconds(times)
    rows = []
    for width, by_batch in medians.groupby(level="width"):
        by_batch = by_batch.droplevel("width").sort_index()
        names = [name for name in by_batch.columns if engines is None or name in engines]
        for first, second in combinations(names, 2):
            pair = by_batch[[first, second]].dropna()
            if len(pair) < 2:
                continue
            ratio = pair[first] / pair[second]  # above 1: second is faster
            batches = pair.index.to_numpy(dtype=float)
            faster = np.where(ratio > 1, second, first)
            crossovers = [_crossing(batches[k - 1], ratio.iloc[k - 1], batches[k], ratio.iloc[k])
                          for k in range(1, len(pair)) if faster[k] != faster[k - 1]]
            rows.append({"width": width, "engines": f"{first} / {second}",
                         "faster_small": faster[0], "faster_large": faster[-1],
                         "batch_small": int(batches[0]), "batch_large": int(batches[-1]),
                         "ratio_small": max(ratio.iloc[0], 1 / ratio.iloc[0]),
                         "ratio_large": max(ratio.iloc[-1], 1 / ratio.iloc[-1]),
                         "crossovers": crossovers})
    return pd.DataFrame(rows)


def crossover_table(crossovers: pd.DataFrame, study: str = "engines") -> Table:
    """One row per width, one column per pair of engines: the crossover batch size, or the engine
    that stays faster over the whole grid, with its margins at the smallest and largest batch."""
    cells: dict[int, dict[str, str]] = {}
    for r in crossovers.itertuples():
        margins = (f"{factor_text(r.ratio_small)} at {r.batch_small}, "
                   f"{factor_text(r.ratio_large)} at {r.batch_large}")
        if r.crossovers:
            pair = r.engines.split(" / ")
            leaders, text = [r.faster_small], []
            for batch in r.crossovers:
                leaders.append(pair[1] if leaders[-1] == pair[0] else pair[0])
                text.append(f"≈{batch_text(batch)}: {leaders[-2]} → {leaders[-1]}")
            text = f"{'; '.join(text)} ({margins})"
        else:
            text = f"none: {r.faster_small} faster ({margins})"
        cells.setdefault(r.width, {"width": r.width})[r.engines] = text
    frame = pd.DataFrame([cells[width] for width in sorted(cells)]).fillna("—")
    return Table(f"{study}_crossover", "Crossover batch size per width", frame,
                 "For each pair of engines, the batch size from which the other engine is the "
                 "faster (median seconds per epoch), interpolated on the log-log line between the "
                 "two batch sizes of the grid around the change; a margin is the slower engine's "
                 "median over the faster's.")


def add_to_section(b, times: pd.DataFrame, colors: dict | None = None) -> None:
    """The winner heatmap and the crossover table, added to the timing study's report section
    ``b`` (a ``reports.build.SectionBuilder``) from its timed epochs; ``colors`` as
    ``engine_colors`` gives them."""
    winners = b.attempt("engine winners", lambda: winner_stats(times))
    if winners is not None and len(winners):
        b.figure(f"{b.study.name}_winner.png", "Fastest engine per width and batch size, and by "
                 "what factor it beats the runner-up.",
                 lambda p: winner_heatmap(winners, p, colors=colors))
    # Pairs among the engines that win or come second somewhere: the ones a reader chooses from.
    contenders = set(winners["winner"]) | set(winners["runner_up"]) if winners is not None else None
    crossovers = b.attempt("crossover batch sizes", lambda: crossover_stats(times, contenders))
    if crossovers is not None and len(crossovers):
        b.table("crossover", lambda: crossover_table(crossovers, b.study.name))
