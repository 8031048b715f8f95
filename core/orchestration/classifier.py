"""Classifier runs: create one (plain, or with a GAN's samples or masked copies in its training part) and train it.

:func:`submit_classifier` writes the run's ``run.json`` (and may queue it); :func:`run_classifier`,
called by the worker (:mod:`.worker`), a grid (:mod:`.experiment`) or a Ray task (:mod:`.cluster`),
trains it and fills its folder. An LSTM run writes ``history.json`` and ``checkpoint.pt`` after every
epoch, ``model.pt`` and ``result.json`` at the end; a classic or pretrained run (:mod:`.onefit`) the same
in one step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..base.config import (MAX_PER_GENRE, ClassicConfig, ClassifierConfig, ConfigError, FeatureConfig,
                           PretrainedConfig, classifier_config, from_dict, to_dict)
from ..base.splits import Split
from ..compute import gan, gan_samples
from ..compute.device import device
from ..compute.models import build_classifier
from ..compute.scores import classification_result
from ..compute.train import Diverged, Part, Prepared, fit, masked_copies, predict_clips, prepare
from ..storage import queue, runs
from ..storage.extract import EmbeddingSet, FeatureSet, SummarySet
from . import onefit
from .context import RunContext, Status, normaliser, resume_state, run_context, save_clips

MODEL_NAMES = {ClassicConfig: "summary features + logistic regression",
               PretrainedConfig: "musicnn ear + logistic regression", ClassifierConfig: "LSTM"}


def submit_classifier(cfg: ClassifierConfig | ClassicConfig | PretrainedConfig, data_root: str | Path, data_name: str,
                      name: str = "",
                      preset: str = "custom", augment: dict | None = None, baseline: str | None = None,
                      enqueue: bool = False) -> str:
    """Create a queued classifier run; with ``enqueue`` also hand it to the background worker
    (:mod:`core.storage.queue`).

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


def check_per_genre(per_genre: int) -> int:
    """``per_genre`` (generated samples per genre for an augmented run) if it lies in 1..:data:`MAX_PER_GENRE`,
    else :class:`ConfigError`."""
    if not 1 <= per_genre <= MAX_PER_GENRE:
        raise ConfigError(f"generated samples per genre must lie between 1 and {MAX_PER_GENRE}, not {per_genre}")
    return per_genre


def submit_augmented(baseline: str, gan_run: str, per_genre: int, name: str = "", enqueue: bool = False) -> str:
    """A queued classifier run like ``baseline`` (config, data, hence split and seed) plus generated samples."""
    check_per_genre(per_genre)
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


def run_classifier(run_id: str, progress: Status | None = None,
                   features: FeatureSet | SummarySet | EmbeddingSet | None = None) -> dict:
    """Train the classifier described by run ``run_id`` and write its folder; returns the result.

    Writes ``history.json`` and ``checkpoint.pt`` after every epoch, so a kill leaves the last good
    epoch, and a resumed run (:func:`.worker.resume`) carries on after it; a cancel request stops
    after the current epoch with status ``cancelled``. A classic or pretrained run goes to :mod:`.onefit`.
    ``features`` are what the run reads of the dataset (:func:`.execute.inputs`: log-mels, summary vectors or
    the pretrained ear's patch features), when the caller has them (a Ray task has no dataset folder);
    otherwise they are loaded from the run's dataset folder.
    """
    kind = type(classifier_config(runs.load(run_id)["config"]))
    if kind in onefit.RUNNERS:
        return onefit.RUNNERS[kind](run_id, progress, features)
    with run_context(run_id, progress, (Diverged, gan.IncompatibleCheckpoint), device=str(device())) as ctx:
        cfg = from_dict(ClassifierConfig, ctx.record["config"])
        saved = resume_state(run_id)
        fs, split = ctx.split_data(features, cfg.split, cfg.seed)
        save_clips(run_id, fs, split)
        data = prepare_data(fs, split, cfg, FeatureConfig(), ctx.record.get("augment"))
        runs.update(run_id, train_inputs=len(data.train.x))
        model = _fit(ctx, cfg, data, saved)
        runs.save_tensors(run_id, "model", {"state_dict": model.state_dict(), **normaliser(data),
                                            "labels": list(fs.labels), "config": to_dict(cfg)})
        result = classification_result(predict_clips(model, data.test), data.test.clip_y,
                                       [fs.keys[i] for i in split.test], fs.labels)
        result["embedding_dim"] = model.out.in_features
        runs.write_json(ctx.folder / "result.json", result)
        ctx.lifecycle.final["train_seconds"] = round(ctx.elapsed(), 2)
        return result


def _fit(ctx: RunContext, cfg: ClassifierConfig, data: Prepared, saved: dict | None) -> nn.Module:
    """Train on ``data`` (from ``saved``, a checkpoint, if given), writing history and checkpoint every epoch;
    returns the chosen weights on the CPU, or on a cancel request the last checkpoint's (the run ends cancelled)."""
    history: list[dict] = list(saved["history"]) if saved else []
    ctx.start(first=len(history))

    def save(state: dict) -> None:
        runs.save_tensors(ctx.id, "checkpoint", {**state, **normaliser(data)})

    def on_epoch(epoch: int, metrics: dict, model, is_best: bool) -> None:
        history.append(metrics)
        runs.write_json(ctx.folder / "history.json", history)
        ctx.report(epoch, cfg.epochs, metrics=metrics)

    try:
        model, _ = fit(cfg, data, on_epoch, checkpoint=save, resume=saved)
    except runs.Cancelled:
        model = build_classifier(cfg, data.train.x.shape[2], data.n_classes)
        model.load_state_dict(runs.load_tensors(ctx.folder / "checkpoint.pt")["state_dict"])
        ctx.cancelled()
    return model.cpu()
