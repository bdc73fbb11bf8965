"""What makes two benchmark runs comparable: the CPU, the BLAS library and kernel, the thread count,
the Python, NumPy and numba versions (``fingerprint()``, stored in every run and history row).

The definition lives in the pytest plugin, which benchmark processes of any commit load.
"""
from __future__ import annotations

from benchmarks.pytest_plugin.nnstudy_bench_plugin import FINGERPRINT_KEYS, fingerprint, fingerprint_id, host_line

__all__ = ["FINGERPRINT_KEYS", "fingerprint", "fingerprint_id", "host_line"]
