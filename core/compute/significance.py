"""Are two classifiers different? Exact McNemar tests on the same test clips (one split, or pooled over the folds
of a cross-validation), paired t-tests over seeds, Holm's correction for several comparisons, and the plain
sentence that says what a test found.

Small pure functions over numpy arrays; the tests are :func:`scipy.stats.binomtest` (exact McNemar) and
:func:`scipy.stats.ttest_1samp` (paired t). Intervals are :mod:`core.compute.intervals`.
"""

from __future__ import annotations

import math

import numpy as np

# scipy is imported by the functions that test, so a page that shows stored verdicts loads none of it.

from .intervals import check_confidence, mean_interval
from .scores import check_labels


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def format_p(p: float) -> str:
    """A p-value as the pages print it: 'p < 0.001', 'p = 0.021', 'p = 0.39', 'p = 1.0'."""
    if p < 0.001:
        return "p < 0.001"
    if p >= 0.995:
        return "p = 1.0"
    return f"p = {p:.2g}" if p < 0.1 else f"p = {p:.2f}"


def p_text(test: dict) -> str:
    """A test's p-value as the pages print it (:func:`format_p`), 'p = 0.78 after Holm's adjustment for the runs' 3
    paired tests' when :func:`holm_adjusted` adjusted it together with others (naming its ``family``)."""
    shown = format_p(test["p_value"])
    return shown + (f" after Holm's adjustment for {test['family']}" if test.get("m", 1) > 1 else "")


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
    a = check_labels(correct_a, "correct_a").astype(bool)
    b_ = check_labels(correct_b, "correct_b").astype(bool)
    if a.size != b_.size:
        raise ValueError(f"correct_a and correct_b differ in length: {a.size} vs {b_.size} "
                         "(McNemar needs the same test items for both classifiers)")
    if a.size == 0:
        raise ValueError("no paired items to compare")
    b = int(np.sum(a & ~b_))
    c = int(np.sum(~a & b_))
    from scipy import stats

    p = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, p=0.5, alternative="two-sided").pvalue)
    return {"b": b, "c": c, "p_value": min(p, 1.0), "n": int(a.size),
            "correct_a": int(a.sum()), "correct_b": int(b_.sum())}


def describe_difference(mcnemar: dict, name_a: str, name_b: str, alpha: float = 0.05) -> str:
    """One plain sentence for a teacher about a :func:`mcnemar_exact` result.

    Parameters
    ----------
    mcnemar : dict
        Output of :func:`mcnemar_exact` (needs ``'b'``, ``'c'``, ``'p_value'``, ``'n'``; uses
        ``'correct_a'``/``'correct_b'`` for the totals when present), or of :func:`holm_adjusted`
        (the sentence then names the family its p-value was adjusted over).
    name_a, name_b : str
        Display names of classifier A and B.
    alpha : float in (0, 1)
        Significance level: ``p < alpha`` is called "more than chance would explain",
        otherwise "no evidence of a real difference" (a large p never shows that there is none).

    Returns
    -------
    sentence : str
        E.g. "B got 6 more clips right than A (59 vs 53 of 101 paired clips), but with 14 clips
        only A got right and 20 only B got right, an exact McNemar test gives p = 0.39 (not below
        0.05): no evidence of a real difference."
    """
    alpha = check_confidence(alpha)
    b, c, n, p = int(mcnemar["b"]), int(mcnemar["c"]), int(mcnemar["n"]), float(mcnemar["p_value"])
    have_totals = "correct_a" in mcnemar and "correct_b" in mcnemar
    discordant = (f"{_plural(b, 'clip')} only {name_a} got right and {c} only {name_b} got right")

    if b + c == 0:
        return (f"{name_a} and {name_b} got exactly the same {n} clips right or wrong: these clips show no "
                f"difference between them.")
    if b == c:
        totals = f" ({mcnemar['correct_a']} of {n} paired clips each)" if have_totals else ""
        return (f"{name_a} and {name_b} got the same number of clips right{totals}; with {discordant}, "
                f"an exact McNemar test gives {p_text(mcnemar)}: no evidence of a real difference.")

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
        return (f"{head}, and with {discordant}, an exact McNemar test gives {p_text(mcnemar)} "
                f"(below {alpha:g}): this difference is more than chance would explain.")
    return (f"{head}, but with {discordant}, an exact McNemar test gives {p_text(mcnemar)} "
            f"(not below {alpha:g}): no evidence of a real difference.")


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
    from scipy import stats

    return float(stats.ttest_1samp(d, 0.0).pvalue)


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
    from scipy import stats

    p = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, p=0.5).pvalue)
    out = {"b": b, "c": c, "p_value": min(p, 1.0), "n": n, "folds": len(results)}
    if all("correct_a" in r and "correct_b" in r for r in results):
        out.update(correct_a=sum(int(r["correct_a"]) for r in results),
                   correct_b=sum(int(r["correct_b"]) for r in results))
    return out


def holm_adjusted(tests: list[dict | None], family: str = "{m} paired tests") -> list[dict | None]:
    """Tests made together (None where there is none) with each ``p_value`` Holm-adjusted over all of them
    (:func:`holm`), so that the chance of calling any difference that is not there stays at alpha; ``p_raw`` keeps
    a test's own p-value, ``m`` says how many were adjusted together and ``family`` names them for a sentence
    (:func:`p_text`): ``family`` with ``{m}`` filled in, e.g. "the runs' {m} paired tests"."""
    done = [t for t in tests if t is not None]
    adjusted = iter(holm([t["p_value"] for t in done]).tolist() if done else [])
    named = family.format(m=len(done))
    return [None if t is None else {**t, "p_raw": t["p_value"], "p_value": next(adjusted), "m": len(done),
                                    "family": named} for t in tests]


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
