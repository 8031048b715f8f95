"""Where GenreLab writes: one data folder, movable with ``GENRELAB_DATA_DIR``.

Everything the app generates (demo audio, feature cache, runs, uploads, job queue) lives below
:func:`data_dir`. The default is ``<repo>/data``, which git ignores.
"""

import os
from pathlib import Path

ENV_VAR = "GENRELAB_DATA_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The root data folder, created on first use."""
    root = Path(os.environ.get(ENV_VAR) or REPO_ROOT / "data").expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def subdir(name: str) -> Path:
    """A named folder below the data folder (``demo``, ``cache``, ``runs``, ``uploads``, ``jobs``)."""
    path = data_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
