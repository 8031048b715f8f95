"""Log-mel spectrograms and the two ways of framing them for a classifier.

Conventions: a log-mel is ``10 log10(max(S, 1e-10))`` in dB re 1.0 of the mel power spectrogram
``S`` (Slaney mel filters, centred Hann STFT, zero padding), shape ``(n_mels, frames)``: the same
numbers as ``librosa.power_to_db(librosa.feature.melspectrogram(...), ref=1.0, top_db=None)``,
computed with ``torch.stft`` because it is several times faster on a CPU. Framed model inputs are
time-major, ``(n, frames, n_mels)``, as an LSTM reads them.

torch is imported by the functions that compute a spectrogram, so a page that reads cached log-mels or frames
them loads none of it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..base.audio import AudioError
from ..base.config import FeatureConfig

if TYPE_CHECKING:
    import torch

AMIN_DB = -100.0  # 10 log10(1e-10): the floor of every log-mel


class FeatureError(AudioError):
    """Features that came out NaN or infinite (float samples so large that their power overflows)."""


def require_finite(x: np.ndarray, what: str) -> np.ndarray:
    """``x`` unchanged if every value is finite, else :class:`FeatureError` saying ``what`` overflowed."""
    if not np.isfinite(x).all():
        raise FeatureError(f"{what} holds NaN or infinite values (the audio's samples are too large to analyse)")
    return x


def mel_frequencies(n: int, fmax: float) -> np.ndarray:
    """``librosa.mel_frequencies(n, fmin=0, fmax=fmax)``, the same float64 numbers: ``n`` frequencies (Hz) from 0 to
    ``fmax`` evenly spaced on Slaney's mel scale (linear below 1 kHz, logarithmic above), shape (n,)."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    top = fmax / f_sp if fmax < min_log_hz else min_log_mel + np.log(fmax / min_log_hz) / logstep
    mels = np.linspace(0.0, top, n)
    return np.where(mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), f_sp * mels)


@lru_cache(maxsize=8)
def _mel_basis(sr: int, n_fft: int, n_mels: int) -> torch.Tensor:
    """``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)`` (Slaney filters and norm), the same float32 numbers,
    shape (n_mels, 1 + n_fft // 2).

    Built here as librosa builds it: importing librosa (its frequency helpers bring numba, its filters scipy.signal)
    was half the imports of a cold ``python -m core predict``.
    """
    import torch

    mel_f = mel_frequencies(n_mels + 2, sr / 2)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, np.fft.rfftfreq(n_fft, 1.0 / sr))
    weights = np.maximum(0, np.minimum(-ramps[:-2] / fdiff[:-1, None], ramps[2:] / fdiff[1:, None])).astype(np.float32)
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return torch.from_numpy(weights)


MEL_BLOCK = 16  # mel bands a block of :func:`_mel_blocks` holds


@lru_cache(maxsize=8)
def _mel_blocks(sr: int, n_fft: int, n_mels: int) -> tuple[tuple[int, int, torch.Tensor], ...]:
    """:func:`_mel_basis` cut into blocks of :data:`MEL_BLOCK` bands, each kept only over the FFT bins where one of
    its filters is nonzero: ``(lo, hi, weights)`` with ``weights`` float32, shape (bands, hi - lo).

    A filter spans a few bins, so the blocks hold about an eighth of the dense basis for the study's 128 bands:
    applying them is several times faster than the dense product, and the same sums up to float32 rounding.
    """
    basis = _mel_basis(sr, n_fft, n_mels)
    blocks = []
    for start in range(0, n_mels, MEL_BLOCK):
        weights = basis[start:start + MEL_BLOCK]
        bins = weights.any(dim=0).nonzero()
        lo, hi = (int(bins[0]), int(bins[-1]) + 1) if len(bins) else (0, 0)
        blocks.append((lo, hi, weights[:, lo:hi].contiguous()))
    return tuple(blocks)


@lru_cache(maxsize=8)
def _window(n_fft: int) -> torch.Tensor:
    import torch

    return torch.hann_window(n_fft, periodic=True)


def logmel(y: np.ndarray, cfg: FeatureConfig = FeatureConfig()) -> np.ndarray:
    """Log-mel spectrogram of a mono waveform.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Audio at ``cfg.sr``.

    Returns
    -------
    S_db : np.ndarray, float32, shape (cfg.n_mels, 1 + n_samples // cfg.hop_length)
        Mel power in dB re 1.0, floored at -100 dB.

    Raises
    ------
    FeatureError
        If the power overflows float32 (samples around 1e19 or more), so ``S_db`` would not be finite.
    """
    mel = mel_power(y, cfg.sr, cfg.n_fft, cfg.hop_length, cfg.n_mels)
    return require_finite((10.0 * mel.clamp_min(1e-10).log10()).numpy(), "the log-mel spectrogram")


def mel_power(y: np.ndarray, sr: int, n_fft: int, hop_length: int, n_mels: int) -> torch.Tensor:
    """``librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)``: mel power
    of a mono waveform (Hann window, centred frames, zero padding), float32, shape (n_mels, 1 + len(y) // hop_length).
    """
    import torch

    x = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))
    if x.numel() < n_fft // 2 + 1:  # constant padding needs at least half a window
        x = torch.nn.functional.pad(x, (0, n_fft // 2 + 1 - x.numel()))
    spec = torch.stft(x, n_fft, hop_length, window=_window(n_fft), center=True, pad_mode="constant",
                      return_complex=True)
    power = spec.real.square().addcmul_(spec.imag, spec.imag)
    return torch.cat([weights @ power[lo:hi] for lo, hi, weights in _mel_blocks(sr, n_fft, n_mels)])


def first_frames(S_db: np.ndarray, n_frames: int = 174, top_db: float = 80.0) -> np.ndarray:
    """The study's framing: dB re the clip's maximum, floored ``top_db`` below it, first frames only.

    This is ``librosa.power_to_db(S, ref=np.max)[:, :n_frames]`` with no normalisation; clips
    shorter than ``n_frames`` are padded with the floor.

    Returns
    -------
    x : np.ndarray, float32, shape (n_frames, n_mels), values in [-top_db, 0]
    """
    rel = np.maximum(S_db.astype(np.float32) - S_db.max(), -top_db)[:, :n_frames]
    if rel.shape[1] < n_frames:
        rel = np.pad(rel, ((0, 0), (0, n_frames - rel.shape[1])), constant_values=-top_db)
    return np.ascontiguousarray(rel.T)


def segment_starts(n_frames: int, seg_frames: int, hop_frames: int) -> np.ndarray:
    """Start frames of windows of ``seg_frames`` covering ``n_frames``, the last one flush with the end.

    A clip shorter than one window gets a single window at 0 (see :func:`segments`, which pads).
    """
    if n_frames <= seg_frames:
        return np.zeros(1, dtype=np.int64)
    starts = np.arange(0, n_frames - seg_frames + 1, max(1, hop_frames))
    if starts[-1] != n_frames - seg_frames:
        starts = np.append(starts, n_frames - seg_frames)
    return starts


def segments(S_db: np.ndarray, seg_frames: int, hop_frames: int) -> np.ndarray:
    """Cut a log-mel into fixed windows covering the whole clip.

    Parameters
    ----------
    S_db : np.ndarray, shape (n_mels, frames)
    seg_frames, hop_frames : int
        Window length and step in frames; a clip shorter than one window is padded with its floor.

    Returns
    -------
    x : np.ndarray, float32, shape (n_segments, seg_frames, n_mels)
    """
    S = S_db.astype(np.float32)
    if S.shape[1] < seg_frames:
        S = np.pad(S, ((0, 0), (0, seg_frames - S.shape[1])), constant_values=float(S.min()))
    starts = segment_starts(S.shape[1], seg_frames, hop_frames)
    windows = np.lib.stride_tricks.sliding_window_view(S, seg_frames, axis=1)[:, starts]
    return np.ascontiguousarray(windows.transpose(1, 2, 0))


def seconds_to_frames(seconds: float, cfg: FeatureConfig) -> int:
    """Number of frames spanning ``seconds`` at the config's hop."""
    return max(1, int(round(seconds * cfg.frames_per_second)))


def fit_normaliser(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-band mean and std over every frame of ``x`` (..., n_mels): fit on training data only.

    Returns
    -------
    mean, std : np.ndarray, float32, shape (n_mels,); std is at least 1e-3 dB
    """
    flat = require_finite(x.reshape(-1, x.shape[-1]).astype(np.float64), "the training inputs")
    return flat.mean(axis=0).astype(np.float32), np.maximum(flat.std(axis=0), 1e-3).astype(np.float32)


def normalise(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``(x - mean) / std`` broadcast over the last (mel) axis; raises :class:`FeatureError` if not finite."""
    return require_finite(((x - mean) / std).astype(np.float32), "the normalised inputs")


def denormalise(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Inverse of :func:`normalise`."""
    return (x * std + mean).astype(np.float32)


def remove_level(S_db: np.ndarray, axis: int | tuple[int, ...] | None) -> np.ndarray:
    """``S_db`` minus its mean over ``axis`` (dB): a gain applied to the audio no longer changes it.

    A gain of g dB adds g to every cell of a log-mel (above the -100 dB floor), so subtracting the
    mean over a clip (``axis=None``) or over each input's steps and bands (``axis=(1, 2)`` of
    ``(n, steps, n_mels)``) leaves the spectral shape and its changes over time, not the level.
    Over steps alone (``axis=1``) it also removes any fixed filter (EQ, microphone, mastering): each
    band keeps only its changes over time.

    Returns
    -------
    np.ndarray, float32, same shape as ``S_db``
    """
    x = S_db.astype(np.float32)
    return x - x.mean(axis=axis, keepdims=True)


def segment_window(cfg, fcfg: FeatureConfig = FeatureConfig(), train: bool = False) -> tuple[int, int]:
    """(length, hop) in frames of a classifier config's segments; training overlaps by ``segment_overlap``,
    evaluation by half. The length is a multiple of ``time_pool``."""
    seg = seconds_to_frames(cfg.segment_seconds, fcfg)
    seg -= seg % cfg.time_pool
    overlap = cfg.segment_overlap if train else 0.5
    return seg, max(1, int(round(seg * (1.0 - overlap))))


def window_starts(cfg, fcfg: FeatureConfig, n_frames: int) -> tuple[np.ndarray, int]:
    """Start frames and length (frames) of the model inputs :func:`model_inputs` cuts
    from a log-mel of ``n_frames`` frames at evaluation (half-overlapping segments, or the first frames).

    Returns
    -------
    starts : np.ndarray, int64, shape (n_inputs,)
    length : int
        Frames each input spans before time pooling.
    """
    if cfg.framing == "first_frames":
        return np.zeros(1, dtype=np.int64), cfg.first_frames
    seg, hop = segment_window(cfg, fcfg)
    return segment_starts(n_frames, seg, hop), seg


def model_inputs(mels: list[np.ndarray], cfg, fcfg: FeatureConfig = FeatureConfig(),
                 train: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Frame clips' log-mels the way a classifier config says, before normalisation.

    Parameters
    ----------
    mels : list of np.ndarray, each (n_mels, frames), dB re 1.0
    cfg : core.base.config.ClassifierConfig
        ``framing``, ``first_frames``, ``segment_seconds``, ``segment_overlap``, ``time_pool``, ``level``.
    train : bool
        Training segments overlap by ``segment_overlap``; evaluation segments overlap by half.

    Returns
    -------
    x : np.ndarray, float32, shape (n_inputs, steps, n_mels)
        ``steps`` is the window length divided by ``time_pool`` (frames averaged in groups).
    clip : np.ndarray, int64, shape (n_inputs,)
        Index into ``mels`` of the clip each input came from (for clip-level voting).
    """
    if cfg.level == "clip":
        mels = [remove_level(m, axis=None) for m in mels]
    if cfg.framing == "first_frames":
        parts = [first_frames(m, cfg.first_frames)[None] for m in mels]
    else:
        seg, hop = segment_window(cfg, fcfg, train)
        parts = [segments(m, seg, hop) for m in mels]
    clip = np.concatenate([np.full(len(p), i, dtype=np.int64) for i, p in enumerate(parts)])
    x = np.concatenate(parts).astype(np.float32)
    if cfg.time_pool > 1:
        n, t, m = x.shape
        t -= t % cfg.time_pool
        x = x[:, :t].reshape(n, t // cfg.time_pool, cfg.time_pool, m).mean(axis=2)
    if cfg.level in ("segment", "band"):
        x = remove_level(x, axis=(1, 2) if cfg.level == "segment" else 1)
    return require_finite(x, "the framed inputs"), clip
