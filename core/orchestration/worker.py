"""The background worker: which function runs each job kind, and the loop that runs queued jobs one at a time.

The top of the orchestration layer: it imports the runners, the runners never import it. Jobs come
from the queue (:mod:`core.storage.queue`, whose :func:`~core.storage.queue.enqueue` starts
``python -m core worker`` when a job is queued); :func:`work` holds the worker's lock and runs them
oldest first until the queue stays empty. The lock is taken before anything heavy is imported, so a
spare worker exits at once.

When a Ray cluster is set (:mod:`.cluster`), the worker hands queued classifier and GAN jobs to it,
N at a time, each waited on by a thread of its own; the queue files stay the record of what was asked
until each job ends, and a cancel request cancels the job's Ray task. Jobs that train in the worker's own
process even then (lessons and checks) run one at a time: torch's random state and thread settings are
global to a process, and two trainings sharing them would not repeat from their seeds.
"""

from __future__ import annotations

import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from ..storage import queue, runs
from ..storage.store import read_json

IDLE_EXIT_SECONDS = 3.0

JOB_KINDS = {"clf": "classifier", "gan": "gan", "exp": "experiment", "chk": "check", "lsn": "lesson"}
"""Run kind → job kind."""
REOPENS = {"exp": ("done", *runs.RESUMABLE)}
"""Statuses from which a run of a kind may be queued again, where they differ from :data:`core.storage.runs.RESUMABLE`
(a finished experiment continues with the cells it has not trained)."""


def handlers() -> dict[str, Callable[[str], object]]:
    """Job kind → function of a run id.

    With a cluster set, classifier and GAN jobs become Ray tasks; an experiment sends its cells there itself.
    The runners are imported here, not above: they load torch, which a page queuing a run again does not need.
    """
    from . import check, classifier, cluster, experiment, gan_run, lesson_run

    out = {"classifier": classifier.run_classifier, "gan": gan_run.run_gan, "experiment": experiment.run_experiment,
           "check": check.run_check, "lesson": lesson_run.run_lesson}
    if cluster.address():
        out.update(classifier=lambda run_id: cluster.run("classifier", run_id),
                   gan=lambda run_id: cluster.run("gan", run_id),
                   check=_one_at_a_time(check.run_check), lesson=_one_at_a_time(lesson_run.run_lesson))
    return out


_LOCAL = threading.Lock()
"""Held by a job that trains in this process while a cluster runs the others (see the module's docstring)."""


def _one_at_a_time(runner: Callable[[str], object]) -> Callable[[str], object]:
    """``runner``, waiting for :data:`_LOCAL` so no two jobs train in this process at once."""
    def run(run_id: str) -> object:
        with _LOCAL:
            return runner(run_id)
    return run


def reopens(record: runs.RunRecord) -> tuple[str, ...]:
    """The statuses from which run ``record`` may be queued again: :data:`REOPENS` of its kind, and for a finished
    lesson with a step that failed or was cancelled (e.g. the GAN failed, so the classifier on its samples did not
    run), 'done' too: resuming it trains those steps only (:mod:`.lesson_run` skips finished ones)."""
    from . import lesson

    statuses = REOPENS.get(record["kind"], runs.RESUMABLE)
    if record["kind"] == "lsn" and record["status"] == "done" and lesson.status(record)["resumable"]:
        return ("done", *statuses)
    return statuses


def reopen(run_id: str) -> runs.RunRecord:
    """Mark an interrupted, cancelled or failed run (or a finished experiment, or a finished lesson with a step left
    to train: :func:`reopens`) as queued again; returns its record.

    Raises :class:`core.storage.runs.RunError` for a run that is active, done or does not exist.
    """
    return runs.reopen(run_id, statuses=reopens(runs.load(run_id)))


def resume(run_id: str, start_worker: bool = True) -> None:
    """Queue a run again (:func:`reopen`); a classifier carries on from its last checkpoint, an experiment
    from its first unfinished cell, a lesson from its first unfinished step."""
    record = reopen(run_id)
    queue.enqueue(run_id, JOB_KINDS[record["kind"]], start_worker=start_worker)


def run_here(run_id: str) -> None:
    """Run queued run ``run_id`` in this process, as the worker would (the CLI's foreground resume)."""
    handlers()[JOB_KINDS[runs.load(run_id)["kind"]]](run_id)


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
    job, run_id = read_json(path), None
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
    and leaves it in :func:`core.storage.queue.worker_problem`.
    """
    while True:
        with queue.worker_lock() as mine:
            if not mine:
                return  # another worker is running
            try:
                _serve(idle_exit)
            except Exception as err:
                queue.set_worker_state(error=f"{type(err).__name__}: {err}")
                raise
        if not queue.queued():  # a job queued while we were letting go is not left behind
            return


def _serve(idle_exit: float) -> None:
    """Get ready (join the cluster, if one is set), say so, and drain the queue."""
    from . import cluster

    if not cluster.address():
        queue.set_worker_state(starts=0, error=None)
        _drain(idle_exit)
        return
    try:
        slots = cluster.slots()
    except cluster.ClusterError as err:
        queue.set_worker_state(error=str(err))
        for path in queue.queued():
            job = read_json(path)
            if isinstance(job, dict) and "run_id" in job:
                _fail_if_queued(job["run_id"], str(err))
            path.unlink(missing_ok=True)
        return
    queue.set_worker_state(starts=0, error=None)
    _drain_on_cluster(idle_exit, slots)


def _drain(idle_exit: float) -> None:
    """Run queued jobs one at a time, oldest first, until none came for ``idle_exit`` seconds."""
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < idle_exit:
        waiting = queue.queued()
        if waiting:
            run_one(waiting[0])
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
            waiting = [path for path in queue.queued() if path not in busy]
            for path in waiting[:slots - len(busy)]:
                busy[path] = pool.submit(run_one, path)
            if busy:
                idle_since = time.monotonic()
            time.sleep(0.2)
