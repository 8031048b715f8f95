"""GAN sample measures on known cases: a replaying "generator" and a noise generator."""

import numpy as np
import pytest
import torch

from core.compute import gan_metrics, quality
from core.base.config import preset
from core.compute.train import Part, Prepared

N_CLASSES, STEPS, MELS = 3, 16, 12


def music_like(n: int, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Inputs (n, STEPS, MELS) with a genre-specific spectral envelope and onsets every few steps."""
    envelope = np.stack([np.sin(np.linspace(0, np.pi * (k + 1), MELS)) for k in range(N_CLASSES)])
    onsets = (np.arange(STEPS)[None, :] % rng.integers(3, 5, (n, 1)) == 0).astype(np.float64)
    x = envelope[y][:, None, :] + 1.5 * onsets[:, :, None] + 0.3 * rng.normal(size=(n, STEPS, MELS))
    return x.astype(np.float32)


def texture(real: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Noise with each band's mean and spread of ``real`` but no time structure: today's failure."""
    mean, std = real.mean(axis=(0, 1)), real.std(axis=(0, 1))
    return (mean + std * rng.normal(size=real.shape)).astype(np.float32)


def part(x: np.ndarray, y: np.ndarray) -> Part:
    return Part(torch.from_numpy(x), torch.from_numpy(y), torch.arange(len(y)), y)


@pytest.fixture
def real():
    rng = np.random.default_rng(0)
    y = {k: np.repeat(np.arange(N_CLASSES), n) for k, n in (("train", 40), ("val", 20), ("test", 20))}
    x = {k: music_like(len(v), v, rng) for k, v in y.items()}
    return x, y


def test_c2st_cannot_tell_replayed_training_data_but_spots_a_texture(real):
    x, y = real
    rng = np.random.default_rng(1)
    replay = quality.c2st(x["train"], x["train"][rng.permutation(len(x["train"]))], x["val"],
                          x["train"][rng.choice(len(x["train"]), len(x["val"]))])
    assert 0.35 <= replay["accuracy"] <= 0.65 and replay["n"] == 2 * len(x["val"])
    assert replay["ci95"][0] < 0.5 < replay["ci95"][1]
    noise = quality.c2st(x["train"], texture(x["train"], rng), x["val"], texture(x["val"], rng))
    assert noise["accuracy"] >= 0.95 and noise["ci95"][0] > 0.5
    assert quality.band_statistics(x["val"]).shape == (len(x["val"]), 3 * MELS)


def test_c2st_judges_only_what_its_features_show(real):
    """A texture with each band's level is invisible to a judge of levels alone and plain to band statistics."""
    x, _ = real
    rng = np.random.default_rng(3)
    fake_train, fake_val = texture(x["train"], rng), texture(x["val"], rng)
    levels = quality.c2st(x["train"], fake_train, x["val"], fake_val, features=lambda a: a.mean(axis=1))
    full = quality.c2st(x["train"], fake_train, x["val"], fake_val)
    assert levels["accuracy"] <= 0.7 and full["accuracy"] >= 0.95


@pytest.mark.slow
def test_tstr_of_replayed_data_matches_real_training_and_noise_is_at_chance(real):
    x, y = real
    data = Prepared(part(x["train"], y["train"]), part(x["val"], y["val"]), part(x["test"], y["test"]),
                    np.zeros(MELS, np.float32), np.ones(MELS, np.float32), N_CLASSES)
    cfg = preset("recommended", hidden_size=16, num_layers=1, epochs=4, batch_size=16, lr=1e-2, spec_augment=False,
                 eq_augment=0.0, pitch_augment=0.0, mixup=0.0, conv_channels=0)  # a tiny model that can fit in 4 epochs
    counts = quality.per_genre_counts(y["train"], N_CLASSES)
    assert np.array_equal(counts, y["train"])
    real_run = quality.tstr(cfg, x["train"], y["train"], data, real_accuracy=1.0)
    replay = quality.tstr(cfg, x["train"], counts, data, real_accuracy=real_run["accuracy"])
    assert replay["ratio"] == pytest.approx(1.0) and replay["accuracy"] >= 0.9
    assert replay["n"] == len(y["test"]) and replay["ci95"][0] <= replay["accuracy"] <= replay["ci95"][1]
    rng = np.random.default_rng(2)
    noise = quality.tstr(cfg, rng.normal(size=x["train"].shape).astype(np.float32), counts, data,
                         real_accuracy=real_run["accuracy"])
    assert noise["accuracy"] <= 0.6 and noise["ratio"] <= 0.6  # chance is 1/3


def test_frechet_is_size_matched_with_intervals_and_per_genre_only_where_n_allows():
    rng = np.random.default_rng(0)
    d = 4
    train, held = rng.normal(size=(300, d)), rng.normal(size=(40, d))
    shifted = rng.normal(size=(500, d)) + 2.0
    ys = lambda n: np.arange(n) % 2  # noqa: E731
    fd = quality.frechet_matched(train, held, shifted, ys(300), ys(40), ys(500), 2, n_boot=50)
    assert fd["n"] == 40 and fd["dims"] == d
    assert fd["overall"] > 10 * fd["real_floor"] and fd["overall"] <= fd["ci95"][1]
    assert fd["real_floor"] <= fd["real_floor_ci95"][1] < fd["ci95"][0]  # the intervals do not overlap
    assert all(v is not None for v in fd["per_class"])  # 150 and 250 per genre > 4 dimensions
    assert quality.frechet_fast(train, shifted) == pytest.approx(gan_metrics.frechet_distance(train, shifted), rel=1e-6)
    wide = quality.frechet_matched(rng.normal(size=(300, 200)), rng.normal(size=(40, 200)),
                                   rng.normal(size=(500, 200)), ys(300), ys(40), ys(500), 2, n_boot=5)
    assert wide["per_class"] == [None, None] and wide["per_class_min_n"] == 201
