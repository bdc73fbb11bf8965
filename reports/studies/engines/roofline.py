"""A roofline-style view of the engines study: achieved GFLOP/s against arithmetic intensity.

Each timed run is a point: x, the FLOPs per byte its training step's matrix products move
(``nncore.probe.arithmetic_intensity``: grows with width and batch); y, the GFLOP/s it achieved
(``runs.gflops``). The ceiling is NumPy matmul's measured GFLOP/s (``runs.peak_gflops``, the
best over the runs' GEMM shapes); grey crosses are NumPy matmul on each run's own shapes. Each
product is called from Python (``nncore.probe``), so an engine that runs the whole step compiled
can pass them where a call's fixed cost dominates (the compiled engine at small batches).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nncore.probe import arithmetic_intensity

from ... import plotting
from ...data import StudyResults
from .timing import NEUTRAL, engine_colors, engine_sorted

BATCH_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def points(study: StudyResults) -> pd.DataFrame:
    """Per finished run with a GFLOP/s figure: engine, width, batch size, intensity, gflops,
    peak_gflops."""
    ok = study.ok[np.isfinite(study.ok["gflops"]) & (study.ok["gflops"] > 0)]
    if ok.empty:
        raise ValueError("no run has a GFLOP/s figure")
    intensity = [arithmetic_intensity(list(sizes), int(batch), np.dtype(dtype).itemsize)
                 for sizes, batch, dtype in zip(ok["layer_sizes"], ok["batch_size"], ok["dtype"])]
    return ok.assign(intensity=intensity)[
        ["run_id", "engine", "width", "batch_size", "intensity", "gflops", "peak_gflops"]]


def roofline(study: StudyResults, path: Path, colors: dict | None = None) -> list[str]:
    """Achieved GFLOP/s against FLOPs per byte (log-log): a colour per engine (``colors``,
    default ``engine_colors`` of the study's), a marker per batch size, larger markers for wider
    nets; NumPy matmul's measured GFLOP/s as the ceiling."""
    frame = points(study)
    engines = engine_sorted(frame["engine"])
    batches = sorted(frame["batch_size"].unique())
    colors = {e: (colors or engine_colors(engines)).get(e, NEUTRAL) for e in engines}
    markers = dict(zip(batches, BATCH_MARKERS * (len(batches) // len(BATCH_MARKERS) + 1)))
    widths = sorted(frame["width"].unique())
    sizes = dict(zip(widths, np.linspace(25, 110, len(widths))))
    fig, ax = plotting.plt.subplots(figsize=(9.5, 6), layout="constrained")
    peaks = frame[np.isfinite(frame["peak_gflops"])]
    if len(peaks):
        ceiling = peaks["peak_gflops"].max()
        ax.axhline(ceiling, color="black", linewidth=1.5,
                   label=f"NumPy matmul called from Python: {ceiling:.3g} GFLOP/s (best over the shapes)")
        ax.scatter(peaks["intensity"], peaks["peak_gflops"], marker="x", color="grey", s=22,
                   label="NumPy matmul on the run's own GEMM shapes")
    for engine in engines:
        for batch in batches:
            rows = frame[(frame["engine"] == engine) & (frame["batch_size"] == batch)]
            if rows.empty:
                continue
            ax.scatter(rows["intensity"], rows["gflops"], color=colors[engine], marker=markers[batch],
                       s=[sizes[w] for w in rows["width"]], alpha=0.85, edgecolor="white",
                       linewidth=0.5)
    handles = [plotting.plt.Line2D([], [], color=colors[e], marker="o", linestyle="", label=e)
               for e in engines]
    handles += [plotting.plt.Line2D([], [], color="grey", marker=markers[b], linestyle="",
                                   label=f"batch {b}") for b in batches]
    handles += [plotting.plt.Line2D([], [], color="grey", marker="o", linestyle="",
                                   markersize=np.sqrt(sizes[w]), label=f"width {w}")
                for w in (widths[0], widths[-1])]
    line_handles, _ = ax.get_legend_handles_labels()
    ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity: FLOPs per byte moved by the "
           "step's matrix products (log scale)", ylabel="achieved GFLOP/s (log scale)")
    plotting.plain_log(ax.xaxis)
    plotting.plain_log(ax.yaxis)
    fig.legend(handles=line_handles + handles, loc="outside lower center", fontsize=9, ncol=4)
    fig.suptitle("Engines: achieved GFLOP/s against arithmetic intensity (roofline-style)\n"
                 "a point per run: colour engine, marker batch size, size width")
    plotting.save(fig, path)
    return list(frame["run_id"])
