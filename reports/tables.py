"""Tables: timing, study summaries; each a ``Table`` of display strings, written as Markdown + HTML.

Numbers are computed in numeric frames (``timing_stats``, ``speedup_stats``) that the figures draw
too; the ``*_table`` functions only format them for a reader.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import nncore
from nncore.network import parameter_count

from .data import Study, architecture, metric
from .stats import SPEEDUP_RESAMPLES, ratio_of_sums

ENGINE_ORDER = tuple(nncore.ENGINES)  # slowest first, as they evolved
SPEEDUP_BASELINES = ("loop", "scalar")


def engine_rank(engine: str) -> int:
    """Position of an engine in ENGINE_ORDER (unknown engines last), for sorting."""
    return ENGINE_ORDER.index(engine) if engine in ENGINE_ORDER else len(ENGINE_ORDER)


@dataclass
class Table:
    """A titled table of display strings; ``name`` is its file stem under ``tables/``."""

    name: str
    title: str
    frame: pd.DataFrame
    caption: str = ""

    def markdown(self) -> str:
        """GitHub-flavoured Markdown; ``|`` inside cells is escaped."""
        def row(cells):
            return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
        lines = [row(self.frame.columns), row(["---"] * self.frame.shape[1])]
        lines += [row(values) for values in self.frame.itertuples(index=False)]
        return "\n".join(lines)

    def html(self) -> str:
        return self.frame.to_html(index=False, escape=True, border=0, classes="data", na_rep="")

    def write(self, folder: Path) -> list[Path]:
        """Write ``<name>.md`` and ``<name>.html`` (a complete page) and return their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        md, page = folder / f"{self.name}.md", folder / f"{self.name}.html"
        caption = f"\n\n{self.caption}\n" if self.caption else "\n"
        md.write_text(f"# {self.title}\n\n{self.markdown()}{caption}", encoding="utf-8")
        page.write_text(f"<!doctype html><meta charset='utf-8'><title>{html.escape(self.title)}"
                        f"</title><h1>{html.escape(self.title)}</h1>{self.html()}"
                        f"<p>{html.escape(self.caption)}</p>\n", encoding="utf-8")
        return [md, page]


def number(value: float, digits: int = 3) -> str:
    """A compact number for a table cell; an em dash where there is none."""
    if value is None or not np.isfinite(value):
        return "—"
    return f"{value:.{digits}g}"


def mean_sd(values: pd.Series) -> str:
    """``mean ± sd`` over seeds (sd with ddof=1; only the mean for a single seed)."""
    values = values.dropna()
    if values.empty:
        return "—"
    if len(values) == 1:
        return number(values.mean())
    return f"{number(values.mean())} ± {number(values.std(ddof=1), 2)}"


# --- study summaries ---------------------------------------------------------------------------

FINAL_LOSSES = {"final_train_loss": "final train loss (mean ± sd)",
                "final_val_loss": "final val loss (mean ± sd)"}


def summary_table(study: Study, by: list[str], title: str,
                  columns: dict[str, str] = FINAL_LOSSES) -> Table:
    """Per group of ``by`` (one group if empty): the seeds that finished, the runs that did not
    (a group where every run diverged still shows), epochs, and each ``runs`` column of
    ``columns`` (column -> header) as mean ± sd over the finished seeds."""
    groups = study.runs.groupby(by, sort=True) if by else [((), study.runs)]
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        ok = group[group["status"] == "ok"]
        not_ok = group.loc[group["status"] != "ok", "status"].value_counts()
        rows.append({**{name: (number(k) if isinstance(k, float) else k) for name, k in zip(by, key)},
                     "seeds": ok["seed"].nunique(),
                     "not finished": ", ".join(f"{n} {status}" for status, n in not_ok.items()) or "—",
                     "epochs": ", ".join(str(e) for e in sorted(ok["epochs_run"].unique())) or "—",
                     **{header: mean_sd(ok[column]) for column, header in columns.items()}})
    return Table(f"{study.name}_summary", title, pd.DataFrame(rows),
                 f"Loss: {', '.join(sorted(study.ok['loss'].unique()))}; mean ± sd (ddof=1) over "
                 "the seeds that finished (status ok).")


def classics_table(study: Study) -> Table:
    """Per task: architecture, final loss and accuracy (mean ± sd over seeds), task metrics."""
    rows = []
    ok = study.ok.assign(arch=study.ok["layer_sizes"].map(architecture))
    for (dataset, arch), group in ok.groupby(["dataset", "arch"], sort=True):
        extras = []
        for key in ("solved", "emily", "frank"):
            values = metric(group, key).dropna()
            if len(values):
                extras.append(f"{key} {mean_sd(values)}" if key != "solved"
                              else f"solved {int(values.sum())}/{len(values)}")
        rows.append({"task": dataset, "layers": arch, "seeds": group["seed"].nunique(),
                     "final train loss": mean_sd(group["final_train_loss"]),
                     "final val loss": mean_sd(group["final_val_loss"]),
                     "train acc": mean_sd(group["final_train_acc"]),
                     "val acc": mean_sd(group["final_val_acc"]),
                     "metrics": "; ".join(extras) or "—"})
    return Table(f"{study.name}_summary", "Classic tasks: final loss and accuracy", pd.DataFrame(rows),
                 "mean ± sd over seeds; accuracy only for classifiers.")


def gradcheck_stats(study: Study) -> pd.DataFrame:
    """Per run: architecture, parameter count, numerical and backprop seconds, max relative
    error; smallest nets first."""
    ok = study.ok
    return pd.DataFrame({
        "run_id": ok["run_id"], "layers": ok["layer_sizes"].map(architecture),
        "parameters": ok["layer_sizes"].map(parameter_count),
        "numerical_s": metric(ok, "numerical_s"), "backprop_s": metric(ok, "backprop_s"),
        "max_rel_error": metric(ok, "max_rel_error")}).sort_values(
            ["parameters", "layers"], kind="stable").reset_index(drop=True)


def gradcheck_table(stats: pd.DataFrame, study: str = "gradcheck") -> Table:
    rows = [{"layers": layers, "parameters": group["parameters"].iloc[0], "checks": len(group),
             "numerical (s)": number(group["numerical_s"].median()),
             "backprop (s)": number(group["backprop_s"].median()),
             "numerical / backprop": number((group["numerical_s"] / group["backprop_s"]).median()),
             "max relative error": number(group["max_rel_error"].max(), 2)}
            for layers, group in stats.groupby("layers", sort=False)]
    return Table(f"{study}_summary", "Gradient check: numerical against backprop",
                 pd.DataFrame(rows), "Seconds for one full gradient (median over checks); "
                 "error: worst over checks.")


# --- timing ------------------------------------------------------------------------------------

def epoch_times(study: Study) -> pd.DataFrame:
    """One row per timed training epoch: engine, width, batch_size, run_id, epoch_s (seconds).

    From ``curves`` (every epoch after 0); where a run has no curve, its median ``sec_per_epoch``
    stands in as a single sample.
    """
    config = ["run_id", "engine", "width", "batch_size", "layer_sizes"]
    curves = study.curves_of_ok_runs(config)
    parts = []
    if curves is not None:
        parts.append(curves.loc[curves["epoch"] >= 1, config + ["epoch_s"]])
    timed = set(parts[0]["run_id"]) if parts else set()
    rest = study.ok[~study.ok["run_id"].isin(timed)]
    parts.append(rest[config].assign(epoch_s=rest["sec_per_epoch"]))
    times = pd.concat(parts, ignore_index=True)
    return times[np.isfinite(times["epoch_s"]) & (times["epoch_s"] > 0)]


def timing_stats(study: Study, times: pd.DataFrame) -> pd.DataFrame:
    """Per engine, width and batch size: epochs timed, median and quartiles of sec/epoch,
    and the runs' median samples/s, GFLOP/s and share of the matmul peak."""
    per_run = study.ok.set_index("run_id")
    rows = []
    for (engine, width, batch_size), group in times.groupby(["engine", "width", "batch_size"]):
        runs = per_run.loc[group["run_id"].unique()]
        q25, median, q75 = np.percentile(group["epoch_s"], [25, 50, 75])
        rows.append({"engine": engine, "width": width, "batch_size": batch_size,
                     "runs": len(runs), "epochs": len(group), "median_s": median,
                     "q25_s": q25, "q75_s": q75,
                     "samples_per_s": runs["samples_per_s"].median(),
                     "gflops": runs["gflops"].median(), "peak_share": runs["peak_share"].median()})
    return pd.DataFrame(rows)


def speedup_stats(times: pd.DataFrame, candidate: str = "vectorized", seed: int = 0) -> pd.DataFrame:
    """Speedup of ``candidate`` over each baseline engine per width and batch size."""
    rng = np.random.default_rng(seed)
    rows = []
    for (width, batch_size), group in times.groupby(["width", "batch_size"]):
        fast = group.loc[group["engine"] == candidate, "epoch_s"].to_numpy()
        for baseline in SPEEDUP_BASELINES:
            slow = group.loc[group["engine"] == baseline, "epoch_s"].to_numpy()
            if len(fast) == 0 or len(slow) == 0:
                continue
            speedup, low, high = ratio_of_sums(slow, fast, rng)
            rows.append({"baseline": baseline, "width": width, "batch_size": batch_size,
                         "baseline_s": slow.mean(), "candidate_s": fast.mean(),
                         "speedup": speedup, "low": low, "high": high})
    return pd.DataFrame(rows)


def timing_table(stats: pd.DataFrame, study: str = "engines") -> Table:
    rows = [{"engine": r.engine, "width": r.width, "batch": r.batch_size, "epochs timed": r.epochs,
             "median s/epoch": number(r.median_s),
             "IQR s/epoch": f"{number(r.q25_s)}–{number(r.q75_s)}",
             "samples/s": number(r.samples_per_s), "GFLOP/s": number(r.gflops),
             "share of peak": "—" if not np.isfinite(r.peak_share) else f"{100 * r.peak_share:.2g}%"}
            for r in stats.assign(rank=stats["engine"].map(engine_rank))
                          .sort_values(["rank", "engine", "batch_size", "width"]).itertuples()]
    return Table(f"{study}_timing", "Timing: seconds per training epoch", pd.DataFrame(rows),
                 "Median and interquartile range over every timed epoch of every run; samples/s, "
                 "GFLOP/s and share of the machine's matmul peak (nncore.probe): median over runs.")


def speedup_table(stats: pd.DataFrame, study: str = "engines",
                  candidate: str = "vectorized") -> Table:
    rows = [{"width": r.width, "batch": r.batch_size, "baseline": r.baseline,
             "baseline s/epoch": number(r.baseline_s), f"{candidate} s/epoch": number(r.candidate_s),
             "speedup": f"{number(r.speedup)}x",
             "95% CI": "—" if not np.isfinite(r.low) else f"{number(r.low)}–{number(r.high)}x"}
            for r in stats.sort_values(["baseline", "batch_size", "width"]).itertuples()]
    return Table(f"{study}_speedups", f"Speedup of {candidate} over the other engines", pd.DataFrame(rows),
                 "Speedup = summed (mean) epoch seconds of the baseline / those of "
                 f"{candidate}, never a mean of per-epoch ratios; 95% percentile bootstrap "
                 f"interval ({SPEEDUP_RESAMPLES} resamples of each engine's epochs).")
