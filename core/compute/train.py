"""The classifier training loop: plain PyTorch, seeded, reporting through a callback.

:func:`prepare` turns a dataset and a split into tensors; :func:`fit` trains and returns the
chosen weights; :func:`predict_clips` votes segment probabilities into clip probabilities.
Nothing here touches files: :mod:`core.orchestration.classifier` saves what the callback hands it.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import librosa
import numpy as np
import torch
import torch.nn.functional as F

from ..base.config import ClassifierConfig, FeatureConfig
from .device import device, reuse_freed_memory
from .features import fit_normaliser, model_inputs, normalise
from .models import LSTMClassifier, build_classifier

if TYPE_CHECKING:
    from ..base.splits import Split


@dataclass
class Part:
    """Framed inputs of one split part: ``x`` (n, steps, n_mels), ``y`` (n,), ``clip`` (n,) into ``clip_y``."""

    x: torch.Tensor
    y: torch.Tensor
    clip: torch.Tensor
    clip_y: np.ndarray


@dataclass
class Prepared:
    train: Part
    val: Part
    test: Part
    mean: np.ndarray  # (n_mels,) normaliser fitted on the training part; zeros/ones when off
    std: np.ndarray
    n_classes: int
    features: FeatureConfig = FeatureConfig()


def make_part(mels: list[np.ndarray], y: np.ndarray, cfg: ClassifierConfig, fcfg: FeatureConfig,
              mean: np.ndarray, std: np.ndarray, train: bool = False) -> Part:
    x, clip = model_inputs(mels, cfg, fcfg, train=train)
    x = normalise(x, mean, std)
    return Part(torch.from_numpy(x), torch.from_numpy(y[clip]), torch.from_numpy(clip), y)


def prepare(mels: list[np.ndarray], y: np.ndarray, split: Split, cfg: ClassifierConfig,
            fcfg: FeatureConfig = FeatureConfig(), n_classes: int | None = None,
            extra: tuple[list[np.ndarray], np.ndarray] | None = None) -> Prepared:
    """Frame and normalise the three parts; ``extra`` (mels, labels) joins the training part only.

    The normaliser is fitted on the real training clips alone, so extra (e.g. generated) data
    never shifts the statistics the test set is scaled with.
    """
    pick = lambda idx: [mels[i] for i in idx]  # noqa: E731
    n_mels = mels[0].shape[0]
    if cfg.normalise:
        x_fit, _ = model_inputs(pick(split.train), cfg, fcfg, train=True)
        mean, std = fit_normaliser(x_fit)
    else:
        mean, std = np.zeros(n_mels, np.float32), np.ones(n_mels, np.float32)
    train_mels, train_y = pick(split.train), y[split.train]
    if extra is not None:
        train_mels, train_y = train_mels + list(extra[0]), np.concatenate([train_y, extra[1]])
    return Prepared(make_part(train_mels, train_y, cfg, fcfg, mean, std, train=True),
                    make_part(pick(split.val), y[split.val], cfg, fcfg, mean, std),
                    make_part(pick(split.test), y[split.test], cfg, fcfg, mean, std),
                    mean, std, n_classes or int(y.max()) + 1, fcfg)


def eq_curves(batch: int, n_mels: int, max_db: float, gen: torch.Generator, points: int = 6) -> torch.Tensor:
    """Random smooth equaliser curves ``(batch, n_mels)`` in dB: ``points`` gains uniform in
    ``[-max_db, max_db]``, evenly spaced over the mel bands and linearly interpolated between them.

    A filter multiplies the power spectrum, so in a log-mel it adds its gain curve to every frame.
    """
    knots = (torch.rand(batch, 1, points, generator=gen) * 2 - 1) * max_db
    return F.interpolate(knots, size=n_mels, mode="linear", align_corners=True)[:, 0]


def pitch_shift(x_db: torch.Tensor, max_semitones: float, fcfg: FeatureConfig, gen: torch.Generator) -> torch.Tensor:
    """Shift each example's mel bands by a random pitch uniform in ``±max_semitones``.

    Band ``i`` takes the (linearly interpolated) value the input has at ``f_i / r``, ``r = 2 ** (s / 12)``,
    where ``f_i`` are the mel band centres; bands whose source lies beyond the edges repeat the edge band.

    Parameters
    ----------
    x_db : torch.Tensor, shape (batch, steps, n_mels), dB (not normalised: bands are mixed)

    Returns
    -------
    torch.Tensor, same shape
    """
    b, t, m = x_db.shape
    centres = librosa.mel_frequencies(m + 2, fmax=fcfg.sr / 2)[1:-1]
    ratios = 2.0 ** ((torch.rand(b, generator=gen).numpy() * 2 - 1) * max_semitones / 12)
    pos = torch.from_numpy(np.stack([np.interp(centres / r, centres, np.arange(m)) for r in ratios])).float()
    lo = pos.floor().long().clamp(0, m - 1)
    hi = (lo + 1).clamp(max=m - 1)
    w = (pos - lo)[:, None, :]
    return x_db.gather(2, lo[:, None, :].expand(b, t, m)) * (1 - w) + x_db.gather(2, hi[:, None, :].expand(b, t, m)) * w


def mix(x: torch.Tensor, alpha: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Mixup (Zhang et al. 2018): ``lam * x + (1 - lam) * x[perm]`` with ``lam ~ Beta(alpha, alpha)``, kept >= 0.5.

    Every draw comes from ``gen`` (``lam`` by inverting Beta's distribution function), so a run resumed
    from a checkpoint of ``gen``'s state mixes exactly as an uninterrupted one. Returns the blended inputs
    (same shape as ``x``), ``perm`` (whose labels carry weight ``1 - lam``) and ``lam``.
    """
    # here, not at the top: a prediction (core.usecases.predict imports this module) needs no scipy
    from scipy import stats

    perm = torch.randperm(len(x), generator=gen)
    lam = float(stats.beta.ppf(float(torch.rand((), generator=gen)), alpha, alpha))
    lam = max(lam, 1.0 - lam)
    return lam * x + (1.0 - lam) * x[perm], perm, lam


def spec_augment(x: torch.Tensor, gen: torch.Generator, max_time: float = 0.15, max_freq: float = 0.15,
                 fill: float = 0.0) -> torch.Tensor:
    """Set one random band of steps and one of mel bins per example to ``fill`` (x: (batch, steps, n_mels)).

    ``fill`` 0 is the training mean of normalised inputs.
    """
    b, t, m = x.shape
    steps = torch.arange(t).view(1, t, 1)
    bins = torch.arange(m).view(1, 1, m)
    tw = (torch.rand(b, 1, 1, generator=gen) * max_time * t).long()
    t0 = (torch.rand(b, 1, 1, generator=gen) * (t - tw)).long()
    fw = (torch.rand(b, 1, 1, generator=gen) * max_freq * m).long()
    f0 = (torch.rand(b, 1, 1, generator=gen) * (m - fw)).long()
    mask = ((steps >= t0) & (steps < t0 + tw)) | ((bins >= f0) & (bins < f0 + fw))
    return x.masked_fill(mask, fill)


def masked_copies(part: Part, per_genre: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Classic augmentation: ``per_genre`` SpecAugment-masked copies of random training inputs per genre.

    Each copy is a training input of that genre (drawn with replacement) with one band of steps
    and one of mel bins set to the part's mean value (:func:`spec_augment`): the same number of
    extra inputs a GAN adds with ``per_genre`` samples per genre, made without one.

    Returns
    -------
    x : np.ndarray, float32, shape (n_genres_present · per_genre, steps, n_mels)
    y : np.ndarray, int64, shape (n_genres_present · per_genre,)
    """
    gen = torch.Generator().manual_seed(seed)
    labels = part.y.unique()
    picks = torch.cat([torch.nonzero(part.y == k).squeeze(1)[torch.randint(int((part.y == k).sum()), (per_genre,),
                                                                           generator=gen)] for k in labels])
    x = spec_augment(part.x[picks], gen, fill=float(part.x.mean()))
    return x.numpy(), part.y[picks].numpy()


def matched_epochs(epochs: int, batch_size: int, n_inputs: int, n_augmented: int) -> int:
    """Epochs over ``n_inputs`` inputs that take as many optimiser steps as ``epochs`` over ``n_augmented``."""
    return max(1, round(epochs * math.ceil(n_augmented / batch_size) / math.ceil(n_inputs / batch_size)))


@torch.no_grad()
def predict_segments(model: LSTMClassifier, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Softmax probabilities ``(n, n_classes)`` for framed inputs ``x`` (n, steps, n_mels)."""
    model.eval()
    dev = next(model.parameters()).device
    out = [F.softmax(model(x[i:i + batch_size].to(dev)), dim=1).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, model.out.out_features)


def vote(seg_probs: torch.Tensor, clip: torch.Tensor, n_clips: int) -> np.ndarray:
    """Clip probabilities ``(n_clips, n_classes)``: the mean of each clip's segment probabilities."""
    sums = torch.zeros(n_clips, seg_probs.shape[1]).index_add_(0, clip, seg_probs)
    counts = torch.bincount(clip, minlength=n_clips).clamp_min(1).unsqueeze(1)
    return (sums / counts).numpy()


def predict_clips(model: LSTMClassifier, part: Part) -> np.ndarray:
    """Clip-level probabilities ``(n_clips, n_classes)`` of one part, segments voted per clip."""
    return vote(predict_segments(model, part.x), part.clip, len(part.clip_y))


@torch.no_grad()
def _val_metrics(model: LSTMClassifier, part: Part) -> dict:
    if len(part.x) == 0:
        return {"val_loss": float("nan"), "val_acc": float("nan")}
    seg = predict_segments(model, part.x)
    loss = F.nll_loss(seg.clamp_min(1e-9).log(), part.y).item()
    clip_probs = vote(seg, part.clip, len(part.clip_y))
    return {"val_loss": loss, "val_acc": float((clip_probs.argmax(1) == part.clip_y).mean())}


class Diverged(ArithmeticError):
    """Training whose loss became NaN or infinite; ``str(err)`` ("loss became NaN at epoch 3") is fit to show."""


def check_losses(epoch: int, metrics: dict, keys: tuple[str, ...]) -> None:
    """Raise :class:`Diverged` if any of ``metrics[keys]`` (an epoch's mean losses) is NaN or infinite."""
    for key in keys:
        if not math.isfinite(metrics[key]):
            what = "NaN" if math.isnan(metrics[key]) else "infinite"
            raise Diverged(f"loss became {what} at epoch {epoch}" + (f" ({key})" if len(keys) > 1 else ""))


EpochCallback = Callable[[int, dict, LSTMClassifier, bool], None]
CheckpointCallback = Callable[[dict], None]


def fit(cfg: ClassifierConfig, data: Prepared, on_epoch: EpochCallback | None = None,
        checkpoint: CheckpointCallback | None = None, resume: dict | None = None) -> tuple[LSTMClassifier, list[dict]]:
    """Train a classifier; returns the weights ``cfg.select`` picks and the per-epoch history.

    ``on_epoch(epoch, metrics, model, is_best)`` runs after every epoch (1-based); it may raise to
    stop training (for instance :class:`core.storage.runs.Cancelled`), and the caller keeps what it saved.
    An epoch whose training loss is NaN or infinite raises :class:`Diverged` before ``on_epoch``
    sees its weights. ``checkpoint(state)`` runs just before ``on_epoch`` with everything needed to
    carry on (weights, optimiser, schedule, random states, best epoch so far, history: tensors and
    plain values only); passing such a ``state`` back as ``resume`` continues after its epoch as if
    training had never stopped.
    """
    reuse_freed_memory()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    mean, std = torch.from_numpy(data.mean), torch.from_numpy(data.std)  # augmentations work in dB
    dev = device()
    model = build_classifier(cfg, data.train.x.shape[2], data.n_classes).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n = len(data.train.x)
    steps_per_epoch = max(1, math.ceil(n / cfg.batch_size))
    sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch)
             if cfg.schedule == "onecycle" else None)
    history: list[dict] = []
    best_state, best_key, since_best = None, None, 0
    if resume is not None:
        model.load_state_dict(resume["state_dict"])
        opt.load_state_dict(resume["optimizer"])
        if sched is not None:
            sched.load_state_dict(resume["scheduler"])
        torch.set_rng_state(resume["rng"])
        gen.set_state(resume["generator"])
        history, since_best = list(resume["history"]), resume["since_best"]
        best_state, best_key = resume["best_state"] or None, tuple(resume["best_key"]) or None
    for epoch in range(len(history) + 1, cfg.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=gen)
        loss_sum, correct = 0.0, 0
        for i in range(0, n, cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            if len(idx) < 2:  # BatchNorm needs two examples
                continue
            xb, yb = data.train.x[idx], data.train.y[idx]
            if cfg.pitch_augment > 0:
                xb = (pitch_shift(xb * std + mean, cfg.pitch_augment, data.features, gen) - mean) / std
            if cfg.eq_augment > 0:
                xb = xb + eq_curves(len(xb), xb.shape[2], cfg.eq_augment, gen)[:, None, :] / std
            if cfg.spec_augment:
                xb = spec_augment(xb, gen)
            lam, perm = 1.0, None
            if cfg.mixup > 0:
                xb, perm, lam = mix(xb, cfg.mixup, gen)
            xb, yb = xb.to(dev), yb.to(dev)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            if perm is not None:
                loss = lam * loss + (1.0 - lam) * F.cross_entropy(logits, yb[perm.to(dev)])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            if sched is not None:
                sched.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
        metrics = {"epoch": epoch, "train_loss": loss_sum / n, "train_acc": correct / n,
                   **_val_metrics(model, data.val), "lr": opt.param_groups[0]["lr"],
                   "seconds": time.perf_counter() - start}
        check_losses(epoch, metrics, ("train_loss",))
        history.append(metrics)
        key = (metrics["val_acc"], -metrics["val_loss"])
        is_best = best_key is None or key > best_key
        if is_best:
            best_key, since_best = key, 0
            if cfg.select == "best_val":
                best_state = copy.deepcopy(model.state_dict())
        else:
            since_best += 1
        if checkpoint is not None:
            checkpoint({"state_dict": model.state_dict(), "epoch": epoch, "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict() if sched is not None else {}, "rng": torch.get_rng_state(),
                        "generator": gen.get_state(), "history": history, "since_best": since_best,
                        "best_state": best_state or {}, "best_key": list(best_key)})
        if on_epoch is not None:
            on_epoch(epoch, metrics, model, is_best)
        if cfg.patience and since_best >= cfg.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return model, history
