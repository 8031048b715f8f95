import subprocess
import sys
import time
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from core.base.audio import decode
from core.base.config import FeatureConfig
from core.storage.extract import features_cached, file_digest, load_features
from core.compute.features import (_mel_basis, _window, denormalise, first_frames, fit_normaliser, logmel,
                                   mel_frequencies, mel_power, normalise, seconds_to_frames, segment_starts, segments)
from helpers import write_tone


@pytest.mark.slow
def test_logmel_matches_librosa():
    y = np.random.default_rng(0).standard_normal(22050 * 2).astype(np.float32) * 0.1
    ours = logmel(y)
    ref = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050, n_fft=2048, hop_length=512,
                                                             n_mels=128), ref=1.0, top_db=None)
    assert ours.shape == ref.shape == (128, 1 + y.size // 512)
    assert np.abs(ours - ref).max() < 0.05


@pytest.mark.parametrize("sr, n_fft, n_mels", [(22050, 2048, 128), (16000, 512, 40), (44100, 4096, 96), (1000, 64, 8)])
def test_mel_filters_are_librosas_bit_for_bit(sr, n_fft, n_mels):
    assert np.array_equal(_mel_basis(sr, n_fft, n_mels).numpy(), librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels))
    assert np.array_equal(mel_frequencies(n_mels, sr / 2), librosa.mel_frequencies(n_mels, fmax=sr / 2))



def dense_mel_power(y: np.ndarray, sr: int, n_fft: int, hop_length: int, n_mels: int) -> np.ndarray:
    """The mel power as it was computed before the banded product: the whole filter bank times the STFT power."""
    import torch

    spec = torch.stft(torch.from_numpy(y), n_fft, hop_length, window=_window(n_fft), center=True, pad_mode="constant",
                      return_complex=True)
    return (_mel_basis(sr, n_fft, n_mels) @ (spec.real.square() + spec.imag.square())).numpy()


@pytest.mark.parametrize("sr, n_fft, hop, n_mels", [(22050, 2048, 512, 128), (16000, 512, 256, 96), (1000, 64, 16, 8),
                                                    (8000, 256, 64, 256)])
def test_banded_mel_power_equals_the_dense_product(sr, n_fft, hop, n_mels):
    """Every band, the empty ones of a bank with more bands than bins included, within float32 rounding."""
    y = np.random.default_rng(1).standard_normal(sr * 2).astype(np.float32) * 0.1
    ours, dense = mel_power(y, sr, n_fft, hop, n_mels).numpy(), dense_mel_power(y, sr, n_fft, hop, n_mels)
    assert ours.shape == dense.shape == (n_mels, 1 + y.size // hop)
    assert np.array_equal(ours == 0, dense == 0)
    assert np.allclose(ours, dense, rtol=1e-5, atol=0)


def test_real_clip_log_mel_equals_the_dense_one_to_float16(gtzan_mini):
    """What the cache keeps (float16 dB) of a real clip is what the dense product gave, to a rounding step."""
    y = decode(gtzan_mini / "blues" / "blues.00000.wav")
    dense = 10 * np.log10(np.maximum(dense_mel_power(y, 22050, 2048, 512, 128), 1e-10))
    ours = logmel(y)
    assert np.abs(ours - dense).max() < 1e-3
    assert np.mean(ours.astype(np.float16) != dense.astype(np.float16)) < 1e-3


def test_content_digest_is_unchanged(tmp_path, gtzan_mini):
    """Cached features are keyed by this digest: changing it would orphan every cache already on disk."""
    blob = tmp_path / "x.bin"
    blob.write_bytes(bytes(range(256)) * 1000)
    assert file_digest(blob) == "53b77b188c91a7d66c490e9489b2fc73"
    assert file_digest(gtzan_mini / "blues" / "blues.00000.wav") == "07056176ee6fc04e4eb4174a6e722e0c"


def test_mono_decodes_to_the_file_samples_and_stereo_to_their_mean(tmp_path):
    mono = write_tone(tmp_path / "mono.wav", seconds=1.0, subtype="FLOAT")
    assert np.array_equal(decode(mono), sf.read(mono, dtype="float32")[0])
    stereo = tmp_path / "stereo.wav"
    both = np.stack([np.linspace(-0.5, 0.5, 22050), np.linspace(0.3, -0.1, 22050)], axis=1).astype(np.float32)
    sf.write(stereo, both, 22050, subtype="FLOAT")
    assert np.array_equal(decode(stereo), both.mean(axis=1))


def test_a_corrupt_clip_is_skipped_with_its_reason_and_the_rest_extracted(tone_dataset):
    (tone_dataset / "low" / "low.00001.wav").write_bytes(b"RIFF" + np.random.default_rng(0).bytes(5000))
    fs = load_features(tone_dataset)
    assert [(s.path, s.reason) for s in fs.skipped] == [("low/low.00001.wav",
                                                         "not a readable audio file (Format not recognised.)")]
    assert len(fs.clips) == 11 and "low/low.00001" not in fs.keys

COLD_PREDICTION = """
import sys
import numpy as np
from core.usecases import predict
from core.base.config import preset
from core.compute.models import build_classifier
cfg = preset("recommended")
model = build_classifier(cfg, 128, 3).eval()
predictor = predict.Predictor("cold", model, np.zeros(128, np.float32), np.ones(128, np.float32), ("a", "b", "c"), cfg)
wav = "{wav}"
assert predict.predict(wav, predictor).top(1)
print(sorted(m for m in ("scipy", "sklearn", "numba", "pandas") if m in sys.modules))
"""


@pytest.mark.slow
def test_a_cold_lstm_prediction_imports_no_scipy_sklearn_numba_or_pandas(tmp_path):
    """Together half of a cold ``python -m core predict``'s import time before they were kept off its path."""
    import soundfile as sf

    wav = tmp_path / "tone.wav"
    sf.write(wav, 0.1 * np.sin(np.linspace(0, 2000, 22050 * 4)).astype(np.float32), 22050)
    out = subprocess.run([sys.executable, "-c", COLD_PREDICTION.format(wav=wav)],
                         cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_logmel_of_very_short_input_is_finite():
    S = logmel(np.ones(100, dtype=np.float32) * 0.1)
    assert S.shape[0] == 128 and np.isfinite(S).all()


@pytest.mark.slow
def test_first_frames_is_the_study_framing():
    S = np.random.default_rng(1).uniform(-60, 10, size=(128, 300)).astype(np.float32)
    x = first_frames(S, 174)
    ref = librosa.power_to_db(librosa.db_to_power(S), ref=np.max)[:, :174].T
    assert x.shape == (174, 128) and np.allclose(x, ref, atol=1e-3)
    assert x.max() <= 0 and x.min() >= -80
    short = first_frames(S[:, :50], 174)
    assert short.shape == (174, 128) and (short[50:] == -80).all()


def test_segments_cover_whole_clip_and_pad_short():
    S = np.arange(128 * 1000, dtype=np.float32).reshape(128, 1000)
    seg = segments(S, 130, 65)
    starts = segment_starts(1000, 130, 65)
    assert seg.shape == (len(starts), 130, 128) and starts[-1] == 1000 - 130
    assert np.array_equal(seg[0], S[:, :130].T) and np.array_equal(seg[-1], S[:, -130:].T)
    short = segments(S[:, :40], 130, 65)
    assert short.shape == (1, 130, 128) and (short[0, 40:] == S[:, :40].min()).all()
    assert seconds_to_frames(3.0, FeatureConfig()) == 129


def test_normaliser_roundtrip():
    x = np.random.default_rng(2).normal(-30, 12, size=(50, 130, 128)).astype(np.float32)
    mean, std = fit_normaliser(x)
    z = normalise(x, mean, std)
    assert abs(z.mean()) < 1e-3 and abs(z.std() - 1) < 1e-2
    assert np.allclose(denormalise(z, mean, std), x, atol=1e-3)


def test_cache_makes_second_load_fast_and_identical(tone_dataset):
    t = time.perf_counter()
    first = load_features(tone_dataset)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    second = load_features(tone_dataset)
    warm = time.perf_counter() - t
    assert first.fingerprint == second.fingerprint and first.labels == ("high", "low", "mid")
    assert all(np.array_equal(a, b) for a, b in zip(first.mels, second.mels))
    assert warm < cold
    assert first.mels[0].dtype == np.float16 and first.mels[0].shape == (128, 87)


def test_cache_keyed_by_content(tone_dataset, tmp_path):
    first = load_features(tone_dataset)
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(tone_dataset, copy)
    assert load_features(copy).fingerprint == first.fingerprint
    (copy / "low" / "low.00000.wav").write_bytes((tone_dataset / "high" / "high.00000.wav").read_bytes())
    assert load_features(copy).fingerprint != first.fingerprint


def test_features_cached_says_whether_loading_would_decode_nothing(tone_dataset, tmp_path):
    """The app's warm-up loads a dataset's log-mels only when they are all cached (extracting is a page's work)."""
    assert not features_cached(tone_dataset)  # never extracted
    load_features(tone_dataset)
    assert features_cached(tone_dataset)
    (tone_dataset / "low" / "notes.txt").write_text("not audio")  # not a clip: nothing to extract
    assert features_cached(tone_dataset)
    write_tone(tone_dataset / "mid" / "mid.00009.wav", freq=300.0)  # a new clip
    assert not features_cached(tone_dataset)
    load_features(tone_dataset)
    assert features_cached(tone_dataset)
    (tone_dataset / "mid" / "mid.00009.wav").write_bytes(b"broken" * 50)  # changed since: its digest is unknown
    assert not features_cached(tone_dataset)
    assert not features_cached(tmp_path / "nowhere")


def test_progress_reported(tone_dataset):
    calls = []
    load_features(tone_dataset, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (12, 12) and len(calls) == 12
