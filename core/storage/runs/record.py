"""What ``run.json`` holds and how it is checked: statuses and kinds, the record's shape, run ids and names.

Every record a page or the CLI reads passes :func:`parse_record`; every id from a URL, the CLI or a folder name
passes :func:`check_id` before a path is built from it (:mod:`.folder`).
"""

from __future__ import annotations

import math
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from numbers import Real
from typing import Any, TypedDict, get_type_hints

ACTIVE = ("queued", "running")
FINAL = ("done", "cancelled", "interrupted", "failed")
KINDS = ("clf", "gan", "exp", "chk", "lsn")
PROGRESS_KEYS = {"clf": ("epoch", "epochs", "eta_seconds"), "gan": ("epoch", "epochs", "eta_seconds"),
                 "exp": ("cells_done", "cells_total"), "chk": ("clips", "total"),
                 "lsn": ("steps_done", "steps_total")}  # what each kind's progress holds


class RunError(ValueError):
    """A run that does not exist, or a file that is not one of ours; ``str(err)`` is fit to show a user."""


class Cancelled(Exception):
    """Raised inside a run when its user asked it to stop; the run ends ``cancelled`` and keeps what it saved."""


class DamagedRun(RunError):
    """A run folder whose ``run.json`` is missing, unreadable or not of the shape :class:`RunRecord` says."""


class _Always(TypedDict):
    id: str
    kind: str
    name: str
    status: str
    created: Real
    config: dict
    dataset: dict


class RunRecord(_Always, total=False):
    """What ``run.json`` holds; :func:`parse_record` checks every field a page or the CLI reads against these types.

    Always present (:class:`_Always`): ``id`` (the folder's name), ``kind`` (one of :data:`KINDS`), ``name``,
    ``status`` (:data:`ACTIVE` or :data:`FINAL`), ``created`` (Unix time, s), ``config`` and ``dataset``
    (``name``, and the folder ``root`` once submitted). Experiments also hold ``cells`` and ``gans``, lessons
    ``steps``. Keys not declared here (``device``, ``lesson``, ...) are kept as they are, unchecked.
    """

    preset: str
    pid: int | None
    started: Real
    finished: Real | None
    progress: dict | None
    error: str | None
    split: dict
    split_name: str
    cells: dict
    gans: dict
    steps: dict
    train_seconds: Real


_TYPES = get_type_hints(RunRecord)
"""Field → the type :func:`parse_record` checks, from :class:`RunRecord`'s annotations (one declaration)."""


@dataclass(frozen=True)
class Damage:
    """A run folder :func:`list_runs` passed over, and why (``folder`` is a name, never a server path)."""

    folder: str
    reason: str


def _shape_problem(obj: Any, run_id: str) -> str | None:
    """Why ``obj`` is not a valid :class:`RunRecord` of run ``run_id``, or None."""
    if not isinstance(obj, dict):
        return f"run.json holds {type(obj).__name__}, not a run record"
    for key in _Always.__annotations__:
        if key not in obj:
            return f"run.json lacks {key!r}"
    for key, kind in _TYPES.items():
        if key in obj and (not isinstance(obj[key], kind) or isinstance(obj[key], bool)):
            return f"run.json's {key!r} is {type(obj[key]).__name__}, not what a run record holds"
    if obj["id"] != run_id:
        return f"run.json names another run ({str(obj['id'])[:40]!r})"
    if obj["kind"] not in KINDS:
        return f"run.json's kind {obj['kind'][:20]!r} is not one of {list(KINDS)}"
    if obj["status"] not in ACTIVE + FINAL:
        return f"run.json's status {obj['status'][:20]!r} is not one of {list(ACTIVE + FINAL)}"
    if not all(math.isfinite(obj[k]) for k in ("created", "started", "finished", "train_seconds")
               if obj.get(k) is not None):
        return "run.json holds a time that is not a finite number"
    if obj.get("pid") is not None and not 0 < obj["pid"] < 2**31:
        return "run.json's pid is not a process id"
    if not isinstance(obj["dataset"].get("name"), str) or not isinstance(obj["dataset"].get("root", ""), str):
        return "run.json's dataset lacks its name"
    progress = obj.get("progress")
    need = PROGRESS_KEYS[obj["kind"]]
    counts = [k for k in need if k != "eta_seconds"]  # the ETA is None until a step was timed (progress.eta)
    if progress and not (all(isinstance(progress.get(k), Real) and math.isfinite(progress[k]) for k in counts)
                         and isinstance(progress.get("eta_seconds"), (Real, type(None)))):
        return f"run.json's progress lacks {', '.join(need)}"
    if obj["kind"] == "exp" and not all(isinstance(obj.get(k), dict) for k in ("cells", "gans")):
        return "run.json of an experiment lacks its cells"
    if obj["kind"] == "lsn" and not isinstance(obj.get("steps"), dict):
        return "run.json of a lesson lacks its steps"
    return None


def parse_record(obj: Any, run_id: str) -> RunRecord:
    """``obj`` (parsed ``run.json``) as a :class:`RunRecord`, or :class:`DamagedRun` saying what is wrong."""
    problem = _shape_problem(obj, run_id)
    if problem:
        raise DamagedRun(f"run {run_id}: {problem}")
    return obj


def new_run_id(kind: str) -> str:
    """A unique, sortable, path-safe id such as ``20261124-061502-clf-3fa2``."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{secrets.token_hex(2)}"


ID_PATTERN = re.compile(r"\d{8}-\d{6}-[a-z]{3,6}-[0-9a-f]{4}")
"""What :func:`new_run_id` makes (runs and lessons alike)."""


def check_id(text: Any, what: str = "run") -> str:
    """``text`` when it has the form of an id :func:`new_run_id` makes, else :class:`RunError` (quoting at most 40
    characters of it). Every id that arrives from a URL, the CLI or a folder name passes here before a path is
    built from it, so null bytes, path separators and 10 000-character names never reach the file system."""
    if not isinstance(text, str) or not ID_PATTERN.fullmatch(text):
        shown = repr(text[:40] + ("…" if len(text) > 40 else "")) if isinstance(text, str) else type(text).__name__
        raise RunError(f"{shown} is not a {what} id")
    return text


def check_name(name: str) -> str:
    """``name`` without its outer spaces, or :class:`RunError` when it is empty or holds a line break or another
    control character (a name is one line of text, shown as typed: see :mod:`core.base.usertext`)."""
    name = name.strip()
    if not name:
        raise RunError("a run name cannot be empty")
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in name):
        raise RunError("a run name cannot hold line breaks or other control characters")
    return name


def describe_data(record: dict, fingerprint: bool = True) -> str:
    """'demo (200 clips, fingerprint 1a2b…), paper 70/20/10 random, seed 0': what a number was measured on;
    ``fingerprint=False`` leaves the data's fingerprint out (a page's main text; it belongs in the details)."""
    data = record.get("dataset", {})
    shown = f", fingerprint {data.get('fingerprint', '?')}" if fingerprint else ""
    return f"{data.get('name', '?')} ({data.get('n_clips', '?')} clips{shown}), {record.get('split_name', '')}"
