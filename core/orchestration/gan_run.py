"""GAN runs: create one, and run it phase by phase (:class:`core.base.progress.Phase`).

:func:`run_gan` first gets the run's reference classifier (the judge of the samples, see
:mod:`core.compute.quality`): reloaded from ``reference.pt``, taken from a finished classifier run
with the same config, data and split, or trained now. Then the GAN trains, writing after every epoch
``history.json`` (losses, mean scores and ``fidelity`` of fixed-noise samples) and ``samples/<epoch>.pt`` (one
fixed-noise sample per genre), and ``checkpoint.pt`` (generator, discriminator, normaliser, training state) after
the first and the last epoch, when the run stops, and in between as often as :func:`checkpoint_due` allows.
Last, the samples of the last finished epoch (``model.pt``) are measured, ending with a classifier
trained on them (TSTR), into ``result.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from torch import nn

from ..base.config import ClassifierConfig, FeatureConfig, GANConfig, from_dict, to_dict
from ..base.progress import Phase
from ..base.splits import Split
from ..compute import gan, gan_samples, gan_train, quality
from ..compute.device import device
from ..compute.models import build_classifier
from ..compute.scores import classification_result
from ..compute.train import Diverged, Prepared, fit, predict_clips, prepare
from ..storage import queue, runs
from ..storage.extract import FeatureSet
from .context import RunContext, Status, normaliser, resume_state, run_context

QUALITY_PER_GENRE = 50  # generated samples per genre measured in result.json
TRACK_PER_GENRE = 10  # fixed-noise samples per genre classified after every epoch (the first is the snapshot)
CHECKPOINT_SHARE = 0.05
"""The most of a GAN's training time that writing ``checkpoint.pt`` may take (the paper GAN's, with both
optimisers' state, is 420 MB: about 0.7 s a write, against 2-3 s an epoch on this 2-core CPU)."""


def submit_gan(cfg: GANConfig, data_root: str | Path, data_name: str, name: str = "", preset: str = "custom",
               enqueue: bool = False) -> str:
    """Create a queued GAN run (kind ``gan``); with ``enqueue`` also hand it to the background worker."""
    title = name or f"{preset} GAN on {data_name}, seed {cfg.seed}"
    run_id = runs.create("gan", title, to_dict(cfg), preset=preset,
                         dataset={"name": data_name, "root": str(data_root)})
    if enqueue:
        queue.enqueue(run_id, "gan")
    return run_id


def run_gan(run_id: str, progress: Status | None = None, features: FeatureSet | None = None) -> dict:
    """Train the GAN described by run ``run_id`` and measure its samples; returns ``result.json`` (``{}`` when
    cancelled before its first epoch).

    ``features`` as in :func:`core.orchestration.classifier.run_classifier`. Progress carries ``phase``,
    ``epoch`` and ``epochs``; a cancel request stops after the current epoch with status ``cancelled``,
    measuring the last finished GAN epoch.
    """
    with run_context(run_id, progress, (Diverged, gan.IncompatibleCheckpoint), device=str(device())) as ctx:
        cfg = from_dict(GANConfig, ctx.record["config"])
        ref_cfg = gan.data_config(cfg)
        fs, split = ctx.split_data(features, ref_cfg.split, cfg.seed)
        data = prepare(fs.mels, fs.y, split, ref_cfg, FeatureConfig(), n_classes=len(fs.labels))
        try:
            reference, ref_info = _reference_phase(ctx, ref_cfg, data, fs, split)
            x, y = _inputs(cfg, data, fs, split)
            _train(ctx, cfg, data, x, y, reference, fs.labels)
        except runs.Cancelled:
            ctx.cancelled()
        train_seconds = round(ctx.elapsed(), 2)
        if not (ctx.folder / "checkpoint.pt").exists():
            return {}
        result = _measure(ctx, cfg, ref_cfg, data, x, reference, ref_info, fs.labels)
        ctx.lifecycle.final["train_seconds"] = train_seconds
        return result


def _reference_phase(ctx: RunContext, cfg: ClassifierConfig, data: Prepared, fs: FeatureSet,
                     split: Split) -> tuple[nn.Module, dict]:
    """:func:`_reference`, reporting its epochs as :attr:`Phase.REFERENCE` and recording how long it took."""
    ctx.start()
    found = _reference(ctx.id, cfg, data, fs, split,
                       lambda epoch, metrics, *_: ctx.report(epoch, cfg.epochs, Phase.REFERENCE, metrics))
    runs.update(ctx.id, reference_seconds=round(ctx.elapsed(), 2))
    return found


def _reference(run_id: str, cfg: ClassifierConfig, data: Prepared, fs: FeatureSet, split: Split,
               on_epoch) -> tuple[nn.Module, dict]:
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
    runs.save_tensors(run_id, "reference", {"state_dict": model.state_dict(), **normaliser(data),
                                            "config": to_dict(cfg), "reference": info})
    return model.eval(), info


def _inputs(cfg: GANConfig, data: Prepared, fs: FeatureSet, split: Split) -> tuple[np.ndarray, np.ndarray]:
    """The GAN's training inputs and labels: the paper GAN's framing of the training clips, or the conditional
    GAN's tanh-range copies of the reference's normalised training inputs."""
    if cfg.model == "paper":
        return gan.paper_inputs([fs.mels[i] for i in split.train], cfg), fs.y[split.train]
    return gan.to_unit(data.train.x.numpy(), cfg.scale), data.train.y.numpy()


def checkpoint_due(idle_seconds: float, write_seconds: float | None, share: float) -> bool:
    """Whether to write a checkpoint now, ``idle_seconds`` after the last write ended, when that write took
    ``write_seconds`` (None: nothing written yet, so yes): once writing would take at most ``share`` of the time."""
    return write_seconds is None or write_seconds <= share * (idle_seconds + write_seconds)


def _train(ctx: RunContext, cfg: GANConfig, data: Prepared, x: np.ndarray, y: np.ndarray, reference: nn.Module,
           labels: tuple[str, ...]) -> None:
    """Train the GAN on ``x``, ``y`` (from its last checkpoint, if it has one), writing history and a snapshot
    after every epoch, each epoch's fixed-noise samples judged by ``reference``, and a checkpoint after the first
    and the last epoch, when the run stops (cancelled, or any exception out of the progress report) and whenever
    :func:`checkpoint_due`: a kill loses at most the epochs since, which a resumed run trains again."""
    tracked = gan.assigned_labels(data.n_classes, TRACK_PER_GENRE)
    saved = (resume_state(ctx.id) or {}).get("train_state")
    history: list[dict] = runs.history(ctx.id)[:len(saved["history"])] if saved else []
    state: dict = {}
    written = {"epoch": 0, "ended": 0.0, "seconds": None}
    ctx.start(first=len(history))

    def write_checkpoint(epoch: int, G, D) -> None:
        start = time.perf_counter()
        runs.save_tensors(ctx.id, "checkpoint", {
            "state_dict": G.state_dict(), "discriminator": D.state_dict(), "epoch": epoch,
            "config": to_dict(cfg), "labels": list(labels), "steps": x.shape[1], "n_mels": x.shape[2],
            **normaliser(data), "train_state": state})
        written.update(epoch=epoch, ended=time.perf_counter(), seconds=time.perf_counter() - start)

    def on_epoch(epoch: int, metrics: dict, G, D) -> None:
        snap = gan_samples.Samples(gan_samples.sample(G, tracked, cfg.z_dim, cfg.seed), tracked, None, cfg.model)
        pred = quality.predictions(reference, quality.reference_inputs(snap, data.mean, data.std, cfg.scale))
        history.append({**metrics, "fidelity": float(np.mean(pred == tracked))})
        runs.write_json(ctx.folder / "history.json", history)
        runs.save_snapshot(ctx.id, epoch, snap.x[::TRACK_PER_GENRE])
        if epoch == cfg.epochs or checkpoint_due(time.perf_counter() - written["ended"], written["seconds"],
                                                   CHECKPOINT_SHARE):
            write_checkpoint(epoch, G, D)
        try:
            ctx.report(epoch, cfg.epochs, Phase.GAN, history[-1])
        except BaseException:
            if written["epoch"] != epoch:
                write_checkpoint(epoch, G, D)
            raise

    gan_train.fit(cfg, x, y, data.n_classes, on_epoch, checkpoint=state.update, resume=saved)


def _measure(ctx: RunContext, cfg: GANConfig, ref_cfg: ClassifierConfig, data: Prepared, x: np.ndarray,
             reference: nn.Module, ref_info: dict, labels: tuple[str, ...]) -> dict:
    """Keep the last checkpoint's generator as ``model.pt`` and measure its samples into ``result.json``
    (:func:`core.compute.quality.report`, then TSTR and the C2ST judges); returns the result."""
    G, saved = runs.load_generator(ctx.id, "checkpoint")
    saved.pop("train_state", None)
    runs.save_tensors(ctx.id, "model", saved)
    ctx.post({"phase": Phase.QUALITY, "epoch": saved["epoch"], "epochs": cfg.epochs, "eta_seconds": 0.0},
             cancellable=False)
    samples = gan_samples.samples_from(G, saved, QUALITY_PER_GENRE, cfg.seed)
    gen = quality.reference_inputs(samples, data.mean, data.std, cfg.scale)
    result = {"model": cfg.model, "labels": list(labels), "epoch": saved["epoch"],
              "per_genre": QUALITY_PER_GENRE, "reference": ref_info,
              "ranges": {"real": [float(x.min()), float(x.max())],
                         "generated": [float(samples.x.min()), float(samples.x.max())]},
              **quality.report(reference, gen, samples.y, data.train, data.val, data.n_classes, cfg.seed)}
    ctx.start()
    result.update(quality.train_on_samples(
        G, cfg, ref_cfg, data, ref_info["accuracy"]["value"], reference,
        lambda epoch, metrics, *_: ctx.report(epoch, ref_cfg.epochs, Phase.TSTR, metrics, cancellable=False)))
    result["tstr"]["seconds"] = round(ctx.elapsed(), 2)
    if cfg.model == "paper":
        rescaled = quality.reference_inputs(samples, data.mean, data.std, cfg.scale, rescale=True)
        result["fidelity_rescaled"] = quality.fidelity(quality.predictions(reference, rescaled), samples.y,
                                                       data.n_classes)
    runs.write_json(ctx.folder / "result.json", result)
    return result
