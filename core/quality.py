"""How good are a GAN's samples? Judged by a reference genre classifier trained on real training clips.

Three questions, each answered by a function of arrays (the reference classifier is an
:class:`core.models.LSTMClassifier` trained with :func:`core.gan.data_config`'s recipe):

- *Do samples sound like the genre they are labelled with?* :func:`fidelity`: the share the
  reference classifies as their intended genre (chance is ``1 / n_classes``).
- *Are they distributed like real segments?* :func:`frechet`: the Fréchet distance between real
  and generated samples in the reference's embedding space, overall and per genre, next to the
  distance between real training and real held-out segments (the floor to read it against).
- *Are they copies, or all alike?* :func:`nearest`: Euclidean distance from each sample to its
  nearest training input (memorisation) and to its nearest other sample (mode collapse), next to
  that of held-out real segments to the training set.

Samples are compared in the reference's input space: normalised framed log-mels
``(n, steps, n_mels)``; :func:`reference_inputs` puts a GAN's output there.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from scipy import linalg

from . import gan_metrics
from .features import normalise
from .gan import Samples, from_unit, paper_to_db
from .models import LSTMClassifier
from .train import Part, predict_segments


def reference_inputs(samples: Samples, mean: np.ndarray, std: np.ndarray, scale: float,
                     rescale: bool = False) -> np.ndarray:
    """Generated samples in the reference classifier's input space, ``(n, steps, n_mels)`` float32.

    Conditional GAN: ``x · scale`` (the de-scaled, normalised log-mel, exactly what the framed
    ``samples.mels`` normalise to). Paper GAN: as the study used them, the raw tanh values taken for
    dB re max and normalised like real inputs, or with ``rescale`` mapped from [-1, 1] to
    [-80, 0] dB first (the scale fixed, the labels still arbitrary).
    """
    if samples.model != "paper":
        return from_unit(samples.x, scale)
    return normalise(paper_to_db(samples.x) if rescale else samples.x, mean, std)


@torch.no_grad()
def embeddings(model: LSTMClassifier, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The reference's penultimate activations (:meth:`LSTMClassifier.features`), ``(n, d)`` float32."""
    model.eval()
    dev = next(model.parameters()).device
    xs = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    return torch.cat([model.features(xs[i:i + batch_size].to(dev)).cpu()
                      for i in range(0, len(xs), batch_size)]).numpy()


def predictions(model: LSTMClassifier, x: np.ndarray) -> np.ndarray:
    """The reference's genre for each input ``(n, steps, n_mels)``: int64 ``(n,)``."""
    return predict_segments(model, torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).argmax(1).numpy()


def fidelity(pred: np.ndarray, intended: np.ndarray, n_classes: int) -> dict:
    """Share of samples the reference assigns to their intended genre.

    Returns
    -------
    dict
        ``overall`` (float), ``per_class`` (list of n_classes floats, None for a genre without
        samples), ``chance`` (``1 / n_classes``) and ``predicted_counts`` (samples assigned to each
        genre: one tall bar means the samples all sound alike to the judge).
    """
    per_class = gan_metrics.fidelity_per_class(pred, intended, n_classes)
    return {"overall": float(np.mean(pred == intended)),
            "per_class": [None if np.isnan(v) else float(v) for v in per_class],
            "chance": 1.0 / n_classes,
            "predicted_counts": np.bincount(pred, minlength=n_classes).tolist()}


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """:func:`core.gan_metrics.frechet_distance`, quiet about singular covariances.

    With fewer samples than embedding dimensions (typical per genre) the covariances are singular
    by construction; the distance is still defined and gan_metrics handles it, so SciPy's warning is
    noise here.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        return gan_metrics.frechet_distance(a, b)


def frechet(real: np.ndarray, real_y: np.ndarray, gen: np.ndarray, gen_y: np.ndarray, n_classes: int) -> dict:
    """Fréchet distance between real and generated embeddings ``(n, d)``, overall and per genre.

    Returns
    -------
    dict
        ``overall`` (float) and ``per_class`` (list of n_classes floats, None where a genre has
        fewer than two samples on either side).
    """
    per_class = []
    for k in range(n_classes):
        a, b = real[real_y == k], gen[gen_y == k]
        per_class.append(frechet_distance(a, b) if len(a) >= 2 and len(b) >= 2 else None)
    return {"overall": frechet_distance(real, gen), "per_class": per_class}


def _summary(d: np.ndarray) -> dict:
    return {"median": float(np.median(d)), "mean": float(d.mean()), "min": float(d.min())}


def nearest(gen: np.ndarray, train: np.ndarray, held_out: np.ndarray) -> dict:
    """Nearest-neighbour distances of samples ``(n, steps, n_mels)`` in the reference's input space.

    Returns
    -------
    dict of {"median", "mean", "min"} summaries
        ``to_train``: each sample to its nearest training input (near 0: memorised);
        ``to_generated``: each sample to its nearest other sample (near 0: mode collapse);
        ``held_out_to_train``: real held-out inputs to their nearest training input, the yardstick.
    """
    return {"to_train": _summary(gan_metrics.nearest_neighbour_distances(gen, train)),
            "to_generated": _summary(gan_metrics.nearest_neighbour_distances(gen, gen, exclude_self=True)),
            "held_out_to_train": _summary(gan_metrics.nearest_neighbour_distances(held_out, train))}


def report(model: LSTMClassifier, gen: np.ndarray, gen_y: np.ndarray, train: Part, held_out: Part,
           n_classes: int) -> dict:
    """Fidelity, Fréchet distances and nearest-neighbour distances of samples ``gen`` (reference input space).

    ``train`` is the reference's training part (the inputs the GAN learnt from), ``held_out`` its
    validation part: the Fréchet distance between the two is ``frechet["real_floor"]``, and
    ``real_fidelity`` is :func:`fidelity` of the held-out real inputs, the ceiling a judge this good
    allows (a genre it misses on real data cannot score well on generated data).
    """
    real_emb, held_emb, gen_emb = (embeddings(model, x) for x in (train.x.numpy(), held_out.x.numpy(), gen))
    fd = frechet(real_emb, train.y.numpy(), gen_emb, gen_y, n_classes)
    fd["real_floor"] = frechet_distance(real_emb, held_emb)
    return {"fidelity": fidelity(predictions(model, gen), gen_y, n_classes), "frechet": fd,
            "real_fidelity": fidelity(predictions(model, held_out.x.numpy()), held_out.y.numpy(), n_classes),
            "nearest": nearest(gen, train.x.numpy(), held_out.x.numpy())}
