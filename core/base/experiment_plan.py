"""An experiment's plan: its design (the arms), the amounts of generated clips, the seeds and the controls, and the
cells it trains, each with its classifier and GAN config (:mod:`.arms`). Pure: no run is created here
(:mod:`core.orchestration.experiment` runs a plan; :mod:`core.usecases.experiment_table` makes its table)."""

from __future__ import annotations

from typing import TypedDict

from . import config
from .arms import PRETRAINED, arm_config, model_name

DESIGNS: dict[str, tuple[tuple[str, str], ...]] = {
    "paper": (("paper", "paper"), ("recommended", "conditional")),
}
"""Experiment preset → arms, each (classifier preset, GAN preset that augments it); ``pretrained=True`` in
:func:`plan` adds the pretrained ear's baseline-only arm (:data:`.arms.PRETRAINED`)."""
PER_GENRE = (0, 70, 150)
CONTROLS = ("steps", "masked")
"""Control cells per augmented amount: steps-matched baseline, SpecAugment-masked copies of real inputs."""
STUDY = {0: 0.525, 70: 0.584, 150: 0.515}
"""The study's single-run test accuracies of the paper arm (53, 59 and 52 of :data:`STUDY_TEST_CLIPS` clips)."""
STUDY_TEST_CLIPS = 101
"""The study's test set: 101 clips of one unseeded split."""


class _PlanAlways(TypedDict):
    design: str
    arms: list[list]
    per_genre: list[int]
    seeds: list[int]
    set: list[str]
    gan_set: list[str]


class Plan(_PlanAlways, total=False):
    """An experiment's plan as :func:`plan` makes it and the experiment's ``config`` keeps it (JSON): its design,
    ``arms`` (each [classifier preset, GAN preset or None]), generated clips ``per_genre`` (0 first), ``seeds``, the
    ``key=value`` overrides of every LSTM (``set``), GAN (``gan_set``) and pretrained ear (``pretrained_set``), and
    the ``controls`` trained beside each augmented cell. Plans kept before controls and the pretrained ear lack
    those two keys (:func:`cells`, :func:`.arms.arm_config` read them with defaults)."""

    controls: list[str]
    pretrained_set: list[str]


class Cell(TypedDict):
    """One classifier run of a plan (:func:`cells`): its key in the experiment's ``cells``, the arm's classifier and
    GAN presets (GAN None for a baseline-only arm), generated clips per genre, seed and kind (``baseline``, ``gan``
    or a control of :data:`CONTROLS`)."""

    key: str
    preset: str
    gan: str | None
    per_genre: int
    seed: int
    kind: str


def plan(design: str = "paper", seeds: int = 5, first_seed: int = 0, per_genre: tuple[int, ...] = PER_GENRE,
         arms: tuple[str, ...] | None = None, overrides: tuple[str, ...] = (),
         gan_overrides: tuple[str, ...] = (), controls: tuple[str, ...] = CONTROLS, pretrained: bool = False,
         pretrained_overrides: tuple[str, ...] = ()) -> Plan:
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
    out: Plan = {"design": design, "arms": chosen, "per_genre": amounts,
                 "seeds": list(range(first_seed, first_seed + seeds)), "set": list(overrides),
                 "gan_set": list(gan_overrides), "controls": [c for c in CONTROLS if c in controls],
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


def cell_title(cell: Cell) -> str:
    """A cell's label and seed: 'paper LSTM, baseline, seed 3'."""
    return f"{cell_label(cell['preset'], cell['gan'], cell['per_genre'], cell['kind'])}, seed {cell['seed']}"


def cells(p: Plan) -> list[Cell]:
    """Every cell of a plan in the order they are trained: per arm, per seed, baseline first, controls last
    (a baseline-only arm's cell: its baseline)."""
    out: list[Cell] = []
    for preset, gan in p["arms"]:
        for seed in p["seeds"]:
            amounts = p["per_genre"] if gan is not None else [0]
            kinds = [(n, "baseline" if not n else "gan") for n in amounts]
            kinds += [(n, kind) for kind in p.get("controls", ()) for n in amounts if n]
            out += [{"key": cell_key(preset, n, seed, kind), "preset": preset, "gan": gan, "per_genre": n,
                     "seed": seed, "kind": kind} for n, kind in kinds]
    return out


def classifier_config(p: Plan, cell: Cell) -> config.ClassifierConfig | config.PretrainedConfig:
    """The classifier config of a cell: its preset, the plan's overrides for it, the cell's seed
    (:func:`.arms.arm_config`)."""
    return arm_config(p, cell["preset"], cell["seed"])


def gan_config(p: Plan, cell: Cell) -> config.GANConfig:
    """The GAN config of a cell: same split (kind and seed) and input length as the cell's classifier."""
    clf = classifier_config(p, cell)
    return config.with_overrides(config.gan_preset(cell["gan"]), [
        *p["gan_set"], f"split={clf.split}", f"seed={cell['seed']}", f"first_frames={clf.first_frames}",
        f"segment_seconds={clf.segment_seconds}"])
