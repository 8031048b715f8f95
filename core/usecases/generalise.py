"""Does a trained classifier carry over to music it never met? A finished run scored on another collection.

A model that learnt a dataset's artists or recording levels instead of its genres looks fine on its own
test clips and fails on anyone else's. :func:`check` plays every clip of another dataset through exactly
the path a prediction takes (:func:`.predict.listen`, then :func:`.predict.classify` in batches)
and scores the answers against the folder names:

- Genres are matched by name with case and punctuation ignored (:func:`label_key`: ``Hip-hop`` is
  ``hiphop``); an explicit mapping (``R&B=pop``) overrides that. Genres the model does not know are
  listed and left out; a dataset sharing no genre raises :class:`LabelError`.
- Files that cannot be decoded are skipped with their reason, like the scan report's
  (:class:`core.base.datasets.Skipped`).
- Clips that are copies of the run's own (the same content digest, :func:`core.storage.extract.file_digest`, as a
  clip of its training, validation or test part) are counted and left out (:func:`own_clips`); a dataset
  holding nothing else is refused, so a copy of the training data is never reported as another collection.
- The result is the one a run's test set has (:class:`core.compute.scores.ClassificationResult`: the accuracy
  with its Wilson interval, per-genre scores, the confusion matrix over every genre the model knows, of which
  the genres not shared have no clips) and a sentence setting it against the run's own test accuracy.

Results are kept in the run's folder, one per dataset fingerprint (:func:`core.storage.runs.save_check`).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np

from ..compute.scores import classification_result
from ..storage import runs
from ..base.audio import AudioError
from ..base.percent import percent, with_interval
from ..base.datasets import Clip, DatasetError, Skipped, list_clips
from ..storage.extract import embedding_of, file_digest, fingerprint

if TYPE_CHECKING:
    from . import predict

# .predict (torch) is imported by the functions that hear clips, so a page that describes a stored check loads none
# of it.

Progress = Callable[[int, int], None]
CHUNK = 16  # clips decoded and then classified together by one thread


class LabelError(ValueError):
    """A dataset a model cannot be checked on (no genre in common, no usable clip, only the run's own clips);
    ``str(err)`` is fit to show a user."""


PART_NAMES = {"train": "training", "val": "validation", "test": "test"}


def label_key(name: str) -> str:
    """A genre name with case, spaces and punctuation ignored: ``'Hip-hop'`` → ``'hiphop'``,
    ``'R&B'`` → ``'rb'``."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``["R&B=pop", ...]`` → ``{"R&B": "pop", ...}`` (dataset genre → model genre).

    Raises
    ------
    LabelError
        For a pair without ``=`` or with an empty side.
    """
    out = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise LabelError(f"{pair!r} is not a genre mapping: write DATASET_GENRE=model_genre, e.g. R&B=pop")
        out[source.strip()] = target.strip()
    return out


@dataclass(frozen=True)
class LabelMatch:
    """Which dataset genres a model is scored on.

    ``used`` maps each dataset genre the model knows to the model's name for it; ``skipped`` lists the
    dataset genres the model does not know (their clips are left out).
    """

    used: dict[str, str]
    skipped: tuple[str, ...]


def _find(name: str, labels: Iterable[str]) -> str | None:
    """``name`` itself if in ``labels``, else the label with the same :func:`label_key`, else None."""
    labels = list(labels)
    if name in labels:
        return name
    return next((label for label in labels if label_key(label) == label_key(name)), None)


def match_labels(dataset_labels: Iterable[str], model_labels: Iterable[str],
                 mapping: dict[str, str] | None = None) -> LabelMatch:
    """Pair a dataset's genres with a model's: by :func:`label_key`, or as ``mapping`` says.

    Parameters
    ----------
    dataset_labels, model_labels : iterable of str
    mapping : dict, optional
        Dataset genre → model genre, each matched by :func:`label_key` too; it overrides the names.

    Raises
    ------
    LabelError
        When ``mapping`` names a genre the dataset or the model does not have, or no genre is shared.
    """
    dataset_labels, model_labels = list(dataset_labels), list(model_labels)
    explicit = {}
    for source, target in (mapping or {}).items():
        found, known = _find(source, dataset_labels), _find(target, model_labels)
        if found is None:
            raise LabelError(f"the mapping {source}={target} names {source!r}, which is not a genre of this "
                             f"dataset (its genres: {', '.join(dataset_labels)})")
        if known is None:
            raise LabelError(f"the mapping {source}={target} names {target!r}, which the model does not know "
                             f"(it knows: {', '.join(model_labels)})")
        explicit[found] = known
    used, skipped = {}, []
    for label in dataset_labels:
        known = explicit.get(label) or _find(label, model_labels)
        if known is None:
            skipped.append(label)
        else:
            used[label] = known
    if not used:
        raise LabelError(f"this dataset shares no genre with the model: its genres are {', '.join(dataset_labels)}; "
                         f"the model knows {', '.join(model_labels)}. Map a genre onto one the model knows "
                         f"(e.g. {dataset_labels[0]}={model_labels[0]}) to check it anyway.")
    return LabelMatch(used, tuple(skipped))


def hear_and_classify(clips: list[Clip], root: Path, predictor: predict.Predictor, progress: Progress | None = None,
                      workers: int = 2, chunk: int = CHUNK,
                      digests: list[str] | None = None) -> tuple[np.ndarray, list[int], list[Skipped]]:
    """Clip probabilities of every usable clip, each heard as a prediction hears it.

    Clips go in chunks of ``chunk`` to ``workers`` threads; each thread decodes its clips
    (:func:`.predict.listen`) and runs the model once over the chunk (:func:`.predict.classify`),
    with torch on one intra-op thread, so decoding and the model overlap on separate cores. A pretrained
    model given the clips' content ``digests`` hears them through the embedding cache
    (:func:`core.storage.extract.embedding_of`): a second check of the same files runs no network.

    Returns
    -------
    probs : np.ndarray, float32, shape (n_usable, n_classes)
    kept : list of int
        Index into ``clips`` of each row of ``probs``.
    skipped : list of Skipped
        Clips that could not be used, with the reason (path relative to ``root``).
    """
    from ..compute.device import one_thread
    from . import predict

    lock, done = threading.Lock(), [0]

    through_cache = predictor.pretrained and digests is not None

    def hear(i: int) -> np.ndarray | str:
        try:
            heard = embedding_of(clips[i].path, digests[i]) if through_cache else predict.listen(clips[i].path,
                                                                                                   predictor)[1]
        except AudioError as err:
            heard = str(err).split(": ", 1)[-1]
        with lock:
            done[0] += 1
            if progress:
                progress(done[0], len(clips))
        return heard

    def run(part: range) -> list[np.ndarray | str]:
        heard = [hear(i) for i in part]
        inputs = [h for h in heard if not isinstance(h, str)]
        probs = iter(predict.classify(predictor, inputs)[1] if inputs else ())
        return [h if isinstance(h, str) else next(probs) for h in heard]

    parts = [range(i, min(i + chunk, len(clips))) for i in range(0, len(clips), chunk)]
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        with one_thread():
            outcomes = [o for part in pool.map(run, parts) for o in part]
    finally:
        pool.shutdown(cancel_futures=True)  # a progress callback that raises (a cancel) stops the waiting chunks
    kept = [i for i, o in enumerate(outcomes) if not isinstance(o, str)]
    skipped = [Skipped(str(clips[i].path.relative_to(root)), o) for i, o in enumerate(outcomes) if isinstance(o, str)]
    probs = np.stack([outcomes[i] for i in kept]) if kept else np.zeros((0, len(predictor.labels)), np.float32)
    return probs, kept, skipped


def sentence(result: dict) -> str:
    """The check set against the run's own test accuracy, in words.

    E.g. "Right on 80 % (95 % CI 66–89 %) of its own test clips (gtzan-mini) and on 19 % (95 % CI 14–26 %) of 147
    clips from another collection (musifeast-7), where always answering its most common genre would score 14 %."
    """
    own = result.get("test_accuracy")
    head = (f"Right on {with_interval(own)} of its own test clips ({result['trained_on']}) and on" if own
            else "Right on")
    common = max(c["support"] for c in result["per_class"]) / result["accuracy"]["n"]
    text = (f"{head} {with_interval(result['accuracy'])} of {result['accuracy']['n']} clips "
            f"from another collection ({result['dataset']['name']}), where always answering its most common genre "
            f"would score {percent(common)}.")
    return text + overlap_sentence(result.get("overlap"))


def overlap_sentence(overlap: dict | None) -> str:
    """How many clips were copies of the run's own and left out, in words ('' when none was)."""
    if overlap is None:
        return (" Whether these clips include the run's own could not be checked: the run kept no list of its clips "
                "and its training folder can no longer be read.")
    if not overlap["clips"]:
        return ""
    if "train" in overlap:
        parts = ", ".join(f"{overlap[p]} {PART_NAMES[p]}" for p in PART_NAMES if overlap[p])
        whose = f"clips this run learnt from or was measured on ({parts})"
    else:
        whose = "clips of the folder this run was trained on (which part of its split is not recorded)"
    return (f" {overlap['clips']} of the dataset's clips are copies of {whose}: they were left out, and the "
            "figures are on the other clips only.")


def describe(result: dict, fingerprint: bool = True) -> str:
    """What a check's accuracy was measured on, with its interval.

    E.g. "19.0 % (95 % CI 13.5–26.2 %, 28 of 147 clips) on musifeast-7 (fingerprint 1a2b3c4d5e6f7a8b): every
    clip of its 7 genres the model knows, 0 left out."; ``fingerprint=False`` leaves the collection's fingerprint
    out (a page's main text; it belongs in the details).
    """
    acc = with_interval(result["accuracy"], decimals=1, counts=True)
    used, skipped = len(result["labels_used"]), len(result["labels_skipped"])
    copies = (result.get("overlap") or {}).get("clips", 0)
    shown = f" (fingerprint {result['dataset']['fingerprint']})" if fingerprint else ""
    return (f"{acc} on {result['dataset']['name']}{shown}: every clip of "
            f"its {used} genre{'s' * (used != 1)} the model knows, {skipped} left out"
            + (f"; {copies} cop{'ies' if copies != 1 else 'y'} of the run's own clips left out." if copies else "."))


def own_clips(run_id: str, record: dict) -> dict[str, set[str]] | None:
    """Content digests of the clips run ``run_id`` learnt from or was measured on, by part of its split.

    From the run's ``clips.json`` (:func:`core.storage.runs.clips`); for a run made before runs kept it, every clip
    of its training folder as it is now, under ``"folder"``; None when that folder cannot be read either.
    """
    saved = runs.clips(run_id)
    if saved is not None:
        return {part: set(digests) for part, digests in saved.items()}
    try:
        listing = list_clips(record.get("dataset", {}).get("root", ""))
        return {"folder": {file_digest(c.path) for c in listing.clips}}
    except (DatasetError, OSError):
        return None


def overlap(digests: list[str], own: dict[str, set[str]] | None) -> tuple[dict | None, list[bool]]:
    """How many of the clips with content ``digests`` are the run's own (``own``, from :func:`own_clips`), per
    part, and which are: ``({"clips": n, "train": a, "val": b, "test": c} or {"clips": n}, [is own, ...])``;
    ``(None, all False)`` when ``own`` is unknown. A clip in two parts counts once in ``clips``."""
    if own is None:
        return None, [False] * len(digests)
    mine = set().union(*own.values())
    is_own = [d in mine for d in digests]
    counts = {part: sum(d in own[part] for d in digests) for part in own if part != "folder"}
    return {"clips": sum(is_own), **counts}, is_own


def check(run_id: str, root: str | Path, name: str, mapping: dict[str, str] | None = None,
          progress: Progress | None = None, workers: int = 2) -> dict:
    """Score finished classifier run ``run_id`` on every clip of the dataset in ``root``.

    Parameters
    ----------
    root : path
        A dataset folder in any layout :func:`core.base.datasets.list_clips` knows.
    name : str
        The dataset's display name.
    mapping : dict, optional
        Dataset genre → model genre, overriding name matching (see :func:`match_labels`).
    progress : callable(done, total), optional
        Called as clips are decoded.

    Returns
    -------
    dict
        A :class:`core.compute.scores.ClassificationResult` (``keys``: each scored clip's content digest, so two
        runs' checks on the same clips can be paired), plus ``run``, ``dataset`` (``name``, ``fingerprint``,
        ``n_clips``),
        ``labels_used`` (dataset genre → model genre), ``labels_skipped``, ``skipped`` (files, with reasons),
        ``test_accuracy`` (the run's own, or None), ``trained_on``, ``overlap`` (:func:`overlap`'s counts of the
        clips that are copies of the run's own, left out of every figure; None when unknown), ``seconds``,
        ``checked`` (a timestamp) and ``sentence``.

    Raises
    ------
    core.base.datasets.DatasetError, LabelError, core.storage.runs.RunError
        LabelError also when every clip to check is a copy of one of the run's own.
    """
    from . import predict

    started = time.perf_counter()
    predictor = predict.load_model(run_id)
    listing = list_clips(root)
    match = match_labels(listing.labels, predictor.labels, mapping)
    record, own = runs.load(run_id), runs.result(run_id)
    digests = [file_digest(c.path) for c in listing.clips]
    copies, is_own = overlap(digests, own_clips(run_id, record))
    chosen = [i for i, (c, mine) in enumerate(zip(listing.clips, is_own)) if c.label in match.used and not mine]
    clips = [listing.clips[i] for i in chosen]
    if not clips:
        raise LabelError(f"every clip of the genres {name} shares with the model is a copy of a clip this run learnt "
                         "from or was measured on: a check on them says nothing about music it never met")
    probs, kept, unusable = hear_and_classify(clips, listing.root, predictor, progress, workers,
                                              digests=[digests[i] for i in chosen])
    if not kept:
        raise LabelError(f"none of the {len(clips)} clips of the shared genres could be decoded "
                         f"({unusable[0].reason})")
    y_true = np.array([predictor.labels.index(match.used[clips[i].label]) for i in kept])
    result = {"run": run_id,
              "dataset": {"name": name, "n_clips": len(listing.clips), "fingerprint": fingerprint(
                  [c.key for c in listing.clips], digests)},
              **classification_result(probs, y_true, [digests[chosen[i]] for i in kept], predictor.labels),
              "labels_used": match.used, "labels_skipped": list(match.skipped),
              "skipped": [{"path": s.path, "reason": s.reason} for s in [*listing.skipped, *unusable]],
              "test_accuracy": own["accuracy"] if own else None,
              "trained_on": record.get("dataset", {}).get("name", "?"), "overlap": copies}
    result["sentence"] = sentence(result)
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["checked"] = time.time()
    return result


def save(result: dict) -> None:
    """Keep a :func:`check` result in its run's folder, replacing an earlier check of the same dataset content."""
    runs.save_check(result["run"], result["dataset"]["fingerprint"], result)
