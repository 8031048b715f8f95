"""Turn a dataset folder into cached log-mels: decode once, keep forever, reload near-instantly.

Cache layout under ``<data>/cache``::

    features/<params>/<hh>/<hash>.npy      float16 log-mel (n_mels, frames), dB re 1.0
    features/<params>/<hh>/<hash>.bad      reason the file could not be used (text)
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

from . import paths
from .audio import AudioError, decode
from .config import FeatureConfig
from .datasets import Clip, DatasetError, Listing, Skipped, list_clips
from .features import logmel
from .store import atomic_write_bytes

MIN_SECONDS = 1.0
MAX_SECONDS = 600.0  # longer files are analysed on their first ten minutes
Progress = Callable[[int, int], None]


@dataclass
class FeatureSet:
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

    @property
    def fingerprint(self) -> str:
        """Identity of this dataset's content and labels (16 hex digits)."""
        return fingerprint(self.keys, self.hashes)

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.clips]


def fingerprint(keys: list[str], hashes: list[str]) -> str:
    """Identity of a set of clips (16 hex digits) from their keys (``<label>/<stem>``) and content hashes,
    whatever their order."""
    h = hashlib.blake2b(digest_size=8)
    for key, digest in sorted(zip(keys, hashes)):
        h.update(f"{key}:{digest}\n".encode())
    return h.hexdigest()


def params_key(cfg: FeatureConfig) -> str:
    return f"sr{cfg.sr}-fft{cfg.n_fft}-hop{cfg.hop_length}-mel{cfg.n_mels}"


def _npy_bytes(x: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, x)
    return buf.getvalue()


class _Cache:
    def __init__(self, cfg: FeatureConfig):
        self.cfg = cfg
        self.dir = paths.subdir("cache") / "features" / params_key(cfg)

    def _stem(self, digest: str) -> Path:
        return self.dir / digest[:2] / digest

    def get(self, digest: str) -> np.ndarray | str | None:
        """The cached log-mel, the reason the file was rejected, or None if never seen."""
        stem = self._stem(digest)
        try:
            return np.load(stem.with_suffix(".npy"))
        except (FileNotFoundError, ValueError, EOFError, OSError):
            pass
        try:
            return stem.with_suffix(".bad").read_text()
        except FileNotFoundError:
            return None

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


def load_features(root: str | Path, cfg: FeatureConfig = FeatureConfig(), progress: Progress | None = None,
                  workers: int = 2) -> FeatureSet:
    """Log-mels of every usable clip under ``root``, computing only what the cache lacks.

    Parameters
    ----------
    root : path
        A dataset folder in any layout :func:`core.datasets.list_clips` knows.
    progress : callable(done, total), optional
        Called as clips complete.
    workers : int
        Threads decoding and transforming in parallel (torch and libsndfile release the GIL).

    Raises
    ------
    core.datasets.DatasetError
        If the folder is not a dataset, or fewer than two labels keep usable clips.
    """
    listing: Listing = list_clips(root)
    cache = _Cache(cfg)
    index = _read_index(listing.root)
    new_index: dict = {}
    total = len(listing.clips)
    done = 0

    def work(clip: Clip) -> tuple[str, np.ndarray | str]:
        stat = clip.path.stat()
        rel = str(clip.path.relative_to(listing.root))
        entry = index.get(rel)
        if entry and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            digest = entry[2]
        else:
            digest = file_digest(clip.path)
        new_index[rel] = [stat.st_size, stat.st_mtime_ns, digest]
        result = cache.get(digest)
        if result is None:
            try:
                result = compute_logmel(clip.path, cfg).astype(np.float16)
            except AudioError as err:
                result = str(err).split(": ", 1)[-1]
            cache.put(digest, result)
        return digest, result

    results = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for outcome in pool.map(work, listing.clips):
            results.append(outcome)
            done += 1
            if progress:
                progress(done, total)
    if new_index != index:
        atomic_write_bytes(_index_path(listing.root), json.dumps(new_index).encode())

    clips, mels, hashes = [], [], []
    skipped = list(listing.skipped)
    for clip, (digest, result) in zip(listing.clips, results):
        if isinstance(result, str):
            skipped.append(Skipped(str(clip.path.relative_to(listing.root)), result))
        else:
            clips.append(clip)
            mels.append(result)
            hashes.append(digest)
    labels = tuple(sorted({c.label for c in clips}))
    if len(labels) < 2:
        raise DatasetError(f"{root}: fewer than two labels keep usable audio ({len(skipped)} files skipped)")
    y = np.array([labels.index(c.label) for c in clips], dtype=np.int64)
    return FeatureSet(listing.root, listing.layout, labels, clips, y, mels, hashes, cfg, skipped)
