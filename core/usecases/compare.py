"""Compare finished classifier runs: what each accuracy is worth, and whether two runs can be paired.

Two runs are *paired* only when they were tested on the same clips: the same dataset (content
fingerprint) and the same set of test clip keys. Then their predictions can be matched clip by
clip and an exact McNemar test says whether the difference is more than noise. Runs tested on
different datasets or splits are shown side by side with their intervals, and nothing more is
claimed.

Everything here is a pure function of run records and results (or of the run ids, via
:func:`load_entries`); :mod:`core.usecases.reports` renders them as CSV, Markdown and offline HTML.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from ..base.percent import with_interval
from ..compute import significance
from ..compute.scores import row_normalise
from ..storage import runs
from . import charts

@dataclass(frozen=True)
class Entry:
    """One finished run as a comparison sees it; ``name`` is unique within the comparison.

    ``key`` is its short name in a comparison (``A``, ``B``, …, see :func:`legend_rows`), which
    sentences and charts use so they stay readable; without one they use ``name``.
    """

    id: str
    name: str
    record: dict
    result: dict
    history: list[dict]
    key: str = ""

    @property
    def short(self) -> str:
        return self.key or self.name


def letter(i: int) -> str:
    """A, B, …, Z, AA, AB, …: the short name of the ``i``-th run of a comparison (from 0)."""
    return letter(i // 26 - 1) + chr(65 + i % 26) if i >= 26 else chr(65 + i)


def unique_names(records: list[dict]) -> list[str]:
    """Run names, with the run id appended to any name that occurs more than once."""
    names = [r["name"] for r in records]
    return [f"{n} ({r['id']})" if names.count(n) > 1 else n for n, r in zip(names, records)]


def load_entries(run_ids: list[str]) -> list[Entry]:
    """Entries for the given runs, in order; runs without a test result are left out."""
    loaded = [(runs.load(i), runs.result(i)) for i in run_ids]
    loaded = [(rec, res) for rec, res in loaded if res and "accuracy" in res]
    names = unique_names([rec for rec, _ in loaded])
    return [Entry(rec["id"], name, rec, res, runs.history(rec["id"]), letter(i))
            for i, (name, (rec, res)) in enumerate(zip(names, loaded))]


def legend_rows(entries: list[Entry]) -> list[dict]:
    """Short name → run: one row per run with its full name, what it was measured on and how it did on other
    collections (:func:`other_collections`)."""
    return [{"key": e.short, "run": e.name, "run_id": e.id, "preset": e.record.get("preset", "?"),
             "measured_on": measured_on(e), "fingerprint": e.record.get("dataset", {}).get("fingerprint", "?"),
             "other_collections": other_collections(e)} for e in entries]


def other_collections(entry: Entry) -> str:
    """Every check of the run on another collection (:func:`core.storage.runs.checks`, newest first), e.g.
    '56.5 % (95 % CI 48.4–64.3 %, 83 of 147 clips) on musifeast-7'; '' when it was never checked."""
    return "; ".join(f"{with_interval(c['accuracy'], decimals=1, counts=True)} on {c['dataset']['name']}"
                     for c in runs.checks(entry.id))


def latest_checks(entry: Entry) -> list[dict]:
    """The run's newest check on each other collection (by content fingerprint), newest first."""
    found: dict[str, dict] = {}
    for c in runs.checks(entry.id):
        found.setdefault(c["dataset"].get("fingerprint", c["dataset"]["name"]), c)
    return list(found.values())


def seed_of(entry: Entry) -> int | None:
    return entry.record.get("config", {}).get("seed")


def measured_on(entry: Entry) -> str:
    """'tones (12 clips), stratified 70/15/15, seed 0': what this run's accuracy was measured on (the dataset's
    fingerprint is in :func:`legend_rows`)."""
    data = entry.record.get("dataset", {})
    split, seed = entry.record.get("split_name", "?"), seed_of(entry)
    seeded = split if seed is None or f"seed {seed}" in split else f"{split}, seed {seed}"
    return f"{data.get('name', '?')} ({data.get('n_clips', '?')} clips), {seeded}"


# --------------------------------------------------------------------------- pairing

def pairing(a: Entry, b: Entry) -> dict:
    """Whether ``a`` and ``b`` were tested on the same clips: ``{'paired': bool, 'reason': str}``."""
    fa, fb = (e.record.get("dataset", {}).get("fingerprint") for e in (a, b))
    if fa is None or fa != fb:
        return {"paired": False, "reason": (
            f"{a.short} and {b.short} were tested on different datasets ({measured_on(a)} vs {measured_on(b)}), "
            "so their predictions cannot be paired: compare their intervals only.")}
    if list(a.result["labels"]) != list(b.result["labels"]):
        return {"paired": False,
                "reason": f"{a.short} and {b.short} use different genre labels, so they cannot be paired."}
    keys_a, keys_b = set(a.result["keys"]), set(b.result["keys"])
    if keys_a != keys_b:
        shared = len(keys_a & keys_b)
        return {"paired": False, "reason": (
            f"{a.short} and {b.short} were tested on different clips of the same dataset "
            f"({a.record.get('split_name', '?')} vs {b.record.get('split_name', '?')}; {shared} of "
            f"{len(keys_a)} and {len(keys_b)} test clips in common), so their predictions cannot be paired: "
            "compare their intervals only.")}
    return {"paired": True, "reason": f"{a.short} and {b.short} were tested on the same {len(keys_a)} clips, "
                                      "so their predictions can be compared clip by clip."}


def paired_correctness(a: Entry, b: Entry) -> tuple[np.ndarray, np.ndarray]:
    """Per-clip correctness of ``a`` and ``b``, aligned on ``a``'s test clip order (runs must be paired)."""
    where = {k: i for i, k in enumerate(b.result["keys"])}
    order = np.array([where[k] for k in a.result["keys"]], dtype=np.int64)
    correct_a = np.asarray(a.result["y_pred"]) == np.asarray(a.result["y_true"])
    correct_b = (np.asarray(b.result["y_pred"]) == np.asarray(b.result["y_true"]))[order]
    return correct_a, correct_b


FAMILY = "the runs' {m} paired tests"
"""The one family of tests Holm-adjusted together, as sentences name it: every pair of the compared runs tested on
the same clips (:func:`compare_all`; the result card quotes these same adjusted tests)."""


def compare_pair(a: Entry, b: Entry) -> dict:
    """Pairing verdict for two runs, plus McNemar's exact test and its plain sentence when paired."""
    return compare_all([a, b])[0]


def compare_all(entries: list[Entry]) -> list[dict]:
    """Every pair of runs, in selection order: ``a``, ``b`` (names), ``a_key``, ``b_key``, ``paired`` and ``reason``
    (:func:`pairing`), ``mcnemar`` (None when not paired), its ``sentence`` and ``adjustment``.

    The McNemar tests are Holm-adjusted together (:data:`FAMILY`, :func:`core.compute.significance.holm_adjusted`:
    ``p_value`` adjusted, ``p_raw`` the test's own, ``m`` how many), so that the chance of calling any of the
    differences real when none is stays at 0.05; each sentence is made once, from the adjusted p-value, and says so,
    and ``adjustment`` gives the test's own p-value ('' when there is one paired test or none)."""
    pairs = list(itertools.combinations(entries, 2))
    found = [pairing(a, b) for a, b in pairs]
    tests = significance.holm_adjusted([significance.mcnemar_exact(*paired_correctness(a, b)) if f["paired"] else None
                                        for (a, b), f in zip(pairs, found)], FAMILY)
    return [{"a": a.name, "b": b.name, "a_key": a.short, "b_key": b.short, **f, "mcnemar": m,
             "sentence": significance.describe_difference(m, a.short, b.short) if m else "",
             "adjustment": "" if m is None or m["m"] == 1 else (
                 f" Before Holm's adjustment for {m['family']} (the result card quotes the same adjusted p-values), "
                 f"this test alone gives {significance.format_p(m['p_raw'])}.")}
            for (a, b), f, m in zip(pairs, found, tests)]


# --------------------------------------------------------------------------- tables

def accuracy_rows(entries: list[Entry]) -> list[dict]:
    """One row per run: accuracy with its 95 % interval and what it was measured on."""
    return [{"key": e.short, "run": e.name, "run_id": e.id, "accuracy": e.result["accuracy"]["value"],
             "lo": e.result["accuracy"]["lo"], "hi": e.result["accuracy"]["hi"],
             "correct": e.result["accuracy"]["correct"], "n": e.result["accuracy"]["n"],
             "dataset": e.record.get("dataset", {}).get("name", "?"),
             "fingerprint": e.record.get("dataset", {}).get("fingerprint", "?"),
             "split": e.record.get("split_name", "?"), "seed": seed_of(e), "preset": e.record.get("preset", "?")}
            for e in entries]


def per_class_rows(entries: list[Entry]) -> list[dict]:
    """Precision, recall, F1 and support per genre and run, genres in label order, runs in selection order."""
    labels = list(dict.fromkeys(r["label"] for e in entries for r in e.result["per_class"]))
    by_run = {e.name: {r["label"]: r for r in e.result["per_class"]} for e in entries}
    return [{"genre": g, "run": name, **{k: scores[g][k] for k in ("precision", "recall", "f1", "support")}}
            for g in labels for name, scores in by_run.items() if g in scores]


SCORES = {"precision": "precision", "recall": "recall", "f1": "F1", "support": "support"}


def per_class_wide(entries: list[Entry]) -> list[dict]:
    """One row per genre, one group of columns per run: ``"<short name> <score>"`` for each of :data:`SCORES`.

    A run without that genre has no value in its columns.
    """
    rows = []
    for g in dict.fromkeys(r["label"] for e in entries for r in e.result["per_class"]):
        row = {"genre": g}
        for e in entries:
            scores = next((r for r in e.result["per_class"] if r["label"] == g), None)
            row |= {f"{e.short} {label}": scores[k] if scores else None for k, label in SCORES.items()}
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- figures

def accuracy_figure(entries: list[Entry]) -> go.Figure:
    """Every run's test accuracy with its 95 % Wilson interval (dots) and its newest check on each other collection
    (diamonds, labelled 'A · musifeast-7'), each run in its colour (:func:`colours`)."""
    colour = colours(entries)
    rows = []
    for e in entries:
        rows.append({"name": f"{e.short} · test", **e.result["accuracy"], "colour": colour[e.short],
                     "note": f"{e.name}: {measured_on(e)}"})
        rows += [{"name": f"{e.short} · {c['dataset']['name']}", **c["accuracy"], "colour": colour[e.short],
                  "symbol": "diamond", "note": f"{e.name} on {c['dataset']['name']}, another collection"}
                 for c in latest_checks(e)]
    return charts.accuracy_intervals(rows, axis="accuracy (95 % interval)")


def colours(entries: list[Entry]) -> dict[str, str]:
    """Short name → colour: each run keeps one colour in every chart of the comparison."""
    return charts.run_colours([e.short for e in entries])


def count_scale(entries: list[Entry]) -> float:
    """The largest confusion count over all runs, so every count heatmap shares one colour scale."""
    return float(max(np.max(e.result["confusion"]) for e in entries)) or 1.0


def confusion_figure(entry: Entry, normalise: bool, zmax: float) -> go.Figure:
    """A run's confusion matrix (counts or row fractions) on a shared colour scale ``zmax``."""
    return charts.confusion_heatmap(np.array(entry.result["confusion"]), entry.result["labels"], normalise=normalise,
                                    zmax=1.0 if normalise else zmax, title=entry.short)


def rate_difference(a: Entry, b: Entry) -> np.ndarray:
    """Row-normalised confusion of ``b`` minus that of ``a``, in percentage points (rounded)."""
    rates = [row_normalise(np.array(e.result["confusion"])) for e in (a, b)]
    return np.round(100 * (rates[1] - rates[0]))


def difference_figure(a: Entry, b: Entry) -> go.Figure:
    """Diverging heatmap of :func:`rate_difference` (blue: ``b`` puts more of that true genre there)."""
    return charts.confusion_heatmap(rate_difference(a, b), a.result["labels"], diverging=True,
                                    title=f"{b.short} − {a.short} (points)")


def differences(entries: list[Entry]) -> list[tuple[Entry, Entry]]:
    """(reference, other) pairs for difference matrices: every run against the first one with the same labels."""
    ref = entries[0]
    return [(ref, e) for e in entries[1:] if list(e.result["labels"]) == list(ref.result["labels"])]


def learning_figure(entries: list[Entry]) -> go.Figure:
    """Loss and accuracy per epoch of the runs that kept a history, each in its colour."""
    return charts.learning_curves({e.short: e.history for e in entries if e.history}, colours(entries))


def figures(entries: list[Entry]) -> dict[str, go.Figure]:
    """Title → figure, everything a report shows, in reading order."""
    zmax = count_scale(entries)
    out = {"Test accuracy with 95 % intervals": accuracy_figure(entries)}
    out |= {f"Confusion (counts): {e.short}": confusion_figure(e, False, zmax) for e in entries}
    out |= {f"Confusion (row-normalised): {e.short}": confusion_figure(e, True, zmax) for e in entries}
    out |= {f"Difference: {b.short} − {a.short}": difference_figure(a, b) for a, b in differences(entries)}
    if any(e.history for e in entries):
        out["Learning curves"] = learning_figure(entries)
    return out


