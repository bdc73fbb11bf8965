"""The engines report's winner per (width, batch) cell and crossover batch sizes, on made-up timings."""
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from reports.studies.engines.winner import (crossover_stats, crossover_table, winner_heatmap,
                                            winner_stats)

BATCHES = (1, 10, 100, 1000)


def timed_epochs(seconds_of) -> pd.DataFrame:
    """Three epochs per engine, width and batch size; ``seconds_of(engine, width, batch)`` is the
    median, the other two epochs 10% either side of it."""
    rows = []
    for engine in ("loop", "vectorized", "compiled"):
        for width in (10, 100):
            for batch in BATCHES:
                median = seconds_of(engine, width, batch)
                for epoch, spread in enumerate((0.9, 1.0, 1.1), start=1):
                    rows.append({"engine": engine, "width": width, "batch_size": batch,
                                 "run_id": f"{engine}-{width}-{batch}", "epoch_s": median * spread})
    return pd.DataFrame(rows)


def seconds(engine, width, batch):
    # loop: flat in the batch size (width / 10); vectorized: 10 / batch (equal to loop at batch 10
    # for width 10); compiled: always 4x faster than vectorized.
    loop = 1.0 * width / 10
    vectorized = 10.0 / batch
    return {"loop": loop, "vectorized": vectorized, "compiled": vectorized / 4}[engine]


def test_each_cell_names_the_fastest_engine_and_its_factor_over_the_runner_up():
    winners = winner_stats(timed_epochs(seconds)).set_index(["width", "batch_size"])
    cell = winners.loc[(10, 1)]  # loop 1 s, vectorized 10 s, compiled 2.5 s
    assert (cell["winner"], cell["runner_up"]) == ("loop", "compiled")
    assert cell["factor"] == pytest.approx(2.5)
    cell = winners.loc[(100, 100)]  # loop 10 s, vectorized 0.1 s, compiled 0.025 s
    assert (cell["winner"], cell["runner_up"], cell["factor"]) == ("compiled", "vectorized", pytest.approx(4.0))
    assert len(winners) == 8


def test_a_cell_timed_by_one_engine_has_no_winner():
    times = timed_epochs(seconds)
    times = times[~((times["width"] == 10) & (times["batch_size"] == 1) & (times["engine"] != "loop"))]
    winners = winner_stats(times)
    assert len(winners) == 7
    assert not ((winners["width"] == 10) & (winners["batch_size"] == 1)).any()


def test_the_crossover_is_interpolated_where_the_ratio_crosses_one():
    stats = crossover_stats(timed_epochs(seconds)).set_index(["width", "engines"])
    # Width 10: loop 1 s against vectorized 10 / batch: equal exactly at batch 10, a grid point;
    # the faster changes between 10 (a tie counts for the first) and 100.
    row = stats.loc[(10, "loop / vectorized")]
    assert (row["faster_small"], row["faster_large"]) == ("loop", "vectorized")
    assert len(row["crossovers"]) == 1 and 10 <= row["crossovers"][0] <= 100
    # Width 100: loop 10 s, vectorized 10 / batch: equal at batch 1, then vectorized ahead.
    row = stats.loc[(100, "loop / compiled")]  # compiled = 2.5 / batch: crosses at batch 0.25
    assert row["faster_small"] == row["faster_large"] == "compiled"
    assert row["crossovers"] == []
    assert row["ratio_small"] == pytest.approx(4.0) and row["ratio_large"] == pytest.approx(4000.0)


def test_crossover_between_grid_points_lies_on_the_log_log_line():
    def timing(engine, width, batch):  # vectorized = 30 / batch against loop = 1: equal at 30
        return {"loop": 1.0, "vectorized": 30.0 / batch, "compiled": 1e3}[engine]
    stats = crossover_stats(timed_epochs(timing)).set_index(["width", "engines"])
    assert stats.loc[(10, "loop / vectorized"), "crossovers"] == [pytest.approx(30.0)]


def test_a_lead_that_changes_twice_lists_both_crossovers_in_order():
    def timing(engine, width, batch):  # vectorized ahead only at batch 10 and 100
        return {"loop": 1.0, "vectorized": {1: 2.0, 10: 0.5, 100: 0.5, 1000: 2.0}[batch],
                "compiled": 1e3}[engine]
    table = crossover_table(crossover_stats(timed_epochs(timing), {"loop", "vectorized"}))
    assert list(table.frame.columns) == ["width", "loop / vectorized"]
    text = table.frame.loc[0, "loop / vectorized"]
    assert text.startswith("≈3.2: loop → vectorized; ≈316: vectorized → loop (2x at 1, 2x at 1000)")


def test_crossover_table_has_one_row_per_width_and_a_column_per_pair():
    table = crossover_table(crossover_stats(timed_epochs(seconds)))
    assert list(table.frame["width"]) == [10, 100]
    assert {"loop / vectorized", "loop / compiled", "vectorized / compiled"} <= set(table.frame.columns)
    assert table.frame.loc[1, "vectorized / compiled"].startswith("none: compiled faster (4x at 1")


def test_winner_heatmap_writes_a_readable_png(tmp_path):
    path = tmp_path / "winner.png"
    winner_heatmap(winner_stats(timed_epochs(seconds)), path)
    image = imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 400
    assert np.ptp(image[..., :3]) > 0.5  # not a blank canvas


def test_the_timing_table_says_what_its_peak_is_and_prints_shares_above_100_plainly():
    """The compiled engine beats NumPy matmul called from Python at small batches: its share of
    that "peak" passes 100%, printed as 826%, not 8.3e+02%, and the caption says why."""
    import pandas as pd

    from reports.studies.engines.timing import timing_table

    stats = pd.DataFrame([{"engine": engine, "width": 10, "batch_size": 1, "runs": 1, "epochs": 3,
                           "median_s": 0.001, "q25_s": 0.001, "q75_s": 0.001, "samples_per_s": 1e6,
                           "gflops": 1.0, "peak_share": share}
                          for engine, share in (("compiled", 8.26), ("loop", 0.0047))])
    table = timing_table(stats)
    shares = dict(zip(table.frame["engine"], table.frame["share of peak"]))
    assert shares == {"compiled": "826%", "loop": "0.47%"}
    assert "called from Python" in table.caption and "passes 100%" in table.caption
