"""The study's table over N seeds, resumable: does GAN augmentation really help?

The study reported 52.5 % (baseline), 58.4 % (+70 generated clips per genre) and 51.5 % (+150 per
genre) from one unseeded run each. An experiment reruns that grid properly: every *cell*
(classifier preset, clips generated per genre, seed) is a child classifier run; each seed draws a
new split and a new initialisation, and a GAN is trained once per (GAN preset, seed) on that seed's
training split and reused for every amount of augmentation. The table then gives mean ± std and a
95 % interval per setting, and the paired difference to the baseline of the same seed (same split,
so the seed-to-seed variation both share cancels).

Two controls answer what "+n/genre helped" alone cannot (:data:`CONTROLS`): the baseline trained
for as many optimiser steps as the augmented cell took (``steps``: is it more data, or only more
steps?), and the baseline given the same number of extra inputs as SpecAugment-masked copies of
its real training inputs (``masked``: does the GAN beat simple augmentation?). The table pairs the
GAN cell with each of them, seed by seed, and lists the GAN runs' own TSTR and C2ST
(:mod:`core.compute.quality`). The pretrained ear can join as a baseline-only arm (:mod:`core.base.arms`), set
beside each LSTM's baseline of the same seeds.

An experiment is a run folder of kind ``exp``. Its ``run.json`` holds the plan (``config``), the
child runs (``cells``: cell key → classifier run id; ``gans``: ``<gan preset>/<seed>`` → GAN run
id) and grid ``progress``; its ``result.json`` holds the table, rewritten after every cell. Running
an experiment again skips every cell whose child run is ``done``, so an interrupted or cancelled
experiment continues where it stopped.

With a Ray cluster named (:mod:`.cluster`), the cells still to train (and their GANs, each
before the cells it augments) are sent to it at once as Ray tasks; each is trained there by
:func:`core.orchestration.execute.execute`, the function the local runner calls, and lands in its run folder here.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from ..base import config
from ..base import progress as steps
from ..base.experiment_plan import CONTROLS, Cell, Plan, cell_key, cell_title, cells, classifier_config, gan_config
from ..storage import queue, runs
from ..usecases.experiment_table import finished, table
from . import cluster

# The runners (.classifier, .gan_run, .execute) and core.compute.train (torch) are imported by the functions that
# train, so a page that plans an experiment or shows its table loads none of them.


Progress = Callable[[dict], None]


def submit(p: Plan, data_root: str | Path, data_name: str, name: str = "", enqueue: bool = False) -> str:
    """Create a queued experiment run folder for plan ``p``; with ``enqueue`` hand it to the worker. Returns its id."""
    title = name or (f"The study's table on {data_name}: {', '.join(a[0] for a in p['arms'])}, "
                     f"{len(p['seeds'])} seeds")
    exp_id = runs.create("exp", title, p, dataset={"name": data_name, "root": str(data_root)}, cells={}, gans={})
    if enqueue:
        queue.enqueue(exp_id, "experiment")
    return exp_id


# --------------------------------------------------------------------------- running


def status_text(record: dict) -> str:
    """One line about an experiment: grid progress, current cell and time left, or how it ended."""
    p = record.get("progress") or {}
    grid = f"{p.get('cells_done', 0)} of {p.get('cells_total', '?')} cells done"
    if record["status"] == "running":
        eta = p.get("eta_seconds")
        left = f", about {eta / 60:.1f} min left" if eta is not None else ""
        return f"{grid}; now: {p.get('current', 'preparing')}{left}."
    return {"queued": "Waiting for the background worker.", "done": f"Finished: {grid}.",
            "cancelled": f"Cancelled: {grid}; resume to continue.",
            "interrupted": f"Interrupted (the worker stopped): {grid}; resume to continue.",
            "failed": f"Failed: {record.get('error', 'unknown error')} ({grid}); resume to retry."}[record["status"]]


def _child_progress(exp_id: str, child: str, report: Callable[[float, str], None], label: str) -> Progress:
    """A child run's progress callback: report grid progress naming the child's step (:mod:`core.base.progress`)
    and pass a cancel request on to the child."""
    def on_epoch(p: dict) -> None:
        report(steps.fraction(p), steps.step_text(p, label))
        if runs.cancel_requested(exp_id):
            runs.request_cancel(child)
    return on_epoch


def _run_child(exp_id: str, child: str, kind: str, report: Callable[[float, str], None], label: str) -> None:
    from .execute import execute

    execute(kind, child, progress=_child_progress(exp_id, child, report, label))
    if runs.load(child)["status"] != "done":
        raise runs.Cancelled


def _gan_run(exp_id: str, p: Plan, cell: Cell) -> tuple[str, bool]:
    """The GAN run of the cell's (GAN preset, seed) and whether it is still to be trained.

    A finished one recorded in the experiment is reused; otherwise a new queued one is created and recorded.
    """
    from .gan_run import submit_gan

    key = f"{cell['gan']}/{cell['seed']}"
    record = runs.load(exp_id)
    if finished(record["gans"].get(key)):
        return record["gans"][key], False
    gan_id = submit_gan(gan_config(p, cell), record["dataset"]["root"], record["dataset"]["name"],
                              name=f"{record['name']}: {cell['gan']} GAN, seed {cell['seed']}", preset=cell["gan"])
    runs.update(gan_id, experiment=exp_id)
    runs.update(exp_id, gans={**record["gans"], key: gan_id})
    return gan_id, True


def _gan_for(exp_id: str, p: Plan, cell: Cell, report: Callable[[float, str], None]) -> str:
    """The GAN run of the cell's (GAN preset, seed), trained now unless a finished one is recorded."""
    gan_id, untrained = _gan_run(exp_id, p, cell)
    if untrained:
        label = f"{cell['gan']} GAN for seed {cell['seed']}"
        _run_child(exp_id, gan_id, "gan", lambda fraction, text: report(0.0, text), label)
    return gan_id


def _control(record: dict, p: Plan, cell: Cell) -> tuple[dict, list[str]]:
    """A control cell's ``augment`` and config overrides, from its seed's baseline and GAN cells.

    ``steps``: the epochs that give the baseline as many optimiser steps as the GAN cell took
    (:func:`core.compute.train.matched_epochs`, from the two runs' training input counts); ``masked``: as
    many masked copies per genre as the GAN cell's samples.
    """
    from ..compute.train import matched_epochs

    if cell["kind"] == "masked":
        return {"masked_copies": cell["per_genre"]}, []
    base, aug = (runs.load(record["cells"][cell_key(cell["preset"], n, cell["seed"])]) for n in (0, cell["per_genre"]))
    clf = classifier_config(p, cell)
    return {}, [f"epochs={matched_epochs(clf.epochs, clf.batch_size, base['train_inputs'], aug['train_inputs'])}"]


def _cell_run(exp_id: str, p: Plan, cell: Cell, gan_id: str | None, label: str) -> str:
    """A new queued child classifier run of the cell: augmented from ``gan_id`` (a GAN cell) or set up as a
    control (:func:`_control`, once its seed's baseline and GAN cells are done); recorded."""
    extra, more = {}, []
    if cell["kind"] == "gan":
        extra["augment"] = {"gan_run": gan_id, "per_genre": cell["per_genre"]}
    record = runs.load(exp_id)
    if cell["kind"] in CONTROLS:
        augment, more = _control(record, p, cell)
        extra.update({"augment": augment} if augment else {})
    if cell["per_genre"] and record["cells"].get(cell_key(cell["preset"], 0, cell["seed"])):
        extra["baseline"] = record["cells"][cell_key(cell["preset"], 0, cell["seed"])]
    cfg = config.with_overrides(classifier_config(p, cell), more)
    from .classifier import submit_classifier

    child = submit_classifier(cfg, record["dataset"]["root"], record["dataset"]["name"],
                                    name=f"{record['name']}: {label}", preset=cell["preset"], **extra)
    runs.update(child, experiment=exp_id, cell=cell["key"])
    runs.update(exp_id, cells={**record["cells"], cell["key"]: child})
    return child


def _run_cell(exp_id: str, p: Plan, cell: Cell, report: Callable[[float, str], None]) -> str:
    """Train one cell as a new child classifier run and record it; returns the child's id."""
    label = cell_title(cell)
    gan_id = _gan_for(exp_id, p, cell, report) if cell["kind"] == "gan" else None
    child = _cell_run(exp_id, p, cell, gan_id, label)
    _run_child(exp_id, child, "classifier", report, f"augmented classifier {label}" if gan_id else label)
    return child


def _cluster_jobs(exp_id: str, p: Plan, todo: list[Cell]) -> list[cluster.Job]:
    """The runs that train cells ``todo`` on a cluster, each GAN before the cells it augments (child runs created)."""
    out, gans = [], {}
    for cell in todo:
        gan_id = None
        if cell["kind"] == "gan":
            key = f"{cell['gan']}/{cell['seed']}"
            if key not in gans:
                gans[key], untrained = _gan_run(exp_id, p, cell)
                if untrained:
                    out.append(cluster.Job(gans[key], "gan"))
            gan_id = gans[key]
        out.append(cluster.Job(_cell_run(exp_id, p, cell, gan_id, cell_title(cell)), "classifier",
                               (gan_id,) if gan_id else ()))
    return out


def _waves(todo: list[Cell]) -> list[list[Cell]]:
    """Cells ``todo`` in the waves a cluster trains them in: controls after the cells they are matched to."""
    return [wave for wave in ([c for c in todo if c["kind"] not in CONTROLS],
                              [c for c in todo if c["kind"] in CONTROLS])
            if wave]


def _train_on_cluster(exp_id: str, p: Plan, todo: list[Cell], state: dict,
                      report: Callable[[float, str], None]) -> None:
    """Train cells ``todo`` as Ray tasks (:mod:`.cluster`), counting each into ``state`` and the table as it lands."""
    total = state["done"] + len(todo)

    def landed(job: cluster.Job) -> None:
        if job.kind == "classifier":
            state["done"] += 1
            state["trained"] += 1
            write_table(exp_id)
        report(0.0, f"{total - state['done']} cells queued or training on the Ray cluster")

    report(0.0, f"{len(todo)} cells sent to the Ray cluster")
    cluster.run_all(_cluster_jobs(exp_id, p, todo), runs.load(exp_id)["dataset"]["root"], landed,
                    lambda: runs.cancel_requested(exp_id))


def run_experiment(exp_id: str, progress: Progress | None = None) -> dict:
    """Train every cell of experiment ``exp_id`` not finished yet, writing the table after each; returns it.

    ``progress`` (and ``run.json``'s ``progress``) receive ``cells_done``, ``cells_total``,
    ``eta_seconds`` and ``current``. A cancel request stops after the current epoch of the current
    child run, with status ``cancelled``; finished cells are kept for :func:`.worker.resume`. With a cluster set,
    a cancel request cancels every Ray task of the grid instead.
    """
    try:
        with runs.running(exp_id, plain_errors=(cluster.ClusterError,), error=None) as run:
            p = run.record["config"]
            grid = cells(p)
            reused = {c["key"] for c in grid if finished(run.record["cells"].get(c["key"]))}
            state = {"done": len(reused), "trained": 0.0}
            clock = time.perf_counter()

            def report(fraction: float, current: str) -> None:
                work_left = len(grid) - state["done"] - fraction
                info = {"cells_done": state["done"], "cells_total": len(grid), "current": current,
                        "eta_seconds": steps.eta(time.perf_counter() - clock, state["trained"] + fraction,
                                                   work_left)}
                runs.update(exp_id, progress=info)
                if progress:
                    progress(info)

            todo = [cell for cell in grid if cell["key"] not in reused]
            if cluster.address():
                cluster.connect()  # before any cell is created: an unreachable cluster leaves no queued cell
                run.check_cancel()
                for wave in _waves(todo):
                    _train_on_cluster(exp_id, p, wave, state, report)
                todo = []
            for cell in todo:
                run.check_cancel()
                report(0.0, cell_title(cell))
                _run_cell(exp_id, p, cell, report)
                state["done"] += 1
                state["trained"] += 1
                write_table(exp_id)
            report(0.0, "finished")
    finally:
        result = write_table(exp_id)
    return result


# --------------------------------------------------------------------------- the table


def write_table(exp_id: str) -> dict:
    """Compute :func:`table` and store it as the experiment's ``result.json``."""
    result = table(exp_id)
    runs.write_json(runs.run_path(exp_id) / "result.json", result)
    return result
