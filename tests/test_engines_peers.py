"""The engines_peers study: nncore's engines beside torch and jax in one timed sweep, drawn by the
engines section, whose figures colour any engine the runs name."""
from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.image import imread

from experiments.catalog import default_studies, find_study
from reports.build import build
from reports.studies.engines import timing
from reports.studies.engines.winner import winner_heatmap, winner_stats
from synthetic_results import curve_rows, run_row, write_table

PEERS = ("loop", "vectorized", "compiled", "torch", "jax")
# seconds per epoch at batch 1 and 100, width 10 (doubling to width 50): each engine wins a cell
SECONDS = {"loop": (0.3, 0.3), "vectorized": (0.2, 0.006), "compiled": (0.017, 0.0014),
           "torch": (2.0, 0.03), "jax": (0.01, 0.003)}


def test_the_spec_names_every_engine_binds_the_engines_section_and_stays_out_of_the_default():
    study = find_study("engines_peers")
    assert {run.config["engine"] for run in study.runs} == set(PEERS)
    assert study.report == {"section": "engines"}
    assert study.timing and not study.default
    assert "engines_peers" not in [s.name for s in default_studies()]


def test_the_spec_runs_the_engines_studys_networks_data_and_batches():
    def configurations(study):  # every run's configuration but its engine
        return {repr(sorted((k, v) for k, v in run.config.items() if k != "engine"))
                for run in find_study(study).runs}

    assert configurations("engines_peers") == configurations("engines")


def write_peer_runs(results, study="engines_peers"):
    runs, curves = [], []
    for engine, (small, large) in SECONDS.items():
        for width in (10, 50):
            for batch_size, seconds in ((1, small), (100, large)):
                seconds *= width / 10
                run = run_row(study, engine=engine, layer_sizes=[2, width, 1], batch_size=batch_size,
                              epochs=3, epochs_run=3, sec_per_epoch=seconds,
                              samples_per_s=10000 / seconds, gflops=0.01 / seconds,
                              peak_share=0.0005 / seconds)
                runs.append(run)
                curves += curve_rows(run, 0.1, 0.1, epoch_s=seconds)
    write_table(results, study, "runs", runs)
    write_table(results, study, "curves", curves)


@pytest.mark.slow
def test_the_engines_section_draws_torch_and_jax_beside_nncores_engines(tmp_path):
    write_peer_runs(tmp_path / "results")
    report = build(tmp_path / "results", tmp_path / "out", ["engines_peers"])
    assert [text for level, text in report.messages if level == "warning"] == []
    [section] = report.sections
    assert section.title == "Engines (timing)"
    figures = [path for path, _ in section.figures]
    for name in ("sec_per_epoch", "winner", "roofline"):
        assert f"figures/engines_peers_{name}.png" in figures
        assert imread(tmp_path / "out" / "figures" / f"engines_peers_{name}.png").shape[0] > 100
    tables = {table.name: table.frame for table in section.tables}
    assert set(tables["engines_peers_timing"]["engine"]) == set(PEERS)
    crossover = tables["engines_peers_crossover"]
    assert any("jax" in column for column in crossover.columns)


def test_the_winner_map_names_the_peers_that_win(tmp_path):
    rows = [{"engine": engine, "width": 10, "batch_size": batch, "run_id": f"{engine}-{batch}",
             "epoch_s": seconds}
            for engine, pair in SECONDS.items() for batch, seconds in zip((1, 100), pair)]
    winners = winner_stats(pd.DataFrame(rows)).set_index("batch_size")
    assert (winners.loc[1, "winner"], winners.loc[1, "runner_up"]) == ("jax", "compiled")
    assert winners.loc[1, "factor"] == pytest.approx(1.7)
    winner_heatmap(winners.reset_index(), tmp_path / "winner.png")
    assert (tmp_path / "winner.png").stat().st_size > 0


def test_engine_colours_cover_names_never_seen_with_a_neutral_fallback():
    names = [f"mymodule:Engine{i}" for i in range(12)] + ["jax", "vectorized", "loop"]
    colors = timing.engine_colors(names)
    assert list(colors)[:2] == ["loop", "vectorized"]  # nncore's first, in ENGINE_ORDER
    distinct = [c for c in colors.values() if c != timing.NEUTRAL]
    assert len(distinct) == len(set(distinct)) == 10  # the palette, each colour once
    assert list(colors.values())[-5:] == [timing.NEUTRAL] * 5
    # the same mapping whatever order or repetition the runs table gives
    assert timing.engine_colors(list(reversed(names)) * 2) == colors
