import json
import os
import shutil

import numpy as np
import pytest
import soundfile as sf
import torch

from core import cli
from core.base import audio
from core.orchestration import classifier
from core.storage import runs
from core.usecases import model_choice, predict, saliency
from core.base.audio import AudioError
from core.base.config import FeatureConfig, preset
from core.compute.features import model_inputs, window_starts
from core.compute.models import build_classifier
from helpers import write_tone

pytestmark = pytest.mark.slow  # the module's fixture trains a classifier

LABELS = ("low", "mid", "high")
FPS = FeatureConfig().frames_per_second


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny 'recommended' run (1 s segments) on 3 tone labels, trained once for the module."""
    base = tmp_path_factory.mktemp("predict")
    root = base / "tones"
    for i, label in enumerate(LABELS):
        for k in range(4):
            write_tone(root / label / f"{label}.{k:05d}.wav", freq=110.0 * (2 ** i) * (1 + 0.05 * k))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENRELAB_DATA_DIR", str(base / "data"))
        cfg = preset("recommended", hidden_size=16, num_layers=1, epochs=1, segment_seconds=1.0)
        run_id = classifier.submit_classifier(cfg, root, "tones", preset="recommended")
        result = classifier.run_classifier(run_id)
    return base / "data" / "runs" / run_id, root, result


@pytest.fixture
def run_id(trained, data_dir):
    """The trained run, copied into this test's own data folder (so a test may spoil it)."""
    folder = trained[0]
    shutil.copytree(folder, data_dir / "runs" / folder.name)
    return folder.name


@pytest.fixture
def predictor(run_id):
    return predict.load_model(run_id)


def paper_predictor(first_frames=174):
    """An untrained predictor with the study's framing (its notes do not depend on the weights)."""
    cfg = preset("paper", hidden_size=16, num_layers=1, first_frames=first_frames)
    model = build_classifier(cfg, 128, len(LABELS)).eval()
    return predict.Predictor("untrained", model, np.zeros(128, np.float32), np.ones(128, np.float32), LABELS, cfg)


def test_probabilities_sum_to_one_and_segments_cover_the_clip(predictor, tmp_path):
    p = predict.predict(write_tone(tmp_path / "a.wav", seconds=5.0), predictor)
    assert p.labels == ("high", "low", "mid") and p.notes == []
    assert p.probs.shape == (3,) and np.isclose(p.probs.sum(), 1.0, atol=1e-5)
    assert np.allclose(p.segment_probs.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(p.probs, p.segment_probs.mean(axis=0), atol=1e-6)
    # 5 s = 216 frames; 1 s segments are 42 frames (a multiple of time_pool 2) at a 21-frame hop, the last flush
    assert len(p.segment_probs) == len(p.segment_starts) == 10
    assert p.segment_starts[0] == 0 and np.isclose(p.segment_starts[-1] + p.segment_seconds, 216 / FPS)
    assert p.logmel.shape == (128, 216) and np.isclose(p.duration, 5.0) and np.isclose(p.analysed_seconds, 5.0)
    assert len(p.waveform) <= audio.WAVEFORM_POINTS and np.isclose(len(p.waveform) / p.waveform_sr, 5.0, atol=0.01)
    assert p.top(2)[0] == (p.labels[int(p.probs.argmax())], float(p.probs.max()))
    summary = json.loads(json.dumps(p.summary()))
    assert summary["n_segments"] == 10 and len(summary["top"]) == 3


@pytest.mark.parametrize("framing", ["segments", "first_frames"])
@pytest.mark.parametrize("frames", [20, 42, 43, 216, 1000])
def test_window_starts_match_the_training_framing(predictor, framing, frames):
    cfg = predictor.config if framing == "segments" else paper_predictor(40).config
    x, _ = model_inputs([np.zeros((128, frames), np.float32)], cfg)
    starts, length = window_starts(cfg, FeatureConfig(), frames)
    assert len(starts) == len(x) and x.shape[1] == length // cfg.time_pool
    assert starts[-1] + length == (max(frames, length) if framing == "segments" else 40)


def test_a_training_file_gets_the_numbers_training_gave_it(trained, predictor):
    _, root, result = trained
    for key, probs in zip(result["keys"], result["probs"]):
        p = predict.predict(root / f"{key}.wav", predictor)
        assert np.allclose(p.probs, probs, atol=2e-5), key


def test_bytes_and_path_give_the_same_prediction(predictor, tmp_path):
    path = write_tone(tmp_path / "a.wav", seconds=3.0, freq=300.0)
    assert np.array_equal(predict.predict(path, predictor).probs, predict.predict(path.read_bytes(), predictor).probs)


def test_short_clip_is_padded_with_a_note(predictor, tmp_path):
    p = predict.predict(write_tone(tmp_path / "short.wav", seconds=0.6), predictor)
    assert p.notes == ["the clip is 0.6 s, shorter than one 1 s segment: it was padded"]
    assert len(p.segment_probs) == 1 and np.isclose(p.probs.sum(), 1.0, atol=1e-5)
    with pytest.raises(AudioError, match="shorter than the minimum 0.25 s"):
        predict.predict(write_tone(tmp_path / "blip.wav", seconds=0.1), predictor)


def test_long_file_is_analysed_on_a_bounded_window_with_a_note(predictor, tmp_path):
    path = write_tone(tmp_path / "long.wav", seconds=125.0, sr=8000)
    p = predict.predict(path, predictor)
    assert "the file is 125.0 s long: only its first 60 s were analysed" in p.notes
    assert "resampled from 8000 Hz to 22050 Hz" in p.notes
    assert np.isclose(p.duration, 125.0) and np.isclose(p.analysed_seconds, 60.0)
    assert np.isclose(p.logmel.shape[1] / FPS, 60.0, atol=0.05) and p.segment_starts[-1] < 60.0
    short = predict.predict(path, predictor, max_seconds=10.0)
    assert "only its first 10 s were analysed" in short.notes[0] and len(short.segment_starts) < len(p.segment_starts)


def test_stereo_44k_is_resampled_and_mixed_down_with_notes(predictor, tmp_path):
    p = predict.predict(write_tone(tmp_path / "st.wav", seconds=2.0, sr=44100, channels=2), predictor)
    assert p.notes == ["resampled from 44100 Hz to 22050 Hz", "mixed down from 2 channels to mono"]
    assert np.isclose(p.analysed_seconds, 2.0)


def test_paper_framing_says_it_reads_only_the_first_seconds(tmp_path):
    paper = paper_predictor()
    long = predict.predict(write_tone(tmp_path / "a.wav", seconds=6.0), paper)
    assert long.notes == ["the paper framing reads only the first 4.0 s (174 frames): "
                          "the rest of the clip was not used"]
    assert len(long.segment_starts) == 1 and np.isclose(long.segment_seconds, 174 / FPS)
    short = predict.predict(write_tone(tmp_path / "b.wav", seconds=2.0), paper)
    assert short.notes == ["the clip is 2.0 s, shorter than the 4.0 s the paper framing reads: it was padded"]
    s = saliency.saliency(paper, short)
    assert s.shape == short.logmel.shape and 0 <= s.min() and s.max() == 1


def test_not_audio_is_refused(predictor, tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("these are my lecture notes, not a song\n" * 20)
    with pytest.raises(AudioError, match="notes.wav: not a readable audio file"):
        predict.predict(path, predictor)


def test_corrupt_file_is_refused(predictor, tmp_path):
    data = write_tone(tmp_path / "a.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:30])  # the RIFF header stops mid-way through the fmt chunk
    with pytest.raises(AudioError, match="cut.wav: not a readable audio file"):
        predict.predict(tmp_path / "cut.wav", predictor)
    with pytest.raises(AudioError, match="upload: not a readable audio file"):
        predict.predict(data[:30], predictor)


def test_empty_file_is_refused(predictor, tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="empty.wav: the file is empty"):
        predict.predict(tmp_path / "empty.wav", predictor)
    with pytest.raises(AudioError, match="upload: the file is empty"):
        predict.predict(b"", predictor)


def test_silent_file_is_refused(predictor, tmp_path):
    sf.write(tmp_path / "quiet.wav", np.zeros(22050, np.float32), 22050)
    with pytest.raises(AudioError, match="quiet.wav: the audio is silent"):
        predict.predict(tmp_path / "quiet.wav", predictor)


def test_an_upload_over_the_size_limit_is_refused_before_decoding(predictor):
    with pytest.raises(AudioError, match="upload: 50.0 MB is over the 50 MB limit"):
        predict.predict(bytes(predict.MAX_UPLOAD_BYTES + 1), predictor)


def test_a_file_over_the_upload_limit_is_cut_to_the_analysis_window(predictor, tmp_path, monkeypatch):
    path = write_tone(tmp_path / "long.wav", seconds=3.0)  # over the limit once it is 10 kB (issue 25)
    monkeypatch.setattr(predict, "MAX_UPLOAD_BYTES", 10_000)
    y, _ = predict.listen(path, predictor, max_seconds=1.0)
    assert len(y) == predictor.features.sr
    with pytest.raises(AudioError, match="upload: 0.1 MB is over the"):
        predict.listen(path.read_bytes(), predictor)


def test_saliency_shape_range_and_target(predictor, tmp_path):
    p = predict.predict(write_tone(tmp_path / "a.wav", seconds=3.0), predictor)
    s = saliency.saliency(predictor, p)
    assert s.shape == p.logmel.shape == (128, 130) and s.dtype == np.float32
    assert s.min() >= 0 and s.max() == 1 and (s > 0).mean() > 0.5
    other = saliency.saliency(predictor, p, target=(int(p.probs.argmax()) + 1) % 3)
    assert other.shape == s.shape and not np.allclose(other, s)
    assert all(not q.requires_grad for q in predictor.model.parameters())
    with pytest.raises(ValueError, match="not a class index"):
        saliency.saliency(predictor, p, target=3)
    short = predict.predict(write_tone(tmp_path / "b.wav", seconds=0.5), predictor)
    assert saliency.saliency(predictor, short).shape == short.logmel.shape


def test_prediction_leaves_the_thread_count_as_it_was(predictor, tmp_path):
    before = torch.get_num_threads()
    p = predict.predict(write_tone(tmp_path / "a.wav"), predictor)
    saliency.saliency(predictor, p)
    assert torch.get_num_threads() == before


def test_model_is_cached_until_its_file_changes(run_id):
    first = predict.load_model(run_id)
    assert predict.load_model(run_id) is first
    path = runs.run_path(run_id) / "model.pt"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert predict.load_model(run_id) is not first


def test_model_files_that_are_not_ours_are_refused(run_id):
    path = runs.run_path(run_id) / "model.pt"
    ours = torch.load(path, weights_only=True)
    with pytest.raises(runs.RunError, match="run 20990101-000000-clf-beef has no model.pt"):
        predict.load_model("20990101-000000-clf-beef")
    with pytest.raises(runs.RunError, match="'nope' is not a run id"):
        predict.load_model("nope")
    path.write_bytes(b"PK\x03\x04 certainly not a model")
    with pytest.raises(runs.RunError, match="model.pt is not a GenreLab model file"):
        predict.load_model(run_id)
    torch.save({"state_dict": ours["state_dict"]}, path)
    with pytest.raises(runs.RunError, match="not a GenreLab model file \\(it lacks mean, std, labels, config\\)"):
        predict.load_model(run_id)
    torch.save({**ours, "labels": ours["labels"] + ["extra"]}, path)
    with pytest.raises(runs.RunError, match="does not match its own config"):
        predict.load_model(run_id)


def test_cli_predict(run_id, tmp_path, capsys):
    path = write_tone(tmp_path / "a.wav", seconds=2.0, sr=44100)
    assert cli.main(["predict", str(path), "--run", run_id, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["run"] == run_id and [t["label"] for t in out["top"]] == sorted(out["probs"], key=out["probs"].get,
                                                                               reverse=True)
    assert np.isclose(sum(out["probs"].values()), 1.0, atol=1e-4)
    assert out["notes"] == ["resampled from 44100 Hz to 22050 Hz"]
    assert cli.main(["predict", str(path), "--top", "2"]) == 0  # newest finished run by default
    text = capsys.readouterr().out
    assert f"run {run_id}" in text and text.count("%") == 2 and "note: resampled" in text
    (tmp_path / "bad.wav").write_text("not audio")
    assert cli.main(["predict", str(tmp_path / "bad.wav"), "--run", run_id]) == 2
    assert "not a readable audio file" in capsys.readouterr().err


def test_cli_predict_without_a_finished_run(tmp_path, capsys):
    assert cli.main(["predict", str(write_tone(tmp_path / "a.wav"))]) == 2
    assert "no finished classifier run" in capsys.readouterr().err


def test_model_runs_are_tested_models_and_latest_is_the_newest_done():
    def made(name, status, files):
        run_id = runs.create("clf", name, {}, dataset={"name": "tones"})
        for f in files:
            (runs.run_path(run_id) / f).write_text('{"labels": []}')
        runs.update(run_id, status=status)
        return run_id

    done = made("done", "done", ("model.pt", "result.json"))
    cancelled = made("cancelled", "cancelled", ("model.pt", "result.json"))
    made("failed", "failed", ("model.pt", "result.json"))
    made("untested", "done", ("model.pt",))
    found = model_choice.model_runs()
    assert set(found) == {done, cancelled}
    with pytest.raises(runs.RunError, match=done):  # the newest done run is tried; its stand-in model does not load
        model_choice.latest_run_id()
    assert list(model_choice.model_runs([runs.load(cancelled)])) == [cancelled]


def test_a_click_in_silence_is_said_to_be_near_silent(predictor, tmp_path):
    y = np.zeros(10 * 22050, np.float32)
    y[22050] = 0.9  # a click: the peak is loud, the clip is silence
    sf.write(tmp_path / "click.wav", y, 22050)
    notes = predict.predict(tmp_path / "click.wav", predictor).notes
    assert notes[0].startswith("the clip is near-silent: only 0.5% of it (0.05 s of 10.0 s) is louder than -60 dBFS")
    assert not any("near-silent" in n for n in predict.predict(write_tone(tmp_path / "a.wav", seconds=3.0),
                                                                predictor).notes)


@pytest.mark.parametrize("kind, says", [("gan", "a GAN run"), ("exp", "an experiment"),
                                        ("chk", "a check on another dataset")])
def test_a_run_of_another_kind_is_not_a_classifier(kind, says):
    other = runs.create(kind, "not a classifier", {"run": "x"}, dataset={"name": "tones"}, cells={}, gans={})
    with pytest.raises(runs.RunError, match=f"run {other} is {says}, not a classifier run"):
        predict.load_model(other)
