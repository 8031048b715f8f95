"""The pretrained ear: the musicnn port against TensorFlow's numbers, its input, the embedding cache, and the
``pretrained`` preset end to end (train, predict, check on another collection)."""

import json

import numpy as np
import pytest
import torch

from core import cli
from core.base.config import preset
from core.compute import musicnn, musicnn_checkpoint, transfer
from core.orchestration import classifier
from core.storage import extract, runs
from core.usecases import predict


def reference_input() -> np.ndarray:
    """Smooth blobs over time and frequency (cumulative sums of uniform noise), scaled to musicnn's 0-4 range;
    shape (2, 187, 96), float32."""
    u = np.random.default_rng(0).random((2, 187, 96)) - 0.5
    s = np.cumsum(np.cumsum(u, axis=1), axis=2)
    s = (s - s.min(axis=(1, 2), keepdims=True)) / np.ptp(s, axis=(1, 2), keepdims=True)
    return (4 * s).astype(np.float32)


# Produced once with musicnn 0.1.0's own TensorFlow graph (models.define_model(..., "MSD_musicnn", 50), TensorFlow
# 2.15.1, is_training False) restored from the checkpoint in its wheel, on reference_input().
REFERENCE = {
    "logits": (1, [[-7.414291, -6.229544, -6.399557, -5.803053, 0.769007, -5.926661, -0.3150923, -4.979303, -9.450176,
         -4.425372, -5.636524, -10.56887, -3.973403, -7.68336, -10.07441, -7.604339, -7.626411, -6.840302,
         -1.682131, -8.294209, -9.558878, -5.37453, -4.981621, -4.538496, -10.66997, -9.801033, -9.774615,
         -11.26195, -3.36096, -9.483046, -4.084031, -8.295462, -9.409403, -6.555142, -9.530764, -3.895989,
         -12.88804, -6.868938, -6.724608, -6.479932, -6.035997, -0.5054905, -12.0508, -7.643758, -9.736219,
         -8.226986, -8.108435, -8.171576, -0.8167171, -8.126054],
        [-6.683743, -6.784015, -5.743356, -5.043394, -0.2437906, -5.990511, -3.02581, -4.839745, -8.251722,
         -1.392571, -5.072692, -7.082315, -3.691196, -7.89975, -9.555256, -7.468525, -6.858106, -6.257817,
         -2.158589, -7.660995, -7.54536, -5.933597, -4.481645, -3.454216, -6.383636, -9.239442, -9.735907,
         -9.933921, -1.778803, -8.145706, -2.028572, -7.755531, -8.255791, -5.761611, -8.611529, -5.541352,
         -12.91811, -6.153102, -7.371985, -6.979887, -5.518223, -1.731126, -9.479836, -6.441934, -9.21121,
         -9.266705, -7.207325, -7.095317, -3.010343, -7.630223]]),
    "penultimate": (10, [[0.6017988, 3.212499, 1.617039, 0.7288603, -0.1359465, 2.157428, -0.2498894, 0.5686857,
         1.336294, 0.06836185, 1.000887, -0.4101044, -0.1574214, 3.948714, -0.4898214, 2.924424, -0.7558566, 2.950351,
         2.933621, 0.3116218],
        [-0.1771756, 2.205925, 0.5779948, 1.207079, -0.1359465, 1.366831, -0.2498894, 1.506819, 1.353879,
         -0.3638552, -0.352639, -0.4101044, -0.1574214, 2.699286, -0.1051281, 2.581513, -0.7558566, 1.876635,
         4.31922, 0.3176995]]),
    "mean_pool": (40, [[2.258329e-06, 2.521447e-06, 2.063362e-06, -2.36377e-06, -0.9128113, 2.987568e-06, 2.360198e-06,
         2.099754e-06, 2.636465e-06, -1.959132e-06, -2.461333e-06, -2.555179e-06, -2.705305e-06, -7.213842,
         1.984825e-06, 0.0003683989, -0.2877217, 4.213192, -1.588862],
        [2.258333e-06, 2.521447e-06, 2.063362e-06, -2.36377e-06, -1.308375, 2.987568e-06, 2.360198e-06,
         2.099754e-06, 2.636465e-06, -1.959132e-06, -2.461333e-06, -2.555179e-06, -2.705305e-06, -7.354753,
         1.984825e-06, 0.0003683989, -0.2877217, 5.117982, -1.200739]]),
    "max_pool": (40, [[2.25833e-06, 2.521448e-06, 2.063363e-06, -2.363771e-06, 0.6888039, 2.98757e-06, 2.360199e-06,
         2.099755e-06, 2.636463e-06, -1.959132e-06, -2.461335e-06, -2.555179e-06, -2.705305e-06, -3.174974,
         1.984826e-06, 0.000368399, -0.2877217, 21.25653, 6.59031],
        [2.25833e-06, 2.521448e-06, 2.063363e-06, -2.363771e-06, -0.005237336, 2.98757e-06, 2.360199e-06,
         2.099755e-06, 2.636463e-06, -1.959132e-06, -2.461335e-06, -2.555179e-06, -2.705305e-06, -4.004005,
         1.984826e-06, 0.000368399, -0.2877217, 24.53193, 4.750154]]),
}


@pytest.mark.parametrize("layer", sorted(REFERENCE))
def test_port_reproduces_tensorflow(layer):
    step, expected = REFERENCE[layer]
    with torch.inference_mode():
        got = getattr(musicnn.load()(torch.from_numpy(reference_input())), layer).numpy()[:, ::step]
    np.testing.assert_allclose(got, np.array(expected), rtol=1e-5, atol=1e-4)


def test_the_packages_checkpoint_fills_the_whole_network():
    blank = {k: torch.full_like(v, float("nan")) if v.is_floating_point() else v
             for k, v in musicnn.Musicnn().state_dict().items()}
    state = musicnn_checkpoint.read(blank)
    weights = [t for t in state.values() if t.is_floating_point()]
    assert sum(t.numel() for t in weights) == 792_079
    assert not any(t.isnan().any() for t in weights)


def test_without_the_musicnn_package_the_error_names_the_install_command(monkeypatch):
    monkeypatch.setattr(musicnn_checkpoint.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps -r requirements-weights.txt"):
        musicnn_checkpoint.read(musicnn.Musicnn().state_dict())


def test_log_mel_is_musicnns_representation():
    """musicnn computes log10(10000 · librosa's mel power + 1) at 16 kHz, 512-point FFT, hop 256, 96 bands."""
    import librosa

    y = np.random.default_rng(0).standard_normal(musicnn.SAMPLE_RATE * 5).astype(np.float32) * 0.1
    mel = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96)
    np.testing.assert_allclose(musicnn.log_mel(y), np.log10(10000 * mel.T + 1), rtol=1e-5, atol=1e-5)


def test_a_loud_clip_gives_finite_features():
    """musicnn's own code rounds the mel power to float16, which overflows on loud audio (NaN features)."""
    t = np.arange(musicnn.SAMPLE_RATE * 4) / musicnn.SAMPLE_RATE
    y = np.sign(np.sin(2 * np.pi * 220 * t))  # a full-scale square wave
    mel = musicnn.log_mel(y)
    assert mel.max() > np.log10(np.finfo(np.float16).max + 1)  # 10000 x its mel power overflows float16
    assert np.isfinite(musicnn.embed(y)).all()


def test_patches_cut_whole_patches_and_repeat_a_short_clip():
    S = np.arange(500 * 96, dtype=np.float32).reshape(500, 96)
    p = musicnn.patches(S)
    assert p.shape == (2, 187, 96) and np.array_equal(p[1], S[187:374])
    short = musicnn.patches(S[:50])
    assert short.shape == (1, 187, 96) and np.array_equal(short[0, 50:100], S[:50])
    with pytest.raises(ValueError):
        musicnn.patches(S[:0])


def test_embed_columns_are_named():
    e = musicnn.embed(np.random.default_rng(0).standard_normal(musicnn.SAMPLE_RATE * 7).astype(np.float32) * 0.1)
    assert e.shape == (2, len(musicnn.feature_names())) == (2, 1756)
    X = transfer.clip_vectors([e, e[:1]])
    assert X.shape == (2, len(transfer.vocabulary()))
    np.testing.assert_allclose(X[1, 1756:], 0.0)  # one patch: no spread
    assert len(transfer.columns(preset("pretrained"))) == 400


def test_second_load_embeds_nothing(tone_dataset, monkeypatch):
    first = extract.load_embeddings(tone_dataset)
    calls = []
    monkeypatch.setattr(musicnn, "embed", lambda *a, **k: calls.append(1))
    again = extract.load_embeddings(tone_dataset)
    assert calls == []
    assert (again.hashes == first.hashes
            and all(np.array_equal(a, b) for a, b in zip(first.embeddings, again.embeddings)))
    assert first.embeddings[0].dtype == np.float16 and first.embeddings[0].shape == (1, 1756)


@pytest.fixture
def pretrained_run(tone_dataset):
    run_id = classifier.submit_classifier(preset("pretrained"), tone_dataset, "tones", preset="pretrained")
    classifier.run_classifier(run_id)
    return run_id


def test_pretrained_preset_trains_and_predicts(pretrained_run, tone_dataset):
    record = runs.load(pretrained_run)
    assert record["status"] == "done", record.get("error")
    assert record["name"] == "pretrained musicnn ear + logistic regression on tones, seed 0"
    result = json.loads((runs.run_path(pretrained_run) / "result.json").read_text())
    assert result["accuracy"]["n"] == len(result["y_true"]) > 0
    predictor = predict.load_model(pretrained_run)
    assert predictor.pretrained and predictor.clip_level and predictor.features.sr == musicnn.SAMPLE_RATE
    p = predict.predict(tone_dataset / "high" / "high.00001.wav", predictor)
    assert p.labels == ("high", "low", "mid") and abs(float(p.probs.sum()) - 1) < 1e-5
    assert any("pretrained ear" in note for note in p.notes)
    assert p.top(1)[0][0] == "high"  # a tone two octaves above 'low' is told apart by a frozen music tagger


def test_cancelling_while_listening_stops_the_run(tone_dataset, monkeypatch):
    run_id = classifier.submit_classifier(preset("pretrained"), tone_dataset, "tones")
    monkeypatch.setattr(runs.lifecycle, "cancel_requested", lambda _id: True)
    classifier.run_classifier(run_id)
    assert runs.load(run_id)["status"] == "cancelled"
    assert not (runs.run_path(run_id) / "model.pt").exists()


def test_cli_trains_the_pretrained_preset(tone_dataset, capsys):
    cli.main(["train", "--data", str(tone_dataset), "--preset", "pretrained"])
    out = capsys.readouterr().out
    assert "accuracy" in out.lower()
    done = [r for r in runs.list_runs() if r["config"].get("ear") == "musicnn-msd"]
    assert done and done[0]["status"] == "done"


def test_a_second_check_hears_every_clip_from_the_cache(pretrained_run, tmp_path, monkeypatch):
    import soundfile as sf

    from core.usecases import generalise

    other = tmp_path / "other"
    for i, label in enumerate(("low", "high")):
        for k in range(3):
            t = np.arange(3 * 22050) / 22050
            (other / label).mkdir(parents=True, exist_ok=True)
            sf.write(other / label / f"{k}.wav", 0.3 * np.sin(2 * np.pi * 130.0 * 4 ** i * (1 + 0.03 * k) * t), 22050)
    first = generalise.check(pretrained_run, other, "other tones")
    assert first["accuracy"]["n"] == 6 and first["overlap"]["clips"] == 0
    calls = []
    monkeypatch.setattr(musicnn, "embed", lambda *a, **k: calls.append(1))
    again = generalise.check(pretrained_run, other, "other tones")
    assert calls == [] and again["confusion"] == first["confusion"] and again["accuracy"] == first["accuracy"]


@pytest.mark.slow
def test_the_preset_learns_gtzan_mini(gtzan_mini, monkeypatch):
    """On real music the frozen ear carries the head: 100 GTZAN clips, stratified split, seed 0 (measured 87 % of 15
    test clips; an ear that heard nothing useful would sit near chance, 10 %)."""
    run_id = classifier.submit_classifier(preset("pretrained"), gtzan_mini, "gtzan-mini", preset="pretrained")
    result = classifier.run_classifier(run_id)
    assert runs.load(run_id)["status"] == "done"
    assert result["accuracy"]["n"] == 15 and result["accuracy"]["value"] >= 0.6
    monkeypatch.setattr(musicnn, "embed", lambda *a, **k: pytest.fail("a cached clip was heard again"))
    again = classifier.run_classifier(classifier.submit_classifier(preset("pretrained"), gtzan_mini, "gtzan-mini"))
    assert again["y_pred"] == result["y_pred"]
