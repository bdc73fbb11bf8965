"""The peer table: nncore against PyTorch, JAX and scikit-learn, from ``results/peers/peers.parquet``.

That file is written by ``make bench-peers`` (``benchmarks/peers.py``), not by a study, so it is
read here directly (where it lives and its columns: ``benchmarks.records``).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.records import PEER_COLUMNS, PEER_FRAMEWORKS, PEERS_FILE

from .data import Messages
from .tables import Table, number


def load_peers(results: str | Path, messages: Messages) -> pd.DataFrame | None:
    """The peer rows; None when the file is absent (it is optional) or unreadable (a warning)."""
    path = Path(results) / PEERS_FILE
    if not path.exists():
        return None
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # a corrupt file must not cost the rest of the report
        messages.warn(f"peer baselines: cannot read {path} ({type(error).__name__}: {error}); left out")
        return None
    missing = set(PEER_COLUMNS) - set(frame.columns)
    if missing:
        messages.warn(f"peer baselines: {path} lacks columns {sorted(missing)}; left out")
        return None
    return frame


def peer_table(frame: pd.DataFrame) -> Table:
    """One row per network and dtype: seconds per epoch of each framework and peer / nncore."""
    rows = []
    for (case, dtype), group in frame.groupby(["case", "dtype"], sort=False):
        by = group.set_index("framework")
        row = {"network": case, "dtype": dtype}
        for framework in PEER_FRAMEWORKS:
            seconds = by["sec_per_epoch"].get(framework)
            row[f"{framework} s/epoch"] = number(seconds) if seconds is not None else "—"
        for framework in PEER_FRAMEWORKS[1:]:
            ratio = by["ratio_to_nncore"].get(framework)
            row[f"{framework} / nncore"] = f"{number(ratio)}x" if ratio is not None else "—"
        if "peak_share" in by and "nncore" in by.index:
            row["nncore share of peak"] = f"{100 * by.loc['nncore', 'peak_share']:.0f}%"
        rows.append(row)
    measured = ""
    if "measured_at" in frame and "blas_kernel" in frame:
        measured = (f" Measured {frame['measured_at'].astype(str).min()[:16]}, BLAS kernel "
                    f"{', '.join(sorted(frame['blas_kernel'].astype(str).unique()))}.")
    return Table("peers", "Peer baselines: seconds per epoch, one thread each", pd.DataFrame(rows),
                 "Median of interleaved rounds; nncore is its vectorized engine, and a ratio above 1 "
                 "means it is that many times faster (below 1 for nncore-compiled: the compiled "
                 "engine is 1/ratio times faster). Same network, batch size, plain SGD and steps in "
                 "every framework." + measured)
