"""Facts the README and docs state that the code can check: the import chain of the packages and
the ``python -m`` commands they tell a reader to run."""
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PROJECT_PACKAGES = ("benchmarks", "experiments", "reports", "nnstudy", "nncore", "nndata", "nnstudy_engines")


def floors_of_architecture_test() -> list[set[str]]:
    """``FLOORS`` of tests/test_architecture.py, the floors the import test enforces, lowest first."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        return importlib.import_module("test_architecture").FLOORS
    finally:
        sys.path.remove(str(ROOT / "tests"))


def floors_the_readme_states(text: str) -> list[set[str]]:
    """The README's "imports point one way too: a <- b <- ...; x beside y" as floors, lowest first."""
    prose = " ".join(text.split())
    found = re.search(r"imports point one way too: ((?:\w+ <- )+\w+), with (\w+) beside (\w+)", prose)
    assert found, "the README must state the import chain as 'a <- b <- ..., with x beside y'"
    floors = [{name} for name in found.group(1).split(" <- ")]
    beside = next(floor for floor in floors if found.group(3) in floor)
    beside.add(found.group(2))
    return floors


def test_the_readme_import_chain_is_the_architecture_test_s():
    assert floors_the_readme_states((ROOT / "README.md").read_text()) == floors_of_architecture_test()


def test_a_chain_that_leaves_out_a_package_is_caught():
    text = "imports point one way too: nncore <- nndata <- experiments <- reports <- nnstudy, " \
           "with nnstudy_engines beside nndata."
    assert floors_the_readme_states(text) != floors_of_architecture_test()


def module_commands(text: str) -> set[str]:
    """Every module named as ``python -m <module>`` (``python -P -m`` too) of the project's packages."""
    prose = " ".join(text.split())
    pattern = r"python3? (?:-P )?-m ((?:%s)(?:\.\w+)*)" % "|".join(PROJECT_PACKAGES)
    return {name.rstrip(".") for name in re.findall(pattern, prose)}


def runnable(module: str) -> bool:
    """Whether ``python -m module`` finds something to run: a module, or a package with __main__."""
    spec = importlib.util.find_spec(module)
    if spec is None:
        return False
    return spec.submodule_search_locations is None or importlib.util.find_spec(f"{module}.__main__") is not None


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_python_m_command_in_the_docs_names_a_module_that_exists(document):
    missing = sorted(name for name in module_commands(document.read_text()) if not runnable(name))
    assert missing == [], f"{document.name} names modules that do not exist: {missing}"


def test_the_docs_name_the_probes_and_a_missing_module_is_caught():
    named = set().union(*(module_commands(path.read_text()) for path in DOCUMENTS))
    assert {"benchmarks.probes.first_report", "benchmarks.summary", "experiments"} <= named
    assert not runnable("benchmarks.probes.no_such_probe") and not runnable("benchmarks")


def study_rows(text: str) -> dict[str, str]:
    """The run-count cell of every row of a studies table (``| `name` | runs | ...``)."""
    return dict(re.findall(r"^\| `(\w+)` \| ([\d,-]+) \|", text, flags=re.M))


@pytest.mark.parametrize("document", ["README.md", "docs/experiments.md"])
def test_the_studies_tables_list_every_shipped_study_with_its_most_runs(document):
    from experiments import catalog
    from experiments.cost_model import total_runs
    from experiments.spec import load_spec

    rows = study_rows((ROOT / document).read_text())
    shipped = {path.stem: load_spec(path) for path in sorted(catalog.STUDIES_DIR.glob("*.toml"))}
    assert set(shipped) <= set(rows), f"{document} leaves out {sorted(set(shipped) - set(rows))}"
    for name, study in shipped.items():  # "20-80": 20 in the first round, at most 80 with [resolve]
        assert int(rows[name].split("-")[-1].replace(",", "")) == total_runs(study), (document, name)


def anchors(path: Path) -> set[str]:
    """The anchors GitHub makes of a Markdown file's headings: lower case, punctuation dropped,
    spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_link_to_a_section_of_the_docs_names_a_heading_there(document):
    links = re.findall(r"\]\(((?:docs/)?[\w-]+\.md)#([\w-]+)\)", document.read_text())
    broken = [f"{target}#{anchor}" for target, anchor in links
              if anchor not in anchors((document.parent / target) if (document.parent / target).exists()
                                       else ROOT / target)]
    assert broken == [], f"{document.name} links to headings that do not exist: {broken}"
