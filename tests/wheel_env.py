"""A fresh virtual environment holding the built nnstudy wheel and, of the packages around it, only
the ones the wheel declares (its ``Requires-Dist`` without extras, and what those require in turn).

Installing the dependencies from an index on every test run would need the network and a minute or
more; instead each declared distribution of the environment running the tests is linked in, file by
file from its own RECORD, and nothing else is: an import of an undeclared package fails in the
fresh environment exactly as it would after ``pip install nnstudy``. (The clean-clone measurement,
benchmarks/first_report.py, installs from the index for real.)
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

OWN_PACKAGES = {"nncore", "nndata", "experiments", "reports", "nnstudy", "nnstudy_engines", "benchmarks"}


def wheel_requirements(wheel: Path) -> list[Requirement]:
    """Every ``Requires-Dist`` of the wheel's METADATA, extras' included (their marker says which)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode()
    return [Requirement(line.split(":", 1)[1].strip()) for line in text.splitlines()
            if line.startswith("Requires-Dist:")]


def declared(requirements: list[Requirement], extra: str = "") -> set[str]:
    """The distribution names a plain install (``extra=""``) or one extra pulls in directly."""
    return {canonicalize_name(r.name) for r in requirements
            if r.marker is None or r.marker.evaluate({"extra": extra})}


def closure(names: set[str]) -> set[str]:
    """``names`` and everything they require (no extras), as installed here. A direct name that is
    not installed here raises: the check cannot vouch for it."""
    seen, todo = set(), sorted(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            if name in names:
                raise
            continue  # an optional or platform-only requirement of a dependency
        seen.add(name)
        todo += [canonicalize_name(r.name) for r in map(Requirement, requires)
                 if r.marker is None or r.marker.evaluate({"extra": ""})]
    return seen


def distribution_of_module() -> dict[str, set[str]]:
    """``{top-level module: {canonical distribution names}}`` of the environment running the tests."""
    return {module: {canonicalize_name(d) for d in dists}
            for module, dists in metadata.packages_distributions().items()}


def third_party_imports(wheel: Path) -> dict[str, set[str]]:
    """``{top-level module: {files of the wheel importing it}}``, stdlib and nnstudy's own left out."""
    found: dict[str, set[str]] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in (n for n in archive.namelist() if n.endswith(".py")):
            for node in ast.walk(ast.parse(archive.read(name), filename=name)):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in (m.split(".")[0] for m in modules):
                    if module not in sys.stdlib_module_names and module not in OWN_PACKAGES | {"__future__"}:
                        found.setdefault(module, set()).add(name)
    return found


def link_distributions(names: set[str], into: Path) -> None:
    """Symlink each distribution's top-level files and folders (from its RECORD) into ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    for name in sorted(names):
        dist = metadata.distribution(name)
        base = Path(dist.locate_file(""))
        tops = {Path(str(f)).parts[0] for f in dist.files or []} - {"..", "__pycache__"}
        if not tops:
            raise RuntimeError(f"{name}: no RECORD to link its files from")
        for top in tops:
            target = into / top
            if not target.exists() and (base / top).exists():
                target.symlink_to(base / top)


def make_environment(wheel: Path, folder: Path) -> Path:
    """A new venv in ``folder`` with the wheel installed (not editable) and its declared
    dependencies linked in; the venv's bin/ folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    # No PYTHONPATH: pip would count a checkout on it as nnstudy already installed.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, env=clean_environment(Path(sys.executable).parent))
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    dependencies = folder / "declared-dependencies"
    link_distributions(closure(declared(wheel_requirements(wheel))), dependencies)
    (site / "nnstudy-declared-dependencies.pth").write_text(f"{dependencies}\n")
    return folder / "bin"


def clean_environment(bin_folder: Path) -> dict[str, str]:
    """The process environment of a user of that venv: its bin/ first, no PYTHONPATH."""
    keep = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return {**keep, "PATH": f"{bin_folder}{os.pathsep}{keep.get('PATH', '')}", "MPLBACKEND": "Agg"}
