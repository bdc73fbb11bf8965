"""Two commits side by side: each one's own benchmarks, in alternating processes, on one machine.

``nnstudy bench compare BASE [HEAD] [-k EXPR]`` checks BASE (and HEAD, default: the working tree as
it is) out into temporary git worktrees and runs rounds in the order A B B A A B B A ..., one fresh
process each, so that a slow spell of a shared machine hits both sides alike. The per-round values
(``benchmarks.rounds``) go to ``benchmarks.stats``; the table goes to stdout, the raw samples to a
Parquet file, the medians to the history store.

Times are compared **normalised** by default (``--normalize reference``): each round's value is
divided by the plugin's reference workload, timed right after that benchmark in the same process,
and multiplied by the median reference of all rounds, so it still reads in seconds. On this VM a
process runs in one of two states about 1.5x apart for its whole life; the reference, the same code
on both sides, slows with it, and the quotient does not. Memory is never normalised.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import gitrepo, noise, stats
from benchmarks.gitrepo import Side
from benchmarks.rounds import benchmark_files, run_round

METRICS = ("time_s", "peak_bytes")
SAMPLE_COLUMNS = ("benchmark", "metric", "side", "commit", "dirty", "round", "value", "reference_s")
NORMALIZATIONS = ("reference", "none")


@dataclass(frozen=True)
class Options:
    """How to compare: ``rounds`` processes per side after ``warmup`` untimed ones; thresholds as
    fractions (0.10 = 10%)."""

    selection: str | None = None
    rounds: int = 10
    warmup: int = 1
    threshold: float = stats.THRESHOLD
    alpha: float = stats.ALPHA
    max_spread: float = stats.MAX_SPREAD
    noise_factor: float = stats.NOISE_FACTOR
    cpu: int | None = None          # every round pinned to this CPU (None: wherever the OS puts it)
    normalize: str = "reference"    # times divided by the reference workload of their process, or "none"


@dataclass
class Outcome:
    """A finished comparison; ``exit_code`` is 1 when any benchmark is slower, else 0."""

    base: Side
    head: Side
    comparisons: list[stats.Comparison]
    samples: pd.DataFrame
    fingerprint: dict
    only_base: list[str] = field(default_factory=list)
    only_head: list[str] = field(default_factory=list)

    @property
    def slower(self) -> list[stats.Comparison]:
        return [c for c in self.comparisons if c.verdict == "slower"]

    @property
    def exit_code(self) -> int:
        return 1 if self.slower else 0


def schedule(rounds: int) -> list[str]:
    """Which side each round runs: base head, head base, base head, ... (A B B A A B ...)."""
    pairs = [("base", "head") if i % 2 == 0 else ("head", "base") for i in range(rounds)]
    return [label for pair in pairs for label in pair]


def collect(base: Side, head: Side, options: Options) -> tuple[pd.DataFrame, dict]:
    """Run the warm-ups and the alternating rounds; the samples (``SAMPLE_COLUMNS``) and the
    machine fingerprint the benchmark processes reported."""
    sides = {"base": base, "head": head}
    files = {label: benchmark_files(side, options.selection) for label, side in sides.items()}
    for _ in range(options.warmup):     # timed like a round, then dropped: imports, numba's cache
        for label, side in sides.items():
            run_round(side, files[label], options.selection, options.cpu)
    rows, fingerprint = [], {}
    for index, label in enumerate(schedule(options.rounds)):
        side = sides[label]
        measured, fingerprint = run_round(side, files[label], options.selection, options.cpu)
        for m in measured:
            common = {"benchmark": m.benchmark, "side": label, "commit": side.commit,
                      "dirty": side.dirty, "round": index}
            rows.append({**common, "metric": "time_s", "value": m.time_s,
                         "reference_s": np.nan if m.reference_s is None else m.reference_s})
            if m.peak_bytes is not None:
                rows.append({**common, "metric": "peak_bytes", "value": m.peak_bytes})
    return pd.DataFrame(rows, columns=list(SAMPLE_COLUMNS)), fingerprint


def normalized(group: pd.DataFrame) -> np.ndarray | None:
    """The rounds' times divided by the reference workload of their own process, times the median
    reference of all of them (seconds at the typical state); None if a round has no reference."""
    if "reference_s" not in group:
        return None
    reference = group["reference_s"].to_numpy(dtype=float)
    if not np.all(np.isfinite(reference) & (reference > 0)):
        return None
    return group["value"].to_numpy(dtype=float) / reference * float(np.median(reference))


def side_values(group: pd.DataFrame, metric: str, normalize: str) -> tuple[np.ndarray, np.ndarray, float]:
    """One benchmark's base and head values as compared (normalised times where possible) and the
    ratio of the raw medians."""
    raw = group["value"].to_numpy(dtype=float)
    values = normalized(group) if metric == "time_s" and normalize == "reference" else None
    values = raw if values is None else values
    is_base = (group["side"] == "base").to_numpy()
    raw_base, raw_head = raw[is_base], raw[~is_base]
    raw_ratio = float("nan")
    if len(raw_base) and len(raw_head) and np.median(raw_base) != 0:
        raw_ratio = float(np.median(raw_head) / np.median(raw_base))
    return values[is_base], values[~is_base], raw_ratio


def compare_samples(samples: pd.DataFrame, options: Options,
                    calibrated: dict[tuple[str, str], float] | None = None
                    ) -> tuple[list[stats.Comparison], list[str], list[str]]:
    """Verdicts on every (benchmark, metric) both sides measured, and the benchmarks only in the
    base / only in the head samples; ``calibrated`` maps (benchmark, metric) to its noise."""
    calibrated = calibrated or {}
    by_side = {label: set(samples.loc[samples.side == label, "benchmark"]) for label in ("base", "head")}
    measured = []
    for (benchmark, metric), group in samples.groupby(["benchmark", "metric"], sort=True):
        base, head, raw_ratio = side_values(group, metric, options.normalize)
        if len(base) and len(head):
            threshold = stats.effective_threshold(options.threshold, calibrated.get((benchmark, metric)),
                                                  options.noise_factor)
            c = stats.measure(benchmark, metric, base, head, threshold, options.alpha)
            measured.append(replace(c, raw_ratio=raw_ratio))
    decided = stats.decide(measured, options.alpha, options.max_spread, calibrated)
    return (decided, sorted(by_side["base"] - by_side["head"]), sorted(by_side["head"] - by_side["base"]))


def compare_sides(base: Side, head: Side, options: Options, noise_path: Path | None = None) -> Outcome:
    """Run both sides and decide; thresholds use the noise calibrated (``noise_path``) on the
    machine the benchmark processes report."""
    samples, fingerprint = collect(base, head, options)
    calibrated = noise.load(noise_path, fingerprint.get("id", "")) if noise_path else {}
    comparisons, only_base, only_head = compare_samples(samples, options, calibrated)
    return Outcome(base, head, comparisons, samples, fingerprint, only_base, only_head)


@contextlib.contextmanager
def checked_out(root: Path, base_ref: str, head_ref: str | None):
    """BASE and HEAD as ``Side``s: temporary worktrees, or the checkout itself for HEAD=None."""
    base_commit = gitrepo.resolve(root, base_ref)
    head_commit = None if head_ref is None else gitrepo.resolve(root, head_ref)
    with contextlib.ExitStack() as stack:
        base = stack.enter_context(gitrepo.worktree(root, base_commit, "base"))
        head = (gitrepo.working_tree(root) if head_commit is None
                else stack.enter_context(gitrepo.worktree(root, head_commit, "head")))
        yield base, head


def save_samples(outcome: Outcome, folder: Path) -> Path:
    """The raw per-round samples as ``folder/<UTC time>-<base>-<head>.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-{outcome.base.commit[:10]}-{outcome.head.short}.parquet"
    table = outcome.samples.assign(fingerprint_id=outcome.fingerprint.get("id", "unknown"))
    table.to_parquet(path.with_suffix(".tmp"), index=False)
    path.with_suffix(".tmp").replace(path)
    return path


def format_value(value: float, metric: str) -> str:
    if metric == "peak_bytes":
        for unit, factor in (("MB", 1e6), ("kB", 1e3)):
            if abs(value) >= factor:
                return f"{value / factor:.2f} {unit}"
        return f"{value:.0f} B"
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if value >= factor:
            return f"{value / factor:.3f} {unit}"
    return f"{value / 1e-9:.1f} ns"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.2g}"


def format_table(comparisons: list[stats.Comparison]) -> str:
    """One line per benchmark and metric: medians, ratio [95% interval], ratio of the raw medians
    (before normalising), ratio of the fastest rounds, p, Holm's p, threshold, verdict."""
    names = [c.benchmark.split("::")[-1] for c in comparisons]
    width = max([len(name) for name in names] + [9])
    lines = [f"{'benchmark':<{width}}  {'metric':<6}  {'base':>10}  {'head':>10}  {'ratio [95% interval]':>22}"
             f"  {'raw':>6}  {'fastest':>7}  {'p':>7}  {'p Holm':>7}  {'limit':>6}  verdict"]
    for name, c in zip(names, comparisons):
        interval = f"{c.ratio:.3f} [{c.ci_low:.3f}, {c.ci_high:.3f}]"
        lines.append(f"{name:<{width}}  {'time' if c.metric == 'time_s' else 'memory':<6}  "
                     f"{format_value(c.base_median, c.metric):>10}  {format_value(c.head_median, c.metric):>10}  "
                     f"{interval:>22}  {c.raw_ratio:>6.3f}  {c.fastest_ratio:>7.3f}  {_p(c.p_value):>7}  "
                     f"{_p(c.p_holm):>7}  {c.threshold:>6.0%}  {c.verdict}")
    return "\n".join(lines)


def normalization_line(samples: pd.DataFrame, normalize: str) -> str:
    """What the time column is: raw, or divided by the reference workload (and how far apart the
    states of the processes were, by the reference's fastest and slowest round)."""
    reference = samples.loc[samples.metric == "time_s", "reference_s"].to_numpy(dtype=float) \
        if "reference_s" in samples else np.array([])
    if normalize == "none":
        return "times: raw per-round values (--normalize none)"
    if len(reference) == 0 or not np.all(np.isfinite(reference)):
        return "times: raw per-round values (some rounds recorded no reference workload)"
    return (f"times: each round's divided by the reference workload timed right after it in the same "
            f"process (reference {format_value(reference.min(), 'time_s')} to "
            f"{format_value(reference.max(), 'time_s')}, x{reference.max() / reference.min():.2f}); "
            f"'raw' is the ratio before that")


def report(outcome: Outcome, options: Options) -> str:
    """The table and the lines around it that say what was compared and how."""
    n_rounds = options.rounds
    lines = [f"base {outcome.base.short} ({outcome.base.path}) against head {outcome.head.short} "
             f"({outcome.head.path}): {n_rounds} rounds each, alternating, one process per round"
             + (f", pinned to CPU {options.cpu}" if options.cpu is not None else ""),
             normalization_line(outcome.samples, options.normalize), "", format_table(outcome.comparisons)]
    for label, names in (("only in base", outcome.only_base), ("only in head", outcome.only_head)):
        if names:
            lines.append(f"\n{label} (not compared): " + ", ".join(n.split("::")[-1] for n in names))
    timed = [c for c in outcome.comparisons if c.metric == "time_s"]
    if stats.smallest_p_value(n_rounds, n_rounds) >= options.alpha:
        lines.append(f"\nnote: {n_rounds} rounds a side allow no Mann-Whitney p below {options.alpha:g}; "
                     "verdicts rest on the ratio's 95% interval (add --rounds)")
    elif not stats.holm_can_reach(n_rounds, n_rounds, len(timed), options.alpha):
        lines.append(f"\nnote: {n_rounds} rounds a side cannot pass Holm's level over {len(timed)} "
                     "benchmarks; add --rounds or narrow -k for p-values that can decide")
    counts = {v: sum(c.verdict == v for c in outcome.comparisons) for v in stats.VERDICTS}
    lines.append("\n" + ", ".join(f"{counts[v]} {v}" for v in stats.VERDICTS)
                 + f" (of {len(outcome.comparisons)} benchmark metrics)")
    return "\n".join(lines)
