"""numba's cache of a compiled kernel is invalidated only by a change to the kernel's own file, but
its machine code holds what it calls in the other kernel modules. Each kernel module therefore
carries ``DEPENDS_ON``, a stamp of every sibling kernel module it imports from; this test makes a
change to one of those fail until the stamp is updated, which changes the dependent file too, so
a checkout that pulls the change recompiles instead of running stale machine code."""
import ast
import hashlib
from pathlib import Path

import pytest

ENGINES = Path(__file__).resolve().parents[1] / "nncore" / "engines"
KERNEL_MODULES = ("compiled_kernels.py", "compiled_optimizers.py", "compiled_products.py")


def stamp(name: str) -> str:
    return hashlib.sha256((ENGINES / name).read_bytes()).hexdigest()[:16]


def kernel_imports(tree: ast.Module) -> set[str]:
    """The sibling kernel modules a module imports from (``from .compiled_x import ...``)."""
    return {f"{node.module}.py" for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 1 and f"{node.module}.py" in KERNEL_MODULES}


def declared(tree: ast.Module) -> dict[str, str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["DEPENDS_ON"]:
            return ast.literal_eval(node.value)
    return {}


@pytest.mark.parametrize("module", KERNEL_MODULES)
def test_each_kernel_module_stamps_the_kernel_modules_it_compiles_in(module):
    tree = ast.parse((ENGINES / module).read_text())
    imports, stamps = kernel_imports(tree), declared(tree)
    assert set(stamps) == imports, f"{module}: DEPENDS_ON must name exactly {sorted(imports)}"
    for name, value in stamps.items():
        assert value == stamp(name), (
            f"{name} changed: set DEPENDS_ON[{name!r}] in nncore/engines/{module} to {stamp(name)!r}, "
            f"so that numba's cache of {module} recompiles")


def test_the_stamps_cover_the_modules_that_import_kernels():
    # compiled_products imports no other kernel module; the other two must declare theirs.
    assert {m for m in KERNEL_MODULES if kernel_imports(ast.parse((ENGINES / m).read_text()))} == {
        "compiled_kernels.py", "compiled_optimizers.py"}
