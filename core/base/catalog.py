"""Which datasets the app may open: the embedded demo set and folders the operator allow-lists.

A deployed teaching app must not let a visitor read the server's files, so the browser never
types a path: it picks a name from :func:`available`. Operators list folders in the environment
variable ``GENRELAB_DATASETS`` as ``name=/path`` pairs separated by ``;`` (or plain paths, named
after their folder). Uploaded zips are unpacked under the data folder and listed too.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import paths

ENV_VAR = "GENRELAB_DATASETS"
DEMO = "demo"


def allow_listed() -> dict[str, Path]:
    """Operator-configured datasets, name → folder (missing folders are left out)."""
    out: dict[str, Path] = {}
    for item in filter(None, (s.strip() for s in os.environ.get(ENV_VAR, "").split(";"))):
        name, _, path = item.rpartition("=") if "=" in item else ("", "", item)
        folder = Path(path).expanduser()
        if folder.is_dir():
            out[name.strip() or folder.name] = folder
    return out


def uploads_dir() -> Path:
    return paths.subdir("datasets")


def uploaded() -> dict[str, Path]:
    """Datasets unpacked from uploaded zips, name → folder."""
    return {f"upload: {p.name}": p for p in sorted(uploads_dir().iterdir())
            if p.is_dir() and not p.name.startswith(".")}


def is_synthetic(name: str) -> bool:
    """Whether dataset ``name`` is generated music (the demo set) rather than recordings."""
    return name == DEMO


def available() -> list[str]:
    """Dataset names a page may offer, the demo set first."""
    return [DEMO, *allow_listed(), *uploaded()]


def check_targets(trained_on: str) -> list[str]:
    """The datasets a model trained on ``trained_on`` can be checked on: every :func:`available` one but it, those
    of its own kind first (real recordings for a model of real music, so its check is on music from elsewhere)."""
    return sorted((n for n in available() if n != trained_on),
                  key=lambda n: is_synthetic(n) != is_synthetic(trained_on))


def lesson_check_target(trained_on: str) -> str | None:
    """The dataset a lesson on ``trained_on`` checks its models on: the first of :func:`check_targets` that holds
    real recordings (a generated set shares no genre with real music, nor real music with it), if there is one."""
    return next((n for n in check_targets(trained_on) if not is_synthetic(n)), None)


def resolve(name: str, progress=None) -> Path:
    """The folder of dataset ``name``; the demo set is generated on first use (``progress(done, total)``).

    Raises KeyError for a name that is not in :func:`available`, so a crafted URL cannot open
    an arbitrary folder.
    """
    if name == DEMO:
        from .demo import make_demo_dataset

        return make_demo_dataset(progress=progress)
    known = {**allow_listed(), **uploaded()}
    if name not in known:
        raise KeyError(f"no dataset named {name!r}; available: {', '.join(available())}")
    return known[name]
