"""Which studies the default sweep (``make report``) runs: every shipped study that costs under a
minute on 2 cores by the cost model, unless it needs an optional extra (a plugin engine such as
torch or jax, absent from a core install)."""
import pytest

from experiments import catalog, progress
from experiments.cost_model import sweep_seconds
from experiments.spec import load_spec
from nncore.engines import ENGINES

TWO_CORES, A_MINUTE = 2, 60.0


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> list[tuple[str, bool, bool, float]]:
    """(name, default, needs an extra, estimated seconds on 2 cores with nothing stored) per study."""
    empty = tmp_path_factory.mktemp("results")
    rows = []
    for path in catalog.spec_paths():
        study = load_spec(path)
        needs_an_extra = bool({run.config["engine"] for run in study.runs} - set(ENGINES))
        seconds = sweep_seconds(study, progress.stored_runs(empty, study.name), TWO_CORES)
        rows.append((study.name, study.default, needs_an_extra, seconds))
    return rows


def test_every_study_under_a_minute_on_two_cores_is_default(shipped):
    cheap = [f"{name} (~{seconds:.0f} s)" for name, default, extra, seconds in shipped
             if not default and not extra and seconds < A_MINUTE]
    assert cheap == []


def test_the_rule_sees_the_studies_it_leaves_out(shipped):
    """Non-default studies on both sides of the rule: too dear, or needing an extra."""
    left_out = [(extra, seconds) for _, default, extra, seconds in shipped if not default]
    assert any(extra for extra, _ in left_out)
    assert any(seconds >= A_MINUTE for extra, seconds in left_out if not extra)
