import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.orchestration import classifier
from core.base.config import preset

pytestmark = pytest.mark.slow  # trains a classifier and drives the page (AppTest)

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def test_home_page_shows_dataset_path_and_runs(tone_dataset, monkeypatch):
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["dataset"] = "tones"
    at.run()
    assert not at.exception
    assert at.title[0].value == "GenreLab"
    assert any("Active dataset: **tones**" in i.value for i in at.info)
    assert any("No runs yet" in c.value for c in at.caption)
    [study] = at.get("plotly_chart")  # the study's three accuracies with their intervals
    spec = json.loads(study.proto.spec)
    assert [d["x"] for d in spec["data"]] == [[53 / 101], [59 / 101], [52 / 101]]
    assert any("Overlapping intervals are not a test" in c.value for c in at.caption)

    run_id = classifier.submit_classifier(preset("paper", epochs=1, hidden_size=16, num_layers=1, first_frames=40,
                                            split="stratified"), tone_dataset, "tones", name="first run")
    classifier.run_classifier(run_id)
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["run"]) == ["first run"] and list(table["status"]) == ["done"]


def test_home_offers_to_cancel_an_orphan_cell_and_starts_no_worker_for_it(tone_dataset, monkeypatch):
    from helpers import orphan_cell

    from core.storage import queue, runs

    started = []
    monkeypatch.setattr(queue, "ensure_worker", lambda: started.append(1))
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    cell = orphan_cell(tone_dataset)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["dataset"] = "tones"
    at.run()
    assert not at.exception and started == []
    assert not any("Starting…" in m.value for m in at.markdown)
    assert any("nothing will run it" in m.value for m in at.markdown)
    at.button(key=f"cancel-{cell}").click().run()
    assert not at.exception and runs.load(cell)["status"] == "cancelled" and started == []


def test_a_worker_that_cannot_start_says_why_on_the_page(tone_dataset, monkeypatch):
    from core.storage import queue

    monkeypatch.setattr(queue, "ensure_worker", lambda: None)
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    run_id = classifier.submit_classifier(preset("paper"), tone_dataset, "tones", name="waiting run")
    queue.enqueue(run_id, "classifier", start_worker=False)
    queue.set_worker_state(starts=3, last_start=__import__("time").time(), error="'garbage' is not a Ray address")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["dataset"] = "tones"
    at.run()
    assert not at.exception
    (line,) = [m.value for m in at.markdown if "could not start" in m.value]
    assert re.search(r"The background worker could not start: 'garbage' is not a Ray address \(it is tried again "
                     r"in [78] s\)\.$", line)  # the third failed start in a row waits 8 s
