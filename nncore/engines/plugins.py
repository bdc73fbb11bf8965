"""Engines by name: nncore's own (``ENGINES``), ``package.module:ClassName`` on the path, or a name
an installed distribution registers in the entry-point group ``nnstudy.engines``.

An engine is any class with the protocol of ``base.Engine`` (duck typing): a ``name``,
``summed_gradients(net, X, Y, grads, compute_loss=True, scale=1.0)``, optionally ``train_epoch``,
``evaluate`` and a ``supports`` dict. Names resolve to classes once per process (``engine_class`` caches), so
a training run pays for the import once; loky and Dask workers resolve the same string anew, so
only the string travels to them.

A plugin's name is code: resolving it runs its module, like a script. ``find_module`` and
``check_findable`` tell whether a name can be resolved and where its source is without running
anything, for the commands that only read a spec (``plan``, ``status``, the report).
"""
from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import sys

from .base import SUPPORT_KEYS

ENTRY_POINT_GROUP = "nnstudy.engines"


class EngineError(ValueError):
    """An engine name that cannot be loaded, or a class without the engine protocol; the
    message names the engine and what would be right."""


def is_engine(candidate) -> bool:
    """Whether ``candidate`` (a class or an instance) has the engine protocol."""
    return callable(getattr(candidate, "summed_gradients", None)) and \
        isinstance(getattr(candidate, "name", None), str)


def _import_class(engine: str):
    module_name, _, class_name = engine.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise EngineError(f"engine={engine!r} cannot be imported: {error} (is its folder on "
                          "PYTHONPATH, or its distribution installed?)") from None
    except Exception as error:  # the plugin's own module failed while it was imported
        raise EngineError(f"engine={engine!r}: importing {module_name!r} raised "
                          f"{type(error).__name__}: {error}") from None
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise EngineError(f"engine={engine!r}: module {module_name!r} has no {class_name!r}") from None


def module_name_of(engine: str) -> str | None:
    """The module a plugin engine's name points to, read without importing anything: the part
    before ``:``, or the installed entry point's module; None for a name of neither kind."""
    if ":" in engine:
        return engine.partition(":")[0]
    point = entry_points().get(engine)
    return point.module if point is not None else None


def find_module(module_name: str) -> str | None:
    """The source file's path of ``module_name``, found on the path without running it or its
    packages' ``__init__`` (nor reading it); None when it is not a file there (or not found)."""
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        return getattr(loaded, "__file__", None)
    parts = module_name.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    try:  # a top-level name: its finders only look; a dotted one would import its parents
        spec = importlib.util.find_spec(parts[0])
        for depth in range(1, len(parts)):
            if spec is None or spec.submodule_search_locations is None:
                return None
            spec = importlib.machinery.PathFinder.find_spec(
                ".".join(parts[:depth + 1]), spec.submodule_search_locations)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.has_location or not spec.origin:
        return None
    return spec.origin


def _check_name(engine, builtin: dict) -> None:
    if not isinstance(engine, str) or not engine:
        raise EngineError(f"engine must be a name such as {', '.join(builtin)} or "
                          f"'package.module:ClassName', got {engine!r}")


def check_findable(engine: str, builtin: dict) -> None:
    """``EngineError`` unless ``engine`` is one of ``builtin``, ``package.module:ClassName`` with
    the module on the path, or an installed entry point; runs nothing of the plugin."""
    _check_name(engine, builtin)
    if engine in builtin:
        return
    if ":" not in engine:
        if engine not in entry_points():
            _load_entry_point(engine, builtin)  # raises, naming the valid names
        return
    module_name, _, class_name = engine.partition(":")
    if not class_name.isidentifier():
        raise EngineError(f"engine={engine!r}: {class_name!r} is not a class name "
                          "(write 'package.module:ClassName')")
    if find_module(module_name) is None:
        raise EngineError(f"engine={engine!r} cannot be imported: no module named "
                          f"{module_name!r} on the path (is its folder on PYTHONPATH, or its "
                          "distribution installed?)")


def entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    """The engines installed distributions register in ``nnstudy.engines``, by name."""
    return {point.name: point for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _load_entry_point(engine: str, builtin: dict):
    points = entry_points()
    if engine not in points:
        installed = f"; installed plugins: {', '.join(sorted(points))}" if points else ""
        raise EngineError(f"engine={engine!r} is not one of {', '.join(builtin)}, nor "
                          f"'package.module:ClassName', nor an entry point in group "
                          f"{ENTRY_POINT_GROUP!r}{installed}")
    try:
        return points[engine].load()
    except Exception as error:
        raise EngineError(f"engine={engine!r} (entry point {points[engine].value!r}) cannot be "
                          f"loaded: {type(error).__name__}: {error}") from None


def missing_dependency(engine: str) -> str | None:
    """The module an installed entry-point engine needs and cannot import here (its distribution's
    optional extra not installed: ``jax`` for ``engine = "jax"`` without ``nnstudy[jax]``); None
    for any other engine, loadable or not. Such a spec is valid; only running it is not."""
    point = entry_points().get(engine) if isinstance(engine, str) else None
    if point is None:
        return None
    try:
        point.load()
    except ModuleNotFoundError as error:
        return error.name
    except Exception:
        return None
    return None


def install_hint(engine: str) -> str:
    """``pip install 'dist[extra]'`` when the distribution registering ``engine`` has an extra of that
    name (nnstudy's torch and jax engines), else ``pip install`` of the distribution's requirements."""
    dist = entry_points()[engine].dist
    if dist is None:
        return "install what the distribution registering it needs"
    extras, name = dist.metadata.get_all("Provides-Extra") or [], dist.metadata["Name"]
    return f"pip install '{name}[{engine}]'" if engine in extras else f"install what {name} needs for it"


@functools.lru_cache(maxsize=64)
def _plugin_class(engine: str, builtin_names: tuple[str, ...]):
    found = _import_class(engine) if ":" in engine else \
        _load_entry_point(engine, dict.fromkeys(builtin_names))
    if not (isinstance(found, type) and is_engine(found)):
        raise EngineError(f"engine={engine!r} is {found!r}, not a class with the engine protocol "
                          "(a str 'name' and a method summed_gradients(net, X, Y, grads, "
                          "compute_loss=True, scale=1.0))")
    check_supports_declaration(found, engine)
    return found


def resolve_class(engine: str, builtin: dict):
    """The engine class named by ``engine``: ``builtin[engine]``, else a plugin; ``EngineError``."""
    _check_name(engine, builtin)
    if engine in builtin:
        return builtin[engine]
    return _plugin_class(engine, tuple(builtin))


def supports_of(engine) -> dict[str, tuple[str, ...]]:
    """The engine's (class or instance) ``supports`` dict; {} when it declares none."""
    return dict(getattr(engine, "supports", None) or {})


def check_supports_declaration(engine, label: str) -> None:
    """``EngineError`` unless ``supports`` is a dict of ``SUPPORT_KEYS`` to sequences of names."""
    supports = getattr(engine, "supports", None) or {}
    if not isinstance(supports, dict):
        raise EngineError(f"engine={label!r}: supports must be a dict such as "
                          f"{{'activation': ('relu',)}}, got {supports!r}")
    for key, values in supports.items():
        if key not in SUPPORT_KEYS:
            raise EngineError(f"engine={label!r}: supports has key {key!r}; valid keys: "
                              f"{', '.join(SUPPORT_KEYS)}")
        if isinstance(values, str) or not all(isinstance(v, str) for v in values):
            raise EngineError(f"engine={label!r}: supports[{key!r}] must be a tuple of names, "
                              f"got {values!r}")


def unsupported(engine, label: str, values: dict[str, str]) -> str | None:
    """One line naming the engine, the key and the value of the first of ``values`` (key: the
    configuration's value) outside the engine's ``supports``; None when it supports them all."""
    supports = supports_of(engine)
    for key in SUPPORT_KEYS:
        if key in supports and key in values and values[key] not in supports[key]:
            return (f"engine={label!r} does not support {key}={values[key]!r} "
                    f"(it supports {key} {', '.join(map(repr, supports[key]))})")
    return None
