"""Same seed, same data, same machine: the same numbers, in this process and in a fresh one.

How much a different torch thread count moves them is measured by bench/bench_repro.py (README).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.base import config
from core.orchestration import classifier
from core.storage import runs

pytestmark = pytest.mark.slow  # trains four tiny classifiers, one in a fresh process

REPO = Path(__file__).resolve().parents[2]
TINY = ["epochs=2", "hidden_size=16", "num_layers=1", "batch_size=8", "segment_seconds=1.0", "split=stratified"]


def numbers(run_id: str) -> dict:
    """Everything a run reports as a number: test predictions, probabilities, accuracy and its history."""
    result = runs.result(run_id)
    return {"y_pred": result["y_pred"], "probs": result.get("probs"), "accuracy": result["accuracy"],
            "history": [{k: v for k, v in h.items() if "seconds" not in k and k != "time"}
                        for h in runs.history(run_id)]}


def test_same_seed_same_numbers_in_process_and_in_a_fresh_process(tone_dataset):
    cfg = config.with_overrides(config.preset("recommended"), [*TINY, "seed=3"])
    first, second = (classifier.submit_classifier(cfg, tone_dataset, "tones", preset="recommended") for _ in range(2))
    classifier.run_classifier(first)
    classifier.run_classifier(second)
    assert numbers(first) == numbers(second) and numbers(first)["history"]

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "core", "train", "--preset", "recommended", "--data", str(tone_dataset),
                          "--seed", "3", *[a for s in TINY for a in ("--set", s)]], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True).stdout
    fresh = out.split("run ", 1)[1].split()[0]
    assert numbers(fresh) == numbers(first)

    other = classifier.submit_classifier(config.with_overrides(cfg, ["seed=4"]), tone_dataset, "tones",
                                         preset="recommended")
    classifier.run_classifier(other)
    assert numbers(other)["history"] != numbers(first)["history"]  # the seed matters: the test could fail
