import os
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.storage import runs
from core.base.config import preset
from core.base.percent import percent

pytestmark = pytest.mark.slow  # trains classifiers from the page (AppTest)

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
TINY = dict(epochs="1", hidden_size="16", num_layers="1", segment_seconds="1.0", batch_size="8")


@pytest.fixture
def tones_app(tone_dataset, monkeypatch):
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(dataset="tones", preset="recommended", **TINY)
    return at


def start_and_wait(at: AppTest) -> dict:
    """Click the Train page's start button and rerun until the test accuracy shows; returns the one run's record."""
    next(b for b in at.button if b.label == "Start training").click().run()
    deadline = time.time() + 120
    while time.time() < deadline and not any(m.label == "Test accuracy" for m in at.metric):
        time.sleep(1)
        at.run()
    assert not at.exception
    (run,) = runs.list_runs("clf")
    return run


def test_train_page_offers_the_classic_preset_and_starts_it(tones_app):
    at = tones_app
    at.query_params["preset"] = "classic"
    at.switch_page("app_pages/train.py").run()
    assert at.radio(key="train_preset").options == ["paper (the study)", "recommended", "classic",
                                                    "pretrained ear (musicnn)"]
    assert at.radio(key="train_preset").value == "classic" and not at.exception
    assert at.select_slider(key="cfg-classic-C").value == 1.0
    assert any("**classic** preset is the recipe behind the usual GTZAN feature tables" in c.value for c in at.caption)
    run = start_and_wait(at)
    assert run["status"] == "done" and run["preset"] == "classic" and run["config"]["model"] == "logistic"


def test_train_page_trains_the_pretrained_ear_and_teaches_transfer(tones_app):
    at = tones_app
    at.query_params.update(preset="pretrained", C="0.1")
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and at.radio(key="train_preset").value == "pretrained"
    (lesson,) = [i.value for i in at.info if "Transfer learning" in i.value]
    assert "frozen" in lesson and "logistic regression" in lesson and "100 clips" in lesson
    assert at.selectbox(key="cfg-pretrained-layer").value == "penultimate"  # its own settings, grouped
    assert at.select_slider(key="cfg-pretrained-C").value == 0.1  # from the link
    assert "Changed from the preset: model flexibility 0.01 → 0.1" in " ".join(c.value for c in at.caption)
    run = start_and_wait(at)
    assert run["status"] == "done" and run["preset"] == "pretrained" and run["config"]["ear"] == "musicnn-msd"
    assert run["config"]["C"] == 0.1 and (runs.run_path(run["id"]) / "model.pt").exists()
    metric = next(m for m in at.metric if m.label == "Test accuracy")
    assert metric.value == percent(runs.result(run['id'])['accuracy']['value'], 1)
    assert "95 % CI" in " ".join(c.value for c in at.caption)
    assert any(b.label == "Check on another dataset" for b in at.button)


def test_a_listening_run_says_which_clip_the_network_hears(tones_app, tone_dataset, monkeypatch):
    from core.orchestration import classifier
    from core.storage import queue

    monkeypatch.setattr(queue, "ensure_worker", lambda: None)
    run_id = classifier.submit_classifier(preset("pretrained"), tone_dataset, "tones", preset="pretrained")
    runs.update(run_id, status="running", pid=os.getpid(),
                progress={"phase": "embed", "epoch": 3, "epochs": 12, "eta_seconds": 9.0})
    at = tones_app
    at.query_params["run"] = run_id
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert at.get("progress")[0].proto.text == "The pretrained network listens, clip 3 of 12, about 9 s left."


def test_train_page_starts_a_run_and_shows_its_result(tones_app):
    at = tones_app
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert at.slider(key="cfg-recommended-hidden_size").value == 16  # settings came from the link
    run = start_and_wait(at)
    assert run["status"] == "done" and run["config"]["epochs"] == 1 and run["config"]["hidden_size"] == 16
    metric = next(m for m in at.metric if m.label == "Test accuracy")
    assert metric.value == percent(runs.result(run['id'])['accuracy']['value'], 1)
    captions = " ".join(c.value for c in at.caption)
    assert "95 % CI" in captions and "tones" in captions and "seed 0" in captions


def test_bad_link_settings_are_ignored_with_a_warning(tones_app):
    at = tones_app
    at.query_params["epochs"] = "100000"
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert any("Ignoring the settings" in w.value for w in at.warning)
    assert at.number_input(key="cfg-recommended-epochs").value == preset("recommended").epochs


def test_reopen_finished_run(tones_app, tone_dataset):
    from core.orchestration import classifier

    run_id = classifier.submit_classifier(preset("paper", epochs=1, hidden_size=16, num_layers=1, first_frames=40,
                                            split="stratified"), tone_dataset, "tones", preset="paper")
    classifier.run_classifier(run_id)
    at = tones_app
    at.query_params["run"] = run_id
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert any(m.label == "Test accuracy" for m in at.metric)


def test_reopen_list_leaves_out_experiment_children(tones_app, tone_dataset):
    own = runs.create("clf", "my own run", {}, dataset={"name": "tones", "root": str(tone_dataset)})
    child = runs.create("clf", "experiment cell", {}, dataset={"name": "tones", "root": str(tone_dataset)})
    runs.update(child, experiment="exp-x", cell="paper/0/0")
    for run_id in (own, child):
        runs.update(run_id, status="done")
    at = tones_app
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    options = at.selectbox(key="train_run_reopen").options
    assert any("my own run" in o for o in options) and not any("experiment cell" in o for o in options)


def fake_clips(root: Path, keys) -> Path:
    """A folder of one-byte files named by clip key: enough to list, never decoded by the Train page."""
    for key in keys:
        path = root / f"{key}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return root


def test_full_gtzan_defaults_to_the_artist_filtered_split_and_says_why(tmp_path, monkeypatch):
    from core.base import splits

    keys = sorted(splits._filtered_keys())
    monkeypatch.setenv("GENRELAB_DATASETS", f"gtzan={fake_clips(tmp_path / 'gtzan', keys)};"
                                            f"mini={fake_clips(tmp_path / 'mini', keys[::31])}")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(dataset="gtzan", preset="recommended")
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert at.selectbox(key="cfg-recommended-filtered-split").value == "filtered"
    assert any("This is full GTZAN" in i.value and "artist-filtered" in i.value for i in at.info)
    at.selectbox(key="dataset_choice").set_value("mini").run()
    assert not at.exception
    assert at.selectbox(key="cfg-recommended-split").value == "stratified"
    assert any("one artist on both sides" in i.value and "not the full set" in i.value for i in at.info)


def test_no_artist_note_on_other_datasets(tones_app):
    tones_app.switch_page("app_pages/train.py").run()
    assert not tones_app.exception and not any("artist" in i.value for i in tones_app.info)
