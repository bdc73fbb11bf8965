"""Evidence on demand (issue 25): a spec's ``[resolve]`` table adds seeds, round by round, only to
the grid points of comparisons still open, with verdicts valid under that adaptive stopping.

``sequential``: the statistics (the one place verdicts come from); ``table``: the ``[resolve]``
table parsed and its comparisons; ``rounds``: the rounds replayed from stored runs (what the
sweep runs next, what ``plan`` and ``status`` count, what the report shows).
"""
