"""Figures the benchmarks measured (``bench/results.json``, written by ``bench/run_all.py``), for the pages that quote
them: a page reads a measured number here, it never types one in."""

from __future__ import annotations

import json
from functools import lru_cache

from .paths import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results.json"


@lru_cache(maxsize=2)
def _results(mtime_ns: int) -> dict:
    try:
        data = json.loads(RESULTS.read_text())
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
    entry = _results(mtime).get(key)
    return entry if isinstance(entry, dict) and "value" in entry else None
