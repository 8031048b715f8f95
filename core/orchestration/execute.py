"""Train one classifier or GAN run in this process: the one way such a run is trained, whether the worker,
an experiment's grid or a Ray task (:mod:`.cluster`) asks."""

from __future__ import annotations

from ..storage.extract import FeatureSet
from . import classifier, gan_run
from .context import Status


def execute(kind: str, run_id: str, progress: Status | None = None, features: FeatureSet | None = None) -> dict:
    """Train run ``run_id`` of job ``kind`` (``"classifier"`` or ``"gan"``) in this process's data folder.

    ``features`` are the dataset's, when the caller has them (a Ray task has no dataset folder). Returns
    the run's result.
    """
    run = {"classifier": classifier.run_classifier, "gan": gan_run.run_gan}[kind]
    return run(run_id, progress=progress, **({} if features is None else {"features": features}))
