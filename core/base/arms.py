"""The arms of an experiment: LSTMs a GAN augments, and the pretrained ear beside them.

An arm is ``[classifier preset, GAN preset]``. An LSTM arm (``paper``, ``recommended``) trains a
baseline, augmented cells and controls from its GAN; the pretrained ear's arm (:data:`PRETRAINED`,
GAN ``None``) trains its baseline only, on the same seeds, hence the same splits, as the others, so
the table can set it beside each LSTM's baseline clip by clip (:mod:`core.usecases.experiment_table`).

The plan's ``set`` overrides reach the LSTM arms; of them only the data settings (:func:`shared`, the
split) reach the pretrained ear too, so every arm tests on the same clips. The pretrained ear takes its
own settings from the plan's ``pretrained_set``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ..base import config

PRETRAINED = ("pretrained", None)
"""The pretrained ear's arm: its preset, and no GAN."""
MODEL_NAMES = {"pretrained": "pretrained ear (musicnn + linear head)"}
"""Preset → what the table calls its model when it is not an LSTM."""


def model_name(preset: str) -> str:
    """'paper LSTM', 'recommended LSTM', 'pretrained ear (musicnn + linear head)'."""
    return MODEL_NAMES.get(preset, f"{preset} LSTM")


def augmented(arm: list | tuple) -> bool:
    """True for an arm a GAN augments (baseline, augmented cells, controls); False for a baseline-only arm."""
    return arm[1] is not None


def shared(overrides: list[str] | tuple[str, ...]) -> list[str]:
    """The ``key=value`` overrides that set a data setting (the split) every arm shares."""
    data = {f.name for f in dataclasses.fields(config.PretrainedConfig) if f.metadata.get("group") == "data"}
    return [o for o in overrides if o.split("=", 1)[0].strip() in data - {"seed"}]


def arm_config(p: Mapping, preset: str, seed: int):
    """The classifier config of ``preset``'s cells of seed ``seed`` in plan ``p`` (a
    :class:`core.base.experiment_plan.Plan`, which imports this module: typed as a mapping here, no circle).

    An LSTM gets every override of ``p['set']``; the pretrained ear only the shared data settings among
    them (:func:`shared`), then ``p['pretrained_set']``.
    """
    overrides = [*p["set"]] if preset not in MODEL_NAMES else [*shared(p["set"]), *p.get("pretrained_set", ())]
    return config.with_overrides(config.preset(preset), [*overrides, f"seed={seed}"])


def rivals(p: Mapping, preset: str) -> list[str]:
    """The LSTM presets whose baselines a baseline-only arm ``preset`` of plan ``p`` is compared with."""
    return [a[0] for a in p["arms"] if augmented(a)] if preset in MODEL_NAMES else []
