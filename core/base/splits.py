"""Seeded train/validation/test splits over clips (never over segments, so no clip straddles two parts).

Every function takes clip labels (and for the filtered split, clip keys ``<label>/<stem>``) and
returns index arrays into them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import GENRES
from .paths import REPO_ROOT

SPLIT_LISTS = REPO_ROOT / "assets" / "gtzan-splits"


KINDS = {"paper": "the study's random 70/20/10 split", "stratified": "a stratified 70/15/15 split",
         "fold5": "a fold of a stratified 5-fold partition (seeds 0-4 test every clip once)",
         "filtered": "the artist-filtered GTZAN split"}
"""Split kind (a config's ``split``) → a phrase saying how the clips were divided."""

SELECT_PARTITION = 0
"""Shuffle seed of the k-fold partition that presets are chosen on (``kfold_splits(y, 5, SELECT_PARTITION)``,
i.e. ``fold5`` seeds 0-4). Figures reported in README never come from it."""
REPORT_PARTITION = 1
"""Shuffle seed of the k-fold partition that reported figures come from (``fold5`` seeds 5-9); nothing is
chosen on it."""


@dataclass(frozen=True)
class Split:
    """Indices of the clips in each part; ``name`` says how it was drawn (shown next to results)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    name: str

    def to_dict(self) -> dict:
        return {"name": self.name, "train": self.train.tolist(), "val": self.val.tolist(), "test": self.test.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Split":
        return cls(*(np.asarray(d[k], dtype=np.int64) for k in ("train", "val", "test")), d["name"])


def paper_split(n: int, seed: int) -> Split:
    """The study's random, unstratified 70/20/10 split, seeded: 699/199/101 clips of 999.

    Matches ``train_test_split(test_size=0.3)`` followed by a second split of the rest with
    ``test_size=0.335``, which is what yields the study's counts.
    """
    from sklearn.model_selection import train_test_split  # scikit-learn loads when a split is made, not when the
    # Train page imports this module for advise()

    idx = np.arange(n)
    train, rest = train_test_split(idx, test_size=0.3, random_state=seed)
    val, test = train_test_split(rest, test_size=0.335, random_state=seed)
    return Split(np.sort(train), np.sort(val), np.sort(test), f"paper 70/20/10 random, seed {seed}")


def _stratify(y: np.ndarray, n_test: float) -> np.ndarray | None:
    """Labels to stratify on when every class can appear in both parts, else None."""
    counts = np.bincount(y)
    counts = counts[counts > 0]
    parts = n_test if n_test >= 1 else n_test * len(y)
    return y if counts.min() >= 2 and parts >= len(counts) and len(y) - parts >= len(counts) else None


def stratified_split(y: np.ndarray, seed: int, val: float = 0.15, test: float = 0.15) -> Split:
    """Seeded stratified train/val/test split with the given fractions (falls back to random for tiny classes)."""
    from sklearn.model_selection import train_test_split

    y = np.asarray(y)
    idx = np.arange(len(y))
    train_val, test_idx = train_test_split(idx, test_size=test, random_state=seed, stratify=_stratify(y, test))
    rel_val = val / (1.0 - test)
    yt = y[train_val]
    train_idx, val_idx = train_test_split(train_val, test_size=rel_val, random_state=seed,
                                          stratify=_stratify(yt, rel_val))
    return Split(np.sort(train_idx), np.sort(val_idx), np.sort(test_idx),
                 f"stratified {1 - val - test:.0%}/{val:.0%}/{test:.0%}, seed {seed}")


def kfold_splits(y: np.ndarray, k: int, seed: int, val: float = 0.15) -> list[Split]:
    """Stratified k-fold: fold ``i`` tests on its own clips and carves a stratified validation part from the rest."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    y = np.asarray(y)
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    out = []
    for i, (train_val, test_idx) in enumerate(folds):
        train_idx, val_idx = train_test_split(train_val, test_size=val, random_state=seed,
                                              stratify=_stratify(y[train_val], val))
        out.append(Split(np.sort(train_idx), np.sort(val_idx), np.sort(test_idx),
                         f"stratified {k}-fold, fold {i + 1}/{k}, seed {seed}"))
    return out


def fold_split(y: np.ndarray, seed: int, k: int = 5) -> Split:
    """Fold ``seed % k`` of the stratified k-fold partition shuffled with ``seed // k``.

    Seeds 0 to k-1 together test every clip exactly once, so an experiment over k seeds is a
    cross-validation; seeds k to 2k-1 repeat it with a new partition.
    """
    return kfold_splits(y, k, partition_of(seed, k))[seed % k]


def partition_of(seed: int, k: int = 5) -> int:
    """The shuffle seed of the k-fold partition that :func:`fold_split` seed ``seed`` is a fold of."""
    return seed // k


def filtered_split(keys: list[str], lists: Path = SPLIT_LISTS) -> Split:
    """Kereliuk, Sturm & Larsen's artist-filtered GTZAN split (443/197/290 clips of the full set).

    ``keys`` are clip keys ``<genre>/<genre>.000NN``; clips absent from the lists (replicas and
    mislabelled clips) are left out. Raises ValueError if the dataset has no clip of some part.
    """
    where = {k: i for i, k in enumerate(keys)}
    parts = []
    for part in ("train", "valid", "test"):
        names = (lists / f"{part}_filtered.txt").read_text().split()
        parts.append(np.array(sorted(where[k] for k in (n.rsplit(".", 1)[0] for n in names) if k in where),
                              dtype=np.int64))
        if parts[-1].size == 0:
            raise ValueError(f"the artist-filtered split needs full GTZAN: no clip of its {part} list was found")
    return Split(*parts, "GTZAN artist-filtered (Kereliuk et al. 2015)")


def _filtered_keys(lists: Path = SPLIT_LISTS) -> set[str]:
    return {n.rsplit(".", 1)[0] for part in ("train", "valid", "test")
            for n in (lists / f"{part}_filtered.txt").read_text().split()}


GTZAN_KEY = re.compile(rf"^({'|'.join(GENRES)})/\1\.\d{{5}}$")
"""A GTZAN clip key, ``<genre>/<genre>.000NN``."""


@dataclass(frozen=True)
class SplitAdvice:
    """Which split a preset should use on a dataset by default, and what the page should say about it."""

    split: str | None
    """Split kind to use instead of the preset's own (None: keep the preset's)."""
    note: str
    """Why, in a sentence or two for the Train page ("" when there is nothing to warn about)."""


def advise(keys: list[str], preset_split: str, synthetic: bool = False, lists: Path = SPLIT_LISTS) -> SplitAdvice:
    """The honest default split for a preset whose own split is ``preset_split``, given the dataset's clip keys.

    Full GTZAN (every clip of the artist-filtered lists present) gets the artist-filtered split instead of
    a random one, except for the study's own ``paper`` split, which stays faithful and is warned about.
    Other datasets whose keys look like GTZAN's (e.g. gtzan-mini) get a warning that a random split may
    put one artist on both sides; other datasets, and the ``synthetic`` demo set (named like GTZAN, no
    artists), nothing.
    """
    present = set(keys)
    artist = ("GTZAN holds several clips of the same artist (often of the same album), so a random split "
              "may put one artist on both sides of it, and accuracy then rewards recognising the artist.")
    if _filtered_keys(lists) <= present:
        if preset_split == "paper":
            return SplitAdvice(None, "This is full GTZAN. The paper preset keeps the study's random split to "
                               f"reproduce it: {artist} Choose split = filtered for an honest figure.")
        return SplitAdvice("filtered", "This is full GTZAN, so the split defaults to Kereliuk et al.'s "
                           f"artist-filtered split (no artist on both sides). {artist}")
    gtzan_like = sum(bool(GTZAN_KEY.match(k)) for k in keys)
    if keys and gtzan_like >= len(keys) / 2 and preset_split != "filtered" and not synthetic:
        return SplitAdvice(None, f"{gtzan_like} of these {len(keys)} clips are named like GTZAN's but this is not "
                           f"the full set, so the artist-filtered split cannot be used. {artist}")
    return SplitAdvice(None, "")


def make_split(kind: str, y: np.ndarray, keys: list[str], seed: int) -> Split:
    """The split named by a classifier config's ``split`` field."""
    if kind == "paper":
        return paper_split(len(y), seed)
    if kind == "stratified":
        return stratified_split(y, seed)
    if kind == "fold5":
        return fold_split(y, seed)
    if kind == "filtered":
        return filtered_split(keys)
    raise ValueError(f"unknown split {kind!r}")
