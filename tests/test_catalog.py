"""The study catalog: shipped studies, the quick rule and where results live, in one place."""
import pytest

from experiments import catalog, names
from experiments.store import write_shard


def test_quick_names_round_trip():
    assert names.quick_name("width") == "width" + names.QUICK_SUFFIX == "width-quick"
    assert names.split_quick("width-quick") == ("width", True)
    assert names.split_quick("width") == ("width", False)
    assert names.split_quick("quickly") == ("quickly", False)


@pytest.mark.parametrize("name, ok", [
    ("width", True), ("my_study-2", True), ("a" * names.MAX_NAME_LENGTH, True),
    ("a" * (names.MAX_NAME_LENGTH + 1), False), ("width-quick", False), ("", False),
    ("../escape", False), (3, False),
])
def test_a_study_name_is_a_short_folder_name_outside_the_quick_namespace(name, ok):
    assert (names.name_error(name) is None) == ok


def test_the_shipped_specs_are_found_by_their_file_stem():
    shipped = catalog.shipped_specs()
    assert {"width", "classics", "engines"} <= set(shipped)
    assert all(path.suffix == ".toml" and path.stem == stem for stem, path in shipped.items())
    defaults = {study.name for study in catalog.default_studies()}
    assert "width" in defaults and "init" not in defaults  # init.toml says default = false


def test_stored_names_map_to_their_shipped_study_and_quick_variant(tmp_path):
    for name in ("width-quick", "init", "mine"):
        write_shard(tmp_path, name, "runs", [{"run_id": "r", "study": name, "status": "ok"}])
    assert catalog.stored_studies(tmp_path) == ["init", "mine", "width-quick"]
    quick = catalog.shipped_study_of("width-quick")
    assert quick.name == "width-quick" and quick.quick
    assert catalog.shipped_study_of("init").name == "init"
    assert catalog.shipped_study_of("mine") is None
