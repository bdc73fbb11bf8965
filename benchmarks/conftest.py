"""Shared set-up for the pytest-benchmark suites: every saved run records what makes it comparable."""
from benchmarks.machine import fingerprint


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["nnstudy"] = fingerprint()
