"""Accuracies with their uncertainty: Wilson intervals for one test set, Student-t intervals over seeds, a pooled
cross-validation count. How an accuracy is written is :func:`core.base.percent.with_interval`.

Every accuracy GenreLab shows carries its uncertainty. A single test split of ~100 clips cannot
tell 52.5 % from 58.4 % apart (53 vs 59 correct of 101): the intervals here say so in numbers.
Whether two classifiers differ is :mod:`core.compute.significance`; what a classifier scored, per class,
is :mod:`core.compute.scores`.

Small pure functions over numpy arrays (or anything ``np.asarray`` accepts). Student-t intervals are delegated to
:func:`scipy.stats.ttest_1samp`; the Wilson interval is its closed form (Newcombe 1998, as
:meth:`scipy.stats.binomtest(...).proportion_ci <scipy.stats._result_classes.BinomTestResult.proportion_ci>`
computes it) over the standard library's normal quantile, so a page that draws one (Home's study chart) loads no
scipy.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

# scipy is imported by the functions that compute a Student-t interval, so a page that shows stored ones loads none
# of it.


def check_confidence(confidence: float) -> float:
    """``confidence`` (or a significance level) as a float strictly between 0 and 1, or ValueError."""
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return confidence


def accuracy_interval(n_correct: int, n_total: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Accuracy with its Wilson score confidence interval.

    We use the Wilson score interval (the closed form :meth:`scipy.stats.binomtest(...).proportion_ci
    <scipy.stats._result_classes.BinomTestResult.proportion_ci>` computes with ``method="wilson"``)
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
    confidence = check_confidence(confidence)
    if int(n_total) != n_total or int(n_correct) != n_correct:
        raise ValueError("n_correct and n_total must be whole numbers")
    n_correct, n_total = int(n_correct), int(n_total)
    if n_total <= 0:
        raise ValueError("n_total must be positive: an accuracy over no test items is undefined")
    if not 0 <= n_correct <= n_total:
        raise ValueError(f"n_correct must lie in 0..n_total, got {n_correct} of {n_total}")
    acc = n_correct / n_total
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    centre = (2 * n_total * acc + z * z) / (2 * (n_total + z * z))
    half = z * math.sqrt(z * z + 4 * n_total * acc * (1 - acc)) / (2 * (n_total + z * z))
    # clip away floating-point spill so that lo <= acc <= hi and both stay in [0, 1]
    return acc, min(max(centre - half, 0.0), acc), max(min(centre + half, 1.0), acc)


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
    confidence = check_confidence(confidence)
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
    from scipy import stats

    lo, hi = stats.ttest_1samp(x, 0.0).confidence_interval(confidence)
    return {"mean": mean, "std": std, "lo": float(lo), "hi": float(hi), "n": n}


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

