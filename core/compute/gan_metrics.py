"""How far generated samples lie from real ones, and how recognisable they are: GAN-sample metrics.

Pure functions of arrays (embeddings, spectrograms, class indices), delegated to kept libraries:

- matrix square roots for the Fréchet distance: :func:`scipy.linalg.sqrtm`
- nearest neighbours (Euclidean): :class:`sklearn.neighbors.NearestNeighbors`

:mod:`core.compute.quality` applies them to a GAN's samples through a reference classifier.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.neighbors import NearestNeighbors

from .scores import check_class_indices, check_pairs

__all__ = ["frechet_distance", "nearest_neighbour_distances", "fidelity_per_class"]


def _rows(x, name: str) -> np.ndarray:
    """``(n, ...)`` -> float64 ``(n, d)`` with trailing dimensions flattened."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    x = x.reshape(x.shape[0], -1) if x.ndim != 1 else x.reshape(-1, 1)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x



def frechet_distance(emb_a, emb_b, eps: float = 1e-6) -> float:
    """Fréchet distance between Gaussians fitted to two sets of embeddings (as in FID).

    ``d^2 = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2})``, computed here in the
    embedding space of our own genre classifier (not Inception), so values are only comparable
    within one classifier. Covariances use ``ddof=1``.

    Near-singular covariances (fewer samples than dimensions) are handled as in the reference
    FID code: if :func:`scipy.linalg.sqrtm` returns non-finite values, ``eps`` is added to both
    diagonals and the root recomputed; a complex result's (numerical) imaginary part is dropped.
    Tiny negative results from rounding are clipped to 0.

    Parameters
    ----------
    emb_a : np.ndarray [shape=(n_a, d) or (n_a, ...)], n_a >= 2
    emb_b : np.ndarray [shape=(n_b, d) or (n_b, ...)], n_b >= 2
        Trailing dimensions are flattened; both must flatten to the same ``d``.
    eps : float > 0
        Diagonal offset used only when the plain square root fails.

    Returns
    -------
    distance : float >= 0
        The squared Fréchet distance (the number FID reports). 0 for identical sets.
    """
    a, b = _rows(emb_a, "emb_a"), _rows(emb_b, "emb_b")
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise ValueError("need at least 2 embeddings in each set to fit a covariance")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"embedding sizes differ: {a.shape[1]} vs {b.shape[1]}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.all(np.isfinite(covmean)):
        offset = np.eye(cov_a.shape[0]) * eps
        covmean = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    covmean = np.real(covmean)
    diff = mu_a - mu_b
    d2 = float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean))
    return max(d2, 0.0)


def nearest_neighbour_distances(query, reference, exclude_self: bool = False) -> np.ndarray:
    """Euclidean distance from each query row to its nearest reference row.

    Use with generated samples as ``query`` and real training samples as ``reference`` to spot
    memorisation (distances near 0), or with ``query is reference`` and ``exclude_self=True``
    to spot mode collapse (generated samples that are near-copies of each other).

    Parameters
    ----------
    query : np.ndarray [shape=(n_query, ...)]
    reference : np.ndarray [shape=(n_ref, ...)]
        Trailing dimensions are flattened (e.g. mel spectrograms ``(n, n_mels, frames)``);
        both must flatten to the same size.
    exclude_self : bool
        If True, row ``i`` of ``query`` is taken to be row ``i`` of ``reference`` and is not
        its own neighbour (needs ``n_query == n_ref >= 2``). Exact duplicates at other rows
        still count, at distance 0.

    Returns
    -------
    distances : np.ndarray [shape=(n_query,), dtype=float64]
    """
    q, r = _rows(query, "query"), _rows(reference, "reference")
    if q.shape[0] == 0 or r.shape[0] == 0:
        raise ValueError("query and reference must each hold at least one row")
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"row sizes differ: {q.shape[1]} vs {r.shape[1]}")
    if exclude_self:
        if q.shape[0] != r.shape[0]:
            raise ValueError("exclude_self=True needs query and reference to be the same set of rows")
        if q.shape[0] < 2:
            raise ValueError("exclude_self=True needs at least 2 rows")
    if exclude_self:  # sklearn leaves each fitted row out of its own neighbours when queried without X
        distances, _ = NearestNeighbors(n_neighbors=1).fit(r).kneighbors()
    else:
        distances, _ = NearestNeighbors(n_neighbors=1).fit(r).kneighbors(q)
    return distances[:, 0]


def fidelity_per_class(pred, intended, n_classes: int) -> np.ndarray:
    """Per class, how often our classifier recognises generated samples as the intended genre.

    Parameters
    ----------
    pred : np.ndarray [shape=(n,)], integer class indices predicted for generated samples
    intended : np.ndarray [shape=(n,)], integer class the generator was asked for
    n_classes : int > 0

    Returns
    -------
    fidelity : np.ndarray [shape=(n_classes,), dtype=float64]
        ``fidelity[k]`` = fraction of samples intended as class ``k`` that were predicted as
        ``k``; NaN for classes with no generated samples.
    """
    n_classes = int(n_classes)
    if n_classes < 1:
        raise ValueError("n_classes must be positive")
    intended, pred = check_pairs(intended, pred)
    intended = check_class_indices(intended, n_classes, "intended")
    pred = check_class_indices(pred, n_classes, "pred")
    total = np.bincount(intended, minlength=n_classes).astype(np.float64)
    hits = np.bincount(intended[pred == intended], minlength=n_classes).astype(np.float64)
    return np.divide(hits, total, out=np.full(n_classes, np.nan), where=total > 0)
