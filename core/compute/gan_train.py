"""Training a GAN (:mod:`core.compute.gan`'s networks): the losses, the mode-seeking term, the moving average of the
generator's weights with its own BatchNorm statistics, and the loop that can stop after any epoch and carry on.

Nothing here touches files: the caller keeps the checkpoints :func:`fit` hands it (:mod:`core.orchestration.gan_run`).
"""

from __future__ import annotations

import copy
import time
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..base.config import GANConfig
from .device import device, reuse_freed_memory
from .gan import OLDER_GAN, IncompatibleCheckpoint, ProjectionDiscriminator, build_gan
from .train import check_losses


def _losses(model: str, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Discriminator loss and the mean real / fake scores (probabilities for BCE, raw scores for hinge)."""
    if model == "paper":
        d_loss = 0.5 * (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                        + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
        return d_loss, torch.sigmoid(real).mean(), torch.sigmoid(fake).mean()
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean(), real.mean(), fake.mean()


def _g_loss(model: str, fake: torch.Tensor) -> torch.Tensor:
    if model == "paper":
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    return -fake.mean()


def mode_seeking(a: torch.Tensor, b: torch.Tensor, za: torch.Tensor, zb: torch.Tensor,
                 eps: float = 1e-5) -> torch.Tensor:
    """Mode-seeking term (Mao et al., 2019) on the segments' movement: ``mean|zₐ − z_b| / mean|d − d̄|``,
    small when samples differ, with ``d = a − b`` and ``d̄`` its mean over time.

    ``a`` and ``b`` (batch, steps, n_mels) are samples for the same genres from noises ``za`` and
    ``zb`` (batch, z_dim). A generator that maps different noise to the same time structure (mode
    collapse: every sample of a genre alike) pays for it. Only how each band moves around its own
    level counts: on whole segments the cheapest way to differ is each band's level, and the term
    spread the samples' spectral envelopes far wider than real segments' (standard deviation of a
    band's level across a genre's segments: 0.88 against 0.55 normalised units on the demo set, seed
    0; 0.60 when only the movement counts), which gave them away.
    """
    d = a - b
    return 1.0 / ((d - d.mean(dim=1, keepdim=True)).abs().mean() / (za - zb).abs().mean() + eps)


@torch.no_grad()
def ema_update(average: nn.Module, model: nn.Module, decay: float) -> None:
    """``average ← decay · average + (1 − decay) · model`` for parameters; buffers are left alone.

    The average's BatchNorm statistics must describe the average's own activations, not the
    trained generator's: :func:`recalibrate_batchnorm` estimates them.
    """
    for a, p in zip(average.parameters(), model.parameters()):
        a.lerp_(p, 1.0 - decay)


@torch.no_grad()
def recalibrate_batchnorm(G: nn.Module, y: torch.Tensor, z_dim: int, seed: int, batch_size: int) -> nn.Module:
    """Re-estimate every BatchNorm's running mean and variance of generator ``G`` from its own outputs.

    ``G`` is run in training mode on fresh noise for genres ``y`` (n,), ``batch_size`` at a time,
    with the statistics reset and averaged over all batches (``momentum=None``); returned in eval
    mode. An EMA generator needs this: its weights are an average, so the statistics its layers
    see differ from those the trained generator's BatchNorm layers recorded.
    """
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    gen = torch.Generator().manual_seed(seed)
    dev = next(G.parameters()).device
    G.train()
    for i in range(0, len(y) - 1, batch_size):
        yb = y[i:i + batch_size]
        G(torch.randn(len(yb), z_dim, generator=gen).to(dev), yb.to(dev))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    return G.eval()


EpochCallback = Callable[[int, dict, nn.Module, nn.Module], None]


def fit(cfg: GANConfig, x: np.ndarray, y: np.ndarray, n_classes: int, on_epoch: EpochCallback | None = None,
        checkpoint: Callable[[dict], None] | None = None,
        resume: dict | None = None) -> tuple[nn.Module, nn.Module, list[dict]]:
    """Train a GAN on inputs ``x`` (n, steps, n_mels) with genres ``y`` (n,); returns G, D and the history.

    One discriminator step then one generator step per minibatch; the fakes of both steps are asked
    for the real batch's genres (the paper generator ignores them); with ``cfg.diversity > 0`` the
    generator step draws two noises per genre and adds :func:`mode_seeking`. With ``cfg.ema > 0`` the
    returned (and per-epoch) generator is an exponential moving average of the trained one's
    weights, which smooths the epoch-to-epoch swings of GAN training, with BatchNorm statistics of
    its own (:func:`recalibrate_batchnorm`, before every callback and at the end). The history holds per epoch
    ``d_loss``, ``g_loss``, ``d_real``, ``d_fake`` (batch means: probabilities for the paper GAN, hinge
    scores for the conditional one) and ``seconds``. ``on_epoch(epoch, metrics, G, D)`` runs after
    every epoch and may raise to stop training; an epoch whose loss is NaN or infinite raises
    :class:`core.compute.train.Diverged` first. ``checkpoint(state)`` runs just before ``on_epoch`` with
    everything needed to carry on (both networks, the averaged generator, both optimisers, random
    states, history); passing such a ``state`` back as ``resume`` continues after its epoch, and a
    state whose networks do not fit these raises :class:`IncompatibleCheckpoint`.
    """
    reuse_freed_memory()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    dev = device()
    G, D = build_gan(cfg, x.shape[1], x.shape[2], n_classes)
    G, D = G.to(dev), D.to(dev)
    G_avg = copy.deepcopy(G).eval() if cfg.ema > 0 else G
    # The paper GAN's 35 M weights (a 1024 x 22272 layer in each network) made plain Adam's element-wise passes a
    # third of an epoch; torch's fused Adam makes one (1.77 -> 1.03 s an epoch, one thread, this CPU). It rounds
    # differently, so weights drift apart over epochs (docs/research-log.md, 2026-12-07). The conditional GAN's
    # presets were chosen with plain Adam, which its small tensors barely slow: it keeps it.
    fused = cfg.model == "paper"
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2), fused=fused)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2), fused=fused)
    xs, ys = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), torch.from_numpy(y.astype(np.int64))
    if isinstance(D, ProjectionDiscriminator):
        D.standardise_on(xs.to(dev))
    nets, opts = {"generator": G, "averaged": G_avg, "discriminator": D}, {"opt_g": opt_g, "opt_d": opt_d}
    history = _restore(resume, nets, opts, gen) if resume is not None else []
    for epoch in range(len(history) + 1, cfg.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(xs), generator=gen)
        metrics = {"epoch": epoch, **_epoch(cfg, G, G_avg, D, opt_g, opt_d, xs[order], ys[order], gen),
                   "seconds": time.perf_counter() - start}
        check_losses(epoch, metrics, ("d_loss", "g_loss"))
        history.append(metrics)
        if cfg.ema > 0 and (on_epoch is not None or epoch == cfg.epochs):
            recalibrate_batchnorm(G_avg, ys[order], cfg.z_dim, cfg.seed + epoch, cfg.batch_size)
        if checkpoint is not None:
            checkpoint({**{k: m.state_dict() for k, m in nets.items()}, **{k: o.state_dict() for k, o in opts.items()},
                        "rng": torch.get_rng_state(), "batches": gen.get_state(), "history": history})
        if on_epoch is not None:
            on_epoch(epoch, metrics, G_avg, D)
    return G_avg, D, history


def _restore(state: dict, nets: dict[str, nn.Module], opts: dict[str, torch.optim.Optimizer],
             gen: torch.Generator) -> list[dict]:
    """Load a :func:`fit` checkpoint ``state`` into the networks, optimisers and random states; its history.

    Raises :class:`IncompatibleCheckpoint` when the saved networks do not fit these.
    """
    try:
        for key, net in nets.items():
            net.load_state_dict(state[key])
    except RuntimeError as err:
        raise IncompatibleCheckpoint(f"{OLDER_GAN}, so it cannot carry on: train it again") from err
    for key, opt in opts.items():
        opt.load_state_dict(state[key])
    torch.set_rng_state(state["rng"])
    gen.set_state(state["batches"])
    return list(state["history"])


def _epoch(cfg: GANConfig, G: nn.Module, G_avg: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer,
           opt_d: torch.optim.Optimizer, xs: torch.Tensor, ys: torch.Tensor, gen: torch.Generator) -> dict:
    """One pass over the shuffled inputs ``xs`` (n, steps, n_mels) and genres ``ys`` (n,), ``cfg.batch_size`` at a
    time: a discriminator step then a generator step per minibatch; the batch means of ``d_loss``, ``g_loss``,
    ``d_real`` and ``d_fake``. The same numbers as the textbook steps (fakes detached for D, every gradient
    computed), without the work whose result those throw away."""
    dev = next(G.parameters()).device
    G.train()
    D.train()
    sums = {"d_loss": 0.0, "g_loss": 0.0, "d_real": 0.0, "d_fake": 0.0}
    batches = 0
    for i in range(0, len(xs), cfg.batch_size):
        real, yb = xs[i:i + cfg.batch_size].to(dev), ys[i:i + cfg.batch_size].to(dev)
        if len(yb) < 2:  # BatchNorm needs two examples
            continue
        z = torch.randn(len(yb), cfg.z_dim, generator=gen).to(dev)
        with torch.no_grad():  # the discriminator's step trains D alone: no graph through G
            fake = G(z, yb)
        d_loss, d_real, d_fake = _losses(cfg.model, D(real, yb), D(fake, yb))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        D.requires_grad_(False)  # the generator's step needs gradients through D, not of D's weights
        z = torch.randn(len(yb), cfg.z_dim, generator=gen).to(dev)
        if cfg.diversity > 0:
            z2 = torch.randn(len(yb), cfg.z_dim, generator=gen).to(dev)
            fake = G(torch.cat([z, z2]), torch.cat([yb, yb]))
            g_loss = _g_loss(cfg.model, D(fake, torch.cat([yb, yb])))
            g_loss = g_loss + cfg.diversity * mode_seeking(*fake.chunk(2), z, z2)
        else:
            g_loss = _g_loss(cfg.model, D(G(z, yb), yb))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        D.requires_grad_(True)
        opt_g.step()
        if cfg.ema > 0:
            ema_update(G_avg, G, cfg.ema)
        for key, value in (("d_loss", d_loss), ("g_loss", g_loss), ("d_real", d_real), ("d_fake", d_fake)):
            sums[key] += value.item()
        batches += 1
    return {k: v / max(batches, 1) for k, v in sums.items()}
