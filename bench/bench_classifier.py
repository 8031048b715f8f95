"""Classifier figures: paper-preset epoch time at GTZAN size, 5-fold CV on gtzan-mini, demo-set accuracy.

The CV figures come from ``kfold_splits(y, 5, REPORT_PARTITION)``, a partition no preset was chosen on.

Prints one JSON line per figure. ``--folds`` and ``--paper-epochs`` shrink the run (the full
paper preset is 120 epochs a fold); what was shrunk is printed with the figure.

    python bench/bench_classifier.py [--folds 5] [--paper-epochs 120] [--skip-paper-cv]
"""

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from common import emit, scratch_dir, settle  # noqa: E402
os.environ.setdefault("GENRELAB_DATA_DIR", scratch_dir())

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.compute import intervals  # noqa: E402
from core.base.config import preset  # noqa: E402
from core.storage.extract import load_features  # noqa: E402
from core.base.splits import REPORT_PARTITION, kfold_splits, stratified_split  # noqa: E402
from core.base.demo import make_demo_dataset  # noqa: E402
from core.compute.train import fit, predict_clips, prepare  # noqa: E402

GTZAN_MINI = REPO.parent / "shared" / "data" / "gtzan-mini"


def paper_epoch_seconds() -> float:
    """One paper-preset epoch over 699 random clips of 174 frames (the study's training set size)."""
    gen = torch.Generator().manual_seed(0)
    mels = [torch.randn(128, 200, generator=gen).numpy() * 10 - 40 for _ in range(999)]
    y = np.arange(999) % 10
    from core.base.splits import paper_split

    cfg = preset("paper", epochs=2)
    data = prepare(mels, y, paper_split(999, 0), cfg)
    start = time.perf_counter()
    fit(cfg, data)
    return (time.perf_counter() - start) / 2


def cv(fs, name: str, folds: int, **overrides) -> tuple[dict, list[float]]:
    """Test accuracy pooled over the folds' test clips (Wilson interval), and seconds per fold."""
    correct, totals, seconds = [], [], []
    for split in kfold_splits(fs.y, 5, REPORT_PARTITION)[:folds]:  # never the partition presets are chosen on
        cfg = preset(name, **overrides)
        start = time.perf_counter()
        data = prepare(fs.mels, fs.y, split, cfg)
        model, _ = fit(cfg, data)
        correct.append(int((predict_clips(model, data.test).argmax(1) == data.test.clip_y).sum()))
        totals.append(len(data.test.clip_y))
        seconds.append(time.perf_counter() - start)
    pooled = intervals.pooled_accuracy(correct, totals)
    pooled.update({k: round(pooled[k], 4) for k in ("value", "lo", "hi")},
                  fold_accuracies=[round(k / n, 3) for k, n in zip(correct, totals)])
    return pooled, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--paper-epochs", type=int, default=120)
    parser.add_argument("--skip-paper-cv", action="store_true")
    args = parser.parse_args()
    settle()
    emit("paper_seconds_per_epoch_699_clips", round(paper_epoch_seconds(), 2), "report", timed=True)

    if GTZAN_MINI.is_dir():
        fs = load_features(GTZAN_MINI)
        settle()
        acc, secs = cv(fs, "recommended", args.folds)
        emit("recommended_cv_gtzan_mini", acc, ">= 0.85", unit="clips of one cross-validation, pooled",
             partition=f"kfold_splits(y, 5, REPORT_PARTITION={REPORT_PARTITION})",
             seconds_per_fold=round(float(np.mean(secs)), 1))
        emit("recommended_cv_seconds_per_fold", round(float(np.mean(secs)), 1), "<= 60", timed=True)
        if not args.skip_paper_cv:
            pacc, psecs = cv(fs, "paper", args.folds, epochs=args.paper_epochs, split="stratified")
            emit("paper_cv_gtzan_mini", pacc, "recommended - 0.30", unit="clips of one cross-validation, pooled",
                 epochs=args.paper_epochs, seconds_per_fold=round(float(np.mean(psecs)), 1),
                 gap_points=round(100 * (acc["value"] - pacc["value"]), 1))
    else:
        emit("recommended_cv_gtzan_mini", None, "skipped", note=f"{GTZAN_MINI} not found")

    fs = load_features(make_demo_dataset())
    split = stratified_split(fs.y, seed=0)
    cfg = preset("recommended")
    start = time.perf_counter()
    data = prepare(fs.mels, fs.y, split, cfg)
    model, _ = fit(cfg, data)
    correct = int((predict_clips(model, data.test).argmax(1) == data.test.clip_y).sum())
    acc, lo, hi = intervals.accuracy_interval(correct, len(split.test))
    emit("recommended_demo_test_accuracy", {"value": round(acc, 4), "lo": round(lo, 4), "hi": round(hi, 4),
                                            "correct": correct, "n": len(split.test)}, "report",
         train_seconds=round(time.perf_counter() - start, 1), split=split.name)


if __name__ == "__main__":
    main()
