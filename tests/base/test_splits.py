import numpy as np
import pytest

from core.base.splits import filtered_split, kfold_splits, make_split, paper_split, stratified_split


def _disjoint_cover(s, n):
    parts = np.concatenate([s.train, s.val, s.test])
    return len(parts) == n and len(set(parts.tolist())) == n


def test_paper_split_has_the_study_counts_and_is_seeded():
    s = paper_split(999, seed=3)
    assert (len(s.train), len(s.val), len(s.test)) == (699, 199, 101)
    assert _disjoint_cover(s, 999)
    assert np.array_equal(s.test, paper_split(999, seed=3).test)
    assert not np.array_equal(s.test, paper_split(999, seed=4).test)


def test_stratified_split_balances_classes():
    y = np.repeat(np.arange(10), 20)
    s = stratified_split(y, seed=0)
    assert _disjoint_cover(s, 200)
    assert np.bincount(y[s.test], minlength=10).min() >= 2


def test_kfold_tests_every_clip_once():
    y = np.repeat(np.arange(10), 10)
    folds = kfold_splits(y, 5, seed=0)
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested.tolist()) == list(range(100))
    assert all(_disjoint_cover(f, 100) for f in folds)
    assert all((np.bincount(y[f.test], minlength=10) == 2).all() for f in folds)


def test_fold5_seeds_0_to_4_are_a_cross_validation_and_5_to_9_a_new_one():
    y = np.repeat(np.arange(10), 10)
    first = [make_split("fold5", y, [], seed) for seed in range(5)]
    assert sorted(np.concatenate([s.test for s in first]).tolist()) == list(range(100))
    assert all(_disjoint_cover(s, 100) and len(s.test) == 20 for s in first)
    assert "fold 3/5" in first[2].name
    second = [make_split("fold5", y, [], seed) for seed in range(5, 10)]
    assert sorted(np.concatenate([s.test for s in second]).tolist()) == list(range(100))
    assert not np.array_equal(first[0].test, second[0].test)


def test_filtered_split_uses_shipped_lists():
    keys = [f"{g}/{g}.{i:05d}" for g in ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal",
                                         "pop", "reggae", "rock") for i in range(100)]
    s = filtered_split(keys)
    assert (len(s.train), len(s.val), len(s.test)) == (443, 197, 290)
    assert not set(s.train) & set(s.test)
    with pytest.raises(ValueError, match="full GTZAN"):
        filtered_split(keys[:5])


def test_split_advice_full_gtzan_gtzan_like_and_other():
    from core.base.splits import _filtered_keys, advise

    full = sorted(_filtered_keys())
    assert len(full) == 930
    recommended = advise(full + ["jazz/jazz.00054"], "stratified")
    assert recommended.split == "filtered" and "full GTZAN" in recommended.note
    paper = advise(full, "paper")
    assert paper.split is None and "split = filtered" in paper.note  # the study's split stays, with a warning
    mini = advise(full[::10], "stratified")
    assert mini.split is None and "not the full set" in mini.note and "one artist on both sides" in mini.note
    assert advise(full[::10], "stratified", synthetic=True).note == ""  # the demo set: GTZAN names, no artists
    assert advise(["low/low.00000", "high/high.00001"], "stratified") == advise([], "paper") == (
        advise(["a/1", "b/2"], "fold5"))
    assert advise(["a/1"], "fold5").note == "" and advise(full[:-1], "stratified").split is None
