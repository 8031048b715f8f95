import numpy as np
import pytest
import soundfile as sf

from core.base import audio
from core.base.audio import AudioError, decode
from helpers import write_tone


def test_decodes_wav_to_mono_float32(tmp_path):
    y = decode(write_tone(tmp_path / "a.wav", seconds=1.0))
    assert y.dtype == np.float32 and y.ndim == 1 and y.size == 22050
    assert 0.4 < np.abs(y).max() < 0.6


def test_stereo_is_mixed_down_and_other_rates_resampled(tmp_path):
    y = decode(write_tone(tmp_path / "s.wav", seconds=1.0, sr=44100, channels=2))
    assert y.ndim == 1 and abs(y.size - 22050) <= 1
    y6 = decode(write_tone(tmp_path / "six.wav", seconds=1.0, sr=8000, channels=6))
    assert y6.ndim == 1 and abs(y6.size - 22050) <= 1


@pytest.mark.parametrize("fmt,ext", [("AU", ".au"), ("FLAC", ".flac"), ("OGG", ".ogg"), ("MP3", ".mp3")])
def test_other_formats(tmp_path, fmt, ext):
    subtype = {"OGG": "VORBIS", "MP3": "MPEG_LAYER_III", "AU": "PCM_16", "FLAC": "PCM_16"}[fmt]
    y = decode(write_tone(tmp_path / f"x{ext}", seconds=1.0, subtype=subtype, fmt=fmt))
    assert abs(y.size - 22050) < 2000 and np.abs(y).max() > 0.3


def test_big_endian_au_like_marsyas(tmp_path):
    path = tmp_path / "blues.00000.au"
    t = np.arange(22050) / 22050
    sf.write(path, 0.5 * np.sin(2 * np.pi * 440 * t), 22050, subtype="PCM_16", endian="BIG", format="AU")
    assert open(path, "rb").read(4) == b".snd"
    assert np.abs(decode(path)).max() > 0.4


def test_bytes_input(tmp_path):
    data = write_tone(tmp_path / "a.wav").read_bytes()
    assert decode(data).size == 2 * 22050


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not a readable audio file"),
    (b"hello, I am a text file pretending to be audio\n" * 10, "not a readable audio file"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "not a readable audio file"),
])
def test_bad_files_raise_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message):
        decode(path)
    with pytest.raises(AudioError, match=message):
        decode(content)


def test_nan_silent_and_short_audio_rejected(tmp_path):
    nan = np.zeros(22050, dtype=np.float32)
    nan[100] = np.nan
    sf.write(tmp_path / "nan.wav", nan, 22050, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN"):
        decode(tmp_path / "nan.wav")
    sf.write(tmp_path / "zero.wav", np.zeros(22050), 22050)
    with pytest.raises(AudioError, match="silent"):
        decode(tmp_path / "zero.wav")
    with pytest.raises(AudioError, match="shorter than the minimum"):
        decode(write_tone(tmp_path / "short.wav", seconds=0.1), min_seconds=1.0)



@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, 22049])
def test_a_single_non_finite_sample_anywhere_is_rejected(tmp_path, bad, where):
    y = np.full(22050, 0.5, dtype=np.float32)
    y[where] = bad
    sf.write(tmp_path / "x.wav", y, 22050, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN or infinite"):
        decode(tmp_path / "x.wav")


def test_a_loud_clip_of_negative_samples_only_is_not_called_silent(tmp_path):
    sf.write(tmp_path / "neg.wav", np.full(22050, -0.5, dtype=np.float32), 22050, subtype="FLOAT")
    assert decode(tmp_path / "neg.wav").min() == np.float32(-0.5)
    sf.write(tmp_path / "quiet.wav", np.full(22050, -5e-5, dtype=np.float32), 22050, subtype="FLOAT")
    with pytest.raises(AudioError, match="silent"):
        decode(tmp_path / "quiet.wav")

def test_max_seconds_bounds_what_is_read(tmp_path):
    y = decode(write_tone(tmp_path / "long.wav", seconds=5.0), max_seconds=1.5)
    assert y.size == int(1.5 * 22050)


def test_real_gtzan_clip(gtzan_mini):
    y = decode(gtzan_mini / "jazz" / "jazz.00000.wav")
    assert 29.0 < y.size / 22050 < 31.0 and np.isfinite(y).all()


def test_error_messages_never_quote_server_paths(tmp_path):
    path = tmp_path / "secret-folder" / "bad.wav"
    path.parent.mkdir()
    path.write_bytes(b"not audio at all" * 20)
    with pytest.raises(AudioError) as err:
        decode(path)
    assert "secret-folder" not in str(err.value) and str(err.value).startswith("bad.wav:")


def test_display_waveform_keeps_peaks():
    y = np.zeros(100_000, np.float32)
    y[12_345] = -0.9
    points, rate = audio.display_waveform(y, 22050.0, max_points=1000)
    assert len(points) == 1000 and points.min() == np.float32(-0.9) and np.isclose(rate, 220.5)
    few, same_rate = audio.display_waveform(y[:10], 22050.0, max_points=1000)
    assert len(few) == 10 and same_rate == 22050.0


def test_a_corrupt_mp3_is_called_undecodable_not_missing(tmp_path):
    path = tmp_path / "broken.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(AudioError) as err:
        decode(path)
    assert "cannot be decoded" in str(err.value) and "does not exist" not in str(err.value)


def test_active_fraction_counts_frames_with_sound_not_the_peak():
    sr = 20000  # 50 ms frames of 1000 samples
    click = np.zeros(10 * sr, np.float32)
    click[sr] = 0.9  # one click in ten seconds of silence: a loud peak
    assert audio.active_fraction(click, sr) == pytest.approx(1 / 200)  # one 50 ms frame of 200
    tone = 0.1 * np.sin(np.linspace(0, 2000, 10 * sr)).astype(np.float32)
    assert audio.active_fraction(tone, sr) == 1.0
    assert audio.active_fraction(np.concatenate([tone[: 3 * sr], np.zeros(7 * sr, np.float32)]), sr) == 0.3
    assert audio.active_fraction(np.zeros(0, np.float32), sr) == 0.0
