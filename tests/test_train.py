import dataclasses

import numpy as np
import pytest
import torch

from core.config import ConfigError, parse_overrides, preset, with_overrides
from core.extract import load_features
from core.features import model_inputs
from core.models import LSTMClassifier
from core.splits import stratified_split
from core.train import fit, predict_clips, prepare, vote

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
    assert (paper.framing, paper.first_frames, paper.lr, paper.epochs, paper.normalise) == ("first_frames", 174, 5e-5, 120, False)
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
    from core.train import Part, masked_copies, matched_epochs

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
