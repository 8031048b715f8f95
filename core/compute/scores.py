"""What a classifier scored on a set of clips: confusion matrices, per-class precision, recall and F1, and the one
result record (:class:`ClassificationResult`, made by :func:`classification_result`) that a run's test set and a
check on another collection both produce and every page reads.

Class labels are integer indices ``0 .. n_classes - 1`` unless stated otherwise; the confusion matrix is
:func:`sklearn.metrics.confusion_matrix`, the per-class scores are read off it (:func:`class_scores`).
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np

# scikit-learn is imported by the function that counts (confusion), so a page that shows stored scores loads none of it.

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


class ClassScores(TypedDict):
    """One class's scores: precision, recall and F1 (0 where undefined, as ``zero_division=0``) and its clips."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


class Accuracy(TypedDict):
    """The share of clips answered right, with its 95 % Wilson interval (:func:`.intervals.accuracy_interval`)."""

    value: float
    lo: float
    hi: float
    correct: int
    n: int


class ClassificationResult(TypedDict):
    """What a classifier scored on a set of clips: its run's test set (``result.json``) or another collection (a
    check, :func:`core.usecases.generalise.check`, which adds what it was measured on and what it left out).

    Clip-ordered: ``keys`` (``<label>/<stem>`` on a test set, content digests in a check), ``y_true`` and
    ``y_pred`` (class indices), ``probs`` (n_clips × n_classes; empty in a check kept before checks kept them).
    Class-ordered, over every genre the model knows (``labels``): ``confusion`` (counts, rows true, columns
    predicted) and ``per_class`` (a genre absent from the clips has support 0: :func:`present`).
    """

    accuracy: Accuracy
    labels: list[str]
    keys: list[str]
    y_true: list[int]
    y_pred: list[int]
    probs: list[list[float]]
    confusion: list[list[int]]
    per_class: list[ClassScores]


def class_scores(cm, labels: list[str]) -> list[ClassScores]:
    """Precision, recall, F1 and support of each class, read off confusion counts ``cm``
    ``(n_classes, n_classes)`` (rows true, columns predicted), in ``labels`` order.

    A class never predicted has precision 0; a class with no true items has recall 0 and support 0; F1 is 0
    where precision and recall both are (``zero_division=0`` in :mod:`sklearn.metrics`' terms).
    """
    cm = np.asarray(cm, dtype=np.float64)
    hits, support, predicted = np.diag(cm), cm.sum(axis=1), cm.sum(axis=0)
    p = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    r = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    f = np.divide(2 * p * r, p + r, out=np.zeros_like(hits), where=p + r > 0)
    return [{"label": str(name), "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
             "support": int(support[i])} for i, name in enumerate(labels)]


def per_class_report(y_true, y_pred, labels: list[str]) -> list[ClassScores]:
    """Precision, recall, F1 and support per class (:func:`class_scores` of their :func:`confusion`).

    Parameters
    ----------
    y_true, y_pred : np.ndarray [shape=(n,)]
        Integer class indices into ``labels`` (or the label strings themselves).
    labels : list of str [length=n_classes]
        Class names, in class-index order.

    Returns
    -------
    report : list of ClassScores [length=n_classes], in ``labels`` order.
    """
    labels = list(labels)
    if not labels:
        raise ValueError("labels is empty")
    y_true, y_pred = check_pairs(y_true, y_pred)
    if not (np.issubdtype(y_true.dtype, np.number) and np.issubdtype(y_pred.dtype, np.number)):
        unknown = (set(y_true.tolist()) | set(y_pred.tolist())) - set(labels)
        if unknown:
            raise ValueError(f"labels not in `labels`: {sorted(map(str, unknown))}")
        y_true, y_pred = (np.array([labels.index(v) for v in y.tolist()]) for y in (y_true, y_pred))
    return class_scores(confusion(y_true, y_pred, len(labels)), labels)


def present(result: ClassificationResult) -> list[int]:
    """Indices of the genres with at least one clip in ``result`` (a check scores only those it shares)."""
    return [i for i, c in enumerate(result["per_class"]) if c["support"]]


def classification_result(probs: np.ndarray, y_true: np.ndarray, keys: list[str],
                          labels: tuple[str, ...]) -> ClassificationResult:
    """Everything shown about a set of clips: accuracy with its 95 % interval, confusion, per-class scores.

    ``probs`` is ``(n_clips, n_classes)`` clip probabilities, ``y_true`` ``(n_clips,)`` class indices,
    ``keys`` the clips' keys (may be empty).
    """
    pred = probs.argmax(1)
    cm = confusion(y_true, pred, len(labels))
    correct = int(np.trace(cm))
    acc, lo, hi = accuracy_interval(correct, len(y_true))
    return {"accuracy": {"value": acc, "lo": lo, "hi": hi, "correct": correct, "n": int(len(y_true))},
            "labels": list(labels), "keys": list(keys), "y_true": y_true.tolist(), "y_pred": pred.tolist(),
            "probs": np.round(probs, 5).tolist(), "confusion": cm.tolist(), "per_class": class_scores(cm, labels)}
