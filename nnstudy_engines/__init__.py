"""Engines for nnstudy built on other frameworks, shipped as plugins behind optional extras.

- ``torch_engine.TorchEngine`` (``nnstudy[torch]``), name ``torch``;
- ``jax_engine.JaxEngine`` (``nnstudy[jax]``), name ``jax``.

Each is registered in the entry-point group ``nnstudy.engines`` (pyproject.toml), so a spec names
it ``engine = "torch"``; nothing here is imported until an engine is made, and the framework only
then. They are plugins like any other: nncore knows nothing of them, and the conformance kit
(``nnstudy check-engine torch``) checks them as it checks nncore's own engines.
"""
