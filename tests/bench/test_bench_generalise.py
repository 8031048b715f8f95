"""bench/bench_generalise.py's headline figure says which collection it was checked on (the Train page's provenance
line names it from there)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_generalise  # noqa: E402


def test_the_headline_check_records_the_collection_it_was_checked_on(monkeypatch):
    emitted = {}
    monkeypatch.setattr(bench_generalise, "emit", lambda figure, value, *a, **extra: emitted.setdefault(figure, extra))
    monkeypatch.setattr(bench_generalise, "settle", lambda: None)
    monkeypatch.setattr(bench_generalise.runs, "result", lambda run_id: {"accuracy": {"value": 0.8, "n": 15}})
    checked = {"accuracy": {"value": 38 / 147, "lo": 0.195, "hi": 0.335, "correct": 38, "n": 147}, "seconds": 10.0,
               "dataset": {"name": "musifeast-7"}, "per_class": [{"label": "rock", "recall": 0.2, "support": 21}]}
    monkeypatch.setattr(bench_generalise.generalise, "check", lambda run_id, root, name: checked)
    bench_generalise.headline("run", seeds=(0,))
    figure = emitted["recommended_musifeast7_accuracy"]
    assert figure["checked_on"] == "musifeast-7" and figure["trained_on"].startswith("gtzan-mini")


def test_the_figure_over_seeds_records_how_many_clips_each_seed_was_checked_on(monkeypatch, capsys):
    monkeypatch.setattr(bench_generalise, "emit", lambda *a, **extra: None)  # the per-seed figures
    monkeypatch.setattr(bench_generalise, "settle", lambda: None)
    monkeypatch.setattr(bench_generalise, "trained_recommended", lambda seed: f"run{seed}")
    monkeypatch.setattr(bench_generalise.runs, "result", lambda run_id: {"accuracy": {"value": 0.8, "n": 15}})
    right = {"run": 38, "run1": 33}
    monkeypatch.setattr(bench_generalise.generalise, "check", lambda run_id, root, name: {
        "accuracy": {"value": right[run_id] / 147, "lo": 0.2, "hi": 0.3, "correct": right[run_id], "n": 147},
        "seconds": 10.0, "dataset": {"name": "musifeast-7"},
        "per_class": [{"label": "rock", "recall": 0.2, "support": 21}]})
    bench_generalise.headline("run", seeds=(0, 1))
    line = json.loads(capsys.readouterr().out)  # the figure over the seeds, printed by common.emit
    assert line["figure"] == "recommended_musifeast7_seeds" and line["n"] == 147 and line["seeds"] == [0, 1]
    assert line["per_seed"] == [0.259, 0.224] and line["value"] == {"mean": 0.241, "min": 0.224, "max": 0.259}
