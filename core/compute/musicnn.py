"""musicnn, the pretrained ear: a plain torch port of Pons & Serra's MSD_musicnn tagger.

musicnn ("musicnn: pre-trained convolutional neural networks for music audio tagging", J. Pons and
X. Serra, ISMIR 2019 late-breaking demo; ISC licence, see ``assets/models/README.md``) was trained on
the Million Song Dataset's 50 most frequent tags, most of them genres. GenreLab keeps it frozen and
uses what it hears as features: a small head trained on the user's clips does the rest.

The network reads 3 s patches of a 96-band log-compressed mel spectrogram at 16 kHz and has three
parts. A musically motivated front end: two timbral convolutions (7 frames × 38 and × 67 bands) and
three temporal ones (128, 64 and 32 frames × 1 band), each max-pooled over frequency. A mid end of
three 1-D convolutions over time with residual connections. A back end that pools over time (max and
mean), a 200-unit dense layer (the *penultimate* features) and 50 tag logits. The weights come from
musicnn's own package (:mod:`core.compute.musicnn_checkpoint`) and match its TensorFlow graph within 1e-4.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from . import musicnn_checkpoint
from .features import mel_power

SAMPLE_RATE = 16000  # Hz
N_FFT = 512
HOP = 256  # samples, 16 ms
N_MELS = 96
PATCH_FRAMES = 187  # 3 s
PATCH_SECONDS = PATCH_FRAMES * HOP / SAMPLE_RATE
BN_EPS = 1e-3  # TensorFlow's default
TAGS = ("rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s", "alternative rock",
        "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul", "indie rock", "Mellow",
        "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues", "hard rock", "ambient",
        "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
        "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb",
        "indie pop", "sad", "House", "happy")


def log_mel(y: np.ndarray) -> np.ndarray:
    """musicnn's input representation of mono audio at :data:`SAMPLE_RATE` (librosa's mel spectrogram, as
    musicnn computes it, through :func:`core.compute.features.mel_power`).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)], float
        Mono audio at 16 kHz.

    Returns
    -------
    np.ndarray [shape=(n_frames, 96)], float32
        ``log10(10000 · mel power + 1)`` per 16 ms frame. musicnn's own code rounds the mel power to
        float16 first, which overflows to inf (and NaN downstream) on loud audio under numpy 2; this
        computes in float32 throughout.
    """
    mel = mel_power(y, SAMPLE_RATE, N_FFT, HOP, N_MELS)
    return torch.log10(10000.0 * mel.T + 1.0).numpy()


def patches(S: np.ndarray) -> np.ndarray:
    """Cut a ``log_mel`` spectrogram into consecutive 3 s patches, as musicnn reads them.

    Parameters
    ----------
    S : np.ndarray [shape=(n_frames, 96)]

    Returns
    -------
    np.ndarray [shape=(max(1, n_frames // 187), 187, 96)], float32
        Non-overlapping patches; the frames after the last whole patch are dropped. Audio shorter than
        one patch is repeated until it fills one (musicnn's training padded short clips that way).
    """
    if len(S) == 0:
        raise ValueError("no frames to cut into patches")
    if len(S) < PATCH_FRAMES:
        S = np.tile(S, (-(-PATCH_FRAMES // len(S)), 1))
    n = len(S) // PATCH_FRAMES
    return np.ascontiguousarray(S[:n * PATCH_FRAMES].reshape(n, PATCH_FRAMES, N_MELS), dtype=np.float32)


LAYERS = {"tags": len(TAGS), "penultimate": 200, "mean_pool": 753, "max_pool": 753}
"""The layers :func:`embed` keeps, in its column order, with their widths."""


def feature_names() -> list[str]:
    """The names of :func:`embed`'s columns: ``<layer>_<index>``, layers in :data:`LAYERS` order."""
    return [f"{layer}_{i}" for layer, width in LAYERS.items() for i in range(width)]


class Features(NamedTuple):
    """What musicnn hears in each patch: ``(batch, dim)`` tensors."""
    logits: torch.Tensor  # (batch, 50) tag logits; sigmoid gives the tag probabilities
    penultimate: torch.Tensor  # (batch, 200) the dense layer before the tags
    mean_pool: torch.Tensor  # (batch, 753) front- and mid-end features averaged over the patch's frames
    max_pool: torch.Tensor  # (batch, 753) the same, maximum over frames


class _ConvBN(nn.Module):
    """Convolution → ReLU → batch norm, the order musicnn uses."""

    def __init__(self, conv: nn.Module, channels: int):
        super().__init__()
        self.conv = conv
        self.bn = nn.BatchNorm2d(channels, eps=BN_EPS) if isinstance(conv, nn.Conv2d) else nn.BatchNorm1d(channels,
                                                                                                          eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(F.relu(self.conv(x)))

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """``forward`` followed by a maximum over the last axis (frequency), ``(batch, channels, frames)``.

        Batch norm at inference is a per-channel affine map, so it is applied after pooling: to the
        maximum where its scale is positive and to the minimum where it is negative. Same numbers, a
        fraction of the work.
        """
        h = F.relu(self.conv(x))
        bn = self.bn
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        h = torch.where((scale >= 0)[:, None], h.amax(3), h.amin(3))
        return F.batch_norm(h, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)


class Musicnn(nn.Module):
    """MSD_musicnn at inference (batch norm on its moving statistics, no dropout).

    ``forward(x)`` takes ``(batch, 187, 96)`` patches from :func:`patches` and returns :class:`Features`.
    """

    def __init__(self):
        super().__init__()
        self.bn_input = nn.BatchNorm2d(1, eps=BN_EPS)
        self.timbral = nn.ModuleList([_ConvBN(nn.Conv2d(1, 204, (7, bands)), 204) for bands in (38, 67)])
        self.temporal = nn.ModuleList([_ConvBN(nn.Conv2d(1, 51, (frames, 1)), 51) for frames in (128, 64, 32)])
        self.mid = nn.ModuleList([_ConvBN(nn.Conv1d(c, 64, 7, padding=3), 64) for c in (561, 64, 64)])
        self.bn_pool = nn.BatchNorm1d(1506, eps=BN_EPS)
        self.dense = nn.Linear(1506, 200)
        self.bn_dense = nn.BatchNorm1d(200, eps=BN_EPS)
        self.tags = nn.Linear(200, len(TAGS))

    def forward(self, x: torch.Tensor) -> Features:
        x = self.bn_input(x.unsqueeze(1))  # (batch, 1, frames, bands)
        timbral = F.pad(x, (0, 0, 3, 3))  # 'same' in time; frequency is pooled away
        front = [block.pooled(timbral) for block in self.timbral]
        for block in self.temporal:
            k = block.conv.kernel_size[0]
            front.append(block.pooled(F.pad(x, (0, 0, (k - 1) // 2, k // 2))))  # TensorFlow's 'same' padding
        h = torch.cat(front, 1)  # (batch, 561, frames)
        layers = [h]
        for i, block in enumerate(self.mid):
            h = block(h) if i == 0 else block(h) + h
            layers.append(h)
        h = torch.cat(layers, 1)  # (batch, 753, frames)
        max_pool, mean_pool = h.amax(2), h.mean(2)
        pooled = torch.stack([max_pool, mean_pool], 2).flatten(1)  # interleaved, as TensorFlow flattened it
        penultimate = self.bn_dense(F.relu(self.dense(self.bn_pool(pooled))))
        return Features(self.tags(penultimate), penultimate, mean_pool, max_pool)


def load() -> Musicnn:
    """The pretrained network in eval mode with frozen weights, read from the musicnn package's checkpoint."""
    model = Musicnn()
    model.load_state_dict(musicnn_checkpoint.read(model.state_dict()))
    model.eval()
    model.requires_grad_(False)
    return model


@lru_cache(maxsize=1)
def pretrained() -> Musicnn:
    """The pretrained network, loaded once per process."""
    return load()


@lru_cache(maxsize=1)
def weights_version() -> str:
    """8 hex digits of the checkpoint's data shard's BLAKE2b digest: cached embeddings are keyed by it."""
    return hashlib.blake2b(musicnn_checkpoint.checkpoint_files()[1].read_bytes(), digest_size=4).hexdigest()


def embed(y: np.ndarray, model: Musicnn | None = None) -> np.ndarray:
    """What the pretrained network hears in each 3 s patch of a clip.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)], float
        Mono audio at :data:`SAMPLE_RATE`.
    model : Musicnn, optional
        The network; the pretrained one (:func:`pretrained`) when omitted.

    Returns
    -------
    np.ndarray [shape=(n_patches, 1756)], float32
        Per patch (:func:`patches`), the :data:`LAYERS` side by side: 50 tag logits, the 200 penultimate
        units, and the 753 front- and mid-end features averaged and maximised over the patch's frames.
    """
    with torch.inference_mode():
        f = (model or pretrained())(torch.from_numpy(patches(log_mel(y))))
    return torch.cat([f.logits, f.penultimate, f.mean_pool, f.max_pool], 1).numpy()
