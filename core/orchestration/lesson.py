"""The lesson: the study in miniature on one dataset, a run the background worker advances step by step.

Its steps are ordinary runs, created when the lesson is queued and trained in this order by the lesson's
runner (:mod:`.lesson_run`), inside the one job the worker takes for the lesson:

1. the paper LSTM (the study's classifier, fewer epochs than its 120);
2. the recommended LSTM;
3. the classic recipe (hand-made features: MFCC, chroma and tempo statistics in a logistic regression) on the
   same clips, split and seed as the recommended LSTM;
4. the pretrained ear (a frozen music tagger and a logistic regression, :mod:`core.compute.transfer`), on the
   same clips again: three ways to learn genre side by side (from scratch, hand-made features, transfer);
5. the conditional GAN, learning from the recommended LSTM's training clips (same split and seed), with a
   reference classifier of its own to judge its samples: the recommended recipe on inputs at their recorded
   level (:func:`core.compute.gan.data_config`, so that generated log-mels descale exactly), which step 2's
   model, trained with each segment's level removed, is not, so the GAN step trains that judge itself;
6. the recommended LSTM again with generated samples per genre from that GAN
   (:func:`core.orchestration.classifier.submit_augmented`, with this lesson's step 2 as its baseline).

Where a second dataset is named (``check_on``), the recommended LSTM, the classic recipe and the pretrained ear
are then checked on it (:mod:`core.usecases.generalise`), each check created once its model has finished.

A lesson is a run folder of kind ``lsn``: its ``run.json`` holds the plan (``config``), the step runs
(``steps``: step → run id, each step run linked back by its ``lesson`` field) and, while it runs, its
``progress``: the step running, the fraction of the whole lesson done and the time left for all of it. So it
survives reloads, page switches, closed tabs and app restarts, any page can show it, and the classifier runs it
produced are what Compare puts side by side. This module plans and reads lessons; pages import it (no torch).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from ..base import config, measured, paths
from ..base import progress as steps
from ..base.progress import duration
from ..storage import queue, runs
from ..storage.store import locked

PAPER_EPOCHS = 20
"""Epochs of the lesson's paper LSTM (the study's 120 take about 6x as long; its curve has flattened by 20)."""
GAN_EPOCHS = 20
"""Epochs of the lesson's conditional GAN: a fifth of the preset's 100, to keep the lesson within five minutes."""
QUICK_EPOCHS = 5
"""Epochs of every LSTM (the GAN's judging classifier included) and of the GAN in a quick lesson."""
PER_GENRE = 70
"""Generated samples per genre in the augmented run: the study's +700 over 10 genres."""

STEPS = ("paper", "recommended", "classic", "pretrained", "gan", "augmented")
CHECKS = {"check": "recommended", "check_classic": "classic", "check_pretrained": "pretrained"}
"""Check step → the step whose model it checks on the second dataset."""
NEEDS = {"augmented": ("recommended", "gan"), **{c: (model,) for c, model in CHECKS.items()}}
"""Step → the steps that must have finished before it can run."""
LANE = ("paper", "classic", "pretrained")
"""The steps a quick lesson trains in a second process (:mod:`.lesson_run`): none needs another step, and only the
checks (run last) need them; the rest (recommended LSTM, GAN, augmented) is a chain of about as many seconds."""
CLASSIFIERS = ("paper", "recommended", "classic", "pretrained", "augmented")
"""The steps that train a classifier, in the order Compare shows them."""
TITLES = {"paper": "paper LSTM (the study)", "recommended": "recommended LSTM",
          "classic": "classic recipe (hand-made features + logistic regression)",
          "pretrained": "pretrained ear (musicnn) + logistic regression", "gan": "conditional GAN",
          "augmented": f"recommended LSTM + {PER_GENRE}/genre from the conditional GAN",
          "check": "recommended LSTM checked on another dataset",
          "check_classic": "classic recipe checked on another dataset",
          "check_pretrained": "pretrained ear checked on another dataset"}
PACE = {"paper": (0.0, 3.75), "recommended": (0.0, 1.7), "classic": (10.0, 0.0), "pretrained": (15.0, 0.0),
        "gan": (40.0, 3.0), "augmented": (0.0, 2.3), "check": (10.0, 0.0), "check_classic": (10.0, 0.0),
        "check_pretrained": (10.0, 0.0)}
"""Step → (seconds, seconds per epoch) it takes on the demo set on an idle machine: ``bench/bench_lesson.py`` at
458180f (paper LSTM 75 s for 20 epochs, recommended 25 s for 15, pretrained ear 15 s, GAN 100 s for 20 epochs
with its judge and measures, augmented 34 s for 15); the classic step and the checks are guesses. Only the ratios
matter: a running lesson scales them by its own pace (:func:`core.base.progress.eta`)."""


MEASURED = {False: "bench_lesson/lesson_demo_seconds", True: "bench_lesson/lesson_quick_demo_seconds"}
"""Whole lesson / quick lesson → the benchmark figure of its time on the demo set (``bench/bench_lesson.py``)."""


class LessonError(ValueError):
    """A lesson that does not exist, or one that cannot start; ``str(err)`` is fit to show a user."""


def configs(seed: int = 0, overrides: tuple[str, ...] = (), gan_overrides: tuple[str, ...] = ()) -> dict:
    """The lesson's configs: ``paper`` and ``recommended`` classifiers, the ``classic`` recipe, the ``pretrained``
    ear and the ``gan``, all on seed ``seed``.

    ``overrides`` (``key=value``) apply to both LSTMs, ``gan_overrides`` to the GAN (e.g. a tiny
    lesson for a test). The GAN shares the recommended classifier's split, seed and segment length, so
    its samples may join that classifier's training clips; the classic recipe and the pretrained ear share its
    split and seed, so all are tested on the same clips. Raises :class:`core.base.config.ConfigError`.
    """
    paper = config.with_overrides(config.preset("paper", epochs=PAPER_EPOCHS), [*overrides, f"seed={seed}"])
    recommended = config.with_overrides(config.preset("recommended"), [*overrides, f"seed={seed}"])
    gan = config.with_overrides(config.gan_preset("conditional", epochs=GAN_EPOCHS), [
        *gan_overrides, f"split={recommended.split}", f"seed={seed}",
        f"segment_seconds={recommended.segment_seconds}"])
    same_clips = {"split": recommended.split, "seed": seed}
    return {"paper": paper, "recommended": recommended, "classic": config.preset("classic", **same_clips),
            "pretrained": config.preset("pretrained", **same_clips), "gan": gan}


def quick_overrides() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The quick lesson's ``(overrides, gan_overrides)``: :data:`QUICK_EPOCHS` epochs for every LSTM, the GAN and the
    classifier that judges its samples (TSTR)."""
    return (f"epochs={QUICK_EPOCHS}",), (f"epochs={QUICK_EPOCHS}", f"ref_epochs={QUICK_EPOCHS}")


def submit(data_root: str | Path, data_name: str, seed: int = 0, overrides: tuple[str, ...] = (),
           gan_overrides: tuple[str, ...] = (), per_genre: int = PER_GENRE,
           check_on: tuple[str, str | Path] | None = None, quick: bool = False, alongside: bool = False) -> str:
    """Queue a lesson on dataset ``data_name`` for the background worker; returns the lesson's id.

    ``check_on`` (name, folder) plans the checks on that dataset; ``quick`` is the short lesson
    (:func:`quick_overrides`, before ``overrides``). One lesson runs at a time per dataset: while one is queued
    or running there, :class:`LessonError` says so, unless ``alongside``. Raises
    :class:`core.base.config.ConfigError` for bad settings, before anything is created.
    """
    from . import classifier, gan_run  # imported here: torch, which a page showing a lesson's progress does not need

    quick_set, quick_gan_set = quick_overrides() if quick else ((), ())
    cfg = configs(seed, (*quick_set, *overrides), (*quick_gan_set, *gan_overrides))
    classifier.check_per_genre(per_genre)
    with locked(paths.subdir("jobs") / "lesson.lock"):  # two clicks, two tabs: one lesson
        running = active(data_name)
        if running and not alongside:
            raise LessonError(f"a lesson is already {running['status']} on {data_name}: "
                              "wait for it to finish, or cancel it first")
        plan = {"seed": seed, "set": list(overrides), "gan_set": list(gan_overrides), "per_genre": per_genre,
                "quick": quick, "check_on": {"name": check_on[0], "root": str(check_on[1])} if check_on else None}
        lesson_id = runs.create("lsn", f"lesson on {data_name}, seed {seed}" + (" (quick)" if quick else ""), plan,
                                dataset={"name": data_name, "root": str(data_root)}, steps={})
    named, ids = f"on {data_name}, seed {seed}", {}
    try:
        for step, label in (("paper", "paper LSTM"), ("recommended", "recommended LSTM"),
                            ("classic", "classic recipe"), ("pretrained", "pretrained ear (musicnn)")):
            ids[step] = classifier.submit_classifier(cfg[step], data_root, data_name, preset=step,
                                                     name=f"lesson: {label} {named}")
        ids["gan"] = gan_run.submit_gan(cfg["gan"], data_root, data_name, preset="conditional",
                                        name=f"lesson: conditional GAN {named}")
        # the lesson's own recommended LSTM is the augmented run's baseline (never another lesson's twin)
        ids["augmented"] = classifier.submit_augmented(
            ids["recommended"], ids["gan"], per_genre,
            name=f"lesson: recommended LSTM + {per_genre}/genre from the conditional GAN {named}")
        for run_id in ids.values():
            runs.update(run_id, lesson=lesson_id)
        runs.update(lesson_id, steps={step: ids[step] for step in STEPS})
        queue.enqueue(lesson_id, "lesson")
    except Exception as err:
        _not_queued(lesson_id, ids.values(), err)
        raise
    return lesson_id


def _not_queued(lesson_id: str, step_ids, err: Exception) -> None:
    """Queuing the lesson failed half way: it and the step runs made so far end failed, so none is left queued
    with nothing to run it (and the dataset is free for the next lesson)."""
    now = time.time()
    for run_id in step_ids:
        runs.update(run_id, status="failed", finished=now, error="not run: the lesson could not be queued")
    runs.update(lesson_id, status="failed", finished=now, error=runs.error_text(err))


def load(lesson_id: str) -> runs.RunRecord:
    """A lesson's record; raises :class:`LessonError` for an unknown or malformed id, or a run that is no lesson."""
    try:
        record = runs.load(runs.check_id(lesson_id, "lesson"))
    except runs.RunError as err:
        raise LessonError(str(err)) from None
    if record["kind"] != "lsn":
        raise LessonError(f"run {lesson_id} is not a lesson")
    return record


def lessons(data_name: str | None = None) -> list[runs.RunRecord]:
    """Every lesson (on dataset ``data_name``, when given), newest first; cheap: only lesson folders are read."""
    out = []
    for folder in runs.runs_dir().glob("*-lsn-*"):
        try:
            record = runs.load(folder.name)
        except runs.RunError:  # deleted meanwhile, or damaged
            continue
        if data_name is None or record["dataset"]["name"] == data_name:
            out.append(record)
    return sorted(out, key=lambda r: r["created"], reverse=True)


def active(data_name: str | None = None) -> runs.RunRecord | None:
    """The oldest lesson queued or running (on dataset ``data_name``, when given), if any."""
    found = [r for r in lessons(data_name) if r["status"] in runs.ACTIVE]
    return found[-1] if found else None


def latest_runs(data_name: str) -> list[str]:
    """The finished classifier runs of the newest lesson on dataset ``data_name``, in step order (what Compare opens
    on); ``[]`` when there is no lesson on it. A lesson still running gives the classifiers it has finished so far."""
    found = lessons(data_name)
    return status(found[0])["classifiers"] if found else []


def steps_of(lesson: dict) -> tuple[str, ...]:
    """The lesson's steps: those of :data:`STEPS` it was made with, and when a check dataset was named, the
    :data:`CHECKS` of those steps' models."""
    made = tuple(s for s in STEPS if s in lesson["steps"])
    return made + (tuple(c for c, model in CHECKS.items() if model in made) if lesson["config"].get("check_on")
                   else ())


def step_records(lesson: dict) -> dict[str, dict | None]:
    """Step → its run's record, None for a step without one yet (a check before its model finished) or deleted."""
    out: dict[str, dict | None] = {}
    for step in steps_of(lesson):
        try:
            out[step] = runs.load(lesson["steps"][step])
        except (KeyError, runs.RunError):
            out[step] = None
    return out


def expected_seconds(step: str, record: dict | None) -> float:
    """Seconds step ``step`` (its run's ``record``, if made) would take on the demo set on an idle machine
    (:data:`PACE`)."""
    fixed, per_epoch = PACE[step]
    return fixed + per_epoch * ((record or {}).get("config", {}).get("epochs") or 0)


def status(lesson: dict) -> dict:
    """Where a lesson stands, read from its record and its steps' runs.

    Returns ``{"status", "steps": n, "step": 1-based number of the step running or None, "now": what that step
    is doing, "fraction": share of the whole lesson done in [0, 1], "elapsed": seconds since it started or None,
    "left": seconds left for the whole lesson or None, "finished", "failed": [step, ...], "classifiers": [run id,
    ...], "to_train": [step, ...], "resumable"}``. ``finished`` once the lesson is no longer queued or running;
    ``classifiers`` are its finished classifier runs in step order (what Compare shows); ``to_train`` the steps a
    resume would run (:func:`to_train`); ``resumable`` when it ended (cancelled, interrupted, failed or done) with
    some. Queued, ``left`` is the plan's estimate (:func:`estimate`).
    """
    order, records = steps_of(lesson), step_records(lesson)
    done = [s for s in order if (records[s] or {}).get("status") == "done"]
    finished = lesson["status"] not in runs.ACTIVE
    failed = [s for s in order if s not in done and (finished or (records[s] or {}).get("status") in runs.FINAL)]
    now = time.time()
    p = _progress(lesson, now)
    running = lesson["status"] == "running" and p.get("step") in order
    left = None
    if lesson["status"] == "queued":
        left = estimate(lesson, records)
    elif running and "eta_seconds" in p:
        left = max(p["eta_seconds"] - (now - p.get("at", now)), 0.0)
    # a lesson whose worker died has no end time: its last progress report is the last sign of life
    end = lesson.get("finished") or (p.get("at") if finished else now)
    again = to_train(lesson, records)
    return {"status": lesson["status"], "steps": len(order), "step": order.index(p["step"]) + 1 if running else None,
            "now": p.get("now", "") if running else "", "fraction": 1.0 if finished else p.get("fraction", 0.0),
            "elapsed": end - lesson["started"] if lesson.get("started") and end else None,
            "left": left, "finished": finished, "failed": failed,
            "classifiers": [records[s]["id"] for s in CLASSIFIERS if s in done], "to_train": again,
            "resumable": bool(again) and lesson["status"] in (*runs.RESUMABLE, "done")}


def to_train(lesson: dict, records: dict | None = None) -> list[str]:
    """The steps a resume runs (:mod:`.lesson_run`), in order: each whose run is queued, interrupted, cancelled or
    failed and whose inputs (:data:`NEEDS`) are done or run before it; a check not made yet too, once its model is,
    unless its dataset refused it (in ``step_errors``: a refusal is not retried)."""
    records = step_records(lesson) if records is None else records
    done, out = {s for s, r in records.items() if (r or {}).get("status") == "done"}, []
    for step in steps_of(lesson):
        again = ((records[step] or {}).get("status") in ("queued", *runs.RESUMABLE) if step in lesson["steps"]
                 else step not in (lesson.get("step_errors") or {}))
        if again and all(need in done or need in out for need in NEEDS.get(step, ())):
            out.append(step)
    return out


def _progress(lesson: dict, now: float) -> dict:
    """The lesson's ``progress`` as :func:`status` reads it: ``step`` and ``now`` (text), ``fraction`` (in [0, 1]),
    ``at`` (Unix time, s, not after ``now``) and ``eta_seconds`` (>= 0), each left out when ``run.json`` holds
    something else there (a damaged file must not break the sidebar every page draws)."""
    p = lesson.get("progress")
    if not isinstance(p, dict):
        return {}
    out = {k: p[k] for k in ("step", "now") if isinstance(p.get(k), str)}
    numbers = {k: float(p[k]) for k in ("fraction", "at", "eta_seconds")
               if isinstance(p.get(k), (int, float)) and not isinstance(p[k], bool) and math.isfinite(p[k])}
    if "fraction" in numbers:
        out["fraction"] = min(max(numbers["fraction"], 0.0), 1.0)
    if "at" in numbers:
        out["at"] = min(numbers["at"], now)
    if "eta_seconds" in numbers:
        out["eta_seconds"] = max(numbers["eta_seconds"], 0.0)
    return out


def estimate(lesson: dict, records: dict | None = None) -> float:
    """Seconds the whole lesson would take at the pace of :data:`PACE` (its steps' epochs as planned): the sum of its
    steps, or for a quick lesson the longer of its two processes (:data:`LANE` and the chain beside it), then the
    checks."""
    records = step_records(lesson) if records is None else records
    seconds = {s: expected_seconds(s, records.get(s)) for s in steps_of(lesson)}
    if not lesson["config"].get("quick"):
        return sum(seconds.values())
    lane = sum(v for s, v in seconds.items() if s in LANE)
    chain = sum(v for s, v in seconds.items() if s in STEPS and s not in LANE)
    return max(lane, chain) + sum(v for s, v in seconds.items() if s in CHECKS)


def summary(lesson: dict, state: dict | None = None) -> list[str]:
    """The lesson's status in a few short lines (a sidebar's): what it is, which step and what it does, elapsed and
    time left for the whole lesson; or how it ended."""
    state = status(lesson) if state is None else state
    head = f"Lesson on {lesson['dataset']['name']}" + (" (quick)" if lesson["config"].get("quick") else "")
    if lesson["status"] == "queued":
        pos = queue.position(lesson["id"])
        ahead = f"behind {pos} job{'s' * (pos != 1)}" if pos else "for the background worker"
        return [head, f"Waiting {ahead}; it takes about {duration(state['left'], rough=True)} on an idle "
                      "machine."]
    if lesson["status"] == "running":
        doing = f"Step {state['step']} of {state['steps']}: {state['now']}" if state["step"] else "Starting…"
        times = f"{duration(state['elapsed'] or 0)} elapsed"
        times += f", about {duration(state['left'], rough=True)} left in all" if state["left"] is not None else ""
        return [head, doing, times + "."]
    ended = {"done": "finished", "cancelled": "was cancelled", "interrupted": "was interrupted (the worker stopped)",
             "failed": "failed"}[lesson["status"]]
    lines = [head, f"It {ended}: {state['steps'] - len(state['failed'])} of {state['steps']} steps done"
             + (f" in {duration(state['elapsed'])}." if state["elapsed"] else ".")]
    if state["failed"]:
        lines.append("Did not finish: " + ", ".join(TITLES[s] for s in state["failed"]) + ".")
    errors = lesson.get("step_errors") if isinstance(lesson.get("step_errors"), dict) else {}
    why = dict.fromkeys(errors[s] for s in state["failed"] if isinstance(errors.get(s), str))
    if why:  # a check that could not be made (e.g. no genre in common with the second dataset)
        target = (lesson["config"].get("check_on") or {}).get("name", "another dataset")
        lines.append(f"Not checked on {target}: {'; '.join(why)}.")
    if lesson["status"] == "failed" and isinstance(lesson.get("error"), str):
        lines.append(f"Why: {lesson['error'].rstrip('.')}.")
    return lines


def step_text(step: str, p: dict | None) -> str:
    """What step ``step`` is doing, from its run's progress ``p``: 'conditional GAN: GAN training, epoch 3 of 20'."""
    return steps.step_text(p, TITLES[step])


def measured_seconds(quick: bool = False) -> dict | None:
    """The benchmark's figure (:data:`MEASURED`, from ``bench/results.json``) of the (quick) lesson's time on the demo
    set: ``value`` in seconds, ``commit``, ``date``, ``load_before``; None when it was never measured."""
    return measured.figure(MEASURED[quick])


def promise() -> tuple[str, str]:
    """What Home promises about the lesson's duration (:func:`measured_seconds`, never typed in), saying how busy
    the machine was when a timing rose above the benchmark's load guard (``under_load``), and where the figures come
    from."""
    whole, quick = measured_seconds(), measured_seconds(quick=True)
    if not whole or not quick:
        return ("How long it takes on the demo set has not been measured yet; once it runs, the sidebar shows the "
                "time left.", "")
    busy = [f" under a 1-minute load average of {f['under_load']:g}" if f.get("under_load") else ""
            for f in (whole, quick)]
    idle = " on an idle machine"
    text = (f"On the demo set, the whole lesson took {duration(whole['value'])}{busy[0] or idle} and the quick "
            f"lesson {duration(quick['value'])}{busy[1] or idle}." if any(busy) else
            f"On the demo set, on an idle machine, the whole lesson took {duration(whole['value'])} and the quick "
            f"lesson {duration(quick['value'])}.")
    return text, f"Measured at commit {whole['commit']} ({whole['date']}) and {quick['commit']} ({quick['date']})."


def wait(run_id: str) -> str | None:
    """What queued run ``run_id`` waits for, as a sentence: the jobs ahead of it in the queue (naming any lesson
    among them) and about how long they take; None when no job is ahead of it."""
    ids = queue.pending()
    if run_id not in ids[1:]:
        return None
    ahead, seconds, unknown = [], 0.0, 0
    for other in ids[:ids.index(run_id)]:
        try:
            record = runs.load(other)
        except runs.RunError:
            continue
        ahead.append(record)
        if record["kind"] == "lsn":
            left = status(record)["left"]
        else:
            left = (record.get("progress") or {}).get("eta_seconds") if record["status"] == "running" else None
        if left is None:
            unknown += 1
        else:
            seconds += left
    named = [f"the lesson on {r['dataset']['name']}" for r in ahead if r["kind"] == "lsn"]
    others = len(ahead) - len(named)
    if others:
        named.append(f"{others} {'other ' if named else ''}job{'s' * (others != 1)}")
    when = (f"about {duration(seconds, rough=True)}" if not unknown else f"more than {duration(seconds, rough=True)}"
            if seconds else "no estimate yet")
    return f"Waiting in the queue behind {' and '.join(named)}: {when} before it starts."
