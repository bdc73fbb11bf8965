"""Every scorecard row says how to fill it: a claim whose study has no results names the sweep
that produces it and its estimated time from the cost model; a claim judged on data keeps its own
words."""
import re

import pytest

from experiments import catalog, progress
from experiments.backends import default_workers
from experiments.cost_model import format_seconds, sweep_seconds
from reports.claims import NO_DATA, Claim
from reports.fill_hints import claim_keys, with_fill_hints
from reports.scorecard import scorecard
from reports.studies import discover

HINT = re.compile(r"^no results: `nnstudy sweep (\w+)( --quick)?( --results \S+)?` \(~([\d.]+ (s|min|h))\)$")


@pytest.fixture(scope="module")
def sections():
    return discover()[0]


def test_every_claim_without_results_names_its_sweep_and_time(sections, tmp_path):
    claims = with_fill_hints(scorecard({}, sections), sections, set(), str(tmp_path), quick=False)
    assert claims and all(claim.holds == NO_DATA for claim in claims)
    for claim, key in zip(claims, claim_keys(sections)):
        found = HINT.match(claim.ours)
        assert found, f"{claim.id}: {claim.ours!r}"
        study = catalog.find_study(found.group(1))
        assert key in (study.name, study.report.get("section"))
        assert found.group(3) == f" --results {tmp_path}"
        expected = sweep_seconds(study, progress.stored_runs(str(tmp_path), study.name), default_workers())
        assert found.group(4) == format_seconds(max(expected, 1.0))  # the cost model's figure, not another


def test_the_default_results_folder_and_quick_runs_are_named_as_a_user_types_them(sections, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (claim,) = [c for c in with_fill_hints(scorecard({}, sections), sections, set(), "results", quick=True)
                if c.id == "xor-solved"]
    assert claim.ours.startswith("no results: `nnstudy sweep classics --quick` (~")


def test_a_claim_whose_study_is_reported_keeps_the_judges_words(sections, tmp_path):
    claims = scorecard({}, sections)
    keys = claim_keys(sections)
    judged = [Claim(c.claim, c.published, "metric missing", NO_DATA, c.id) for c in claims]
    filled = with_fill_hints(judged, sections, set(keys), str(tmp_path), quick=False)
    assert [claim.ours for claim in filled] == ["metric missing"] * len(claims)
