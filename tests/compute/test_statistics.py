"""Tests for core.compute.intervals, .significance and .scores: statistics against hand-computed values, coverage by
simulation, edge cases."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from core.compute.intervals import accuracy_interval, mean_interval, pooled_accuracy
from core.compute.scores import confusion, per_class_report, row_normalise
from core.compute.significance import (describe_difference, holm, mcnemar_exact, paired_differences, paired_p_value,
                                       pooled_mcnemar)
from core.compute.gan_metrics import fidelity_per_class, frechet_distance, nearest_neighbour_distances

Z95 = 1.959963984540054  # standard normal 97.5 % quantile


def paired_correctness(both: int, only_a: int, only_b: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-item correctness arrays realising a given 2x2 McNemar table."""
    a = np.array([True] * both + [True] * only_a + [False] * only_b + [False] * neither)
    b = np.array([True] * both + [False] * only_a + [True] * only_b + [False] * neither)
    return a, b


# --------------------------------------------------------------------------- accuracy_interval

def wilson_by_hand(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_wilson_interval_53_of_101_matches_hand_formula():
    acc, lo, hi = accuracy_interval(53, 101)
    assert acc == pytest.approx(53 / 101)
    assert (lo, hi) == pytest.approx(wilson_by_hand(53, 101), abs=1e-12)
    assert (lo, hi) == pytest.approx((0.42825, 0.61944), abs=1e-5)  # the study's 52.5 %: 43 %-62 %
    # the study's two accuracies have overlapping intervals
    _, lo59, _ = accuracy_interval(59, 101)
    assert lo59 < hi


def test_wilson_interval_other_confidence_and_extremes():
    z90 = stats.norm.ppf(0.95)
    _, lo, hi = accuracy_interval(30, 40, confidence=0.90)
    assert (lo, hi) == pytest.approx(wilson_by_hand(30, 40, z90), abs=1e-12)
    acc, lo, hi = accuracy_interval(0, 10)
    assert acc == 0.0 and lo == 0.0 and 0.0 < hi < 0.5
    acc, lo, hi = accuracy_interval(10, 10)
    assert acc == 1.0 and hi == 1.0 and 0.5 < lo < 1.0


@pytest.mark.parametrize("n", [1, 2, 7, 30, 101, 1000])
@pytest.mark.parametrize("conf", [0.5, 0.9, 0.95, 0.99])
def test_wilson_interval_equals_scipys_for_every_count(n, conf):
    for k in range(0, n + 1, max(1, n // 25)):
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
        assert accuracy_interval(k, n, conf)[1:] == pytest.approx((ci.low, ci.high), abs=1e-12)


@pytest.mark.parametrize("k, n, conf", [(0, 0, 0.95), (5, 4, 0.95), (-1, 4, 0.95), (2, 4, 1.0), (2, 4, 0.0),
                                        (2.5, 4, 0.95)])
def test_accuracy_interval_rejects_bad_input(k, n, conf):
    with pytest.raises(ValueError):
        accuracy_interval(k, n, conf)


@pytest.mark.slow
def test_wilson_interval_coverage_by_simulation():
    rng = np.random.default_rng(0)
    p, n = 0.6, 101
    hits = 0
    for k in rng.binomial(n, p, size=2000):
        _, lo, hi = accuracy_interval(int(k), n)
        hits += lo <= p <= hi
    assert 0.93 <= hits / 2000 <= 0.97


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 2000), frac=st.floats(0, 1), conf=st.floats(0.5, 0.999))
def test_accuracy_interval_contains_estimate_and_stays_in_unit_interval(n, frac, conf):
    k = int(round(frac * n))
    acc, lo, hi = accuracy_interval(k, n, conf)
    assert 0.0 <= lo <= acc <= hi <= 1.0


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 500), frac=st.floats(0, 1))
def test_wider_confidence_gives_wider_interval(n, frac):
    k = int(round(frac * n))
    _, lo90, hi90 = accuracy_interval(k, n, 0.90)
    _, lo99, hi99 = accuracy_interval(k, n, 0.99)
    assert lo99 <= lo90 + 1e-12 and hi90 <= hi99 + 1e-12


# --------------------------------------------------------------------------- confusion / per class

Y_TRUE = np.array([0, 0, 1, 1, 2])
Y_PRED = np.array([0, 1, 1, 1, 0])


def test_confusion_small_case_rows_are_true_classes():
    cm = confusion(Y_TRUE, Y_PRED, 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [1, 0, 0]])
    assert cm.dtype.kind == "i"
    cm4 = confusion(Y_TRUE, Y_PRED, 4)  # a class with no items gives a zero row and column
    assert cm4.shape == (4, 4) and cm4[3].sum() == 0 and cm4[:, 3].sum() == 0


def test_row_normalise_small_case_keeps_empty_rows_zero():
    rates = row_normalise(confusion(Y_TRUE, Y_PRED, 4))
    np.testing.assert_allclose(rates, [[0.5, 0.5, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
    assert not np.isnan(rates).any()
    with pytest.raises(ValueError):
        row_normalise(np.ones(3))


@pytest.mark.slow
@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=60))
def test_row_normalise_rows_sum_to_one_or_zero(pairs):
    y_true, y_pred = np.array(pairs).T
    cm = confusion(y_true, y_pred, 5)
    assert cm.sum() == len(pairs)
    sums = row_normalise(cm).sum(axis=1)
    np.testing.assert_allclose(sums, (cm.sum(axis=1) > 0).astype(float))


def test_confusion_rejects_bad_input():
    with pytest.raises(ValueError):
        confusion([], [], 3)
    with pytest.raises(ValueError):
        confusion([0, 1], [0], 3)
    with pytest.raises(ValueError):
        confusion([0, 3], [0, 1], 3)  # 3 is out of range for 3 classes
    with pytest.raises(ValueError):
        confusion([0, -1], [0, 1], 3)


def test_per_class_report_small_case():
    report = per_class_report(Y_TRUE, Y_PRED, ["blues", "jazz", "rock"])
    assert [r["label"] for r in report] == ["blues", "jazz", "rock"]
    blues, jazz, rock = report
    assert blues == pytest.approx({"label": "blues", "precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert jazz["precision"] == pytest.approx(2 / 3) and jazz["recall"] == 1.0
    assert jazz["f1"] == pytest.approx(0.8) and jazz["support"] == 2
    # never predicted: zero_division=0 gives 0 rather than a warning/NaN
    assert (rock["precision"], rock["recall"], rock["f1"], rock["support"]) == (0.0, 0.0, 0.0, 1)
    assert isinstance(rock["support"], int) and isinstance(rock["f1"], float)


def test_per_class_report_accepts_label_strings_and_rejects_bad_input():
    names = np.array(["blues", "jazz", "rock"])
    assert per_class_report(names[Y_TRUE], names[Y_PRED], list(names)) == per_class_report(Y_TRUE, Y_PRED, list(names))
    with pytest.raises(ValueError):
        per_class_report([], [], ["a"])
    with pytest.raises(ValueError):
        per_class_report([0, 1], [0], ["a", "b"])
    with pytest.raises(ValueError):
        per_class_report([0, 2], [0, 1], ["a", "b"])


# --------------------------------------------------------------------------- McNemar

def test_mcnemar_b1_c9_hand_value():
    a, b = paired_correctness(both=30, only_a=1, only_b=9, neither=10)
    result = mcnemar_exact(a, b)
    assert (result["b"], result["c"], result["n"]) == (1, 9, 50)
    # two-sided exact: 2 * P(X <= 1), X ~ Bin(10, 1/2) = 2 * (1 + 10) / 1024
    assert result["p_value"] == pytest.approx(22 / 1024, abs=1e-12)
    assert result["p_value"] == pytest.approx(0.021484375)


def test_mcnemar_study_table_b14_c20():
    # 53 vs 59 correct of 101: 39 both right, 14 only A, 20 only B, 28 neither
    a, b = paired_correctness(both=39, only_a=14, only_b=20, neither=28)
    result = mcnemar_exact(a, b)
    assert (result["b"], result["c"], result["n"]) == (14, 20, 101)
    assert (result["correct_a"], result["correct_b"]) == (53, 59)
    by_hand = 2 * sum(math.comb(34, k) for k in range(15)) / 2 ** 34
    assert result["p_value"] == pytest.approx(by_hand, rel=1e-12)
    assert result["p_value"] == pytest.approx(stats.binomtest(14, 34, 0.5).pvalue, rel=1e-12)
    assert result["p_value"] == pytest.approx(0.3915, abs=1e-4)


def test_mcnemar_no_discordant_items_and_bad_input():
    a = np.array([True, False, True])
    assert mcnemar_exact(a, a) == {"b": 0, "c": 0, "p_value": 1.0, "n": 3, "correct_a": 2, "correct_b": 2}
    with pytest.raises(ValueError):
        mcnemar_exact(a, a[:2])
    with pytest.raises(ValueError):
        mcnemar_exact([], [])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=80))
def test_mcnemar_is_symmetric_in_its_arguments(pairs):
    a, b = np.array(pairs).T
    ab, ba = mcnemar_exact(a, b), mcnemar_exact(b, a)
    assert (ab["b"], ab["c"]) == (ba["c"], ba["b"])
    assert ab["p_value"] == pytest.approx(ba["p_value"])
    assert 0.0 < ab["p_value"] <= 1.0


# --------------------------------------------------------------------------- describe_difference

def test_describe_difference_large_p_says_no_evidence():
    result = mcnemar_exact(*paired_correctness(both=39, only_a=14, only_b=20, neither=28))
    text = describe_difference(result, "baseline", "GAN-augmented")
    assert "no evidence of a real difference" in text
    assert "GAN-augmented got 6 more clips right than baseline" in text
    assert "59 vs 53 of 101" in text and "14 clips only baseline" in text and "20 only GAN-augmented" in text
    assert "p = 0.39" in text


def test_describe_difference_small_p_says_more_than_chance():
    result = mcnemar_exact(*paired_correctness(both=30, only_a=1, only_b=9, neither=10))
    text = describe_difference(result, "A", "B")
    assert "more than chance would explain" in text and "no evidence" not in text
    assert "B got 8 more clips right than A" in text and "1 clip only A" in text
    assert "p = 0.021" in text
    # same table, stricter alpha: no longer distinguishable
    assert "no evidence of a real difference" in describe_difference(result, "A", "B", alpha=0.01)


def test_describe_difference_a_better_ties_and_minimal_dict():
    result = mcnemar_exact(*paired_correctness(both=10, only_a=20, only_b=1, neither=5))
    assert describe_difference(result, "A", "B").startswith("A got 19 more clips right than B")
    tie = mcnemar_exact(*paired_correctness(both=10, only_a=3, only_b=3, neither=5))
    assert "no evidence of a real difference" in describe_difference(tie, "A", "B")
    same = mcnemar_exact([True, False], [True, False])
    assert "show no difference" in describe_difference(same, "A", "B")
    minimal = {"b": 1, "c": 9, "p_value": 22 / 1024, "n": 50}  # no totals: still a sentence
    text = describe_difference(minimal, "A", "B")
    assert "B got 8 more clips right than A" in text and "50 paired clips" in text
    assert "no evidence" not in text


# --------------------------------------------------------------------------- mean / paired intervals

def test_mean_interval_hand_values():
    r = mean_interval([1, 2, 3, 4, 5])
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)  # t_{0.975, 4}
    assert r["n"] == 5 and r["mean"] == pytest.approx(3.0) and r["std"] == pytest.approx(math.sqrt(2.5))
    assert (r["lo"], r["hi"]) == pytest.approx((3 - half, 3 + half))
    constant = mean_interval([0.5, 0.5, 0.5])
    assert constant["std"] == 0.0 and constant["lo"] == constant["hi"] == 0.5


def test_mean_interval_single_value_has_unknown_spread_and_empty_raises():
    r = mean_interval([0.584])
    assert r["mean"] == 0.584 and r["n"] == 1
    assert math.isnan(r["std"]) and math.isnan(r["lo"]) and math.isnan(r["hi"])
    with pytest.raises(ValueError):
        mean_interval([])
    with pytest.raises(ValueError):
        mean_interval([1.0, np.nan])


@pytest.mark.slow
def test_t_interval_coverage_by_simulation():
    rng = np.random.default_rng(1)
    mu, sigma, n = 0.55, 0.03, 5
    hits = 0
    for sample in rng.normal(mu, sigma, size=(2000, n)):
        r = mean_interval(sample)
        hits += r["lo"] <= mu <= r["hi"]
    assert 0.93 <= hits / 2000 <= 0.97


def test_paired_differences():
    a, b = [0.50, 0.60, 0.55], [0.52, 0.63, 0.56]
    r = paired_differences(a, b)
    np.testing.assert_allclose(r["differences"], [0.02, 0.03, 0.01])
    expected = mean_interval([0.02, 0.03, 0.01])
    for key in ("mean", "std", "lo", "hi", "n"):
        assert r[key] == pytest.approx(expected[key])
    assert r["lo"] < r["mean"] < r["hi"]
    with pytest.raises(ValueError):
        paired_differences([1, 2], [1])
    with pytest.raises(ValueError):
        paired_differences([], [])


# --------------------------------------------------------------------------- Fréchet distance

def gaussian_with_exact_moments(rng, n, mean, var):
    """Samples whose empirical mean and (ddof=1) covariance are exactly ``mean`` and ``diag(var)``."""
    x = rng.standard_normal((n, len(mean)))
    x -= x.mean(axis=0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T  # whiten: cov = I
    return x * np.sqrt(var) + mean


def test_frechet_identical_sets_is_zero():
    x = np.random.default_rng(0).standard_normal((200, 8))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_frechet_shifted_and_scaled_gaussians_match_closed_form():
    rng = np.random.default_rng(1)
    mu_a, var_a = np.array([0.0, 1.0, -2.0]), np.array([1.0, 4.0, 0.25])
    mu_b, var_b = np.array([3.0, 1.0, 2.0]), np.array([4.0, 1.0, 0.25])
    a = gaussian_with_exact_moments(rng, 300, mu_a, var_a)
    b = gaussian_with_exact_moments(rng, 250, mu_b, var_b)
    np.testing.assert_allclose(np.cov(b, rowvar=False), np.diag(var_b), atol=1e-10)
    # diagonal covariances commute: Tr(S_a + S_b - 2 sqrt(S_a S_b)) = sum (sqrt(va) - sqrt(vb))^2
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    assert expected == pytest.approx(25.0 + 1.0 + 1.0 + 0.0)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance(b, a) == pytest.approx(expected, rel=1e-8)


def test_frechet_pure_shift_gives_squared_mean_distance_and_is_symmetric():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((100, 5)) @ rng.standard_normal((5, 5))  # correlated, full covariance
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    assert frechet_distance(x, x + shift) == pytest.approx(shift @ shift, rel=1e-6)
    # scaling by s: both terms scale by (1 - s)^2, ||mu||^2 (1 - s)^2 + Tr(S) (1 - s)^2
    s = 2.0
    expected = (x.mean(axis=0) @ x.mean(axis=0) + np.trace(np.cov(x, rowvar=False))) * (1 - s) ** 2
    assert frechet_distance(x, s * x) == pytest.approx(expected, rel=1e-6)
    y = rng.standard_normal((80, 5)) * 1.5 + 0.3
    assert frechet_distance(x, y) == pytest.approx(frechet_distance(y, x), rel=1e-6)


def test_frechet_near_singular_covariance_is_finite_and_non_negative():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((6, 20)), rng.standard_normal((7, 20)) + 1.0  # n < d: singular covariances
    d = frechet_distance(a, b)
    assert np.isfinite(d) and d > 0
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-4)
    # trailing dimensions are flattened
    assert frechet_distance(a.reshape(6, 4, 5), b.reshape(7, 4, 5)) == pytest.approx(d)


def test_frechet_rejects_bad_input():
    with pytest.raises(ValueError):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError):
        frechet_distance(np.zeros((4, 3)), np.zeros((5, 2)))
    with pytest.raises(ValueError):
        frechet_distance(np.full((4, 3), np.nan), np.zeros((5, 3)))


# --------------------------------------------------------------------------- nearest neighbours, fidelity

def test_nearest_neighbour_distances_hand_example():
    query = np.array([[0.0, 0.0], [-3.0, 5.0], [6.0, 8.5]])
    reference = np.array([[0.0, 1.0], [6.0, 8.0]])
    np.testing.assert_allclose(nearest_neighbour_distances(query, reference), [1.0, 5.0, 0.5])
    # trailing dimensions flattened, e.g. (n, n_mels, frames)
    np.testing.assert_allclose(nearest_neighbour_distances(query.reshape(3, 2, 1), reference.reshape(2, 1, 2)),
                               [1.0, 5.0, 0.5])


def test_nearest_neighbour_exclude_self_within_one_set():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]])
    np.testing.assert_allclose(nearest_neighbour_distances(points, points), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(nearest_neighbour_distances(points, points, exclude_self=True), [1.0, 1.0, 4.0])
    # an exact duplicate (mode collapse) still shows as distance 0
    dup = np.array([[2.0, 2.0], [2.0, 2.0], [5.0, 6.0]])
    np.testing.assert_allclose(nearest_neighbour_distances(dup, dup, exclude_self=True), [0.0, 0.0, 5.0])


@pytest.mark.slow
def test_nearest_neighbour_matches_brute_force_on_a_large_reference():
    rng = np.random.default_rng(4)
    q, r = rng.standard_normal((300, 7)), rng.standard_normal((20000, 7))
    brute = np.sqrt(((q[:, None, :] - r[None, :, :]) ** 2).sum(-1)).min(axis=1)
    np.testing.assert_allclose(nearest_neighbour_distances(q, r), brute)


def test_nearest_neighbour_rejects_bad_input():
    with pytest.raises(ValueError):
        nearest_neighbour_distances(np.zeros((0, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError):
        nearest_neighbour_distances(np.zeros((2, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError):
        nearest_neighbour_distances(np.zeros((2, 2)), np.zeros((3, 2)), exclude_self=True)
    with pytest.raises(ValueError):
        nearest_neighbour_distances(np.zeros((1, 2)), np.zeros((1, 2)), exclude_self=True)


def test_fidelity_per_class():
    pred = np.array([0, 0, 1, 2, 2, 1])
    intended = np.array([0, 1, 1, 2, 2, 2])
    fid = fidelity_per_class(pred, intended, 4)
    assert fid.shape == (4,)
    np.testing.assert_allclose(fid[:3], [1.0, 0.5, 2 / 3])
    assert np.isnan(fid[3])
    with pytest.raises(ValueError):
        fidelity_per_class([0, 1], [0], 2)
    with pytest.raises(ValueError):
        fidelity_per_class([], [], 2)
    with pytest.raises(ValueError):
        fidelity_per_class([0, 2], [0, 1], 2)


# --------------------------------------------------------------------------- pooled cross-validation, Holm

def test_pooled_accuracy_is_wilson_over_all_clips_of_the_folds():
    r = pooled_accuracy([14, 15, 16, 13, 18], [20] * 5)
    assert (r["correct"], r["n"], r["folds"]) == (76, 100, 5) and r["value"] == pytest.approx(0.76)
    assert (r["lo"], r["hi"]) == pytest.approx(wilson_by_hand(76, 100), abs=1e-12)
    assert (r["lo"], r["hi"]) == pytest.approx((0.6677, 0.8331), abs=1e-4)
    # unequal folds weigh by their clips
    assert pooled_accuracy([10, 1], [10, 10])["value"] == pytest.approx(11 / 20)
    with pytest.raises(ValueError):
        pooled_accuracy([1, 2], [3])


def test_pooled_mcnemar_sums_discordant_clips_over_folds():
    folds = [paired_correctness(15, b, c, 5 - b - c) for b, c in ((3, 0), (2, 1), (2, 0), (2, 1), (1, 0))]
    r = pooled_mcnemar([mcnemar_exact(a, b) for a, b in folds])
    assert (r["b"], r["c"], r["n"], r["folds"]) == (10, 2, 100, 5)
    # exact two-sided binomial: 2 * P(X <= 2 | 12, 1/2) = 2 * (1 + 12 + 66) / 4096
    assert r["p_value"] == pytest.approx(158 / 4096)
    assert r["p_value"] == pytest.approx(mcnemar_exact(np.concatenate([a for a, _ in folds]),
                                                       np.concatenate([b for _, b in folds]))["p_value"])
    assert (r["correct_a"], r["correct_b"]) == (75 + 10, 75 + 2)
    # no single fold shows anything (best fold: 3 vs 0, p = 0.25)
    assert min(mcnemar_exact(a, b)["p_value"] for a, b in folds) == pytest.approx(0.25)
    assert pooled_mcnemar([{"b": 0, "c": 0, "n": 20}])["p_value"] == 1.0
    with pytest.raises(ValueError):
        pooled_mcnemar([])


def test_holm_textbook_example():
    # Wikipedia, Holm-Bonferroni method: four hypotheses, alpha 0.05: H1 and H4 rejected, H2 and H3 not
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    assert list(adjusted < 0.05) == [True, False, False, True]
    np.testing.assert_allclose(holm([0.2, math.nan, 0.01]), [0.2, math.nan, 0.02])
    np.testing.assert_allclose(holm([0.3, 0.01, 0.2]), [0.4, 0.03, 0.4])  # 0.3 x 1 < 0.2 x 2: order kept
    np.testing.assert_allclose(holm([0.9, 0.8]), [1.0, 1.0])  # capped at 1
    with pytest.raises(ValueError):
        holm([1.5])


def test_paired_p_value_matches_scipy_and_edge_cases():
    d = [0.02, 0.03, 0.025]
    assert paired_p_value(d) == pytest.approx(stats.ttest_rel([0.5, 0.5, 0.5], np.add(0.5, d)).pvalue)
    assert math.isnan(paired_p_value([0.1]))
    assert paired_p_value([0.0, 0.0]) == 1.0 and paired_p_value([0.05, 0.05]) == 0.0
