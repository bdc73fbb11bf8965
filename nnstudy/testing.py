"""The conformance kit in a plugin's own test suite, in the manner of scikit-learn's
``parametrize_with_checks``::

    from nnstudy.testing import parametrize_with_checks

    @parametrize_with_checks(["mymodule:MyEngine"])   # names, classes or instances
    def test_my_engine(engine, check):
        check(engine)

One test per engine and check (``nncore.engines.conformance.CHECKS``), each covering every
configuration the engine supports; a failing test names the check and the configurations that
failed. This module sits outside nncore because it imports pytest; the checks themselves are in
``nncore.engines.conformance``.
"""
from __future__ import annotations

import functools

from nncore.engines import conformance, engine_label


def assert_check(name: str, engine) -> None:
    """Run one check on ``engine``; ``AssertionError`` listing its failures (as the kit's table)."""
    outcomes = conformance.run_check(engine, name)
    failed = [o for o in outcomes if not o.passed]
    if failed:
        raise AssertionError(f"{engine_label(engine)} fails {name} in {len(failed)} of "
                             f"{len(outcomes)} configurations:\n"
                             + conformance.format_table(failed, every_case=True))


def parametrize_with_checks(engines):
    """A ``pytest.mark.parametrize`` over (engine, check) for every engine and kit check; the
    test calls ``check(engine)``."""
    import pytest

    params = [pytest.param(engine, functools.partial(assert_check, name),
                           id=f"{engine_label(engine)}-{name}")
              for engine in engines for name in conformance.CHECKS]
    return pytest.mark.parametrize(("engine", "check"), params)
