"""Compare's result card: the sentences on known statistics, and the card of real run folders."""

import numpy as np
import pytest

from core.storage import runs
from core.usecases import compare, conclusions
from core.usecases.conclusions import Check, Facts
from helpers import fake_run, study_pair


def acc(value: float, lo: float, hi: float, n: int = 30) -> dict:
    return {"value": value, "lo": lo, "hi": hi, "correct": round(value * n), "n": n}


PAPER = Facts("A", "the study's recipe", acc(0.24, 0.12, 0.42), "demo (200 clips), stratified 70/15/15, seed 0")
FIXED = Facts("B", "the fixed recipe", acc(0.83, 0.66, 0.93), "demo (200 clips), stratified 70/15/15, seed 0")
PLUS = Facts("C", "the fixed recipe", acc(0.83, 0.66, 0.93), "demo (200 clips), stratified 70/15/15, seed 0",
             baseline="B", added="+70 GAN clips per genre")


def mcnemar(b: int, c: int, p: float, n: int = 30) -> dict:
    return {"b": b, "c": c, "p_value": p, "n": n}


def test_intervals_that_do_not_overlap_say_so_with_the_paired_test():
    card = conclusions.card([PAPER, FIXED], {("A", "B"): mcnemar(0, 18, 7.6e-6)})
    assert card.lines == ["The study's recipe (A) 24 % → the fixed recipe (B) 83 %: the intervals do not overlap "
                          "(paired test p < 0.001)."]


def test_an_addition_with_p_one_is_no_evidence_it_helps_never_noise():
    card = conclusions.card([PAPER, FIXED, PLUS], {("A", "B"): None, ("B", "C"): mcnemar(2, 2, 1.0)})
    first, gan = card.lines
    assert first.endswith("the intervals do not overlap.")  # tested on different clips: the intervals alone
    assert gan == ("+70 GAN clips per genre (B → C): 83 % → 83 %, the intervals overlap and the paired test on the "
                   "same 30 clips finds no evidence it helps (p = 1.0).")
    assert not any("noise" in line or "indistinguishable" in line for line in card.lines)


def test_the_augmented_run_is_compared_with_its_baseline_not_the_run_before_it():
    ear = Facts("C", "the pretrained ear", acc(0.9, 0.74, 0.97), FIXED.on)
    plus = Facts("D", "the fixed recipe", acc(0.8, 0.63, 0.9), FIXED.on, baseline="B", added="+70 GAN clips per genre")
    pairs = [(a.key, b.key) for a, b in conclusions.pairs([PAPER, FIXED, ear, plus])]
    assert pairs == [("A", "B"), ("B", "C"), ("B", "D")]


def test_overlapping_intervals_defer_to_the_paired_test():
    a = Facts("A", "the fixed recipe", acc(0.50, 0.40, 0.60, 101), "x")
    b = Facts("B", "the pretrained ear", acc(0.58, 0.48, 0.67, 101), "x")
    small, = conclusions.card([a, b], {("A", "B"): mcnemar(1, 9, 0.021, 101)}).lines
    assert small == ("The fixed recipe (A) 50 % → the pretrained ear (B) 58 %: the intervals overlap, but the paired "
                     "test on the same 101 clips finds a real difference (p = 0.021).")
    large, = conclusions.card([a, b], {("A", "B"): mcnemar(14, 20, 0.39, 101)}).lines
    assert large.endswith("the intervals overlap and the paired test on the same 101 clips finds no evidence of a "
                          "difference (p = 0.39).")
    unpaired, = conclusions.card([a, b], {}).lines
    assert unpaired.endswith("the intervals overlap and the runs were tested on different clips (no paired test): "
                             "no evidence of a difference.")


def test_the_card_quotes_its_paired_tests_as_given_and_the_pair_verdicts_read_the_same_family(data_dir):
    """The card compares A → B and B → C; the pair verdicts test all three pairs. Both quote one family, the runs'
    three tests (A → B: p = 0.016 alone, 0.047 over three; over the card's two it was 0.031)."""
    a = np.zeros(40, bool)
    a[:10] = True
    b, c = a.copy(), a.copy()
    b[10:16] = True  # 6 clips only this run got right: p = 0.031 on its own
    c[10:17] = True  # 7: p = 0.016
    entries = compare.load_entries([fake_run("a", a), fake_run("c", c), fake_run("b", b)])  # keys A, B, C
    verdicts = compare.compare_all(entries)
    first, second = conclusions.from_entries(entries).lines
    quoted = "p = 0.047 after Holm's adjustment for the runs' 3 paired tests"
    assert quoted in first and quoted in verdicts[0]["sentence"] and verdicts[0]["a_key"] + verdicts[0]["b_key"] == "AB"
    assert second.endswith("finds no evidence of a difference (p = 1.0 after Holm's adjustment for the runs' 3 paired "
                           "tests).")


def test_the_cards_tests_on_other_collections_are_holm_adjusted_together_and_say_so():
    def checked(name: str, right: int) -> Check:
        """``right`` of 14 clips of collection ``name`` right, the first ones (intervals overlap on purpose)."""
        correct = (True,) * right + (False,) * (14 - right)
        return Check(name, name, acc(right / 14, 0.05, 0.95, 14), tuple(f"clip{i}" for i in range(14)), correct)

    b = Facts("B", "the fixed recipe", FIXED.accuracy, "x", checks=(checked("m7", 2), checked("m8", 2)))
    c = Facts("C", "the pretrained ear", FIXED.accuracy, "x", checks=(checked("m7", 9), checked("m8", 3)))
    m7, m8 = conclusions.card([b, c], {}).lines[1:]
    assert "(p = 0.031 after Holm's adjustment for the card's 2 paired tests on other collections)" in m7  # 0.016 × 2
    assert "(p = 1.0 after Holm's adjustment for the card's 2 paired tests on other collections)" in m8


def test_two_runs_of_one_recipe_are_named_by_their_keys():
    twin = Facts("B", "the study's recipe", acc(0.3, 0.17, 0.48), PAPER.on)
    line, = conclusions.card([PAPER, twin], {("A", "B"): mcnemar(1, 3, 0.63)}).lines
    assert line.startswith("A 24 % → B 30 %: the intervals overlap")


def musifeast(value: float, lo: float, hi: float, correct: tuple[bool, ...] = ()) -> Check:
    keys = tuple(f"clip{i}" for i in range(len(correct)))
    return Check("musifeast-7", "m7", acc(value, lo, hi, 147), keys, correct)


def test_without_a_check_the_card_only_compares_test_accuracies():
    card = conclusions.card([PAPER, FIXED], {})
    assert len(card.lines) == 1 and card.best == "" and not any("musifeast" in f for f in card.figures)
    assert card.measured == ["A, B: test clips of demo (200 clips), stratified 70/15/15, seed 0"]


def test_a_check_stands_beside_the_test_accuracy_and_the_card_names_who_generalises_best():
    fixed = Facts(**{**FIXED.__dict__, "checks": (musifeast(0.26, 0.19, 0.34),)})
    ear = Facts("C", "the pretrained ear", acc(0.9, 0.74, 0.97), FIXED.on, checks=(musifeast(0.6, 0.52, 0.67),))
    card = conclusions.card([PAPER, fixed, ear], {})
    assert card.best == "C"
    assert card.lines[-1] == ("On musifeast-7, music from another collection: B 26 % (95 % CI 19–34 %), "
                              "C 60 % (95 % CI "
                              "52–67 %). C (the pretrained ear) generalises best: against B, the next best, the "
                              "intervals do not overlap.")
    assert card.figures[1] == ("B, the fixed recipe: 83 % (95 % CI 66–93 %) on its test clips · "
                               "26 % (95 % CI 19–34 %) "
                               "on musifeast-7")
    assert card.measured[-1] == "B, C: 147 clips of musifeast-7 (another collection)"


def test_overlapping_checks_name_no_winner_unless_the_paired_test_finds_one():
    b = Facts("B", "the fixed recipe", FIXED.accuracy, "x", checks=(musifeast(0.30, 0.23, 0.38),))
    c = Facts("C", "the pretrained ear", FIXED.accuracy, "x", checks=(musifeast(0.36, 0.29, 0.44),))
    card = conclusions.card([b, c], {("B", "C"): None})
    assert card.best == "" and card.lines[-1].endswith(
        "C scores highest, but against B, the next best, the intervals overlap and the runs were tested on different "
        "clips (no paired test): no evidence of a difference; no model clearly generalises best there.")
    b = Facts("B", "the fixed recipe", FIXED.accuracy, "x",
              checks=(musifeast(0.30, 0.23, 0.38, (True,) * 2 + (False,) * 12),))
    c = Facts("C", "the pretrained ear", FIXED.accuracy, "x", checks=(musifeast(0.36, 0.29, 0.44, (True,) * 14),))
    card = conclusions.card([b, c], {})
    assert card.best == "C" and card.lines[-1].endswith(
        "C (the pretrained ear) generalises best: against B, the next best, the intervals overlap, but the paired test "
        "on the same 14 clips finds a real difference (p < 0.001).")


def test_only_one_checked_run_asks_for_the_others():
    ear = Facts("C", "the pretrained ear", acc(0.9, 0.74, 0.97), FIXED.on, checks=(musifeast(0.6, 0.52, 0.67),))
    card = conclusions.card([FIXED, ear], {})
    assert card.best == "" and card.lines[-1].startswith("On musifeast-7, music from another collection, only C was "
                                                         "checked: 60 % (95 % CI 52–67 %).")


def test_the_card_of_run_folders_pairs_runs_on_the_same_clips_and_links_an_augmented_run_to_its_baseline(data_dir):
    from helpers import checked

    a, b = study_pair()
    runs.update(b, baseline=a, augment={"gan_run": "g", "per_genre": 70}, preset="recommended")
    checked(b, 0.56)
    card = conclusions.from_entries(compare.load_entries([a, b]))
    gan, check = card.lines
    assert gan.startswith("+70 GAN clips per genre (A → B): 52 % → 58 %, the intervals overlap and the paired "
                          "test on "
                          "the same 101 clips finds no evidence it helps (p = 0.39)")
    assert check.startswith("On musifeast-7, music from another collection, only B was checked: 56 %")
    assert card.measured == ["A, B: test clips of tones (303 clips), paper 70/20/10 random, seed 0",
                             "B: 147 clips of musifeast-7 (another collection)"]
    assert "fingerprint" not in " ".join(card.lines + card.figures + card.measured)


def test_a_check_keeps_each_clip_so_two_checks_pair(data_dir):
    saved = {"dataset": {"name": "m", "fingerprint": "f"}, "keys": ["x", "y"], "y_true": [0, 1], "y_pred": [0, 0],
             "accuracy": {"value": 0.5, "lo": 0.1, "hi": 0.9, "correct": 1, "n": 2}}
    check = conclusions.check_of(saved)
    assert check.keys == ("x", "y") and check.correct == (True, False)
    assert np.isclose(check.accuracy["value"], 0.5)


def test_each_gan_measure_opens_with_a_verdict_in_words():
    far = conclusions.c2st_verdict({"accuracy": 0.87, "ci95": [0.8, 0.92], "n": 200})
    assert far == ("Told apart 87 % (95 % CI 80–92 %) by band statistics (50 % would mean it cannot tell them "
                   "apart): a simple classifier separates generated from real clips easily (by band statistics) — "
                   "the samples are far from real.")
    assert "now and then" in conclusions.c2st_verdict({"accuracy": 0.62, "ci95": [0.55, 0.69], "n": 200})
    assert conclusions.tstr_verdict({"accuracy": 0.2, "real_accuracy": 0.8, "ratio": 0.25}) == (
        "Trained on samples only 20 %, on real clips 80 %: higher is better; the samples teach a classifier little of "
        "what real music teaches.")
    assert "about as much as" in conclusions.tstr_verdict({"accuracy": 0.78, "real_accuracy": 0.8, "ratio": 0.98})
    far = conclusions.frechet_verdict({"overall": 12.0, "ci95": [10.0, 14.0], "real_floor": 2.0,
                                       "real_floor_ci95": [1.5, 2.6]})
    assert far.startswith("Fréchet distance 12.00, lower is better") and "about 6 times as far" in far


def test_a_c2st_interval_over_50_percent_is_no_evidence_and_the_clearer_judge_decides():
    band = {"accuracy": 0.55, "ci95": [0.45, 0.64], "n": 200}
    alone = conclusions.c2st_verdict(band)
    assert alone.startswith("Told apart 55 % (95 % CI 45–64 %) by band statistics")
    assert ("no evidence a simple classifier tells them apart (every 95 % CI includes 50 %, 200 inputs), which does "
            "not show that they are alike") in alone
    assert "coin toss" not in alone and "pass" not in alone
    both = conclusions.c2st_verdict(band, {"accuracy": 0.9, "ci95": [0.85, 0.94], "n": 200})
    assert both.startswith("Told apart 55 % (95 % CI 45–64 %) by band statistics and 90 % (95 % CI 85–94 %) in the "
                           "judge's embedding")
    assert both.endswith("separates generated from real clips easily (in the judge's embedding) — the samples are "
                         "far from real.")
    assert "easily (by band" in conclusions.c2st_verdict({"accuracy": 0.8, "ci95": [0.75, 0.85], "n": 200}, band)


def test_overlapping_frechet_intervals_are_not_distinguishable_from_the_floor_never_as_close():
    near = conclusions.frechet_verdict({"overall": 2.2, "ci95": [1.8, 2.9], "real_floor": 2.0,
                                        "real_floor_ci95": [1.5, 2.6], "n": 120})
    assert near.endswith(": the intervals overlap, so the samples are not distinguishable from the real-vs-real "
                         "floor at n = 120.")
    assert "as close" not in near


def test_the_study_numbers_carry_the_intervals_it_did_not_report_and_they_overlap():
    rows, text = conclusions.study()
    assert [(r["correct"], r["n"]) for r in rows] == [(53, 101), (59, 101), (52, 101)]  # 52.5, 58.4, 51.5 %
    assert (rows[0]["lo"], rows[0]["hi"]) == pytest.approx((0.42825, 0.61944), abs=1e-5)
    assert all(conclusions.overlap(rows[0], r) for r in rows[1:])
    assert "52.5 % to 58.4 %" in text and "not a test" in text and "not shown to be more than the noise" in text
