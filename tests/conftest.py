"""Shared fixtures: every test writes under its own temporary data folder."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GTZAN_MINI = SHARED_DATA / "gtzan-mini"
GTZAN_SPLITS = SHARED_DATA / "gtzan-splits"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Point GENRELAB_DATA_DIR at a fresh folder so no test touches the real data folder."""
    root = tmp_path / "genrelab-data"
    monkeypatch.setenv("GENRELAB_DATA_DIR", str(root))
    return root


@pytest.fixture
def gtzan_mini():
    if not GTZAN_MINI.is_dir():
        pytest.skip(f"real GTZAN subset not found at {GTZAN_MINI} (only on project machines)")
    return GTZAN_MINI


def write_tone(path: Path, seconds: float = 2.0, sr: int = 22050, freq: float = 440.0, channels: int = 1,
               subtype: str = "PCM_16", fmt: str | None = None) -> Path:
    """Write a sine tone (with a little noise) to ``path``; returns the path."""
    t = np.arange(int(seconds * sr)) / sr
    y = 0.5 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    if channels > 1:
        y = np.stack([y] * channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y.astype(np.float32), sr, subtype=subtype, format=fmt)
    return path


@pytest.fixture
def tone_dataset(tmp_path):
    """A tiny folder-per-label dataset: 3 labels x 4 clips of 2 s tones at different pitches."""
    root = tmp_path / "tones"
    for i, label in enumerate(("low", "mid", "high")):
        for k in range(4):
            write_tone(root / label / f"{label}.{k:05d}.wav", freq=110.0 * (2 ** i) * (1 + 0.05 * k))
    return root
