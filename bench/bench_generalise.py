"""Does the recommended preset learn genre? gtzan-mini → musifeast-7, CV on the report partition, evaluation time.

Prints one JSON line per figure (``figure``, ``value``, ``target``, ``load_average``, ``seconds``, ...):

- ``recommended_musifeast7_accuracy``: a recommended run trained on gtzan-mini (stratified split,
  seed 0) through :mod:`core.orchestration.classifier`, then checked on musifeast-7 by
  :func:`core.usecases.generalise.check`
  (decode → log-mel → model, as the Predict page does); accuracy with its Wilson 95 % interval and
  per-genre recall. Labels map by normalised name (``Hip-hop`` is ``hiphop``).
- ``musifeast7_evaluate_seconds``: wall time of those 147 predictions, decoding included.
- ``recommended_musifeast7_accuracy_seed1``, ``_seed2`` and ``recommended_musifeast7_seeds`` (mean, min, max, ``n``):
  the same check of runs trained on the stratified splits of seeds 1 and 2 (``--seeds``).
The preset's cross-validation on the untouched partition is ``bench_classifier.py``'s figure (pooled over
clips); this script does not repeat it.

``--levers`` instead prints one line per lever of the recommended recipe (each alone, then
combinations): CV on the selection partition (``SELECT_PARTITION``, the one choices are made on) and
musifeast-7 accuracy of the stratified seed-0 run, for reporting only. Musifeast log-mels come from
the feature cache (decoded once by :func:`core.storage.extract.load_features`) and go through
``core.usecases.predict.classify`` with an in-memory predictor: the same framing and normaliser as ``predict``.

    python bench/bench_generalise.py [--threads 1] [--run RUN] [--seeds 0,1,2]
    python bench/bench_generalise.py --levers [--only NAME ...] [--folds 0 1] [--epochs 15]

musifeast-7 is a check, never a training or selection set. Without ../shared/data a line says the
benchmark was skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from common import emit, emit_over_seeds, scratch_dir, settle  # noqa: E402
os.environ.setdefault("GENRELAB_DATA_DIR", scratch_dir())

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.orchestration import check, classifier  # noqa: E402
from core.storage import runs  # noqa: E402
from core.usecases import generalise, predict  # noqa: E402
from core.base.config import preset  # noqa: E402
from core.storage.extract import load_features  # noqa: E402
from core.base.splits import SELECT_PARTITION, kfold_splits, stratified_split  # noqa: E402
from core.compute import scores  # noqa: E402
from core.compute.device import one_thread  # noqa: E402
from core.compute.train import fit, predict_clips, prepare  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
GTZAN_MINI, MUSIFEAST = DATA / "gtzan-mini", DATA / "musifeast-7"

AUDIOMENTATIONS = "audiomentations, 1 copy per training clip"
MAIN = dict(level="absolute", eq_augment=0.0, pitch_augment=0.0, mixup=0.0, conv_channels=0, segment_seconds=3.0)
"""The levers' settings in main's recommended preset before this recipe (each lever changes one)."""
LEVERS: dict[str, dict] = {
    "none (main's recommended levers)": MAIN,
    "level=clip": {**MAIN, "level": "clip"},
    "level=segment": {**MAIN, "level": "segment"},
    "level=band": {**MAIN, "level": "band"},
    "eq_augment=12": {**MAIN, "eq_augment": 12.0},
    "eq_augment=6": {**MAIN, "eq_augment": 6.0},
    "pitch_augment=2": {**MAIN, "pitch_augment": 2.0},
    "mixup=0.4": {**MAIN, "mixup": 0.4},
    "conv_channels=16": {**MAIN, "conv_channels": 16},
    "segment_seconds=6": {**MAIN, "segment_seconds": 6.0},
    AUDIOMENTATIONS: MAIN,
    "level=segment + eq 6 + pitch 2 + mixup 0.4": {**MAIN, "level": "segment", "eq_augment": 6.0,
                                                   "pitch_augment": 2.0, "mixup": 0.4},
    "level=segment + eq 6 + pitch 2 + mixup 0.4 + conv 16": {**MAIN, "level": "segment", "eq_augment": 6.0,
                                                             "pitch_augment": 2.0, "mixup": 0.4, "conv_channels": 16},
}


def summary(result: dict) -> dict:
    """The figures of a :class:`core.compute.scores.ClassificationResult` this benchmark prints (rounded): recall
    of the genres checked."""
    acc = result["accuracy"]
    recall = {c["label"]: round(c["recall"], 3) for c in result["per_class"] if c["support"]}
    return {"accuracy": round(acc["value"], 3), "ci95": [round(acc["lo"], 3), round(acc["hi"], 3)],
            "n": acc["n"], "per_genre_recall": recall, "min_recall": min(recall.values())}


def extra_part(split, fs, copies: list[list[np.ndarray]] | None):
    """The augmented copies of ``split``'s training clips as ``prepare``'s ``extra`` (mels, labels), or None."""
    if copies is None:
        return None
    mels = [m for i in split.train for m in copies[i]]
    return mels, np.concatenate([np.full(len(copies[i]), fs.y[i]) for i in split.train])


def cv(fs, partition: int, folds: list[int], copies=None, **overrides) -> tuple[list[float], list[float], list[float]]:
    """Clip accuracy, wall seconds and CPU seconds (framing + training) of folds ``folds`` of a 5-fold partition.

    ``copies[i]`` (augmented log-mels of clip ``i``) join the training part of every fold that trains on clip ``i``.
    CPU seconds are this process's (all its threads): on a busy machine they say what a fold costs when idle.
    """
    accs, seconds, cpu = [], [], []
    splits = kfold_splits(fs.y, 5, partition)
    for split in (splits[i] for i in folds):
        cfg = preset("recommended", **overrides)
        start, cpu_start = time.perf_counter(), time.process_time()
        data = prepare(fs.mels, fs.y, split, cfg, n_classes=len(fs.labels), extra=extra_part(split, fs, copies))
        model, _ = fit(cfg, data)
        seconds.append(round(time.perf_counter() - start, 1))
        cpu.append(round(time.process_time() - cpu_start, 1))
        accs.append(round(float((predict_clips(model, data.test).argmax(1) == data.test.clip_y).mean()), 3))
        print(f"{split.name}: {accs[-1]:.2f} in {seconds[-1]:.0f} s", file=sys.stderr, flush=True)
    return accs, seconds, cpu


def musifeast_cached(fs, check, copies=None, **overrides) -> dict:
    """Train recommended on gtzan-mini (stratified, seed 0) in memory; score the cached musifeast-7 log-mels
    with :func:`core.usecases.predict.classify` (the model half of every prediction and check)."""
    cfg = preset("recommended", split="stratified", seed=0, **overrides)
    split = stratified_split(fs.y, 0)
    data = prepare(fs.mels, fs.y, split, cfg, n_classes=len(fs.labels), extra=extra_part(split, fs, copies))
    model, _ = fit(cfg, data)
    predictor = predict.Predictor("bench", model.cpu().eval(), data.mean, data.std, fs.labels, cfg)
    match = generalise.match_labels(check.labels, fs.labels)
    with one_thread():
        probs = predict.classify(predictor, [m.astype(np.float32) for m in check.mels])[1]
    y_true = np.array([fs.labels.index(match.used[check.labels[y]]) for y in check.y])
    return summary(scores.classification_result(probs, y_true, [], fs.labels))


AUG_COPIES = 1


def audiomentations_mels(fs, copies: int = AUG_COPIES) -> list[list[np.ndarray]]:
    """``copies`` audio-domain augmented log-mels of every gtzan-mini clip, cached under GENRELAB_DATA_DIR.

    audiomentations 0.43.1 (gain ±12 dB, pitch shift ±2 semitones, time stretch 0.9-1.1, seven-band EQ,
    coloured noise at 20-40 dB SNR), seeded per clip and copy. Not a project dependency: audiomentations
    0.43.1 requires soxr < 1.0 while the project pins soxr 1.1.0, so this lever is measured here only.
    """
    import audiomentations as A

    from core.base.audio import decode
    from core.compute.features import logmel

    chain = A.Compose([A.Gain(-12, 12, p=1.0), A.PitchShift(-2, 2, p=1.0),
                       A.TimeStretch(0.9, 1.1, leave_length_unchanged=True, p=1.0),
                       A.SevenBandParametricEQ(p=0.5), A.AddColorNoise(min_snr_db=20, max_snr_db=40, p=0.3)])
    folder = Path(os.environ["GENRELAB_DATA_DIR"]) / "bench-audiomentations"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for clip, digest in zip(fs.clips, fs.hashes):
        mels = []
        for copy in range(copies):
            path = folder / f"{digest}-{copy}.npy"
            if not path.exists():
                np.random.seed(int(digest[:8], 16) + copy)  # audiomentations draws from numpy's global state
                y = decode(clip.path, fs.cfg.sr)
                np.save(path, logmel(chain(samples=y, sample_rate=fs.cfg.sr), fs.cfg).astype(np.float16))
            mels.append(np.load(path))
        out.append(mels)
    return out


def levers(names: list[str], folds: int, epochs: int | None) -> None:
    fs, check = load_features(GTZAN_MINI), load_features(MUSIFEAST)
    for name in names:
        overrides = dict(LEVERS[name], **({"epochs": epochs} if epochs else {}))
        copies = audiomentations_mels(fs) if name == AUDIOMENTATIONS else None
        accs, secs, cpu = cv(fs, SELECT_PARTITION, folds, copies, **overrides)
        start = time.perf_counter()
        report = musifeast_cached(fs, check, copies, **overrides)
        emit("lever", name, "report", overrides=overrides,
             select_cv={"mean": round(float(np.mean(accs)), 3), "folds": accs,
                        "partition": f"kfold_splits(y, 5, SELECT_PARTITION={SELECT_PARTITION}), folds {folds}"},
             seconds_per_fold=round(float(np.mean(secs)), 1), cpu_seconds_per_fold=round(float(np.mean(cpu)), 1),
             musifeast7=report,
             musifeast_train_seconds=round(time.perf_counter() - start, 1))


def trained_recommended(seed: int) -> str:
    """A recommended run trained on gtzan-mini's stratified split ``seed`` (the Train page's path)."""
    run_id = classifier.submit_classifier(preset("recommended", split="stratified", seed=seed), GTZAN_MINI,
                                          "gtzan-mini", preset="recommended")
    classifier.run_classifier(run_id)
    return run_id


def headline(run_id: str | None = None, seeds: tuple[int, ...] = (0,)) -> None:
    """The check of a recommended run per seed (``run_id`` stands for the first), timed on the first; with more
    than one seed, their mean and range."""
    accuracies = []
    for i, seed in enumerate(seeds):
        start = time.perf_counter()
        rid = run_id if (i == 0 and run_id) else trained_recommended(seed)
        own = runs.result(rid)["accuracy"]
        train_seconds = time.perf_counter() - start
        settle()
        cpu_start = time.process_time()
        result = generalise.check(rid, MUSIFEAST, "musifeast-7")
        cpu = time.process_time() - cpu_start
        report = summary(result)
        accuracies.append(result["accuracy"])
        emit("recommended_musifeast7_accuracy" + (f"_seed{seed}" if i else ""), report["accuracy"],
             ">= 0.40, every genre's recall >= 0.20", **{k: v for k, v in report.items() if k != "accuracy"},
             trained_on=f"gtzan-mini, stratified 70/15/15, seed {seed}", checked_on=result["dataset"]["name"],
             seed=seed,
             own_test_accuracy=round(own["value"], 3), own_test_n=own["n"], train_seconds=round(train_seconds, 1),
             run=rid, path="core.orchestration.classifier.run_classifier, then core.usecases.generalise.check "
                           "(core.usecases.predict.listen + classify)")
        if i == 0:
            emit("musifeast7_evaluate_seconds", round(result["seconds"], 1), "<= 30", timed=True,
                 n_clips=result["accuracy"]["n"], seconds=round(result["seconds"], 1), cpu_seconds=round(cpu, 1),
                 note="core.usecases.generalise.check: decode + log-mel + model, model load included")
    if len(seeds) > 1:
        emit_over_seeds("recommended_musifeast7_seeds", accuracies, seeds, checked_on="musifeast-7",
                        trained_on="gtzan-mini, stratified 70/15/15")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levers", action="store_true", help="per-lever table instead of the headline figures")
    parser.add_argument("--only", nargs="*", default=None, help="lever names to run (default: all)")
    parser.add_argument("--folds", type=int, nargs="*", default=[0, 1, 2, 3, 4],
                        help="indices of the 5-fold partition's folds to run")
    parser.add_argument("--run", default=None, help="musifeast: check this finished run instead of training one")
    parser.add_argument("--epochs", type=int, default=None, help="levers: override the preset's epochs")
    parser.add_argument("--precompute-audiomentations", action="store_true",
                        help="only compute and cache the audiomentations copies of gtzan-mini")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    parser.add_argument("--seeds", default="0,1,2", help="seeds of the stratified split trained and checked")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if not (GTZAN_MINI.is_dir() and MUSIFEAST.is_dir()):
        emit("recommended_musifeast7_accuracy", None, "skipped", note=f"{GTZAN_MINI} or {MUSIFEAST} not found")
        return
    if args.precompute_audiomentations:
        settle()
        start = time.perf_counter()
        audiomentations_mels(load_features(GTZAN_MINI))
        emit("audiomentations_precompute_seconds", round(time.perf_counter() - start, 1), "report", timed=True,
             copies=AUG_COPIES, n_clips=100)
        return
    if args.levers:
        levers(args.only or list(LEVERS), args.folds, args.epochs)
    else:
        headline(args.run, tuple(int(x) for x in args.seeds.split(",")))


if __name__ == "__main__":
    main()
