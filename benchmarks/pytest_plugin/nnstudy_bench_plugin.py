"""pytest plugin: each benchmark's peak memory (tracemalloc) and the machine fingerprint.

Self-contained (standard library, NumPy, threadpoolctl, pytest-benchmark): benchmark processes of
old commits load it with ``-p nnstudy_bench_plugin`` from this folder, next to their own code.

- After pytest-benchmark has timed a workload (``benchmark(f, ...)`` or ``benchmark.pedantic``),
  the workload runs once more under tracemalloc and its peak (bytes above what was allocated
  before the call) goes to ``extra_info["peak_memory_bytes"]``. Not under ``--benchmark-disable``.
- Right after each timed workload, ``reference_seconds()`` times a fixed workload (this file's, the
  same whichever commit is measured) and puts it in ``extra_info["reference_s"]``: ``compare``
  divides by it, so that a process that ran in a slow state (on this VM processes run in one of
  two states about 1.5x apart for their whole life) counts as the same speed as a fast one.
- ``machine_info["nnstudy"]`` gets ``fingerprint()``: what makes two timings comparable.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import time
import tracemalloc
from importlib import metadata

PEAK_KEY = "peak_memory_bytes"
REFERENCE_KEY = "reference_s"
REFERENCE_CALLS, REFERENCE_REPEATS = 200, 7
FINGERPRINT_KEYS = ("cpu", "cores", "blas", "blas_kernel", "blas_threads", "python", "numpy", "numba")


VECTOR_EXTENSIONS = ("avx512f", "avx512_bf16", "avx2", "fma", "avx", "sse4_2", "neon", "asimd")


def cpu_details() -> dict:
    """The CPU's model name, vendor, family and model numbers and the vector extensions it exposes
    (those of ``VECTOR_EXTENSIONS`` in /proc/cpuinfo's flags), as far as this system tells."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    flags = set((fields.get("flags") or fields.get("Features") or "").split())
    return {"name": fields.get("model name") or platform.processor() or platform.machine() or "unknown",
            "vendor": fields.get("vendor_id", platform.machine()), "family": fields.get("cpu family", "?"),
            "model": fields.get("model", "?"),
            "vector_extensions": [flag for flag in VECTOR_EXTENSIONS if flag in flags]}


def host_line() -> str:
    """One line naming the host of a measurement: CPU model, family/model, vector extensions, the
    BLAS NumPy calls (library, version, the kernel it runs, its threads), the cores and the load
    average (os.getloadavg) at the time of the call."""
    details, blas = cpu_details(), numpy_blas()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"host: {details['name']} ({details['vendor']} family {details['family']} model {details['model']}; "
            f"{' '.join(details['vector_extensions']) or 'no vector extensions listed'}), "
            f"BLAS {blas.get('internal_api', 'unknown')} {blas.get('version', '')} kernel "
            f"{blas.get('architecture', 'unknown')} with {blas.get('num_threads', '?')} thread(s), "
            f"{os.cpu_count()} cores, load average {load}")


def numpy_blas() -> dict:
    """threadpoolctl's record of the BLAS that NumPy calls (else the first BLAS pool it finds)."""
    import numpy  # noqa: F401  (loads NumPy's BLAS so that threadpoolctl sees it)
    from threadpoolctl import threadpool_info

    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    for pool in pools:
        if "numpy" in pool.get("filepath", ""):
            return pool
    return pools[0] if pools else {}


def version_of(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def fingerprint() -> dict:
    """CPU model and cores, BLAS (library and version, kernel, threads), Python, NumPy and numba
    versions of this process, and ``id``: a short hash of all of them (histories of different
    ids are never mixed). The kernel is what OpenBLAS runs (``OPENBLAS_CORETYPE`` can force an
    older one), so a different kernel is a different machine."""
    blas = numpy_blas()
    found = {
        "cpu": cpu_details()["name"],
        "cores": os.cpu_count(),
        "blas": f"{blas.get('internal_api', 'unknown')} {blas.get('version', '')}".strip(),
        "blas_kernel": str(blas.get("architecture", "unknown")),
        "blas_threads": int(blas.get("num_threads", 0)),
        "python": ".".join(platform.python_version_tuple()[:2]),
        "numpy": version_of("numpy"),
        "numba": version_of("numba"),
    }
    found["id"] = fingerprint_id(found)
    return found


def fingerprint_id(found: dict) -> str:
    """12 hex digits identifying the ``FINGERPRINT_KEYS`` values of ``found``."""
    text = json.dumps({key: found.get(key) for key in FINGERPRINT_KEYS}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def peak_bytes(function, args=(), kwargs=None) -> int:
    """Bytes allocated at the peak of one call ``function(*args, **kwargs)``, above the start."""
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        function(*args, **(kwargs or {}))
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        if not tracing:
            tracemalloc.stop()


def reference_seconds() -> float:
    """Seconds per call of a fixed workload, the fastest of ``REFERENCE_REPEATS`` batches of
    ``REFERENCE_CALLS`` calls (about 10 ms in all).

    It mixes what the benchmarks spend their time on: small products (BLAS's per-call cost),
    element-wise NumPy calls (Python and NumPy dispatch) and a 64 x 64 product (arithmetic), so
    that a slow state of the process slows it about as much as it slows them."""
    import numpy as np

    rng = np.random.default_rng(0)
    x, w1, w2 = rng.standard_normal((10, 2)), rng.standard_normal((2, 100)), rng.standard_normal((100, 1))
    square = rng.standard_normal((64, 64))

    def work():
        hidden = np.maximum(x @ w1, 0.0)
        delta = (hidden @ w2 - 1.0) @ w2.T * (hidden > 0)
        return float((x.T @ delta).sum() + (square @ square)[0, 0])

    best = float("inf")
    for _ in range(REFERENCE_REPEATS):
        started = time.perf_counter()
        for _ in range(REFERENCE_CALLS):
            work()
        best = min(best, (time.perf_counter() - started) / REFERENCE_CALLS)
    return best


def install_peak_memory() -> None:
    """Wrap pytest-benchmark's fixture calls so that each records its workload's peak memory and the
    reference workload's time right after it."""
    from pytest_benchmark.fixture import BenchmarkFixture

    if getattr(BenchmarkFixture, "_nnstudy_peak_memory", False):
        return  # loaded twice (the checkout's conftest and -p): wrap once
    timed_call, timed_pedantic = BenchmarkFixture.__call__, BenchmarkFixture.pedantic

    def call(self, function_to_benchmark, *args, **kwargs):
        result = timed_call(self, function_to_benchmark, *args, **kwargs)
        if not self.disabled:
            self.extra_info[PEAK_KEY] = peak_bytes(function_to_benchmark, args, kwargs)
            self.extra_info[REFERENCE_KEY] = reference_seconds()
        return result

    def pedantic(self, target, args=(), kwargs=None, setup=None, *rest, **options):
        result = timed_pedantic(self, target, args, kwargs, setup, *rest, **options)
        if not self.disabled:
            if setup is not None:
                made = setup()
                args, kwargs = made if made is not None else (args, kwargs)
            self.extra_info[PEAK_KEY] = peak_bytes(target, args, kwargs)
            self.extra_info[REFERENCE_KEY] = reference_seconds()
        return result

    BenchmarkFixture.__call__, BenchmarkFixture.pedantic = call, pedantic
    BenchmarkFixture._nnstudy_peak_memory = True


def pytest_configure(config):
    # Here, not at import: benchmarks.records imports the fingerprint keys from this file, and an
    # installed report has no pytest-benchmark to wrap.
    install_peak_memory()


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["nnstudy"] = fingerprint()
    machine_info["nnstudy_host"] = host_line()


def pytest_report_header(config):
    return host_line()
