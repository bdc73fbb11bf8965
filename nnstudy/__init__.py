"""nnstudy: the one command (``nnstudy sweep|plan|list|status|report``) over the three layers.

``nncore`` (the network) <- ``experiments`` (specs, runs, results) <- ``reports`` (figures,
tables). This package sits above all three so that one entry point may use both ``experiments``
and ``reports``, which never import each other the other way round.
"""
