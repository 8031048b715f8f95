"""Atomic file writes: every file GenreLab keeps (run records, weights, feature cache, job queue) goes through here,
and the one lock that lets one process at a time through a block.

A file is written to a temporary file in the same folder and renamed over the target with
``os.replace``, so a kill at any moment leaves either the previous or the next version, never a
torn one.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


def atomic_write_bytes(path: Path, data: bytes, make_parents: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    With ``make_parents=False`` a missing folder raises :class:`FileNotFoundError` instead of being made.
    """
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_bytes(data: Any) -> bytes:
    """``data`` as indented JSON; numpy arrays and paths become lists and strings."""
    return json.dumps(data, indent=1, default=_jsonable).encode()


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON (:func:`json_bytes`), atomically."""
    atomic_write_bytes(path, json_bytes(data))


def _jsonable(x):
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"{type(x).__name__} is not JSON serialisable")


def read_json(path: Path, default: Any = None) -> Any:
    """The JSON in ``path``, or ``default`` when it is missing or unreadable (any OSError, e.g. a name too long)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock (``flock``) on file ``path``, made if missing, inside the block: one process at a time,
    the others wait."""
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield  # closing the file releases the lock
