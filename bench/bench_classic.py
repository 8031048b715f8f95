"""Classic preset figures: summary-feature extraction, 5-fold CV on gtzan-mini, a run's training time, and the
check on musifeast-7 through the prediction path (as core.usecases.generalise hears clips).

Prints one JSON line per figure, each with the load average (the machine is shared). ``--select`` first prints
the hyperparameter grid scored on ``SELECT_PARTITION`` (the one the preset was chosen on); the reported CV uses
``REPORT_PARTITION``; musifeast-7 is a check only, never used to choose. ``--levers`` also checks the preset with
one setting changed at a time on musifeast-7, from cached summaries (the same numbers the prediction path
computes for clips of at most a minute), to say what each lever does, not to choose.

``--against recommended`` also trains that LSTM preset on the same split, checks it the same way and compares
the two on the same clips (exact McNemar test).

    python bench/bench_classic.py [--data DIR] [--check DIR] [--select] [--levers] [--against PRESET]
"""

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from common import emit, scratch_dir, settle  # noqa: E402
os.environ.setdefault("GENRELAB_DATA_DIR", scratch_dir())

import numpy as np  # noqa: E402

from core.compute import classic, intervals, scores, significance  # noqa: E402
from core.orchestration import classifier  # noqa: E402
from core.storage import runs  # noqa: E402
from core.usecases import generalise, predict  # noqa: E402
from core.base.config import preset  # noqa: E402
from core.base.datasets import list_clips  # noqa: E402
from core.storage.extract import load_summaries  # noqa: E402
from core.base.splits import REPORT_PARTITION, SELECT_PARTITION, kfold_splits, make_split  # noqa: E402

DATA = REPO.parent / "shared" / "data"


def cv(ss, partition: int, **overrides) -> list[float]:
    """Clip accuracy of each fold of ``kfold_splits(y, 5, partition)``, training on each fold's training part."""
    cfg = preset("classic", **overrides)
    accs = []
    for split in kfold_splits(ss.y, 5, partition):
        model = classic.fit(cfg, ss.x[split.train], ss.y[split.train], len(ss.labels))
        accs.append(round(float((classic.probabilities(model, ss.x[split.test]).argmax(1) == ss.y[split.test]).mean()),
                          3))
    return accs


LEVERS = ({}, {"level": "absolute"}, {"deltas": False}, {"C": 0.1}, {"C": 10.0})


def check(run_id: str, root: Path) -> dict:
    """Run ``run_id`` on every clip of ``root`` whose genre it knows, as ``python -m core evaluate`` hears them
    (:func:`core.usecases.generalise.hear_and_classify`: the prediction path, two threads); ``correct`` says which clips
    were right, in listing order, for a paired comparison."""
    started = time.perf_counter()
    predictor = predict.load_model(run_id)
    listing = list_clips(root)
    match = generalise.match_labels(listing.labels, predictor.labels)
    clips = [c for c in listing.clips if c.label in match.used]
    probs, kept, _ = generalise.hear_and_classify(clips, listing.root, predictor)
    y_true = np.array([predictor.labels.index(match.used[clips[i].label]) for i in kept])
    found = scores.classification_result(probs, y_true, [], predictor.labels)
    acc = found["accuracy"]
    return {"accuracy": round(acc["value"], 3), "ci95": [round(acc["lo"], 3), round(acc["hi"], 3)], "n": acc["n"],
            "recall": {c["label"]: round(c["recall"], 3) for c in found["per_class"] if c["support"]},
            "seconds": round(time.perf_counter() - started, 1), "correct": y_true == probs.argmax(1)}


def levers(train, check_set) -> None:
    """The preset and each lever of :data:`LEVERS`, trained on the stratified seed-0 training part, on ``check_set``."""
    split = make_split("stratified", train.y, train.keys, 0)
    used = generalise.match_labels(check_set.labels, train.labels).used
    rows = [i for i, c in enumerate(check_set.clips) if c.label in used]
    y_true = np.array([train.labels.index(used[check_set.clips[i].label]) for i in rows])
    for lever in LEVERS:
        model = classic.fit(preset("classic", **lever), train.x[split.train], train.y[split.train], len(train.labels))
        y_pred = classic.probabilities(model, check_set.x[rows]).argmax(1)
        acc, lo, hi = intervals.accuracy_interval(int((y_pred == y_true).sum()), len(y_true))
        recall = {train.labels[k]: round(float((y_pred[y_true == k] == k).mean()), 3) for k in sorted(set(y_true))}
        emit("classic_lever_musifeast", round(acc, 3), "report", lever=lever or "the preset",
             ci95=[round(lo, 3), round(hi, 3)], n=len(y_true), recall=recall,
             trained_on=f"{train.root.name}, stratified 70/15/15 split, seed 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA / "gtzan-mini")
    parser.add_argument("--check", type=Path, default=DATA / "musifeast-7")
    parser.add_argument("--select", action="store_true", help="print the grid the preset was chosen on first")
    parser.add_argument("--levers", action="store_true", help="check each lever on the check set (cached summaries)")
    parser.add_argument("--against", choices=("paper", "recommended"), help="also check this LSTM preset, paired")
    args = parser.parse_args()

    settle()
    started = time.perf_counter()
    ss = load_summaries(args.data)
    emit("classic_summaries_seconds", round(time.perf_counter() - started, 2), "report", timed=True,
         dataset=args.data.name, clips=len(ss.clips), note="cold if the cache under GENRELAB_DATA_DIR was empty")
    settle()
    started = time.perf_counter()
    ss = load_summaries(args.data)
    emit("classic_summaries_cached_seconds", round(time.perf_counter() - started, 3), "report", timed=True,
         dataset=args.data.name)

    if args.select:
        for C, deltas, level in itertools.product((0.01, 0.1, 1.0, 10.0), (True, False), ("absolute", "clip")):
            accs = cv(ss, SELECT_PARTITION, C=C, deltas=deltas, level=level)
            emit("classic_select_cv", round(float(np.mean(accs)), 3), "choose", C=C, deltas=deltas, level=level,
                 folds=accs, partition=f"kfold_splits(y, 5, SELECT_PARTITION={SELECT_PARTITION})")

    accs = cv(ss, REPORT_PARTITION)
    emit("classic_cv_gtzan_mini", {"mean": round(float(np.mean(accs)), 3), "std": round(float(np.std(accs, ddof=1)), 3),
                                   "folds": accs}, ">= 0.85",
         partition=f"kfold_splits(y, 5, REPORT_PARTITION={REPORT_PARTITION})", train_part="each fold's training part")

    settle()
    started = time.perf_counter()
    run_id = classifier.submit_classifier(preset("classic", seed=0), args.data, args.data.name, preset="classic")
    result = classifier.run_classifier(run_id)
    acc = result["accuracy"]
    emit("classic_run_seconds", round(time.perf_counter() - started, 2), "<= 60", timed=True,
         fit_seconds=runs.load(run_id)["train_seconds"],
         test_accuracy=[round(acc["value"], 3), round(acc["lo"], 3), round(acc["hi"], 3)],
         split="stratified 70/15/15, seed 0", note="summaries cached; whole run: split, fit, test, files")

    if args.levers:
        levers(ss, load_summaries(args.check))
    found = check(run_id, args.check)
    correct = found.pop("correct")
    emit("classic_check_musifeast", found.pop("accuracy"), ">= 0.40, every recall >= 0.20",
         trained_on=f"{args.data.name}, stratified 70/15/15 split, seed 0", checked_on=args.check.name, **found)
    if args.against:
        started = time.perf_counter()
        lstm = classifier.submit_classifier(preset(args.against, split="stratified", seed=0), args.data, args.data.name,
                                       preset=args.against)
        classifier.run_classifier(lstm)
        other = check(lstm, args.check)
        other_correct = other.pop("correct")
        test = significance.mcnemar_exact(correct, other_correct)
        emit(f"{args.against}_check_musifeast", other.pop("accuracy"), "report", run_seconds=round(
            time.perf_counter() - started, 1), trained_on=f"{args.data.name}, stratified 70/15/15 split, seed 0",
             checked_on=args.check.name, **other)
        emit(f"classic_vs_{args.against}_musifeast", significance.describe_difference(test, "classic", args.against),
             "report", mcnemar=test)


if __name__ == "__main__":
    main()
