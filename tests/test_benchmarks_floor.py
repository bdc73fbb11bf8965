"""benchmarks/ on its floor: above experiments, below reports. It never imports reports or the
command; reports read it through one public module, ``benchmarks.records``, which needs no dev
tools (an installed nnstudy without pytest-benchmark draws its report)."""
import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_TOOLS = ("pytest", "pytest_benchmark", "_pytest", "hypothesis", "torch", "jax", "dask")


def imported_names(package: str) -> dict[str, set[str]]:
    """``{file: full dotted names imported}`` over a package's source (relative imports left out)."""
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.update([node.module, *(f"{node.module}.{alias.name}" for alias in node.names)])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_benchmarks_never_import_reports_or_the_command():
    upward = {path: sorted(name for name in names if name.split(".")[0] in {"reports", "nnstudy"})
              for path, names in imported_names("benchmarks").items()}
    assert {path: names for path, names in upward.items() if names} == {}


def test_reports_read_benchmarks_through_records_alone():
    reached = {path: sorted({".".join(name.split(".")[:2]) for name in names if name.startswith("benchmarks")})
               for path, names in imported_names("reports").items()}
    assert {path: names for path, names in reached.items() if names and names != ["benchmarks.records"]} == {}
    assert any(names == ["benchmarks.records"] for names in reached.values())  # the rule is live


def test_the_report_and_the_command_import_without_dev_tools():
    blocker = (f"import sys\nclass Block:\n    def find_spec(self, name, path=None, target=None):\n"
               f"        if name.split('.')[0] in {DEV_TOOLS!r}: raise ImportError('blocked ' + name)\n"
               "sys.meta_path.insert(0, Block())\n"
               "import reports.__main__, reports.build, nnstudy.cli, experiments.cli\n"
               "print('imported')\n")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", blocker], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "imported"
