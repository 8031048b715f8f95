"""One demo clip: arrange a genre's style, maybe borrow a neighbour's layer, then master the mix."""

from __future__ import annotations

import numpy as np
from scipy import signal

from core import GENRES

from . import SYNTH_VERSION
from .arrangement import Arrangement
from .instruments import filt, reverb
from .styles import STYLES

PEAK = 0.9
FADE_SECONDS = 0.02
BORROW_P = 0.35
"""Probability that a clip gets one extra layer typical of a neighbouring genre."""


def master(ctx: Arrangement) -> np.ndarray:
    """Mix stems at their levels, then EQ tilt, reverb, noise, fades and peak normalisation."""
    rng, sr, n = ctx.rng, ctx.sr, ctx.n
    mix = np.zeros(n, dtype=np.float32)
    for name, y in ctx.stems.items():
        rms = np.sqrt(np.mean(y ** 2))
        if rms > 1e-9:
            mix += (y * np.float32(10 ** (ctx.levels[name] / 20) / rms)).astype(np.float32)
    (rt_lo, rt_hi), (w_lo, w_hi) = ctx.style.reverb
    rt, wet = rng.uniform(rt_lo, rt_hi), rng.uniform(w_lo, w_hi)
    if wet > 0.04:
        mix = reverb(mix, sr, rng, rt, wet)
    # random EQ: boost/cut lows and highs by blending in low-/high-passed copies
    mix = mix + rng.uniform(-0.6, 1.0) * filt(mix, "lowpass", rng.uniform(150, 700), sr)
    mix = mix + rng.uniform(-0.6, 1.0) * filt(mix, "highpass", rng.uniform(2500, 7000), sr)
    if rng.random() < ctx.style.lofi_p:  # lo-fi / old recording
        mix = filt(mix, "lowpass", rng.uniform(3000, 7000), sr)
    rms = np.sqrt(np.mean(mix ** 2)) + 1e-12
    snr_db = rng.uniform(15, 45)
    noise = rng.standard_normal(n, dtype=np.float32)
    if rng.random() < 0.5:  # pinkish
        noise = signal.lfilter([1.0], [1.0, -0.95], noise) * 0.3
        noise /= np.sqrt(np.mean(noise ** 2)) + 1e-12
    mix = mix + noise * rms * 10 ** (-snr_db / 20)
    mix = filt(mix, "highpass", 25, sr)  # no DC / sub-sonic rumble
    f = min(n // 2, int(FADE_SECONDS * sr))
    if f > 0:
        ramp = np.linspace(0.0, 1.0, f)
        mix[:f] *= ramp
        mix[n - f:] *= ramp[::-1]
    peak = np.max(np.abs(mix))
    if peak > 0:
        mix *= PEAK / peak
    return mix.astype(np.float32)


def synth_clip(genre: str, seed: int, seconds: float = 10.0, sr: int = 22050) -> np.ndarray:
    """Synthesise one clip of ``genre``.

    Parameters
    ----------
    genre : str
        One of :data:`core.GENRES`.
    seed : int
        Non-negative random seed; key, tempo, instruments, levels, noise, ... all follow from it.
    seconds : float > 0
        Clip duration (s).
    sr : int > 0
        Sample rate (Hz).

    Returns
    -------
    y : np.ndarray [shape=(int(seconds * sr),), dtype=float32]
        Mono waveform, peak-normalised to 0.9 (so ``max|y| <= 1``), with 20 ms fades.
        The same ``(genre, seed, seconds, sr)`` always gives an identical array.
    """
    if genre not in GENRES:
        raise ValueError(f"unknown genre {genre!r}; expected one of {GENRES}")
    if seconds <= 0 or sr <= 0:
        raise ValueError("seconds and sr must be positive")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), GENRES.index(genre), SYNTH_VERSION]))
    style = STYLES[genre]
    ctx = Arrangement(style, rng, float(seconds), int(sr))
    if ctx.n == 0:
        return np.zeros(0, dtype=np.float32)
    style.arrange(ctx)
    if rng.random() < BORROW_P:  # a layer from a neighbouring genre, so genres overlap
        neighbours = style.neighbours
        STYLES[neighbours[rng.integers(len(neighbours))]].layer(ctx)
    return master(ctx)
