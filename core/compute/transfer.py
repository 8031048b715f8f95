"""Transfer learning: a frozen pretrained network's patch features, pooled per clip, into a linear head.

:func:`clip_vectors` pools what :func:`core.compute.musicnn.embed` heard in each 3 s patch of a clip into one
vector (every layer's mean and spread over the patches); :func:`fit` picks the columns a
:class:`core.base.config.PretrainedConfig` asks for and fits :func:`core.compute.classic.fit_linear` on them, so a
fitted head is a :class:`core.compute.classic.ClassicModel` and is saved, loaded and applied like one.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import classic, musicnn
from ..base.config import PretrainedConfig

STATS = ("mean", "std")
LAYER_COLUMNS = {"tags": ("tags",), "penultimate": ("penultimate",), "pooled": ("mean_pool", "max_pool"),
                 "all": tuple(musicnn.LAYERS)}
"""A config's ``layer`` → the :data:`core.compute.musicnn.LAYERS` it reads."""


@lru_cache(maxsize=1)
def vocabulary() -> list[str]:
    """The names of :func:`clip_vectors`' columns: ``<musicnn column>:<mean|std>``."""
    return [f"{name}:{stat}" for stat in STATS for name in musicnn.feature_names()]


def clip_vectors(embeddings: list[np.ndarray]) -> np.ndarray:
    """Pool each clip's patch features into one vector.

    Parameters
    ----------
    embeddings : list of np.ndarray [shape=(n_patches, 1756)]
        One :func:`core.compute.musicnn.embed` per clip (any float dtype).

    Returns
    -------
    np.ndarray [shape=(n_clips, 3512)], float64
        Per clip, every column's mean over its patches, then every column's standard deviation
        (:func:`vocabulary` names them).
    """
    return np.stack([np.concatenate([e.astype(np.float64).mean(0), e.astype(np.float64).std(0)])
                     for e in embeddings])


def columns(cfg: PretrainedConfig) -> list[str]:
    """The :func:`vocabulary` columns a head with config ``cfg`` reads."""
    stats = STATS if cfg.pooling == "mean_std" else ("mean",)
    layers = LAYER_COLUMNS[cfg.layer]
    return [name for name in vocabulary()
            if name.split(":")[0].rsplit("_", 1)[0] in layers and name.split(":")[1] in stats]


def selected(cfg: PretrainedConfig, X: np.ndarray) -> np.ndarray:
    """The :func:`columns` of ``cfg`` out of :func:`clip_vectors` ``X``: shape (n_clips, len(columns(cfg)))."""
    return X[:, classic.column_index(columns(cfg), vocabulary())]


def fit(cfg: PretrainedConfig, X: np.ndarray, y: np.ndarray, n_classes: int) -> classic.ClassicModel:
    """Fit the head on training clips' :func:`clip_vectors` ``X`` labelled ``y`` (class indices)."""
    return classic.fit_linear(selected(cfg, X), columns(cfg), y, n_classes, cfg.C, cfg.seed)


def probabilities(model: classic.ClassicModel, X: np.ndarray) -> np.ndarray:
    """Class probabilities (n_clips, n_classes), float32, of clips' :func:`clip_vectors` ``X``."""
    return classic.probabilities(model, X, vocabulary())
