import numpy as np
import pytest

from core.usecases import explore
from core.base.datasets import Skipped
from core.storage.extract import load_features


def test_class_counts_in_label_order_including_empty_classes():
    counts = explore.class_counts(("a", "b", "c"), np.array([1, 1, 0, 1]))
    assert counts == {"a": 1, "b": 3, "c": 0}
    assert list(counts) == ["a", "b", "c"]
    assert explore.imbalance_ratio(counts) == float("inf")
    assert explore.imbalance_ratio({"a": 2, "b": 6}) == 3.0


def test_skip_reasons_grouped_by_kind_most_common_first():
    skipped = [Skipped("a/x.txt", "not an audio file (.txt)"), Skipped("a/y.csv", "not an audio file (.csv)"),
               Skipped("b/z.wav", "empty file (0 bytes)")]
    assert explore.skip_reasons(skipped) == {"not an audio file": 2, "empty file": 1}
    assert explore.skip_reasons([]) == {}


def test_total_seconds_from_frame_counts():
    mels = [np.zeros((4, 43)), np.zeros((4, 86))]
    assert explore.total_seconds(mels, 43.0) == pytest.approx(3.0)


def test_mean_spectrograms_average_each_frame_over_the_clips_reaching_it():
    mels = [np.full((2, 4), 1.0), np.full((2, 2), 3.0), np.full((2, 3), -10.0)]
    means = explore.mean_spectrograms(mels, np.array([0, 0, 1]), n_labels=3)
    assert means.shape == (3, 2, 4) and means.dtype == np.float32
    np.testing.assert_allclose(means[0, 0], [2.0, 2.0, 1.0, 1.0])
    np.testing.assert_allclose(means[1, 1, :3], -10.0)
    assert np.isnan(means[1, :, 3]).all() and np.isnan(means[2]).all()
    assert explore.mean_spectrograms(mels, np.array([0, 0, 1]), 3, max_frames=2).shape == (3, 2, 2)


def test_mean_spectrograms_in_columns_of_several_frames_average_every_clip_frame_in_them():
    mels = [np.array([[0.0, 2.0, 4.0, 6.0, 8.0]]), np.array([[10.0, 10.0]])]
    means = explore.mean_spectrograms(mels, np.array([0, 0]), n_labels=2, step=2)
    assert means.shape == (2, 1, 3)
    np.testing.assert_allclose(means[0, 0], [(0 + 2 + 10 + 10) / 4, (4 + 6) / 2, 8.0])  # the last column holds one
    assert np.isnan(means[1]).all()
    one = explore.mean_spectrograms(mels, np.array([0, 0]), n_labels=2)
    np.testing.assert_allclose(explore.mean_spectrograms(mels, np.array([0, 0]), 2, step=1), one)



def test_level_range_and_band_levels_ignore_frames_no_clip_reached():
    mels = [np.array([[1.0, 3.0], [-4.0, -4.0]]), np.array([[5.0], [0.0]])]
    means = explore.mean_spectrograms(mels, np.array([0, 1]), n_labels=3)  # label 2 has no clip
    assert explore.level_range(means) == (-4.0, 5.0)
    levels = explore.band_levels(means)
    assert levels.shape == (3, 2)
    np.testing.assert_allclose(levels[:2], [[2.0, -4.0], [5.0, 0.0]])  # label 1 over its one frame only
    assert np.isnan(levels[2]).all()

def test_band_stats_are_per_band_mean_then_std():
    m = np.array([[0.0, 2.0], [5.0, 5.0]], dtype=np.float16)
    stats = explore.band_stats([m, m + 1])
    assert stats.shape == (2, 4)
    np.testing.assert_allclose(stats[0], [1.0, 5.0, 1.0, 0.0])
    np.testing.assert_allclose(stats[1, :2], [2.0, 6.0])


def test_pca_map_separates_distinct_groups():
    rng = np.random.default_rng(0)
    stats = np.concatenate([rng.normal(0, 0.1, (10, 6)), rng.normal(3, 0.1, (10, 6))])
    coords, explained = explore.pca_map(stats)
    assert coords.shape == (20, 2) and explained.shape == (2,)
    assert explained[0] > 0.9 and explained.sum() <= 1.0 + 1e-9
    first = coords[:, 0]
    assert abs(first[:10].mean() - first[10:].mean()) > 10 * (first[:10].std() + first[10:].std())
    assert np.isfinite(explore.pca_map(stats[:2])[0]).all()  # the smallest possible dataset


@pytest.mark.parametrize("shape", [(40, 256), (2, 12), (30, 3)])
def test_pca_map_is_scikit_learns_standardised_pca(shape):
    """The map is numpy's SVD (scikit-learn's import cost the Dataset page's first visit 1.5 s), with the same numbers
    and signs as StandardScaler + PCA(2, svd_solver="full"); a constant feature is left at 0."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(1)
    stats = rng.normal(size=shape) * rng.uniform(0.1, 5.0, shape[1])
    stats[:, 0] = 3.0
    pca = PCA(n_components=2, svd_solver="full")
    expected = pca.fit_transform(StandardScaler().fit_transform(stats))
    coords, explained = explore.pca_map(stats)
    np.testing.assert_allclose(coords, expected, atol=1e-5)
    np.testing.assert_allclose(explained, pca.explained_variance_ratio_, atol=1e-12)
    assert explore.pca_map(np.ones((4, 3)))[1].tolist() == [0.0, 0.0]  # nothing varies: nothing explained


def test_pca_map_runs_its_svd_on_one_blas_thread_and_restores_the_callers_threads(monkeypatch):
    """OpenBLAS's two threads made the Dataset page's map take 60-1100 ms instead of a few when the browser drawing
    the page held a core: the SVD is limited to one thread, and the caller's setting comes back after it."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    seen = []
    svd = np.linalg.svd
    monkeypatch.setattr(np.linalg, "svd", lambda *a, **k: seen.append(blas_threads()) or svd(*a, **k))
    with threadpool_limits(limits=2, user_api="blas"):
        explore.pca_map(np.random.default_rng(0).normal(size=(20, 8)))
        after = blas_threads()
    assert seen == [{1}] and after == {2}


def test_clip_preview_plays_and_draws_the_clip(tone_dataset):
    fs = load_features(tone_dataset)
    preview = explore.clip_preview(fs, 0)
    assert preview.sr == fs.cfg.sr and preview.audio.dtype == np.float32
    assert len(preview.audio) == pytest.approx(2.0 * fs.cfg.sr, abs=1)
    assert preview.S_db.shape == fs.mels[0].shape and not preview.truncated
    assert len(preview.waveform) / preview.waveform_rate == pytest.approx(2.0, rel=0.01)
    assert np.abs(preview.waveform).max() == pytest.approx(np.abs(preview.audio).max())
    short = explore.clip_preview(fs, 0, seconds=1.0)
    assert short.truncated and len(short.audio) == fs.cfg.sr
    assert short.S_db.shape[1] == int(np.ceil(fs.cfg.frames_per_second))


@pytest.mark.parametrize("points, expected", [
    ([], None),
    ([{"point_index": 3, "customdata": 7}], 7),
    ([{"point_index": 3, "customdata": [5.0]}], 5),
    ([{"point_index": 0}, {"customdata": [2, "x"]}], 2),
    ([{"customdata": 10}], None),  # out of range
    ([{"customdata": -1}], None),
    ([{"customdata": ["3"]}, {"customdata": 1.5}, {"customdata": True}, {"customdata": []}], None),  # malformed
])
def test_selected_clip_reads_customdata_and_ignores_bad_values(points, expected):
    assert explore.selected_clip(points, n_clips=10) == expected


def test_overview_is_the_pages_mean_spectrograms_and_clip_map(tone_dataset):
    fs = load_features(tone_dataset)
    view = explore.overview(fs)
    np.testing.assert_array_equal(view.means, explore.mean_spectrograms(fs.mels, fs.y, 3, step=explore.MEAN_STEP))
    coords, explained = explore.pca_map(explore.band_stats(fs.mels))
    np.testing.assert_array_equal(view.coords, coords)
    np.testing.assert_array_equal(view.explained, explained)
    assert view.coords.shape == (12, 2) and view.means.shape == (3, 128, -(-fs.mels[0].shape[1] // explore.MEAN_STEP))


def test_the_pretrained_ears_map_reads_what_the_preset_reads(tone_dataset):
    from core.base.config import preset
    from core.compute import transfer
    from core.storage.extract import load_embeddings

    es = load_embeddings(tone_dataset)
    stats = explore.ear_stats(es.embeddings)
    names = transfer.columns(preset("pretrained"))
    assert stats.shape == (12, len(names)) and all(n.startswith("penultimate") for n in names)
    pooled = transfer.clip_vectors(es.embeddings[:1])[0]
    np.testing.assert_allclose(stats[0], pooled[[transfer.vocabulary().index(c) for c in names]])
    assert explore.ear_stats_text(len(names)).endswith(f"3 s patches ({len(names)} numbers)")
    coords, explained = explore.pca_map(stats)
    assert coords.shape == (12, 2) and 0 < explained.sum() <= 1
    high, low = (coords[es.y == es.labels.index(g)].mean(0) for g in ("high", "low"))
    spread = np.linalg.norm(coords - coords.mean(0), axis=1).mean()
    assert np.linalg.norm(high - low) > spread  # two octaves apart: the ear puts them apart
