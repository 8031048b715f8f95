"""How GenreLab writes a fraction as a percentage, and an accuracy with its 95 % interval: the one format every
page, sentence and report uses (here in base, so that measured figures, statistics and use cases all reach it)."""

from __future__ import annotations

from collections.abc import Mapping


def percent(x: float, decimals: int = 0) -> str:
    """0.8333 → '83 %' (``decimals=1``: '83.3 %')."""
    return f"{100 * x:.{decimals}f} %"


def with_interval(acc: Mapping, decimals: int = 0, counts: bool = False) -> str:
    """An accuracy with its 95 % interval: '83 % (95 % CI 70–91 %)'.

    ``acc`` holds fractions ``value``, ``lo`` and ``hi`` (``lo`` None or absent: no interval was measured, and
    the text is the value alone, '83 %'); with ``counts`` also ``correct`` and ``n``, and the text names them:
    '52.5 % (95 % CI 42.8–61.9 %, 53 of 101 clips)' (``decimals=1``).
    """
    shown = percent(acc["value"], decimals)
    parts = [] if acc.get("lo") is None else [
        f"95 % CI {100 * acc['lo']:.{decimals}f}–{percent(acc['hi'], decimals)}"]
    if counts:
        parts.append(f"{acc['correct']} of {acc['n']} clips")
    return f"{shown} ({', '.join(parts)})" if parts else shown
