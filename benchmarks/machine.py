"""What makes two benchmark runs comparable: the CPU, the BLAS library and kernel, the thread count.

``fingerprint()`` is stored in every saved run (``machine_info["nnstudy"]``, see conftest.py) and
``benchmarks.compare`` refuses to compare runs whose ``COMPARED_KEYS`` differ.
"""
from __future__ import annotations

import os
import platform

import numpy as np
from threadpoolctl import threadpool_info

from experiments.provenance import cpu_model

COMPARED_KEYS = ("cpu", "cores", "blas", "blas_kernel", "blas_threads", "python")


def numpy_blas() -> dict:
    """threadpoolctl's record of the BLAS that NumPy calls (the first BLAS pool it finds)."""
    for pool in threadpool_info():
        if pool.get("user_api") == "blas" and "numpy" in pool.get("filepath", ""):
            return pool
    blas_pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return blas_pools[0] if blas_pools else {}


def fingerprint() -> dict:
    """CPU, BLAS (library, version, kernel, threads), Python and NumPy versions of this process.

    The BLAS kernel is what OpenBLAS actually runs (``OPENBLAS_CORETYPE`` can force an older one),
    so a run with a different kernel is a different machine for comparison purposes.
    """
    blas = numpy_blas()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "blas": f"{blas.get('internal_api', 'unknown')} {blas.get('version', '')}".strip(),
        "blas_kernel": str(blas.get("architecture", "unknown")),
        "blas_threads": int(blas.get("num_threads", 0)),
        "python": ".".join(platform.python_version_tuple()[:2]),
        "numpy": np.__version__,
    }


def differences(saved: dict, current: dict) -> dict[str, tuple]:
    """``{key: (saved, current)}`` for the compared keys that differ."""
    return {key: (saved.get(key), current.get(key)) for key in COMPARED_KEYS
            if saved.get(key) != current.get(key)}
