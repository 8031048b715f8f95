"""Tests for core.base.demo: the embedded synthetic 10-genre demo dataset (short clips, so the file runs fast)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from core import GENRES
from core.base.datasets import list_clips
from core.base.demo import MANIFEST, clip_seed, default_root, make_demo_dataset
from core.base.demo.clip import synth_clip
from core.base.demo.dataset import OLD_MANIFEST
from core.base.demo.styles import STYLES

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
    monkeypatch.setattr("core.base.demo.dataset.PARALLEL_MIN_SECONDS", 0.0)  # exercise the worker pool
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


def test_an_existing_demo_set_is_found_without_loading_the_synthesiser(tmp_path):
    """Every page's first visit resolves the demo set: once it is written, that reads its manifest and loads neither
    scipy.signal nor librosa (about a second on a cold server, most of Home's first run)."""
    make_demo_dataset(tmp_path / "demo", clips_per_genre=1, seconds=0.2, sr=SR)
    check = (f"import sys; from core.base.demo import make_demo_dataset; "
             f"make_demo_dataset({str(tmp_path / 'demo')!r}, clips_per_genre=1, seconds=0.2, sr={SR}); "
             f"print(sorted(m for m in ('scipy.signal', 'librosa', 'core.base.demo.clip') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", check], cwd=Path(__file__).resolve().parents[2], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


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


def test_the_demo_set_scans_with_no_file_skipped(tmp_path):
    """Its manifest is its own record, not a file of the dataset the Dataset page would count as skipped."""
    listing = list_clips(make_demo_dataset(tmp_path / "demo", clips_per_genre=1, seconds=0.5, seed=1))
    assert listing.skipped == [] and len(listing.clips) == len(GENRES)


def test_a_set_made_with_the_visible_manifest_is_kept_and_scans_clean(tmp_path):
    root = make_demo_dataset(tmp_path / "demo", clips_per_genre=1, seconds=0.5, seed=1)
    os.replace(root / MANIFEST, root / OLD_MANIFEST)  # as sets made before the manifest was hidden are
    clips = {p: p.stat().st_mtime_ns for p in root.glob("*/*.wav")}
    assert make_demo_dataset(root, clips_per_genre=1, seconds=0.5, seed=1) == root
    assert {p: p.stat().st_mtime_ns for p in root.glob("*/*.wav")} == clips  # not generated again
    assert not (root / OLD_MANIFEST).exists() and list_clips(root).skipped == []


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


# A portable fingerprint of clips rendered by SYNTH_VERSION 1 (seed 11, 2 s at 22050 Hz, and one 16 kHz clip):
# every 441st sample and the RMS of each 40 ms block, stored in synth_reference.json. numpy's SIMD sin, cos and
# exp round differently per instruction set (AVX-512 vs AVX2: up to 3e-8 on a few samples), so float bytes are not
# portable, but these numbers agree within the tolerances below on any x86-64 CPU. A refactor of the synthesiser
# must keep them or bump SYNTH_VERSION. Regenerate (only with SYNTH_VERSION bumped) with
# ``python -c "import tests.base.test_demo_set as t; t.write_reference()"``.
REFERENCE = Path(__file__).resolve().parent / "synth_reference.json"
REFERENCE_CLIPS = {**{genre: (genre, 11, 2.0, SR) for genre in GENRES}, "jazz@16k": ("jazz", 3, 1.3, 16000)}
SAMPLE_ATOL = 1e-6  # audio peaks at 0.9; a 1e-3 change of any layer's level moves samples by far more
RMS_RTOL = 1e-5


def _fingerprint(y: np.ndarray, sr: int) -> dict:
    """Every 441st sample and the RMS of each 40 ms block of ``y`` (float32 audio, shape (n,))."""
    block = int(0.04 * sr)
    blocks = y[:len(y) // block * block].astype(np.float64).reshape(-1, block)
    rms = np.sqrt((blocks ** 2).mean(1))
    return {"samples": [float(f"{v:.9g}") for v in y[::441]], "rms": [float(f"{v:.9g}") for v in rms]}


def _matches(y: np.ndarray, sr: int, reference: dict) -> bool:
    """True when ``y`` has the reference fingerprint within :data:`SAMPLE_ATOL` and :data:`RMS_RTOL`."""
    got = _fingerprint(y, sr)
    return (len(got["samples"]) == len(reference["samples"]) and len(got["rms"]) == len(reference["rms"])
            and np.allclose(got["samples"], reference["samples"], rtol=0, atol=SAMPLE_ATOL)
            and np.allclose(got["rms"], reference["rms"], rtol=RMS_RTOL, atol=0))


def write_reference() -> None:
    REFERENCE.write_text(json.dumps({name: _fingerprint(synth_clip(g, seed, seconds=s, sr=sr), sr)
                                     for name, (g, seed, s, sr) in REFERENCE_CLIPS.items()}) + "\n")


@pytest.mark.parametrize("name", REFERENCE_CLIPS)
def test_clip_matches_version_1_within_rounding(name):
    genre, seed, seconds, sr = REFERENCE_CLIPS[name]
    assert _matches(synth_clip(genre, seed, seconds=seconds, sr=sr), sr, json.loads(REFERENCE.read_text())[name])


def test_the_reference_check_tolerates_rounding_and_catches_real_changes():
    y = synth_clip("blues", 11, seconds=2.0, sr=SR)
    reference = json.loads(REFERENCE.read_text())["blues"]
    rounding = np.random.default_rng(0).uniform(-3e-8, 3e-8, y.size).astype(np.float32)
    assert _matches(y + rounding, SR, reference)
    assert not _matches(y * np.float32(1.001), SR, reference)  # a level changed by 0.01 dB
    quieter_tail = y.copy()
    quieter_tail[-100:] *= 0.5  # one short stretch between the sampled points
    assert not _matches(quieter_tail, SR, reference)
    assert not _matches(synth_clip("blues", 12, seconds=2.0, sr=SR), SR, reference)


@pytest.mark.slow
def test_the_reference_holds_without_avx512(tmp_path):
    """numpy limited to AVX2 (as on an AMD EPYC without AVX-512) still renders the reference clips."""
    import subprocess
    import sys

    from numpy._core._multiarray_umath import __cpu_features__

    if not __cpu_features__.get("AVX512F"):
        pytest.skip("this CPU has no AVX-512: the default run already is the AVX2 one")
    avx512 = [f for f, on in __cpu_features__.items() if on and f.startswith(("AVX512", "X86_V4"))]
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(avx512)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::"
                           "test_clip_matches_version_1_within_rounding"], env=env,
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]


def test_one_style_per_genre_with_known_neighbours():
    assert tuple(STYLES) == GENRES
    for name, style in STYLES.items():
        assert style.name == name and style.tempo[0] < style.tempo[1] and style.progressions
        assert set(style.neighbours) <= set(GENRES) - {name}
