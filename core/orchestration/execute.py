"""Train one classifier or GAN run in this process: the one way such a run is trained, whether the worker,
an experiment's grid or a Ray task (:mod:`.cluster`) asks."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..base.config import ClassicConfig, PretrainedConfig, classifier_config
from ..storage.extract import EmbeddingSet, FeatureSet, SummarySet, load_embeddings, load_features, load_summaries
from . import classifier, gan_run
from .context import Status

Inputs = FeatureSet | SummarySet | EmbeddingSet
LOADERS = {PretrainedConfig: load_embeddings, ClassicConfig: load_summaries}
"""A one-step classifier's config type → what it reads of a dataset (LSTMs and GANs read log-mels)."""


def execute(kind: str, run_id: str, progress: Status | None = None, features: Inputs | None = None) -> dict:
    """Train run ``run_id`` of job ``kind`` (``"classifier"`` or ``"gan"``) in this process's data folder.

    ``features`` are what the run reads of the dataset (:func:`inputs`), when the caller has them (a Ray task
    has no dataset folder). Returns the run's result.
    """
    run = {"classifier": classifier.run_classifier, "gan": gan_run.run_gan}[kind]
    return run(run_id, progress=progress, **({} if features is None else {"features": features}))


def inputs(kind: str, config: dict) -> Callable[[str | Path], Inputs]:
    """What a run of job ``kind`` with config ``config`` reads of its dataset, as the loader that reads it from a
    dataset folder: the pretrained ear's patch features, the classic model's summary vectors, or (an LSTM, a GAN)
    log-mels."""
    return LOADERS.get(type(classifier_config(config)), load_features) if kind == "classifier" else load_features
