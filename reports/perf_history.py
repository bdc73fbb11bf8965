"""The performance-history section: per benchmark, its value against commit, change points marked;
one figure per machine fingerprint (histories of different machines are never drawn together),
from the benchmark history table of ``benchmarks.records``."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from benchmarks.records import change_points, per_commit

from .data import Messages
from .plotting import plt
from .sections import Section
from .tables import Table

MAX_PANELS = 12
COLUMNS_PER_ROW = 3
UNITS = {"time_s": ("µs", 1e6, "time per call"), "peak_bytes": ("kB", 1e-3, "peak memory"),
         "time_per_reference": ("x", 1.0, "time per call / reference workload")}


def short_name(benchmark: str) -> str:
    """``file.py::test_x[case]`` -> ``test_x[case]``."""
    return benchmark.split("::")[-1]


def draw_machine(series: pd.DataFrame, changes: pd.DataFrame, metric: str, title: str, path: Path,
                 max_panels: int = MAX_PANELS) -> Path:
    """One machine's figure: a panel per benchmark of ``series`` (``per_commit`` rows of one metric)."""
    unit, factor, label = UNITS[metric]
    changed = sorted(set(changes["benchmark"]))  # benchmarks with a change point first
    names = (changed + sorted(set(series["benchmark"]) - set(changed)))[:max_panels]
    rows = math.ceil(len(names) / COLUMNS_PER_ROW)
    columns = min(COLUMNS_PER_ROW, len(names))
    figure, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.2 * rows), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, names):
        one = series[series["benchmark"] == name].reset_index(drop=True)
        ax.plot(one.index, one["value"] * factor, marker="o", color="tab:blue", linewidth=1)
        for change in changes[changes["benchmark"] == name].itertuples():
            at = one.index[one["commit"] == change.commit][0]
            ax.axvline(at - 0.5, color="tab:red", linestyle="--", linewidth=1)
            ax.annotate(f"x{change.ratio:.2f}", (at - 0.5, 1.0), xycoords=("data", "axes fraction"),
                        ha="left", va="top", color="tab:red", fontsize=8)
        # From zero, so that a 25% step looks like one; headroom for the change labels.
        ax.set_ylim(0, 1.15 * float(one["value"].max()) * factor)
        ax.set_xticks(one.index, [commit[:7] for commit in one["commit"]], rotation=60, fontsize=7)
        ax.set_title(short_name(name), fontsize=8)
        ax.set_ylabel(f"{label} ({unit})", fontsize=8)
        ax.set_xlabel("commit, oldest first", fontsize=8)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def machine_title(history: pd.DataFrame, machine: str) -> str:
    first = history[history["fingerprint_id"] == machine].iloc[0]
    return (f"machine {machine}: {first['machine_cpu']}, {first['machine_blas']} "
            f"({first['machine_blas_kernel']}, {first['machine_blas_threads']} threads), "
            f"NumPy {first['machine_numpy']}, numba {first['machine_numba']}")


def perf_history_section(history: pd.DataFrame, out_dir: Path, metric: str = "time_s",
                         max_panels: int = MAX_PANELS) -> tuple[list[Path], pd.DataFrame]:
    """Figures ``out_dir/perf_history_<machine>.png`` (one per fingerprint) of ``metric``, and the
    change points of every metric; ([], an empty table) when the history is empty."""
    if metric not in UNITS:
        raise ValueError(f"metric={metric!r} is not one of {', '.join(UNITS)}")
    changes = change_points(history)
    if history.empty:
        return [], changes
    series = per_commit(history)
    paths = []
    for machine in sorted(series["fingerprint_id"].unique()):
        mine = series[(series["fingerprint_id"] == machine) & (series["metric"] == metric)]
        if mine.empty:
            continue
        marked = changes[(changes["fingerprint_id"] == machine) & (changes["metric"] == metric)]
        name = f"perf_history_{machine}.png" if metric == "time_s" else f"perf_history_{machine}_{metric}.png"
        paths.append(draw_machine(mine, marked, metric, machine_title(history, machine),
                                  Path(out_dir) / name, max_panels))
    table = changes.assign(benchmark=changes["benchmark"].map(short_name))
    return paths, table


_MARKS = ("one figure per machine fingerprint; dashed red lines mark the commits where the change-point "
          "detector found a new level, labelled with the ratio.")
FIGURE_CAPTIONS = {
    "time_s": "Time per call of each benchmark against commit (oldest first), " + _MARKS,
    "time_per_reference": "The same time over the reference workload timed in the same process (a "
                          "slow state of the machine slows both, so this moves less with load than "
                          "seconds do), " + _MARKS,
}


def history_section(history_path: Path, out: Path, messages: Messages) -> Section | None:
    """The report's performance-history section from the history at ``history_path`` (what
    ``make bench`` and ``nnstudy bench compare`` append to); None when there is none yet. A
    history that cannot be read or drawn becomes a warning in ``messages``."""
    if not Path(history_path).exists():
        return None
    figures = []
    try:
        history = pd.read_parquet(history_path)
        for metric, caption in FIGURE_CAPTIONS.items():
            if metric == "time_s" or metric in set(history["metric"]):
                paths, changes = perf_history_section(history, Path(out) / "figures", metric)
                figures += [(f"figures/{path.name}", caption) for path in paths]
    except Exception as error:  # a broken history must not cost the rest of the report
        messages.warn(f"performance history {history_path}: could not draw it "
                      f"({type(error).__name__}: {error}); left out")
        return None
    table = Table("perf_history_changes", "Change points in the benchmark history",
                  changes.astype(str), caption=f"From {history_path}; `nnstudy bench history` "
                  "lists the same.") if len(changes) else None
    return Section("perf-history", "Performance history", description=(
        f"{len(history)} recorded values of {history['benchmark'].nunique()} benchmarks "
        f"at {history['commit'].nunique()} commits."), figures=figures,
        tables=[table] if table is not None else [])
