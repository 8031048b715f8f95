"""Which time-frequency cells of a clip's log-mel pushed an LSTM towards a class: gradient × input saliency
over the inputs framed and normalised as at training (:func:`framed_inputs`)."""

from __future__ import annotations

import numpy as np
import torch

from ..compute.device import one_thread
from ..compute.features import model_inputs, normalise, window_starts
from .predict import Prediction, Predictor


def framed_inputs(predictor: Predictor, S_db: np.ndarray) -> np.ndarray:
    """Normalised model inputs of one log-mel, as at training.

    Parameters
    ----------
    S_db : np.ndarray, shape (n_mels, frames), dB re 1.0

    Returns
    -------
    x : np.ndarray, float32, shape (n_inputs, steps, n_mels)
    """
    x, _ = model_inputs([S_db], predictor.config, predictor.features)
    return normalise(x, predictor.mean, predictor.std)


def saliency(predictor: Predictor, prediction: Prediction, target: int | None = None) -> np.ndarray:
    """Gradient × input saliency of a class over the prediction's log-mel.

    The gradient of the ``target`` logit with respect to each normalised model input, times that
    input (its distance from the training mean, in training standard deviations), in absolute
    value. Pooled steps are repeated ``time_pool`` times, overlapping segments are averaged, frames
    no input covered are 0, and the map is scaled so its maximum is 1.

    Parameters
    ----------
    target : int or None
        Class index; ``None`` means the predicted class.

    Returns
    -------
    s : np.ndarray, float32, shape (n_mels, frames), values in [0, 1], on ``prediction.logmel``'s grid

    Raises
    ------
    ValueError
        For a model that hears clips whole (a classic model has no time-frequency input to trace).
    """
    if predictor.clip_level:
        raise ValueError("a classic model reads summary features of the whole clip, not the spectrogram: "
                         "there is no saliency map")
    n_classes = len(predictor.labels)
    target = int(prediction.probs.argmax()) if target is None else int(target)
    if not 0 <= target < n_classes:
        raise ValueError(f"target {target} is not a class index in [0, {n_classes})")
    cfg, fcfg = predictor.config, predictor.features
    x = torch.from_numpy(framed_inputs(predictor, prediction.logmel)).requires_grad_(True)
    # cuDNN's LSTM backward refuses eval mode; with cuDNN off the backward runs in eval mode anywhere
    with one_thread(), torch.enable_grad(), torch.backends.cudnn.flags(enabled=False):
        logits = predictor.model(x)
        (grad,) = torch.autograd.grad(logits[:, target].sum(), x)
    cells = np.repeat((grad * x).abs().detach().numpy(), cfg.time_pool, axis=1)  # (n, frames, n_mels)
    n_frames, n_mels = prediction.logmel.shape[1], prediction.logmel.shape[0]
    starts, length = window_starts(cfg, fcfg, n_frames)
    total = np.zeros((max(n_frames, int(starts[-1]) + length), n_mels))
    count = np.zeros(len(total))
    for start, cell in zip(starts, cells):
        total[start:start + len(cell)] += cell
        count[start:start + len(cell)] += 1
    s = (total / np.maximum(count, 1)[:, None])[:n_frames].T
    peak = s.max()
    return (s / peak if peak > 0 else s).astype(np.float32)
