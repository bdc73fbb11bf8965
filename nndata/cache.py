"""Where generated datasets are cached, and writing a cache file so that parallel workers never
read half of one."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def cache_directory() -> Path:
    """Where generated datasets are cached: ``$NNSTUDY_CACHE``, else ``~/.cache/nnstudy``."""
    return Path(os.environ.get("NNSTUDY_CACHE") or Path.home() / ".cache" / "nnstudy")


def save_atomically(path: Path, **arrays: np.ndarray) -> None:
    """Write an ``.npz`` beside ``path`` and rename it into place, so that parallel workers
    never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a cache is for every user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
