"""The study's GAN and the recommended conditional GAN: their networks and the scales their samples live on.

Both generators return time-major inputs ``(batch, steps, n_mels)`` in the tanh range [-1, 1], the
layout a classifier reads. What the numbers mean differs, and that difference is the lesson:

``paper`` (faithful to the study, flaws included)
    Unconditional and fully connected, trained on the study's framing (first 174 frames ≈ 4 s, dB
    re the clip's maximum, in [-80, 0]). The generator takes no genre, so "genre" labels are
    assigned to its samples afterwards by position alone; and its tanh output in [-1, 1] never
    lives on the scale of the dB data it is judged against, nor of the classifier input it is
    added to.

``conditional`` (recommended)
    Conditioned on genre (a label embedding in the generator, a projection discriminator), trained
    on train-normalised log-mel segments divided by ``cfg.scale`` and clipped to [-1, 1]
    (:func:`to_unit`); :func:`to_mels` undoes that exactly, back to dB log-mels that enter
    :func:`core.compute.train.prepare` like real clips. Its generator builds each segment from parts with
    one spectrum and one activation over time (an onset or a held note is one part); its
    discriminator sees the step-to-step change and each band's level, spread and change, where
    textures without onsets give themselves away; a mode-seeking term keeps samples of one genre
    apart. Hinge loss and spectral normalisation keep it stable, and samples come from a moving
    average of the generator's weights.

:mod:`core.compute.gan_train` trains them; :mod:`core.compute.gan_samples` turns a trained generator into samples
and views. Nothing here touches files: :mod:`core.storage.runs` saves and loads GAN runs
(:func:`core.storage.runs.load_generator`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ..base.config import ClassifierConfig, GANConfig, preset
from .features import denormalise, model_inputs

TOP_DB = 80.0  # the study's first-frames framing spans [-TOP_DB, 0] dB re the clip maximum


# --------------------------------------------------------------------------- the study's GAN

class PaperGenerator(nn.Module):
    """The study's generator: z (150) → 256 → 512 → 1024 → n_mels·frames, ReLU + BatchNorm1d, tanh.

    ``forward(z, y)`` ignores ``y``: the study's GAN took no genre input (its first flaw). The study
    reshaped the output to a 1 × 128 × 174 image; we return the same numbers time-major,
    ``(batch, frames, n_mels)``, in [-1, 1], never rescaled to the dB range of the real data (its
    second flaw).
    """

    def __init__(self, n_mels: int = 128, frames: int = 174, z_dim: int = 150):
        super().__init__()
        self.n_mels, self.frames = n_mels, frames
        widths = (z_dim, 256, 512, 1024)
        layers: list[nn.Module] = []
        for a, b in zip(widths, widths[1:]):
            layers += [nn.Linear(a, b), nn.ReLU(), nn.BatchNorm1d(b)]
        self.net = nn.Sequential(*layers, nn.Linear(widths[-1], n_mels * frames), nn.Tanh())

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z).view(-1, self.n_mels, self.frames).transpose(1, 2)


class PaperDiscriminator(nn.Module):
    """The study's discriminator: flatten → 512 → 256 → 1, LeakyReLU(0.2) and Dropout(0.3).

    Returns logits ``(batch,)``; the study's sigmoid is folded into the loss
    (``binary_cross_entropy_with_logits``, the same function, numerically stable). ``y`` is ignored.
    """

    def __init__(self, n_mels: int = 128, frames: int = 174):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(n_mels * frames, 512), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                                 nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(256, 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(1)


# --------------------------------------------------------------------------- the conditional GAN

class ConditionalGenerator(nn.Module):
    """Genre-conditioned generator of log-mel segments in [-1, 1] built from ``rank`` time × spectrum parts.

    A spectrogram is close to a sum of a few parts that each have one spectrum and one activation
    over time (the picture behind NMF): a drum hit is a broadband spectrum switched on for a step,
    a held note a harmonic spectrum switched on for many. The generator draws exactly that:

    - activations ``a (rank, steps)``: noise and a learned genre embedding projected to ``4·width``
      channels over ``ceil(steps / 8)`` steps, three blocks of (upsample ×2 → Conv1d(k=5) →
      BatchNorm → ReLU) and a Conv1d to ``rank`` channels; convolutions share their weights across
      time, so rhythm and onsets can recur anywhere in the segment;
    - spectra ``b (rank, n_mels)`` and a spectral floor ``c (n_mels,)``: an MLP of the same noise and
      genre, one weight per mel band (a spectrogram has no translation symmetry along frequency);
    - output ``tanh(Σ_r a_r[t] b_r[f] / √rank + c[f])``.

    Onsets (vertical lines) and harmonic stripes (horizontal lines) are one part each, which a
    band-by-band output layer has to learn band by band; all of it costs a few Conv1d layers, not
    2-D convolutions over the mel × time image.

    Input ``z (batch, z_dim)``, ``y (batch,)`` genre indices; output ``(batch, steps, n_mels)``.
    """

    def __init__(self, n_mels: int, steps: int, n_classes: int, z_dim: int = 64, width: int = 64, rank: int = 32):
        super().__init__()
        self.steps, self.start, self.rank, self.n_mels = steps, math.ceil(steps / 8), rank, n_mels
        self.embed = nn.Embedding(n_classes, z_dim)
        self.project = nn.Linear(2 * z_dim, 4 * width * self.start)
        blocks: list[nn.Module] = []
        for a, b in ((4 * width, 2 * width), (2 * width, width), (width, width)):
            blocks += [nn.Upsample(scale_factor=2), nn.Conv1d(a, b, 5, padding=2), nn.BatchNorm1d(b), nn.ReLU()]
        self.activations = nn.Sequential(nn.BatchNorm1d(4 * width), nn.ReLU(), *blocks,
                                         nn.Conv1d(width, rank, 3, padding=1))
        self.spectra = nn.Sequential(nn.Linear(2 * z_dim, 4 * width), nn.ReLU(),
                                     nn.Linear(4 * width, (rank + 1) * n_mels))

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = torch.cat([z, self.embed(y)], dim=1)
        a = self.activations(self.project(h).view(len(z), -1, self.start))[:, :, :self.steps]
        b = self.spectra(h).view(len(z), self.rank + 1, self.n_mels)
        return torch.tanh(torch.einsum("brt,brf->btf", a, b[:, 1:]) / math.sqrt(self.rank) + b[:, :1])


def band_statistics(x: torch.Tensor) -> torch.Tensor:
    """Per mel band of each segment: mean, standard deviation and mean absolute step-to-step change.

    Input ``(batch, steps, n_mels)``; output ``(batch, 3 · n_mels)``. How much each band moves
    over time, and how abruptly, is where a texture without onsets or notes gives itself away
    (the statistics :func:`core.compute.quality.band_statistics` judges samples by).
    """
    return torch.cat([x.mean(dim=1), x.std(dim=1, correction=0), torch.diff(x, dim=1).abs().mean(dim=1)], dim=1)


class ProjectionDiscriminator(nn.Module):
    """Spectrally normalised Conv1d discriminator with a projection of the genre (Miyato & Koyama, 2018).

    It reads each segment and its step-to-step difference (mel bands of both as input channels),
    so onsets and their absence are in plain view; strided convolutions over time and a sum over
    time give a summary, and a second branch reads :func:`band_statistics` (each band's level,
    spread and step-to-step change), which a sum over time cannot compute, standardised with the real
    training inputs' statistics (:meth:`standardise_on`, which :func:`core.compute.gan_train.fit` calls). With
    ``h`` both summaries side by side, the score is ``linear(h) + <embed(y), h>``, so the discriminator judges
    whether a segment is real *for that genre*. Input ``(batch, steps, n_mels)``; output scores ``(batch,)``.
    """

    def __init__(self, n_mels: int, n_classes: int, width: int = 64):
        super().__init__()
        layers: list[nn.Module] = [spectral_norm(nn.Conv1d(2 * n_mels, width, 3, padding=1)), nn.LeakyReLU(0.2)]
        for a, b in ((width, 2 * width), (2 * width, 4 * width), (4 * width, 4 * width)):
            layers += [spectral_norm(nn.Conv1d(a, b, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers)
        self.stats = nn.Sequential(spectral_norm(nn.Linear(3 * n_mels, 4 * width)), nn.LeakyReLU(0.2))
        self.linear = spectral_norm(nn.Linear(8 * width, 1))
        self.embed = spectral_norm(nn.Embedding(n_classes, 8 * width))
        self.register_buffer("stats_mean", torch.zeros(3 * n_mels))
        self.register_buffer("stats_std", torch.ones(3 * n_mels))

    @torch.no_grad()
    def standardise_on(self, x: torch.Tensor) -> None:
        """Fix the band-statistics branch's scaling to the mean and spread of real inputs ``x (n, steps, n_mels)``.

        A band's spread over time differs from segment to segment by a few hundredths of the tanh
        range; read raw through a spectrally normalised layer, such differences barely move the
        score, and the generator's spreads drifted 2-3x wider than real ones unseen. Standardised,
        they count as much as the judge in :func:`core.compute.quality.c2st` (which standardises too) sees them.
        """
        s = band_statistics(x)
        self.stats_mean.copy_(s.mean(dim=0))
        self.stats_std.copy_(s.std(dim=0) + 1e-3)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        change = torch.diff(x, dim=1, prepend=x[:, :1])
        h = torch.cat([self.net(torch.cat([x, change], dim=2).transpose(1, 2)).sum(dim=2),
                       self.stats((band_statistics(x) - self.stats_mean) / self.stats_std)], dim=1)
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(dim=1)


def build_gan(cfg: GANConfig, steps: int, n_mels: int, n_classes: int) -> tuple[nn.Module, nn.Module]:
    """The generator and discriminator ``cfg.model`` describes, for inputs ``(steps, n_mels)``."""
    if cfg.model == "paper":
        return PaperGenerator(n_mels, steps, cfg.z_dim), PaperDiscriminator(n_mels, steps)
    return (ConditionalGenerator(n_mels, steps, n_classes, cfg.z_dim, cfg.width),
            ProjectionDiscriminator(n_mels, n_classes, cfg.width))


# --------------------------------------------------------------------------- data framing and scales

def data_config(cfg: GANConfig) -> ClassifierConfig:
    """The classifier config whose framing the GAN learns and whose recipe trains its reference classifier.

    The recommended classifier recipe either way, so the judge of the samples is a good classifier:
    with the study's first-frames framing (un-pooled) for the paper GAN, with ``cfg.segment_seconds``
    segments for the conditional one; same split and seed as the GAN.
    """
    # dB at the recorded level, so generated log-mels descale exactly (a classifier removes the level itself)
    common = dict(split=cfg.split, seed=cfg.seed, epochs=cfg.ref_epochs, level="absolute")
    if cfg.model == "paper":
        return preset("recommended", framing="first_frames", first_frames=cfg.first_frames, time_pool=1, **common)
    return preset("recommended", segment_seconds=cfg.segment_seconds, **common)


def paper_inputs(mels: list[np.ndarray], cfg: GANConfig) -> np.ndarray:
    """The study's GAN training data: the first ``cfg.first_frames`` frames in dB re max.

    Returns
    -------
    x : np.ndarray, float32, shape (n, frames, n_mels), values in [-80, 0]
    """
    return model_inputs(mels, preset("paper", first_frames=cfg.first_frames))[0]


def to_unit(x: np.ndarray, scale: float) -> np.ndarray:
    """Normalised inputs → the generator's range: ``clip(x / scale, -1, 1)`` (float32, any shape)."""
    return np.clip(x / scale, -1.0, 1.0).astype(np.float32)


def from_unit(u: np.ndarray, scale: float) -> np.ndarray:
    """Inverse of :func:`to_unit` (exact for values that were not clipped): ``u * scale``."""
    return (u * scale).astype(np.float32)


def to_mels(u: np.ndarray, mean: np.ndarray, std: np.ndarray, scale: float, time_pool: int) -> list[np.ndarray]:
    """Conditional GAN output → dB log-mels that :func:`.features.model_inputs` frames back into ``u · scale``.

    Parameters
    ----------
    u : np.ndarray, shape (n, steps, n_mels), in [-1, 1]
    mean, std : np.ndarray, shape (n_mels,)
        The normaliser (dB) fitted on the GAN's training clips.
    scale : float
        ``GANConfig.scale``.
    time_pool : int
        Frames per step of the framing; each step is repeated this many times, so pooling gives it back.

    Returns
    -------
    mels : list of n np.ndarray, float32, shape (n_mels, steps · time_pool), dB re 1.0
    """
    db = denormalise(from_unit(u, scale), mean, std)
    return list(np.repeat(db, time_pool, axis=1).transpose(0, 2, 1))


def paper_to_db(x: np.ndarray) -> np.ndarray:
    """Paper GAN output [-1, 1] mapped linearly onto its training range [-80, 0] dB re max: ``40 · (x − 1)``.

    The study never did this (its classifier read the raw values); it shows what the samples would
    have been on the right scale.
    """
    return ((x - 1.0) * (TOP_DB / 2)).astype(np.float32)


def assigned_labels(n_classes: int, per_genre: int) -> np.ndarray:
    """Blocks of ``per_genre`` labels per genre: ``[0]*per_genre + [1]*per_genre + …`` (int64)."""
    return np.repeat(np.arange(n_classes, dtype=np.int64), per_genre)


class IncompatibleCheckpoint(RuntimeError):
    """Saved GAN weights whose networks differ from the ones this version of GenreLab builds (an older run)."""


OLDER_GAN = "this run was saved by a version of GenreLab whose GAN has other layers"
