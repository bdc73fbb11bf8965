"""Plugin engines at sweep time: where the modules a spec names run.

A spec naming ``engine = "package.module:ClassName"`` (or an installed entry point) is code: its
module runs when imported, like a script. ``plan``, ``status``, ``list`` and the report read a
spec without importing it (``config.check_engine`` only finds the module); ``sweep`` calls
``make_engines`` before any run: each plugin engine of its studies is imported and made once, and
every run's configuration is checked against the engine's ``supports``, so an engine that cannot
be made or does not cover a run stops the sweep in one line instead of failing every run.
"""
from __future__ import annotations

from nncore.engines import ENGINES, SUPPORT_KEYS, engine_class, plugins

from .config import SpecError
from .study import Study


def plugin_engines(study: Study) -> list[str]:
    """The engines ``study``'s runs name that are not nncore's own, sorted."""
    return sorted({run.config["engine"] for run in study.runs} - set(ENGINES))


def make_engines(studies: list[Study]) -> None:
    """Import and make once each plugin engine the studies' runs name, and check each run's
    configuration against its ``supports``; ``SpecError`` (one line naming the spec, the engine
    and what went wrong) on the first that fails."""
    for study in studies:
        for engine in plugin_engines(study):
            missing = plugins.missing_dependency(engine)
            if missing:
                raise SpecError(f"{study.path}: engine {engine!r} needs the module {missing!r}, which "
                                f"is not installed here ({plugins.install_hint(engine)})")
            try:
                cls = engine_class(engine)
            except ValueError as error:  # EngineError: its import failed, or not an engine
                raise SpecError(f"{study.path}: engine: {error}") from None
            _make(study, engine, cls)
            for run in study.runs:
                if run.config["engine"] != engine:
                    continue
                problem = plugins.unsupported(cls, engine, {key: run.config[key] for key in SUPPORT_KEYS})
                if problem:
                    raise SpecError(f"{study.path}: {run.label()}: engine: {problem}")


def _make(study: Study, engine: str, cls: type) -> None:
    """``cls()`` once, as every run will; ``SpecError`` naming what its constructor raised."""
    try:
        cls()
    except Exception as error:  # the plugin's own code: anything it raises is its failure
        message = str(error).splitlines()[0] if str(error) else ""
        raise SpecError(f"{study.path}: engine={engine!r} cannot be made: {cls.__name__}() raised "
                        f"{type(error).__name__}: {message} (an engine is made with no arguments, "
                        "once per run)") from None
