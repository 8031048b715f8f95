"""The queue of background jobs: files under ``<data>/jobs/queue/``, and the worker process that empties it.

A job is a file ``<time>-<run id>.json`` (``{"run_id", "kind"}``), written atomically, so any number of
browser tabs or CLI calls can enqueue at once; its run's progress and result live in the run folder
(:mod:`core.storage.runs`). :func:`enqueue` starts ``python -m core worker`` as a detached process
unless one runs (it outlives reruns, page switches, closed tabs and app restarts); a file lock lets
only one worker run, since two trainings on two cores would each run at half speed. A worker that
cannot start (or crashes before it is ready) is not started again at once: :func:`ensure_worker` backs
off, doubling the wait after each failed start, and :func:`worker_problem` says why it failed. What the
worker does with a job is :mod:`core.orchestration.worker`'s business; this module only keeps the files.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..base import paths
from . import runs
from .store import atomic_write_bytes, read_json


def queue_dir() -> Path:
    path = paths.subdir("jobs") / "queue"
    path.mkdir(exist_ok=True)
    return path


def enqueue(run_id: str, kind: str, start_worker: bool = True) -> Path:
    """Queue run ``run_id`` (of job ``kind``, e.g. ``"classifier"``) and, with ``start_worker``, make sure a
    worker will run it (:func:`ensure_worker`)."""
    path = queue_dir() / f"{time.time_ns():020d}-{run_id}.json"
    atomic_write_bytes(path, json.dumps({"run_id": run_id, "kind": kind}).encode())
    if start_worker:
        ensure_worker()
    return path


def queued() -> list[Path]:
    """The job files, oldest first."""
    return sorted(queue_dir().glob("*.json"))


def _run_id(path: Path) -> str:
    """The run id of a job file ``<time>-<run id>.json``."""
    return path.name.split("-", 1)[1][:-5]


def pending() -> list[str]:
    """Run ids waiting or running, in the order the worker takes them (a dead worker's job is not)."""
    out = []
    for run_id in [_run_id(p) for p in queued()]:
        try:
            if runs.load(run_id)["status"] in runs.ACTIVE:
                out.append(run_id)
        except runs.RunError:
            continue
    return out


ORPHAN_GRACE_SECONDS = 30.0
"""A queued run younger than this is never called an orphan: its job may be on its way into the queue."""


def queued_ids() -> set[str]:
    """Run ids with a job file in the queue (waiting or being run)."""
    return {_run_id(p) for p in queued()}


def is_orphan(record: dict, queued: set[str] | None = None) -> bool:
    """True for a ``queued`` run that nothing will ever run: no job of its own in the queue, no running
    experiment that trains it (e.g. a cell left behind when its experiment failed or was resumed) and no queued or
    running lesson that has it as a step.

    ``queued`` is :func:`queued_ids`, when the caller checks many records.
    """
    if record["status"] != "queued" or time.time() - record["created"] < ORPHAN_GRACE_SECONDS:
        return False
    if record["id"] in (queued_ids() if queued is None else queued):
        return False
    try:
        if record.get("lesson"):
            return runs.load(record["lesson"])["status"] not in runs.ACTIVE
        return not record.get("experiment") or runs.load(record["experiment"])["status"] != "running"
    except runs.RunError:
        return True


def cancel(run_id: str) -> str:
    """Ask a queued or running run to stop; returns its status afterwards.

    A run waiting for the worker, or running, stops at its next check (``cancelled``, keeping what it
    saved); an orphan (:func:`is_orphan`) is cancelled at once, since no one would read the request.
    Raises :class:`core.storage.runs.RunError` for a run that is not queued or running.
    """
    record = runs.load(run_id)
    if record["status"] not in runs.ACTIVE:
        raise runs.RunError(f"run {record['name']} is {record['status']}: only a queued or running run can be "
                            "cancelled")
    runs.request_cancel(run_id)
    if is_orphan(record):
        return runs.update(run_id, status="cancelled", finished=time.time(), pid=None)["status"]
    return record["status"]


def position(run_id: str) -> int | None:
    """0 for the job being run, 1 for the next, …; None if the run is not queued."""
    ids = pending()
    return ids.index(run_id) if run_id in ids else None


def lock_path() -> Path:
    """The worker's lock file: outside the data folder, so deleting that folder cannot free the lock
    while a worker still runs (a second worker would then train beside the first), one per data folder."""
    digest = hashlib.blake2b(str(paths.data_dir()).encode(), digest_size=8).hexdigest()
    return Path(tempfile.gettempdir()) / f"genrelab-worker-{digest}.lock"


@contextmanager
def worker_lock() -> Iterator[bool]:
    """Hold the worker's lock while inside; yields False (holding nothing) when another worker has it."""
    with open(lock_path(), "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def worker_alive() -> bool:
    """True while some worker process holds the lock."""
    with worker_lock() as mine:
        return not mine


BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 300.0
_children: list[subprocess.Popen] = []  # workers this process started, reaped once they exit (no zombies)


def _state_path() -> Path:
    return paths.subdir("jobs") / "worker.json"


def _state() -> dict:
    """``{"starts": failed or pending starts in a row, "last_start": Unix time, "error": why the last one failed}``."""
    state = read_json(_state_path(), {})
    return state if isinstance(state, dict) else {}


def set_worker_state(**fields) -> None:
    """Record how the worker's start went: ``starts=0, error=None`` once it is ready, ``error=...`` when it failed."""
    atomic_write_bytes(_state_path(), json.dumps({**_state(), **fields}).encode())


def backoff(starts: int) -> float:
    """Seconds to wait before another start after ``starts`` starts in a row that did not get ready."""
    return 0.0 if starts <= 0 else min(BACKOFF_SECONDS * 2 ** (starts - 1), MAX_BACKOFF_SECONDS)


def ensure_worker() -> None:
    """Start a detached worker process unless one is running, or one was started too recently.

    A start counts until the worker reports itself ready (:func:`set_worker_state`); while it has not,
    another start waits :func:`backoff` seconds (2, 4, 8, … up to 5 min), so a worker that cannot start
    is not restarted on every enqueue, and calls in quick succession start one worker, not several.
    """
    _children[:] = [child for child in _children if child.poll() is None]
    if worker_alive():
        return
    state = _state()
    starts = int(state.get("starts") or 0)
    if time.time() - float(state.get("last_start") or 0) < backoff(starts):
        return
    set_worker_state(starts=starts + 1, last_start=time.time())
    log = open(paths.subdir("jobs") / "worker.log", "ab")
    _children.append(subprocess.Popen([sys.executable, "-m", "core", "worker"], cwd=paths.REPO_ROOT, stdout=log,
                                      stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
                                      env=os.environ.copy()))


def worker_problem() -> str | None:
    """Why the last worker could not start (one sentence), while no worker runs; None when all is well."""
    state = _state()
    if not state.get("error") or worker_alive():
        return None
    wait = backoff(int(state.get("starts") or 0)) - (time.time() - float(state.get("last_start") or 0))
    again = f"it is tried again in {wait:.0f} s" if wait > 0 else "it is tried again when a job waits"
    return f"The background worker could not start: {state['error']} ({again})."
