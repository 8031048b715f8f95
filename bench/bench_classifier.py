"""Classifier figures: paper-preset epoch time at GTZAN size, 5-fold CV on gtzan-mini, demo-set accuracy.

Prints one JSON line per figure. ``--folds`` and ``--paper-epochs`` shrink the run (the full
paper preset is 120 epochs a fold); what was shrunk is printed with the figure.

    python bench/bench_classifier.py [--folds 5] [--paper-epochs 120] [--skip-paper-cv]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("GENRELAB_DATA_DIR", tempfile.mkdtemp(prefix="genrelab-bench-"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core import evaluate  # noqa: E402
from core.config import preset  # noqa: E402
from core.extract import load_features  # noqa: E402
from core.splits import kfold_splits, stratified_split  # noqa: E402
from core.demo import make_demo_dataset  # noqa: E402
from core.train import fit, predict_clips, prepare  # noqa: E402
from common import emit  # noqa: E402

GTZAN_MINI = REPO.parent / "shared" / "data" / "gtzan-mini"


def paper_epoch_seconds() -> float:
    """One paper-preset epoch over 699 random clips of 174 frames (the study's training set size)."""
    gen = torch.Generator().manual_seed(0)
    mels = [torch.randn(128, 200, generator=gen).numpy() * 10 - 40 for _ in range(999)]
    y = np.arange(999) % 10
    from core.splits import paper_split

    cfg = preset("paper", epochs=2)
    data = prepare(mels, y, paper_split(999, 0), cfg)
    start = time.perf_counter()
    fit(cfg, data)
    return (time.perf_counter() - start) / 2


def cv(fs, name: str, folds: int, **overrides) -> tuple[list[float], list[float]]:
    accs, seconds = [], []
    for split in kfold_splits(fs.y, 5, seed=0)[:folds]:
        cfg = preset(name, **overrides)
        start = time.perf_counter()
        data = prepare(fs.mels, fs.y, split, cfg)
        model, _ = fit(cfg, data)
        accs.append(float((predict_clips(model, data.test).argmax(1) == data.test.clip_y).mean()))
        seconds.append(time.perf_counter() - start)
    return accs, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--paper-epochs", type=int, default=120)
    parser.add_argument("--skip-paper-cv", action="store_true")
    args = parser.parse_args()
    emit("paper_seconds_per_epoch_699_clips", round(paper_epoch_seconds(), 2), "report")

    if GTZAN_MINI.is_dir():
        fs = load_features(GTZAN_MINI)
        accs, secs = cv(fs, "recommended", args.folds)
        emit("recommended_cv_gtzan_mini", {"mean": round(np.mean(accs), 3), "std": round(np.std(accs, ddof=1), 3)
                                           if len(accs) > 1 else None, "folds": accs}, ">= 0.85",
             seconds_per_fold=round(float(np.mean(secs)), 1), seconds_target="<= 60")
        if not args.skip_paper_cv:
            paccs, psecs = cv(fs, "paper", args.folds, epochs=args.paper_epochs, split="stratified")
            emit("paper_cv_gtzan_mini", {"mean": round(np.mean(paccs), 3), "folds": paccs}, "recommended - 0.30",
                 epochs=args.paper_epochs, seconds_per_fold=round(float(np.mean(psecs)), 1),
                 gap_points=round(100 * (np.mean(accs) - np.mean(paccs)), 1))
    else:
        emit("recommended_cv_gtzan_mini", None, "skipped", note=f"{GTZAN_MINI} not found")

    fs = load_features(make_demo_dataset())
    split = stratified_split(fs.y, seed=0)
    cfg = preset("recommended")
    start = time.perf_counter()
    data = prepare(fs.mels, fs.y, split, cfg)
    model, _ = fit(cfg, data)
    correct = int((predict_clips(model, data.test).argmax(1) == data.test.clip_y).sum())
    acc, lo, hi = evaluate.accuracy_interval(correct, len(split.test))
    emit("recommended_demo_test_accuracy", round(acc, 3), "report", ci95=[round(lo, 3), round(hi, 3)],
         n_test=len(split.test), train_seconds=round(time.perf_counter() - start, 1), split=split.name)


if __name__ == "__main__":
    main()
