"""Evaluation with uncertainty: accuracy intervals, paired tests and seed spread.

Every accuracy GenreLab shows carries its uncertainty. A single test split of ~100 clips cannot
tell 52.5 % from 58.4 % apart (53 vs 59 correct of 101): the functions here say so in numbers
and in plain sentences.

All functions are small and pure, take numpy arrays (or anything ``np.asarray`` accepts) and
return numpy arrays, floats or plain dicts. The statistics are delegated to well-kept libraries:

- confusion matrices and precision/recall/F1: :mod:`sklearn.metrics`
- Wilson intervals and exact binomial (McNemar) tests: :func:`scipy.stats.binomtest`
- Student-t intervals: :func:`scipy.stats.ttest_1samp` and its ``confidence_interval``

GAN-sample metrics (Fréchet and nearest-neighbour distances, fidelity) live in :mod:`core.compute.gan_metrics`.

Class labels are integer indices ``0 .. n_classes - 1`` unless stated otherwise.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

__all__ = [
    "accuracy_interval",
    "confusion",
    "row_normalise",
    "per_class_report",
    "mcnemar_exact",
    "describe_difference",
    "mean_interval",
    "paired_differences",
    "paired_p_value",
    "pooled_accuracy",
    "pooled_mcnemar",
    "holm",
    "format_accuracy",
]


# --------------------------------------------------------------------------- helpers

def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return confidence


def _labels_1d(y, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {y.shape}")
    return y


def _paired_labels(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _labels_1d(y_true, "y_true"), _labels_1d(y_pred, "y_pred")
    if y_true.size == 0:
        raise ValueError("y_true is empty: nothing to evaluate")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in length: {y_true.size} vs {y_pred.size}")
    return y_true, y_pred


def _check_class_indices(y: np.ndarray, n_classes: int, name: str) -> np.ndarray:
    if not np.issubdtype(y.dtype, np.integer):
        if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(f"{name} must hold integer class indices")
        y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} holds class indices outside 0..{n_classes - 1}")
    return y


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _format_p(p: float) -> str:
    if p < 0.001:
        return "p < 0.001"
    if p >= 0.995:
        return "p = 1.0"
    return f"p = {p:.2g}" if p < 0.1 else f"p = {p:.2f}"


# --------------------------------------------------------------------------- accuracy

def accuracy_interval(n_correct: int, n_total: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Accuracy with its Wilson score confidence interval.

    We use the Wilson score interval (via :meth:`scipy.stats.binomtest(...).proportion_ci
    <scipy.stats._result_classes.BinomTestResult.proportion_ci>` with ``method="wilson"``)
    rather than the textbook normal ("Wald") interval: Wald collapses to zero width at 0 or
    n correct and under-covers for test sets of ~100 clips, while Wilson keeps close to the
    nominal coverage and always stays inside [0, 1].

    Parameters
    ----------
    n_correct : int >= 0
        Number of correctly classified test items.
    n_total : int > 0
        Number of test items.
    confidence : float in (0, 1)
        Confidence level of the interval.

    Returns
    -------
    (accuracy, lo, hi) : tuple of float
        ``accuracy = n_correct / n_total`` and the interval bounds, with
        ``0 <= lo <= accuracy <= hi <= 1``. Example: 53 of 101 -> (0.525, 0.428, 0.619).

    Raises
    ------
    ValueError
        If ``n_total == 0``, counts are negative or non-integer, or ``n_correct > n_total``.
    """
    confidence = _check_confidence(confidence)
    if int(n_total) != n_total or int(n_correct) != n_correct:
        raise ValueError("n_correct and n_total must be whole numbers")
    n_correct, n_total = int(n_correct), int(n_total)
    if n_total <= 0:
        raise ValueError("n_total must be positive: an accuracy over no test items is undefined")
    if not 0 <= n_correct <= n_total:
        raise ValueError(f"n_correct must lie in 0..n_total, got {n_correct} of {n_total}")
    acc = n_correct / n_total
    ci = stats.binomtest(n_correct, n_total).proportion_ci(confidence_level=confidence, method="wilson")
    # clip away floating-point spill so that lo <= acc <= hi and both stay in [0, 1]
    lo = min(max(float(ci.low), 0.0), acc)
    hi = max(min(float(ci.high), 1.0), acc)
    return acc, lo, hi


# --------------------------------------------------------------------------- confusion / per class

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
    y_true, y_pred = _paired_labels(y_true, y_pred)
    y_true = _check_class_indices(y_true, n_classes, "y_true")
    y_pred = _check_class_indices(y_pred, n_classes, "y_pred")
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
    y_true, y_pred = _paired_labels(y_true, y_pred)
    if np.issubdtype(y_true.dtype, np.number) and np.issubdtype(y_pred.dtype, np.number):
        y_true = _check_class_indices(y_true, len(labels), "y_true")
        y_pred = _check_class_indices(y_pred, len(labels), "y_pred")
        keys = list(range(len(labels)))
    else:
        unknown = (set(y_true.tolist()) | set(y_pred.tolist())) - set(labels)
        if unknown:
            raise ValueError(f"labels not in `labels`: {sorted(map(str, unknown))}")
        keys = labels
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=keys, average=None, zero_division=0)
    return [
        {"label": str(name), "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
         "support": int(s[i])}
        for i, name in enumerate(labels)
    ]


# --------------------------------------------------------------------------- paired comparison

def mcnemar_exact(correct_a, correct_b) -> dict:
    """Exact McNemar test for two classifiers scored on the SAME test items.

    Only the discordant items carry information: ``b`` items only A got right, ``c`` items only
    B got right. Under "no difference" each discordant item is a fair coin, so the two-sided
    exact p-value is :func:`scipy.stats.binomtest` of ``b`` successes in ``b + c`` trials at
    ``p = 0.5``.

    Parameters
    ----------
    correct_a, correct_b : np.ndarray [shape=(n,), dtype=bool]
        Per-item correctness of classifier A and B, aligned item by item.

    Returns
    -------
    result : dict
        ``'b'`` (int): items only A got right; ``'c'`` (int): items only B got right;
        ``'p_value'`` (float): two-sided exact p (1.0 when ``b + c == 0``);
        ``'n'`` (int): number of paired items; and, for reporting,
        ``'correct_a'``, ``'correct_b'`` (int): totals right for A and B.

    Raises
    ------
    ValueError
        If the arrays differ in length, are empty, or are not one-dimensional.
    """
    a = _labels_1d(correct_a, "correct_a").astype(bool)
    b_ = _labels_1d(correct_b, "correct_b").astype(bool)
    if a.size != b_.size:
        raise ValueError(f"correct_a and correct_b differ in length: {a.size} vs {b_.size} "
                         "(McNemar needs the same test items for both classifiers)")
    if a.size == 0:
        raise ValueError("no paired items to compare")
    b = int(np.sum(a & ~b_))
    c = int(np.sum(~a & b_))
    p = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, p=0.5, alternative="two-sided").pvalue)
    return {"b": b, "c": c, "p_value": min(p, 1.0), "n": int(a.size),
            "correct_a": int(a.sum()), "correct_b": int(b_.sum())}


def describe_difference(mcnemar: dict, name_a: str, name_b: str, alpha: float = 0.05) -> str:
    """One plain sentence for a teacher about a :func:`mcnemar_exact` result.

    Parameters
    ----------
    mcnemar : dict
        Output of :func:`mcnemar_exact` (needs ``'b'``, ``'c'``, ``'p_value'``, ``'n'``; uses
        ``'correct_a'``/``'correct_b'`` for the totals when present).
    name_a, name_b : str
        Display names of classifier A and B.
    alpha : float in (0, 1)
        Significance level: ``p < alpha`` is called "distinguishable from noise",
        otherwise "indistinguishable from noise".

    Returns
    -------
    sentence : str
        E.g. "B got 6 more clips right than A (59 vs 53 of 101 paired clips), but with 14 clips
        only A got right and 20 only B got right, an exact McNemar test gives p = 0.39: this
        difference is indistinguishable from noise."
    """
    alpha = _check_confidence(alpha)
    b, c, n, p = int(mcnemar["b"]), int(mcnemar["c"]), int(mcnemar["n"]), float(mcnemar["p_value"])
    have_totals = "correct_a" in mcnemar and "correct_b" in mcnemar
    discordant = (f"{_plural(b, 'clip')} only {name_a} got right and {c} only {name_b} got right")

    if b + c == 0:
        return (f"{name_a} and {name_b} got exactly the same {n} clips right or wrong, so there is no "
                f"difference at all: it is indistinguishable from noise.")
    if b == c:
        totals = f" ({mcnemar['correct_a']} of {n} paired clips each)" if have_totals else ""
        return (f"{name_a} and {name_b} got the same number of clips right{totals}; with {discordant}, "
                f"an exact McNemar test gives {_format_p(p)}: there is no difference, "
                f"so it is indistinguishable from noise.")

    if c > b:
        better, worse = name_b, name_a
        totals = (mcnemar.get("correct_b"), mcnemar.get("correct_a"))
    else:
        better, worse = name_a, name_b
        totals = (mcnemar.get("correct_a"), mcnemar.get("correct_b"))
    head = f"{better} got {_plural(abs(c - b), 'more clip')} right than {worse}"
    if have_totals:
        head += f" ({totals[0]} vs {totals[1]} of {n} paired clips)"
    else:
        head += f" (on {n} paired clips)"
    if p < alpha:
        return (f"{head}, and with {discordant}, an exact McNemar test gives {_format_p(p)} "
                f"(below {alpha:g}): this difference is distinguishable from noise.")
    return (f"{head}, but with {discordant}, an exact McNemar test gives {_format_p(p)} "
            f"(not below {alpha:g}): this difference is indistinguishable from noise.")


# --------------------------------------------------------------------------- spread over seeds

def mean_interval(values, confidence: float = 0.95) -> dict:
    """Mean of repeated measurements (e.g. test accuracy over seeds) with a Student-t interval.

    Parameters
    ----------
    values : np.ndarray [shape=(n,)], finite
    confidence : float in (0, 1)

    Returns
    -------
    result : dict
        ``'mean'``, ``'std'`` (sample standard deviation, ``ddof=1``), ``'lo'``, ``'hi'``
        (``mean ± t_{n-1} * std / sqrt(n)``) as floats and ``'n'`` (int).
        With a single value (n = 1) the spread is unknown: ``std``, ``lo`` and ``hi`` are NaN —
        one run says nothing about how much another seed would change the result.

    Raises
    ------
    ValueError
        If ``values`` is empty or contains NaN/inf.
    """
    confidence = _check_confidence(confidence)
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("values is empty")
    if not np.all(np.isfinite(x)):
        raise ValueError("values contains NaN or infinite values")
    n, mean = int(x.size), float(x.mean())
    if n == 1:
        return {"mean": mean, "std": math.nan, "lo": math.nan, "hi": math.nan, "n": 1}
    std = float(x.std(ddof=1))
    if std == 0.0:  # identical values: the interval is the point (scipy would warn of precision loss)
        return {"mean": mean, "std": std, "lo": mean, "hi": mean, "n": n}
    lo, hi = stats.ttest_1samp(x, 0.0).confidence_interval(confidence)
    return {"mean": mean, "std": std, "lo": float(lo), "hi": float(hi), "n": n}


def paired_differences(a, b, confidence: float = 0.95) -> dict:
    """Per-seed differences ``b - a`` (same seeds, same order) with their Student-t interval.

    Pairing by seed removes the seed-to-seed variation both runs share, so the interval of the
    differences is the honest answer to "does B beat A?".

    Parameters
    ----------
    a, b : np.ndarray [shape=(n,)]
        A metric (e.g. accuracy) of setups A and B, element ``i`` from the same seed ``i``.
    confidence : float in (0, 1)

    Returns
    -------
    result : dict
        ``'differences'``: np.ndarray [shape=(n,)] of ``b - a``, plus the keys of
        :func:`mean_interval` of those differences (``'mean'``, ``'std'``, ``'lo'``, ``'hi'``,
        ``'n'``). An interval that contains 0 means no difference was shown.

    Raises
    ------
    ValueError
        If the lengths differ or the inputs are empty.
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.size != b.size:
        raise ValueError(f"a and b differ in length: {a.size} vs {b.size} (need one value per seed each)")
    d = b - a
    return {"differences": d, **mean_interval(d, confidence)}


def paired_p_value(differences) -> float:
    """Two-sided p-value of a paired t-test that the mean of per-seed ``differences`` is 0.

    Only for differences over *independent* splits (seeds that each draw a new split); folds of one
    cross-validation share training clips, so pool them with :func:`pooled_mcnemar` instead.

    Parameters
    ----------
    differences : np.ndarray [shape=(n,)], finite
        ``b - a`` per seed (e.g. :func:`paired_differences`'s ``'differences'``), as fractions.

    Returns
    -------
    p : float in [0, 1]
        :func:`scipy.stats.ttest_1samp` against 0; NaN for a single seed (no spread to test against);
        1.0 when every difference is 0 and 0.0 when all differences are equal and non-zero.
    """
    d = np.asarray(differences, dtype=np.float64).ravel()
    if d.size == 0 or not np.all(np.isfinite(d)):
        raise ValueError("differences must be a non-empty array of finite values")
    if d.size < 2:
        return math.nan
    if np.all(d == d[0]):
        return 1.0 if d[0] == 0 else 0.0
    return float(stats.ttest_1samp(d, 0.0).pvalue)


def pooled_accuracy(correct, totals, confidence: float = 0.95) -> dict:
    """Accuracy of one cross-validation, pooled over its folds, with a Wilson interval over all clips.

    In a k-fold cross-validation every clip is tested exactly once, so the folds' test sets together
    are one test set of all the clips. Fold accuracies are not independent (each pair of folds shares
    most of its training clips; Bengio & Grandvalet, 2004), so a t-interval over folds is too narrow.
    The pooled count and its Wilson interval (:func:`accuracy_interval`) are what one CV supports.

    Parameters
    ----------
    correct : np.ndarray [shape=(k,)], int
        Clips classified correctly in each fold's test set.
    totals : np.ndarray [shape=(k,)], int > 0
        Test clips in each fold.
    confidence : float in (0, 1)

    Returns
    -------
    result : dict
        ``'value'``, ``'lo'``, ``'hi'`` (floats, as :func:`accuracy_interval`), ``'correct'`` and ``'n'``
        (ints, summed over folds) and ``'folds'`` (int k). Example: 14, 15, 16, 13, 18 of 20 each ->
        76 of 100 clips, 0.76 (0.668-0.833).
    """
    correct = np.asarray(correct).ravel()
    totals = np.asarray(totals).ravel()
    if correct.size == 0 or correct.shape != totals.shape:
        raise ValueError(f"need one count of correct and of test clips per fold, got {correct.size} and {totals.size}")
    k, n = int(correct.sum()), int(totals.sum())
    acc, lo, hi = accuracy_interval(k, n, confidence)
    return {"value": acc, "lo": lo, "hi": hi, "correct": k, "n": n, "folds": int(correct.size)}


def pooled_mcnemar(results: list[dict]) -> dict:
    """One exact McNemar test over all the clips of a cross-validation, from per-fold :func:`mcnemar_exact` results.

    Each clip is tested once, in its own fold, so concatenating the folds' paired correctness gives
    one paired test set of every clip; summing the folds' discordant counts ``b`` and ``c`` is the
    same thing.

    Parameters
    ----------
    results : list of dict [length=k]
        :func:`mcnemar_exact` outputs of A vs B on each fold (needs ``'b'``, ``'c'``, ``'n'``; sums
        ``'correct_a'``/``'correct_b'`` when every fold has them).

    Returns
    -------
    result : dict
        The keys of :func:`mcnemar_exact` over the pooled clips, plus ``'folds'`` (int k).
        Example: folds with (b, c) = (3, 0), (2, 1), (2, 0), (2, 1), (1, 0) -> b = 10, c = 2, p = 0.039.
    """
    if not results:
        raise ValueError("no folds to pool")
    b, c, n = (sum(int(r[key]) for r in results) for key in ("b", "c", "n"))
    p = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, p=0.5).pvalue)
    out = {"b": b, "c": c, "p_value": min(p, 1.0), "n": n, "folds": len(results)}
    if all("correct_a" in r and "correct_b" in r for r in results):
        out.update(correct_a=sum(int(r["correct_a"]) for r in results),
                   correct_b=sum(int(r["correct_b"]) for r in results))
    return out


def holm(p_values) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values for several comparisons made together (e.g. one table).

    With ``m`` p-values sorted ascending, the ``i``-th smallest (from 0) is multiplied by ``m - i``,
    the running maximum is taken so that the order is kept, and the result is capped at 1. Calling a
    comparison significant when its adjusted value is below ``alpha`` keeps the chance of *any* false
    call in the table at most ``alpha`` (Holm, 1979). NaN entries (comparisons that could not be
    tested) stay NaN and do not count towards ``m``.

    Parameters
    ----------
    p_values : np.ndarray [shape=(m,)], values in [0, 1] or NaN

    Returns
    -------
    adjusted : np.ndarray [shape=(m,), dtype=float64]
        In the input order. Example (Wikipedia): 0.01, 0.04, 0.03, 0.005 -> 0.03, 0.06, 0.06, 0.02.
    """
    p = np.asarray(p_values, dtype=np.float64).ravel()
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = order.size
    out[order] = np.minimum(np.maximum.accumulate(p[order] * (m - np.arange(m))), 1.0)
    return out


def format_accuracy(acc: dict) -> str:
    """'52.5 % (95 % CI 42.8–61.9 %, 53 of 101 clips)' from a result's ``accuracy`` record."""
    pct = lambda x: f"{100 * x:.1f} %"  # noqa: E731
    return f"{pct(acc['value'])} (95 % CI {pct(acc['lo'])}–{pct(acc['hi'])}, {acc['correct']} of {acc['n']} clips)"
