"""A plugin engine's module written by a test and put on the path, as a user's own would be."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from experiments import provenance
from nncore.engines import plugins


@contextmanager
def module_on_path(tmp_path: Path, monkeypatch, name: str, source: str) -> Iterator[Path]:
    """``<tmp_path>/plugins/<name>.py`` holding ``source``, importable while the context lasts;
    yields the folder. Forgotten before and after, so each test imports its own copy of the
    module, as a new process would."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(folder))
    forget(name)
    try:
        yield folder
    finally:
        forget(name)


def forget(name: str) -> None:
    """Drop the module and every cache that remembers it (the plugin class, its source's hash)."""
    sys.modules.pop(name, None)
    plugins._plugin_class.cache_clear()
    provenance.engine_source.cache_clear()
