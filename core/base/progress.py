"""What a running job is doing, in words and as a fraction: one phrase per step of a classifier, a GAN run, a grid
or a lesson, the one estimate of the time left, and a time span in words (:func:`duration`).

A run's ``progress`` (in ``run.json``, and passed to progress callbacks) holds ``epoch``,
``epochs`` and ``eta_seconds``; a GAN run's also holds ``phase`` (:class:`Phase`): its reference
classifier (the judge of the samples) trains, then the GAN, then its samples are measured, last by a
classifier trained on them and tested on real clips (TSTR). A pretrained classifier's is ``"embed"``
while the pretrained network listens to the clips, with ``epoch`` and ``epochs`` counting clips. A
check on another dataset holds ``clips`` and ``total`` instead (``total`` 0 while the model loads and
the dataset is listed). These functions turn that into the text and fraction of a progress bar, so a
page, the CLI, an experiment's grid and a lesson all name the step that is really running. No heavy
imports: pages call this on every refresh.
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """The named steps of a run (stored as their string values): a GAN run's four in the order they run,
    and a pretrained classifier's listening."""

    REFERENCE = "reference"
    GAN = "gan"
    QUALITY = "quality"
    TSTR = "tstr"
    EMBED = "embed"


PHASES = {Phase.REFERENCE: "reference classifier (the judge of the samples)", Phase.GAN: "GAN training",
          Phase.QUALITY: "measuring the samples' quality",
          Phase.TSTR: "measuring the samples' quality: a classifier trained on them (TSTR)",
          Phase.EMBED: "the pretrained network listens"}
"""Run phase → what that step is called."""
GAN_PHASES = (Phase.REFERENCE, Phase.GAN, Phase.QUALITY, Phase.TSTR)
"""A GAN run's phases in order: each an equal share of its progress bar."""


def eta(elapsed: float, done: float, left: float) -> float | None:
    """Seconds left at the pace so far: ``elapsed`` seconds did ``done`` units of work, ``left`` remain.

    ``None`` before any work was timed.

    >>> eta(30.0, 3, 7)
    70.0
    """
    return elapsed / done * left if done > 0 else None


def _phase(p: dict) -> Phase | None:
    return Phase(p["phase"]) if p.get("phase") in set(Phase) else None


def step_text(p: dict | None, subject: str = "") -> str:
    """One phrase for a run's ``progress`` ``p``, prefixed with ``subject`` (e.g. 'conditional GAN, seed 1').

    >>> step_text({"phase": "reference", "epoch": 19, "epochs": 30}, "conditional GAN, seed 1")
    'conditional GAN, seed 1: reference classifier (the judge of the samples), epoch 19 of 30'
    """
    prefix = f"{subject}: " if subject else ""
    if not p:
        return f"{prefix}preparing data"
    if "clips" in p:
        return prefix + check_step(p["clips"], p["total"])
    phase = _phase(p)
    if phase is Phase.QUALITY:
        return prefix + PHASES[phase]
    step = f"{PHASES[phase]}, " if phase else ""
    unit = "clip" if phase is Phase.EMBED else "epoch"
    return f"{prefix}{step}{unit} {p['epoch']} of {p['epochs']}"


def check_step(clips: int, total: int) -> str:
    """What a check on another dataset is doing after hearing ``clips`` of its ``total`` clips.

    >>> check_step(3, 147)
    'listening to clip 3 of 147'
    """
    if not total:
        return "loading the model and listing the dataset"
    if clips < total:
        return f"listening to clip {clips} of {total}"
    return "scoring the answers and fingerprinting the dataset"


def status_text(p: dict | None, subject: str = "") -> str:
    """:func:`step_text` with the time left of the current step, as a sentence for a progress bar."""
    seconds = (p or {}).get("eta_seconds")
    left = f", about {seconds:.0f} s left" if seconds is not None and (p or {}).get("phase") != Phase.QUALITY else ""
    text = step_text(p, subject)
    return f"{text[0].upper()}{text[1:]}{left}."


def fraction(p: dict | None) -> float:
    """How far the run is, in [0, 1] (0 before the first epoch).

    A check: its clips. A GAN run: each of :data:`GAN_PHASES` an equal share, in order, so the bar never
    runs backwards when a phase starts (measuring counts as the start of its share). Any other run: its
    epochs (or clips heard).
    """
    if not p:
        return 0.0
    if "clips" in p:
        return min(p["clips"] / max(p["total"], 1), 1.0)
    within = min(p.get("epoch", 0) / max(p.get("epochs", 1), 1), 1.0)
    phase = _phase(p)
    if phase not in GAN_PHASES:
        return within
    return (GAN_PHASES.index(phase) + (0.0 if phase is Phase.QUALITY else within)) / len(GAN_PHASES)


def duration(seconds: float, rough: bool = False) -> str:
    """'45 s', '3 min 20 s', '1 h 5 min': a time span for a person; ``rough`` (an estimate) to 10 s under two
    minutes, to the minute above.

    >>> duration(200.4), duration(45), duration(3900), duration(200.4, rough=True), duration(4, rough=True)
    ('3 min 20 s', '45 s', '1 h 5 min', '3 min', 'a few seconds')
    """
    if rough:
        if seconds < 10:
            return "a few seconds"
        seconds = round(seconds, -1) if seconds < 120 else round(seconds / 60) * 60
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"
