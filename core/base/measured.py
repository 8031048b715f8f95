"""Figures the benchmarks measured (``bench/results.json``, written by ``bench/run_all.py``), for the pages that quote
them: a page reads a measured number here, it never types one in.

Teaching text cites an accuracy as ``{fig:KEY}`` (e.g. ``{fig:bench_generalise/recommended_musifeast7_seeds}``);
:func:`fill` writes it in with its 95 % interval, or a figure over several trainings as its mean with its spread and
the seeds, and returns the figures it used, whose :func:`provenance` a page shows in a details expander.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .paths import REPO_ROOT
from .percent import percent, with_interval

RESULTS = REPO_ROOT / "bench" / "results.json"
PLACEHOLDER = re.compile(r"\{fig:([\w./-]+)\}")


@lru_cache(maxsize=2)
def _results(path: Path, mtime_ns: int) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def figure(key: str) -> dict | None:
    """The entry of figure ``key`` (``"<script>/<figure>"``, e.g. ``"bench_lesson/lesson_demo_seconds"``): its
    ``value``, ``commit``, ``date`` and load; None when it was never measured (or the file cannot be read)."""
    try:
        mtime = RESULTS.stat().st_mtime_ns
    except OSError:
        return None
    entry = _results(RESULTS, mtime).get(key)
    return entry if isinstance(entry, dict) and "value" in entry else None


class MissingFigure(KeyError):
    """Text cites a figure that results.json does not hold (or holds without a number)."""


@dataclass(frozen=True)
class Figure:
    """One accuracy-like figure: ``value`` in [0, 1] with its 95 % interval ``lo``–``hi`` over ``n`` clips (None
    when the entry has none) and what it was measured on; for a figure over several trainings, ``value`` is their
    mean, ``lo``–``hi`` their range (lowest and highest seed) and ``seeds`` the seeds (empty for one training)."""

    key: str
    value: float
    lo: float | None
    hi: float | None
    n: int | None
    measured_on: str
    commit: str
    date: str
    load: float | None
    seeds: tuple[int, ...] = ()

    def text(self) -> str:
        """'26 % (95 % CI 20–34 %)', or '26 %' without an interval; over seeds 0, 1 and 2,
        '22.7 % mean over seeds 0–2 (range 19.0–25.9 %)'."""
        if self.seeds:
            return (f"{percent(self.value, 1)} mean over {_seed_list(self.seeds)} "
                    f"(range {100 * self.lo:.1f}–{percent(self.hi, 1)})")
        return with_interval({"value": self.value, "lo": self.lo, "hi": self.hi})


def _seed_list(seeds) -> str:
    """(0, 1, 2) → 'seeds 0–2'; (0, 2, 5) → 'seeds 0, 2, 5'; (3,) → 'seed 3'."""
    seeds = sorted(seeds)
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"seeds {seeds[0]}–{seeds[-1]}"
    return "seeds " + ", ".join(map(str, seeds))


def accuracy(key: str) -> Figure:
    """Figure ``key`` as an accuracy with its interval; raises :class:`MissingFigure` if it was never measured.

    A value is a number with an optional ``ci95`` beside it, a dict with ``value``, ``lo``, ``hi`` and ``n``, or
    over several trainings a dict with ``mean``, ``min`` and ``max`` beside the entry's ``seeds`` (and, when
    recorded, each seed's value in ``per_seed``). What it was measured on comes from the entry's ``trained_on`` and
    ``checked_on`` (the collection a check ran on) and its seeds; an entry written before benchmarks recorded
    ``checked_on`` says its clips' collection is not recorded.
    """
    entry = figure(key)
    if entry is None:
        raise MissingFigure(key)
    value = entry["value"]
    if isinstance(value, dict) and "mean" in value:
        return _over_seeds(key, entry)
    if isinstance(value, dict):
        v, lo, hi, n = value.get("value"), value.get("lo"), value.get("hi"), value.get("n")
    else:
        v, (lo, hi), n = value, entry.get("ci95") or (None, None), entry.get("n")
    if not isinstance(v, (int, float)):  # never measured, or a benchmark that was skipped (value None)
        raise MissingFigure(key)
    on = _trained_and_checked(entry, f", {n} clips" if n else "")
    if n and not entry.get("checked_on"):
        on.append(f"{n} clips (which collection is not recorded in results.json)")
    return Figure(key, float(v), lo, hi, n, "; ".join(on) or "see the benchmark",
                  entry.get("commit", "?"), entry.get("date", "?"), entry.get("load_average"))


def _trained_and_checked(entry: dict, clips: str = "") -> list[str]:
    """'trained on …' and 'checked on …' (followed by ``clips``) from an entry, each where it records one."""
    on = [f"trained on {entry['trained_on']}"] if entry.get("trained_on") else []
    return on + ([f"checked on {entry['checked_on']}{clips}"] if entry.get("checked_on") else [])


def _over_seeds(key: str, entry: dict) -> Figure:
    """Figure ``key`` over several trainings: the mean of its seeds with their range, and what they were measured
    on (with how many clips each seed was checked on, when that is one count), each seed's value (in the order of the
    seeds) when the entry records one per seed."""
    value, seeds = entry["value"], tuple(entry.get("seeds") or ())
    v, lo, hi = value.get("mean"), value.get("min"), value.get("max")
    if not all(isinstance(x, (int, float)) for x in (v, lo, hi)) or not seeds:
        raise MissingFigure(key)
    n = entry.get("n")
    on = _trained_and_checked(entry, f", {n} clips each" if isinstance(n, int) and n else "")
    each = entry.get("per_seed") or []
    by_seed = [percent(a, 1) for _, a in sorted(zip(seeds, each))] if len(each) == len(seeds) else []
    on.append(f"one training per seed, {_seed_list(seeds)}" + (": " + ", ".join(by_seed) if by_seed else ""))
    return Figure(key, float(v), float(lo), float(hi), None, "; ".join(on), entry.get("commit", "?"),
                  entry.get("date", "?"), entry.get("load_average"), seeds)


def fill(text: str, missing: str | None = None) -> tuple[str, list[Figure]]:
    """``text`` with every ``{fig:KEY}`` replaced by :meth:`Figure.text`, and the figures used, in order of use.

    A figure results.json does not hold raises :class:`MissingFigure`, or with ``missing`` is written as that text
    (a page's 'not measured yet')."""
    used: dict[str, Figure] = {}

    def write(match: re.Match) -> str:
        if match[1] not in used:
            try:
                used[match[1]] = accuracy(match[1])
            except MissingFigure:
                if missing is None:
                    raise
                return missing
        return used[match[1]].text()

    return PLACEHOLDER.sub(write, text), list(used.values())


def provenance(fig: Figure) -> str:
    """'Measured on …; commit 3873dec, 2026-12-07 05:14 UTC, load 1.36': where a figure comes from."""
    load = f", load {fig.load:g}" if fig.load is not None else ""
    return f"{fig.measured_on}; commit {fig.commit}, {fig.date}{load}"
