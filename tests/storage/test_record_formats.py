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


OLD_CHECK = """{
 "run": "20261124-061502-clf-3fa2", "accuracy": 0.4, "n": 10, "correct": 4, "ci95": [0.168, 0.687],
 "per_genre": {"high": {"recall": 0.5, "n": 6}, "mid": {"recall": 0.25, "n": 4}},
 "confusion": {"rows": ["high", "mid"], "columns": ["high", "low", "mid"], "counts": [[3, 3, 0], [2, 1, 1]]},
 "dataset": {"name": "musifeast-7", "n_clips": 12, "fingerprint": "0a1b2c3d4e5f6a7b"},
 "labels_used": {"High": "high", "Mid": "mid"}, "labels_skipped": ["Noise"], "skipped": [],
 "test_accuracy": null, "trained_on": "demo", "overlap": {"clips": 0}, "seconds": 3.5, "checked": 1795501300.0,
 "sentence": "Right on 40 % of 10 clips from another collection (musifeast-7)."
}"""
"""A check on another collection as kept before checks shared the test set's result shape."""


def test_an_old_check_reads_in_the_one_result_shape():
    from core.usecases import generalise, model_choice

    run_id = "20261124-061502-clf-3fa2"
    (runs.runs_dir() / run_id / "checks").mkdir(parents=True)
    (runs.runs_dir() / run_id / "run.json").write_text(OLD_CLASSIFIER)
    (runs.runs_dir() / run_id / "checks" / "0a1b2c3d4e5f6a7b.json").write_text(OLD_CHECK)
    (check,) = runs.checks(run_id)
    assert check["accuracy"] == {"value": 0.4, "lo": 0.168, "hi": 0.687, "correct": 4, "n": 10}
    assert check["labels"] == ["high", "low", "mid"] and check["confusion"] == [[3, 3, 0], [0, 0, 0], [2, 1, 1]]
    high, low, mid = check["per_class"]
    assert (high["recall"], high["support"], high["precision"]) == (0.5, 6, 0.6)  # 3 of the 5 answered high
    assert (low["support"], low["precision"], mid["recall"], mid["support"]) == (0, 0.0, 0.25, 4)
    assert check["keys"] == check["y_true"] == check["probs"] == [] and check["labels_skipped"] == ["Noise"]
    assert generalise.describe(check).startswith("40.0 % (95 % CI 16.8–68.7 %, 4 of 10 clips) on musifeast-7")
    assert model_choice.check_figure(check) == "40 % (95 % CI 17–69 %) of 10 clips of musifeast-7"


OLD_PLAN = """{"design": "paper", "arms": [["paper", "paper"], ["recommended", "conditional"]], "per_genre": [0, 70],
 "seeds": [0, 1], "set": ["epochs=2"], "gan_set": ["epochs=1"]}"""
"""An experiment's config kept before plans had controls and the pretrained ear's settings."""


def test_an_old_experiment_plan_still_gives_its_cells_and_configs():
    from core.base import experiment_plan

    old = json.loads(OLD_PLAN)
    cells = experiment_plan.cells(old)
    assert [c["key"] for c in cells][:3] == ["paper/0/0", "paper/70/0", "paper/0/1"] and len(cells) == 8
    assert set(cells[0]) == set(experiment_plan.Cell.__annotations__)
    assert experiment_plan.classifier_config(old, cells[1]).epochs == 2
    assert experiment_plan.gan_config(old, cells[1]).epochs == 1
    new = experiment_plan.plan(seeds=2, per_genre=(70,), overrides=("epochs=2",), gan_overrides=("epochs=1",))
    assert set(new) == set(experiment_plan.Plan.__annotations__) and set(old) == experiment_plan.Plan.__required_keys__
