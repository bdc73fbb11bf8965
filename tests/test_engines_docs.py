"""docs/engines.md states what the code does: the checks, tolerances, shapes, supports keys, the
entry-point group and the exit statuses."""
import re
import tomllib
from pathlib import Path

from nncore.engines import ENTRY_POINT_GROUP, SUPPORT_KEYS, conformance
from nnstudy import check_engine

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "engines.md").read_text()


def table_rows(heading_words: str) -> dict[str, str]:
    """First-column name -> whole row of the table whose header starts with ``heading_words``."""
    block = DOC.split(f"| {heading_words}", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in block.splitlines()[2:]:
        first = line.split("|")[1].strip().strip("`")
        rows[first] = line
    return rows


def short(value: float) -> str:
    return f"{value:.0e}".replace("e-0", "e-")


def test_the_docs_list_every_check_of_the_kit_in_order():
    assert list(table_rows("check |")) == list(conformance.CHECKS)


def test_the_docs_state_the_kits_tolerances():
    rows = table_rows("check |")
    for check in ("gradients_vs_vectorized", "batch_of_one", "training_vs_vectorized"):
        assert f"{short(conformance.TOLERANCE['float64'])} in float64" in rows[check]
        assert f"{short(conformance.TOLERANCE['float32'])} in float32" in rows[check]
    for check in ("train_epoch_hook", "evaluate_hook"):
        assert f"{short(conformance.HOOK_TOLERANCE['float64'])} in float64" in rows[check]
        assert f"{short(conformance.HOOK_TOLERANCE['float32'])} in float32" in rows[check]
    numerical = rows["gradients_vs_numerical"]
    assert f"{short(conformance.NUMERICAL_TOLERANCE['float64'])} (" in numerical
    assert f"{short(conformance.NUMERICAL_TOLERANCE['float32'])} in float32" in numerical


def test_the_docs_name_the_kits_shapes_and_batch():
    shapes = "four shapes (" + ", ".join("-".join(map(str, s)) for s in conformance.SHAPES) + ")"
    assert len(conformance.SHAPES) == 4 and shapes in DOC
    assert conformance.BATCH_ROWS == 5 and "on a batch of five" in DOC


def test_the_docs_list_the_supports_keys_and_every_value():
    rows = table_rows("key |")
    assert list(rows) == list(SUPPORT_KEYS)
    for key, row in rows.items():
        values = [v.strip() for v in row.split("|")[2].split(",")]
        assert values == list(conformance.DOMAIN[key]), key


def test_the_docs_exit_statuses_are_the_commands():
    assert (check_engine.EXIT_OK, check_engine.EXIT_FAILED, check_engine.EXIT_UNLOADABLE) == (0, 1, 2)
    assert "exits 0 when every check passes, 1 when any fails" in DOC
    assert "2 when the engine cannot be loaded" in DOC


def test_the_docs_entry_points_are_pyprojects():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    points = pyproject["project"]["entry-points"][ENTRY_POINT_GROUP]
    assert f'[project.entry-points."{ENTRY_POINT_GROUP}"]' in DOC
    shipped = table_rows("name | class")
    assert {name: re.search(r"`([\w.:]+)`", row.split("|")[2]).group(1)
            for name, row in shipped.items()} == points
    assert "torch==2.13.0" in pyproject["project"]["optional-dependencies"]["torch"]
