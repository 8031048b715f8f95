"""What a page plays: log-mels as WAV bytes (:func:`listenable`, through
:func:`core.compute.inversion.mel_db_to_audio`), every clip of a gallery at one loudness (:func:`match_level`)."""

from __future__ import annotations

import io

import numpy as np

from .device import one_thread
from .inversion import PEAK, mel_db_to_audio

_SILENCE = 1.0 / 32768  # wav_bytes: a peak below one 16-bit LSB would play as silence
LISTENING_RMS_DB = -20.0  # match_level: every example of a gallery plays at this RMS level (dB re full scale)


def match_level(y: np.ndarray, rms_db: float = LISTENING_RMS_DB, peak: float = PEAK) -> np.ndarray:
    """Scale each clip to the same loudness for listening side by side, then limit its peak.

    Log-mels in dB *re the clip's maximum* (the paper GAN's, and the real clips it learnt from) invert
    tens of dB quieter than log-mels in dB re 1.0 (the conditional GAN's): a difference of level, not of
    content. Played at one RMS level, examples of either kind can be compared by ear.

    Parameters
    ----------
    y : np.ndarray, shape ``(..., samples)``
        Audio clips along the last axis.
    rms_db : float
        Target RMS level of every clip (dB re full scale, 1.0).
    peak : float in (0, 1]
        A clip whose peak would exceed this after scaling is scaled down to it (its RMS then stays below
        ``rms_db``).

    Returns
    -------
    np.ndarray, float32, the same shape as ``y``
        Clips with a peak below one 16-bit step (silence) are returned unchanged.
    """
    y = np.asarray(y, dtype=np.float64)
    rms = np.sqrt(np.mean(y ** 2, axis=-1, keepdims=True))
    audible = np.abs(y).max(axis=-1, keepdims=True) >= _SILENCE
    y = y * np.where(audible, 10.0 ** (rms_db / 20.0) / np.maximum(rms, 1e-30), 1.0)
    loudest = np.abs(y).max(axis=-1, keepdims=True)
    return (y * np.where(loudest > peak, peak / np.maximum(loudest, 1e-30), 1.0)).astype(np.float32)


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    """16-bit PCM mono WAV bytes of ``y`` for ``st.audio``.

    Parameters
    ----------
    y : np.ndarray, shape ``(samples,)``
        Audio in [-1, 1]. NaN/±inf are replaced by 0; a louder signal is scaled down to a 0.99 peak
        (not clipped).
    sr : int
        Sample rate (Hz), > 0.

    Returns
    -------
    bytes
        A complete RIFF/WAV file.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D, empty, ``sr`` is not positive, or the sanitised signal is silent (peak below
        one 16-bit step, 1/32768).
    """
    import soundfile as sf

    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"wav_bytes expects mono audio of shape (samples,), got {y.shape}")
    if int(sr) <= 0:
        raise ValueError(f"sample rate must be positive, got {sr}")
    y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.abs(y).max()) if y.size else 0.0
    if peak < _SILENCE:
        raise ValueError(f"audio is silent (peak {peak:.2e} after replacing NaN/inf by 0); refusing to play it")
    if peak > 1.0:
        y = y * (0.99 / peak)
    buf = io.BytesIO()
    sf.write(buf, y.astype(np.float32), int(sr), format="WAV", subtype="PCM_16")
    return buf.getvalue()


def listenable(mels: list[np.ndarray], sr: int = 22050) -> list[bytes | None]:
    """WAV bytes of each dB log-mel through one batched :func:`mel_db_to_audio`, every clip at one loudness
    (:func:`match_level`); None for one that comes out silent.

    Parameters
    ----------
    mels : list of np.ndarray, each shape ``(n_mels, frames)``, dB re 1.0, all the same shape
    sr : int
        Sample rate (Hz) of the mel filterbank and of the WAVs.

    Returns
    -------
    list of bytes or None, one per log-mel, in order (see :func:`wav_bytes`)

    Runs on one torch thread (:func:`core.compute.device.one_thread`): beside a training job on the other
    core, two threads make it ~20x slower.
    """
    if not mels:
        return []
    with one_thread():
        audio = match_level(mel_db_to_audio(np.stack(mels), sr=sr))
    out = []
    for y in audio:
        try:
            out.append(wav_bytes(y, sr))
        except ValueError:
            out.append(None)
    return out
