"""The pytest plugin every benchmark process loads, whatever commit its benchmarks come from.

Its folder goes on ``PYTHONPATH`` of the benchmark processes that ``nnstudy bench compare`` starts,
so ``-p nnstudy_bench_plugin`` finds it even in a checkout of a commit older than the plugin.
"""
