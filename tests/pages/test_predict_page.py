import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from core.base import config
from core.base.percent import percent, with_interval
from core.orchestration import classifier, worker
from core.storage import queue
from core.storage import runs
from core.storage.store import read_json
from core.usecases import charts, predict
from helpers import write_tone

pytestmark = pytest.mark.slow  # trains a classifier and drives the page (AppTest)

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
TINY = dict(hidden_size=16, num_layers=1, epochs=1, segment_seconds=1.0)
LABELS = ("low", "mid", "high")


def tones(root: Path) -> Path:
    for i, label in enumerate(LABELS):
        for k in range(4):
            write_tone(root / label / f"{label}.{k:05d}.wav", freq=110.0 * (2 ** i) * (1 + 0.05 * k))
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny 'recommended' run (1 s segments) on the tone dataset, trained once for the module."""
    base = tmp_path_factory.mktemp("predict-page")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENRELAB_DATA_DIR", str(base / "data"))
        run_id = classifier.submit_classifier(config.preset("recommended", **TINY), tones(base / "tones"), "tones",
                                         preset="recommended")
        classifier.run_classifier(run_id)
    return base / "data" / "runs" / run_id


@pytest.fixture(scope="module")
def trained_pretrained(tmp_path_factory):
    """One 'pretrained' run (frozen musicnn, logistic regression) on the tone dataset, trained once for the module."""
    base = tmp_path_factory.mktemp("predict-page-ear")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENRELAB_DATA_DIR", str(base / "data"))
        run_id = classifier.submit_classifier(config.preset("pretrained"), tones(base / "tones"), "tones",
                                         preset="pretrained")
        classifier.run_classifier(run_id)
    return base / "data" / "runs" / run_id


@pytest.fixture
def app(tone_dataset, monkeypatch):
    """The app on the Predict page with the tone dataset active; no background worker is ever started."""
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    monkeypatch.setattr(queue, "ensure_worker", lambda: None)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["dataset"] = "tones"
    return at.switch_page("app_pages/predict.py")


@pytest.fixture
def run_id(trained, data_dir):
    shutil.copytree(trained, data_dir / "runs" / trained.name)
    return trained.name


def wav_bytes(seconds: float, freq: float = 440.0, amplitude: float = 0.5, sr: int = 22050, channels: int = 1) -> bytes:
    t = np.arange(int(seconds * sr)) / sr
    y = amplitude * np.sin(2 * np.pi * freq * t)
    buf = io.BytesIO()
    sf.write(buf, np.stack([y] * channels, axis=1) if channels > 1 else y, sr, format="WAV")
    return buf.getvalue()


def huge_float_wav(seconds: float = 2.0, sr: int = 22050) -> bytes:
    """A valid float WAV whose samples reach 2.9e38: finite, but its log-mel overflows."""
    buf = io.BytesIO()
    y = np.sin(2 * np.pi * 440 * np.arange(int(seconds * sr)) / sr) * 1e38 / 0.35
    sf.write(buf, y.astype(np.float32), sr, format="WAV", subtype="FLOAT")
    return buf.getvalue()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="predict_upload").set_value((name, data, "audio/wav"))
    return at.run()


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


def test_without_a_model_the_page_trains_a_default_one(app):
    at = app.run()
    assert not at.exception
    assert "No model has been trained yet" in texts(at.info)
    at.button[0].click().run()  # "Train a default model on tones"
    assert not at.exception
    (record,) = runs.list_runs("clf")
    assert record["status"] == "queued" and record["preset"] == "recommended"
    assert record["dataset"]["name"] == "tones" and record["config"] == config.to_dict(config.preset("recommended"))
    assert "A model for tones is training" in texts(at.caption)
    assert not [b for b in at.button if b.label.startswith("Train a default model")]  # no second run queued

    runs.update(record["id"], config=config.to_dict(config.preset("recommended", **TINY)))  # the worker, made quick
    worker.run_one(next(queue.queue_dir().glob("*.json")))
    at.run()
    assert not at.exception
    assert at.selectbox(key="predict_run-tones").value == record["id"]
    assert "Upload or record a clip" in texts(at.info)


def test_run_picker_defaults_to_the_newest_run_on_the_active_dataset(app, run_id, data_dir):
    newer = "29990101-000000-clf-beef"
    shutil.copytree(data_dir / "runs" / run_id, data_dir / "runs" / newer)
    copied = read_json(data_dir / "runs" / newer / "run.json")  # names the run it was copied from
    runs.write_json(data_dir / "runs" / newer / "run.json",
                    {**copied, "id": newer, "dataset": {**copied["dataset"], "name": "elsewhere"}})
    at = app.run()
    assert not at.exception
    picker = at.selectbox(key="predict_run-tones")
    assert picker.value == run_id and picker.options[1].startswith(runs.load(newer)["name"])
    acc = runs.result(run_id)["accuracy"]
    assert f"trained on tones · {with_interval(acc)} test accuracy" in picker.options[0]  # the active dataset's first
    assert not [b for b in at.button if b.label.startswith("Train a default model")]
    assert "Chosen by default: **" in texts(at.caption)
    picker.set_value(newer).run()
    assert "trained on elsewhere, not on the active dataset tones" in texts(at.caption)
    assert "Chosen by default" not in texts(at.caption)  # the reason is the default's, not the model picked


def test_an_upload_shows_genre_accuracy_timeline_and_saliency(app, run_id):
    data = wav_bytes(5.0, freq=880.0, channels=2, sr=44100)
    expected = predict.predict(data, predict.load_model(run_id))
    at = upload(app.run(), "song.wav", data)
    assert not at.exception and not at.error
    genre, p = expected.top(1)[0]
    headline = next(s.value for s in at.subheader if s.value.startswith("Predicted genre"))
    assert headline == f"Predicted genre: {genre} ({percent(p)})"
    assert "resampled from 44100 Hz" in texts(at.info) and "mixed down from 2 channels" in texts(at.info)
    metric = next(m for m in at.metric if m.label == "This model's test accuracy")
    assert metric.value == percent(runs.result(run_id)['accuracy']['value'], 1)
    assert "95 % CI" in texts(at.caption) and "Measured on tones" in texts(at.caption)
    assert "Over time" in texts(at.subheader)
    assert len(at.get("plotly_chart")) == 4  # bars, timeline, waveform, log-mel; saliency only when asked
    at.toggle(key="predict_explain").set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 5 and "gradient × input" in texts(at.caption)


def test_a_recording_is_classified(app, run_id):
    at = app.run()
    at.audio_input(key="predict_record").set_value(("rec.wav", wav_bytes(0.5, sr=16000), "audio/wav"))
    at.run()
    assert not at.exception and not at.error
    assert any(s.value.startswith("Predicted genre") for s in at.subheader)
    info = texts(at.info)
    assert "resampled from 16000 Hz" in info and "shorter than one 1 s segment: it was padded" in info
    assert "Over time" not in texts(at.subheader)  # one segment: no timeline


@pytest.mark.parametrize("name, data, message", [
    ("notes.wav", b"these are not the sounds you are looking for", "not a readable audio file"),
    ("empty.wav", b"", "empty"),
    ("silence.wav", wav_bytes(3.0, amplitude=0.0), "silent"),
    ("click.wav", wav_bytes(0.05), "short"),
    ("huge.wav", b"\0" * (predict.MAX_UPLOAD_BYTES + 1), "over the 50 MB limit"),
    ("loud.wav", huge_float_wav(), "too large to analyse"),
])
def test_bad_uploads_give_a_clear_error_not_a_traceback(app, run_id, name, data, message):
    at = upload(app.run(), name, data)
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("This clip cannot be classified") and message in error.value
    assert not any(s.value.startswith("Predicted genre") for s in at.subheader)


def test_a_long_clip_is_bounded_with_a_note(app, run_id):
    at = upload(app.run(), "long.wav", wav_bytes(predict.MAX_SECONDS + 10, sr=8000))
    assert not at.exception and not at.error
    assert re.search(r"the file is 70\.0 s long: only its first 60 s were analysed", texts(at.info))
    spec = next(c for c in at.get("plotly_chart") if "log-mel spectrogram" in c.proto.spec)
    assert json.loads(spec.proto.spec)["data"][0]["z"]["shape"].replace(" ", "") == "128,517"  # not 2584 frames
    assert any(re.match(r"Drawn in 517 columns of its 258\d frames, each the mean dB of 5 frames", c.value)
               for c in at.caption)


def test_timeline_and_saliency_charts():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]], dtype=np.float32)
    clip = probs.mean(axis=0)
    fig = charts.segment_timeline(list(LABELS), probs, np.array([0.0, 1.5, 3.0]), 3.0, clip)
    timeline, vote = fig.data
    assert list(timeline.y) == ["mid", "low", "high"] and list(timeline.x) == [1.5, 3.0, 4.5]
    assert np.allclose(np.array(timeline.z)[0], probs[:, 1]) and np.allclose(np.array(vote.z)[:, 0], clip[[1, 0, 2]])
    S = np.random.default_rng(0).normal(-40, 10, (128, 50)).astype(np.float32)
    overlay = charts.saliency_overlay(S, np.clip(np.abs(S + 40) / 30, 0, 1))
    assert len(overlay.data) == 2 and overlay.data[1].zmax == 1 and overlay.data[0].showscale is False


def test_the_pretrained_ear_is_the_default_until_a_checked_model_does_better(app, run_id, trained_pretrained,
                                                                             data_dir):
    shutil.copytree(trained_pretrained, data_dir / "runs" / trained_pretrained.name)
    ear = trained_pretrained.name
    at = app.run()
    assert not at.exception
    picker = at.selectbox(key="predict_run-tones")
    assert picker.value == ear  # not the newest: the pretrained ear, no model being checked yet
    assert all("not checked on another collection" in o for o in picker.options)
    reason = next(c.value for c in at.caption if c.value.startswith("Chosen by default"))
    assert "a pretrained ear" in reason and runs.load(ear)["name"] in reason

    data = wav_bytes(3.0, freq=440.0 * 1.05)
    expected = predict.predict(data, predict.load_model(ear))
    at = upload(at, "tone.wav", data)
    assert not at.exception and not at.error
    genre, p = expected.top(1)[0]
    assert f"Predicted genre: {genre} ({percent(p)})" in texts(at.subheader)
    captions = texts(at.caption)
    assert "On real music from another collection: not measured yet" in texts(at.markdown)
    assert "frozen network pretrained on a million songs heard the 3 s" in captions
    assert "No saliency map for a pretrained ear" in captions and "Over time" not in texts(at.subheader)
    assert "the pretrained ear (musicnn) heard the 3.0 s in 3 s patches" in texts(at.info)

    from helpers import checked

    checked(run_id, 0.5)
    at = AppTest.from_file(APP, default_timeout=60)  # a new visit: the default is chosen again
    at.query_params["dataset"] = "tones"
    at = at.switch_page("app_pages/predict.py").run()
    picker = at.selectbox(key="predict_run-tones")
    assert picker.value == run_id
    assert "test accuracy · 50 % (95 % CI 42–58 %) on musifeast-7 ·" in next(
        o for o in picker.options if o.startswith(runs.load(run_id)["name"]))
    assert ("the only model checked on real music from another collection: right on 50 % (95 % CI 42–58 %) of 147 "
            "clips of musifeast-7") in texts(at.caption)
    at = upload(at, "tone.wav", data)
    assert "this model was right on 50 % (95 % CI 42–58 %) of 147 clips of musifeast-7" in texts(at.markdown)
