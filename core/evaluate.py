"""Evaluation with uncertainty: accuracy intervals, paired tests, seed spread, and GAN-sample checks.

Every accuracy GenreLab shows carries its uncertainty. A single test split of ~100 clips cannot
tell 52.5 % from 58.4 % apart (53 vs 59 correct of 101): the functions here say so in numbers
and in plain sentences.

All functions are small and pure, take numpy arrays (or anything ``np.asarray`` accepts) and
return numpy arrays, floats or plain dicts. The statistics are delegated to well-kept libraries:

- confusion matrices and precision/recall/F1: :mod:`sklearn.metrics`
- Wilson intervals and exact binomial (McNemar) tests: :func:`scipy.stats.binomtest`
- Student-t quantiles: :data:`scipy.stats.t`
- matrix square roots for the Fréchet distance: :func:`scipy.linalg.sqrtm`
- pairwise Euclidean distances: :func:`scipy.spatial.distance.cdist`

Class labels are integer indices ``0 .. n_classes - 1`` unless stated otherwise.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg, stats
from scipy.spatial.distance import cdist
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
    "frechet_distance",
    "nearest_neighbour_distances",
    "fidelity_per_class",
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


def _rows(x, name: str) -> np.ndarray:
    """``(n, ...)`` -> float64 ``(n, d)`` with trailing dimensions flattened."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    x = x.reshape(x.shape[0], -1) if x.ndim != 1 else x.reshape(-1, 1)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


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
    half = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "lo": mean - half, "hi": mean + half, "n": n}


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


# --------------------------------------------------------------------------- GAN samples

def frechet_distance(emb_a, emb_b, eps: float = 1e-6) -> float:
    """Fréchet distance between Gaussians fitted to two sets of embeddings (as in FID).

    ``d^2 = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2})``, computed here in the
    embedding space of our own genre classifier (not Inception), so values are only comparable
    within one classifier. Covariances use ``ddof=1``.

    Near-singular covariances (fewer samples than dimensions) are handled as in the reference
    FID code: if :func:`scipy.linalg.sqrtm` returns non-finite values, ``eps`` is added to both
    diagonals and the root recomputed; a complex result's (numerical) imaginary part is dropped.
    Tiny negative results from rounding are clipped to 0.

    Parameters
    ----------
    emb_a : np.ndarray [shape=(n_a, d) or (n_a, ...)], n_a >= 2
    emb_b : np.ndarray [shape=(n_b, d) or (n_b, ...)], n_b >= 2
        Trailing dimensions are flattened; both must flatten to the same ``d``.
    eps : float > 0
        Diagonal offset used only when the plain square root fails.

    Returns
    -------
    distance : float >= 0
        The squared Fréchet distance (the number FID reports). 0 for identical sets.
    """
    a, b = _rows(emb_a, "emb_a"), _rows(emb_b, "emb_b")
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise ValueError("need at least 2 embeddings in each set to fit a covariance")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"embedding sizes differ: {a.shape[1]} vs {b.shape[1]}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.all(np.isfinite(covmean)):
        offset = np.eye(cov_a.shape[0]) * eps
        covmean = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    covmean = np.real(covmean)
    diff = mu_a - mu_b
    d2 = float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean))
    return max(d2, 0.0)


def nearest_neighbour_distances(query, reference, exclude_self: bool = False) -> np.ndarray:
    """Euclidean distance from each query row to its nearest reference row.

    Use with generated samples as ``query`` and real training samples as ``reference`` to spot
    memorisation (distances near 0), or with ``query is reference`` and ``exclude_self=True``
    to spot mode collapse (generated samples that are near-copies of each other).

    Parameters
    ----------
    query : np.ndarray [shape=(n_query, ...)]
    reference : np.ndarray [shape=(n_ref, ...)]
        Trailing dimensions are flattened (e.g. mel spectrograms ``(n, n_mels, frames)``);
        both must flatten to the same size.
    exclude_self : bool
        If True, row ``i`` of ``query`` is taken to be row ``i`` of ``reference`` and is not
        its own neighbour (needs ``n_query == n_ref >= 2``). Exact duplicates at other rows
        still count, at distance 0.

    Returns
    -------
    distances : np.ndarray [shape=(n_query,), dtype=float64]
    """
    q, r = _rows(query, "query"), _rows(reference, "reference")
    if q.shape[0] == 0 or r.shape[0] == 0:
        raise ValueError("query and reference must each hold at least one row")
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"row sizes differ: {q.shape[1]} vs {r.shape[1]}")
    if exclude_self:
        if q.shape[0] != r.shape[0]:
            raise ValueError("exclude_self=True needs query and reference to be the same set of rows")
        if q.shape[0] < 2:
            raise ValueError("exclude_self=True needs at least 2 rows")
    out = np.empty(q.shape[0])
    step = max(1, 4_000_000 // r.shape[0])  # bound the distance block to ~32 MB
    for start in range(0, q.shape[0], step):
        block = cdist(q[start:start + step], r, metric="euclidean")
        if exclude_self:
            rows = np.arange(block.shape[0])
            block[rows, start + rows] = np.inf
        out[start:start + step] = block.min(axis=1)
    return out


def fidelity_per_class(pred, intended, n_classes: int) -> np.ndarray:
    """Per class, how often our classifier recognises generated samples as the intended genre.

    Parameters
    ----------
    pred : np.ndarray [shape=(n,)], integer class indices predicted for generated samples
    intended : np.ndarray [shape=(n,)], integer class the generator was asked for
    n_classes : int > 0

    Returns
    -------
    fidelity : np.ndarray [shape=(n_classes,), dtype=float64]
        ``fidelity[k]`` = fraction of samples intended as class ``k`` that were predicted as
        ``k``; NaN for classes with no generated samples.
    """
    n_classes = int(n_classes)
    if n_classes < 1:
        raise ValueError("n_classes must be positive")
    intended, pred = _paired_labels(intended, pred)
    intended = _check_class_indices(intended, n_classes, "intended")
    pred = _check_class_indices(pred, n_classes, "pred")
    total = np.bincount(intended, minlength=n_classes).astype(np.float64)
    hits = np.bincount(intended[pred == intended], minlength=n_classes).astype(np.float64)
    return np.divide(hits, total, out=np.full(n_classes, np.nan), where=total > 0)


def format_accuracy(acc: dict) -> str:
    """'52.5 % (95 % CI 42.8–61.9 %, 53 of 101 clips)' from a result's ``accuracy`` record."""
    pct = lambda x: f"{100 * x:.1f} %"  # noqa: E731
    return f"{pct(acc['value'])} (95 % CI {pct(acc['lo'])}–{pct(acc['hi'])}, {acc['correct']} of {acc['n']} clips)"
