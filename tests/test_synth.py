"""Tests for core.demo: the embedded synthetic 10-genre demo dataset (short clips, so the file runs fast)."""

import hashlib
import json
import os

import librosa
import numpy as np
import pytest
import soundfile as sf

from core import GENRES
from core.demo import MANIFEST, clip_seed, default_root, make_demo_dataset, synth_clip
from core.demo.styles import STYLES

SR = 22050


@pytest.mark.parametrize("genre", GENRES)
def test_clip_shape_dtype_level(genre):
    y = synth_clip(genre, seed=1, seconds=2.0, sr=SR)
    assert y.shape == (int(2.0 * SR),)
    assert y.dtype == np.float32
    assert np.all(np.isfinite(y))
    peak = np.max(np.abs(y))
    assert 0.8 <= peak <= 1.0  # peak-normalised (~0.9), never clips
    assert np.sqrt(np.mean(y ** 2)) > 0.01  # not silent
    assert abs(float(y[0])) < 1e-3 and abs(float(y[-1])) < 1e-3  # fades


def test_clip_deterministic_and_seed_dependent():
    a = synth_clip("jazz", 7, seconds=1.5)
    b = synth_clip("jazz", 7, seconds=1.5)
    c = synth_clip("jazz", 8, seconds=1.5)
    d = synth_clip("blues", 7, seconds=1.5)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert not np.allclose(a, d)


def test_clip_other_rates_and_lengths():
    y = synth_clip("rock", 3, seconds=1.23, sr=16000)
    assert y.shape == (int(1.23 * 16000),)
    assert np.max(np.abs(y)) <= 1.0


def test_clip_rejects_unknown_genre():
    with pytest.raises(ValueError):
        synth_clip("polka", 0)


def test_clip_seeds_differ():
    seeds = {clip_seed(0, g, k) for g in range(len(GENRES)) for k in range(20)}
    assert len(seeds) == 200
    assert clip_seed(0, 1, 2) == clip_seed(0, 1, 2) != clip_seed(1, 1, 2)


def test_make_demo_dataset_layout_progress_and_idempotency(data_dir, monkeypatch):
    monkeypatch.setattr("core.demo.dataset.PARALLEL_MIN_SECONDS", 0.0)  # exercise the worker pool
    calls = []
    root = make_demo_dataset(clips_per_genre=2, seconds=1.0, sr=SR, seed=5,
                             progress=lambda done, total: calls.append((done, total)))
    assert root == default_root(2, 1.0, 5)
    assert root.is_relative_to(data_dir / "demo")
    assert root.name == "demo-2x1s-seed5"
    assert calls[-1] == (20, 20) and len(calls) == 20
    assert [c[0] for c in calls] == list(range(1, 21))
    for g in GENRES:
        files = sorted(p.name for p in (root / g).iterdir())
        assert files == [f"{g}.00000.wav", f"{g}.00001.wav"]
        info = sf.info(root / g / files[0])
        assert info.samplerate == SR and info.channels == 1 and info.subtype == "PCM_16"
        assert info.frames == SR
    manifest = json.loads((root / MANIFEST).read_text())
    assert manifest["clips_per_genre"] == 2 and manifest["seed"] == 5 and manifest["genres"] == list(GENRES)
    # the written clip is the clip synth_clip makes for that seed (up to 16-bit quantisation)
    y, _ = sf.read(root / "disco" / "disco.00001.wav", dtype="float32")
    np.testing.assert_allclose(y, synth_clip("disco", clip_seed(5, GENRES.index("disco"), 1), 1.0, SR), atol=1e-4)

    mtimes = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    calls.clear()
    assert make_demo_dataset(clips_per_genre=2, seconds=1.0, sr=SR, seed=5,
                             progress=lambda d, t: calls.append((d, t))) == root
    assert calls == []
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == mtimes


def test_make_demo_dataset_explicit_root_and_repair(tmp_path):
    root = tmp_path / "demo"
    assert make_demo_dataset(root, clips_per_genre=1, seconds=0.5, seed=1) == root
    assert len(list(root.glob("*/*.wav"))) == len(GENRES)
    assert not list(root.glob("**/.*tmp*"))  # no temp files left behind
    # a missing clip or a different manifest triggers regeneration
    (root / "pop" / "pop.00000.wav").unlink()
    make_demo_dataset(root, clips_per_genre=1, seconds=0.5, seed=1)
    assert (root / "pop" / "pop.00000.wav").is_file()
    before = os.stat(root / MANIFEST).st_mtime_ns
    make_demo_dataset(root, clips_per_genre=1, seconds=0.5, seed=2)
    assert json.loads((root / MANIFEST).read_text())["seed"] == 2
    assert os.stat(root / MANIFEST).st_mtime_ns >= before


def _features(y: np.ndarray) -> np.ndarray:
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR, n_fft=1024, hop_length=512, n_mels=40))
    return np.concatenate([S.mean(axis=1), S.std(axis=1)])


@pytest.mark.slow
def test_genres_distinguishable_but_not_trivially():
    """Nearest-centroid on mean/std log-mel of held-out clips beats chance (10 %) by far, but is not perfect."""
    n_train, n_test = 4, 3
    X = {g: np.stack([_features(synth_clip(g, clip_seed(42, gi, k), seconds=2.0, sr=SR))
                      for k in range(n_train + n_test)]) for gi, g in enumerate(GENRES)}
    train = np.concatenate([X[g][:n_train] for g in GENRES])
    mu, sd = train.mean(0), train.std(0) + 1e-6
    centroids = np.stack([((X[g][:n_train] - mu) / sd).mean(0) for g in GENRES])
    correct = 0
    for gi, g in enumerate(GENRES):
        z = (X[g][n_train:] - mu) / sd
        pred = np.argmin(((z[:, None, :] - centroids[None]) ** 2).sum(-1), axis=1)
        correct += int(np.sum(pred == gi))
    acc = correct / (n_test * len(GENRES))
    print(f"nearest-centroid accuracy {acc:.2f}")
    assert acc >= 0.4, acc
    assert acc < 1.0, acc  # genres overlap: a trivial classifier must not be perfect


def test_tempo_ranges_differ():
    """Disco (110-130 bpm four-on-the-floor) is faster than reggae (66-90 bpm one-drop)."""
    def onset_rate(genre):
        rates = []
        for k in range(3):
            y = synth_clip(genre, 100 + k, seconds=4.0, sr=SR)
            env = librosa.onset.onset_strength(y=y, sr=SR)
            rates.append(float(librosa.feature.tempo(onset_envelope=env, sr=SR, start_bpm=100)[0]))
        return np.median(rates)
    assert onset_rate("disco") > onset_rate("reggae") * 0.9


# SHA-256 prefixes of float32 clips rendered by SYNTH_VERSION 1 (seed 11, 2 s at 22050 Hz, and one
# 16 kHz clip): a refactor of the synthesiser must keep the audio bit-identical or bump SYNTH_VERSION.
GOLDEN = {"blues": "84ec5f23d8a97d7b", "classical": "5a5f44d6d81d3a3f", "country": "c94aaa364d5c4d21",
          "disco": "5e3bb0ec6b730c02", "hiphop": "27414ad6c5e0f25f", "jazz": "c56e18bf16c6a1a3",
          "metal": "7106f9eeeb782065", "pop": "215fa8a580a81300", "reggae": "d7c01af16a2e580b",
          "rock": "62a87d7afe9a989a"}


def _digest(y: np.ndarray) -> str:
    return hashlib.sha256(y.tobytes()).hexdigest()[:16]


@pytest.mark.parametrize("genre", GENRES)
def test_clip_bit_identical_to_version_1(genre):
    assert _digest(synth_clip(genre, 11, seconds=2.0, sr=SR)) == GOLDEN[genre]


def test_clip_bit_identical_at_16k():
    assert _digest(synth_clip("jazz", 3, seconds=1.3, sr=16000)) == "c62ffcbe66fc2c13"


def test_one_style_per_genre_with_known_neighbours():
    assert tuple(STYLES) == GENRES
    for name, style in STYLES.items():
        assert style.name == name and style.tempo[0] < style.tempo[1] and style.progressions
        assert set(style.neighbours) <= set(GENRES) - {name}
