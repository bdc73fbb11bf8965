"""What stops a conformance check short of its comparison: a value that is not finite (a NaN
compares False with every tolerance, so it must be caught before the comparison) and a time limit
(an engine that hangs). Used by ``conformance``; the failures are named in the check's row.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

import numpy as np


class NotFinite(Exception):
    """An engine's gradient, loss or parameters hold NaN or inf: its check fails, so named."""


def require_finite(what: str, values, hint: str = "") -> None:
    """``NotFinite`` naming ``what`` and how many of its entries are NaN or infinite."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise NotFinite(f"non-finite {what}: {int(np.isnan(values).sum())} NaN and "
                        f"{int(np.isinf(values).sum())} inf of {values.size} entries{hint}")


class CheckTimeout(BaseException):
    """A check outlasted its time limit. Not an ``Exception``: an engine's own ``except
    Exception`` (and the kit's, which turns an engine's error into a failed case) lets it by."""


@contextmanager
def time_limit(seconds: float | None):
    """Raise ``CheckTimeout`` in this block after ``seconds`` of wall time (SIGALRM: the main
    thread only, and only between Python bytecodes; elsewhere, or with None, no limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise CheckTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
