"""What a background job does: load the data, train, and write everything to the run folder.

Each ``run_*`` function takes a run id whose ``run.json`` was written by :func:`submit_classifier`
(or the GAN equivalent) and fills that folder. They are called by the worker in :mod:`core.jobs`
and, in the foreground, by the CLI.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from . import evaluate, runs
from .config import ClassifierConfig, FeatureConfig, from_dict, to_dict
from .extract import FeatureSet, load_features
from .models import build_classifier
from .splits import make_split
from .train import device, fit, predict_clips, prepare


class Cancelled(Exception):
    """Raised inside a job when its user asked it to stop."""


Status = Callable[[dict], None]


def dataset_info(fs: FeatureSet, name: str) -> dict:
    """What a run records about the data it was trained on."""
    return {"name": name, "root": str(fs.root), "fingerprint": fs.fingerprint, "layout": fs.layout,
            "labels": list(fs.labels), "n_clips": len(fs.clips)}


def submit_classifier(cfg: ClassifierConfig, data_root: str | Path, data_name: str, name: str = "",
                      preset: str = "custom") -> str:
    """Create a queued classifier run (the worker picks it up once :func:`core.jobs.enqueue` is called)."""
    title = name or f"{preset} LSTM on {data_name}, seed {cfg.seed}"
    return runs.create("clf", title, to_dict(cfg), preset=preset,
                       dataset={"name": data_name, "root": str(data_root)})


def classification_result(probs: np.ndarray, y_true: np.ndarray, keys: list[str], labels: tuple[str, ...]) -> dict:
    """Everything shown about a test set: accuracy with its 95 % interval, confusion, per-class scores."""
    pred = probs.argmax(1)
    correct = int((pred == y_true).sum())
    acc, lo, hi = evaluate.accuracy_interval(correct, len(y_true))
    return {"accuracy": {"value": acc, "lo": lo, "hi": hi, "correct": correct, "n": int(len(y_true))},
            "labels": list(labels), "keys": keys, "y_true": y_true.tolist(), "y_pred": pred.tolist(),
            "probs": np.round(probs, 5).tolist(),
            "confusion": evaluate.confusion(y_true, pred, len(labels)).tolist(),
            "per_class": evaluate.per_class_report(y_true, pred, list(labels))}


def _normaliser(data) -> dict:
    return {"mean": torch.from_numpy(data.mean), "std": torch.from_numpy(data.std)}


def run_classifier(run_id: str, progress: Status | None = None) -> dict:
    """Train the classifier described by run ``run_id`` and write its folder; returns the result.

    Writes ``history.json`` and ``checkpoint.pt`` after every epoch, so a kill leaves the last good
    epoch; a cancel request stops after the current epoch with status ``cancelled``.
    """
    record = runs.update(run_id, status="running", started=time.time(), pid=os.getpid(), device=str(device()))
    cfg = from_dict(ClassifierConfig, record["config"])
    fcfg = FeatureConfig()
    try:
        fs = load_features(record["dataset"]["root"], fcfg)
        split = make_split(cfg.split, fs.y, fs.keys, cfg.seed)
        runs.update(run_id, dataset={**dataset_info(fs, record["dataset"]["name"])}, split=split.to_dict(),
                    split_name=split.name)
        data = prepare(fs.mels, fs.y, split, cfg, fcfg, n_classes=len(fs.labels))
        history: list[dict] = []
        started = time.perf_counter()

        def on_epoch(epoch: int, metrics: dict, model, is_best: bool) -> None:
            history.append(metrics)
            runs.write_json(runs.run_path(run_id) / "history.json", history)
            runs.save_tensors(run_id, "checkpoint", {"state_dict": model.state_dict(), "epoch": epoch,
                                                      **_normaliser(data)})
            elapsed = time.perf_counter() - started
            eta = elapsed / epoch * (cfg.epochs - epoch)
            runs.update(run_id, progress={"epoch": epoch, "epochs": cfg.epochs, "eta_seconds": eta})
            if progress:
                progress({"epoch": epoch, "epochs": cfg.epochs, "eta_seconds": eta, **metrics})
            if runs.cancel_requested(run_id):
                raise Cancelled

        try:
            model, history = fit(cfg, data, on_epoch)
            status = "done"
        except Cancelled:
            ckpt = runs.load_tensors(runs.run_path(run_id) / "checkpoint.pt")
            model = build_classifier(cfg, data.train.x.shape[2], data.n_classes)
            model.load_state_dict(ckpt["state_dict"])
            status = "cancelled"
        model = model.cpu()
        runs.save_tensors(run_id, "model", {"state_dict": model.state_dict(), **_normaliser(data),
                                            "labels": list(fs.labels), "config": to_dict(cfg)})
        result = classification_result(predict_clips(model, data.test), data.test.clip_y,
                                       [fs.keys[i] for i in split.test], fs.labels)
        result["embedding_dim"] = model.out.in_features
        runs.write_json(runs.run_path(run_id) / "result.json", result)
        runs.update(run_id, status=status, finished=time.time(), pid=None,
                    train_seconds=round(time.perf_counter() - started, 2))
        return result
    except Exception as err:
        runs.update(run_id, status="failed", finished=time.time(), pid=None, error=f"{type(err).__name__}: {err}")
        raise
