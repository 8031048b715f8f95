"""The classic preset: summary features, the tensor-stored logistic regression, a run, prediction, Compare.

The first librosa feature call of a process compiles numba kernels (about 10 s), so feature tests are slow."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from streamlit.testing.v1 import AppTest

from core import cli
from core.compute import classic, summary
from core.orchestration import classifier
from core.storage import extract, runs
from core.usecases import generalise, predict, saliency
from core.base.config import ClassicConfig, FeatureConfig, classifier_config, preset, to_dict
from helpers import write_tone

SR = FeatureConfig().sr
APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def sine(freq: float, seconds: float = 3.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def clicks(bpm: float, seconds: float = 10.0) -> np.ndarray:
    y = np.zeros(int(seconds * SR), np.float32)
    for start in np.arange(0, seconds, 60.0 / bpm):
        i = int(start * SR)
        y[i:i + 200] = np.hanning(200) * np.random.default_rng(i).standard_normal(200)
    return y


def column(v: np.ndarray, name: str) -> float:
    return float(v[summary.feature_names().index(name)])


@pytest.mark.slow
def test_summary_features_have_one_named_column_each_in_their_units():
    v = summary.summary_features(sine(440.0))
    assert v.shape == (len(summary.feature_names()),) == (2 * len(summary.frame_names()) + 1,) and v.dtype == np.float32
    assert abs(column(v, "centroid_hz_mean") - 440) < 40  # Hz
    assert column(v, "centroid_hz_std") < 40
    assert abs(column(v, "zcr_mean") - 2 * 440 / SR) < 0.005  # two crossings a period, per sample
    chroma = [column(v, f"chroma{i}_mean") for i in range(summary.N_CHROMA)]
    assert int(np.argmax(chroma)) == 9 and max(chroma) == pytest.approx(1.0, abs=0.05)  # A, per-frame maximum 1


@pytest.mark.slow
def test_tempo_of_a_click_track_in_beats_per_minute():
    v = summary.summary_features(clicks(120.0))
    assert column(v, "tempo_bpm") == pytest.approx(120, rel=0.05)


@pytest.mark.slow
def test_a_gain_moves_only_the_level_column_and_select_drops_it():
    y = sine(330.0) + 0.05 * np.random.default_rng(0).standard_normal(3 * SR).astype(np.float32)
    loud, quiet = summary.summary_features(y), summary.summary_features(y * 10 ** (-12 / 20))
    names = summary.feature_names()
    moved = {n for n, a, b in zip(names, loud, quiet) if not np.isclose(a, b, rtol=1e-3, atol=1e-3)}
    assert moved == {summary.LEVEL_COLUMN}
    # ortho DCT of a constant 12 dB drop over the mel bands: 12 * sqrt(n_mels) in MFCC 0
    assert column(loud, summary.LEVEL_COLUMN) - column(quiet, summary.LEVEL_COLUMN) == pytest.approx(
        12 * np.sqrt(FeatureConfig().n_mels), rel=0.02)
    kept, kept_names = summary.select(np.stack([loud, quiet]), deltas=False, level="clip")
    assert summary.LEVEL_COLUMN not in kept_names and not any(n.startswith("dmfcc") for n in kept_names)
    np.testing.assert_allclose(kept[0], kept[1], rtol=1e-3, atol=1e-3)
    assert summary.select(loud[None], deltas=True, level="absolute")[0].shape == (1, len(names))


@pytest.mark.slow
@pytest.mark.parametrize("n_classes", [2, 4])
def test_the_model_round_trips_through_weights_only_tensors_and_matches_sklearn(n_classes):
    rng = np.random.default_rng(0)
    y = np.arange(60) % n_classes
    X = rng.standard_normal((60, len(summary.feature_names()))) + y[:, None] * 0.3
    cfg = ClassicConfig(deltas=True, level="absolute", C=0.5)
    model = classic.fit(cfg, X, y, n_classes)
    buf = io.BytesIO()
    torch.save(classic.to_tensors(model), buf)
    buf.seek(0)
    back = classic.from_tensors(torch.load(buf, weights_only=True))
    np.testing.assert_array_equal(classic.probabilities(back, X), classic.probabilities(model, X))
    reference = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=5000, random_state=0)).fit(X, y)
    np.testing.assert_allclose(classic.probabilities(back, X), reference.predict_proba(X), atol=1e-5)


def test_a_class_missing_from_training_is_never_predicted():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((20, len(summary.feature_names()))), np.arange(20) % 2
    probs = classic.probabilities(classic.fit(ClassicConfig(), X, y, 3), X)
    assert probs.shape == (20, 3) and np.all(probs[:, 2] == 0) and np.allclose(probs.sum(1), 1)


def test_from_tensors_refuses_arrays_that_do_not_fit():
    obj = classic.to_tensors(classic.fit(ClassicConfig(), np.random.default_rng(2).standard_normal(
        (12, len(summary.feature_names()))), np.arange(12) % 3, 3))
    obj["features"] = obj["features"][:-1]
    with pytest.raises(ValueError):
        classic.from_tensors(obj)


def test_classic_preset_is_its_own_config_and_round_trips_through_a_run_record():
    cfg = preset("classic", seed=3)
    assert isinstance(cfg, ClassicConfig) and cfg.level == "clip" and cfg.seed == 3
    assert classifier_config(to_dict(cfg)) == cfg
    assert not isinstance(classifier_config(to_dict(preset("recommended"))), ClassicConfig)


@pytest.fixture
def classic_run(tone_dataset):
    run_id = classifier.submit_classifier(preset("classic"), tone_dataset, "tones", preset="classic")
    return run_id, classifier.run_classifier(run_id)


@pytest.mark.slow
def test_a_classic_run_writes_model_result_and_history_and_caches_its_features(classic_run, tone_dataset,
                                                                               monkeypatch, capsys):
    run_id, result = classic_run
    record = runs.load(run_id)
    assert record["status"] == "done" and record["name"].startswith("classic summary features")
    assert record["dataset"]["n_clips"] == 12 and record["split_name"].startswith("stratified")
    assert result["accuracy"]["n"] == len(record["split"]["test"]) and 0 <= result["accuracy"]["lo"]
    assert len(result["confusion"]) == 3 and result["per_class"]
    (epoch,) = runs.history(run_id)
    assert epoch["epoch"] == 1 and 0 <= epoch["train_acc"] <= 1 and "val_loss" in epoch
    torch.load(runs.run_path(run_id) / "model.pt", weights_only=True)  # no pickle needed

    def no_decoding(*args):
        raise AssertionError("the second read must come from the cache")

    monkeypatch.setattr(extract, "compute_summary", no_decoding)
    again = classifier.run_classifier(classifier.submit_classifier(preset("classic"), tone_dataset, "tones",
                                                                   preset="classic"))
    assert again["y_pred"] == result["y_pred"]
    assert cli.main(["train", "--preset", "classic", "--data", str(tone_dataset), "--set", "C=0.5"]) == 0
    assert "test accuracy" in capsys.readouterr().out
    assert sorted(r["config"]["C"] for r in runs.list_runs("clf")) == [0.5, 1.0, 1.0]


@pytest.mark.slow
def test_predict_on_a_classic_run_answers_for_the_whole_clip(classic_run, tmp_path, capsys):
    run_id, _ = classic_run
    predictor = predict.load_model(run_id)
    assert predictor.clip_level and predictor.labels == ("high", "low", "mid")
    p = predict.predict(write_tone(tmp_path / "low.wav", seconds=4.0, freq=112.0), predictor)
    assert p.clip_level and p.top(1)[0][0] == "low" and np.isclose(p.probs.sum(), 1.0, atol=1e-5)
    assert p.segment_probs.shape == (1, 3) and p.segment_seconds == pytest.approx(4.0)
    assert any("as a whole" in note for note in p.notes)
    with pytest.raises(ValueError, match="no saliency"):
        saliency.saliency(predictor, p)
    heard = [predict.listen(write_tone(tmp_path / f"{f}.wav", freq=f), predictor)[1] for f in (112.0, 450.0)]
    seg_probs, probs = predict.classify(predictor, heard)
    assert probs.shape == seg_probs.shape == (2, 3)
    assert cli.main(["predict", str(tmp_path / "low.wav"), "--run", run_id, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["top"][0]["label"] == "low" and out["clip_level"] is True and out["n_segments"] == 1


@pytest.mark.slow
def test_a_classic_model_file_that_does_not_fit_is_a_clear_error(classic_run):
    run_id, _ = classic_run
    path = runs.run_path(run_id) / "model.pt"
    obj = torch.load(path, weights_only=True)
    obj["labels"] = obj["labels"][:2]
    torch.save(obj, path)
    with pytest.raises(runs.RunError, match="does not match"):
        predict.load_model(run_id)


@pytest.mark.slow
def test_compare_pairs_a_classic_run_with_an_lstm_run_on_the_same_split(classic_run, tone_dataset, monkeypatch):
    lstm = classifier.submit_classifier(preset("recommended", epochs=1, hidden_size=16, num_layers=1,
                                               segment_seconds=1.0), tone_dataset, "tones", preset="recommended")
    classifier.run_classifier(lstm)
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(dataset="tones", runs=f"{classic_run[0]},{lstm}")
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception
    legend = at.table[0].value  # Compare's runs table: one row per run, lettered
    assert set(legend["run"]) == {runs.load(classic_run[0])["name"], runs.load(lstm)["name"]}
    (info,) = [i.value for i in at.info]
    assert "paired clips" in info


@pytest.mark.slow
def test_the_generalisation_check_scores_a_classic_run(classic_run, tmp_path):
    other = tmp_path / "other"
    for label, freq in (("Low", 115.0), ("High", 470.0), ("Noise-Pop", 1000.0)):
        for k in range(2):
            write_tone(other / label / f"{k}.wav", seconds=3.0, freq=freq * (1 + 0.03 * k))
    result = generalise.check(classic_run[0], other, "other tones")
    assert result["labels_used"] == {"High": "high", "Low": "low"} and result["labels_skipped"] == ["Noise-Pop"]
    acc, support = result["accuracy"], {c["label"]: c["support"] for c in result["per_class"]}
    assert acc["n"] == 4 and support == {"high": 2, "low": 2, "mid": 0} and len(result["confusion"]) == 3
    assert acc["value"] == pytest.approx(acc["correct"] / 4)


@pytest.mark.slow
def test_the_predict_page_gives_a_classic_run_one_answer_for_the_clip_and_says_so(classic_run, tone_dataset,
                                                                                    monkeypatch, tmp_path):
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["dataset"] = "tones"
    at.switch_page("app_pages/predict.py").run()
    assert at.selectbox(key="predict_run-tones").value == classic_run[0]
    data = write_tone(tmp_path / "song.wav", seconds=4.0, freq=112.0).read_bytes()
    at.file_uploader(key="predict_upload").set_value(("song.wav", data, "audio/wav"))
    at.run()
    assert not at.exception and not at.error
    assert any(s.value.startswith("Predicted genre: low") for s in at.subheader)
    captions = " ".join(c.value for c in at.caption)
    assert "one answer for the clip, not one per segment" in captions and "No saliency map" in captions
    assert "Over time" not in [s.value for s in at.subheader] and not at.get("toggle")
    assert "hears the 4.0 s as a whole" in " ".join(i.value for i in at.info)


@pytest.mark.slow
def test_a_copy_of_the_training_data_is_no_check_on_other_music(classic_run, tone_dataset, tmp_path, capsys):
    """Issue 25: a copy of the training folder without one clip was reported as 'another collection'."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tone_dataset, copy)
    (copy / "low" / "low.00000.wav").unlink()
    assert cli.main(["evaluate", "--run", classic_run[0], "--data", str(copy)]) == 2
    assert "is a copy of a clip this run learnt from or was measured on" in capsys.readouterr().err
    write_tone(copy / "low" / "new.wav", freq=100.0)
    assert cli.main(["evaluate", "--run", classic_run[0], "--data", str(copy), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    removed, own = extract.file_digest(tone_dataset / "low" / "low.00000.wav"), runs.clips(classic_run[0])
    assert sum(map(len, own.values())) == 12
    assert out["overlap"] == {"clips": 11, **{part: len(d) - (removed in d) for part, d in own.items()}}
    assert (out["accuracy"]["n"] == 1
            and "11 of the dataset's clips are copies of clips this run learnt from" in out["sentence"])
