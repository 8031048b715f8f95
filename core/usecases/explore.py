"""What a dataset looks like: class balance, scan report, per-genre means, a 2-D map of its clips.

Everything here is a function of a :class:`core.storage.extract.FeatureSet` or its arrays (only
:func:`clip_preview` reads a file again), so the Dataset page only lays the results out. Log-mels
are dB re 1.0, shape ``(n_mels, frames)``.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ..base.audio import decode, display_waveform
from ..base.config import preset
from ..base.datasets import Skipped
from ..storage.extract import FeatureSet

PREVIEW_SECONDS = 60.0  # longer clips are played and drawn on their first minute
MEAN_MAX_FRAMES = 1300  # mean spectrograms cover at most this many frames (30.2 s at 22050 Hz, hop 512)
MEAN_STEP = 4
"""Frames per column of the Dataset page's mean spectrograms (93 ms at 22050 Hz, hop 512): a mean over a genre's clips
keeps little finer than a beat, and a chart of a quarter of the columns draws in about a quarter of the time."""


def class_counts(labels: tuple[str, ...] | list[str], y: np.ndarray) -> dict[str, int]:
    """Clips per label, in the order of ``labels``; ``y[i]`` is the label index of clip ``i``."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(labels))
    return {label: int(n) for label, n in zip(labels, counts)}


def imbalance_ratio(counts: dict[str, int]) -> float:
    """Largest class count over the smallest (1.0 is perfectly balanced; inf when a class is empty)."""
    values = list(counts.values())
    return float("inf") if min(values) == 0 else max(values) / min(values)


def skip_reasons(skipped: list[Skipped]) -> dict[str, int]:
    """How many files were left out for each kind of reason, most common first.

    Reasons are grouped on the text before any parenthesised detail, so ``not an audio file (.txt)``
    and ``not an audio file (.csv)`` count together.
    """
    return dict(Counter(s.reason.split(" (", 1)[0] for s in skipped).most_common())


def total_seconds(mels: list[np.ndarray], frames_per_second: float) -> float:
    """Summed duration (s) of the analysed audio, from the log-mels' frame counts."""
    return sum(m.shape[1] for m in mels) / frames_per_second


def mean_spectrograms(mels: list[np.ndarray], y: np.ndarray, n_labels: int,
                      max_frames: int = MEAN_MAX_FRAMES, step: int = 1) -> np.ndarray:
    """Per-label mean of the clips' log-mels, frame by frame from each clip's start, in columns of ``step`` frames.

    Parameters
    ----------
    mels : list of arrays (n_mels, frames_i), dB
    y : array (n_clips,) of label indices in ``[0, n_labels)``
    max_frames : int
        Frames covered at most; the result spans ``frames = min(max_frames, max(frames_i))``.
    step : int >= 1
        Frames averaged into one column (the last column may hold fewer).

    Returns
    -------
    means : np.ndarray, float32, shape (n_labels, n_mels, ceil(frames / step))
        Mean in dB over the label's clip frames in each column; NaN where no clip reaches it.
    """
    frames = min(max_frames, max(m.shape[1] for m in mels))
    total = np.zeros((n_labels, mels[0].shape[0], frames))
    count = np.zeros((n_labels, 1, frames))
    for m, k in zip(mels, np.asarray(y)):
        f = min(frames, m.shape[1])
        total[k, :, :f] += m[:, :f]
        count[k, :, :f] += 1
    columns = -(-frames // step)
    pad = ((0, 0), (0, 0), (0, columns * step - frames))
    total = np.pad(total, pad).reshape(*total.shape[:2], columns, step).sum(axis=-1)
    count = np.pad(count, pad).reshape(n_labels, 1, columns, step).sum(axis=-1)
    with np.errstate(invalid="ignore"):
        return (total / count).astype(np.float32)


def level_range(means: np.ndarray) -> tuple[float, float]:
    """Lowest and highest level (dB) in :func:`mean_spectrograms`' output, NaN ignored: one colour scale for all."""
    return float(np.nanmin(means)), float(np.nanmax(means))


def band_levels(means: np.ndarray) -> np.ndarray:
    """Mean level per label and mel band over the frames :func:`mean_spectrograms` covered.

    Parameters
    ----------
    means : np.ndarray, shape (n_labels, n_mels, frames), dB, NaN where no clip reaches a frame

    Returns
    -------
    levels : np.ndarray, shape (n_labels, n_mels), dB; NaN for a label without clips
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a label without clips is all NaN
        return np.nanmean(means, axis=2)


def band_stats(mels: list[np.ndarray]) -> np.ndarray:
    """Per-clip summary: each mel band's mean and standard deviation over time.

    Returns
    -------
    stats : np.ndarray, float32, shape (n_clips, 2 * n_mels)
        ``[:, :n_mels]`` band means (dB), ``[:, n_mels:]`` band standard deviations (dB).
    """
    return np.stack([np.concatenate([m.astype(np.float32).mean(axis=1), m.astype(np.float32).std(axis=1)])
                     for m in mels])


def ear_stats(embeddings: list[np.ndarray]) -> np.ndarray:
    """Per-clip summary as the ``pretrained`` preset's classifier reads it: what the pretrained network heard in
    each 3 s patch (:func:`core.compute.musicnn.embed`, (n_patches, 1756) per clip), pooled over the clip and cut to
    the preset's columns (:func:`core.compute.transfer.columns`).

    Returns
    -------
    stats : np.ndarray, float64, shape (n_clips, len(transfer.columns(preset("pretrained"))))
    """
    from ..compute import transfer

    return transfer.selected(preset("pretrained"), transfer.clip_vectors(embeddings))


def ear_stats_text(width: int) -> str:
    """What :func:`ear_stats` holds, in words: e.g. 'the penultimate layer's mean and spread over each clip's 3 s
    patches (400 numbers)'."""
    cfg = preset("pretrained")
    pooled = "mean and spread" if cfg.pooling == "mean_std" else "mean"
    return f"the {cfg.layer} layer's {pooled} over each clip's 3 s patches ({width} numbers)"


def pca_map(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project standardised per-clip features onto their first two principal components.

    Parameters
    ----------
    stats : np.ndarray, shape (n_clips, n_features), n_clips >= 2

    Returns
    -------
    coords : np.ndarray, float32, shape (n_clips, 2)
    explained : np.ndarray, float64, shape (2,)
        Fraction of the standardised features' variance each component explains.

    Computed as scikit-learn's ``StandardScaler`` then ``PCA(2, svd_solver="full")`` would (a constant feature is
    left at 0; each component's largest loading is positive), with numpy's SVD: importing scikit-learn's PCA took
    about 1.5 s of the Dataset page's first visit. The SVD runs on one BLAS thread: a few ms for 200 clips, where
    OpenBLAS's two threads took 60-1100 ms whenever another process (the browser drawing the page) held a core.
    """
    x = np.asarray(stats, dtype=np.float64)
    spread = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    with threadpool_limits(limits=1, user_api="blas"):
        u, s, vt = np.linalg.svd(x, full_matrices=False)
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1.0
    coords = (u * s * signs)[:, :2]
    with np.errstate(invalid="ignore", divide="ignore"):
        explained = np.nan_to_num(s[:2] ** 2 / np.sum(s ** 2))
    return coords.astype(np.float32), explained


@dataclass
class Overview:
    """What the Dataset page draws of a whole dataset: the per-genre mean spectrograms
    (:func:`mean_spectrograms` in columns of :data:`MEAN_STEP` frames, (n_labels, n_mels, columns) dB) and the map of
    its clips (:func:`pca_map` of :func:`band_stats`: ``coords`` (n_clips, 2), ``explained`` (2,))."""

    means: np.ndarray
    coords: np.ndarray
    explained: np.ndarray


def overview(fs: FeatureSet) -> Overview:
    """The :class:`Overview` of ``fs``: about 0.1 s for 200 clips of 10 s, computed once per server by the page's
    cache (or by the app's warm-up while the reader reads Home)."""
    means = mean_spectrograms(fs.mels, fs.y, len(fs.labels), step=MEAN_STEP)
    coords, explained = pca_map(band_stats(fs.mels))
    return Overview(means, coords, explained)


@dataclass
class ClipPreview:
    """One clip ready to show: audio to play, a waveform to draw and its log-mel.

    ``audio`` is float32 mono at ``sr`` Hz, at most :data:`PREVIEW_SECONDS` long (``truncated`` says
    whether the file is longer); ``waveform`` holds ``waveform_rate`` points per second of it;
    ``S_db`` is the cached log-mel (float32, dB) over the same span.
    """

    audio: np.ndarray
    sr: int
    waveform: np.ndarray
    waveform_rate: float
    S_db: np.ndarray
    truncated: bool


def clip_preview(fs: FeatureSet, index: int, seconds: float = PREVIEW_SECONDS) -> ClipPreview:
    """Decode clip ``index`` of ``fs`` (its first ``seconds``) for playback and drawing.

    Raises :class:`core.base.audio.AudioError` if the file changed since it was scanned and no longer decodes.
    """
    cfg = fs.cfg
    audio = decode(fs.clips[index].path, sr=cfg.sr, max_seconds=seconds)
    frames = int(np.ceil(seconds * cfg.frames_per_second))
    mel = fs.mels[index]
    waveform, rate = display_waveform(audio, cfg.sr)
    return ClipPreview(audio, cfg.sr, waveform, rate, mel[:, :frames].astype(np.float32), mel.shape[1] > frames)


def selected_clip(points: list[dict], n_clips: int) -> int | None:
    """The clip index carried in ``customdata`` of the first selected chart point, if any.

    Plotly reports ``customdata`` as a scalar or a one-element list, depending on how it was set.
    The selection comes from the browser, so anything but an integer in ``[0, n_clips)`` is ignored.
    """
    for point in points:
        data = point.get("customdata")
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if isinstance(data, (int, float)) and not isinstance(data, bool) and float(data).is_integer() \
                and 0 <= data < n_clips:
            return int(data)
    return None
