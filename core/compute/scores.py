"""What a classifier scored on a test set, as the one result record every run and page uses."""

from __future__ import annotations

import numpy as np

from . import evaluate


def classification_result(probs: np.ndarray, y_true: np.ndarray, keys: list[str], labels: tuple[str, ...]) -> dict:
    """Everything shown about a test set: accuracy with its 95 % interval, confusion, per-class scores.

    ``probs`` is ``(n_clips, n_classes)`` clip probabilities, ``y_true`` ``(n_clips,)`` class indices,
    ``keys`` the clips' ``<label>/<stem>`` keys (may be empty).
    """
    pred = probs.argmax(1)
    correct = int((pred == y_true).sum())
    acc, lo, hi = evaluate.accuracy_interval(correct, len(y_true))
    return {"accuracy": {"value": acc, "lo": lo, "hi": hi, "correct": correct, "n": int(len(y_true))},
            "labels": list(labels), "keys": keys, "y_true": y_true.tolist(), "y_pred": pred.tolist(),
            "probs": np.round(probs, 5).tolist(),
            "confusion": evaluate.confusion(y_true, pred, len(labels)).tolist(),
            "per_class": evaluate.per_class_report(y_true, pred, list(labels))}
