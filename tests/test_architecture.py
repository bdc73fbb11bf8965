"""The layers of the house: nncore (math) <- nndata (datasets: reading, downloading, caching) <-
experiments (running) <- reports (drawing) <- the nnstudy command. Arrows never point back."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The compiled engine's numba code: loaded only when ``engine="compiled"`` is made.
KERNELS = ROOT / "nncore" / "engines" / "compiled_kernels.py"
KERNEL_MODULES = {KERNELS.parent / name for name in ("compiled_kernels.py", "compiled_products.py",
                                                      "compiled_optimizers.py")}


def imported_modules_of(path: Path) -> set[str]:
    """Top-level names of every module imported anywhere in one source file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def imported_modules(package: str) -> set[str]:
    """Top-level names of every module imported anywhere in a package's source."""
    return set().union(*(imported_modules_of(path) for path in (ROOT / package).rglob("*.py")))


def module_level_imports(package: str, skip: set[Path] = frozenset()) -> set[str]:
    """Top-level names imported at module level (not inside a function) in a package's source,
    leaving out the files ``skip``."""
    names = set()
    for path in (ROOT / package).rglob("*.py"):
        if path in skip:
            continue
        for node in ast.parse(path.read_text(), filename=str(path)).body:
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_nncore_imports_numpy_alone_and_numba_only_inside_the_compiled_engine():
    standard = set(sys.stdlib_module_names) | {"nncore", "__future__"}
    assert module_level_imports("nncore", skip=KERNEL_MODULES) - standard == {"numpy"}
    outside_kernels = set().union(*(imported_modules_of(path) for path in (ROOT / "nncore").rglob("*.py")
                                    if path not in KERNEL_MODULES))
    assert outside_kernels - standard == {"numpy"}  # not even inside a function
    for kernels in KERNEL_MODULES:
        assert imported_modules_of(kernels) - standard <= {"numpy", "numba"}


def test_nncore_does_no_io():
    """The math reads no files, opens no URLs and writes no caches: that is nndata's."""
    io_modules = {"gzip", "urllib", "zipfile", "tempfile", "shutil", "io", "pathlib", "os"}
    users = {path.name: imported_modules_of(path) & io_modules for path in (ROOT / "nncore").rglob("*.py")}
    assert {name: found for name, found in users.items() if found} == {}


def test_numba_is_imported_only_by_the_compiled_engine_when_it_is_made():
    users = {path.name for path in (ROOT / "nncore").rglob("*.py") if "numba" in imported_modules_of(path)}
    assert users == {path.name for path in KERNEL_MODULES}
    # the kernel modules are reached only through compiled.py (and from one another)
    for module in KERNEL_MODULES:
        mentions = {path.name for path in (ROOT / "nncore").rglob("*.py") if module.stem in path.read_text()}
        assert mentions - {path.name for path in KERNEL_MODULES} <= {"compiled.py"}
    assert "compiled_kernels" in (KERNELS.parent / "compiled.py").read_text()
    engine = ast.parse((KERNELS.parent / "compiled.py").read_text())
    inside_functions = {node.names[0].name for function in ast.walk(engine)
                        if isinstance(function, ast.FunctionDef) for node in ast.walk(function)
                        if isinstance(node, ast.ImportFrom)}
    assert "compiled_kernels" in inside_functions


@pytest.mark.parametrize("package", ["nncore", "nndata"])
def test_importing_the_core_packages_loads_no_heavy_third_party_package(package):
    # nndata's loaders import their readers (pandas, pyarrow, scikit-learn, mnist1d) when called.
    code = (f"import sys, {package}; heavy = {{'pandas', 'sklearn', 'scipy', 'matplotlib', 'pyarrow', "
            "'joblib', 'torch', 'numba', 'mnist1d'} & set(sys.modules); print(sorted(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("package, forbidden", [
    ("nncore", {"nndata", "experiments", "reports", "nnstudy"}),
    ("nndata", {"experiments", "reports", "nnstudy"}),
    ("experiments", {"reports", "nnstudy"}),
    ("reports", {"nnstudy"}),  # the nnstudy command sits on top of both
])
def test_dependencies_point_one_way(package, forbidden):
    if not (ROOT / package).exists():
        pytest.fail(f"{package}/ is missing")
    assert not imported_modules(package) & forbidden


def test_reports_never_train():
    for path in (ROOT / "reports").rglob("*.py"):
        source = path.read_text()
        for call in ("nncore.train", "from nncore import train", "sgd_step", "train_step", "backprop("):
            assert call not in source, f"{path.name} uses {call}"


def test_no_module_outside_the_registry_branches_on_a_dataset_name():
    """What differs between datasets is in their records (nndata.DATASETS): no comparison with a
    dataset's name (``config["dataset"] == "xor"``, ``in ("sincos",)``) anywhere downstream."""
    import nndata

    names = set(nndata.DATASETS)
    found = []
    for package in ("experiments", "reports", "nnstudy"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not isinstance(node, ast.Compare):
                    continue
                for side in [node.left, *node.comparators]:
                    values = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                    found += [f"{path.relative_to(ROOT)}:{node.lineno}" for value in values
                              if isinstance(value, ast.Constant) and value.value in names]
    assert found == []
