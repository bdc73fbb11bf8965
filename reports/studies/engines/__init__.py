"""The engines timing study: seconds per epoch, speedups, the fastest engine per cell, the
crossover batch sizes and a roofline view. Its modules: ``timing`` (epoch times, statistics,
speedups), ``winner`` (fastest engine and crossovers), ``roofline``."""
from __future__ import annotations

from . import roofline, timing, winner

TITLE = "Engines (timing)"
ORDER = 50


def section(b) -> None:
    times = b.attempt("epoch times", lambda: timing.epoch_times(b.study))
    if times is None or times.empty:
        b.messages.warn(f"study '{b.study.name}': no timed epochs; timing left out")
        return
    # One colour per engine across the section's figures, whatever engines the runs name.
    colors = timing.engine_colors(b.study.ok["engine"])
    stats = b.attempt("timing statistics", lambda: timing.timing_stats(b.study, times))
    speedups = b.attempt("speedups", lambda: timing.speedup_stats(times))
    if stats is not None and len(stats):
        b.figure(f"{b.study.name}_sec_per_epoch.png", "Seconds per epoch against width per engine.",
                 lambda p: timing.engine_times(stats, p, colors),
                 lambda: timing.times_chart(b.study, times))
        b.table("timing", lambda: timing.timing_table(stats, b.study.name))
    if speedups is not None and len(speedups):
        b.figure(f"{b.study.name}_speedups.png", "Speedup of the vectorized engine.",
                 lambda p: timing.engine_speedups(speedups, p))
        b.table("speedups", lambda: timing.speedup_table(speedups, b.study.name))
    winner.add_to_section(b, times, colors)
    b.figure(f"{b.study.name}_roofline.png", "Achieved GFLOP/s against arithmetic intensity, the "
             "measured matmul peak as the ceiling.", lambda p: roofline.roofline(b.study, p, colors))
