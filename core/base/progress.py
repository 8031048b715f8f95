"""What a running job is doing, in words: one phrase per step of a classifier, a GAN run, a grid or a lesson.

A run's ``progress`` (in ``run.json``, and passed to progress callbacks) holds ``epoch``,
``epochs`` and ``eta_seconds``; a GAN run's also holds ``phase``: ``"reference"`` while its
reference classifier (the judge of the samples) trains, ``"gan"`` while the GAN trains and
``"quality"`` while its samples are measured. A pretrained classifier's is ``"embed"`` while the
pretrained network listens to the clips, with ``epoch`` and ``epochs`` counting clips. A check on another
dataset holds ``clips`` and ``total`` instead (``total`` 0 while the model loads and the dataset is listed).
These functions turn that into the text of a
progress bar, so a page, the CLI and an experiment's grid all name the step that is really running.
No heavy imports: pages call this on every refresh.
"""

from __future__ import annotations

PHASES = {"reference": "reference classifier (the judge of the samples)", "gan": "GAN training",
          "quality": "measuring the samples' quality", "embed": "the pretrained network listens"}
"""Run phase → what that step is called."""


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
    phase = p.get("phase")
    if phase == "quality":
        return prefix + PHASES["quality"]
    step = f"{PHASES[phase]}, " if phase in PHASES else ""
    unit = "clip" if phase == "embed" else "epoch"
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
    eta = (p or {}).get("eta_seconds")
    left = f", about {eta:.0f} s left" if eta is not None and (p or {}).get("phase") != "quality" else ""
    text = step_text(p, subject)
    return f"{text[0].upper()}{text[1:]}{left}."


def fraction(p: dict | None) -> float:
    """How far the current step is, in [0, 1] (0 before the first epoch)."""
    if not p:
        return 0.0
    if "clips" in p:
        return min(p["clips"] / max(p["total"], 1), 1.0)
    if p.get("phase") == "quality":
        return 1.0
    return min(p.get("epoch", 0) / max(p.get("epochs", 1), 1), 1.0)
