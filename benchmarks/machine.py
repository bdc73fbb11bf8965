"""What makes two benchmark runs comparable: the CPU, the BLAS library and kernel, the thread count,
the Python, NumPy and numba versions (``fingerprint()``, stored in every run and history row).

The definition lives in the pytest plugin, which benchmark processes of any commit load.
"""
from __future__ import annotations

from benchmarks.pytest_plugin.nnstudy_bench_plugin import FINGERPRINT_KEYS, fingerprint, fingerprint_id, host_line

__all__ = ["FINGERPRINT_KEYS", "fingerprint", "fingerprint_id", "differences", "host_line"]


def differences(saved: dict, current: dict) -> dict[str, tuple]:
    """``{key: (saved, current)}`` for the fingerprint keys whose values differ."""
    return {key: (saved.get(key), current.get(key)) for key in FINGERPRINT_KEYS
            if saved.get(key) != current.get(key)}
