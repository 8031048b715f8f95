import os

import numpy as np
import pytest
import soundfile as sf

from core.base.datasets import DatasetError, detect_layout, list_clips
from core.storage.extract import load_features
from helpers import write_tone


def test_layouts_detected(tmp_path):
    kaggle = tmp_path / "k" / "Data" / "genres_original"
    marsyas = tmp_path / "m" / "genres"
    for root in (kaggle, marsyas):
        for g in ("blues", "rock"):
            write_tone(root / g / f"{g}.00000.au", fmt="AU")
    assert detect_layout(tmp_path / "k") == ("kaggle", kaggle)
    assert detect_layout(tmp_path / "m") == ("marsyas", marsyas)
    assert detect_layout(tmp_path / "k" / "Data" / "genres_original")[0] == "kaggle"
    listing = list_clips(tmp_path / "m")
    assert (listing.labels == ("blues", "rock")
            and [c.key for c in listing.clips] == ["blues/blues.00000", "rock/rock.00000"])


def test_non_audio_and_empty_files_reported_not_fatal(tone_dataset):
    (tone_dataset / "low" / "notes.txt").write_text("hello")
    (tone_dataset / "low" / "empty.wav").write_bytes(b"")
    (tone_dataset / "README.md").write_text("top-level file")
    listing = list_clips(tone_dataset)
    reasons = {s.path: s.reason for s in listing.skipped}
    assert "not an audio file" in reasons["low/notes.txt"]
    assert "empty" in reasons["low/empty.wav"]
    assert "README.md" in reasons
    assert len(listing.clips) == 12


def test_one_label_is_not_a_dataset(tmp_path):
    write_tone(tmp_path / "only" / "a.wav")
    with pytest.raises(DatasetError, match="at least two label"):
        list_clips(tmp_path)
    with pytest.raises(DatasetError, match="not a folder"):
        list_clips(tmp_path / "missing")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder, so permissions cannot be tested")
def test_unreadable_folder_is_skipped(tone_dataset):
    os.chmod(tone_dataset / "low", 0)
    try:
        listing = list_clips(tone_dataset)
    finally:
        os.chmod(tone_dataset / "low", 0o755)
    assert any("permission" in s.reason for s in listing.skipped)


def test_bad_clips_are_skipped_with_reasons_and_nothing_else_lost(tone_dataset):
    (tone_dataset / "mid" / "corrupt.wav").write_bytes(b"RIFF" + os.urandom(300))
    sf.write(tone_dataset / "mid" / "silent.wav", np.zeros(44100), 22050)
    sf.write(tone_dataset / "mid" / "short.wav", 0.5 * np.ones(2000), 22050)
    bad = np.full(44100, 0.1, dtype=np.float32)
    bad[10] = np.inf
    sf.write(tone_dataset / "high" / "inf.wav", bad, 22050, subtype="FLOAT")
    fs = load_features(tone_dataset)
    assert len(fs.clips) == 12
    reasons = {s.path: s.reason for s in fs.skipped}
    assert "not a readable audio file" in reasons["mid/corrupt.wav"]
    assert "silent" in reasons["mid/silent.wav"]
    assert "shorter" in reasons["mid/short.wav"]
    assert "NaN or infinite" in reasons["high/inf.wav"]
    again = load_features(tone_dataset)  # the rejection is cached too
    assert {s.path: s.reason for s in again.skipped} == reasons


def test_real_gtzan_mini_listing(gtzan_mini):
    listing = list_clips(gtzan_mini)
    assert len(listing.labels) == 10 and len(listing.clips) == 100 and not listing.skipped
