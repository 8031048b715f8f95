"""Decode any audio file to mono float32 at a target rate, or raise a clear :class:`AudioError`."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

AUDIO_EXTENSIONS = (".wav", ".au", ".flac", ".ogg", ".mp3", ".aiff", ".aif")
WAVEFORM_POINTS = 4000  # samples kept for drawing a waveform
SILENCE_PEAK = 1e-4  # -80 dBFS: a clip whose peak stays below this is treated as silent
ACTIVE_RMS_DB = -60.0  # a frame whose RMS is above this (dBFS) holds sound; below it, near silence
ACTIVE_FRAME_SECONDS = 0.05
NEAR_SILENT_FRACTION = 0.2  # a clip with sound in less than this share of its frames is near-silent


class AudioError(ValueError):
    """A file that is not usable audio; ``str(err)`` is a sentence fit to show a user."""


SPECIAL_FILES = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                 (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                 (stat.S_ISSOCK, "a socket"))


def file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as an audio file (a special file, a symlink loop, …), or None.

    The reason never quotes the path (a server path must not reach a visitor).
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        if os.path.islink(path):
            return "a symbolic link that loops or points nowhere"
        return f"cannot be read ({err.strerror or type(err).__name__})"
    for test, kind in SPECIAL_FILES:
        if test(mode):
            return f"{kind}, not a regular file"
    return None


def file_size(path: str | Path) -> int:
    """Size in bytes of a regular file; raises :class:`AudioError` naming only the file otherwise."""
    problem = file_problem(path)
    if problem is None:
        try:
            return os.stat(path).st_size
        except OSError as err:
            problem = f"cannot be read ({err.strerror or type(err).__name__})"
    raise AudioError(f"{Path(path).name}: {problem}")


def decode(source: str | Path | bytes, sr: int = 22050, min_seconds: float = 0.0,
           max_seconds: float | None = None) -> np.ndarray:
    """Decode a file (path or raw bytes) to a mono waveform.

    Parameters
    ----------
    source : path or bytes
        WAV, AU (big- or little-endian), FLAC, OGG/Vorbis, MP3 or AIFF.
    sr : int
        Target sample rate (Hz); other rates are resampled (soxr, high quality).
    min_seconds : float
        Shorter audio raises :class:`AudioError`.
    max_seconds : float or None
        Read at most this many seconds from the start (bounded memory for huge files).

    Returns
    -------
    y : np.ndarray, float32, shape (n_samples,)
        Channels averaged, finite, peak above -80 dBFS.
    """
    name = "upload" if isinstance(source, bytes) else Path(source).name
    if isinstance(source, bytes):
        if not source:
            raise AudioError(f"{name}: the file is empty (0 bytes)")
        handle = io.BytesIO(source)
    else:
        if file_size(source) == 0:
            raise AudioError(f"{name}: the file is empty (0 bytes)")
        handle = source
    try:
        with sf.SoundFile(handle) as f:
            native_sr = f.samplerate
            frames = -1 if max_seconds is None else int(max_seconds * native_sr)
            y = f.read(frames=frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioError(f"{name}: not a readable audio file ({_reason(err)})") from None
    except OSError as err:
        raise AudioError(f"{name}: cannot be read ({err.strerror or type(err).__name__})") from None
    return _check(y[:, 0] if y.shape[1] == 1 else y.mean(axis=1), native_sr, sr, min_seconds, name)


UNDECODABLE = "it cannot be decoded: its data is damaged, or in a format its name does not say"
MISLEADING = ("File does not exist or is not a regular file", "Unspecified internal error")
"""libsndfile's words for a regular file whose data it cannot decode (a corrupt mp3): said as :data:`UNDECODABLE`."""


def _reason(err: Exception) -> str:
    """libsndfile's reason without the server path it quotes (never shown to a visitor).

    Only called for a file that exists and is regular (:func:`file_problem` ran first), so its words for a
    missing file or a pipe (:data:`MISLEADING`) mean data it cannot decode, and are said so.
    """
    reason = getattr(err, "error_string", None) or getattr(err, "strerror", None) or type(err).__name__
    return UNDECODABLE if reason.startswith(MISLEADING) else reason


def _check(y: np.ndarray, native_sr: int, sr: int, min_seconds: float, name: str) -> np.ndarray:
    if y.size == 0:
        raise AudioError(f"{name}: the file holds no audio samples")
    lowest, highest = float(y.min()), float(y.max())  # NaN if any sample is: two passes, no copy of the samples
    if not (np.isfinite(lowest) and np.isfinite(highest)):
        raise AudioError(f"{name}: the audio holds NaN or infinite samples")
    if max(highest, -lowest) < SILENCE_PEAK:
        raise AudioError(f"{name}: the audio is silent (peak below -80 dBFS)")
    seconds = y.size / native_sr
    if seconds < min_seconds:
        raise AudioError(f"{name}: {seconds:.2f} s of audio is shorter than the minimum {min_seconds:g} s")
    if native_sr != sr:
        y = soxr.resample(y, native_sr, sr, quality="HQ")
        if not np.isfinite(y).all():
            raise AudioError(f"{name}: the samples are too large to resample (they overflow float32)")
    return np.ascontiguousarray(y, dtype=np.float32)


def active_fraction(y: np.ndarray, sr: int, frame_seconds: float = ACTIVE_FRAME_SECONDS,
                    threshold_db: float = ACTIVE_RMS_DB) -> float:
    """Share of a waveform's frames that hold sound: RMS above ``threshold_db`` dBFS.

    A peak says nothing about how much of a clip is sound (one click in ten seconds of silence has a
    loud peak); this does.

    Parameters
    ----------
    y : np.ndarray, float, shape (n_samples,)
        Full scale is 1.0.
    sr : int
        Sample rate (Hz).

    Returns
    -------
    float in [0, 1]
        Over frames of ``frame_seconds`` (the last, partial one included).
    """
    if y.size == 0:
        return 0.0
    n = max(1, int(frame_seconds * sr))
    padded = np.pad(np.asarray(y, dtype=np.float64), (0, -y.size % n))
    rms = np.sqrt(np.mean(padded.reshape(-1, n) ** 2, axis=1))
    return float(np.mean(rms > 10 ** (threshold_db / 20)))


def duration(path: str | Path) -> float:
    """Length of an audio file in seconds, read from its header (no decoding)."""
    try:
        return sf.info(str(path)).duration
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise AudioError(f"{Path(path).name}: not a readable audio file ({_reason(err)})") from None


def display_waveform(y: np.ndarray, sr: float, max_points: int = WAVEFORM_POINTS) -> tuple[np.ndarray, float]:
    """Shorten a waveform for drawing, keeping its peaks.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
    sr : float
        Sample rate of ``y`` (Hz).

    Returns
    -------
    points : np.ndarray, float32, shape (<= max_points,)
        The largest-magnitude sample (with its sign) of each block of ``ceil(n_samples / max_points)``.
    rate : float
        Points per second.
    """
    block = max(1, -(-len(y) // max_points))
    n = len(y) // block * block
    blocks = y[:n].reshape(-1, block) if n else y[None, :]
    points = blocks[np.arange(len(blocks)), np.abs(blocks).argmax(axis=1)]
    return points.astype(np.float32), sr / block
