"""An honest Predict page: what the model was trained on, what that means for a real recording, real first."""

import numpy as np
import pytest

from core.storage import runs
from core.usecases import predict
from test_compare import fake_run


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
    models = predict.model_runs()
    assert predict.model_order(models, "tones") == [tones, gtzan, demo]
    order = predict.model_order(models, "other real set")  # both real ones first, newest first (same second here)
    assert set(order[:2]) == {gtzan, tones} and order[2] == demo
    assert predict.model_order(models, "demo")[0] == demo


def test_training_note_says_what_a_real_recording_can_expect(data_dir):
    demo, gtzan = model("demo model", "demo"), model("gtzan model", "gtzan-mini")
    synthetic, note = predict.training_note(runs.load(demo), runs.result(demo))
    assert synthetic and "synthetic demo set" in note and "never heard a real recording" in note
    assert "75% (95 % interval" in note and "4 held-out clips" in note and "wrong genre" in note
    synthetic, note = predict.training_note(runs.load(gtzan), runs.result(gtzan))
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
