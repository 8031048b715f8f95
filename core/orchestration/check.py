"""Checks of a finished classifier on another dataset: create one (kind ``chk``, job kind ``"check"``) and run it.

The check itself is :func:`core.usecases.generalise.check`; its result is kept in the classifier's run
folder (:func:`core.usecases.generalise.save`), the check run's own folder holds its progress and status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..base.datasets import DatasetError, list_clips
from ..storage import queue, runs
from ..usecases import generalise, predict
from .context import run_context


def submit_check(run_id: str, data_root: str | Path, data_name: str, mapping: dict[str, str] | None = None,
                 enqueue: bool = False) -> str:
    """Create a queued check of classifier run ``run_id`` on another dataset; with ``enqueue`` also hand it to
    the background worker.

    The genres are matched first, so a dataset that is not one, or shares no genre with the model, raises
    :class:`core.base.datasets.DatasetError` or :class:`core.usecases.generalise.LabelError` before anything
    is queued.
    """
    source = runs.load(run_id)
    labels = generalise.match_labels(list_clips(data_root).labels, predict.load_model(run_id).labels, mapping)
    check_id = runs.create("chk", f"{source['name']}, checked on {data_name}", {"run": run_id, "map": mapping or {}},
                           dataset={"name": data_name, "root": str(data_root)}, labels_used=labels.used)
    if enqueue:
        queue.enqueue(check_id, "check")
    return check_id


CHECK_ERRORS = (DatasetError, generalise.LabelError, runs.RunError)
"""Expected failures of a check, recorded as their message alone (it names no server path)."""


def run_check(check_id: str, progress: Callable[[int, int], None] | None = None) -> dict:
    """Run the check ``check_id`` describes and keep its result in the classifier's run folder; returns it, or
    ``{}`` when cancelled. Progress is ``{"clips": done, "total": total}`` in ``run.json``; a cancel request
    stops before the next clip.
    """
    result: dict = {}
    with run_context(check_id, plain_errors=CHECK_ERRORS, progress={"clips": 0, "total": 0}) as ctx:
        cfg = ctx.record["config"]

        def report(done: int, total: int) -> None:
            runs.update(check_id, progress={"clips": done, "total": total})
            if progress:
                progress(done, total)
            ctx.lifecycle.check_cancel()

        result = generalise.check(cfg["run"], ctx.record["dataset"]["root"], ctx.record["dataset"]["name"],
                                  cfg["map"], report)
        generalise.save(result)
        ctx.lifecycle.final.update(fingerprint=result["dataset"]["fingerprint"], train_seconds=result["seconds"])
    return result
