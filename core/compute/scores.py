"""What a classifier scored on a test set: confusion matrices, per-class precision, recall and F1, and the one result
record every run and page uses (:func:`classification_result`).

Class labels are integer indices ``0 .. n_classes - 1`` unless stated otherwise; the scores are
:mod:`sklearn.metrics` (``confusion_matrix``, ``precision_recall_fscore_support``).
"""

from __future__ import annotations

import numpy as np

# scikit-learn is imported by the functions that score, so a page that shows stored scores loads none of it.

from .intervals import accuracy_interval


def check_labels(y, name: str) -> np.ndarray:
    """``y`` as a one-dimensional array ``(n,)``, or ValueError naming ``name``."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {y.shape}")
    return y


def check_pairs(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Two non-empty label arrays of one length ``(n,)``, or ValueError saying which is wrong."""
    y_true, y_pred = check_labels(y_true, "y_true"), check_labels(y_pred, "y_pred")
    if y_true.size == 0:
        raise ValueError("y_true is empty: nothing to evaluate")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in length: {y_true.size} vs {y_pred.size}")
    return y_true, y_pred


def check_class_indices(y: np.ndarray, n_classes: int, name: str) -> np.ndarray:
    """``y`` as integer class indices in ``0 .. n_classes - 1``, or ValueError naming ``name``."""
    if not np.issubdtype(y.dtype, np.integer):
        if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(f"{name} must hold integer class indices")
        y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} holds class indices outside 0..{n_classes - 1}")
    return y


def confusion(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Confusion matrix of counts (:func:`sklearn.metrics.confusion_matrix`).

    Parameters
    ----------
    y_true, y_pred : np.ndarray [shape=(n,)], integer class indices in ``0 .. n_classes - 1``
    n_classes : int > 0

    Returns
    -------
    cm : np.ndarray [shape=(n_classes, n_classes), dtype=int]
        ``cm[i, j]`` = number of items of true class ``i`` predicted as class ``j``
        (rows = true, columns = predicted). Classes absent from both arrays give zero rows/columns.

    Raises
    ------
    ValueError
        On empty or mismatched inputs, or class indices outside ``0 .. n_classes - 1``.
    """
    if int(n_classes) < 1:
        raise ValueError("n_classes must be positive")
    y_true, y_pred = check_pairs(y_true, y_pred)
    y_true = check_class_indices(y_true, n_classes, "y_true")
    y_pred = check_class_indices(y_pred, n_classes, "y_pred")
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=np.arange(int(n_classes))).astype(np.int64)


def row_normalise(cm) -> np.ndarray:
    """Divide each row of a confusion matrix by its sum (rows become per-true-class rates).

    Parameters
    ----------
    cm : np.ndarray [shape=(n_rows, n_cols)], non-negative counts

    Returns
    -------
    rates : np.ndarray [shape=(n_rows, n_cols), dtype=float]
        Each row sums to 1, except rows of a class with no items, which stay all 0
        (never NaN). The diagonal is then the per-class recall.
    """
    cm = np.asarray(cm, dtype=np.float64)
    if cm.ndim != 2:
        raise ValueError(f"cm must be two-dimensional, got shape {cm.shape}")
    sums = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, sums, out=np.zeros_like(cm), where=sums > 0)


def per_class_report(y_true, y_pred, labels: list[str]) -> list[dict]:
    """Precision, recall, F1 and support per class
    (:func:`sklearn.metrics.precision_recall_fscore_support`, ``zero_division=0``).

    Parameters
    ----------
    y_true, y_pred : np.ndarray [shape=(n,)]
        Integer class indices into ``labels`` (or the label strings themselves).
    labels : list of str [length=n_classes]
        Class names, in class-index order.

    Returns
    -------
    report : list of dict [length=n_classes]
        One dict per class, in ``labels`` order:
        ``{'label': str, 'precision': float, 'recall': float, 'f1': float, 'support': int}``.
        A class never predicted has precision 0; a class with no true items has recall 0 and
        support 0.
    """
    labels = list(labels)
    if not labels:
        raise ValueError("labels is empty")
    y_true, y_pred = check_pairs(y_true, y_pred)
    if np.issubdtype(y_true.dtype, np.number) and np.issubdtype(y_pred.dtype, np.number):
        y_true = check_class_indices(y_true, len(labels), "y_true")
        y_pred = check_class_indices(y_pred, len(labels), "y_pred")
        keys = list(range(len(labels)))
    else:
        unknown = (set(y_true.tolist()) | set(y_pred.tolist())) - set(labels)
        if unknown:
            raise ValueError(f"labels not in `labels`: {sorted(map(str, unknown))}")
        keys = labels
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=keys, average=None, zero_division=0)
    return [
        {"label": str(name), "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
         "support": int(s[i])}
        for i, name in enumerate(labels)
    ]


def classification_result(probs: np.ndarray, y_true: np.ndarray, keys: list[str], labels: tuple[str, ...]) -> dict:
    """Everything shown about a test set: accuracy with its 95 % interval, confusion, per-class scores.

    ``probs`` is ``(n_clips, n_classes)`` clip probabilities, ``y_true`` ``(n_clips,)`` class indices,
    ``keys`` the clips' ``<label>/<stem>`` keys (may be empty).
    """
    pred = probs.argmax(1)
    correct = int((pred == y_true).sum())
    acc, lo, hi = accuracy_interval(correct, len(y_true))
    return {"accuracy": {"value": acc, "lo": lo, "hi": hi, "correct": correct, "n": int(len(y_true))},
            "labels": list(labels), "keys": keys, "y_true": y_true.tolist(), "y_pred": pred.tolist(),
            "probs": np.round(probs, 5).tolist(),
            "confusion": confusion(y_true, pred, len(labels)).tolist(),
            "per_class": per_class_report(y_true, pred, list(labels))}
