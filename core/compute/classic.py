"""The classic reference classifier: standardised summary vectors into a multinomial logistic regression.

:func:`fit` trains scikit-learn's ``StandardScaler`` and ``LogisticRegression`` on the summary vectors of
:mod:`core.compute.summary`; the result is kept as plain arrays (:class:`ClassicModel`), which
:func:`to_tensors` / :func:`from_tensors` turn into a dict of tensors that ``torch.load(weights_only=True)``
reads back (nothing is pickled), and :func:`probabilities` re-applies with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..base.config import ClassicConfig
from .summary import feature_names, select


@dataclass(frozen=True)
class ClassicModel:
    """A fitted classic classifier as arrays.

    Attributes
    ----------
    names : tuple of str, length d
        The summary columns it reads (a subset of :func:`core.compute.summary.feature_names`).
    mean, scale : np.ndarray, float64, shape (d,)
        The standardiser fitted on the training clips (units of each column; scale > 0).
    coef : np.ndarray, float64, shape (n_classes, d)
        Weights of the standardised columns in each class's logit.
    intercept : np.ndarray, float64, shape (n_classes,)
        Each class's bias; ``-inf`` for a class with no training clip (it is never predicted).
    """

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray


def fit(cfg: ClassicConfig, X: np.ndarray, y: np.ndarray, n_classes: int) -> ClassicModel:
    """Fit the standardiser and the logistic regression on training clips.

    Parameters
    ----------
    X : np.ndarray, shape (n_clips, len(core.compute.summary.feature_names()))
        Summary vectors.
    y : np.ndarray, int, shape (n_clips,)
        Class indices in ``[0, n_classes)``; at least two classes present.
    """
    x, names = select(X, cfg.deltas, cfg.level)
    return fit_linear(x, names, y, n_classes, cfg.C, cfg.seed)


def fit_linear(x: np.ndarray, names: list[str], y: np.ndarray, n_classes: int, C: float, seed: int) -> ClassicModel:
    """A standardised multinomial logistic regression of columns ``names`` of ``x`` (n_clips, len(names)).

    ``C`` is the inverse L2 strength; ``y`` as in :func:`fit`. A class absent from ``y`` gets an
    intercept of ``-inf`` and is never predicted.
    """
    from sklearn.linear_model import LogisticRegression  # scikit-learn only where a model is fitted: a prediction
    from sklearn.preprocessing import StandardScaler  # in a new process does without its 2 s of imports

    scaler = StandardScaler().fit(x)
    clf = LogisticRegression(C=C, max_iter=5000, random_state=seed).fit(scaler.transform(x), y)
    coef, intercept = clf.coef_, clf.intercept_
    if len(clf.classes_) == 2:  # one logit z; softmax over (-z/2, z/2) is sigmoid(z)
        coef, intercept = np.concatenate([-coef, coef]) / 2, np.concatenate([-intercept, intercept]) / 2
    full_coef = np.zeros((n_classes, len(names)))
    full_intercept = np.full(n_classes, -np.inf)
    full_coef[clf.classes_], full_intercept[clf.classes_] = coef, intercept
    return ClassicModel(tuple(names), scaler.mean_, scaler.scale_, full_coef, full_intercept)


def column_index(names, vocabulary: list[str]) -> list[int]:
    """Where each of ``names`` stands in ``vocabulary`` (one pass over it, not one search per name)."""
    position = {name: i for i, name in enumerate(vocabulary)}
    return [position[n] for n in names]


def probabilities(model: ClassicModel, X: np.ndarray, vocabulary: list[str] | None = None) -> np.ndarray:
    """Class probabilities of summary vectors.

    Parameters
    ----------
    X : np.ndarray, shape (n_clips, len(vocabulary))
        Full feature vectors; the model picks its own columns by name.
    vocabulary : list of str, optional
        The names of ``X``'s columns; :func:`core.compute.summary.feature_names` when omitted.

    Returns
    -------
    probs : np.ndarray, float32, shape (n_clips, n_classes), rows sum to 1
    """
    columns = column_index(model.names, feature_names() if vocabulary is None else vocabulary)
    z = (np.asarray(X, dtype=np.float64)[:, columns] - model.mean) / model.scale
    return torch.softmax(torch.from_numpy(z @ model.coef.T + model.intercept), 1).numpy().astype(np.float32)


def metrics(model: ClassicModel, X: np.ndarray, y: np.ndarray, prefix: str,
            vocabulary: list[str] | None = None) -> dict:
    """``{prefix}_loss`` (mean cross-entropy, nats) and ``{prefix}_acc`` of ``model`` on clips ``X`` labelled ``y``
    (``vocabulary`` as in :func:`probabilities`)."""
    if len(y) == 0:
        return {f"{prefix}_loss": float("nan"), f"{prefix}_acc": float("nan")}
    probs = probabilities(model, X, vocabulary)
    from sklearn.metrics import log_loss

    return {f"{prefix}_loss": float(log_loss(y, probs, labels=np.arange(probs.shape[1]))),
            f"{prefix}_acc": float((probs.argmax(1) == y).mean())}


def to_tensors(model: ClassicModel) -> dict:
    """The model as ``{"state_dict": {name: tensor}, "features": [column names]}``, for ``torch.save`` and
    ``torch.load(weights_only=True)`` (nothing pickled)."""
    return {"state_dict": {k: torch.from_numpy(np.asarray(getattr(model, k), dtype=np.float64))
                           for k in ("mean", "scale", "coef", "intercept")}, "features": list(model.names)}


def from_tensors(obj: dict, vocabulary: list[str] | None = None) -> ClassicModel:
    """The inverse of :func:`to_tensors`; raises ``ValueError`` when the shapes or column names do not fit
    (``vocabulary``, the names a column may have, as in :func:`probabilities`)."""
    names = tuple(str(n) for n in obj["features"])
    state = obj["state_dict"]
    mean, scale, coef, intercept = (state[k].numpy().astype(np.float64) for k in ("mean", "scale", "coef", "intercept"))
    unknown = sorted(set(names) - set(feature_names() if vocabulary is None else vocabulary))
    if (unknown or mean.shape != (len(names),) or scale.shape != mean.shape
            or coef.shape != (len(intercept), len(names))):
        raise ValueError("the classic model's arrays do not fit its feature columns")
    return ClassicModel(names, mean, scale, coef, intercept)
