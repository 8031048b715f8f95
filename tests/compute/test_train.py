import dataclasses

import numpy as np
import pytest
import torch

from core.base.config import ConfigError, FeatureConfig, parse_overrides, preset, with_overrides
from core.storage.extract import load_features
from core.compute.features import model_inputs
from core.compute.models import LSTMClassifier
from core.base.splits import stratified_split
from core.compute.train import eq_curves, fit, pitch_shift, predict_clips, prepare, vote

TINY = dict(hidden_size=16, num_layers=1, epochs=2, batch_size=8, segment_seconds=1.0, first_frames=40)


@pytest.mark.slow
def test_paper_model_shapes_match_the_study():
    model = LSTMClassifier()
    assert model.lstm.hidden_size == 256 and model.lstm.num_layers == 2 and model.lstm.dropout == 0.3
    assert model.head[1].num_features == 256 and model.out.in_features == 256 and model.out.out_features == 10
    x = torch.randn(4, 174, 128)
    assert model(x).shape == (4, 10) and model.embed(x).shape == (4, 256)
    bi = LSTMClassifier(hidden_size=32, bidirectional=True, pooling="mean")
    assert bi(x).shape == (4, 10) and bi.embed(x).shape == (4, 64)
    assert isinstance(model.front, torch.nn.Identity)


def test_conv_front_end_keeps_time_steps_and_sees_neighbouring_frames():
    model = LSTMClassifier(hidden_size=16, conv_channels=4).eval()
    assert model.lstm.input_size == 4 * 128 // 8
    x = torch.zeros(1, 10, 128)
    x[0, 5, 40] = 1.0
    y = model.front(x) - model.front(torch.zeros_like(x))
    changed = y.abs().sum(dim=2)[0].nonzero().flatten().tolist()
    assert changed == [4, 5, 6]  # a 3x3 kernel: the frame and its two neighbours, nothing else
    assert model(torch.randn(3, 10, 128)).shape == (3, 10)


def test_presets_and_bounds():
    paper = preset("paper")
    assert ((paper.framing, paper.first_frames, paper.lr, paper.epochs, paper.normalise)
            == ("first_frames", 174, 5e-5, 120, False))
    assert preset("recommended").normalise
    with pytest.raises(ConfigError, match="above its maximum"):
        preset("paper", epochs=10_000)
    with pytest.raises(ConfigError, match="unknown setting"):
        with_overrides(paper, ["nope=1"])
    with pytest.raises(ConfigError, match="choose one of"):
        with_overrides(paper, {"framing": "sideways"})
    cfg = with_overrides(paper, ["epochs=3", "bidirectional=true", "lr=0.001"])
    assert (cfg.epochs, cfg.bidirectional, cfg.lr) == (3, True, 0.001)


def test_model_inputs_framings():
    mels = [np.random.default_rng(0).normal(-40, 10, (128, 300)).astype(np.float16) for _ in range(3)]
    x, clip = model_inputs(mels, preset("paper"))
    assert x.shape == (3, 174, 128) and x.max() <= 0 and clip.tolist() == [0, 1, 2]
    cfg = preset("recommended", time_pool=2, segment_seconds=1.0)
    x, clip = model_inputs(mels, cfg, train=True)
    assert x.shape[1:] == (21, 128) and len(x) == len(clip) and set(clip.tolist()) == {0, 1, 2}


def test_vote_averages_segments_per_clip():
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    assert np.allclose(vote(probs, torch.tensor([0, 0, 1]), 2), [[0.55, 0.45], [0.4, 0.6]])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["paper", "recommended"])
def test_training_is_deterministic_and_learns(tone_dataset, name):
    fs = load_features(tone_dataset)
    split = stratified_split(fs.y, seed=0, val=0.25, test=0.25)
    cfg = preset(name, **TINY, lr=1e-2, split="stratified")
    data = prepare(fs.mels, fs.y, split, cfg)
    seen = []
    model_a, hist_a = fit(cfg, data, lambda e, m, model, best: seen.append(e))
    model_b, hist_b = fit(cfg, data)
    assert seen == [1, 2] and len(hist_a) == 2
    assert [h["train_loss"] for h in hist_a] == [h["train_loss"] for h in hist_b]
    probs = predict_clips(model_a, data.test)
    assert probs.shape == (len(split.test), 3) and np.allclose(probs.sum(1), 1, atol=1e-5)
    other, _ = fit(dataclasses.replace(cfg, seed=1), data)
    assert not torch.equal(other.out.weight, model_a.out.weight)


def test_normaliser_fitted_on_training_part_only(tone_dataset):
    fs = load_features(tone_dataset)
    split = stratified_split(fs.y, seed=0, val=0.25, test=0.25)
    cfg = preset("recommended", **TINY)
    data = prepare(fs.mels, fs.y, split, cfg)
    train_x = model_inputs([fs.mels[i] for i in split.train], cfg, train=True)[0]
    assert np.allclose(data.mean, train_x.reshape(-1, 128).mean(0), atol=1e-3)
    all_x = model_inputs(fs.mels, cfg, train=True)[0]
    assert not np.allclose(data.mean, all_x.reshape(-1, 128).mean(0), atol=1e-3)


def test_parse_overrides_splits_a_typed_line_into_settings():
    assert parse_overrides(" epochs=10, split=fold5,, ") == ("epochs=10", "split=fold5")
    assert parse_overrides("") == ()
    assert with_overrides(preset("paper"), list(parse_overrides("epochs=3, seed=2"))).epochs == 3


def test_masked_copies_are_masked_training_inputs_per_genre_and_steps_can_be_matched():
    from core.compute.train import Part, masked_copies, matched_epochs

    x = torch.arange(6 * 10 * 8, dtype=torch.float32).view(6, 10, 8)
    y = torch.tensor([0, 0, 0, 1, 1, 2])
    xs, ys = masked_copies(Part(x, y, torch.arange(6), y.numpy()), per_genre=4, seed=0)
    assert xs.shape == (12, 10, 8) and ys.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    fill = float(x.mean())
    for copy, label in zip(xs, ys):
        source = [x[i].numpy() for i in range(6) if y[i] == label and np.array_equal(
            np.where(copy == fill, x[i].numpy(), copy), x[i].numpy())]
        assert source  # a training input of its own genre, with only masked values changed
    assert (xs == fill).any(axis=(1, 2)).sum() >= 6  # most copies carry a mask
    assert matched_epochs(30, 64, 834, 1534) == 51  # 14 → 24 steps per epoch
    assert matched_epochs(30, 64, 834, 834) == 30


@pytest.mark.parametrize("level", ["clip", "segment", "band"])
def test_level_removal_makes_inputs_blind_to_gain(level):
    rng = np.random.default_rng(0)
    mels = [rng.normal(-40, 10, (128, 300)).astype(np.float32) for _ in range(2)]
    cfg = preset("recommended", level=level, segment_seconds=1.0)
    x, _ = model_inputs(mels, cfg)
    louder, _ = model_inputs([m + 12.0 for m in mels], cfg)  # +12 dB of gain
    assert np.allclose(x, louder, atol=1e-3)
    absolute = preset("recommended", level="absolute", segment_seconds=1.0)
    assert not np.allclose(model_inputs(mels, absolute)[0], model_inputs([m + 12.0 for m in mels], absolute)[0])
    if level == "segment":
        assert np.allclose(x.mean(axis=(1, 2)), 0, atol=1e-3)
    if level == "band":  # a fixed equaliser curve is gone too
        tilt = np.linspace(-6, 6, 128, dtype=np.float32)[:, None]
        assert np.allclose(x, model_inputs([m + tilt for m in mels], cfg)[0], atol=1e-3)
        assert np.allclose(x.mean(axis=1), 0, atol=1e-3)


def test_eq_curves_are_smooth_and_bounded():
    curves = eq_curves(16, 128, 6.0, torch.Generator().manual_seed(0))
    assert curves.shape == (16, 128) and curves.abs().max() <= 6.0 and curves.std() > 1.0
    assert curves.diff(dim=1).abs().max() < 12.0 / (128 / 5) + 1e-4  # linear between 6 knots


def test_pitch_shift_moves_a_partial_by_about_the_drawn_interval():
    x = torch.full((64, 2, 128), -80.0)
    x[:, :, 80] = 0.0
    shifted = pitch_shift(x, 2.0, FeatureConfig(), torch.Generator().manual_seed(0))
    peaks = shifted[:, 0].argmax(dim=1)
    assert shifted.shape == x.shape and shifted.max() <= 1e-4 and shifted.min() >= -80.0 - 1e-4
    assert peaks.min() < 80 < peaks.max() and (peaks - 80).abs().max() <= 5  # ±2 semitones ≈ ±4 bands up there


def test_augmented_training_is_deterministic_and_learns(tone_dataset):
    fs = load_features(tone_dataset)
    split = stratified_split(fs.y, seed=0, val=0.25, test=0.25)
    cfg = preset("recommended", **TINY, lr=1e-2, level="segment", eq_augment=6.0, pitch_augment=2.0, mixup=0.4)
    data = prepare(fs.mels, fs.y, split, cfg)
    _, hist_a = fit(cfg, data)
    _, hist_b = fit(cfg, data)
    assert [h["train_loss"] for h in hist_a] == [h["train_loss"] for h in hist_b]
    assert all(np.isfinite(h["train_loss"]) for h in hist_a)
