"""Benchmark: generate the default synthetic demo set (10 genres x 20 clips x 10 s) and time it.

Prints one JSON line, e.g. ``{"figure": "demo_generation_seconds", "value": 4.2, "target": "<= 30", "clips": 200}``.
Also reports the CPU seconds used (self + workers), which stays meaningful when the machine is busy.
Writes into a temporary data folder (``GENRELAB_DATA_DIR``), removed afterwards.

    python bench/bench_synth.py [--clips-per-genre 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import emit, settle  # noqa: E402


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its (finished) worker processes: a load-independent
    figure (on an otherwise idle 2-core machine the wall time is about half of it)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips-per-genre", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--sr", type=int, default=22050)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="genrelab-bench-") as tmp:
        os.environ["GENRELAB_DATA_DIR"] = tmp
        from core import GENRES
        from core.base.demo import make_demo_dataset

        settle()
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        root = make_demo_dataset(clips_per_genre=args.clips_per_genre, seconds=args.seconds, sr=args.sr)
        elapsed = time.perf_counter() - t0
        cpu = _cpu_seconds() - cpu0
        n_files = sum(1 for _ in Path(root).glob("*/*.wav"))
        t1 = time.perf_counter()
        make_demo_dataset(clips_per_genre=args.clips_per_genre, seconds=args.seconds, sr=args.sr)
        again = time.perf_counter() - t1
    assert n_files == len(GENRES) * args.clips_per_genre, n_files
    emit("demo_generation_seconds", round(elapsed, 2), "<= 30", timed=True, clips=n_files,
         seconds_per_clip=args.seconds,
         cpus=os.cpu_count(), cpu_seconds=round(cpu, 2),
         cached_call_seconds=round(again, 4))


if __name__ == "__main__":
    main()
