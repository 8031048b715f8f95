"""A settings form built from a config's field metadata (:func:`core.base.config.param`): which fields it shows,
in which group, and the widget each one gets, so a page only draws what :func:`widget` describes.

Every number a form shows is written out in plain decimals (:func:`plain`): no ``1e-05``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

GROUPS = {"data": "Data and framing", "model": "Model", "optimisation": "Optimisation"}
"""Form group key → title: a settings form shows the fields of each group together, in this order."""

MAX_SLIDER_STEPS = 200
"""A whole-number field with more steps than this (epochs 1–500) gets a number box, not a slider."""


def applies(cfg, name: str) -> bool:
    """Whether field ``name`` has any effect in ``cfg`` (e.g. ``first_frames`` only with the first-frames framing)."""
    when = next(f for f in dataclasses.fields(cfg) if f.name == name).metadata.get("when", {})
    return all(getattr(cfg, key) in allowed for key, allowed in when.items())


def groups(cfg, skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Group title → names of the fields of a settings form for ``cfg``, without those in ``skip``.

    Groups come in :data:`GROUPS` order, fields in declaration order. A form shows a field only while it
    :func:`applies` to the values chosen so far.
    """
    kept = [f for f in dataclasses.fields(cfg) if f.name not in skip]
    return {title: [f.name for f in kept if f.metadata.get("group") == key] for key, title in GROUPS.items()
            if any(f.metadata.get("group") == key for f in kept)}


def changes(cfg, default) -> dict[str, tuple[Any, Any]]:
    """Field → (preset value, value) for every field of ``cfg`` that differs from ``default``."""
    return {f.name: (getattr(default, f.name), getattr(cfg, f.name)) for f in dataclasses.fields(cfg)
            if getattr(cfg, f.name) != getattr(default, f.name)}


def plain(value: Any) -> str:
    """A setting's value as a person reads it: ``5e-05`` → ``0.00005``, ``0.30000000000000004`` → ``0.3``,
    ``100.0`` → ``100``; anything else as ``str``."""
    if isinstance(value, bool) or not isinstance(value, float):
        return str(value)
    text = f"{value:.8f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def label(cfg, name: str) -> str:
    """Field ``name``'s label in words (``lr`` → ``learning rate``)."""
    return _field(cfg, name).metadata["label"]


@dataclass(frozen=True)
class Widget:
    """How a form shows one field.

    ``kind`` is ``select`` (``options``), ``checkbox``, ``slider`` (``lo``…``hi`` by ``step``, shown with the
    printf ``fmt``), ``steps`` (a slider over ``options``, for values spanning powers of ten, e.g. a learning
    rate) or ``number`` (a number box, ``lo``…``hi``). ``help`` is the field's sentence and its name, as a link
    or the command line spells it.
    """

    kind: str
    label: str
    help: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    fmt: str | None = None
    options: tuple = ()


def widget(cfg, name: str) -> Widget:
    """The widget for field ``name`` of ``cfg``, by its type and bounds.

    A float whose range starts at 0 (dropout, mixup, weight decay: 0 means off) gets a linear slider from 0, so
    a sensible value sits where it should; one spanning at least two powers of ten above 0 (a learning rate)
    steps through 1-2-5 values; a whole number with over :data:`MAX_SLIDER_STEPS` steps gets a number box.
    """
    f = _field(cfg, name)
    meta, value = f.metadata, getattr(cfg, name)
    sentence = meta["help"][:1].upper() + meta["help"][1:]
    words = dict(label=meta["label"], help=f"{sentence}. (Setting `{name}`.)")
    if meta.get("choices"):
        return Widget("select", options=tuple(meta["choices"]), **words)
    if isinstance(value, bool):
        return Widget("checkbox", **words)
    lo, hi = meta["lo"], meta["hi"]
    if isinstance(value, int):
        step = int(meta.get("step") or 1)
        return Widget("number" if (hi - lo) / step > MAX_SLIDER_STEPS else "slider", lo=lo, hi=hi, step=step,
                      fmt="%d", **words)
    if lo > 0 and hi / lo >= 100:
        return Widget("steps", lo=lo, hi=hi, options=one_two_five(lo, hi, value), **words)
    step = meta.get("step") or nice_step((hi - lo) / 100)
    decimals = max(_decimals(v) for v in (lo, hi, step))
    return Widget("slider", lo=float(lo), hi=float(hi), step=float(step), fmt=f"%.{decimals}f", **words)


def one_two_five(lo: float, hi: float, value: float) -> tuple[float, ...]:
    """1, 2 and 5 times the powers of ten within [``lo``, ``hi``], with ``lo``, ``hi`` and ``value``, ascending."""
    grid = {m * 10.0 ** k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1) for m in (1, 2, 5)}
    return tuple(sorted({float(plain(v)) for v in grid if lo <= v <= hi} | {float(lo), float(hi), float(value)}))


def nice_step(raw: float) -> float:
    """The 1-2-5 value nearest below ``raw`` (> 0): 0.0099 → 0.005."""
    power = 10.0 ** math.floor(math.log10(raw))
    return float(plain(max(m * power for m in (1, 2, 5) if m * power <= raw)))


def _decimals(value: float) -> int:
    """Decimals that show ``value`` (a bound or a step) exactly: 0.05 → 2, 0.9999 → 4, 1.0 → 0."""
    return len(plain(float(value)).partition(".")[2])


def _field(cfg, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(cfg) if f.name == name)
