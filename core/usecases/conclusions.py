"""Compare's result card: one sentence per comparison a teacher can read out, generated from the statistics.

Every accuracy is a dict ``{"value", "lo", "hi", "correct", "n"}`` (a fraction with its 95 % Wilson
interval over ``n`` clips, as in a run's ``result["accuracy"]``); a paired test is a
:func:`core.compute.significance.mcnemar_exact` result (``b``, ``c``, ``p_value``, ``n``). Two intervals
that do not overlap mean a clear difference; when they overlap only the paired test on the same clips can
still find one, and a large p-value is *no evidence of a difference*, never proof that there is none.

:func:`card` is pure (facts in, sentences out); :func:`from_entries` gathers the facts of
:class:`core.usecases.compare.Entry` runs and their checks on other collections.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..base.experiment_plan import STUDY, STUDY_TEST_CLIPS
from ..base.percent import percent, with_interval
from ..compute import intervals, significance
from . import compare

ALPHA = 0.05
"""A paired test's p below this is called a difference."""

RECIPES = {"paper": "the study's recipe", "recommended": "the fixed recipe", "classic": "hand-made features",
           "pretrained": "the pretrained ear"}
"""A preset's name in the card's sentences."""


@dataclass(frozen=True)
class Check:
    """A run's accuracy on another collection; ``keys`` and ``correct`` (per clip, aligned) allow a paired test."""

    dataset: str
    fingerprint: str
    accuracy: dict
    keys: tuple[str, ...] = ()
    correct: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Facts:
    """What the card knows of one run: its short ``key`` (A, B, …), its ``recipe`` in words, its test ``accuracy``,
    what that was measured ``on`` (dataset, clips, split, seed, without fingerprints), the ``baseline`` key of the
    run it adds to and what it ``added`` (e.g. '+70 GAN clips per genre'), and its newest check on each other
    collection."""

    key: str
    recipe: str
    accuracy: dict
    on: str
    baseline: str = ""
    added: str = ""
    checks: tuple[Check, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Card:
    """``lines``: one sentence per comparison, then one per collection the runs were checked on; ``figures``: per
    run, its test accuracy and real-music figures; ``measured``: what the figures were measured on, one line per
    distinct set of clips; ``best``: the key of the run that clearly generalises best, or ''."""

    lines: list[str]
    figures: list[str]
    measured: list[str]
    best: str = ""


def overlap(a: dict, b: dict) -> bool:
    """Whether two accuracies' intervals share any value."""
    return a["lo"] <= b["hi"] and b["lo"] <= a["hi"]


def study() -> tuple[list[dict], str]:
    """The study's three reported accuracies with the 95 % intervals it did not report, and what they say.

    Returns rows for :func:`core.usecases.charts.accuracy_intervals` (``name``, ``value``, ``lo``, ``hi``,
    ``correct``, ``n``; a fraction of the study's :data:`~core.base.experiment_plan.STUDY_TEST_CLIPS` test clips each)
    and what they say about the study's gain (its per-clip predictions were not published, so no paired test can be
    made: overlapping intervals alone are not evidence either way).
    """
    rows = []
    for per_genre, reported in STUDY.items():
        correct = round(reported * STUDY_TEST_CLIPS)
        acc, lo, hi = intervals.accuracy_interval(correct, STUDY_TEST_CLIPS)
        name = "the study's LSTM" if per_genre == 0 else f"+ {per_genre * 10} generated clips"
        rows.append({"name": name, "value": acc, "lo": lo, "hi": hi, "correct": correct, "n": STUDY_TEST_CLIPS})
    base, gain = rows[0], rows[1]
    return rows, (f"The study tested each model once, on the same {STUDY_TEST_CLIPS} clips of one split. With the 95 % "
                  f"intervals it did not report, its gain from {percent(base['value'], 1)} to "
                  f"{percent(gain['value'], 1)}"
                  " sits well inside both intervals. Overlapping intervals are not a test: a paired test on the same "
                  "clips could still find a difference, but the study did not publish its per-clip predictions, so its "
                  "gain is not shown to be more than the noise of one test set this size. The lesson and Compare "
                  "repeat it over seeds, with paired tests.")


def verdict(a: dict, b: dict, test: dict | None, gain: bool = False) -> str:
    """The words after 'A 24 % → B 83 %': whether the intervals overlap and what the paired ``test`` says.

    ``gain``: B is A plus something (more data), so the question is whether it helps.
    """
    higher = b["value"] > a["value"]
    if not overlap(a, b):
        text = "the intervals do not overlap" + (": it helps" if gain and higher else ": it hurts" if gain else "")
        if test is not None:
            text += (f" (paired test {significance.p_text(test)})" if test["p_value"] < ALPHA else
                     f", though the paired test on the same {test['n']} clips finds no evidence of a difference "
                     f"({significance.p_text(test)})")
        return text
    if test is None:
        return ("the intervals overlap and the runs were tested on different clips (no paired test): "
                + ("no evidence it helps" if gain else "no evidence of a difference"))
    if test["p_value"] < ALPHA:
        change = ("it helps" if higher else "it hurts") if gain else "a real difference"
        return (f"the intervals overlap, but the paired test on the same {test['n']} clips finds "
                f"{change} ({significance.p_text(test)})")
    return (f"the intervals overlap and the paired test on the same {test['n']} clips finds "
            + ("no evidence it helps" if gain else "no evidence of a difference") + f" ({significance.p_text(test)})")


def pairs(facts: list[Facts]) -> list[tuple[Facts, Facts]]:
    """The comparisons the card makes: each run after the first against the run it adds to when that one is
    compared too, otherwise against the run before it."""
    by_key = {f.key: f for f in facts}
    return [(by_key.get(b.baseline) or a, b) for a, b in zip(facts, facts[1:])]


def names(a: Facts, b: Facts) -> tuple[str, str]:
    """How a sentence names two runs: their recipes and keys, or only the keys when the recipes are the same."""
    if a.recipe == b.recipe:
        return a.key, b.key
    return f"{a.recipe} ({a.key})", f"{b.recipe} ({b.key})"


def comparison(a: Facts, b: Facts, test: dict | None) -> str:
    """One sentence: 'The study's recipe (A) 24 % → the fixed recipe (B) 83 %: the intervals do not overlap.'"""
    figures = f"{percent(a.accuracy['value'])} → {percent(b.accuracy['value'])}"
    if b.added and b.baseline == a.key:
        text = f"{b.added} ({a.key} → {b.key}): {figures}, {verdict(a.accuracy, b.accuracy, test, gain=True)}."
    else:
        name_a, name_b = names(a, b)
        text = (f"{name_a} {percent(a.accuracy['value'])} → {name_b} {percent(b.accuracy['value'])}: "
                f"{verdict(a.accuracy, b.accuracy, test)}.")
    return text[0].upper() + text[1:]


def by_collection(facts: list[Facts]) -> dict[str, list[tuple[Facts, Check]]]:
    """Collection fingerprint → (run, its check there), runs in card order."""
    found: dict[str, list[tuple[Facts, Check]]] = {}
    for f in facts:
        for c in f.checks:
            found.setdefault(c.fingerprint, []).append((f, c))
    return found


def paired_check(a: Check, b: Check) -> dict | None:
    """McNemar's exact test of two runs' checks on the same clips (both kept per-clip results), else None."""
    if not a.keys or set(a.keys) != set(b.keys) or len(a.keys) != len(a.correct) or len(b.keys) != len(b.correct):
        return None
    where = {k: i for i, k in enumerate(b.keys)}
    correct_b = np.array(b.correct, dtype=bool)[[where[k] for k in a.keys]]
    return significance.mcnemar_exact(np.array(a.correct, dtype=bool), correct_b)


def leaders(checked: list[tuple[Facts, Check]]) -> list[tuple[Facts, Check]]:
    """The runs checked on one collection, most accurate there first."""
    return sorted(checked, key=lambda fc: -fc[1].accuracy["value"])


def generalisation(checked: list[tuple[Facts, Check]], test: dict | None) -> tuple[str, str]:
    """The sentence on one collection and the key of the run that clearly does best there ('' when none does);
    ``test`` is the paired test of the two most accurate there (:func:`paired_check`, Holm-adjusted), or None."""
    dataset = checked[0][1].dataset
    if len(checked) == 1:
        f, c = checked[0]
        return (f"On {dataset}, music from another collection, only {f.key} was checked: {with_interval(c.accuracy)}. "
                "Check the others there to see which model generalises best.", "")
    (best, top), (second, runner) = leaders(checked)[:2]
    figures = ", ".join(f"{f.key} {with_interval(c.accuracy)}" for f, c in checked)
    clear = not overlap(top.accuracy, runner.accuracy) or (test is not None and test["p_value"] < ALPHA)
    if clear and top.accuracy["value"] > runner.accuracy["value"]:
        why = verdict(runner.accuracy, top.accuracy, test)
        return (f"On {dataset}, music from another collection: {figures}. {best.key} ({best.recipe}) generalises "
                f"best: against {second.key}, the next best, {why}.", best.key)
    return (f"On {dataset}, music from another collection: {figures}. {best.key} scores highest, but against "
            f"{second.key}, the next best, {verdict(runner.accuracy, top.accuracy, test)}; no model clearly "
            "generalises best there.", "")


def figure_line(f: Facts) -> str:
    """'A · the study's recipe: 24 % (95 % CI 15–35 %) on its test clips · 19 % (…) on musifeast-7'."""
    return " · ".join([f"{f.key}, {f.recipe}: {with_interval(f.accuracy)} on its test clips",
                       *(f"{with_interval(c.accuracy)} on {c.dataset}" for c in f.checks)])


def measured(facts: list[Facts]) -> list[str]:
    """'A, B: test clips of demo (200 clips), stratified 70/15/15, seed 0': one line per distinct set of clips."""
    groups: dict[str, list[str]] = {}
    for f in facts:
        groups.setdefault(f"test clips of {f.on}", []).append(f.key)
    for fingerprint, checked in by_collection(facts).items():
        c = checked[0][1]
        groups.setdefault(f"{c.accuracy['n']} clips of {c.dataset} (another collection)", []).extend(
            f.key for f, _ in checked)
    return [f"{', '.join(keys)}: {where}" for where, keys in groups.items()]


CHECKS_FAMILY = "the card's {m} paired tests on other collections"
"""How the card names the family its tests on other collections are Holm-adjusted over (:func:`card`)."""


def card(facts: list[Facts], tests: dict[tuple[str, str], dict | None]) -> Card:
    """The result card of runs ``facts`` (in the order shown), ``tests`` mapping (key A, key B) to the paired test
    of A and B on their test clips, or None where they were tested on different clips: quoted as given, so the card
    and the pair verdicts read the same p-value (:func:`from_entries` passes
    :func:`core.usecases.compare.compare_all`'s, Holm-adjusted over every pair of runs). Its tests on other
    collections (per collection, of the two best runs there), another question on other clips, are Holm-adjusted
    together (:data:`CHECKS_FAMILY`, :func:`core.compute.significance.holm_adjusted`)."""
    compared, collections = pairs(facts), list(by_collection(facts).values())
    elsewhere = significance.holm_adjusted([paired_check(*(c for _, c in leaders(checked)[:2]))
                                            if len(checked) > 1 else None for checked in collections], CHECKS_FAMILY)
    lines = [comparison(a, b, tests.get((a.key, b.key)) or tests.get((b.key, a.key))) for a, b in compared]
    best = ""
    for checked, test in zip(collections, elsewhere):
        line, winner = generalisation(checked, test)
        lines.append(line)
        best = best or winner
    return Card(lines, [figure_line(f) for f in facts], measured(facts), best)


# --------------------------------------------------------------------------- from runs

def recipe(entry: compare.Entry) -> str:
    """The run's recipe in words (:data:`RECIPES`), or its key when its preset has no name there."""
    return RECIPES.get(entry.record.get("preset", ""), f"run {entry.short}")


def added(entry: compare.Entry) -> str:
    """'+70 GAN clips per genre' for a run trained with generated samples, '' otherwise."""
    augment = entry.record.get("augment") or {}
    return f"+{augment['per_genre']} GAN clips per genre" if augment.get("per_genre") else ""


def check_of(saved: dict) -> Check:
    """A saved check (:func:`core.usecases.generalise.check`) as the card sees it."""
    return Check(saved["dataset"]["name"], saved["dataset"].get("fingerprint", saved["dataset"]["name"]),
                 saved["accuracy"], tuple(saved.get("keys", ())),
                 tuple(bool(t == p) for t, p in zip(saved.get("y_true", ()), saved.get("y_pred", ()))))


def facts_of(entries: list[compare.Entry]) -> list[Facts]:
    """The card's facts about each run, with its newest check on each other collection."""
    keys = {e.id: e.short for e in entries}
    return [Facts(e.short, recipe(e), e.result["accuracy"], compare.measured_on(e),
                  keys.get(e.record.get("baseline", ""), ""),
                  added(e), tuple(check_of(c) for c in compare.latest_checks(e))) for e in entries]


def from_entries(entries: list[compare.Entry]) -> Card:
    """The result card of finished runs, with the paired tests of :func:`core.usecases.compare.compare_all` (the
    pair verdicts' own, Holm-adjusted over every pair) where they share their test clips."""
    return card(facts_of(entries), {(v["a_key"], v["b_key"]): v["mcnemar"] for v in compare.compare_all(entries)})


# --------------------------------------------------------------------------- GAN quality, one verdict per measure

def tstr_verdict(tstr: dict) -> str:
    """TSTR in words: how much of what real clips teach the samples teach (``tstr``: ``accuracy``,
    ``real_accuracy``, ``ratio``, as :func:`core.compute.quality.tstr` returns)."""
    head = (f"Trained on samples only {percent(tstr['accuracy'])}, on real clips {percent(tstr['real_accuracy'])}: "
            "higher is better")
    ratio = tstr.get("ratio")
    if ratio is None:
        return head + "."
    amount = "about as much as" if ratio >= 0.9 else "part of what" if ratio >= 0.5 else "little of what"
    return f"{head}; the samples teach a classifier {amount} real music teaches."


def separation(judge: dict) -> int:
    """How clearly a two-sample judge (``accuracy``, ``ci95``) tells generated from real: 0 when its interval
    includes 50 % (no evidence it can), 1 when it does below 75 %, 2 when it does at 75 % or more."""
    return 0 if judge["ci95"][0] <= 0.5 else 1 if judge["accuracy"] < 0.75 else 2


def measure_text(measure: dict, decimals: int = 0) -> str:
    """A GAN quality accuracy (TSTR, a C2ST judge: ``accuracy`` and ``ci95``, fractions) with its interval."""
    return with_interval({"value": measure["accuracy"], "lo": measure["ci95"][0], "hi": measure["ci95"][1]}, decimals)


def c2st_verdict(c2st: dict, embedding: dict | None = None) -> str:
    """The two-sample tests in words: 50 % means a simple classifier cannot tell generated from real clips, 100 %
    that it always can. ``c2st`` (the band-statistics judge) and ``embedding`` (the judge in the reference's
    embedding, None for runs measured before it existed) each hold ``accuracy``, ``ci95`` and ``n``; the verdict
    follows the judge that tells them apart more clearly (:func:`separation`), since either one finding a difference
    is a difference."""
    judges = [("by band statistics", c2st)] + ([("in the judge's embedding", embedding)] if embedding else [])
    figures = [f"{measure_text(j)} {where}" for where, j in judges]
    head = f"Told apart {' and '.join(figures)} (50 % would mean it cannot tell them apart): "
    where, worst = max(judges, key=lambda wj: (separation(wj[1]), wj[1]["accuracy"]))
    level = separation(worst)
    if level == 0:
        return head + (f"no evidence a simple classifier tells them apart (every 95 % CI includes 50 %, {worst['n']} "
                       "inputs), which does not show that they are alike: a stronger classifier may.")
    how = "now and then" if level == 1 else "easily"
    return head + (f"a simple classifier separates generated from real clips {how} ({where}) — "
                   + ("close, but not real." if level == 1 else "the samples are far from real."))


def frechet_verdict(frechet: dict) -> str:
    """The Fréchet distance in words (``frechet``: ``overall``, ``ci95``, ``real_floor``, ``real_floor_ci95``):
    lower is better, and two real sets are the floor."""
    head = (f"Fréchet distance {frechet['overall']:.2f}, lower is better; between two sets of real clips it is "
            f"{frechet['real_floor']:.2f}")
    if frechet["ci95"][0] <= frechet["real_floor_ci95"][1]:
        return head + (f": the intervals overlap, so the samples are not distinguishable from the real-vs-real floor "
                       f"at n = {frechet['n']}.")
    times = frechet["overall"] / frechet["real_floor"] if frechet["real_floor"] > 0 else float("inf")
    return head + (f": the samples sit about {times:.0f} times as far from the real clips as real clips sit from "
                   "each other.")
