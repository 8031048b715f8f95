"""Samples of a trained GAN run: the generator a checkpoint describes, samples ready to join a classifier's
training data, and the views the GAN page shows (samples and real clips as dB log-mels, the settings an
augmented classifier must share with its GAN).

:mod:`core.compute.gan` defines and trains the networks; :mod:`core.storage.runs` loads a saved run
(:func:`core.storage.runs.load_generator`); nothing here touches files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..base.config import FeatureConfig, GANConfig, from_dict
from .features import model_inputs, seconds_to_frames
from .gan import (OLDER_GAN, IncompatibleCheckpoint, assigned_labels, build_gan, data_config, paper_inputs, paper_to_db,
                  to_mels)


@dataclass
class Samples:
    """Generated samples of a GAN run, with their genres.

    ``x`` is the generator's output ``(n, steps, n_mels)`` in [-1, 1]; ``y`` the genre each sample
    was asked for (conditional) or merely given (paper). ``mels`` (conditional only) are the
    samples de-scaled to dB log-mels ``(n_mels, frames)`` for :func:`core.compute.train.prepare`'s ``extra``.
    """

    x: np.ndarray
    y: np.ndarray
    mels: list[np.ndarray] | None
    model: str


def generator_from(saved: dict) -> nn.Module:
    """The generator a saved GAN checkpoint describes (``config``, ``steps``, ``n_mels``, ``labels``,
    ``state_dict``), with its weights loaded, in eval mode.

    Raises :class:`core.compute.gan.IncompatibleCheckpoint` when the weights do not fit the generator this
    version builds (a run saved before its layers changed)."""
    cfg = from_dict(GANConfig, saved["config"])
    G, _ = build_gan(cfg, saved["steps"], saved["n_mels"], len(saved["labels"]))
    try:
        G.load_state_dict(saved["state_dict"])
    except RuntimeError as err:
        raise IncompatibleCheckpoint(f"{OLDER_GAN}, so no samples can be drawn from it: train it again") from err
    return G.eval()


def samples_from(G: nn.Module, saved: dict, per_genre: int, seed: int = 0) -> Samples:
    """``per_genre`` samples per genre from a loaded generator, ready to join a classifier's training data.

    ``G`` and ``saved`` are what :func:`core.storage.runs.load_generator` returns for a GAN run.

    Conditional GAN: ``mels`` are dB log-mels that go through :func:`core.compute.train.prepare`
    (``extra=(mels, y)``) exactly like real clips: framed, then normalised with the classifier's own
    training statistics.

    Paper GAN: as in the study, the samples are added as they come out of the generator, ``x`` in
    [-1, 1], next to real inputs in dB re max in [-80, 0]; their labels are blocks of ``per_genre``
    per genre assigned by position, since the generator never saw a genre. To a classifier they
    are all near-0 dB, i.e. near-maximal loudness in every band for 4 s, labelled at random: they
    add label noise, not genre examples.
    """
    cfg = from_dict(GANConfig, saved["config"])
    y = assigned_labels(len(saved["labels"]), per_genre)
    x = sample(G, y, cfg.z_dim, seed)
    if cfg.model == "paper":
        return Samples(x, y, None, cfg.model)
    mels = to_mels(x, saved["mean"].numpy(), saved["std"].numpy(), cfg.scale, data_config(cfg).time_pool)
    return Samples(x, y, mels, cfg.model)


# --------------------------------------------------------------------------- for pages: views and links

def to_db(samples: Samples) -> list[np.ndarray]:
    """Samples as dB log-mels ``(n_mels, frames)`` to show or play: the conditional GAN's de-scaled
    ``mels`` (dB re 1.0), or the paper GAN's output through :func:`paper_to_db` (dB re max)."""
    if samples.mels is not None:
        return samples.mels
    return list(paper_to_db(samples.x).transpose(0, 2, 1))


def real_examples(mels: list[np.ndarray], y: np.ndarray, train: list[int], cfg: GANConfig, genre: int,
                  n: int) -> list[np.ndarray]:
    """Up to ``n`` training clips of ``genre`` framed as the GAN saw them, as dB log-mels ``(n_mels, frames)``.

    Paper GAN: the first ``cfg.first_frames`` frames in dB re max. Conditional GAN: the middle
    ``cfg.segment_seconds`` of the clip in dB re 1.0, averaged over ``time_pool`` frames and
    repeated, so it has the time resolution of the generated samples.
    """
    clips = [mels[i] for i in train if y[i] == genre][:n]
    if cfg.model == "paper":
        return list(paper_inputs(clips, cfg).transpose(0, 2, 1)) if clips else []
    framing = data_config(cfg)
    seg = seconds_to_frames(cfg.segment_seconds, FeatureConfig())
    seg -= seg % framing.time_pool
    out = []
    for m in clips:
        start = max(0, (m.shape[1] - seg) // 2)
        x, _ = model_inputs([m[:, start:start + seg]], framing)
        out.append(np.repeat(x[0], framing.time_pool, axis=0).T)
    return out


def augment_settings(cfg: GANConfig) -> dict:
    """ClassifierConfig fields a classifier augmented by this GAN must share with it.

    Split and seed, so the GAN learnt only from the classifier's training clips; for the paper
    GAN also the study's framing (first ``cfg.first_frames`` frames, unpooled), the only input
    shape its samples fit.
    """
    fixed = {"split": cfg.split, "seed": cfg.seed}
    if cfg.model == "paper":
        fixed.update(framing="first_frames", first_frames=cfg.first_frames, time_pool=1)
    return fixed


@torch.no_grad()
def sample(G: nn.Module, y: np.ndarray, z_dim: int, seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """Generator output for genres ``y`` (n,) from seeded noise: ``(n, steps, n_mels)`` float32 in [-1, 1].

    The generator runs in eval mode (BatchNorm uses its running statistics) and is left in it.
    """
    G.eval()
    dev = next(G.parameters()).device
    z = torch.randn(len(y), z_dim, generator=torch.Generator().manual_seed(seed))
    labels = torch.from_numpy(np.asarray(y, dtype=np.int64))
    out = [G(z[i:i + batch_size].to(dev), labels[i:i + batch_size].to(dev)).cpu()
           for i in range(0, len(y), batch_size)]
    return torch.cat(out).numpy()
