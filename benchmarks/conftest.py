"""Shared set-up for the pytest-benchmark suites: every saved run records what makes it comparable
(``machine_info["nnstudy"]``) and each benchmark's peak memory (``extra_info``), see
``benchmarks/pytest_plugin/nnstudy_bench_plugin.py``."""
from benchmarks.pytest_plugin.nnstudy_bench_plugin import (  # noqa: F401
    pytest_benchmark_update_machine_info, pytest_configure)
