"""The lesson: the study in miniature on one dataset, queued with one call and followed as one progress bar.

Its steps are ordinary runs handed to the background worker (:mod:`.worker`), which takes them
in this order:

1. the paper LSTM (the study's classifier, fewer epochs than its 120);
2. the recommended LSTM;
3. the pretrained ear (a frozen music tagger and a logistic regression, :mod:`core.compute.transfer`) on the
   same clips, split and seed as the recommended LSTM: learning genre from scratch beside transfer;
4. the conditional GAN, learning from the recommended LSTM's training clips (same split and seed,
   so step 2's finished model serves as its reference classifier instead of a new one);
5. the recommended LSTM again with generated samples per genre from that GAN
   (:func:`core.orchestration.classifier.submit_augmented`, with this lesson's step 2 as its baseline).

Where a second dataset is named (``check_on``), two more steps check the recommended LSTM and the pretrained
ear on it, each as soon as its model exists (:func:`advance` submits them; :mod:`core.usecases.generalise` does
the check). A lesson made before the pretrained step existed keeps the steps it has (:func:`steps_of`).

A lesson is a small record ``<data>/lessons/<id>.json`` (dataset, step run ids); its progress is
read from those runs, so it survives reloads, page switches and app restarts, and the classifier
runs it produced are what the Compare page puts side by side.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..base import config, paths
from ..storage import runs
from ..base import progress as steps
from ..storage.store import read_json, write_json

PAPER_EPOCHS = 20
"""Epochs of the lesson's paper LSTM (the study's 120 take about 6x as long; its curve has flattened by 20)."""
GAN_EPOCHS = 20
"""Epochs of the lesson's conditional GAN: a fifth of the preset's 100, to keep the lesson within five minutes."""
PER_GENRE = 70
"""Generated samples per genre in the augmented run: the study's +700 over 10 genres."""

STEPS = ("paper", "recommended", "pretrained", "gan", "augmented")
CHECKS = {"check": "recommended", "check_pretrained": "pretrained"}
"""Check step → the step whose model it checks on the second dataset."""
TITLES = {"paper": "paper LSTM (the study)", "recommended": "recommended LSTM",
          "pretrained": "pretrained ear (musicnn) + logistic regression", "gan": "conditional GAN",
          "augmented": f"recommended LSTM + {PER_GENRE}/genre from the conditional GAN",
          "check": "recommended LSTM checked on another dataset",
          "check_pretrained": "pretrained ear checked on another dataset"}


class LessonError(ValueError):
    """A lesson that does not exist; ``str(err)`` is fit to show a user."""


def lessons_dir() -> Path:
    return paths.subdir("lessons")


def configs(seed: int = 0, overrides: tuple[str, ...] = (), gan_overrides: tuple[str, ...] = ()) -> dict:
    """The lesson's configs: ``paper`` and ``recommended`` classifiers, the ``pretrained`` ear and the ``gan``, all
    on seed ``seed``.

    ``overrides`` (``key=value``) apply to both LSTMs, ``gan_overrides`` to the GAN (e.g. a tiny
    lesson for a test). The GAN shares the recommended classifier's split, seed and segment length, so
    its samples may join that classifier's training clips; the pretrained ear shares its split and seed, so both
    are tested on the same clips. Raises :class:`core.base.config.ConfigError`.
    """
    paper = config.with_overrides(config.preset("paper", epochs=PAPER_EPOCHS), [*overrides, f"seed={seed}"])
    recommended = config.with_overrides(config.preset("recommended"), [*overrides, f"seed={seed}"])
    gan = config.with_overrides(config.gan_preset("conditional", epochs=GAN_EPOCHS), [
        *gan_overrides, f"split={recommended.split}", f"seed={seed}",
        f"segment_seconds={recommended.segment_seconds}"])
    pretrained = config.preset("pretrained", split=recommended.split, seed=seed)
    return {"paper": paper, "recommended": recommended, "pretrained": pretrained, "gan": gan}


def submit(data_root: str | Path, data_name: str, seed: int = 0, overrides: tuple[str, ...] = (),
           gan_overrides: tuple[str, ...] = (), per_genre: int = PER_GENRE,
           check_on: tuple[str, str | Path] | None = None) -> str:
    """Queue the lesson's five runs on dataset ``data_name`` for the background worker; returns the lesson id.

    ``check_on`` (name, folder) plans the generalisation checks of the recommended LSTM and the pretrained ear on
    that dataset.
    """
    from . import classifier, gan_run  # imported here: torch, which a page showing a lesson's progress does not need

    cfg = configs(seed, overrides, gan_overrides)
    paper = classifier.submit_classifier(cfg["paper"], data_root, data_name, preset="paper", enqueue=True,
                                         name=f"lesson: paper LSTM on {data_name}, seed {seed}")
    recommended = classifier.submit_classifier(cfg["recommended"], data_root, data_name, preset="recommended",
                                               enqueue=True, name=f"lesson: recommended LSTM on {data_name}, seed {seed}")
    pretrained = classifier.submit_classifier(cfg["pretrained"], data_root, data_name, preset="pretrained",
                                              enqueue=True,
                                              name=f"lesson: pretrained ear (musicnn) on {data_name}, seed {seed}")
    gan = gan_run.submit_gan(cfg["gan"], data_root, data_name, preset="conditional", enqueue=True,
                             name=f"lesson: conditional GAN on {data_name}, seed {seed}")
    # the lesson's own recommended LSTM is the augmented run's baseline (never another lesson's twin)
    augmented = classifier.submit_augmented(
        recommended, gan, per_genre, enqueue=True,
        name=f"lesson: recommended LSTM + {per_genre}/genre from the conditional GAN on {data_name}, seed {seed}")
    lesson_id = runs.new_run_id("lesson")
    write_json(lessons_dir() / f"{lesson_id}.json", {
        "id": lesson_id, "created": time.time(), "dataset": {"name": data_name, "root": str(data_root)},
        "seed": seed, "per_genre": per_genre,
        "check_on": {"name": check_on[0], "root": str(check_on[1])} if check_on else None,
        "steps": {"paper": paper, "recommended": recommended, "pretrained": pretrained, "gan": gan,
                  "augmented": augmented}})
    return lesson_id


def load(lesson_id: str) -> dict:
    """A lesson's record; raises :class:`LessonError` for an unknown or malformed id."""
    try:
        runs.check_id(lesson_id, "lesson")
    except runs.RunError as err:
        raise LessonError(str(err)) from None
    record = read_json(lessons_dir() / f"{lesson_id}.json")
    if not isinstance(record, dict) or "steps" not in record:
        raise LessonError(f"lesson {lesson_id} does not exist")
    return record


def latest(data_name: str | None = None) -> str | None:
    """The id of the newest lesson (on dataset ``data_name``, when given), if any."""
    records = [r for r in map(read_json, lessons_dir().glob("*.json")) if isinstance(r, dict) and "created" in r]
    mine = [r for r in records if data_name is None or r.get("dataset", {}).get("name") == data_name]
    return max(mine, key=lambda r: r["created"])["id"] if mine else None


def latest_runs(data_name: str) -> list[str]:
    """The finished classifier runs of the newest lesson on dataset ``data_name``, in step order (what Compare opens
    on); ``[]`` when there is no lesson on it. A lesson still running gives the classifiers it has finished so far."""
    lesson_id = latest(data_name)
    return status(load(lesson_id))["classifiers"] if lesson_id else []


def steps_of(lesson: dict) -> tuple[str, ...]:
    """The lesson's steps: those of :data:`STEPS` it was made with, and when a check dataset was named, the
    :data:`CHECKS` of those steps' models."""
    made = tuple(s for s in STEPS if s in lesson["steps"])
    return made + (tuple(c for c, model in CHECKS.items() if model in made) if lesson.get("check_on") else ())


def advance(lesson_id: str) -> dict:
    """Submit each of the lesson's checks once the model it checks has finished (nothing else to do); returns the
    record.

    A check that cannot be made (e.g. no genre in common) is recorded as ``<step>_error``.
    """
    lesson = load(lesson_id)
    target = lesson.get("check_on")
    todo = [c for c in steps_of(lesson) if c in CHECKS and c not in lesson["steps"] and f"{c}_error" not in lesson]
    changed = False
    for step in todo if target else ():
        model = lesson["steps"][CHECKS[step]]
        try:
            if runs.load(model)["status"] != "done":
                continue
            from . import check

            lesson["steps"][step] = check.submit_check(model, target["root"], target["name"], enqueue=True)
        except (runs.RunError, ValueError) as err:  # a missing run, or a dataset the model cannot be checked on
            lesson[f"{step}_error"] = str(err)
        changed = True
    if changed:
        write_json(lessons_dir() / f"{lesson_id}.json", lesson)
    return lesson


def status(lesson: dict) -> dict:
    """Where a lesson stands, read from its runs.

    Returns ``{"fraction": float in [0, 1], "text": str, "finished": bool, "failed": [step, ...],
    "classifiers": [run id, ...]}``: ``finished`` once no step is queued or running; ``classifiers``
    are its finished classifier runs in step order (what Compare shows).
    """
    order = steps_of(lesson)
    records = {}
    for step in order:
        try:
            records[step] = runs.load(lesson["steps"][step])
        except (KeyError, runs.RunError):  # KeyError: the check, before the model it checks exists
            records[step] = None
    waiting = {c for c in order if c in CHECKS and c not in lesson["steps"] and f"{c}_error" not in lesson
               and (records[CHECKS[c]] or {}).get("status") in ("done", *runs.ACTIVE)}
    done = [s for s in order if records[s] and records[s]["status"] == "done"]
    failed = [s for s in order if s not in waiting and (
        records[s] is None or records[s]["status"] in ("failed", "cancelled", "interrupted"))]
    current = next((s for s in order if records[s] and records[s]["status"] == "running"), None)
    work = len(done) + (steps.fraction(records[current].get("progress")) if current else 0.0)
    if current:
        text = (f"Step {order.index(current) + 1} of {len(order)}: "
                + steps.status_text(records[current].get("progress"), TITLES[current]))
    elif len(done) + len(failed) == len(order):
        text = f"Lesson finished: {len(done)} of {len(order)} steps done" + (
            f"; did not finish: {', '.join(TITLES[s] for s in failed)}." if failed else ".")
    else:
        text = f"{len(done)} of {len(order)} steps done; waiting for the background worker."
    classifiers = [records[s]["id"] for s in ("paper", "recommended", "pretrained", "augmented") if s in done]
    return {"fraction": work / len(order), "text": text, "finished": current is None and len(done) + len(failed) == len(
        order), "failed": failed, "classifiers": classifiers}
