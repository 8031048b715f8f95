"""A queue of background jobs and the one worker process that runs them, one at a time.

Jobs are files under ``<data>/jobs/queue/`` named ``<time>-<run id>.json``, written atomically,
so any number of browser tabs or CLI calls can enqueue at once. :func:`ensure_worker` starts
``python -m core worker`` as a detached process (it outlives reruns, page switches, closed tabs and
app restarts); a file lock lets only one worker run, since two trainings on two cores would each
run at half speed. Progress and results live in the run folders (:mod:`core.storage.runs`).

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
from ..storage.store import atomic_write_bytes

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
    ids = [p.name.split("-", 1)[1][:-5] for p in sorted(queue_dir().glob("*.json"))]
    out = []
    for run_id in ids:
        try:
            if runs.load(run_id)["status"] in runs.ACTIVE:
                out.append(run_id)
        except runs.RunError:
            continue
    return out


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


def ensure_worker() -> None:
    """Start a detached worker process unless one is running (a spare one exits at once)."""
    if worker_alive():
        return
    log = open(paths.subdir("jobs") / "worker.log", "ab")
    subprocess.Popen([sys.executable, "-m", "core", "worker"], cwd=paths.REPO_ROOT, stdout=log, stderr=log,
                     stdin=subprocess.DEVNULL, start_new_session=True, env=os.environ.copy())


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


def run_one(path: Path) -> None:
    """Run the queued job in ``path`` and remove it from the queue, whatever happens."""
    job = runs.read_json(path)
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
    except Exception:
        traceback.print_exc()
    finally:
        path.unlink(missing_ok=True)


def work(idle_exit: float = IDLE_EXIT_SECONDS) -> None:
    """The worker loop: hold the lock, run queued jobs oldest first, exit when idle.

    With a cluster set, up to :func:`core.orchestration.cluster.slots` jobs run at once (:func:`_drain_on_cluster`).
    """
    from . import cluster

    drain = (lambda: _drain_on_cluster(idle_exit, cluster.slots())) if cluster.address() else lambda: _drain(idle_exit)
    while True:
        with _lock_file() as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another worker is running
            drain()
            fcntl.flock(lock, fcntl.LOCK_UN)
        if not any(queue_dir().glob("*.json")):  # a job queued while we were letting go is not left behind
            return


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
