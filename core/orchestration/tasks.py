"""What a background job does: load the data, train, and write everything to the run folder.

Each ``run_*`` function takes a run id whose ``run.json`` was written by :func:`submit_classifier`
(or the GAN equivalent) and fills that folder. They are called by the worker in :mod:`.worker`
and, in the foreground, by the CLI.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..compute import classic, evaluate, gan, gan_samples, quality, transfer
from ..storage import queue, runs
from ..usecases import generalise, predict
from ..base.config import (MAX_PER_GENRE, ClassicConfig, ClassifierConfig, ConfigError, FeatureConfig, GANConfig,
                           PretrainedConfig, classifier_config, from_dict, to_dict)
from ..base.datasets import DatasetError, list_clips
from ..compute.device import device
from ..storage.extract import EmbeddingSet, FeatureSet, SummarySet, load_embeddings, load_features, load_summaries
from ..compute.models import build_classifier
from ..base.splits import Split, make_split
from ..compute.train import Diverged, Part, Prepared, fit, masked_copies, predict_clips, prepare


Status = Callable[[dict], None]


MODEL_NAMES = {ClassicConfig: "summary features + logistic regression",
               PretrainedConfig: "musicnn ear + logistic regression", ClassifierConfig: "LSTM"}


def dataset_info(fs: FeatureSet | SummarySet | EmbeddingSet, name: str) -> dict:
    """What a run records about the data it was trained on."""
    return {"name": name, "root": str(fs.root), "fingerprint": fs.fingerprint, "layout": fs.layout,
            "labels": list(fs.labels), "n_clips": len(fs.clips)}


def save_clips(run_id: str, data: FeatureSet | SummarySet | EmbeddingSet, split: Split) -> None:
    """Keep the content digests of the run's training, validation and test clips (what a check compares with)."""
    runs.save_clips(run_id, {part: [data.hashes[i] for i in getattr(split, part)] for part in runs.SPLIT_PARTS})


def submit_classifier(cfg: ClassifierConfig | ClassicConfig | PretrainedConfig, data_root: str | Path, data_name: str,
                      name: str = "",
                      preset: str = "custom", augment: dict | None = None, baseline: str | None = None,
                      enqueue: bool = False) -> str:
    """Create a queued classifier run; with ``enqueue`` also hand it to the background worker (:mod:`core.storage.queue`).

    ``augment`` (``{"gan_run": id, "per_genre": n}``) adds ``n`` generated samples per genre from a
    GAN run to the training part (see :func:`prepare_data`); ``baseline`` links the run it is compared with.
    """
    title = name or f"{preset} {MODEL_NAMES[type(cfg)]} on {data_name}, seed {cfg.seed}"
    links = {k: v for k, v in (("augment", augment), ("baseline", baseline)) if v is not None}
    run_id = runs.create("clf", title, to_dict(cfg), preset=preset,
                         dataset={"name": data_name, "root": str(data_root)}, **links)
    if enqueue:
        queue.enqueue(run_id, "classifier")
    return run_id


def classification_result(probs: np.ndarray, y_true: np.ndarray, keys: list[str], labels: tuple[str, ...]) -> dict:
    """Everything shown about a test set: accuracy with its 95 % interval, confusion, per-class scores."""
    pred = probs.argmax(1)
    correct = int((pred == y_true).sum())
    acc, lo, hi = evaluate.accuracy_interval(correct, len(y_true))
    return {"accuracy": {"value": acc, "lo": lo, "hi": hi, "correct": correct, "n": int(len(y_true))},
            "labels": list(labels), "keys": keys, "y_true": y_true.tolist(), "y_pred": pred.tolist(),
            "probs": np.round(probs, 5).tolist(),
            "confusion": evaluate.confusion(y_true, pred, len(labels)).tolist(),
            "per_class": evaluate.per_class_report(y_true, pred, list(labels))}


def _normaliser(data) -> dict:
    return {"mean": torch.from_numpy(data.mean), "std": torch.from_numpy(data.std)}


def resume_state(run_id: str) -> dict | None:
    """A run's ``checkpoint.pt`` if training can carry on from it, else None (start at epoch 1).

    A classifier's checkpoint is its training state (with ``optimizer``); a GAN's holds it under
    ``train_state``. Checkpoints written before they held the optimisers' state cannot be continued
    exactly, so those runs start again.
    """
    path = runs.run_path(run_id) / "checkpoint.pt"
    if not path.exists():
        return None
    saved = runs.load_tensors(path)
    return saved if "optimizer" in saved or "train_state" in saved else None


def run_classifier(run_id: str, progress: Status | None = None, features: FeatureSet | None = None) -> dict:
    """Train the classifier described by run ``run_id`` and write its folder; returns the result.

    Writes ``history.json`` and ``checkpoint.pt`` after every epoch, so a kill leaves the last good
    epoch, and a resumed run (:func:`.worker.resume`) carries on after it; a cancel request stops
    after the current epoch with status ``cancelled``. A classic run goes to :func:`run_classic`, a pretrained
    one to :func:`run_pretrained`.
    ``features`` are the dataset's, when the caller has them (a Ray task has no dataset folder);
    otherwise they are loaded from the run's dataset folder.
    """
    kind = type(classifier_config(runs.load(run_id)["config"]))
    if kind is not ClassifierConfig:
        return {ClassicConfig: run_classic, PretrainedConfig: run_pretrained}[kind](run_id, progress)
    with runs.running(run_id, plain_errors=(Diverged, gan.IncompatibleCheckpoint), device=str(device())) as run:
        cfg = from_dict(ClassifierConfig, run.record["config"])
        fcfg = FeatureConfig()
        saved = resume_state(run_id)
        fs = features or load_features(run.record["dataset"]["root"], fcfg)
        split = make_split(cfg.split, fs.y, fs.keys, cfg.seed)
        runs.update(run_id, dataset={**dataset_info(fs, run.record["dataset"]["name"])}, split=split.to_dict(),
                    split_name=split.name)
        save_clips(run_id, fs, split)
        data = prepare_data(fs, split, cfg, fcfg, run.record.get("augment"))
        runs.update(run_id, train_inputs=len(data.train.x))
        history: list[dict] = list(saved["history"]) if saved else []
        first = len(history)
        started = time.perf_counter()

        def save(state: dict) -> None:
            runs.save_tensors(run_id, "checkpoint", {**state, **_normaliser(data)})

        def on_epoch(epoch: int, metrics: dict, model, is_best: bool) -> None:
            history.append(metrics)
            runs.write_json(runs.run_path(run_id) / "history.json", history)
            elapsed = time.perf_counter() - started
            eta = elapsed / (epoch - first) * (cfg.epochs - epoch)
            runs.update(run_id, progress={"epoch": epoch, "epochs": cfg.epochs, "eta_seconds": eta})
            if progress:
                progress({"epoch": epoch, "epochs": cfg.epochs, "eta_seconds": eta, **metrics})
            run.check_cancel()

        try:
            model, history = fit(cfg, data, on_epoch, checkpoint=save, resume=saved)
        except runs.Cancelled:
            ckpt = runs.load_tensors(runs.run_path(run_id) / "checkpoint.pt")
            model = build_classifier(cfg, data.train.x.shape[2], data.n_classes)
            model.load_state_dict(ckpt["state_dict"])
            run.status = "cancelled"
        model = model.cpu()
        runs.save_tensors(run_id, "model", {"state_dict": model.state_dict(), **_normaliser(data),
                                            "labels": list(fs.labels), "config": to_dict(cfg)})
        result = classification_result(predict_clips(model, data.test), data.test.clip_y,
                                       [fs.keys[i] for i in split.test], fs.labels)
        result["embedding_dim"] = model.out.in_features
        runs.write_json(runs.run_path(run_id) / "result.json", result)
        run.final["train_seconds"] = round(time.perf_counter() - started, 2)
        return result


def run_classic(run_id: str, progress: Status | None = None) -> dict:
    """Fit the classic classifier of run ``run_id`` (:mod:`.classic`) and write its folder like an LSTM run's.

    Summary vectors come from the cache (:func:`core.storage.extract.load_summaries`). The fit is one step, so
    ``history.json`` holds one "epoch" (training and validation loss and accuracy) and there is no
    checkpoint; ``model.pt`` holds :func:`core.compute.classic.to_tensors` with the labels and config.
    """
    with runs.running(run_id, device="cpu") as run:
        cfg = from_dict(ClassicConfig, run.record["config"])
        ss = load_summaries(run.record["dataset"]["root"])
        started = time.perf_counter()
        split = make_split(cfg.split, ss.y, ss.keys, cfg.seed)
        runs.update(run_id, dataset=dataset_info(ss, run.record["dataset"]["name"]), split=split.to_dict(),
                    split_name=split.name, train_inputs=len(split.train))
        save_clips(run_id, ss, split)
        run.check_cancel()
        model = classic.fit(cfg, ss.x[split.train], ss.y[split.train], len(ss.labels))
        metrics = {"epoch": 1, **classic.metrics(model, ss.x[split.train], ss.y[split.train], "train"),
                   **classic.metrics(model, ss.x[split.val], ss.y[split.val], "val")}
        runs.write_json(runs.run_path(run_id) / "history.json", [metrics])
        runs.update(run_id, progress={"epoch": 1, "epochs": 1, "eta_seconds": 0.0})
        if progress:
            progress({"epoch": 1, "epochs": 1, "eta_seconds": 0.0, **metrics})
        runs.save_tensors(run_id, "model", {**classic.to_tensors(model), "labels": list(ss.labels),
                                            "config": to_dict(cfg)})
        result = classification_result(classic.probabilities(model, ss.x[split.test]), ss.y[split.test],
                                       [ss.keys[i] for i in split.test], ss.labels)
        runs.write_json(runs.run_path(run_id) / "result.json", result)
        run.final["train_seconds"] = round(time.perf_counter() - started, 2)
        return result


def run_pretrained(run_id: str, progress: Status | None = None) -> dict:
    """Fit the pretrained-ear classifier of run ``run_id`` (:mod:`core.compute.transfer`) and write its folder like a
    classic run's.

    The frozen network's patch features come from the cache (:func:`core.storage.extract.load_embeddings`), so only
    clips it has never heard are run through it, with progress phase ``"embed"`` counting them; the head is
    one fit. ``model.pt`` holds :func:`core.compute.classic.to_tensors` of the head with the labels and config.
    """
    with runs.running(run_id, device="cpu") as run:
        cfg = from_dict(PretrainedConfig, run.record["config"])
        started = time.perf_counter()

        def listened(done: int, total: int) -> None:
            eta = (time.perf_counter() - started) / done * (total - done)
            runs.update(run_id, progress={"phase": "embed", "epoch": done, "epochs": total, "eta_seconds": eta})
            if progress:
                progress({"phase": "embed", "epoch": done, "epochs": total, "eta_seconds": eta})
            if done % 8 == 0 or done == total:
                run.check_cancel()

        es = load_embeddings(run.record["dataset"]["root"], progress=listened)
        X = transfer.clip_vectors(es.embeddings)
        split = make_split(cfg.split, es.y, es.keys, cfg.seed)
        runs.update(run_id, dataset=dataset_info(es, run.record["dataset"]["name"]), split=split.to_dict(),
                    split_name=split.name, train_inputs=len(split.train))
        run.check_cancel()
        fitted = time.perf_counter()
        model = transfer.fit(cfg, X[split.train], es.y[split.train], len(es.labels))
        vocabulary = transfer.vocabulary()
        metrics = {"epoch": 1, **classic.metrics(model, X[split.train], es.y[split.train], "train", vocabulary),
                   **classic.metrics(model, X[split.val], es.y[split.val], "val", vocabulary)}
        runs.write_json(runs.run_path(run_id) / "history.json", [metrics])
        runs.update(run_id, progress={"epoch": 1, "epochs": 1, "eta_seconds": 0.0})
        if progress:
            progress({"epoch": 1, "epochs": 1, "eta_seconds": 0.0, **metrics})
        runs.save_tensors(run_id, "model", {**classic.to_tensors(model), "labels": list(es.labels),
                                            "config": to_dict(cfg)})
        result = classification_result(transfer.probabilities(model, X[split.test]), es.y[split.test],
                                       [es.keys[i] for i in split.test], es.labels)
        runs.write_json(runs.run_path(run_id) / "result.json", result)
        run.final.update(train_seconds=round(time.perf_counter() - started, 2),
                         fit_seconds=round(time.perf_counter() - fitted, 2))
        return result


def execute(kind: str, run_id: str, progress: Status | None = None, features: FeatureSet | None = None) -> dict:
    """Train run ``run_id`` of job ``kind`` (``"classifier"`` or ``"gan"``) in this process's data folder.

    The one way a child run of an experiment is trained, by the local runner and inside a Ray task
    (:mod:`core.orchestration.cluster`) alike; ``features`` as in :func:`run_classifier`. Returns the run's result.
    """
    run = {"classifier": run_classifier, "gan": run_gan}[kind]
    return run(run_id, progress=progress, **({} if features is None else {"features": features}))


# --------------------------------------------------------------------------- augmentation

def _append(part: Part, x: np.ndarray, y: np.ndarray) -> Part:
    """``part`` with inputs ``x`` (n, steps, n_mels) labelled ``y`` added, each as a clip of its own."""
    first = len(part.clip_y)
    return Part(torch.cat([part.x, torch.from_numpy(x)]), torch.cat([part.y, torch.from_numpy(y)]),
                torch.cat([part.clip, torch.arange(first, first + len(y))]), np.concatenate([part.clip_y, y]))


def prepare_data(fs: FeatureSet, split: Split, cfg: ClassifierConfig, fcfg: FeatureConfig,
                 augment: dict | None = None) -> Prepared:
    """A classifier's three parts; with ``augment`` (``{"gan_run", "per_genre"}``) generated samples join training.

    ``augment = {"masked_copies": n}`` adds ``n`` SpecAugment-masked copies of real training inputs
    per genre instead (:func:`core.compute.train.masked_copies`), the classic-augmentation control.

    The GAN must have learnt from exactly this classifier's training clips (same dataset, split and
    seed), otherwise its samples could carry validation or test clips into training. Conditional
    samples are dB log-mels and enter :func:`core.compute.train.prepare` like real clips; paper samples are
    appended as they left the generator, as in the study (see :func:`core.compute.gan_samples.samples_from`).
    """
    if not augment:
        return prepare(fs.mels, fs.y, split, cfg, fcfg, n_classes=len(fs.labels))
    if "masked_copies" in augment:
        data = prepare(fs.mels, fs.y, split, cfg, fcfg, n_classes=len(fs.labels))
        data.train = _append(data.train, *masked_copies(data.train, int(augment["masked_copies"]), cfg.seed))
        return data
    source = runs.load(augment["gan_run"])
    if (source.get("dataset", {}).get("fingerprint") != fs.fingerprint
            or source.get("split", {}).get("train") != split.train.tolist()):
        raise ValueError(f"GAN run {source['name']!r} learnt from other training clips than this classifier "
                         f"({source.get('split_name', '?')} vs {split.name}): "
                         "train the GAN with the same split and seed")
    samples = gan_samples.samples_from(*runs.load_generator(augment["gan_run"]), int(augment["per_genre"]),
                                       seed=cfg.seed)
    if samples.mels is not None:
        return prepare(fs.mels, fs.y, split, cfg, fcfg, n_classes=len(fs.labels), extra=(samples.mels, samples.y))
    data = prepare(fs.mels, fs.y, split, cfg, fcfg, n_classes=len(fs.labels))
    if samples.x.shape[1:] != data.train.x.shape[1:]:
        raise ValueError(f"the paper GAN's samples are {samples.x.shape[1:]} inputs but this classifier reads "
                         f"{tuple(data.train.x.shape[1:])}: use the paper framing (first_frames, time_pool 1)")
    data.train = _append(data.train, samples.x, samples.y)
    return data


def submit_augmented(baseline: str, gan_run: str, per_genre: int, name: str = "", enqueue: bool = False) -> str:
    """A queued classifier run like ``baseline`` (config, data, hence split and seed) plus generated samples."""
    if not 1 <= per_genre <= MAX_PER_GENRE:
        raise ConfigError(f"generated samples per genre must lie between 1 and {MAX_PER_GENRE}, not {per_genre}")
    base = runs.load(baseline)
    source = runs.load(gan_run)
    title = name or f"{base['name']} + {per_genre}/genre from {source['name']}"
    return submit_classifier(from_dict(ClassifierConfig, base["config"]), base["dataset"]["root"],
                             base["dataset"]["name"], title, base.get("preset", "custom"),
                             augment={"gan_run": gan_run, "per_genre": int(per_genre)}, baseline=baseline,
                             enqueue=enqueue)


def submit_augmentation(cfg: ClassifierConfig, gan_run: str, per_genre: int, preset: str = "custom",
                        enqueue: bool = False) -> tuple[str, str]:
    """A baseline classifier with config ``cfg`` on GAN run ``gan_run``'s data, and the same classifier augmented.

    The baseline is the newest unaugmented run with exactly ``cfg`` on that dataset
    (:func:`core.storage.runs.baseline_for`, queued and running ones included), or a new one. The augmented
    run adds ``per_genre`` samples per genre from ``gan_run`` (see :func:`submit_augmented`); ``cfg``
    must share the GAN's split and seed (:func:`core.compute.gan_samples.augment_settings`). Returns the ids
    ``(baseline, augmented)``; with ``enqueue`` the new runs are handed to the background worker.
    """
    data = runs.load(gan_run)["dataset"]
    baseline = runs.baseline_for(cfg, data["root"])
    if baseline is None:
        baseline = submit_classifier(cfg, data["root"], data["name"], preset=preset, enqueue=enqueue)
    return baseline, submit_augmented(baseline, gan_run, per_genre, enqueue=enqueue)


# --------------------------------------------------------------------------- GAN runs

QUALITY_PER_GENRE = 50  # generated samples per genre measured in result.json
TRACK_PER_GENRE = 10  # fixed-noise samples per genre classified after every epoch (the first is the snapshot)


def submit_gan(cfg: GANConfig, data_root: str | Path, data_name: str, name: str = "", preset: str = "custom",
               enqueue: bool = False) -> str:
    """Create a queued GAN run (kind ``gan``); with ``enqueue`` also hand it to the background worker."""
    title = name or f"{preset} GAN on {data_name}, seed {cfg.seed}"
    run_id = runs.create("gan", title, to_dict(cfg), preset=preset,
                         dataset={"name": data_name, "root": str(data_root)})
    if enqueue:
        queue.enqueue(run_id, "gan")
    return run_id


def _reference(run_id: str, cfg: ClassifierConfig, data: Prepared, fs: FeatureSet, split: Split, on_epoch) -> tuple:
    """The GAN run's reference classifier and a dict of its test accuracy and source, cached as ``reference.pt``.

    Taken from ``reference.pt`` if present, else from a finished classifier run with the same
    config, data and split (e.g. an experiment's baseline), else trained on ``data`` now.
    """
    path = runs.run_path(run_id) / "reference.pt"
    model = build_classifier(cfg, data.train.x.shape[2], data.n_classes)
    if path.exists():
        saved = runs.load_tensors(path)
        model.load_state_dict(saved["state_dict"])
        return model.eval(), saved["reference"]
    twin = runs.baseline_for(cfg, fs.root, done_only=True)
    if twin and runs.load(twin)["split"]["train"] != split.train.tolist():  # the folder's content changed since
        twin = None
    if twin:
        model.load_state_dict(runs.load_tensors(runs.run_path(twin) / "model.pt")["state_dict"])
        accuracy = runs.result(twin)["accuracy"]
    else:
        model, _ = fit(cfg, data, on_epoch)
        model = model.cpu()
        accuracy = classification_result(predict_clips(model, data.test), data.test.clip_y, [], fs.labels)["accuracy"]
    info = {"accuracy": accuracy, "run": twin or run_id}
    runs.save_tensors(run_id, "reference", {"state_dict": model.state_dict(), **_normaliser(data),
                                            "config": to_dict(cfg), "reference": info})
    return model.eval(), info


def run_gan(run_id: str, progress: Status | None = None, features: FeatureSet | None = None) -> dict:
    """Train the GAN described by run ``run_id`` and measure its samples; returns ``result.json``.

    ``features`` as in :func:`run_classifier`.
    First a reference classifier (the judge of the samples, see :mod:`core.compute.quality`) is trained on
    the same training clips, or reloaded from ``reference.pt``; then the GAN, writing after every
    epoch ``history.json`` (losses, mean scores and ``fidelity`` of fixed-noise samples),
    ``checkpoint.pt`` (generator, discriminator, normaliser) and ``samples/<epoch>.pt`` (one
    fixed-noise sample per genre). ``model.pt`` is the last epoch's checkpoint. Progress carries
    ``phase`` (``"reference"``, ``"gan"``, then ``"quality"`` while the samples are measured; see
    :mod:`core.base.progress`), ``epoch`` and ``epochs``; a cancel request stops
    after the current epoch with status ``cancelled``, measuring the last finished GAN epoch.
    """
    with runs.running(run_id, plain_errors=(Diverged, gan.IncompatibleCheckpoint), device=str(device())) as run:
        cfg = from_dict(GANConfig, run.record["config"])
        ref_cfg = gan.data_config(cfg)
        fcfg = FeatureConfig()
        folder = runs.run_path(run_id)
        fs = features or load_features(run.record["dataset"]["root"], fcfg)
        split = make_split(ref_cfg.split, fs.y, fs.keys, cfg.seed)
        runs.update(run_id, dataset=dataset_info(fs, run.record["dataset"]["name"]), split=split.to_dict(),
                    split_name=split.name)
        data = prepare(fs.mels, fs.y, split, ref_cfg, fcfg, n_classes=len(fs.labels))
        n_classes = data.n_classes

        def report(phase: str, epoch: int, epochs: int, started: float, metrics: dict, first: int = 0) -> None:
            eta = (time.perf_counter() - started) / (epoch - first) * (epochs - epoch)
            info = {"phase": phase, "epoch": epoch, "epochs": epochs, "eta_seconds": eta}
            runs.update(run_id, progress=info)
            if progress:
                progress({**info, **metrics})
            run.check_cancel()

        try:
            started = time.perf_counter()
            reference, ref_info = _reference(run_id, ref_cfg, data, fs, split, lambda epoch, metrics, *_: report(
                "reference", epoch, ref_cfg.epochs, started, metrics))
            runs.update(run_id, reference_seconds=round(time.perf_counter() - started, 2))
            if cfg.model == "paper":
                x, y = gan.paper_inputs([fs.mels[i] for i in split.train], cfg), fs.y[split.train]
            else:
                x, y = gan.to_unit(data.train.x.numpy(), cfg.scale), data.train.y.numpy()
            tracked = gan.assigned_labels(n_classes, TRACK_PER_GENRE)
            saved = (resume_state(run_id) or {}).get("train_state")
            history: list[dict] = runs.history(run_id)[:len(saved["history"])] if saved else []
            first = len(history)
            state: dict = {}
            started = time.perf_counter()

            def on_epoch(epoch: int, metrics: dict, G, D) -> None:
                snap = gan_samples.Samples(gan.sample(G, tracked, cfg.z_dim, cfg.seed), tracked, None, cfg.model)
                pred = quality.predictions(reference, quality.reference_inputs(snap, data.mean, data.std, cfg.scale))
                history.append({**metrics, "fidelity": float(np.mean(pred == tracked))})
                runs.write_json(folder / "history.json", history)
                runs.save_snapshot(run_id, epoch, snap.x[::TRACK_PER_GENRE])
                runs.save_tensors(run_id, "checkpoint", {
                    "state_dict": G.state_dict(), "discriminator": D.state_dict(), "epoch": epoch,
                    "config": to_dict(cfg), "labels": list(fs.labels), "steps": x.shape[1], "n_mels": x.shape[2],
                    **_normaliser(data), "train_state": state})
                report("gan", epoch, cfg.epochs, started, history[-1], first)

            gan.fit(cfg, x, y, n_classes, on_epoch, checkpoint=state.update, resume=saved)
        except runs.Cancelled:
            run.status = "cancelled"
        train_seconds = round(time.perf_counter() - started, 2)
        if not (folder / "checkpoint.pt").exists():
            return {}
        G, saved = runs.load_generator(run_id, "checkpoint")
        saved.pop("train_state", None)
        runs.save_tensors(run_id, "model", saved)
        measuring = {"phase": "quality", "epoch": saved["epoch"], "epochs": cfg.epochs, "eta_seconds": 0.0}
        runs.update(run_id, progress=measuring)
        if progress:
            progress(measuring)
        samples = gan_samples.samples_from(G, saved, QUALITY_PER_GENRE, cfg.seed)
        gen = quality.reference_inputs(samples, data.mean, data.std, cfg.scale)
        result = {"model": cfg.model, "labels": list(fs.labels), "epoch": saved["epoch"],
                  "per_genre": QUALITY_PER_GENRE, "reference": ref_info,
                  "ranges": {"real": [float(x.min()), float(x.max())],
                             "generated": [float(samples.x.min()), float(samples.x.max())]},
                  **quality.report(reference, gen, samples.y, data.train, data.val, n_classes, cfg.seed)}
        started = time.perf_counter()

        def tstr_progress(epoch: int, *_) -> None:
            eta = (time.perf_counter() - started) / epoch * (ref_cfg.epochs - epoch)
            runs.update(run_id, progress={"phase": "tstr", "epoch": epoch, "epochs": ref_cfg.epochs,
                                          "eta_seconds": eta})

        result.update(quality.train_on_samples(G, cfg, ref_cfg, data, ref_info["accuracy"]["value"], reference,
                                               tstr_progress))
        result["tstr"]["seconds"] = round(time.perf_counter() - started, 2)
        if cfg.model == "paper":
            rescaled = quality.reference_inputs(samples, data.mean, data.std, cfg.scale, rescale=True)
            result["fidelity_rescaled"] = quality.fidelity(quality.predictions(reference, rescaled), samples.y,
                                                           n_classes)
        runs.write_json(folder / "result.json", result)
        run.final["train_seconds"] = train_seconds
        return result


# --------------------------------------------------------------------------- checks on other datasets

def submit_check(run_id: str, data_root: str | Path, data_name: str, mapping: dict[str, str] | None = None,
                 enqueue: bool = False) -> str:
    """Create a queued check of classifier run ``run_id`` on another dataset (kind ``chk``, job kind ``"check"``);
    with ``enqueue`` also hand it to the background worker.

    The genres are matched first, so a dataset that is not one, or shares no genre with the model, raises
    :class:`core.base.datasets.DatasetError` or :class:`core.usecases.generalise.LabelError` before anything is queued.
    """
    source = runs.load(run_id)
    labels = generalise.match_labels(list_clips(data_root).labels, predict.load_model(run_id).labels, mapping)
    check_id = runs.create("chk", f"{source['name']}, checked on {data_name}", {"run": run_id, "map": mapping or {}},
                           dataset={"name": data_name, "root": str(data_root)}, labels_used=labels.used)
    if enqueue:
        queue.enqueue(check_id, "check")
    return check_id


CHECK_ERRORS = (DatasetError, generalise.LabelError, runs.RunError)
"""Expected failures of a check, recorded as their message alone (it names no server path)."""


def run_check(check_id: str, progress: Callable[[int, int], None] | None = None) -> dict:
    """Run the check ``check_id`` describes and keep its result in the classifier's run folder
    (:func:`core.usecases.generalise.save`); returns it, or ``{}`` when cancelled. Progress is
    ``{"clips": done, "total": total}`` in ``run.json``; a cancel request stops before the next clip.
    """
    result: dict = {}
    with runs.running(check_id, plain_errors=CHECK_ERRORS, progress={"clips": 0, "total": 0}) as run:
        cfg = run.record["config"]

        def report(done: int, total: int) -> None:
            runs.update(check_id, progress={"clips": done, "total": total})
            if progress:
                progress(done, total)
            run.check_cancel()

        result = generalise.check(cfg["run"], run.record["dataset"]["root"], run.record["dataset"]["name"],
                                  cfg["map"], report)
        generalise.save(result)
        run.final.update(fingerprint=result["dataset"]["fingerprint"], train_seconds=result["seconds"])
    return result
