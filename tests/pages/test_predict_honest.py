"""An honest Predict page: what the model was trained on, what that means for a real recording, real first."""

import numpy as np
import pytest

from core.base import catalog
from core.storage import runs
from core.usecases import charts, model_choice
from helpers import fake_run


def model(name: str, dataset: str) -> str:
    """A finished classifier run trained on ``dataset``, with a (placeholder) model file."""
    run_id = fake_run(name, np.array([True, True, False, True]))
    runs.update(run_id, dataset={"name": dataset, "n_clips": 200, "labels": ["blues", "rock"]})
    runs.save_tensors(run_id, "model", {"state_dict": {}})
    return run_id


def test_real_data_comes_first_for_a_real_active_dataset(data_dir):
    demo = model("demo model", "demo")
    gtzan = model("gtzan model", "gtzan-mini")
    tones = model("tones model", "tones")
    models = model_choice.model_runs()
    assert model_choice.model_order(models, "tones") == [tones, gtzan, demo]
    order = model_choice.model_order(models, "other real set")  # both real ones first, newest first (same second here)
    assert set(order[:2]) == {gtzan, tones} and order[2] == demo
    assert model_choice.model_order(models, "demo")[0] == demo


def test_training_note_says_what_a_real_recording_can_expect(data_dir):
    demo, gtzan = model("demo model", "demo"), model("gtzan model", "gtzan-mini")
    synthetic, note = model_choice.training_note(runs.load(demo), runs.result(demo))
    assert synthetic and "synthetic demo set" in note and "never heard a real recording" in note
    assert "75 % (95 % CI 30–95 %)" in note and "4 held-out clips" in note and "wrong genre" in note
    synthetic, note = model_choice.training_note(runs.load(gtzan), runs.result(gtzan))
    assert not synthetic and "gtzan-mini (200 real clips of 2 genres: blues, rock)" in note
    assert "usually scores lower" in note


@pytest.mark.slow
def test_predict_page_offers_the_real_model_first_and_warns_about_a_synthetic_one(app_on_tones):
    demo, gtzan = model("demo model", "demo"), model("gtzan model", "gtzan-mini")
    at = app_on_tones
    at.switch_page("app_pages/predict.py").run()
    assert not at.exception
    assert at.selectbox(key="predict_run-tones").value == gtzan and at.query_params["run"] == gtzan
    assert any("200 real clips" in i.value for i in at.info) and not any("synthetic" in w.value for w in at.warning)
    at.selectbox(key="predict_run-tones").set_value(demo).run()
    assert any("never heard a real recording" in w.value for w in at.warning) and at.query_params["run"] == demo



@pytest.mark.slow
def test_a_shared_link_opens_its_model(app_on_tones):
    demo, _ = model("demo model", "demo"), model("gtzan model", "gtzan-mini")
    app_on_tones.query_params["run"] = demo
    app_on_tones.switch_page("app_pages/predict.py").run()
    assert not app_on_tones.exception and app_on_tones.selectbox(key="predict_run-tones").value == demo


@pytest.mark.slow
def test_the_model_follows_the_sidebars_dataset(app_on_tones, tone_dataset, monkeypatch):
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset};other={tone_dataset}")
    here, there = model("tones model", "tones"), model("other model", "other")
    at = app_on_tones
    at.switch_page("app_pages/predict.py").run()
    assert at.selectbox(key="predict_run-tones").value == here and at.query_params["run"] == here
    at.sidebar.selectbox(key="dataset_choice").set_value("other").run()
    assert not at.exception
    assert at.selectbox(key="predict_run-other").value == there and at.query_params["run"] == there


def test_a_check_defaults_to_real_music_other_than_the_training_set(tone_dataset, monkeypatch):
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset};other={tone_dataset}")
    assert catalog.check_targets("tones") == ["other", "demo"]  # real recordings first, never its own
    assert catalog.check_targets("demo") == ["tones", "other"]


def test_probability_bars_are_labelled_outside_the_bars():
    fig = charts.probabilities_bar(["rock", "country", "metal"], np.array([0.1, 0.64, 0.26]))
    (bars,) = fig.data
    assert bars.textposition == "outside" and list(bars.text) == ["10 %", "26 %", "64 %"]
    assert fig.layout.xaxis.range[1] > 1  # room for the label of a bar at 100 %
