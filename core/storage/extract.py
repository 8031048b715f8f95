"""Turn a dataset folder into cached log-mels or summary vectors: decode once, keep forever, reload near-instantly.

Cache layout under ``<data>/cache``::

    features/<params>/<hh>/<hash>.npy      float16 log-mel (n_mels, frames), dB re 1.0
    features/summary-<params>/<hh>/<hash>.npy   float32 summary vector (core.compute.summary.feature_names())
    features/musicnn-<weights>-<secs>s/<hh>/<hash>.npy   float16 pretrained patch features (patches, 1756)
    features/<...>/<hh>/<hash>.bad         reason the file could not be used (text)
    index/<root-hash>.json                 {relative path: [size, mtime_ns, content hash]}

``<hash>`` is a BLAKE2b digest of the file's bytes, so a renamed or copied file is not decoded
again; the index spares re-hashing files whose size and mtime are unchanged. Every write goes to
a temporary file first and is then renamed into place, so two processes extracting the same
dataset at once cannot leave a torn file.
"""

from __future__ import annotations

import hashlib
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..base import paths
from ..base.audio import AudioError, decode
from ..base.config import FeatureConfig
from ..base.datasets import Clip, DatasetError, Listing, Skipped, list_clips
from ..compute.features import FeatureError, logmel, require_finite
from .store import atomic_write_bytes

# core.compute.summary (librosa) and core.compute.musicnn (torch) are imported by the functions that compute or
# name their cache, so reading cached log-mels (every page's first paint) loads neither.

MIN_SECONDS = 1.0
MAX_SECONDS = 600.0  # longer files are analysed on their first ten minutes
Progress = Callable[[int, int], None]


class _Identified:
    """The identity of a set of clips with ``clips`` and content ``hashes`` (a :class:`FeatureSet` or
    :class:`SummarySet`)."""

    clips: list[Clip]
    hashes: list[str]

    @property
    def fingerprint(self) -> str:
        """Identity of this dataset's content and labels (16 hex digits)."""
        return fingerprint(self.keys, self.hashes)

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.clips]


@dataclass
class FeatureSet(_Identified):
    """A dataset's usable clips with their log-mels.

    ``mels[i]`` is a float16 array (n_mels, frames) for ``clips[i]``, whose label index is ``y[i]``
    into ``labels``. ``skipped`` lists every file left out, with its reason.
    """

    root: Path
    layout: str
    labels: tuple[str, ...]
    clips: list[Clip]
    y: np.ndarray
    mels: list[np.ndarray]
    hashes: list[str]
    cfg: FeatureConfig
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class SummarySet(_Identified):
    """A dataset's usable clips with their summary vectors (:func:`core.compute.summary.summary_features`).

    ``x[i]`` (float32, ``len(core.compute.summary.feature_names())``) belongs to ``clips[i]``, whose label index
    is ``y[i]`` into ``labels``; ``skipped`` lists every file left out, with its reason.
    """

    root: Path
    layout: str
    labels: tuple[str, ...]
    clips: list[Clip]
    y: np.ndarray
    x: np.ndarray
    hashes: list[str]
    cfg: FeatureConfig
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class EmbeddingSet(_Identified):
    """A dataset's usable clips with what the pretrained network heard in them (:func:`core.compute.musicnn.embed`).

    ``embeddings[i]`` (float16, (n_patches, 1756)) belongs to ``clips[i]``, whose label index is ``y[i]``
    into ``labels``; ``skipped`` lists every file left out, with its reason.
    """

    root: Path
    layout: str
    labels: tuple[str, ...]
    clips: list[Clip]
    y: np.ndarray
    embeddings: list[np.ndarray]
    hashes: list[str]
    skipped: list[Skipped] = field(default_factory=list)


def fingerprint(keys: list[str], hashes: list[str]) -> str:
    """Identity of a set of clips (16 hex digits) from their keys (``<label>/<stem>``) and content hashes,
    whatever their order."""
    h = hashlib.blake2b(digest_size=8)
    for key, digest in sorted(zip(keys, hashes)):
        h.update(f"{key}:{digest}\n".encode())
    return h.hexdigest()


def params_key(cfg: FeatureConfig) -> str:
    return f"sr{cfg.sr}-fft{cfg.n_fft}-hop{cfg.hop_length}-mel{cfg.n_mels}"


def summary_key(cfg: FeatureConfig) -> str:
    from ..compute.summary import N_MFCC

    return f"summary-{params_key(cfg)}-mfcc{N_MFCC}"


EAR_SECONDS = 60.0  # the pretrained ear hears a file's first minute, in training and prediction alike


def embedding_key() -> str:
    from ..compute import musicnn

    return f"musicnn-{musicnn.weights_version()}-{EAR_SECONDS:g}s"


def _npy_bytes(x: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, x)
    return buf.getvalue()


class _Cache:
    def __init__(self, name: str):
        self.dir = paths.subdir("cache") / "features" / name

    def _stem(self, digest: str) -> Path:
        return self.dir / digest[:2] / digest

    def get(self, digest: str) -> np.ndarray | str | None:
        """The cached array, the reason the file was rejected, or None if never seen."""
        stem = self._stem(digest)
        try:
            return np.load(stem.with_suffix(".npy"))
        except (FileNotFoundError, ValueError, EOFError, OSError):
            pass
        try:
            return stem.with_suffix(".bad").read_text()
        except FileNotFoundError:
            return None

    def has(self, digest: str) -> bool:
        """Whether the file of this digest was seen: its array or the reason it was rejected is cached."""
        stem = self._stem(digest)
        return stem.with_suffix(".npy").is_file() or stem.with_suffix(".bad").is_file()

    def put(self, digest: str, result: np.ndarray | str) -> None:
        stem = self._stem(digest)
        if isinstance(result, str):
            atomic_write_bytes(stem.with_suffix(".bad"), result.encode())
        else:
            atomic_write_bytes(stem.with_suffix(".npy"), _npy_bytes(result))


def _index_path(root: Path) -> Path:
    digest = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
    return paths.subdir("cache") / "index" / f"{digest}.json"


def _read_index(root: Path) -> dict:
    try:
        return json.loads(_index_path(root).read_text())
    except (FileNotFoundError, ValueError):
        return {}


def file_digest(path: Path) -> str:
    """BLAKE2b-128 of a file's bytes (hex)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def compute_logmel(source: Path | bytes, cfg: FeatureConfig) -> np.ndarray:
    """Decode and featurise one file; raises :class:`AudioError` for unusable audio."""
    y = decode(source, sr=cfg.sr, min_seconds=MIN_SECONDS, max_seconds=MAX_SECONDS)
    return logmel(y, cfg)


def compute_summary(source: Path | bytes, cfg: FeatureConfig) -> np.ndarray:
    """Decode one file and summarise it (:func:`core.compute.summary.summary_features`); raises :class:`AudioError`."""
    from ..compute.summary import summary_features

    return summary_features(decode(source, sr=cfg.sr, min_seconds=MIN_SECONDS, max_seconds=MAX_SECONDS), cfg)


def compute_embedding(source: Path | bytes) -> np.ndarray:
    """Decode one file at 16 kHz and run the pretrained network over its first :data:`EAR_SECONDS`;
    (n_patches, 1756) float32 (:func:`core.compute.musicnn.embed`). Raises :class:`AudioError` for unusable audio."""
    from ..compute import musicnn

    return musicnn.embed(decode(source, sr=musicnn.SAMPLE_RATE, min_seconds=MIN_SECONDS, max_seconds=EAR_SECONDS))


def load_features(root: str | Path, cfg: FeatureConfig = FeatureConfig(), progress: Progress | None = None,
                  workers: int = 2) -> FeatureSet:
    """Log-mels of every usable clip under ``root``, computing only what the cache lacks.

    Parameters
    ----------
    root : path
        A dataset folder in any layout :func:`core.base.datasets.list_clips` knows.
    progress : callable(done, total), optional
        Called as clips complete.
    workers : int
        Threads decoding and transforming in parallel (torch and libsndfile release the GIL).

    Raises
    ------
    core.base.datasets.DatasetError
        If the folder is not a dataset, or fewer than two labels keep usable clips.
    """
    listing, clips, mels, hashes, skipped, labels, y = _load(
        root, params_key(cfg), lambda path: compute_logmel(path, cfg).astype(np.float16), progress, workers)
    return FeatureSet(listing.root, listing.layout, labels, clips, y, mels, hashes, cfg, skipped)


def features_cached(root: str | Path, cfg: FeatureConfig = FeatureConfig()) -> bool:
    """Whether :func:`load_features` of ``root`` would decode nothing: every listed file is in the folder's index with
    its size and modification time unchanged, and its log-mel (or why it was rejected) is cached. Reads no audio;
    False for a folder that is not a dataset."""
    try:
        listing = list_clips(root)
    except (DatasetError, OSError):
        return False
    cache, index = _Cache(params_key(cfg)), _read_index(listing.root)
    for clip in listing.clips:
        entry = index.get(str(clip.path.relative_to(listing.root)))
        try:
            stat = clip.path.stat()
        except OSError:
            return False
        if not entry or entry[:2] != [stat.st_size, stat.st_mtime_ns] or not cache.has(entry[2]):
            return False
    return True


def load_summaries(root: str | Path, cfg: FeatureConfig = FeatureConfig(), progress: Progress | None = None,
                   workers: int = 2) -> SummarySet:
    """Summary vectors of every usable clip under ``root`` (:func:`core.compute.summary.summary_features`), computing
    only what the cache lacks; parameters and errors as :func:`load_features`."""
    listing, clips, x, hashes, skipped, labels, y = _load(
        root, summary_key(cfg), lambda path: compute_summary(path, cfg), progress, workers)
    return SummarySet(listing.root, listing.layout, labels, clips, y, np.stack(x), hashes, cfg, skipped)


def _embedding16(path: Path) -> np.ndarray:
    return compute_embedding(path).astype(np.float16)


def load_embeddings(root: str | Path, progress: Progress | None = None, workers: int = 2) -> EmbeddingSet:
    """The pretrained network's patch features of every usable clip under ``root``, computing only what the
    cache lacks (keyed by file content and the network's weights); parameters and errors as :func:`load_features`."""
    listing, clips, embeddings, hashes, skipped, labels, y = _load(root, embedding_key(), _embedding16, progress,
                                                                   workers)
    return EmbeddingSet(listing.root, listing.layout, labels, clips, y, embeddings, hashes, skipped)


def embedding_of(path: Path, digest: str) -> np.ndarray | str:
    """One file's pretrained patch features (float16, (n_patches, 1756)) with content digest ``digest``
    (:func:`file_digest`): from the cache, or computed and cached; the reason it cannot be used, as text,
    when it is not audio."""
    return _through_cache(_Cache(embedding_key()), digest, _embedding16, path)


def _through_cache(cache: _Cache, digest: str, compute: Callable[[Path], np.ndarray], path: Path) -> np.ndarray | str:
    """The cached array of content ``digest``, or ``compute(path)`` put in the cache; the reason the file
    cannot be used (text, cached too) when it is not usable audio."""
    result = cache.get(digest)
    if result is None or (isinstance(result, np.ndarray) and not np.isfinite(result).all()):
        try:
            result = require_finite(compute(path), "the features")
        except FeatureError as err:
            result = str(err)
        except AudioError as err:
            result = str(err).split(": ", 1)[-1]
        cache.put(digest, result)
    return result


def _load(root: str | Path, cache_name: str, compute: Callable[[Path], np.ndarray], progress: Progress | None,
          workers: int) -> tuple[Listing, list[Clip], list[np.ndarray], list[str], list[Skipped], tuple[str, ...],
                                 np.ndarray]:
    """Every clip under ``root`` through ``compute`` (or the cache ``features/<cache_name>``), in listing order.

    Returns the listing, the usable clips, their arrays, content hashes, the skipped files, the sorted
    labels and each usable clip's label index.
    """
    listing: Listing = list_clips(root)
    cache = _Cache(cache_name)
    index = _read_index(listing.root)
    new_index: dict = {}
    total = len(listing.clips)
    done = 0

    def work(clip: Clip) -> tuple[str, np.ndarray | str]:
        rel = str(clip.path.relative_to(listing.root))
        try:
            stat = clip.path.stat()
            entry = index.get(rel)
            if entry and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
                digest = entry[2]
            else:
                digest = file_digest(clip.path)
        except OSError as err:  # vanished, unreadable or a special file since it was listed
            return "", f"cannot be read ({err.strerror or type(err).__name__})"
        new_index[rel] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest, _through_cache(cache, digest, compute, clip.path)

    results = []
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for outcome in pool.map(work, listing.clips):
            results.append(outcome)
            done += 1
            if progress:
                progress(done, total)
    finally:  # a progress callback that raises (a cancelled run) stops the clips not yet started
        pool.shutdown(cancel_futures=True)
    if new_index != index:
        atomic_write_bytes(_index_path(listing.root), json.dumps(new_index).encode())

    clips, arrays, hashes = [], [], []
    skipped = list(listing.skipped)
    for clip, (digest, result) in zip(listing.clips, results):
        if isinstance(result, str):
            skipped.append(Skipped(str(clip.path.relative_to(listing.root)), result))
        else:
            clips.append(clip)
            arrays.append(result)
            hashes.append(digest)
    labels = tuple(sorted({c.label for c in clips}))
    if len(labels) < 2:
        raise DatasetError(f"{root}: fewer than two labels keep usable audio ({len(skipped)} files skipped)")
    y = np.array([labels.index(c.label) for c in clips], dtype=np.int64)
    return listing, clips, arrays, hashes, skipped, labels, y
