"""What a run keeps beside its record: its history and result, the clips of its split, its checks on other
datasets, tensors (weights, checkpoints) and a GAN's snapshots. Loaded objects are handed back
(:func:`load_generator`, :func:`load_snapshots`), so computation never opens a run folder."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...compute import scores
from ..store import read_json
from .folder import run_path, write_file, write_json
from .record import RunError

if TYPE_CHECKING:
    from torch import nn

# torch (and the GAN models) are imported where tensors are read or written, so a page that only
# lists runs or reads their records starts without loading torch (the app's cold start).

def history(run_id: str) -> list[dict]:
    return read_json(run_path(run_id) / "history.json", [])


def result(run_id: str) -> dict | None:
    return read_json(run_path(run_id) / "result.json")


SPLIT_PARTS = ("train", "val", "test")


def save_clips(run_id: str, digests: dict[str, list[str]]) -> None:
    """Keep the content digests of the clips a run trained, validated and tested on (``{"train": [...], ...}``)."""
    write_json(run_path(run_id) / "clips.json", {part: list(digests[part]) for part in SPLIT_PARTS})


def clips(run_id: str) -> dict[str, list[str]] | None:
    """What :func:`save_clips` kept for a run, or None (a run made before runs kept it, or an unreadable file)."""
    saved = read_json(run_path(run_id) / "clips.json")
    if not (isinstance(saved, dict) and all(isinstance(saved.get(p), list) for p in SPLIT_PARTS)):
        return None
    return {part: [d for d in saved[part] if isinstance(d, str)] for part in SPLIT_PARTS}


def save_check(run_id: str, fingerprint: str, check: dict) -> None:
    """Keep a check of run ``run_id`` on another dataset, replacing an earlier check of the same dataset content."""
    if not fingerprint.isalnum():
        raise RunError(f"{fingerprint!r} is not a dataset fingerprint")
    write_json(run_path(run_id) / "checks" / f"{fingerprint}.json", check)


def checks(run_id: str) -> list[dict]:
    """Every saved check of a run (a :class:`core.compute.scores.ClassificationResult` with what it was measured
    on, :func:`core.usecases.generalise.check`), newest first; unreadable files are left out, and a check kept in
    the older shape is read into this one (:func:`_older_check`)."""
    found = [read_json(p) for p in (run_path(run_id) / "checks").glob("*.json")]
    return sorted((c if isinstance(c["accuracy"], dict) else _older_check(c)
                   for c in found if isinstance(c, dict) and "accuracy" in c), key=lambda c: -c.get("checked", 0))


def _older_check(saved: dict) -> dict:
    """A check kept before checks shared the test set's result shape (``accuracy`` a number beside ``n``,
    ``correct`` and ``ci95``; ``per_genre`` recalls; a ``confusion`` of ``rows`` × ``columns`` holding the genres
    present only) in that shape: every genre a row, absent ones all zeros, per-class scores read off the counts."""
    cm, lo, hi = saved["confusion"], *saved["ci95"]
    labels = list(cm["columns"])
    full = np.zeros((len(labels), len(labels)), np.int64)
    for row, counts in zip(cm["rows"], cm["counts"]):
        full[labels.index(row)] = counts
    kept = {k: v for k, v in saved.items() if k not in ("accuracy", "n", "correct", "ci95", "per_genre")}
    return {"keys": [], "y_true": [], "y_pred": [], **kept, "probs": [], "labels": labels, "confusion": full.tolist(),
            "accuracy": {"value": saved["accuracy"], "lo": lo, "hi": hi, "correct": saved["correct"], "n": saved["n"]},
            "per_class": scores.class_scores(full, labels)}


def save_tensors(run_id: str, name: str, obj: dict) -> None:
    """Save a dict of tensors / plain values as ``<name>.pt`` atomically."""
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    write_file(run_path(run_id) / f"{name}.pt", buf.getvalue())


def load_tensors(path: Path) -> dict:
    """Load a ``.pt`` file written by :func:`save_tensors`, never unpickling arbitrary objects."""
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise RunError(f"{path.name} is missing") from None
    except Exception as err:  # torch raises many types for foreign or corrupt files
        raise RunError(f"{path.name} is not a GenreLab model file ({type(err).__name__})") from None
    if not isinstance(obj, dict) or "state_dict" not in obj:
        raise RunError(f"{path.name} is not a GenreLab model file")
    return obj


def load_generator(run_id: str, name: str = "model") -> tuple[nn.Module, dict]:
    """The generator saved as ``<name>.pt`` in a GAN run folder, in eval mode, and that file's contents."""
    from ...compute import gan_samples

    saved = load_tensors(run_path(run_id) / f"{name}.pt")
    return gan_samples.generator_from(saved), saved


def save_snapshot(run_id: str, epoch: int, x: np.ndarray) -> None:
    """Store one epoch's fixed-noise samples ``(n_classes, steps, n_mels)`` as float16 in ``samples/<epoch>.pt``."""
    import torch

    save_tensors(run_id, f"samples/{epoch:04d}", {"epoch": epoch, "x": torch.from_numpy(x).half()})


def load_snapshots(run_id: str) -> tuple[list[int], np.ndarray]:
    """The epochs with a snapshot and their samples stacked: ``(n_epochs, n_classes, steps, n_mels)`` float32."""
    files = sorted((run_path(run_id) / "samples").glob("*.pt"))
    if not files:
        return [], np.zeros((0, 0, 0, 0), np.float32)
    import torch

    saved = [torch.load(f, map_location="cpu", weights_only=True) for f in files]
    return [s["epoch"] for s in saved], torch.stack([s["x"] for s in saved]).float().numpy()
