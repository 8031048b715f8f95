"""Property tests over hostile inputs (config dicts with any floats, zip member names, extreme audio)."""

import io
import math
import zipfile

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.base import catalog, config
from core.base.audio import AudioError
from core.storage.extract import compute_logmel
from core.usecases.unpack import UnpackError, unpack_zip

pytestmark = pytest.mark.slow  # hundreds of hypothesis examples, some unpacking zips or decoding audio

CLASSIFIER_FIELDS = [f.name for f in config.fields(config.ClassifierConfig)]
GAN_FIELDS = [f.name for f in config.fields(config.GANConfig)]


def valid(cfg) -> bool:
    for f in config.fields(cfg):
        value, meta = getattr(cfg, f.name), f.metadata
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value) or not meta["lo"] <= value <= meta["hi"]:
                return False
    return True


@settings(max_examples=300, deadline=None)
@given(cls_fields=st.sampled_from([(config.ClassifierConfig, CLASSIFIER_FIELDS), (config.GANConfig, GAN_FIELDS)]),
       data=st.data())
def test_config_dicts_with_any_floats_validate_or_raise_config_error(cls_fields, data):
    cls, names = cls_fields
    values = data.draw(st.dictionaries(st.sampled_from(names), st.floats() | st.integers() | st.booleans()
                                       | st.floats().map(str), max_size=6))
    try:
        cfg = config.from_dict(cls, values)
    except config.ConfigError as err:
        assert str(err)
    else:
        assert valid(cfg)


def wav(freq: float = 440.0) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, 0.5 * np.sin(2 * np.pi * freq * np.arange(12000) / 8000).astype(np.float32), 8000, format="WAV")
    return buf.getvalue()


WAV = wav()
NAME = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=90)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.lists(NAME, min_size=1, max_size=5).map("/".join), min_size=1, max_size=5, unique=True))
def test_any_member_names_unpack_inside_the_target_or_raise_unpack_error(names, data_dir):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i, name in enumerate(names + ["jazz/x.wav"]):
            z.writestr(f"{name}.wav" if i < len(names) else name, WAV)
    try:
        root = unpack_zip(buf.getvalue(), "any.zip")
    except UnpackError as err:
        assert str(data_dir) not in str(err)
    else:
        for path in root.rglob("*"):
            assert path.resolve().is_relative_to(root.resolve())
            assert len(path.name.encode()) <= 255 and not path.is_symlink()
    assert not any(p.name.startswith(".unpack") for p in catalog.uploads_dir().iterdir())


@settings(max_examples=60, deadline=None)
@given(peak=st.floats(1e-3, 3e38) | st.sampled_from([1e19, 1e20, 3.4e38]), rate=st.sampled_from([8000, 22050, 44100]),
       shape=st.sampled_from(["sine", "square", "spike"]))
def test_extreme_audio_gives_finite_features_or_an_audio_error(peak, rate, shape):
    t = np.arange(int(1.5 * rate)) / rate
    y = {"sine": np.sin(2 * np.pi * 220 * t), "square": np.sign(np.sin(2 * np.pi * 220 * t)),
         "spike": (np.arange(t.size) == t.size // 2).astype(float)}[shape]
    buf = io.BytesIO()
    sf.write(buf, (y * peak).astype(np.float32), rate, format="WAV", subtype="FLOAT")
    try:
        S = compute_logmel(buf.getvalue(), config.FeatureConfig())
    except AudioError as err:
        assert str(err).startswith("upload: ") or "NaN or infinite" in str(err)
    else:
        assert np.isfinite(S).all() and np.isfinite(S.astype(np.float16)).all()
