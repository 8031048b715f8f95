"""Helpers the tests share (plain functions and constants; the fixtures are in conftest.py): tones on disk, runs
built without training, a tiny experiment plan."""

import time
from pathlib import Path

import numpy as np
import soundfile as sf

# core is imported inside each helper, so conftest (which imports this module) loads no torch before a test asks


def write_tone(path: Path, seconds: float = 2.0, sr: int = 22050, freq: float = 440.0, channels: int = 1,
               subtype: str = "PCM_16", fmt: str | None = None) -> Path:
    """Write a sine tone (with a little noise) to ``path``; returns the path."""
    t = np.arange(int(seconds * sr)) / sr
    y = 0.5 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    if channels > 1:
        y = np.stack([y] * channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y.astype(np.float32), sr, subtype=subtype, format=fmt)
    return path


def finished_run(root: Path, labels: tuple[str, ...] = ("high", "low", "mid"), answer: str | None = None) -> str:
    """A finished 'recommended' classifier run on ``root`` built without training (tiny, 1 s segments).

    Its weights are random, or, with ``answer``, rigged so that every clip gets that label. Its
    result says it was right on 3 of its 4 test clips; its ``clips.json`` names no clip.
    """
    import torch

    from core.compute import scores
    from core.storage import runs
    from core.base.config import preset, to_dict
    from core.compute.models import build_classifier

    cfg = preset("recommended", hidden_size=16, num_layers=1, segment_seconds=1.0)
    torch.manual_seed(0)
    model = build_classifier(cfg, 128, len(labels))
    if answer is not None:
        with torch.no_grad():
            model.out.weight.zero_()
            model.out.bias.copy_(10.0 * torch.eye(len(labels))[labels.index(answer)])
    run_id = runs.create("clf", f"tiny model on {root.name}", to_dict(cfg), preset="recommended",
                         dataset={"name": root.name, "root": str(root), "fingerprint": "f00d", "n_clips": 12})
    runs.save_tensors(run_id, "model", {"state_dict": model.state_dict(), "mean": torch.full((128,), -40.0),
                                        "std": torch.full((128,), 20.0), "labels": list(labels),
                                        "config": to_dict(cfg)})
    result = scores.classification_result(np.eye(len(labels))[[0, 1, 2, 2]], np.array([0, 1, 2, 0]),
                                         [f"{label}/0" for label in labels] + [f"{labels[0]}/1"], labels)
    runs.write_json(runs.run_path(run_id) / "result.json", result)
    runs.save_clips(run_id, {"train": [], "val": [], "test": []})  # no clip of another collection is its own
    runs.update(run_id, status="done", split_name="stratified 70%/15%/15%, seed 0")
    return run_id


LABELS = ("blues", "rock")


def fake_run(name: str, correct: np.ndarray, keys: list[str] | None = None, fingerprint: str = "f00d",
             split_name: str = "paper 70/20/10 random, seed 0", seed: int = 0,
             history: list[dict] | None = None) -> str:
    """A finished classifier run folder with a hand-built result: clip i is blues, predicted right where ``correct``."""
    from core.compute import scores
    from core.storage import runs

    n = len(correct)
    y_true = np.arange(n) % 2
    y_pred = np.where(correct, y_true, 1 - y_true)
    run_id = runs.create("clf", name, {"seed": seed}, preset="paper",
                         dataset={"name": "tones", "fingerprint": fingerprint, "n_clips": 3 * n})
    runs.update(run_id, status="done", split_name=split_name)
    result = scores.classification_result(np.eye(2)[y_pred], y_true, keys or [f"g/{i}" for i in range(n)], LABELS)
    runs.write_json(runs.run_path(run_id) / "result.json", result)
    runs.write_json(runs.run_path(run_id) / "history.json", history or [])
    return run_id


def study_pair() -> tuple[str, str]:
    """The study's numbers: 53 vs 59 of 101 on the same clips, 14 only A got right and 20 only B."""
    a = np.zeros(101, bool)
    a[:53] = True
    b = np.zeros(101, bool)
    b[14:73] = True
    return fake_run("baseline", a), fake_run("plus 70", b)


def orphan_cell(root) -> str:
    """A queued classifier cell of an experiment that failed: nothing will ever run it."""
    from core.base.config import preset
    from core.orchestration import classifier
    from core.storage import queue, runs

    exp_id = runs.create("exp", "a failed grid", {}, dataset={"name": "tones"}, cells={}, gans={})
    runs.update(exp_id, status="failed", error="ClusterError: cannot reach the Ray cluster")
    cell = classifier.submit_classifier(preset("paper"), root, "tones")
    runs.update(cell, experiment=exp_id, created=time.time() - 2 * queue.ORPHAN_GRACE_SECONDS)
    return cell


TINY_PLAN = ("epochs=2", "hidden_size=16", "num_layers=1", "batch_size=8", "first_frames=40", "segment_seconds=1.0",
        "split=stratified")
"""A tiny LSTM for experiment plans: cells that train in seconds."""


def check_gan_grid_on_tones(root: Path) -> None:
    """A one-seed paper grid with GAN cells and both controls on ``root``, run here (or as Ray tasks where a
    cluster is set), and what its runs must hold: inputs per cell, the GAN's measures, the children's links."""
    from core.base import experiment_plan
    from core.orchestration import experiment
    from core.storage import runs
    from core.usecases import reports

    p = experiment_plan.plan(seeds=1, per_genre=(2,), arms=("paper",), overrides=TINY_PLAN,
                        gan_overrides=("epochs=1", "ref_epochs=1", "z_dim=8", "width=8", "batch_size=8"))
    exp_id = experiment.submit(p, root, "tones")
    result = experiment.run_experiment(exp_id)
    record = runs.load(exp_id)
    assert record["status"] == "done" and result["cells_done"] == 4 and len(result["differences"]) == 5
    inputs = {k: runs.load(record["cells"][f"paper/{k}/0"])["train_inputs"] for k in ("0", "2", "steps-2", "masked-2")}
    assert inputs["masked-2"] == inputs["2"] == inputs["0"] + 3 * 2 and inputs["steps-2"] == inputs["0"]
    (quality,) = result["gan_quality"]
    assert quality["gan"] == "paper" and 0 <= quality["c2st"] <= 1 and quality["real"] > 0
    assert 0 <= quality["c2st_embedding"] <= 1
    assert "TSTR" in reports.experiment_markdown(result, "t")
    gan, child = runs.load(record["gans"]["paper/0"]), runs.load(record["cells"]["paper/2/0"])
    assert gan["split"]["train"] == child["split"]["train"] and child["augment"]["gan_run"] == gan["id"]
    assert child["baseline"] == record["cells"]["paper/0/0"]


def checked(run_id: str, accuracy: float, dataset: str = "musifeast-7", n: int = 147) -> None:
    """Keep a check of ``run_id`` on ``dataset`` with the given accuracy: every clip 'high', the wrong ones
    answered 'low'."""
    from core.compute import scores
    from core.storage import runs

    correct = round(accuracy * n)
    result = scores.classification_result(np.eye(3)[[0] * correct + [1] * (n - correct)], np.zeros(n, int),
                                          [f"d{i}" for i in range(n)], ("high", "low", "mid"))
    runs.save_check(run_id, "".join(filter(str.isalnum, dataset)) + "fp", {
        "run": run_id, **result, "dataset": {"name": dataset, "fingerprint": "fp", "n_clips": n},
        "labels_used": {"high": "high"}, "labels_skipped": [], "skipped": [], "overlap": {"clips": 0},
        "checked": time.time(),
        "sentence": f"Right on {accuracy:.0%} of {n} clips from another collection ({dataset})."})


FINGERPRINT = r"\b[0-9a-f]{16}\b"
"""A dataset fingerprint as :func:`core.storage.extract.fingerprint` writes it."""


def page_text(at, details: bool) -> str:
    """The text an AppTest's page shows in its main flow (``details=False``: every element outside an expander, as
    the eye reads it) or inside its details expanders (``details=True``)."""
    from streamlit.testing.v1.element_tree import Block, Expander

    def walk(node, inside: bool) -> list[str]:
        if isinstance(node, Block):
            inside = inside or isinstance(node, Expander)
            return [t for child in node.children.values() for t in walk(child, inside)]
        return [f"{getattr(node, 'label', '')} {getattr(node, 'value', '')}"] if inside == details else []

    return "\n".join(walk(at.main, False))
