"""How good are a GAN's samples? Measures that a texture with the right spectral envelope cannot fool.

Each question is answered by a function of arrays (the reference classifier is an
:class:`core.compute.models.LSTMClassifier` trained on the real training clips with
:func:`core.compute.gan.data_config`'s recipe):

- *Are the samples good for training a classifier?* :func:`tstr` (train on synthetic, test on
  real): the same recipe trained only on generated samples, tested on the real test clips, next to
  the recipe trained on real data.
- *Can they be told from real segments?* :func:`c2st` (classifier two-sample test, Lopez-Paz &
  Oquab, 2017): a small classifier learns real training segments against generated ones and is
  scored on held-out real segments against fresh samples; 50 % means indistinguishable to it.
- *Are they distributed like real segments?* :func:`frechet_matched`: the Fréchet distance in the
  reference's embedding space with the same number of real and generated samples, and the same
  distance between two real sets of that size (the floor), each with a bootstrap interval.
- *Do samples sound like the genre they are labelled with?* :func:`fidelity`: the share the
  reference classifies as their intended genre, to be read beside the reference's score on real
  held-out segments (above it means prototypes, not realism).
- *Are they copies, or all alike?* :func:`nearest`: Euclidean distance from each sample to its
  nearest training input (memorisation) and to its nearest other sample (mode collapse), next to
  that of held-out real segments to the training set.

Samples are compared in the reference's input space: normalised framed log-mels
``(n, steps, n_mels)``; :func:`reference_inputs` puts a GAN's output there.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import gan, gan_metrics, intervals
from ..base.config import ClassifierConfig, GANConfig
from .features import normalise
from .gan import from_unit, paper_to_db
from .gan_samples import Samples, sample
from .models import LSTMClassifier
from .train import Part, Prepared, fit, predict_clips, predict_segments


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


def frechet_fast(a: np.ndarray, b: np.ndarray) -> float:
    """The squared Fréchet distance of :func:`core.compute.gan_metrics.frechet_distance`, without a matrix square root.

    With centred embeddings ``A (n_a, d)`` and ``B (n_b, d)``, ``Tr((S_a S_b)^{1/2})`` is the sum of
    the singular values of ``A Bᵀ`` divided by ``√((n_a − 1)(n_b − 1))``: an ``n_a × n_b`` SVD, fast
    and exact also where the covariances are singular (fewer embeddings than dimensions), where
    ``scipy.linalg.sqrtm`` is slowest. Inputs ``(n, d)``, n >= 2.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    mu = a.mean(axis=0) - b.mean(axis=0)
    ca, cb = a - a.mean(axis=0), b - b.mean(axis=0)
    na, nb = len(a) - 1, len(b) - 1
    root = np.linalg.svd(ca @ cb.T, compute_uv=False).sum() / np.sqrt(na * nb)
    return max(float(mu @ mu + (ca ** 2).sum() / na + (cb ** 2).sum() / nb - 2.0 * root), 0.0)


def _bootstrap(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n_boot: int) -> list[float]:
    """Percentile 95 % interval of :func:`frechet_fast` over ``n_boot`` resamples of both sets."""
    values = [frechet_fast(a[rng.integers(0, len(a), len(a))], b[rng.integers(0, len(b), len(b))])
              for _ in range(n_boot)]
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


def frechet_matched(train: np.ndarray, held_out: np.ndarray, gen: np.ndarray, train_y: np.ndarray,
                    held_out_y: np.ndarray, gen_y: np.ndarray, n_classes: int, seed: int = 0,
                    n_boot: int = 100) -> dict:
    """Size-matched Fréchet distances in an embedding space, each with a bootstrap interval.

    ``n = min(len(train), len(held_out), len(gen))`` embeddings are drawn from each set (without
    replacement, seeded), so the generated distance (training vs generated) and the real floor
    (training vs held-out real) carry the same small-sample bias and can be read against each
    other. Intervals: 2.5th and 97.5th percentiles over ``n_boot`` resamples with replacement of
    both sets; repeated rows shrink a resample's covariance, so these intervals sit at or above the
    point values by the same bias on both sides: compare the two intervals, not each with 0. Per genre only where both
    sides have more than ``d`` embeddings (otherwise the covariances are singular by construction and the distance is
    mostly the bias of a small n).

    Parameters
    ----------
    train, held_out, gen : np.ndarray, shape (n_*, d)
        Embeddings of real training, real held-out and generated inputs.
    train_y, held_out_y, gen_y : np.ndarray, shape (n_*,)
        Their genres.

    Returns
    -------
    dict
        ``n``, ``dims``, ``overall`` and ``ci95`` (training vs generated), ``real_floor`` and
        ``real_floor_ci95`` (training vs held-out), ``per_class`` (list of n_classes, None where n
        does not allow it) and ``per_class_min_n`` (the smallest n a genre needs).
    """
    rng = np.random.default_rng(seed)
    n = min(len(train), len(held_out), len(gen))
    pick = lambda x: rng.choice(len(x), n, replace=False)  # noqa: E731
    t, h, g = pick(train), pick(held_out), pick(gen)
    a, real, fake = train[t], held_out[h], gen[g]
    dims = train.shape[1]
    per_class = []
    for k in range(n_classes):
        rows = [x[y == k] for x, y in ((train, train_y), (gen, gen_y))]
        m = min(len(r) for r in rows)
        per_class.append(frechet_fast(rows[0][:m], rows[1][:m]) if m > dims else None)
    return {"n": int(n), "dims": int(dims), "overall": frechet_fast(a, fake), "ci95": _bootstrap(a, fake, rng, n_boot),
            "real_floor": frechet_fast(a, real), "real_floor_ci95": _bootstrap(a, real, rng, n_boot),
            "per_class": per_class, "per_class_min_n": int(dims) + 1}


# --------------------------------------------------------------------------- C2ST and TSTR

def band_statistics(x: np.ndarray) -> np.ndarray:
    """:func:`core.compute.gan.band_statistics` on numpy inputs: the judge reads what the discriminator reads.

    Parameters
    ----------
    x : np.ndarray, shape (n, steps, n_mels)

    Returns
    -------
    np.ndarray, float64, shape (n, 3 · n_mels)
        Per mel band: mean, standard deviation and mean absolute step-to-step change over time.
        The last third is what a texture without onsets gets wrong: how much each band moves.
    """
    return gan.band_statistics(torch.from_numpy(np.asarray(x, dtype=np.float64))).numpy()


def c2st(real_train: np.ndarray, gen_train: np.ndarray, real_test: np.ndarray, gen_test: np.ndarray,
         features: Callable[[np.ndarray], np.ndarray] = band_statistics) -> dict:
    """Classifier two-sample test (Lopez-Paz & Oquab, 2017) on ``features`` of the inputs.

    A standardised logistic regression learns real (``real_train``) against generated
    (``gen_train``) inputs ``(n, steps, n_mels)``, then labels ``real_test`` and ``gen_test``,
    which it never saw. Its test accuracy is 50 % when it cannot tell them apart and 100 % when
    every sample gives itself away.

    Parameters
    ----------
    features : callable
        Inputs ``(n, steps, n_mels)`` → one vector each ``(n, d)``: :func:`band_statistics` (the
        default), or a classifier's embedding (:func:`embeddings`), a judge that sees what those
        statistics do not.

    Returns
    -------
    dict
        ``accuracy`` (float), ``ci95`` ([lo, hi], Wilson interval), ``n`` (test inputs, both sides),
        ``correct`` (int).
    """
    stack = lambda real, gen: (np.concatenate([features(real), features(gen)]),  # noqa: E731
                               np.r_[np.ones(len(real)), np.zeros(len(gen))])
    x, y = stack(real_train, gen_train)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(x, y)
    x_test, y_test = stack(real_test, gen_test)
    correct = int((model.predict(x_test) == y_test).sum())
    acc, lo, hi = intervals.accuracy_interval(correct, len(y_test))
    return {"accuracy": acc, "ci95": [lo, hi], "n": int(len(y_test)), "correct": correct}


def per_genre_counts(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Genres ``y`` (n,) as counts → labels ``[0]*c0 + [1]*c1 + …``: as many samples per genre as ``y`` holds."""
    return np.repeat(np.arange(n_classes, dtype=np.int64), np.bincount(y, minlength=n_classes))


def tstr(cfg: ClassifierConfig, gen: np.ndarray, gen_y: np.ndarray, data: Prepared, real_accuracy: float,
         on_epoch=None) -> dict:
    """Train on synthetic, test on real: the classifier recipe ``cfg`` trained only on generated inputs.

    The last epoch's weights are tested whatever ``cfg.select`` says: picking the epoch on real
    validation clips would let real data choose among the synthetic-trained models (with pure
    noise as "samples" that alone lifts a 3-genre test well above chance).

    Parameters
    ----------
    cfg : ClassifierConfig
        The recipe (the reference's own, so ``real_accuracy`` is the same recipe on real data).
    gen, gen_y : np.ndarray, shapes (n, steps, n_mels) and (n,)
        Generated inputs in the classifier's input space (normalised with the real training
        statistics) and their genres.
    data : Prepared
        The real data: only its test clips (segments voted per clip) are used, to measure; its
        validation part is reported per epoch to ``on_epoch`` but chooses nothing.
    real_accuracy : float
        The same recipe's test accuracy when trained on the real training part.

    Returns
    -------
    dict
        ``accuracy``, ``ci95`` (Wilson), ``correct``, ``n`` (test clips), ``real_accuracy`` and
        ``ratio`` (accuracy / real_accuracy; 1 means the samples teach as much as real data).
    """
    synthetic = Part(torch.from_numpy(np.ascontiguousarray(gen, dtype=np.float32)),
                     torch.from_numpy(gen_y.astype(np.int64)), torch.arange(len(gen_y)), gen_y.astype(np.int64))
    model, _ = fit(dataclasses.replace(cfg, select="last"),
                   Prepared(synthetic, data.val, data.test, data.mean, data.std, data.n_classes), on_epoch)
    pred = predict_clips(model.cpu(), data.test).argmax(1)
    correct = int((pred == data.test.clip_y).sum())
    acc, lo, hi = intervals.accuracy_interval(correct, len(pred))
    return {"accuracy": acc, "ci95": [lo, hi], "correct": correct, "n": int(len(pred)),
            "real_accuracy": float(real_accuracy), "ratio": acc / real_accuracy if real_accuracy > 0 else None}


def generated_inputs(G: torch.nn.Module, cfg: GANConfig, y: np.ndarray, mean: np.ndarray, std: np.ndarray,
                     seed: int) -> np.ndarray:
    """Samples of generator ``G`` for genres ``y`` (n,) in the reference's input space (:func:`reference_inputs`)."""
    return reference_inputs(Samples(sample(G, y, cfg.z_dim, seed), y, None, cfg.model), mean, std, cfg.scale)


def train_on_samples(G: torch.nn.Module, cfg: GANConfig, recipe: ClassifierConfig, data: Prepared,
                     real_accuracy: float, reference: LSTMClassifier, on_epoch=None) -> dict:
    """:func:`tstr` and two :func:`c2st` judges of generator ``G``, with as many samples per genre as ``data`` has real
    inputs.

    ``data`` is the real data framed by ``recipe`` (the reference's): TSTR trains ``recipe`` on
    samples for the training part's genres and tests on the real test clips; each C2ST learns the
    real training part against those samples and is scored on the real validation part against
    fresh samples for its genres: ``c2st`` on :func:`band_statistics`, ``c2st_embedding`` on the
    ``reference`` classifier's embedding (it reads the whole segment through the LSTM, and no GAN
    is trained against it). Returns ``{"tstr": ..., "c2st": ..., "c2st_embedding": ...}``.
    """
    y_train = per_genre_counts(data.train.y.numpy(), data.n_classes)
    y_val = per_genre_counts(data.val.y.numpy(), data.n_classes)
    fake_train = generated_inputs(G, cfg, y_train, data.mean, data.std, cfg.seed + 1)
    fake_val = generated_inputs(G, cfg, y_val, data.mean, data.std, cfg.seed + 2)
    sets = (data.train.x.numpy(), fake_train, data.val.x.numpy(), fake_val)
    return {"tstr": tstr(recipe, fake_train, y_train, data, real_accuracy, on_epoch),
            "c2st": c2st(*sets),
            "c2st_embedding": c2st(*sets, features=lambda x: embeddings(reference, x))}


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
           n_classes: int, seed: int = 0) -> dict:
    """Fidelity, size-matched Fréchet distances and nearest-neighbour distances of samples ``gen``.

    ``gen`` is in the reference's input space; ``train`` is the reference's training part (the
    inputs the GAN learnt from), ``held_out`` its validation part. ``real_fidelity`` is
    :func:`fidelity` of the held-out real segments: the same unit as ``fidelity``, and the most a
    judge this good gives real music. Fidelity above it means the samples are prototypes the judge
    finds easier than real segments, not that they are realistic.
    """
    real_emb, held_emb, gen_emb = (embeddings(model, x) for x in (train.x.numpy(), held_out.x.numpy(), gen))
    return {"fidelity": fidelity(predictions(model, gen), gen_y, n_classes),
            "frechet": frechet_matched(real_emb, held_emb, gen_emb, train.y.numpy(), held_out.y.numpy(), gen_y,
                                       n_classes, seed),
            "real_fidelity": fidelity(predictions(model, held_out.x.numpy()), held_out.y.numpy(), n_classes),
            "nearest": nearest(gen, train.x.numpy(), held_out.x.numpy())}
