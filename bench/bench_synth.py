"""Benchmark: generate the default synthetic demo set (10 genres x 20 clips x 10 s) and time it.

Prints one JSON line, e.g. ``{"figure": "demo_generation_seconds", "value": 4.2, "target": "<= 30", "clips": 200}``.
Writes into a temporary data folder (``GENRELAB_DATA_DIR``), removed afterwards.

    python bench/bench_synth.py [--clips-per-genre 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips-per-genre", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--sr", type=int, default=22050)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="genrelab-bench-") as tmp:
        os.environ["GENRELAB_DATA_DIR"] = tmp
        from core import GENRES
        from core.synth import make_demo_dataset

        t0 = time.perf_counter()
        root = make_demo_dataset(clips_per_genre=args.clips_per_genre, seconds=args.seconds, sr=args.sr)
        elapsed = time.perf_counter() - t0
        n_files = sum(1 for _ in Path(root).glob("*/*.wav"))
        t1 = time.perf_counter()
        make_demo_dataset(clips_per_genre=args.clips_per_genre, seconds=args.seconds, sr=args.sr)
        again = time.perf_counter() - t1
    assert n_files == len(GENRES) * args.clips_per_genre, n_files
    print(json.dumps({"figure": "demo_generation_seconds", "value": round(elapsed, 2), "target": "<= 30",
                      "clips": n_files, "seconds_per_clip": args.seconds, "cpus": os.cpu_count(),
                      "cached_call_seconds": round(again, 4)}))


if __name__ == "__main__":
    main()
