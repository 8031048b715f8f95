"""Summary features of a whole clip: the classic GTZAN feature table (Tzanetakis & Cook 2002, and the
tables behind many GTZAN tutorials) as one vector per clip.

Per frame: ``N_MFCC`` MFCCs and their deltas, 12 chroma bins, 7 spectral-contrast bands, the spectral
centroid and roll-off (Hz) and the zero-crossing rate; each is summarised over the clip by its mean and
standard deviation, and the clip's tempo (beats per minute) is appended. Everything comes from one STFT,
through librosa.

Level: a gain of g dB on the audio adds ``g * sqrt(n_mels)`` (ortho DCT of a constant) to MFCC 0 in
every frame and changes nothing else here (chroma is normalised per frame, spectral contrast is a ratio,
centroid, roll-off, zero-crossing rate and tempo ignore scale). :func:`select` can drop the mean of
MFCC 0, the clip's mean level, so loudness is no cue (see :data:`LEVEL_COLUMN`).
"""

from __future__ import annotations

import librosa
import numpy as np

from ..base.config import FeatureConfig

N_MFCC = 20
N_CHROMA = 12
N_CONTRAST = 7  # librosa's default six bands plus the residual
LEVEL_COLUMN = "mfcc0_mean"
"""The one column that moves with the recording's gain: the clip's mean MFCC 0."""


def frame_names() -> list[str]:
    """Names of the per-frame features, in the order of :func:`frame_features`'s rows."""
    return ([f"mfcc{i}" for i in range(N_MFCC)] + [f"dmfcc{i}" for i in range(N_MFCC)]
            + [f"chroma{i}" for i in range(N_CHROMA)] + [f"contrast{i}" for i in range(N_CONTRAST)]
            + ["centroid_hz", "rolloff_hz", "zcr"])


def feature_names() -> list[str]:
    """Names of the columns of :func:`summary_features`: ``<frame feature>_mean``, ``<frame feature>_std``,
    ``tempo_bpm``."""
    names = frame_names()
    return [f"{n}_mean" for n in names] + [f"{n}_std" for n in names] + ["tempo_bpm"]


def spectra(y: np.ndarray, cfg: FeatureConfig = FeatureConfig()) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude STFT and log-mel of a waveform (librosa, Hann window, centred frames).

    Parameters
    ----------
    y : np.ndarray, float32, shape (n_samples,)
        Mono audio at ``cfg.sr`` Hz.

    Returns
    -------
    S : np.ndarray, float32, shape (1 + cfg.n_fft // 2, frames)
        Magnitude spectrogram.
    S_db : np.ndarray, float32, shape (cfg.n_mels, frames)
        Mel power in dB re 1.0, floored at -100 dB (as :func:`core.compute.features.logmel`).
    """
    S = np.abs(librosa.stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop_length))
    mel = librosa.feature.melspectrogram(S=S ** 2, sr=cfg.sr, n_fft=cfg.n_fft, n_mels=cfg.n_mels)
    return S, librosa.power_to_db(mel, amin=1e-10, top_db=None)


def frame_features(y: np.ndarray, S: np.ndarray, S_db: np.ndarray, cfg: FeatureConfig = FeatureConfig()) -> np.ndarray:
    """The per-frame features of a waveform.

    Parameters
    ----------
    y : np.ndarray, float32, shape (n_samples,)
        Mono audio at ``cfg.sr`` Hz.
    S, S_db : np.ndarray
        Its magnitude STFT and log-mel (:func:`spectra`).
    cfg : FeatureConfig
        Sample rate, STFT window (``n_fft``) and hop, as for ``S``.

    Returns
    -------
    F : np.ndarray, float32, shape (len(frame_names()), frames)
        Rows as :func:`frame_names`: MFCCs (DCT of ``S_db``), their deltas, chroma (per-frame maximum 1, A = 440 Hz,
        no tuning estimate), spectral contrast (dB), centroid and roll-off (Hz), zero-crossing rate (fraction of
        samples).
    """
    mfcc = librosa.feature.mfcc(S=S_db, n_mfcc=N_MFCC)
    rows = [mfcc, librosa.feature.delta(mfcc, mode="nearest"),
            librosa.feature.chroma_stft(S=S ** 2, sr=cfg.sr, n_fft=cfg.n_fft, tuning=0.0),
            librosa.feature.spectral_contrast(S=S, sr=cfg.sr, n_fft=cfg.n_fft),
            librosa.feature.spectral_centroid(S=S, sr=cfg.sr, n_fft=cfg.n_fft),
            librosa.feature.spectral_rolloff(S=S, sr=cfg.sr, n_fft=cfg.n_fft),
            librosa.feature.zero_crossing_rate(y, frame_length=cfg.n_fft, hop_length=cfg.hop_length)]
    frames = min(r.shape[1] for r in rows)
    return np.concatenate([r[:, :frames] for r in rows]).astype(np.float32)


def tempo(S_db: np.ndarray, cfg: FeatureConfig = FeatureConfig()) -> float:
    """A clip's global tempo estimate (beats per minute) from the onset strength of its log-mel ``S_db``
    (n_mels, frames), librosa's autocorrelation estimate."""
    onset = librosa.onset.onset_strength(S=S_db, sr=cfg.sr, hop_length=cfg.hop_length)
    return float(librosa.feature.tempo(onset_envelope=onset, sr=cfg.sr, hop_length=cfg.hop_length)[0])


def summary_features(y: np.ndarray, cfg: FeatureConfig = FeatureConfig()) -> np.ndarray:
    """One clip's summary vector: mean and standard deviation over frames of :func:`frame_features`, and tempo.

    Parameters
    ----------
    y : np.ndarray, float32, shape (n_samples,)
        Mono audio at ``cfg.sr`` Hz, at least one STFT window (``cfg.n_fft`` samples) long.

    Returns
    -------
    v : np.ndarray, float32, shape (len(feature_names()),)
        In the order and units of :func:`feature_names`.
    """
    S, S_db = spectra(y, cfg)
    F = frame_features(y, S, S_db, cfg)
    return np.concatenate([F.mean(axis=1), F.std(axis=1), [tempo(S_db, cfg)]]).astype(np.float32)


def select(X: np.ndarray, deltas: bool, level: str) -> tuple[np.ndarray, list[str]]:
    """The columns of summary vectors a classic model reads.

    Parameters
    ----------
    X : np.ndarray, shape (n_clips, len(feature_names()))
    deltas : bool
        Keep the MFCC deltas' columns.
    level : str
        ``"absolute"`` keeps every level cue; ``"clip"`` drops :data:`LEVEL_COLUMN`, the clip's mean level.

    Returns
    -------
    X : np.ndarray, float32, shape (n_clips, n_kept)
    names : list of str, length n_kept
    """
    names = feature_names()
    keep = [i for i, n in enumerate(names)
            if (deltas or not n.startswith("dmfcc")) and not (level == "clip" and n == LEVEL_COLUMN)]
    return np.asarray(X, dtype=np.float32)[:, keep], [names[i] for i in keep]
