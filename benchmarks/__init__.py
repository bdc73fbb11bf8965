"""pytest-benchmark suites, the regression comparison (``python -m benchmarks.compare``) and the
peer baselines (``test_peers.py``). A package so that ``benchmarks.compare`` runs with ``-m``."""
