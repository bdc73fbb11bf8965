"""The conformance kit never certifies an engine whose gradients, loss or errors are not finite:
a NaN never "stays under" a tolerance (issue 28, item 1)."""
from __future__ import annotations

import numpy as np
import pytest

from nncore.engines import conformance
from nncore.engines.vectorized import VectorizedEngine


class NaNGradients(VectorizedEngine):
    """Writes NaN into every gradient it computes."""

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        loss = super().summed_gradients(net, X, Y, grads, compute_loss, scale)
        grads[:] = np.nan
        return loss


class NaNLoss(VectorizedEngine):
    """Right gradients, NaN loss."""

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        super().summed_gradients(net, X, Y, grads, compute_loss, scale)
        return float("nan")


class AddsIntoBuffer(VectorizedEngine):
    """Adds its gradients into the buffer instead of overwriting it."""

    def summed_gradients(self, net, X, Y, grads, compute_loss=True, scale=1.0):
        mine = np.zeros_like(grads)
        loss = super().summed_gradients(net, X, Y, mine, compute_loss, scale)
        grads += mine
        return loss


GRADIENT_CHECKS = ("gradients_vs_numerical", "gradients_vs_vectorized", "batch_of_one")


@pytest.mark.parametrize("check", GRADIENT_CHECKS)
def test_nan_gradients_fail_every_gradient_check_named(check):
    outcomes = conformance.run_check(NaNGradients, check)
    assert outcomes and not any(o.passed for o in outcomes)
    assert all("non-finite gradient" in o.note for o in outcomes), outcomes[0].note


@pytest.mark.parametrize("check", GRADIENT_CHECKS)
def test_a_nan_loss_fails_its_check_named(check):
    outcomes = conformance.run_check(NaNLoss, check)
    assert outcomes and not any(o.passed for o in outcomes)
    assert all("non-finite loss" in o.note for o in outcomes), outcomes[0].note


@pytest.mark.parametrize("check", ("gradients_vs_vectorized", "batch_of_one"))
def test_an_engine_adding_into_the_buffer_fails_the_nan_filled_buffer_check(check):
    outcomes = conformance.run_check(AddsIntoBuffer, check)
    assert outcomes and not any(o.passed for o in outcomes)
    assert all("adds into the buffer" in o.note for o in outcomes), outcomes[0].note


def test_a_nan_error_fails_however_it_arose():
    outcome = conformance.Outcome("x", "case", float("nan"), 1e-6)
    assert not outcome.passed


def test_the_table_says_no_and_names_the_non_finite_gradient():
    table = conformance.format_table(conformance.run_check(NaNGradients, "gradients_vs_vectorized"))
    row = table.splitlines()[1]
    assert row.split()[0] == "gradients_vs_vectorized" and "NO" in row
    assert "non-finite gradient" in row


def test_check_engine_exits_1_on_nan_gradients(monkeypatch, capsys):
    from nnstudy import check_engine
    from nnstudy.cli import main

    monkeypatch.setattr(conformance, "CHECKS", {name: conformance.CHECKS[name]
                                                for name in GRADIENT_CHECKS})
    assert main(["check-engine", f"{__name__}:NaNGradients"]) == check_engine.EXIT_FAILED
    assert "FAILED" in capsys.readouterr().err


def test_a_finite_engine_still_passes():
    for check in GRADIENT_CHECKS:
        assert all(o.passed for o in conformance.run_check(VectorizedEngine, check))
