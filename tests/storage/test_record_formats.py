"""Run folders written by earlier versions still load: a literal ``run.json`` of each older shape parses as it is."""

import json

from core.base import config
from core.storage import runs

OLD_CLASSIFIER = """{
 "id": "20261124-061502-clf-3fa2", "kind": "clf", "name": "paper LSTM on demo, seed 0", "status": "done",
 "created": 1795500902, "preset": "paper",
 "config": {"framing": "first_frames", "first_frames": 174, "normalise": false, "hidden_size": 256, "num_layers": 2,
            "bidirectional": false, "dropout": 0.3, "epochs": 120, "batch_size": 32, "lr": 5e-05, "grad_clip": 1.0,
            "select": "last", "split": "paper", "seed": 0},
 "dataset": {"name": "demo", "root": "/home/someone/demo", "fingerprint": "1a2b3c4d5e6f7a8b", "n_clips": 200},
 "started": 1795500903.5, "pid": null, "device": "cpu",
 "split": {"name": "paper 70/20/10 random, seed 0", "train": [0, 1], "val": [2], "test": [3]},
 "split_name": "paper 70/20/10 random, seed 0",
 "progress": {"epoch": 120, "epochs": 120, "eta_seconds": null}, "finished": 1795501200.25, "error": null
}"""
"""A classifier run of the first sessions: whole-second ``created``, no ``train_seconds``, an ``eta_seconds`` of
null, a config without the fields added since (they take their defaults)."""


def test_an_old_classifier_record_loads_unchanged():
    run_id = "20261124-061502-clf-3fa2"
    folder = runs.runs_dir() / run_id
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(OLD_CLASSIFIER)
    assert runs.load(run_id) == json.loads(OLD_CLASSIFIER)
    assert [r["id"] for r in runs.list_runs()] == [run_id] and runs.damaged() == []
    cfg = config.classifier_config(runs.load(run_id)["config"])
    assert (cfg.framing, cfg.lr, cfg.level, cfg.conv_channels) == ("first_frames", 5e-5, "absolute", 0)
