"""Classifier runs fitted in one step: the classic summary-feature model and the pretrained ear's head.

Both write their folder like an LSTM run's (:mod:`.classifier`): ``history.json`` with one "epoch"
(training and validation loss and accuracy), no checkpoint, ``model.pt`` holding
:func:`core.compute.classic.to_tensors` of the fitted model with the labels and config, and ``result.json``.
"""

from __future__ import annotations

from ..base.config import ClassicConfig, PretrainedConfig, from_dict, to_dict
from ..base.progress import Phase
from ..base.splits import make_split
from ..compute import classic, transfer
from ..compute.scores import classification_result
from ..storage import runs
from ..storage.extract import EmbeddingSet, SummarySet, load_embeddings, load_summaries
from .context import RunContext, Status, dataset_info, run_context, save_clips


def run_classic(run_id: str, progress: Status | None = None, features: SummarySet | None = None) -> dict:
    """Fit the classic classifier of run ``run_id`` (:mod:`core.compute.classic`) and write its folder.

    Summary vectors are ``features`` when the caller has them (a Ray task has no dataset folder), else from the
    cache (:func:`core.storage.extract.load_summaries`).
    """
    with run_context(run_id, progress, device="cpu") as ctx:
        cfg = from_dict(ClassicConfig, ctx.record["config"])
        ss = features or load_summaries(ctx.record["dataset"]["root"])
        ctx.start()
        split = make_split(cfg.split, ss.y, ss.keys, cfg.seed)
        runs.update(run_id, dataset=dataset_info(ss, ctx.record["dataset"]["name"]), split=split.to_dict(),
                    split_name=split.name, train_inputs=len(split.train))
        save_clips(run_id, ss, split)
        ctx.lifecycle.check_cancel()
        model = classic.fit(cfg, ss.x[split.train], ss.y[split.train], len(ss.labels))
        metrics = {"epoch": 1, **classic.metrics(model, ss.x[split.train], ss.y[split.train], "train"),
                   **classic.metrics(model, ss.x[split.val], ss.y[split.val], "val")}
        result = _finish(ctx, cfg, model, metrics, classic.probabilities(model, ss.x[split.test]), ss, split)
        ctx.lifecycle.final["train_seconds"] = round(ctx.elapsed(), 2)
        return result


def run_pretrained(run_id: str, progress: Status | None = None, features: EmbeddingSet | None = None) -> dict:
    """Fit the pretrained-ear classifier of run ``run_id`` (:mod:`core.compute.transfer`) and write its folder.

    The frozen network's patch features are ``features`` when the caller has them (a Ray task has no dataset
    folder), else from the cache (:func:`core.storage.extract.load_embeddings`), so only clips it has never heard
    are run through it, with progress phase ``"embed"`` counting them; the head is one fit.
    """
    with run_context(run_id, progress, device="cpu") as ctx:
        cfg = from_dict(PretrainedConfig, ctx.record["config"])
        ctx.start()
        es = features or load_embeddings(ctx.record["dataset"]["root"], progress=lambda done, total: ctx.report(
            done, total, Phase.EMBED, cancellable=done % 8 == 0 or done == total))
        X = transfer.clip_vectors(es.embeddings)
        split = make_split(cfg.split, es.y, es.keys, cfg.seed)
        runs.update(run_id, dataset=dataset_info(es, ctx.record["dataset"]["name"]), split=split.to_dict(),
                    split_name=split.name, train_inputs=len(split.train))
        ctx.lifecycle.check_cancel()
        fitting = ctx.elapsed()
        model = transfer.fit(cfg, X[split.train], es.y[split.train], len(es.labels))
        vocabulary = transfer.vocabulary()
        metrics = {"epoch": 1, **classic.metrics(model, X[split.train], es.y[split.train], "train", vocabulary),
                   **classic.metrics(model, X[split.val], es.y[split.val], "val", vocabulary)}
        result = _finish(ctx, cfg, model, metrics, transfer.probabilities(model, X[split.test]), es, split)
        ctx.lifecycle.final.update(train_seconds=round(ctx.elapsed(), 2),
                                   fit_seconds=round(ctx.elapsed() - fitting, 2))
        return result


def _finish(ctx: RunContext, cfg, model, metrics: dict, test_probs, data, split) -> dict:
    """Write the one-step history, the model and the test result of a one-fit run; returns the result."""
    runs.write_json(ctx.folder / "history.json", [metrics])
    ctx.post({"epoch": 1, "epochs": 1, "eta_seconds": 0.0}, metrics, cancellable=False)
    runs.save_tensors(ctx.id, "model", {**classic.to_tensors(model), "labels": list(data.labels),
                                        "config": to_dict(cfg)})
    result = classification_result(test_probs, data.y[split.test], [data.keys[i] for i in split.test], data.labels)
    runs.write_json(ctx.folder / "result.json", result)
    return result


RUNNERS = {ClassicConfig: run_classic, PretrainedConfig: run_pretrained}
"""Config type → the function that fits a run with that config."""
