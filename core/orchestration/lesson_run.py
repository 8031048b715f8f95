"""The lesson's runner: the worker's job for a lesson (:mod:`.lesson`) trains its steps in order, in this process.

Each step run is trained the one way its kind is (:func:`core.orchestration.execute.execute`,
:func:`core.orchestration.check.run_check`) with a progress callback that writes the lesson's own ``progress``:
the step running and what it does (named by :mod:`core.base.progress`, so the GAN's judge, its measures and the
classifier trained on its samples each say what they are), the share of the whole lesson done and the time left
for all of it, at the pace so far (:func:`core.base.progress.eta` over :func:`core.orchestration.lesson.
expected_seconds`). A step whose inputs did not finish is not run (it fails, saying why); the others still are.
Cancelling the lesson cancels the step running and the steps to come; running it again (resume) trains what did
not finish.
"""

from __future__ import annotations

import time
import traceback

from ..base.progress import eta, fraction
from ..storage import runs
from . import check, execute, lesson
from .context import RunContext, run_context

REPORT_EVERY = 0.5
"""Seconds between two writes of the lesson's progress within one step."""


class _Clock:
    """The lesson's progress: steps ended, the step running, the share done and the time left, written to its
    ``run.json``."""

    def __init__(self, ctx: RunContext, order: tuple[str, ...]):
        self.ctx, self.order, self.ended = ctx, order, 0
        self.expected = {s: lesson.expected_seconds(s, r) for s, r in lesson.step_records(ctx.record).items()}
        self.spent = 0.0  # expected seconds of the steps that ended
        self.skipped = 0.0  # of those, the steps not trained in this run (done before a resume, or not run): no pace
        self.written = 0.0

    def report(self, step: str, p: dict | None, force: bool = False) -> None:
        """Step ``step`` reported its run's progress ``p``."""
        if not force and time.monotonic() - self.written < REPORT_EVERY:
            return
        self.written = time.monotonic()
        total = sum(self.expected.values()) or 1.0
        done = self.spent + self.expected.get(step, 0.0) * fraction(p)
        left = eta(self.ctx.elapsed(), done - self.skipped, total - done)
        runs.update(self.ctx.id, progress={
            "steps_done": self.ended, "steps_total": len(self.order), "step": step,
            "now": lesson.step_text(step, p), "fraction": min(done / total, 1.0),
            "eta_seconds": left if left is not None else total - done, "at": time.time()})

    def end(self, step: str, trained: bool) -> None:
        """Step ``step`` ended; ``trained``: it ran in this process (its time counts in the pace so far)."""
        self.ended += 1
        self.spent += self.expected.get(step, 0.0)
        self.skipped += 0.0 if trained else self.expected.get(step, 0.0)


def run_lesson(lesson_id: str) -> dict:
    """Train the lesson's steps that have not finished, in order, then its checks; returns its status
    (:func:`core.orchestration.lesson.status`)."""
    with run_context(lesson_id, progress=None) as ctx:
        order = lesson.steps_of(ctx.record)
        clock = _Clock(ctx, order)
        try:
            for step in order:
                clock.end(step, _step(ctx, clock, step))
            ctx.lifecycle.check_cancel()  # cancelled during the last step: the lesson ends cancelled (resumable)
        except runs.Cancelled:
            _cancel_rest(ctx.id)
            raise
    return lesson.status(lesson.load(lesson_id))


def _step(ctx: RunContext, clock: _Clock, step: str) -> bool:
    """Run one step (after making a check's run, once its model exists), unless it is done or cannot run; whether
    it was run (trained, or tried to)."""
    ctx.lifecycle.check_cancel()
    record = lesson.load(ctx.id)
    if step in lesson.CHECKS and step not in record["steps"] and not _make_check(record, step):
        return False
    run_id = lesson.load(ctx.id)["steps"][step]
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
    clock.report(step, None, force=True)

    def on_progress(p: dict) -> None:
        clock.report(step, p)
        if runs.cancel_requested(ctx.id):
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
    """Create the check ``step`` of the model it checks, if that model has finished; False if it cannot be made
    (the reason is kept in the lesson's ``step_errors``)."""
    model = record["steps"][lesson.CHECKS[step]]
    target = record["config"]["check_on"]
    try:
        if runs.load(model)["status"] != "done":
            raise runs.RunError(f"the {lesson.TITLES[lesson.CHECKS[step]]} did not finish")
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
