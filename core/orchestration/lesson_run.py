"""The lesson's runner: the worker's job for a lesson (:mod:`.lesson`) trains its steps in order, in this process.

Each step run is trained the one way its kind is (:func:`core.orchestration.execute.execute`,
:func:`core.orchestration.check.run_check`) with a progress callback that writes the lesson's own ``progress``:
the step running and what it does (named by :mod:`core.base.progress`, so the GAN's judge, its measures and the
classifier trained on its samples each say what they are), the share of the whole lesson done and the time left
for all of it, at the pace so far (:func:`core.base.progress.eta` over :func:`core.orchestration.lesson.
expected_seconds`). A step whose inputs did not finish is not run (it fails, saying why); the others still are.
Cancelling the lesson cancels the step running and the steps to come; running it again (resume) trains what did
not finish.

A quick lesson trains its :data:`~.lesson.LANE` steps in a second process beside the others (:class:`_Lane`),
each process on one thread: on two cores two one-thread trainings end sooner than the same trainings one after
the other on two threads, because an LSTM this small keeps a second thread less than half busy. Same recipes, seeds
and epochs; a one-thread sum adds in another order than a two-thread one, so its figures may differ from a
sequential run's in the last digits (the whole lesson stays sequential, so its figures do not move).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import traceback
from typing import Callable

import torch

from ..base import paths
from ..base.progress import eta, fraction
from ..storage import runs
from . import check, execute, lesson
from .context import RunContext, run_context

REPORT_EVERY = 0.5
"""Seconds between two writes of the lesson's progress within one step."""
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
Report = Callable[..., None]
"""``report(step, progress, force=False)``: what a step tells the lesson's progress."""


class _Clock:
    """The lesson's progress: steps ended, the step running, the share done and the time left, written to its
    ``run.json``."""

    def __init__(self, ctx: RunContext, order: tuple[str, ...]):
        self.ctx, self.order, self.ended = ctx, order, 0
        self.expected = {s: lesson.expected_seconds(s, r) for s, r in lesson.step_records(ctx.record).items()}
        self.spent = 0.0  # expected seconds of the steps that ended
        self.skipped = 0.0  # of those, the steps not trained in this run (done before a resume, or not run): no pace
        self.written = 0.0
        self.lane: _Lane | None = None

    def report(self, step: str, p: dict | None, force: bool = False) -> None:
        """Step ``step`` reported its run's progress ``p`` (and the second process's step, if one runs, counts)."""
        if not force and time.monotonic() - self.written < REPORT_EVERY:
            return
        self.written = time.monotonic()
        beside = None
        if self.lane is not None:
            for ended in self.lane.ended():
                self.end(ended, True)
            beside = self.lane.now()
        total = sum(self.expected.values()) or 1.0
        done = self.spent + self.expected.get(step, 0.0) * fraction(p)
        now = lesson.step_text(step, p)
        if beside is not None and beside[0] != step:
            done += self.expected.get(beside[0], 0.0) * fraction(beside[1])
            now += f"; alongside, {lesson.step_text(*beside)}"
        left = eta(self.ctx.elapsed(), done - self.skipped, total - done)
        runs.update(self.ctx.id, progress={
            "steps_done": self.ended, "steps_total": len(self.order), "step": step,
            "now": now, "fraction": min(done / total, 1.0),
            "eta_seconds": left if left is not None else total - done, "at": time.time()})

    def end(self, step: str, trained: bool) -> None:
        """Step ``step`` ended; ``trained``: it ran in this lesson run, here or in the second process (its time
        counts in the pace so far)."""
        self.ended += 1
        self.spent += self.expected.get(step, 0.0)
        self.skipped += 0.0 if trained else self.expected.get(step, 0.0)


class _Lane:
    """A quick lesson's second process (``python -m core.orchestration.lesson_run <lesson> <step>...``, one
    thread), training the :data:`~.lesson.LANE` steps not yet done while this process, on one thread too, trains
    the rest.

    A lesson that is not quick has no second process (``steps`` is empty) and trains on as many threads as before.
    """

    def __init__(self, ctx: RunContext, clock: _Clock):
        self.ids = ctx.record["steps"]
        self.all = tuple(s for s in lesson.LANE if s in self.ids) if ctx.record["config"].get("quick") else ()
        for step in [s for s in self.all if _status(self.ids[s]) == "done"]:  # before a resume
            clock.end(step, False)
        self.steps = tuple(s for s in self.all if _status(self.ids[s]) != "done")
        self.counted: set[str] = set()
        self.threads = torch.get_num_threads()
        self.process = None
        if self.steps:
            torch.set_num_threads(1)
            self.process = subprocess.Popen([sys.executable, "-m", __name__, ctx.id, *self.steps],
                                            cwd=paths.REPO_ROOT, env={**os.environ, **ONE_THREAD},
                                            stdin=subprocess.DEVNULL)
            clock.lane = self

    def now(self) -> tuple[str, dict | None] | None:
        """The step the second process trains now and its run's progress; None when it trains none."""
        for step in self.steps:
            try:
                record = runs.load(self.ids[step])
            except runs.RunError:
                continue
            if record["status"] == "running":
                return step, record.get("progress")
        return None

    def ended(self) -> list[str]:
        """The second process's steps that ended (done, failed or cancelled) since the last call."""
        out = [s for s in self.steps
               if s not in self.counted and _status(self.ids[s]) in ("done", "failed", "cancelled")]
        self.counted.update(out)
        return out

    def wait(self, clock: _Clock, stop: bool = False) -> None:
        """Wait for the second process to end (``stop``: end it first), reporting its step meanwhile."""
        if self.process is None:
            return
        try:
            if stop:
                self.process.terminate()
            while self.process.poll() is None:
                beside = self.now()
                if beside is not None:
                    clock.report(*beside)
                time.sleep(REPORT_EVERY)
        finally:
            self.process.wait()
            torch.set_num_threads(self.threads)
            clock.lane = None
        for step in self.ended():
            clock.end(step, True)

    def left(self) -> tuple[str, ...]:
        """The second process's steps that did not end (it crashed, or was killed): this process trains them."""
        return tuple(s for s in self.steps if s not in self.counted)


def run_lesson(lesson_id: str) -> dict:
    """Train the lesson's steps that have not finished, in order (a quick lesson's :data:`~.lesson.LANE` in a second
    process), then its checks; returns its status (:func:`core.orchestration.lesson.status`)."""
    with run_context(lesson_id, progress=None) as ctx:
        order = lesson.steps_of(ctx.record)
        clock = _Clock(ctx, order)
        lane = _Lane(ctx, clock)
        try:
            try:
                for step in order:
                    if step not in lesson.CHECKS and step not in lane.all:
                        clock.end(step, _step(ctx.id, clock.report, step))
            except BaseException as err:  # a cancel stops the second process too; anything else stops it here
                lane.wait(clock, stop=not isinstance(err, runs.Cancelled))
                raise
            lane.wait(clock)
            for step in (*lane.left(), *[s for s in order if s in lesson.CHECKS]):
                clock.end(step, _step(ctx.id, clock.report, step))
            ctx.lifecycle.check_cancel()  # cancelled during the last step: the lesson ends cancelled (resumable)
        except runs.Cancelled:
            _cancel_rest(ctx.id)
            raise
    return lesson.status(lesson.load(lesson_id))


def run_lane(lesson_id: str, steps: list[str]) -> None:
    """The second process of a quick lesson: train ``steps`` in order (the lesson's progress is written by the
    first process, which reads these steps' runs); stop when the lesson is cancelled."""
    try:
        for step in steps:
            _step(lesson_id, lambda *_, **__: None, step)
    except runs.Cancelled:
        return


def _step(lesson_id: str, report: Report, step: str) -> bool:
    """Run one step (after making a check's run, once its model exists), unless it is done or cannot run; whether
    it was run (trained, or tried to)."""
    if runs.cancel_requested(lesson_id):
        raise runs.Cancelled
    record = lesson.load(lesson_id)
    if step in lesson.CHECKS and step not in record["steps"] and (
            step in (record.get("step_errors") or {}) or not _make_check(record, step)):
        return False  # refused by its dataset before: not retried (:func:`core.orchestration.lesson.to_train`)
    run_id = lesson.load(lesson_id)["steps"][step]
    status = _status(run_id)
    if status in ("done", None):  # None: deleted meanwhile
        return False
    if status in runs.RESUMABLE:
        runs.reopen(run_id)
    missing = [s for s in lesson.NEEDS.get(step, ()) if _status(record["steps"][s]) != "done"]
    if missing:
        runs.update(run_id, status="failed", finished=time.time(),
                    error=f"not run: the {' and the '.join(lesson.TITLES[s] for s in missing)} did not finish")
        return False
    report(step, None, force=True)

    def on_progress(p: dict) -> None:
        report(step, p)
        if runs.cancel_requested(lesson_id):
            runs.request_cancel(run_id)

    try:
        if step in lesson.CHECKS:
            check.run_check(run_id, lambda done, total: on_progress({"clips": done, "total": total}))
        else:
            execute.execute("gan" if step == "gan" else "classifier", run_id, progress=on_progress)
    except Exception:  # the step's run says why it failed; the lesson goes on with the steps that do not need it
        traceback.print_exc()
    return True


def _status(run_id: str) -> str | None:
    """A step run's status; None if it was deleted."""
    try:
        return runs.load(run_id)["status"]
    except runs.RunError:
        return None


def _make_check(record: dict, step: str) -> bool:
    """Create the check ``step`` of the model it checks, if that model has finished (if not, a resume makes it once
    it has); False if it cannot be made now (a refusal by the dataset is kept in the lesson's ``step_errors``)."""
    model = record["steps"][lesson.CHECKS[step]]
    target = record["config"]["check_on"]
    if _status(model) != "done":
        return False
    try:
        check_id = check.submit_check(model, target["root"], target["name"])
    except check.CHECK_ERRORS as err:  # e.g. no genre in common with the second dataset
        runs.update(record["id"], step_errors={**record.get("step_errors", {}),
                                                step: runs.error_text(err, check.CHECK_ERRORS)})
        return False
    runs.update(check_id, lesson=record["id"])
    runs.update(record["id"], steps={**record["steps"], step: check_id})
    return True


def _cancel_rest(lesson_id: str) -> None:
    """The lesson was cancelled: its steps still queued end cancelled too (nothing would run them)."""
    for run_id in lesson.load(lesson_id)["steps"].values():
        try:
            if runs.load(run_id)["status"] == "queued":
                runs.update(run_id, status="cancelled", finished=time.time())
        except runs.RunError:
            continue


if __name__ == "__main__":
    run_lane(sys.argv[1], sys.argv[2:])
