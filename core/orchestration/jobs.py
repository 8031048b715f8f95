"""A queue of background jobs and the one worker process that runs them, one at a time.

Jobs are files under ``<data>/jobs/queue/`` named ``<time>-<run id>.json``, written atomically,
so any number of browser tabs or CLI calls can enqueue at once. :func:`ensure_worker` starts
``python -m core worker`` as a detached process (it outlives reruns, page switches, closed tabs and
app restarts); a file lock lets only one worker run, since two trainings on two cores would each
run at half speed. The worker takes that lock before anything heavy is imported, so a spare one
exits at once. A worker that cannot start (or crashes before it is ready) is not started again on
every page refresh: :func:`ensure_worker` backs off, doubling the wait after each failed start, and
:func:`worker_problem` says why it failed. Progress and results live in the run folders (:mod:`core.storage.runs`).

When a Ray cluster is set (:mod:`core.orchestration.cluster`), the worker hands queued jobs to it, N at a time,
each waited on by a thread of its own; the queue files stay the record of what was asked until
each job ends, and a cancel request cancels the job's Ray task.
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
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ..base import paths
from ..storage import runs
from ..storage.store import atomic_write_bytes, read_json

IDLE_EXIT_SECONDS = 3.0


def queue_dir() -> Path:
    path = paths.subdir("jobs") / "queue"
    path.mkdir(exist_ok=True)
    return path


def enqueue(run_id: str, kind: str, start_worker: bool = True) -> Path:
    """Queue run ``run_id`` (of job ``kind``, e.g. ``"classifier"``) and make sure a worker will run it."""
    path = queue_dir() / f"{time.time_ns():020d}-{run_id}.json"
    atomic_write_bytes(path, json.dumps({"run_id": run_id, "kind": kind}).encode())
    if start_worker:
        ensure_worker()
    return path


def pending() -> list[str]:
    """Run ids waiting or running, in the order the worker takes them (a dead worker's job is not)."""
    ids = [_run_id(p) for p in sorted(queue_dir().glob("*.json"))]
    out = []
    for run_id in ids:
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
    return {_run_id(p) for p in queue_dir().glob("*.json")}


def _run_id(path: Path) -> str:
    """The run id of a job file ``<time>-<run id>.json``."""
    return path.name.split("-", 1)[1][:-5]


def is_orphan(record: dict, queued: set[str] | None = None) -> bool:
    """True for a ``queued`` run that nothing will ever run: no job of its own in the queue, and no running
    experiment that trains it (e.g. a cell left behind when its experiment failed or was resumed).

    ``queued`` is :func:`queued_ids`, when the caller checks many records.
    """
    if record["status"] != "queued" or time.time() - record["created"] < ORPHAN_GRACE_SECONDS:
        return False
    if record["id"] in (queued_ids() if queued is None else queued):
        return False
    try:
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


def _lock_file():
    return open(lock_path(), "a+")


def worker_alive() -> bool:
    """True while some worker process holds the lock."""
    with _lock_file() as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 300.0
_children: list[subprocess.Popen] = []  # workers this process started, reaped once they exit (no zombies)


def _state_path() -> Path:
    return paths.subdir("jobs") / "worker.json"


def _state() -> dict:
    """``{"starts": failed or pending starts in a row, "last_start": Unix time, "error": why the last one failed}``."""
    state = read_json(_state_path(), {})
    return state if isinstance(state, dict) else {}


def _set_state(**fields) -> None:
    atomic_write_bytes(_state_path(), json.dumps({**_state(), **fields}).encode())


def backoff(starts: int) -> float:
    """Seconds to wait before another start after ``starts`` starts in a row that did not get ready."""
    return 0.0 if starts <= 0 else min(BACKOFF_SECONDS * 2 ** (starts - 1), MAX_BACKOFF_SECONDS)


def ensure_worker() -> None:
    """Start a detached worker process unless one is running, or one was started too recently.

    A start counts until the worker reports itself ready (:func:`work`); while it has not, another
    start waits :func:`backoff` seconds (2, 4, 8, … up to 5 min), so a worker that cannot start is
    not restarted on every page refresh, and calls in quick succession start one worker, not several.
    """
    _children[:] = [child for child in _children if child.poll() is None]
    if worker_alive():
        return
    state = _state()
    starts = int(state.get("starts") or 0)
    if time.time() - float(state.get("last_start") or 0) < backoff(starts):
        return
    _set_state(starts=starts + 1, last_start=time.time())
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


JOB_KINDS = {"clf": "classifier", "gan": "gan", "exp": "experiment", "chk": "check"}  # run kind → job kind


def resume(run_id: str, start_worker: bool = True) -> None:
    """Queue an interrupted, cancelled or failed run again; a classifier carries on from its last checkpoint.

    Raises :class:`core.storage.runs.RunError` for a run that is active, done or does not exist.
    """
    record = runs.reopen(run_id)
    enqueue(run_id, JOB_KINDS[record["kind"]], start_worker=start_worker)


def handlers() -> dict:
    """Job kind → function of a run id (imported lazily: the worker is the only one that trains).

    With a cluster set, classifier and GAN jobs become Ray tasks; an experiment sends its cells there itself.
    """
    from . import cluster, experiment, tasks

    out = {"classifier": tasks.run_classifier, "gan": tasks.run_gan, "experiment": experiment.run_experiment,
           "check": tasks.run_check}
    if cluster.address():
        out.update(classifier=lambda run_id: cluster.run("classifier", run_id),
                   gan=lambda run_id: cluster.run("gan", run_id))
    return out


def _fail_if_queued(run_id: str, reason: str) -> None:
    """End a run that never started as ``failed`` with ``reason``: a job that failed before its run began
    must not leave it ``queued`` with nothing left to run it."""
    try:
        if runs.load(run_id)["status"] == "queued":
            runs.update(run_id, status="failed", finished=time.time(), pid=None, error=reason)
    except runs.RunError:
        pass


def run_one(path: Path) -> None:
    """Run the queued job in ``path`` and remove it from the queue, whatever happens."""
    job, run_id = runs.read_json(path), None
    try:
        if job is None:
            return
        run_id = job["run_id"]
        record = runs.load(run_id)
        if runs.cancel_requested(run_id):
            runs.update(run_id, status="cancelled", finished=time.time())
        elif record["status"] == "queued":
            handlers()[job["kind"]](run_id)
    except runs.RunError:
        pass  # the run was deleted while it waited
    except Exception as err:
        traceback.print_exc()
        if isinstance(run_id, str):
            _fail_if_queued(run_id, runs.error_text(err))
    finally:
        path.unlink(missing_ok=True)


def work(idle_exit: float = IDLE_EXIT_SECONDS) -> None:
    """The worker loop: hold the lock, run queued jobs oldest first, exit when idle.

    The lock is taken before torch (or Ray) is imported, so a spare worker costs a fraction of a
    second. With a cluster set, up to :func:`core.orchestration.cluster.slots` jobs run at once
    (:func:`_drain_on_cluster`); a cluster that cannot be joined fails every queued job with the reason
    and leaves it in :func:`worker_problem`.
    """
    while True:
        with _lock_file() as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another worker is running
            try:
                _serve(idle_exit)
            except Exception as err:
                _set_state(error=f"{type(err).__name__}: {err}")
                raise
            fcntl.flock(lock, fcntl.LOCK_UN)
        if not any(queue_dir().glob("*.json")):  # a job queued while we were letting go is not left behind
            return


def _serve(idle_exit: float) -> None:
    """Get ready (join the cluster, if one is set), say so, and drain the queue."""
    from . import cluster

    if not cluster.address():
        _set_state(starts=0, error=None)
        _drain(idle_exit)
        return
    try:
        slots = cluster.slots()
    except cluster.ClusterError as err:
        _set_state(error=str(err))
        for path in sorted(queue_dir().glob("*.json")):
            job = runs.read_json(path)
            if isinstance(job, dict) and "run_id" in job:
                _fail_if_queued(job["run_id"], str(err))
            path.unlink(missing_ok=True)
        return
    _set_state(starts=0, error=None)
    _drain_on_cluster(idle_exit, slots)


def _drain(idle_exit: float) -> None:
    """Run queued jobs one at a time, oldest first, until none came for ``idle_exit`` seconds."""
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < idle_exit:
        queued = sorted(queue_dir().glob("*.json"))
        if queued:
            run_one(queued[0])
            idle_since = time.monotonic()
        else:
            time.sleep(0.2)


def _drain_on_cluster(idle_exit: float, slots: int) -> None:
    """Like :func:`_drain`, but ``slots`` jobs at once, each waited on by a thread of its own."""
    busy: dict[Path, Future] = {}
    idle_since = time.monotonic()
    with ThreadPoolExecutor(slots) as pool:
        while busy or time.monotonic() - idle_since < idle_exit:
            busy = {path: job for path, job in busy.items() if not job.done()}
            waiting = [path for path in sorted(queue_dir().glob("*.json")) if path not in busy]
            for path in waiting[:slots - len(busy)]:
                busy[path] = pool.submit(run_one, path)
            if busy:
                idle_since = time.monotonic()
            time.sleep(0.2)
