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
(:mod:`core.compute.quality`). The pretrained ear can join as a baseline-only arm (:mod:`.arms`), set
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

import math
import time
from pathlib import Path
from typing import Callable

from ..base import config, splits
from ..compute import intervals, significance
from . import classifier, cluster, execute, gan_run
from .arms import PRETRAINED, arm_config, model_name, rivals
from ..storage import queue, runs
from ..usecases import compare, reports
from ..base import progress as steps
from ..compute.train import matched_epochs

DESIGNS: dict[str, tuple[tuple[str, str], ...]] = {
    "paper": (("paper", "paper"), ("recommended", "conditional")),
}
"""Experiment preset → arms, each (classifier preset, GAN preset that augments it); ``pretrained=True`` in
:func:`plan` adds the pretrained ear's baseline-only arm (:data:`.arms.PRETRAINED`)."""

PER_GENRE = (0, 70, 150)
CONTROLS = ("steps", "masked")
"""Control cells per augmented amount: steps-matched baseline, SpecAugment-masked copies of real inputs."""
STUDY = {0: 0.525, 70: 0.584, 150: 0.515}
"""The study's single-run test accuracies of the paper arm (53, 59 and 52 of 101 clips)."""

Progress = Callable[[dict], None]


# --------------------------------------------------------------------------- the plan

def plan(design: str = "paper", seeds: int = 5, first_seed: int = 0, per_genre: tuple[int, ...] = PER_GENRE,
         arms: tuple[str, ...] | None = None, overrides: tuple[str, ...] = (),
         gan_overrides: tuple[str, ...] = (), controls: tuple[str, ...] = CONTROLS, pretrained: bool = False,
         pretrained_overrides: tuple[str, ...] = ()) -> dict:
    """A validated experiment plan (stored as the experiment's ``config``).

    ``arms`` keeps only the named classifier presets of the design (and of the pretrained ear's arm, added by
    ``pretrained``); ``overrides`` and ``gan_overrides`` are ``key=value`` strings applied to every LSTM and GAN
    config, ``pretrained_overrides`` to the pretrained ear's (which takes only the split of ``overrides``,
    :func:`.arms.arm_config`); ``controls`` names the control cells trained beside every augmented cell
    (:data:`CONTROLS`).
    Raises :class:`core.base.config.ConfigError` for anything that would fail later.
    """
    if design not in DESIGNS:
        raise config.ConfigError(f"unknown experiment preset {design!r}; choose one of {sorted(DESIGNS)}")
    offered = [*DESIGNS[design], *([PRETRAINED] if pretrained else [])]
    chosen = [list(a) for a in offered if arms is None or a[0] in arms]
    if not chosen:
        raise config.ConfigError(f"no arm of {design!r} matches {list(arms or ())}; arms: {[a[0] for a in offered]}")
    if not 1 <= seeds <= config.MAX_SEEDS or first_seed < 0:
        raise config.ConfigError(f"need 1 to {config.MAX_SEEDS} seeds, numbered from 0 or more")
    amounts = sorted({int(n) for n in per_genre} | {0})
    if amounts[0] < 0 or amounts[-1] > config.MAX_PER_GENRE:
        raise config.ConfigError(f"clips generated per genre must lie between 0 and {config.MAX_PER_GENRE}")
    unknown = sorted(set(controls) - set(CONTROLS))
    if unknown:
        raise config.ConfigError(f"unknown control(s) {unknown}; choose from {list(CONTROLS)}")
    out = {"design": design, "arms": chosen, "per_genre": amounts, "seeds": list(range(first_seed, first_seed + seeds)),
           "set": list(overrides), "gan_set": list(gan_overrides), "controls": [c for c in CONTROLS if c in controls],
           "pretrained_set": list(pretrained_overrides)}
    for cell in cells(out):
        classifier_config(out, cell)
        if cell["kind"] == "gan":
            gan_config(out, cell)
    return out


def cell_key(preset: str, per_genre: int, seed: int, kind: str = "gan") -> str:
    """'recommended/70/0' (baseline and GAN cells), 'recommended/steps-70/0', 'recommended/masked-70/0'."""
    return f"{preset}/{per_genre if kind in ('gan', 'baseline') else f'{kind}-{per_genre}'}/{seed}"


def cell_label(preset: str, gan: str | None, per_genre: int, kind: str = "gan") -> str:
    """'paper LSTM, baseline', 'paper LSTM + 70/genre from the paper GAN', a control's label, or a baseline-only
    arm's model: 'pretrained ear (musicnn + linear head)'."""
    model = model_name(preset)
    if gan is None:
        return model
    if not per_genre:
        return f"{model}, baseline"
    return {"gan": f"{model} + {per_genre}/genre from the {gan} GAN",
            "steps": f"{model}, baseline for the steps of +{per_genre}/genre",
            "masked": f"{model} + {per_genre}/genre SpecAugment-masked copies"}[kind]


def _cell_title(cell: dict) -> str:
    return f"{cell_label(cell['preset'], cell['gan'], cell['per_genre'], cell['kind'])}, seed {cell['seed']}"


def cells(p: dict) -> list[dict]:
    """Every cell of a plan in the order they are trained: per arm, per seed, baseline first, controls last
    (a baseline-only arm's cell: its baseline)."""
    out = []
    for preset, gan in p["arms"]:
        for seed in p["seeds"]:
            amounts = p["per_genre"] if gan is not None else [0]
            kinds = [(n, "baseline" if not n else "gan") for n in amounts]
            kinds += [(n, kind) for kind in p.get("controls", ()) for n in amounts if n]
            out += [{"key": cell_key(preset, n, seed, kind), "preset": preset, "gan": gan, "per_genre": n,
                     "seed": seed, "kind": kind} for n, kind in kinds]
    return out


def classifier_config(p: dict, cell: dict) -> config.ClassifierConfig | config.PretrainedConfig:
    """The classifier config of a cell: its preset, the plan's overrides for it, the cell's seed
    (:func:`.arms.arm_config`)."""
    return arm_config(p, cell["preset"], cell["seed"])


def gan_config(p: dict, cell: dict) -> config.GANConfig:
    """The GAN config of a cell: same split (kind and seed) and input length as the cell's classifier."""
    clf = classifier_config(p, cell)
    return config.with_overrides(config.gan_preset(cell["gan"]), [
        *p["gan_set"], f"split={clf.split}", f"seed={cell['seed']}", f"first_frames={clf.first_frames}",
        f"segment_seconds={clf.segment_seconds}"])


def submit(p: dict, data_root: str | Path, data_name: str, name: str = "", enqueue: bool = False) -> str:
    """Create a queued experiment run folder for plan ``p``; with ``enqueue`` hand it to the worker. Returns its id."""
    title = name or (f"The study's table on {data_name}: {', '.join(a[0] for a in p['arms'])}, "
                     f"{len(p['seeds'])} seeds")
    exp_id = runs.create("exp", title, p, dataset={"name": data_name, "root": str(data_root)}, cells={}, gans={})
    if enqueue:
        queue.enqueue(exp_id, "experiment")
    return exp_id


# --------------------------------------------------------------------------- running

def finished(run_id: str | None) -> bool:
    """True if ``run_id`` names a run that completed (``done``) and can be reused."""
    if not run_id:
        return False
    try:
        return runs.load(run_id)["status"] == "done"
    except runs.RunError:
        return False


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
    execute.execute(kind, child, progress=_child_progress(exp_id, child, report, label))
    if runs.load(child)["status"] != "done":
        raise runs.Cancelled


def _gan_run(exp_id: str, p: dict, cell: dict) -> tuple[str, bool]:
    """The GAN run of the cell's (GAN preset, seed) and whether it is still to be trained.

    A finished one recorded in the experiment is reused; otherwise a new queued one is created and recorded.
    """
    key = f"{cell['gan']}/{cell['seed']}"
    record = runs.load(exp_id)
    if finished(record["gans"].get(key)):
        return record["gans"][key], False
    gan_id = gan_run.submit_gan(gan_config(p, cell), record["dataset"]["root"], record["dataset"]["name"],
                              name=f"{record['name']}: {cell['gan']} GAN, seed {cell['seed']}", preset=cell["gan"])
    runs.update(gan_id, experiment=exp_id)
    runs.update(exp_id, gans={**record["gans"], key: gan_id})
    return gan_id, True


def _gan_for(exp_id: str, p: dict, cell: dict, report: Callable[[float, str], None]) -> str:
    """The GAN run of the cell's (GAN preset, seed), trained now unless a finished one is recorded."""
    gan_id, untrained = _gan_run(exp_id, p, cell)
    if untrained:
        label = f"{cell['gan']} GAN for seed {cell['seed']}"
        _run_child(exp_id, gan_id, "gan", lambda fraction, text: report(0.0, text), label)
    return gan_id


def _control(record: dict, p: dict, cell: dict) -> tuple[dict, list[str]]:
    """A control cell's ``augment`` and config overrides, from its seed's baseline and GAN cells.

    ``steps``: the epochs that give the baseline as many optimiser steps as the GAN cell took
    (:func:`core.compute.train.matched_epochs`, from the two runs' training input counts); ``masked``: as
    many masked copies per genre as the GAN cell's samples.
    """
    if cell["kind"] == "masked":
        return {"masked_copies": cell["per_genre"]}, []
    base, aug = (runs.load(record["cells"][cell_key(cell["preset"], n, cell["seed"])]) for n in (0, cell["per_genre"]))
    clf = classifier_config(p, cell)
    return {}, [f"epochs={matched_epochs(clf.epochs, clf.batch_size, base['train_inputs'], aug['train_inputs'])}"]


def _cell_run(exp_id: str, p: dict, cell: dict, gan_id: str | None, label: str) -> str:
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
    child = classifier.submit_classifier(cfg, record["dataset"]["root"], record["dataset"]["name"],
                                    name=f"{record['name']}: {label}", preset=cell["preset"], **extra)
    runs.update(child, experiment=exp_id, cell=cell["key"])
    runs.update(exp_id, cells={**record["cells"], cell["key"]: child})
    return child


def _run_cell(exp_id: str, p: dict, cell: dict, report: Callable[[float, str], None]) -> str:
    """Train one cell as a new child classifier run and record it; returns the child's id."""
    label = _cell_title(cell)
    gan_id = _gan_for(exp_id, p, cell, report) if cell["kind"] == "gan" else None
    child = _cell_run(exp_id, p, cell, gan_id, label)
    _run_child(exp_id, child, "classifier", report, f"augmented classifier {label}" if gan_id else label)
    return child


def _cluster_jobs(exp_id: str, p: dict, todo: list[dict]) -> list[cluster.Job]:
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
        out.append(cluster.Job(_cell_run(exp_id, p, cell, gan_id, _cell_title(cell)), "classifier",
                               (gan_id,) if gan_id else ()))
    return out


def _waves(todo: list[dict]) -> list[list[dict]]:
    """Cells ``todo`` in the waves a cluster trains them in: controls after the cells they are matched to."""
    return [wave for wave in ([c for c in todo if c["kind"] not in CONTROLS], [c for c in todo if c["kind"] in CONTROLS])
            if wave]


def _train_on_cluster(exp_id: str, p: dict, todo: list[dict], state: dict,
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
                report(0.0, _cell_title(cell))
                _run_cell(exp_id, p, cell, report)
                state["done"] += 1
                state["trained"] += 1
                write_table(exp_id)
            report(0.0, "finished")
    finally:
        result = write_table(exp_id)
    return result


# --------------------------------------------------------------------------- the table

def _entry(run_id: str) -> compare.Entry | None:
    if not finished(run_id):
        return None
    res = runs.result(run_id)
    return compare.Entry(run_id, run_id, runs.load(run_id), res, []) if res else None


def per_seed_rows(record: dict) -> list[dict]:
    """One row per finished cell: accuracy, what it was measured on, and McNemar vs its seed's baseline.

    ``split_kind`` is the cell's split (``fold5`` rows of one partition are pooled by :func:`summarise`);
    ``only_baseline`` / ``only_this`` count the test clips only the baseline / only this cell got right;
    a GAN cell's ``vs_controls`` holds the same two counts against each control of its seed and amount, and a
    baseline-only arm's ``vs_arms`` against each LSTM baseline of its seed tested on the same clips.
    """
    p = record["config"]
    entries = {c["key"]: _entry(record.get("cells", {}).get(c["key"])) for c in cells(p)}
    rows = []
    for c in cells(p):
        e = entries[c["key"]]
        if e is None:
            continue
        base = entries.get(cell_key(c["preset"], 0, c["seed"]))
        m = (compare.compare_pair(base, e)["mcnemar"] if base is not None and c["per_genre"] else None) or {}
        controls = {k: entries.get(cell_key(c["preset"], c["per_genre"], c["seed"], k)) for k in CONTROLS}
        vs = {k: compare.compare_pair(other, e)["mcnemar"] for k, other in controls.items()
              if c["kind"] == "gan" and other is not None}
        lstms = {k: entries.get(cell_key(k, 0, c["seed"])) for k in rivals(p, c["preset"])}
        vs_arms = {k: compare.compare_pair(other, e)["mcnemar"] for k, other in lstms.items() if other is not None}
        acc = e.result["accuracy"]
        rows.append({"cell": cell_label(c["preset"], c["gan"], c["per_genre"], c["kind"]), "preset": c["preset"],
                     "gan": c["gan"] if c["kind"] == "gan" else "", "per_genre": c["per_genre"], "kind": c["kind"],
                     "seed": c["seed"], "epochs": e.record["config"].get("epochs"),
                     "accuracy": acc["value"], "lo": acc["lo"], "hi": acc["hi"], "correct": acc["correct"],
                     "n": acc["n"], "split": e.record.get("split_name", ""),
                     "split_kind": classifier_config(p, c).split, "run_id": e.id, "p_vs_baseline": m.get("p_value"),
                     "only_baseline": m.get("b"), "only_this": m.get("c"),
                     "vs_controls": {k: [v["b"], v["c"]] for k, v in vs.items() if v},
                     "vs_arms": {k: [v["b"], v["c"]] for k, v in vs_arms.items() if v}})
    return rows


def one_cross_validation(rows: list[dict]) -> bool:
    """True when ``rows`` are folds of one k-fold partition (``fold5`` seeds of one partition, e.g. 5-9).

    Their test sets are disjoint, so their clips pool into one test set; their accuracies are not
    independent (the folds share training clips), so they are never treated as independent seeds.
    """
    return bool(rows) and all(r.get("split_kind") == "fold5" and "correct" in r for r in rows) and len(
        {splits.partition_of(r["seed"]) for r in rows}) == 1


def _summary_row(rows: list[dict]) -> dict:
    accs = [r["accuracy"] for r in rows]
    out = {"cell": rows[0]["cell"], "preset": rows[0]["preset"], "per_genre": rows[0]["per_genre"],
           "seeds": len(rows), "min": min(accs), "max": max(accs)}
    if one_cross_validation(rows):
        acc = intervals.pooled_accuracy([r["correct"] for r in rows], [r["n"] for r in rows])
        return {**out, "unit": "clips", "clips": acc["n"], "mean": acc["value"],
                "std": intervals.mean_interval(accs)["std"], "lo": acc["lo"], "hi": acc["hi"],
                "interval": f"Wilson over {acc['n']} clips ({len(rows)} folds of one cross-validation, pooled)"}
    stats = intervals.mean_interval(accs)
    return {**out, "unit": "seeds", "clips": None, "mean": stats["mean"], "std": stats["std"],
            "lo": max(stats["lo"], 0.0), "hi": min(stats["hi"], 1.0), "interval": f"t over {stats['n']} seed{'s' if stats['n'] != 1 else ''}"}


def _counts(r: dict, against: str) -> tuple[int | None, int | None]:
    """Test clips only the ``against`` cell (``baseline``, a control, or another arm's baseline) of the seed got
    right, and only row ``r`` got right."""
    if against == "baseline":
        return r.get("only_baseline"), r.get("only_this")
    return tuple({**r.get("vs_controls", {}), **r.get("vs_arms", {})}.get(against) or (None, None))


def _difference_row(rows: list[dict], base: dict[int, dict], against: str = "baseline") -> dict | None:
    """Paired difference of one setting to the ``against`` cell (``baseline``, a control or another arm's
    baseline) of the same seeds, over the seeds where both finished."""
    rows = [r for r in rows if r["seed"] in base]
    if not rows:
        return None
    out = {"cell": rows[0]["cell"], "preset": rows[0]["preset"], "per_genre": rows[0]["per_genre"], "seeds": len(rows),
           "differences": [r["accuracy"] - base[r["seed"]]["accuracy"] for r in rows]}
    counts = [_counts(r, against) for r in rows]
    if one_cross_validation(rows + [base[r["seed"]] for r in rows]) and all(c is not None for c, _ in counts):
        m = significance.pooled_mcnemar([{"b": b, "c": c, "n": r["n"]} for r, (b, c) in zip(rows, counts)])
        return {**out, "unit": "clips", "clips": m["n"], "mean": (m["c"] - m["b"]) / m["n"], "std": None, "lo": None,
                "hi": None, "p_value": m["p_value"], "test": f"exact McNemar over {m['n']} clips ({m['b']} only the "
                f"{against} got right, {m['c']} only this one; {len(rows)} folds pooled)"}
    d = significance.paired_differences([base[r["seed"]]["accuracy"] for r in rows], [r["accuracy"] for r in rows])
    return {**out, "unit": "seeds", "clips": None, "mean": d["mean"], "std": d["std"], "lo": d["lo"], "hi": d["hi"],
            "p_value": significance.paired_p_value(d["differences"]), "test": f"paired t over {d['n']} seeds"}


def summarise(per_seed: list[dict], alpha: float = 0.05) -> dict:
    """Accuracy per setting with its interval, and paired differences to the same seeds' baseline, Holm-adjusted.

    Cells whose seeds are the folds of one cross-validation (:func:`one_cross_validation`) are pooled:
    accuracy with a Wilson interval over all their clips, and one exact McNemar test over all clips
    against the baseline. Cells over independent splits (other seeds) keep a Student-t interval over
    seeds (clipped to [0, 1]) and a paired t-test. The p-values of every difference in the table are
    then adjusted together (Holm–Bonferroni, ``p_holm``), and each ``verdict`` follows the adjusted value.

    Every augmented or control setting is compared with its baseline, every GAN setting also with
    each control of the same amount (does the GAN beat training longer, and simple augmentation?), and a
    baseline-only arm (the pretrained ear) with each LSTM's baseline over the seeds tested on the same clips.

    ``per_seed`` rows need ``cell``, ``preset``, ``per_genre``, ``seed``, ``accuracy`` and optionally
    ``kind`` (``baseline``, ``gan``, ``steps``, ``masked``; without it every augmented row is a GAN row) and
    ``vs_arms`` (LSTM presets → counts; the seeds a baseline-only arm shares test clips with them);
    pooling also needs ``split_kind``, ``correct``, ``n``, ``only_baseline``, ``only_this`` (and
    ``vs_controls``). Returns ``{"summary": [...],
    "differences": [...], "comparisons": m}``; a difference uses only seeds where both cells finished.
    """
    groups: dict[str, list[dict]] = {}
    for r in per_seed:
        groups.setdefault(r["cell"], []).append(r)
    summary = [_summary_row(rows) for rows in groups.values()]
    kind = lambda r: r.get("kind", "gan" if r["per_genre"] else "baseline")  # noqa: E731
    differences = []
    for cell, rows in groups.items():
        first = rows[0]
        if kind(first) == "baseline":  # a baseline-only arm beside each LSTM baseline tested on its clips
            against = [(k, f"{cell} vs the {model_name(k)} (same seeds, same test clips)", k, 0,
                        [r for r in rows if k in r.get("vs_arms", {})])
                       for k in dict.fromkeys(k for r in rows for k in r.get("vs_arms", {}))]
        else:
            against = [("baseline", f"{cell} vs the same seed's baseline", first["preset"], 0, rows)]
        if kind(first) == "gan":
            against += [(k, f"{cell} vs {label}", first["preset"], first["per_genre"], rows) for k, label in (
                ("steps", "the baseline trained as many steps"), ("masked", "as many masked copies"))]
        for k, name, preset, n, paired in against:
            base = {r["seed"]: r for r in per_seed if r["preset"] == preset and r["per_genre"] == n
                    and kind(r) == (k if k in CONTROLS else "baseline")}
            d = _difference_row(paired, base, k)
            if d is not None:
                differences.append({**d, "cell": name, "against": k})
    adjusted = significance.holm([d["p_value"] for d in differences]) if differences else []
    comparisons = sum(1 for d in differences if not math.isnan(d["p_value"]))
    for d, p_holm in zip(differences, adjusted):
        d["p_holm"] = None if math.isnan(p_holm) else float(p_holm)
        d["p_value"] = None if math.isnan(d["p_value"]) else d["p_value"]
        d["verdict"] = verdict(d, comparisons, alpha)
    return {"summary": summary, "differences": differences, "comparisons": comparisons}


def verdict(d: dict, comparisons: int, alpha: float = 0.05) -> str:
    """A plain sentence about a paired difference, following its Holm-adjusted p-value ``d['p_holm']``."""
    if d["p_holm"] is None:
        return "one seed only: the spread over seeds is unknown, so nothing can be concluded"
    tested = (f"{d['test']}: p = {d['p_value']:.2g}, {d['p_holm']:.2g} after Holm's adjustment for "
              f"{comparisons} comparison{'s' if comparisons != 1 else ''} in this table")
    if d["p_holm"] >= alpha or d["mean"] == 0:
        return f"no difference shown ({tested})"
    against = d.get("against", "baseline")
    if against in CONTROLS:
        return f"the GAN samples did {'better' if d['mean'] > 0 else 'worse'} than this control ({tested})"
    if against != "baseline":
        return f"this model did {'better' if d['mean'] > 0 else 'worse'} than the {model_name(against)} ({tested})"
    return f"augmentation {'helped' if d['mean'] > 0 else 'hurt'} on this data ({tested})"


def units_caption(result: dict) -> str:
    """What each interval and test of an experiment table is over: clips, folds or seeds."""
    kinds = {r["interval"] for r in result["summary"]}
    parts = [f"Accuracy intervals (95 %): {'; '.join(sorted(kinds))}."] if kinds else []
    if any(r["unit"] == "clips" for r in result["summary"]):
        parts.append("Folds of one cross-validation test every clip once and share training clips, so they are "
                     "pooled over clips rather than treated as independent seeds.")
    if result["differences"]:
        parts.append(f"Differences: exact McNemar over pooled clips or paired t over seeds, p-values adjusted "
                     f"together (Holm) over the {result['comparisons']} comparisons of the table; a verdict follows "
                     "the adjusted value.")
    return " ".join(parts)


def gan_rows(record: dict) -> list[dict]:
    """One row per finished GAN run of the experiment: its TSTR (with the real-trained accuracy) and both C2STs
    (``c2st_embedding`` is None for runs measured before it existed)."""
    rows = []
    for key, gan_id in sorted(record.get("gans", {}).items()):
        res = runs.result(gan_id) if finished(gan_id) else None
        if not res or "tstr" not in res:
            continue
        t, c, e = res["tstr"], res["c2st"], res.get("c2st_embedding")
        rows.append({"gan": key.split("/")[0], "seed": int(key.split("/")[1]), "tstr": t["accuracy"],
                     "tstr_lo": t["ci95"][0], "tstr_hi": t["ci95"][1], "real": t["real_accuracy"],
                     "ratio": t["ratio"], "c2st": c["accuracy"], "c2st_lo": c["ci95"][0], "c2st_hi": c["ci95"][1],
                     "c2st_embedding": e and e["accuracy"], "run_id": gan_id})
    return rows


def table(exp_id: str) -> dict:
    """The experiment's table from its finished child runs: per-seed rows, summary, paired differences,
    and the GAN runs' own measures."""
    record = runs.load(exp_id)
    rows = per_seed_rows(record)
    return {"per_seed": rows, **summarise(rows), "gan_quality": gan_rows(record), "cells_done": len(rows),
            "cells_total": len(cells(record["config"])), "measured_on": measured_on(record)}


def measured_on(record: dict) -> str:
    """Dataset, how each arm splits it, and the seeds: 'demo; paper LSTM: the study's random 70/20/10 split, …'."""
    p = record["config"]
    arms = "; ".join(f"{model_name(preset)}: {splits.KINDS[arm_config(p, preset, p['seeds'][0]).split]}"
                     for preset, _ in p["arms"])
    return (f"{record['dataset']['name']}; {arms}; a new split and initialisation per seed "
            f"(seeds {p['seeds'][0]}–{p['seeds'][-1]})")


def write_table(exp_id: str) -> dict:
    """Compute :func:`table` and store it as the experiment's ``result.json``."""
    result = table(exp_id)
    runs.write_json(runs.run_path(exp_id) / "result.json", result)
    return result


# --------------------------------------------------------------------------- exports

SUMMARY_COLUMNS = {"cell": "setting", "mean": "accuracy", "lo": "95 % low", "hi": "95 % high",
                   "interval": "interval over", "std": "std over seeds or folds", "min": "min", "max": "max"}
DIFFERENCE_COLUMNS = {"cell": "paired comparison (same seeds)", "mean": "difference", "lo": "95 % low",
                      "hi": "95 % high", "p_value": "p", "p_holm": "p, Holm-adjusted", "verdict": "verdict"}
PER_SEED_COLUMNS = {"cell": "setting", "seed": "seed", "epochs": "epochs", "accuracy": "accuracy", "correct": "correct",
                    "n": "test clips", "split": "split", "p_vs_baseline": "McNemar p vs baseline (this seed)",
                    "run_id": "run"}
GAN_COLUMNS = {"gan": "GAN", "seed": "seed", "tstr": "TSTR accuracy", "tstr_lo": "TSTR 95 % low",
               "tstr_hi": "TSTR 95 % high", "real": "trained on real", "ratio": "TSTR ratio", "c2st": "C2ST on band statistics",
               "c2st_lo": "C2ST 95 % low", "c2st_hi": "C2ST 95 % high",
               "c2st_embedding": "C2ST in the judge's embedding", "run_id": "run"}
PERCENT = ("accuracy", "mean", "std", "lo", "hi", "min", "max", "tstr", "tstr_lo", "tstr_hi", "real", "c2st", "c2st_lo",
           "c2st_hi", "c2st_embedding")
CSV_COLUMNS = ("section", "cell", "preset", "per_genre", "seed", "seeds", "unit", "clips", "accuracy", "mean", "std",
               "lo", "hi", "min", "max", "correct", "n", "split", "p_vs_baseline", "p_value", "p_holm", "interval",
               "test", "run_id", "verdict")


def table_csv(result: dict) -> str:
    """An experiment table as one CSV with sections ``summary``, ``difference`` and ``per_seed``."""
    return reports.csv_table([{"section": section, **r} for section, key in
                              (("summary", "summary"), ("difference", "differences"), ("per_seed", "per_seed"))
                              for r in result[key]], CSV_COLUMNS)


def spread_rows(result: dict) -> list[dict]:
    """Summary rows as interval rows (``name``, ``value``, ``lo``, ``hi``) for
    :func:`core.usecases.reports.svg_intervals`."""
    return [{"name": r["cell"], "value": r["mean"], "lo": r["lo"], "hi": r["hi"]} for r in result["summary"]]


def table_markdown(result: dict, title: str) -> str:
    """An experiment table as Markdown, with the means and intervals as an inline SVG figure."""
    study = ", ".join(f"{'baseline' if n == 0 else f'+{n}/genre'} {v:.1%}" for n, v in STUDY.items())
    return "\n".join([
        f"# {title}", "", f"Measured on {result['measured_on']}; {result['cells_done']} of {result['cells_total']} "
        f"cells finished. The study's single runs: {study}.", "", units_caption(result), "", "## Accuracy", "",
        reports.markdown_table(result["summary"], SUMMARY_COLUMNS, PERCENT), "",
        reports.svg_image(reports.svg_intervals(spread_rows(result), "Accuracy, 95 % interval over clips or seeds"),
                          "Accuracy per setting"), "",
        "## Paired differences (same seed, same split)", "",
        reports.markdown_table(result["differences"], DIFFERENCE_COLUMNS, PERCENT), "",
        "## The GANs' samples: train on synthetic, test on real (TSTR); classifier two-sample test (C2ST)", "",
        reports.markdown_table(result.get("gan_quality", []), GAN_COLUMNS, PERCENT), "", "## Every seed", "",
        reports.markdown_table(result["per_seed"], PER_SEED_COLUMNS, PERCENT), ""])
