"""Foundation figures: demo-set generation, cold feature extraction and cached reload.

Prints one JSON line per figure. Uses a fresh temporary data folder, so nothing is cached before
it starts. Real-audio figures use ../shared/data/gtzan-mini (100 clips of 30 s) and are skipped
with a note where it is absent.

    python bench/bench_features.py
"""

import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from common import emit, scratch_dir, settle  # noqa: E402
os.environ["GENRELAB_DATA_DIR"] = scratch_dir()

from core.storage.extract import compute_logmel, load_features  # noqa: E402
from core.base.config import FeatureConfig  # noqa: E402
from core.base.demo import make_demo_dataset  # noqa: E402

GTZAN_MINI = REPO.parent / "shared" / "data" / "gtzan-mini"
REPEATS = 7


def main() -> None:
    settle()
    start = time.perf_counter()
    demo = make_demo_dataset()
    emit("demo_generation_seconds", round(time.perf_counter() - start, 2), "<= 30", timed=True,
         clips=200, seconds_each=10)

    if not GTZAN_MINI.is_dir():
        emit("extraction", None, "skipped", note=f"{GTZAN_MINI} not found")
        return
    compute_logmel(next(GTZAN_MINI.glob("*/*.wav")), FeatureConfig())  # warm torch and the mel basis
    settle()
    start = time.perf_counter()
    fs = load_features(GTZAN_MINI)
    cold = time.perf_counter() - start
    emit("extraction_cold_clips_per_second", round(len(fs.clips) / cold, 1), ">= 100", timed=True, clips=len(fs.clips),
         clip_seconds=30, full_gtzan_seconds_estimate=round(1000 / (len(fs.clips) / cold), 1))
    settle()
    warm = []
    for _ in range(REPEATS):  # one reload takes ~0.04 s: a single timing of it is mostly noise
        start = time.perf_counter()
        fs = load_features(GTZAN_MINI)
        warm.append(time.perf_counter() - start)
    emit("cached_reload_clips_per_second", round(len(fs.clips) / float(np.median(warm)), 1), ">= 1000", timed=True,
         clips=len(fs.clips), note=f"median of {REPEATS} reloads",
         per_reload=[round(len(fs.clips) / w, 1) for w in warm])
    settle()
    start = time.perf_counter()
    load_features(demo)
    emit("demo_extraction_cold_seconds", round(time.perf_counter() - start, 2), "", timed=True, clips=200)


if __name__ == "__main__":
    main()
