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
        assert imported_modules_of(kernels) - standard <= {"numpy", "numba", "llvmlite"}  # numba's IR builder


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


def test_the_command_line_starts_without_scipy_stats():
    # scipy.stats costs about a second to import (on 2026-12-07's Intel Xeon, 1.45 s -> 0.5 s for
    # the command line's imports): `list`, `status` and a sweep's start do without it, and the
    # resolve verdicts import it when they are computed.
    code = ("import sys, experiments.cli, experiments.sweep_command, experiments.warmup; "
            "print(sorted(name for name in sys.modules if name.startswith('scipy.stats')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# The floors of the house, lowest first: a package may import only from floors below its own.
FLOORS = [{"nncore"}, {"nndata", "nnstudy_engines"}, {"experiments"}, {"benchmarks"}, {"reports"},
          {"nnstudy"}]
PACKAGES = sorted(set().union(*FLOORS))


def floor_of(package: str) -> int:
    return next(level for level, floor in enumerate(FLOORS) if package in floor)


@pytest.mark.parametrize("package", PACKAGES)
def test_dependencies_point_one_way(package):
    """No package imports one on its own floor or above (benchmarks included: reports read its
    records, and it reads experiments)."""
    if not (ROOT / package).exists():
        pytest.fail(f"{package}/ is missing")
    upward = {name for name in imported_modules(package) & set(PACKAGES)
              if name != package and floor_of(name) >= floor_of(package)}
    assert upward == set()


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, packages: list[str]) -> dict[str, set[str]]:
    """Module -> the project modules it imports anywhere in its source (function-level and
    type-checking imports included): ``from . import x`` counts as importing the submodule x."""
    paths = {module_name(path, root): path for package in packages for path in (root / package).rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                targets.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base
                               for alias in node.names)
        graph[name] = {target for target in targets if target in paths and target != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: each strongly connected set of two or more modules, sorted."""
    order, low, stack, found, counter = {}, {}, [], [], [0]

    def visit(node: str) -> None:  # Tarjan's algorithm
        order[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        for target in graph[node]:
            if target not in order:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], order[target])
        if low[node] == order[node]:
            members = []
            while not members or members[-1] != node:
                members.append(stack.pop())
            if len(members) > 1:
                found.append(sorted(members))

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return sorted(found)


def test_no_import_circle_between_modules():
    assert circles(import_graph(ROOT, PACKAGES)) == []


def test_the_circle_check_finds_a_planted_circle(tmp_path):
    package = tmp_path / "house"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "spec.py").write_text("from .inner import plan\n")
    (package / "inner" / "plan.py").write_text("def f():\n    from ..spec import Study  # inside a function\n")
    (package / "leaf.py").write_text("from house import spec\n")
    assert circles(import_graph(tmp_path, ["house"])) == [["house.inner.plan", "house.spec"]]


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
