"""Reproducibility: does the same seed give the same numbers, and how much does torch's thread count move them?

Trains the recommended preset on the demo set (stratified split, seed 0) three times, each in a fresh
process: with one torch thread, with one thread again, and with ``--threads`` threads. Prints one JSON
line per figure: whether the two one-thread runs agree exactly, and how far the other thread count
moves test accuracy, the clips' predictions and the final training loss (float sums in a different
order round differently, and training amplifies that).

    python bench/bench_repro.py [--epochs 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from common import emit  # noqa: E402


def child(epochs: int, threads: int) -> None:
    """One training in this process; prints its numbers as JSON."""
    import torch

    from core.base import config
    from core.orchestration import classifier
    from core.storage import runs
    from core.base.demo import make_demo_dataset

    torch.set_num_threads(threads)
    cfg = config.preset("recommended", epochs=epochs, seed=0)
    run_id = classifier.submit_classifier(cfg, make_demo_dataset(), "demo", preset="recommended")
    result = classifier.run_classifier(run_id)
    print(json.dumps({"accuracy": result["accuracy"]["value"], "n": result["accuracy"]["n"],
                      "y_pred": result["y_pred"], "loss": runs.history(run_id)[-1]["train_loss"]}))


def run(epochs: int, threads: int, data: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(threads), "--epochs", str(epochs)], check=True,
                         capture_output=True, text=True, env={**os.environ, "GENRELAB_DATA_DIR": data}).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5, help="training epochs (the preset's own: 30)")
    ap.add_argument("--threads", type=int, default=2, help="the other thread count to compare with one")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.epochs, args.child)
        return
    with tempfile.TemporaryDirectory(prefix="genrelab-bench-") as data:
        one, again, many = run(args.epochs, 1, data), run(args.epochs, 1, data), run(args.epochs, args.threads, data)
    setup = f"recommended preset, {args.epochs} epochs, demo set, stratified split seed 0, {one['n']} test clips"
    emit("same_seed_same_threads_identical", one == again, "true", note=f"{setup}; two fresh processes, 1 thread")
    emit("threads_accuracy_change_points", round(100 * (many["accuracy"] - one["accuracy"]), 1), "report",
         note=f"{setup}; {args.threads} threads minus 1 thread", accuracies=[one["accuracy"], many["accuracy"]])
    emit("threads_predictions_changed", sum(a != b for a, b in zip(one["y_pred"], many["y_pred"])), "report",
         note=f"test clips of {one['n']} predicted differently with {args.threads} threads than with 1")
    emit("threads_final_loss_relative_change", abs(many["loss"] - one["loss"]) / one["loss"], "report",
         losses=[one["loss"], many["loss"]])


if __name__ == "__main__":
    main()
