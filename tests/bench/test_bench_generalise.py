"""bench/bench_generalise.py's headline figure says which collection it was checked on (the Train page's provenance
line names it from there)."""

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
