"""The interactive charts without a browser: what a chart embeds, what it leaves out and says so,
and a page that inlines the chart library once and links nothing outside the folder."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from reports.build import build
from reports.interactive import curves, embed
from synthetic_results import make_results


def long_frame(runs: int, epochs: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [{"run_id": f"r{r}", "seed": r % 3, "width": 10 * (1 + r // 3), "epoch": e,
             "split": split, "value": float(np.exp(-e / 5) + rng.normal(0, 0.01) + 0.1)}
            for r in range(runs) for e in range(epochs) for split in ("training", "validation")]
    return pd.DataFrame(rows)


def test_a_chart_carries_the_means_and_the_seeds_and_names_each_configuration():
    chart = curves.curve_chart(long_frame(6, 5), "epoch", "loss", hue="width", style="split",
                               label=lambda width: f"{width} units")
    means, seeds = chart.spec["datasets"]["means"], chart.spec["datasets"]["seeds"]
    assert len(means) == 2 * 2  # a line per configuration and split, its points as lists
    assert [len(row[curves.X]) for row in means] == [5] * 4
    assert {n for row in means for n in row["n"]} == {3}
    assert {row[curves.SERIES] for row in means} == {"10 units", "20 units"}
    assert len(seeds) == 6 * 2 and sum(len(row[curves.VALUE]) for row in seeds) == 6 * 5 * 2
    assert chart.note == ""
    assert {param["name"] for param in chart.spec["params"]} == {"pick", "zoom", "brush", "seeds"}


def test_too_many_seed_points_are_left_out_and_the_note_says_so(monkeypatch):
    monkeypatch.setattr(curves, "MAX_SEED_ROWS", 100)
    monkeypatch.setattr(curves, "MAX_MEAN_ROWS", 30)
    chart = curves.curve_chart(long_frame(6, 20), "epoch", "loss", hue="width", style="split")
    assert "seeds" not in chart.spec["datasets"]
    assert "individual seeds not embedded (6 runs, 240 points)" in chart.note
    means = chart.spec["datasets"]["means"]
    assert sum(len(row[curves.X]) for row in means) <= 40
    assert "means shown at one epoch in 3 of 20" in chart.note
    assert {param["name"] for param in chart.spec["params"]} == {"pick", "zoom", "brush"}


def test_the_limits_in_the_docs_are_the_code_s():
    text = open("docs/reports.md", encoding="utf-8").read()
    assert f"exceed {curves.MAX_SEED_ROWS:,} points" in text.replace("\n  ", " ").replace("\n", " ")
    assert f"more than {curves.MAX_MEAN_ROWS:,} mean points" in text.replace("\n", " ")


def test_a_spec_with_nan_and_numpy_numbers_is_written_as_plain_json():
    chart = curves.Chart({"datasets": {"d": [{"a": float("nan"), "b": np.int64(3)}]}})
    html = embed.chart_html(chart, "chart-1")
    assert '{"a":null,"b":3}' in html and "NaN" not in html


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("interactive")
    return build(make_results(root / "results", studies=("width",)), root / "out", peers=False)


@pytest.mark.slow  # builds a report
def test_the_page_inlines_the_chart_library_once_and_fetches_nothing(page):
    text = (page.out / "index.html").read_text(encoding="utf-8")
    assert text.count("window.vegaEmbed=") == 1
    assert text.count("<div class='chart'") == 2  # loss against epoch and against seconds
    assert re.findall(r"<script[^>]+src=|<link[^>]+href=", text) == []
    assert "details class='png' open" in text  # the PNG stays for a reader without JavaScript
