"""pytest-benchmark suites, the side-by-side comparison of commits (``nnstudy bench``, see
``benchmarks.cli``), the benchmark history and the peer baselines (``test_peers.py``). A package so
that its modules run with ``-m`` and the ``nnstudy`` command imports them."""
