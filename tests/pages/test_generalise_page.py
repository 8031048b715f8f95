"""AppTests of 'Check on another dataset': queued from Train, run by the job, shown on Train, Compare and Predict."""

import io
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from core.orchestration import worker
from core.storage import queue
from core.storage import runs
from core.base.percent import percent, with_interval
from core.usecases import generalise
from helpers import FINGERPRINT, finished_run, page_text, write_tone

pytestmark = pytest.mark.slow  # drives the pages (AppTest), seconds per test
APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture
def datasets(tone_dataset, tmp_path):
    other = tmp_path / "other"
    for label, freq in (("HIGH", 450.0), ("Low", 115.0), ("Mid", 225.0), ("Polka", 900.0)):
        for k in range(2):
            write_tone(other / label / f"{label}-{k}.wav", seconds=2.0, freq=freq * (1 + 0.03 * k))
    dances = tmp_path / "dances"
    for label in ("Polka", "Tango"):
        write_tone(dances / label / "a.wav")
    return {"tones": tone_dataset, "other": other, "dances": dances}


@pytest.fixture
def app(datasets, monkeypatch):
    """The app with three datasets allowed; jobs wait in the queue (no worker starts), the test runs them."""
    monkeypatch.setenv("GENRELAB_DATASETS", ";".join(f"{k}={v}" for k, v in datasets.items()))
    monkeypatch.setattr(queue, "ensure_worker", lambda: None)
    return AppTest.from_file(APP, default_timeout=60)


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


def test_a_finished_run_is_checked_on_another_dataset_from_the_train_page(app, datasets):
    run_id = finished_run(datasets["tones"])
    app.query_params.update(dataset="tones", run=run_id)
    at = app.switch_page("app_pages/train.py").run()
    assert not at.exception and "Check on another dataset" in texts(at.subheader)
    at.selectbox(key=f"check-data-{run_id}").set_value("other")
    next(b for b in at.button if b.label == "Check on another dataset").click().run()
    assert not at.exception and not at.error
    (check_id,) = queue.pending()
    assert runs.load(check_id)["kind"] == "chk" and runs.load(check_id)["status"] == "queued"
    assert runs.load(check_id)["labels_used"] == {"HIGH": "high", "Low": "low", "Mid": "mid"}

    worker.work(idle_exit=0.5)  # what the background worker does
    assert runs.load(check_id)["status"] == "done" and queue.pending() == []
    (result,) = runs.checks(run_id)
    at.run()
    assert not at.exception
    metric = next(m for m in at.metric if m.label == "On other")
    assert metric.value == percent(result['accuracy']['value'], 1) and result["accuracy"]["n"] == 6
    assert generalise.describe(result, fingerprint=False) in texts(at.caption)
    assert "Genres the model does not know, left out: Polka." in texts(at.caption)
    assert ("of its own test clips (tones) and on" in texts(at.info)
            and "of 6 clips from another collection" in texts(at.info))
    assert len(at.get("plotly_chart")) == 3  # learning curves, the run's confusion, the check's confusion


def test_train_keeps_fingerprints_and_ids_out_of_its_main_text_and_in_its_details(app, datasets):
    """Issue 27 item 5: the run's and the check's 'Measured on' lines name the data, not its fingerprint or the run's
    id; each figure's details expander does."""
    run_id = finished_run(datasets["tones"])
    result = generalise.check(run_id, datasets["other"], "other")
    generalise.save(result)
    app.query_params.update(dataset="tones", run=run_id)
    at = app.switch_page("app_pages/train.py").run()
    assert not at.exception
    main, details = page_text(at, details=False), page_text(at, details=True)
    assert "Measured on tones (12 clips)" in main and "on other: every clip" in main
    assert not re.search(FINGERPRINT, main) and "f00d" not in main and run_id not in main
    assert f"fingerprint {result['dataset']['fingerprint']}" in details
    assert "fingerprint f00d" in details and run_id in details


def test_a_dataset_sharing_no_genre_is_refused_before_anything_is_queued(app, datasets):
    run_id = finished_run(datasets["tones"])
    app.query_params.update(dataset="tones", run=run_id)
    at = app.switch_page("app_pages/train.py").run()
    at.selectbox(key=f"check-data-{run_id}").set_value("dances")
    next(b for b in at.button if b.label == "Check on another dataset").click().run()
    assert not at.exception and queue.pending() == []
    assert "Cannot check on dances: this dataset shares no genre with the model" in texts(at.error)
    at.selectbox(key=f"check-data-{run_id}").set_value("other")
    at.text_input(key=f"check-map-{run_id}").set_value("Polka")
    next(b for b in at.button if b.label == "Check on another dataset").click().run()
    assert queue.pending() == [] and "DATASET_GENRE=model_genre" in texts(at.error)
    at.text_input(key=f"check-map-{run_id}").set_value("Polka=high")
    next(b for b in at.button if b.label == "Check on another dataset").click().run()
    (check_id,) = queue.pending()
    assert runs.load(check_id)["config"]["map"] == {"Polka": "high"}


def test_compare_and_predict_show_the_check(app, datasets):
    run_id = finished_run(datasets["tones"])
    result = generalise.check(run_id, datasets["other"], "other")
    generalise.save(result)
    app.query_params.update(dataset="tones", runs=run_id)
    at = app.switch_page("app_pages/compare.py").run()
    assert not at.exception and "Check a run on another collection" in [e.label for e in at.expander]
    assert next(m for m in at.metric if m.label == "On other").value == percent(result['accuracy']['value'], 1)
    assert generalise.describe(result, fingerprint=False) in texts(at.caption)

    at = app.switch_page("app_pages/predict.py").run()
    assert not at.exception
    picker = at.selectbox(key="predict_run-tones")
    assert f") test accuracy · {with_interval(result['accuracy'])} on other ·" in picker.options[0]
    buf = io.BytesIO()
    sf.write(buf, 0.5 * np.sin(2 * np.pi * 220 * np.arange(44100) / 22050), 22050, format="WAV")
    at.file_uploader(key="predict_upload").set_value(("song.wav", buf.getvalue(), "audio/wav"))
    at.run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels == ["This model's test accuracy", "On another collection: other"]
    assert generalise.describe(result, fingerprint=False) in texts(at.caption)
    assert not re.search(FINGERPRINT, page_text(at, details=False))
    assert result["dataset"]["fingerprint"] in page_text(at, details=True)


def test_the_page_says_which_clips_were_copies_of_the_runs_own(app, datasets):
    from core.storage.extract import file_digest

    run_id = finished_run(datasets["tones"])
    runs.save_clips(run_id, {"train": [file_digest(datasets["other"] / "Low" / "Low-0.wav")], "val": [], "test": []})
    generalise.save(generalise.check(run_id, datasets["other"], "other"))
    app.query_params.update(dataset="tones", run=run_id)
    at = app.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert ("1 of the dataset's clips are copies of clips this run learnt from or was measured on (1 training)"
            in texts(at.info))
    assert "; 1 copy of the run's own clips left out." in texts(at.caption)
