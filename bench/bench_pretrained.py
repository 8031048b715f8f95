"""The pretrained ear (issue 24): how fast it hears, how well its head learns gtzan-mini, and how it carries over.

Prints one JSON line per figure (``bench/common.py``). ``--select`` first scores every head tried on gtzan-mini's
``SELECT_PARTITION`` (the one the preset was chosen on) and, for the record only, the same head trained on the
stratified seed-0 training part on musifeast-7 (never used to choose). Then, on ``REPORT_PARTITION``, the pooled
5-fold CV; the timings (embedding one 30 s clip on two threads, a cached reload, training the preset from a cold
and a warm cache, a cold ``python -m core predict``); and the check on musifeast-7 through ``python -m core
evaluate`` for seeds 0-2 of the stratified split, cold (embeddings computed) and warm (cached), and over the seeds
(mean, range and ``n``, the clips checked).

    python bench/bench_pretrained.py [--data DIR] [--check DIR] [--select] [--seeds 0,1,2]
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from common import emit, emit_over_seeds, scratch_dir, settle  # noqa: E402
os.environ.setdefault("GENRELAB_DATA_DIR", scratch_dir())

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.base.audio import decode  # noqa: E402
from core.base.config import preset  # noqa: E402
from core.base.datasets import list_clips  # noqa: E402
from core.base.splits import REPORT_PARTITION, SELECT_PARTITION, kfold_splits, make_split  # noqa: E402
from core.compute import intervals, musicnn, transfer  # noqa: E402
from core.orchestration import classifier  # noqa: E402
from core.storage.extract import load_embeddings  # noqa: E402
from core.usecases import generalise  # noqa: E402

DATA = REPO.parent / "shared" / "data"
HEADS = list(itertools.product(("tags", "penultimate", "pooled", "all"), ("mean", "mean_std"), (0.01, 0.1, 1.0)))


def cv(X: np.ndarray, y: np.ndarray, partition: int, **overrides) -> tuple[list[int], list[int]]:
    """Correct clips and clips of each fold of ``kfold_splits(y, 5, partition)``, the head fitted on each fold's
    training part."""
    cfg = preset("pretrained", **overrides)
    correct, totals = [], []
    for split in kfold_splits(y, 5, partition):
        model = transfer.fit(cfg, X[split.train], y[split.train], int(y.max()) + 1)
        correct.append(int((transfer.probabilities(model, X[split.test]).argmax(1) == y[split.test]).sum()))
        totals.append(len(split.test))
    return correct, totals


def check_rows(es, check_set) -> tuple[list[int], np.ndarray]:
    """Rows of ``check_set`` whose genre the training set knows, and their true label indices in it."""
    used = generalise.match_labels(check_set.labels, es.labels).used
    rows = [i for i, c in enumerate(check_set.clips) if c.label in used]
    return rows, np.array([es.labels.index(used[check_set.clips[i].label]) for i in rows])


def select(es, X: np.ndarray, check_set) -> None:
    """Every head of :data:`HEADS`: its CV on SELECT_PARTITION (the choice) and its musifeast-7 figure (a record)."""
    split = make_split("stratified", es.y, es.keys, 0)
    rows, y_check = check_rows(es, check_set)
    X_check = transfer.clip_vectors([check_set.embeddings[i] for i in rows])
    for layer, pooling, C in HEADS:
        correct, totals = cv(X, es.y, SELECT_PARTITION, layer=layer, pooling=pooling, C=C)
        model = transfer.fit(preset("pretrained", layer=layer, pooling=pooling, C=C), X[split.train],
                             es.y[split.train], len(es.labels))
        y_pred = transfer.probabilities(model, X_check).argmax(1)
        recall = {es.labels[k]: round(float((y_pred[y_check == k] == k).mean()), 3) for k in sorted(set(y_check))}
        emit(f"pretrained_select_cv_{layer}_{pooling}_C{C:g}", round(sum(correct) / sum(totals), 3), "choose",
             layer=layer, pooling=pooling, C=C, features=len(transfer.columns(preset("pretrained", layer=layer,
                                                                                   pooling=pooling))),
             partition=f"kfold_splits(y, 5, SELECT_PARTITION={SELECT_PARTITION})",
             musifeast=round(float((y_pred == y_check).mean()), 3), musifeast_recall=recall,
             musifeast_note="trained on the stratified seed-0 training part; a record, never a choice")


def embed_timing(root: Path, clips: int = 5) -> None:
    """Seconds to embed one 30 s clip (log-mel and network, decoded beforehand), median over ``clips`` clips."""
    torch.set_num_threads(2)
    audio = [decode(c.path, sr=musicnn.SAMPLE_RATE, max_seconds=30.0) for c in list_clips(root).clips[::20][:clips]]
    musicnn.embed(audio[0])
    seconds = []
    for y in audio:
        settle()
        started = time.perf_counter()
        musicnn.embed(y)
        seconds.append(time.perf_counter() - started)
    emit("pretrained_embed_seconds_per_clip", round(float(np.median(seconds)), 3), "<= 1", timed=True,
         each=[round(s, 3) for s in seconds], seconds_of_audio=30, torch_threads=2,
         note="log-mel and the network over 10 patches in one batch; decoding not included")


def cli(*args: str) -> tuple[float, str]:
    """Run ``python -m core ARGS`` in a new process; its wall-clock seconds and standard output."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "core", *args], cwd=REPO, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA / "gtzan-mini")
    parser.add_argument("--check", type=Path, default=DATA / "musifeast-7")
    parser.add_argument("--select", action="store_true", help="score every head tried on SELECT_PARTITION first")
    parser.add_argument("--seeds", default="0,1,2", help="seeds of the stratified split checked on --check")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    embed_timing(args.data)
    settle()
    started = time.perf_counter()
    run_id = classifier.submit_classifier(preset("pretrained", seed=seeds[0]), args.data, args.data.name,
                                     preset="pretrained")
    classifier.run_classifier(run_id)
    emit("pretrained_train_cold_seconds", round(time.perf_counter() - started, 1), "<= 180", timed=True,
         dataset=args.data.name, clips=len(list_clips(args.data).clips), note="empty embedding cache: every clip heard")
    settle()
    started = time.perf_counter()
    warm_id = classifier.submit_classifier(preset("pretrained", seed=seeds[0]), args.data, args.data.name,
                                      preset="pretrained")
    result = classifier.run_classifier(warm_id)
    acc = result["accuracy"]
    emit("pretrained_train_warm_seconds", round(time.perf_counter() - started, 2), "<= 10", timed=True,
         test_accuracy=[round(acc["value"], 3), round(acc["lo"], 3), round(acc["hi"], 3)],
         split=f"stratified 70/15/15, seed {seeds[0]}")
    settle()
    started = time.perf_counter()
    es = load_embeddings(args.data)
    emit("pretrained_cached_reload_clips_per_second", round(len(es.clips) / (time.perf_counter() - started)),
         ">= 1000", timed=True, dataset=args.data.name, clips=len(es.clips))

    X = transfer.clip_vectors(es.embeddings)
    correct, totals = cv(X, es.y, REPORT_PARTITION)
    pooled = intervals.pooled_accuracy(correct, totals)
    emit("pretrained_cv_gtzan_mini", {"value": round(pooled["value"], 3), "lo": round(pooled["lo"], 3),
                                      "hi": round(pooled["hi"], 3), "correct": sum(correct), "n": sum(totals)},
         ">= 0.90", folds=[round(c / t, 3) for c, t in zip(correct, totals)],
         partition=f"kfold_splits(y, 5, REPORT_PARTITION={REPORT_PARTITION})", train_part="each fold's training part")

    song = next(c.path for c in list_clips(args.check).clips if c.label == "Rock")
    settle()
    seconds, out = cli("predict", str(song), "--run", run_id, "--json")
    emit("pretrained_predict_cold_seconds", round(seconds, 2), "<= 3", timed=True,
         file=f"{args.check.name}/{song.name}", top=json.loads(out)["top"][0],
         note="a new process: imports, model load, decode, embed, head")

    accuracies = []
    for i, seed in enumerate(seeds):
        rid = run_id if i == 0 else classifier.submit_classifier(preset("pretrained", seed=seed), args.data,
                                                                 args.data.name, preset="pretrained")
        if i:
            classifier.run_classifier(rid)
        settle()
        seconds, out = cli("evaluate", "--run", rid, "--data", str(args.check), "--json")
        found = json.loads(out)
        acc = found["accuracy"]
        accuracies.append(acc)
        emit(f"pretrained_check_musifeast_seed{seed}", {**{k: round(acc[k], 3) for k in ("value", "lo", "hi")},
                                                        "correct": acc["correct"], "n": acc["n"]},
             ">= 0.55, every recall >= 0.25", seed=seed,
             recall={c["label"]: round(c["recall"], 3) for c in found["per_class"] if c["support"]},
             trained_on=f"{args.data.name}, stratified 70/15/15 split, seed {seed}", checked_on=args.check.name)
        if i < 2:
            emit(f"pretrained_evaluate_{'cold' if i == 0 else 'warm'}_seconds", round(seconds, 1),
                 "<= 180" if i == 0 else "<= 30", timed=True, clips=acc["n"],
                 note="embeddings computed and cached" if i == 0 else "another seed's head: embeddings from the cache")
    emit_over_seeds("pretrained_check_musifeast_seeds", accuracies, seeds, ">= 0.55", checked_on=args.check.name,
                    trained_on=f"{args.data.name}, stratified 70/15/15")

    if args.select:
        select(es, X, load_embeddings(args.check))


if __name__ == "__main__":
    main()
