"""The run context every runner shares: the lifecycle, the data a run learns from, and its progress.

A runner enters :func:`run_context` for the run it was given. Inside, :class:`RunContext` knows the
run's record and folder, times the current step and reports its progress the one way every kind
does: ``run.json``'s ``progress`` (with :func:`core.base.progress.eta` and a
:class:`core.base.progress.Phase` where the kind has phases), the caller's callback, then a check for
a cancel request. The lifecycle itself (queued → running → done / cancelled / failed / interrupted)
is :func:`core.storage.runs.running`.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import torch

from ..base.config import FeatureConfig
from ..base.progress import Phase, eta
from ..base.splits import Split, make_split
from ..storage import runs
from ..storage.extract import EmbeddingSet, FeatureSet, SummarySet, load_features

Status = Callable[[dict], None]
"""A progress callback: receives a run's ``progress`` and, per epoch, that epoch's metrics."""


class RunContext:
    """A run being run: its id, record (as it started) and folder, the clock of its current step, and its
    progress reports (see :func:`run_context`)."""

    def __init__(self, lifecycle: runs.Running, progress: Status | None = None):
        self.lifecycle = lifecycle
        self.id = lifecycle.id
        self.record = lifecycle.record
        self.folder = runs.run_path(self.id)
        self._progress = progress
        self._started = time.perf_counter()
        self._first = 0

    def start(self, first: int = 0) -> None:
        """Start timing a step; its epochs count on after epoch ``first`` (a resumed step's last saved one)."""
        self._started = time.perf_counter()
        self._first = first

    def elapsed(self) -> float:
        """Seconds since the current step started."""
        return time.perf_counter() - self._started

    def report(self, epoch: int, epochs: int, phase: Phase | None = None, metrics: dict | None = None,
               cancellable: bool = True) -> None:
        """Epoch ``epoch`` of ``epochs`` of the current step is done: record it with the time left at this pace."""
        info = {"phase": phase} if phase else {}
        info.update(epoch=epoch, epochs=epochs, eta_seconds=eta(self.elapsed(), epoch - self._first, epochs - epoch))
        self.post(info, metrics, cancellable)

    def post(self, info: dict, metrics: dict | None = None, cancellable: bool = True) -> None:
        """Write ``info`` as the run's progress, hand it (with ``metrics``) to the callback, then, if
        ``cancellable``, stop with :class:`core.storage.runs.Cancelled` when a user asked the run to stop."""
        runs.update(self.id, progress=info)
        if self._progress:
            self._progress({**info, **(metrics or {})})
        if cancellable:
            self.lifecycle.check_cancel()

    def cancelled(self) -> None:
        """The run handled a cancel request itself (it kept what it had): it ends ``cancelled``."""
        self.lifecycle.status = "cancelled"

    def split_data(self, features: FeatureSet | None, kind: str, seed: int) -> tuple[FeatureSet, Split]:
        """The dataset's features (``features``, or loaded from the run's dataset folder) and the run's split,
        both recorded in ``run.json``."""
        fs = features or load_features(self.record["dataset"]["root"], FeatureConfig())
        split = make_split(kind, fs.y, fs.keys, seed)
        runs.update(self.id, dataset=dataset_info(fs, self.record["dataset"]["name"]), split=split.to_dict(),
                    split_name=split.name)
        return fs, split


@contextmanager
def run_context(run_id: str, on_progress: Status | None = None, plain_errors: tuple[type[Exception], ...] = (),
                **fields: Any) -> Iterator[RunContext]:
    """Run ``run_id`` inside its lifecycle (:func:`core.storage.runs.running`, with ``plain_errors`` and
    ``fields``, e.g. a first ``progress``), reporting to ``on_progress``."""
    with runs.running(run_id, plain_errors, **fields) as lifecycle:
        yield RunContext(lifecycle, on_progress)


def dataset_info(fs: FeatureSet | SummarySet | EmbeddingSet, name: str) -> dict:
    """What a run records about the data it was trained on."""
    return {"name": name, "root": str(fs.root), "fingerprint": fs.fingerprint, "layout": fs.layout,
            "labels": list(fs.labels), "n_clips": len(fs.clips)}


def save_clips(run_id: str, data: FeatureSet | SummarySet | EmbeddingSet, split: Split) -> None:
    """Keep the content digests of the run's training, validation and test clips (what a check compares with)."""
    runs.save_clips(run_id, {part: [data.hashes[i] for i in getattr(split, part)] for part in runs.SPLIT_PARTS})


def normaliser(data) -> dict:
    """The training statistics ``data`` (a :class:`core.compute.train.Prepared`) was normalised with, as tensors."""
    return {"mean": torch.from_numpy(data.mean), "std": torch.from_numpy(data.std)}


def resume_state(run_id: str) -> dict | None:
    """A run's ``checkpoint.pt`` if training can carry on from it, else None (start at epoch 1).

    A classifier's checkpoint is its training state (with ``optimizer``); a GAN's holds it under
    ``train_state``. Checkpoints written before they held the optimisers' state cannot be continued
    exactly, so those runs start again.
    """
    path = runs.run_path(run_id) / "checkpoint.pt"
    if not path.exists():
        return None
    saved = runs.load_tensors(path)
    return saved if "optimizer" in saved or "train_state" in saved else None
