"""Any audio file → per-segment and clip genre probabilities from a trained run.

:func:`load_model` rebuilds a finished run's classifier (cached): an LSTM, a classic summary-feature model
(:mod:`core.compute.classic`) or a pretrained ear's head (:mod:`core.compute.transfer`). Callers need not tell them
apart: :func:`listen` decodes a file and computes what the model reads (a log-mel, a summary vector, or the
pretrained network's patch features), :func:`classify` turns those into clip probabilities, and :func:`predict`
does both for one file. An LSTM's input is framed and normalised exactly as in training and its segment
probabilities are voted into clip probabilities; a classic or pretrained model hears the clip as a whole, one
"segment" spanning it. Every liberty taken with the input (padding, a bounded window, resampling, mixing down) is
written into ``Prediction.notes``. Which models to offer: :mod:`core.usecases.model_choice`; which cells pushed an
LSTM towards a class: :mod:`core.usecases.saliency`.
"""

from __future__ import annotations

import io
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from ..storage import runs
from ..base.audio import (ACTIVE_RMS_DB, NEAR_SILENT_FRACTION, AudioError, active_fraction, decode,
                          display_waveform)
from ..base.config import (ClassicConfig, ClassifierConfig, ConfigError, FeatureConfig, PretrainedConfig,
                           classifier_config, from_dict)
from ..compute.features import logmel, model_inputs, normalise, window_starts

if TYPE_CHECKING:
    from ..compute.classic import ClassicModel
    from ..compute.models import LSTMClassifier

# torch (models, train, device) loads with a model, so Predict's page opens without it; scikit-learn (classic,
# transfer), musicnn and librosa (summary) only for a run that needs them: an LSTM's prediction does without them.

MAX_UPLOAD_BYTES = 50 * 2**20  # larger files are refused before decoding
MAX_SECONDS = 60.0  # longer audio is analysed on its first minute
MIN_SECONDS = 0.25  # shorter audio is refused: a padded segment would be almost all floor
MODEL_KEYS = ("state_dict", "mean", "std", "labels", "config")
OTHER_KINDS = {"gan": "a GAN run", "exp": "an experiment", "chk": "a check on another dataset", "lsn": "a lesson"}
CLASSIC_KEYS = ("state_dict", "features", "labels", "config")


@dataclass(frozen=True, eq=False)
class Predictor:
    """A run's classifier (CPU, eval mode, frozen weights) with what it needs to read new audio.

    For an LSTM, ``mean`` and ``std`` are the per-band normaliser (n_mels,) fitted on the run's training
    part (zeros and ones when the run did not normalise). A classic model (``config`` a
    :class:`core.base.config.ClassicConfig`) or a pretrained ear's head (a :class:`core.base.config.PretrainedConfig`,
    reading 16 kHz audio) carries its own standardiser, and ``mean`` and ``std`` are None.
    """

    run_id: str
    model: LSTMClassifier | ClassicModel
    mean: np.ndarray | None
    std: np.ndarray | None
    labels: tuple[str, ...]
    config: ClassifierConfig | ClassicConfig | PretrainedConfig
    features: FeatureConfig = FeatureConfig()

    @property
    def clip_level(self) -> bool:
        """True when the model hears each clip as a whole (classic or pretrained): no segments, no saliency."""
        return isinstance(self.config, (ClassicConfig, PretrainedConfig))

    @property
    def pretrained(self) -> bool:
        """True for a pretrained ear's head: it reads :func:`core.compute.musicnn.embed` of 16 kHz audio."""
        return isinstance(self.config, PretrainedConfig)


@dataclass
class Prediction:
    """What :func:`predict` found in one file.

    Attributes
    ----------
    labels : tuple of str, length n_classes
    probs : np.ndarray, float32, shape (n_classes,)
        Clip probabilities: the mean of the segment probabilities; sums to 1.
    segment_probs : np.ndarray, float32, shape (n_segments, n_classes)
    segment_starts : np.ndarray, float64, shape (n_segments,)
        Start of each model input (s); each spans ``segment_seconds``.
    segment_seconds : float
    logmel : np.ndarray, float32, shape (n_mels, frames)
        The analysed audio's log-mel, dB re 1.0, at ``frames_per_second``.
    frames_per_second : float
    waveform : np.ndarray, float32, shape (<= core.base.audio.WAVEFORM_POINTS,)
        The analysed audio, decimated for drawing (the largest-magnitude sample of each block).
    waveform_sr : float
        Points per second of ``waveform``.
    duration : float
        Length of the whole file (s).
    analysed_seconds : float
        Length of the part that was analysed (s).
    notes : list of str
        Sentences saying what was done to the input before the model saw it.
    clip_level : bool
        The model heard the clip as a whole (a classic model): one "segment" spans the analysed audio.
    """

    labels: tuple[str, ...]
    probs: np.ndarray
    segment_probs: np.ndarray
    segment_starts: np.ndarray
    segment_seconds: float
    logmel: np.ndarray
    frames_per_second: float
    waveform: np.ndarray
    waveform_sr: float
    duration: float
    analysed_seconds: float
    notes: list[str]
    clip_level: bool = False

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` most probable labels (``k`` >= 1) with their clip probabilities, most probable first."""
        if k < 1:
            raise ValueError(f"top needs k >= 1, not {k}")
        order = np.argsort(-self.probs, kind="stable")[:k]
        return [(self.labels[i], float(self.probs[i])) for i in order]

    def summary(self, k: int = 3) -> dict:
        """A JSON-ready digest: top labels, every clip probability, segment count, durations, notes."""
        return {"top": [{"label": label, "prob": round(p, 5)} for label, p in self.top(k)],
                "probs": {label: round(float(p), 5) for label, p in zip(self.labels, self.probs)},
                "n_segments": len(self.segment_starts), "segment_seconds": round(self.segment_seconds, 3),
                "duration": round(self.duration, 3), "analysed_seconds": round(self.analysed_seconds, 3),
                "clip_level": self.clip_level, "notes": self.notes}


def load_model(run_id: str) -> Predictor:
    """The classifier of run ``run_id``, loaded once per version of its ``model.pt``.

    A run of another kind (a GAN, an experiment, a check) raises :class:`core.storage.runs.RunError` saying so.

    The file is read with ``weights_only`` (never unpickling code); anything that is not a GenreLab
    model, or whose weights do not fit its own config, raises :class:`core.storage.runs.RunError`.
    """
    try:
        kind = runs.load(run_id)["kind"]
    except runs.RunError:
        kind = None  # no readable record: the missing model.pt below says so
    if kind not in (None, "clf"):
        raise runs.RunError(f"run {run_id} is {OTHER_KINDS[kind]}, not a classifier run: only a classifier's "
                            "model predicts genres and can be checked on another dataset")
    path = runs.run_path(run_id) / "model.pt"
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise runs.RunError(f"run {run_id} has no model.pt (it does not exist or has not finished)") from None
    return _load(str(path.resolve()), stat.st_mtime_ns, stat.st_size, run_id)


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int, run_id: str) -> Predictor:
    from ..compute.models import build_classifier

    name = f"run {run_id}: model.pt"
    try:
        obj = runs.load_tensors(Path(path))
    except runs.RunError as err:
        raise runs.RunError(f"run {run_id}: {err}") from None
    is_classic = isinstance(obj.get("config"), dict) and ("model" in obj["config"] or "ear" in obj["config"])
    missing = [k for k in (CLASSIC_KEYS if is_classic else MODEL_KEYS) if k not in obj]
    if missing:
        raise runs.RunError(f"{name} is not a GenreLab model file (it lacks {', '.join(missing)})")
    if is_classic:
        return _load_classic(obj, name, run_id)
    try:
        cfg = from_dict(ClassifierConfig, obj["config"])
        mean, std = obj["mean"].numpy().astype(np.float32), obj["std"].numpy().astype(np.float32)
        labels = tuple(str(label) for label in obj["labels"])
        model = build_classifier(cfg, len(mean), len(labels))
        model.load_state_dict(obj["state_dict"])
    except (AttributeError, TypeError, ConfigError, RuntimeError) as err:
        raise runs.RunError(f"{name} does not match its own config ({type(err).__name__})") from None
    if not all(np.isfinite(a).all() for a in (mean, std)) or not all(
            np.isfinite(t.numpy()).all() for t in model.state_dict().values() if t.is_floating_point()):
        raise runs.RunError(f"{name} holds NaN or infinite weights (its training diverged)")
    model.eval().requires_grad_(False)
    return Predictor(run_id, model, mean, std, labels, cfg)


def _load_classic(obj: dict, name: str, run_id: str) -> Predictor:
    from ..compute import classic

    try:
        cfg = classifier_config(obj["config"])
        pretrained = isinstance(cfg, PretrainedConfig)
        if pretrained:
            from ..compute import musicnn, transfer
        model = classic.from_tensors(obj, transfer.vocabulary() if pretrained else None)
        labels = tuple(str(label) for label in obj["labels"])
        if len(labels) != len(model.intercept):
            raise ValueError("labels")
    except (AttributeError, TypeError, KeyError, ValueError) as err:
        raise runs.RunError(f"{name} does not match its own config ({type(err).__name__})") from None
    features = FeatureConfig(sr=musicnn.SAMPLE_RATE) if pretrained else FeatureConfig()
    return Predictor(run_id, model, None, None, labels, cfg, features)


def _header(source: str | Path | bytes) -> tuple[int, int, float]:
    """Sample rate (Hz), channel count and duration (s) from a file's header, without decoding."""
    info = sf.info(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    return info.samplerate, info.channels, info.duration


def _notes(header: tuple[int, int, float], y_seconds: float, max_seconds: float,
           cfg: ClassifierConfig | ClassicConfig | PretrainedConfig, fcfg: FeatureConfig,
           active: float = 1.0) -> list[str]:
    """Sentences on what was done to the input: a bounded window, resampling, mixing down, padding, summarising;
    and on a near-silent clip (sound in only ``active``, a share of its frames; see
    :func:`core.base.audio.active_fraction`)."""
    rate, channels, seconds = header
    notes = []
    if active < NEAR_SILENT_FRACTION:
        notes.append(f"the clip is near-silent: only {active:.1%} of it ({active * y_seconds:.2f} s of "
                     f"{y_seconds:.1f} s) is louder than {ACTIVE_RMS_DB:g} dBFS, so these genres describe almost "
                     "no sound")
    if seconds > max_seconds:
        notes.append(f"the file is {seconds:.1f} s long: only its first {max_seconds:g} s were analysed")
    if rate != fcfg.sr:
        notes.append(f"resampled from {rate} Hz to {fcfg.sr} Hz")
    if channels > 1:
        notes.append(f"mixed down from {channels} channels to mono")
    if isinstance(cfg, PretrainedConfig):
        notes.append(f"the pretrained ear (musicnn) heard the {y_seconds:.1f} s in 3 s patches; the classifier read "
                     f"their {cfg.layer} features averaged over the clip")
    elif isinstance(cfg, ClassicConfig):
        notes.append(f"the classic model hears the {y_seconds:.1f} s as a whole: the mean and spread of its features "
                     f"over the clip, not segments")
    elif cfg.framing == "first_frames":
        seconds = cfg.first_frames / fcfg.frames_per_second
        if y_seconds < seconds:
            notes.append(f"the clip is {y_seconds:.1f} s, shorter than the {seconds:.1f} s the paper framing "
                         f"reads: it was padded")
        else:
            notes.append(f"the paper framing reads only the first {seconds:.1f} s ({cfg.first_frames} frames): "
                         f"the rest of the clip was not used")
    elif y_seconds < cfg.segment_seconds:
        notes.append(f"the clip is {y_seconds:.1f} s, shorter than one {cfg.segment_seconds:g} s segment: "
                     f"it was padded")
    return notes


def heard(predictor: Predictor, y: np.ndarray) -> np.ndarray:
    """What a run's model reads of one decoded clip, computed as for its training cache (:mod:`core.storage.extract`).

    Parameters
    ----------
    y : np.ndarray, float32, shape (n_samples,)
        Mono audio at ``predictor.features.sr`` Hz.

    Returns
    -------
    np.ndarray, float32
        An LSTM's log-mel (n_mels, frames), dB re 1.0, rounded through float16 as the cache stores it, so a
        training file gets its training numbers; a classic model's summary vector
        (len(core.compute.summary.feature_names()),); or a pretrained model's patch features (n_patches, 1756),
        rounded through float16 like its cache.
    """
    if predictor.pretrained:
        from ..compute import musicnn

        return musicnn.embed(y).astype(np.float16).astype(np.float32)
    if predictor.clip_level:
        from ..compute.summary import summary_features

        return summary_features(y, predictor.features)
    return logmel(y, predictor.features).astype(np.float16).astype(np.float32)


def listen(source: str | Path | bytes, predictor: Predictor,
           max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, np.ndarray]:
    """Decode one file and compute what the run's model reads (:func:`heard`), as every prediction does.

    Parameters
    ----------
    source : path or bytes
        Any format :func:`core.base.audio.decode` reads. Bytes are an upload: at most :data:`MAX_UPLOAD_BYTES`.
        A file (a dataset's clip) may be of any size: only its first ``max_seconds`` are decoded.
    max_seconds : float
        Only the first ``max_seconds`` of longer audio are read.

    Returns
    -------
    y : np.ndarray, float32, shape (n_samples,)
        The decoded mono waveform at ``predictor.features.sr``.
    x : np.ndarray, float32
        :func:`heard` of ``y``.

    Raises
    ------
    core.base.audio.AudioError
        Too large, not audio, corrupt, empty, silent, or shorter than :data:`MIN_SECONDS`.
    """
    if max_seconds <= 0:
        raise ValueError(f"max_seconds must be positive, not {max_seconds}")
    if isinstance(source, bytes) and len(source) > MAX_UPLOAD_BYTES:
        raise AudioError(f"upload: {len(source) / 2**20:.1f} MB is over the {MAX_UPLOAD_BYTES / 2**20:g} MB limit "
                         f"for one file")
    y = decode(source, predictor.features.sr, MIN_SECONDS, max_seconds)
    return y, heard(predictor, y)


def classify(predictor: Predictor, inputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Segment and clip probabilities of several clips under one model, in one batched model call.

    Parameters
    ----------
    inputs : list of np.ndarray
        Each clip's :func:`heard`.

    Returns
    -------
    seg_probs : np.ndarray, float32, shape (n_inputs, n_classes)
        Every model input's probabilities, clip after clip in ``inputs`` order (a classic model: one per clip).
    probs : np.ndarray, float32, shape (len(inputs), n_classes)
        Each clip's probabilities: the mean of its segments'.
    """
    if predictor.pretrained:
        from ..compute import transfer

        probs = transfer.probabilities(predictor.model, transfer.clip_vectors(inputs))
        return probs, probs
    if predictor.clip_level:
        from ..compute import classic

        probs = classic.probabilities(predictor.model, np.stack(inputs))
        return probs, probs
    import torch
    from ..compute.train import predict_segments, vote

    x, clip = model_inputs(inputs, predictor.config, predictor.features)
    seg_probs = predict_segments(predictor.model, torch.from_numpy(normalise(x, predictor.mean, predictor.std)))
    return seg_probs.numpy(), vote(seg_probs, torch.from_numpy(clip), len(inputs))


def predict(source: str | Path | bytes, predictor: Predictor, max_seconds: float = MAX_SECONDS) -> Prediction:
    """Genre probabilities of one audio file, per segment and for the whole clip.

    Parameters
    ----------
    source : path or bytes
        Any format :func:`core.base.audio.decode` reads, at most :data:`MAX_UPLOAD_BYTES`.
    predictor : Predictor
        From :func:`load_model`.
    max_seconds : float
        Only the first ``max_seconds`` of longer audio are analysed (bounded time and memory).

    Returns
    -------
    Prediction
        For a model that hears clips whole (``predictor.clip_level``), one "segment" spans the analysed audio.

    Raises
    ------
    core.base.audio.AudioError
        Too large, not audio, corrupt, empty, silent, shorter than :data:`MIN_SECONDS`, or so loud
        that its features overflow.
    core.storage.runs.RunError
        If the model's probabilities are not finite (never printed as NaN).
    """
    from ..compute.device import one_thread

    fcfg, cfg = predictor.features, predictor.config
    with nullcontext() if predictor.pretrained else one_thread():  # convolutions use both cores; an LSTM one
        y, x = listen(source, predictor, max_seconds)
        seg_probs, probs = classify(predictor, [x])
        S_db = logmel(y, fcfg) if predictor.clip_level else x
    header = _header(source)
    if not np.isfinite(probs).all():
        raise runs.RunError(f"run {predictor.run_id}: the model's output is not finite for this clip")
    y_seconds = len(y) / fcfg.sr
    if predictor.clip_level:
        starts, seconds = np.zeros(1), y_seconds
    else:
        frames, length = window_starts(cfg, fcfg, S_db.shape[1])
        starts, seconds = frames / fcfg.frames_per_second, length / fcfg.frames_per_second
    waveform, waveform_sr = display_waveform(y, fcfg.sr)
    return Prediction(predictor.labels, probs[0], seg_probs, starts, seconds, S_db, fcfg.frames_per_second, waveform,
                      waveform_sr, max(header[2], y_seconds), y_seconds,
                      _notes(header, y_seconds, max_seconds, cfg, fcfg, active_fraction(y, fcfg.sr)),
                      predictor.clip_level)
