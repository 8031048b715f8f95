"""Instruments and effects of the demo synthesiser: drums from filtered noise and pitch-swept sines,
Karplus--Strong plucks, additive keys, oscillator voices with ADSR envelopes, distortion and reverb.

Every function is a pure function of its arguments and the random generator it is given; output
arrays are mono waveforms in [-1, 1]-ish units at ``sr`` Hz.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from librosa import midi_to_hz
from scipy import signal


def _decay(n: int, sr: int, tau: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (tau * sr))


def _sos(kind: str, cutoff, sr: int, order: int = 2) -> np.ndarray:
    return _sos_cached(kind, tuple(np.atleast_1d(cutoff).round(1)), sr, order)


@lru_cache(maxsize=512)
def _sos_cached(kind: str, cutoff: tuple, sr: int, order: int) -> np.ndarray:
    nyq = sr / 2.0
    wn = [min(max(c / nyq, 1e-4), 0.999) for c in cutoff]
    return signal.butter(order, wn if len(wn) > 1 else wn[0], btype=kind, output="sos")


def filt(x: np.ndarray, kind: str, cutoff, sr: int, order: int = 2) -> np.ndarray:
    """Butterworth filter ``x`` (``kind`` = 'lowpass' | 'highpass' | 'bandpass', cutoff in Hz)."""
    return signal.sosfilt(_sos(kind, cutoff, sr, order), x)


def kick(sr: int, rng: np.random.Generator) -> np.ndarray:
    """Kick drum: a sine swept down from ~150 Hz to ~50 Hz with an exponential decay, plus a click."""
    n = int(0.4 * sr)
    t = np.arange(n) / sr
    f0, f1 = rng.uniform(110, 190), rng.uniform(42, 62)
    f = f1 + (f0 - f1) * np.exp(-t / rng.uniform(0.015, 0.05))
    y = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / rng.uniform(0.1, 0.28))
    click = filt(rng.standard_normal(n), "highpass", 1500, sr) * _decay(n, sr, 0.003)
    return y + rng.uniform(0.05, 0.3) * click


def snare(sr: int, rng: np.random.Generator, tightness: float = 1.0) -> np.ndarray:
    """Snare: a ~200 Hz tone plus band-passed noise with a short exponential tail."""
    n = int(0.35 * sr)
    t = np.arange(n) / sr
    tone = np.sin(2 * np.pi * rng.uniform(160, 240) * t) * np.exp(-t / 0.04)
    noise = filt(rng.standard_normal(n), "bandpass", (rng.uniform(800, 1800), rng.uniform(6000, 9500)), sr)
    noise *= np.exp(-t / (rng.uniform(0.05, 0.14) * tightness))
    return rng.uniform(0.3, 0.8) * tone + noise


def rim(sr: int, rng: np.random.Generator) -> np.ndarray:
    """Rim-shot / cross-stick: a very short, bright, band-passed click."""
    n = int(0.08 * sr)
    t = np.arange(n) / sr
    tone = np.sin(2 * np.pi * rng.uniform(380, 520) * t) * np.exp(-t / 0.012)
    noise = filt(rng.standard_normal(n), "bandpass", (1500, 5000), sr) * np.exp(-t / 0.008)
    return tone + noise


def clap(sr: int, rng: np.random.Generator) -> np.ndarray:
    """Hand clap: three quick band-passed noise bursts and a tail."""
    n = int(0.3 * sr)
    env = np.zeros(n)
    for k, d in enumerate((0.0, 0.011, 0.022)):
        i = int(d * sr)
        env[i:] += _decay(n - i, sr, 0.006 if k < 2 else 0.06)
    return filt(rng.standard_normal(n), "bandpass", (900, 4000), sr) * env


def hihat(sr: int, rng: np.random.Generator, open_: bool = False) -> np.ndarray:
    """Hi-hat: high-passed noise, ~20 ms (closed) or ~250 ms (open) decay."""
    n = int((0.45 if open_ else 0.1) * sr)
    tau = rng.uniform(0.15, 0.3) if open_ else rng.uniform(0.008, 0.03)
    return filt(rng.standard_normal(n), "highpass", rng.uniform(5500, 8500), sr) * _decay(n, sr, tau)


def cymbal(sr: int, rng: np.random.Generator, ride_: bool = True) -> np.ndarray:
    """Ride (bell-ish inharmonic partials + noise, long tail) or crash (bright noise, longer tail)."""
    n = int((1.0 if ride_ else 1.6) * sr)
    t = np.arange(n, dtype=np.float32) / np.float32(sr)
    base = rng.uniform(320, 520)
    partials = sum(np.sign(np.sin(np.float32(2 * np.pi * base * r) * t)) for r in (1.0, 1.48, 1.83, 2.41, 2.9, 3.37))
    metal = filt(partials, "highpass", 3000, sr)
    noise = filt(rng.standard_normal(n), "highpass", 4500 if ride_ else 3000, sr)
    mix = (0.5 * metal + noise) if ride_ else (0.2 * metal + noise)
    return mix * np.exp(-t / (rng.uniform(0.3, 0.6) if ride_ else rng.uniform(0.6, 1.0)))


def place(out: np.ndarray, sample: np.ndarray, times, sr: int, gains=1.0, max_len: int | None = None) -> None:
    """Add ``sample`` into ``out`` (in place) at each time in ``times`` (s), scaled by ``gains``.

    ``max_len`` (samples) cuts each hit (with a 5 ms fade) -- e.g. to end a note early.
    """
    times = np.atleast_1d(np.asarray(times, dtype=float))
    gains = np.broadcast_to(np.asarray(gains, dtype=float), times.shape)
    n = out.shape[0]
    for t, g in zip(times, gains):
        i = int(round(t * sr))
        if i >= n or g == 0.0:
            continue
        seg = sample if max_len is None else _cut(sample, max_len, sr)
        j0 = max(0, -i)
        if j0 >= seg.shape[0]:
            continue
        seg = seg[j0:min(seg.shape[0], n - i)]
        out[i + j0:i + j0 + seg.shape[0]] += g * seg


def _cut(sample: np.ndarray, length: int, sr: int) -> np.ndarray:
    if length >= sample.shape[0]:
        return sample
    seg = sample[:length].copy()
    r = min(length, int(0.005 * sr) + 1)
    seg[-r:] *= np.linspace(1.0, 0.0, r)
    return seg


# ---------------------------------------------------------------------------------------------
# pitched instruments
# ---------------------------------------------------------------------------------------------

def karplus_strong(freq: float, seconds: float, sr: int, rng: np.random.Generator,
                   decay: float = 0.996, brightness: float = 0.6) -> np.ndarray:
    """Plucked string (Karplus--Strong), shape ``(int(seconds*sr),)``.

    A one-period noise burst (low-passed by ``brightness`` in (0, 1]) excites a delay-line loop with
    a two-point average (loss ``decay`` per period) and a first-order all-pass for fractional tuning.
    The whole loop is a single IIR filter run by :func:`scipy.signal.lfilter`.
    """
    n = max(1, int(seconds * sr))
    period = sr / float(freq)
    delay = max(2, int(period - 0.6))
    frac = period - 0.5 - delay  # all-pass delay, in (0.1, 1.1)
    c = (1.0 - frac) / (1.0 + frac)
    a = np.zeros(delay + 3)
    a[0], a[1] = 1.0, c
    a[delay:delay + 3] -= 0.5 * decay * np.array([c, 1.0 + c, 1.0])
    burst = rng.uniform(-1.0, 1.0, min(delay, n))
    p = 1.0 - brightness
    burst = signal.lfilter([1.0 - p], [1.0, -p], burst)
    x = np.zeros(n, dtype=np.float32)
    x[:burst.shape[0]] = burst - burst.mean()
    return signal.lfilter(np.array([1.0, c], np.float32), a.astype(np.float32), x)


@lru_cache(maxsize=1024)
def keys_note(freq: float, seconds: float, sr: int, bright: float = 0.5, tine: bool = False) -> np.ndarray:
    """Additive piano / electric-piano note: decaying harmonics, shape ``(int(seconds*sr),)``.

    Pure and cached (the returned array is read-only).
    """
    n = int(seconds * sr)
    t = np.arange(n, dtype=np.float32) / np.float32(sr)
    y = np.zeros(n, dtype=np.float32)
    for k in range(1, 6):
        if k * freq > 0.45 * sr:
            break
        amp = (bright ** (k - 1)) / k
        tau = 1.2 / (1 + 0.6 * (k - 1)) * (220.0 / max(freq, 110.0)) ** 0.3
        y += (np.float32(amp) * np.sin(np.float32(2 * np.pi * k * freq) * t + np.float32(k))
              * np.exp(t * np.float32(-1.0 / tau)))
    if tine and 7 * freq < 0.45 * sr:
        y += 0.15 * np.sin(np.float32(2 * np.pi * 7.0 * freq) * t) * np.exp(t * np.float32(-1.0 / 0.05))
    attack = min(n, int(0.004 * sr))
    y[:attack] *= np.linspace(0.0, 1.0, attack, dtype=np.float32)
    y.setflags(write=False)
    return y


@dataclass
class Note:
    start: float  # s (clip time)
    dur: float  # s
    midi: float
    vel: float = 1.0


def render_track(notes: list[Note], n: int, sr: int, wave: str = "saw", attack: float = 0.01,
                 decay: float = 0.2, sustain: float = 0.7, release: float = 0.05, vibrato: float = 0.0,
                 vib_rate: float = 5.5, detune: float = 0.0, glide: float = 0.0,
                 rng: np.random.Generator | None = None) -> np.ndarray:
    """Monophonic oscillator voice over the whole clip, shape ``(n,)``.

    ``notes`` must not overlap (later notes take over the pitch). The pitch track is held between
    notes (optionally glided by a one-pole smoother of ``glide`` s), the amplitude is an ADSR per
    note. ``wave`` is 'sine', 'saw', 'square', 'tri' or 'organ'; ``vibrato`` is a fractional depth;
    ``detune`` (fraction) adds a second, detuned oscillator (ensemble).
    """
    notes = sorted((nt for nt in notes if nt.start * sr < n), key=lambda x: x.start)
    if not notes:
        return np.zeros(n, dtype=np.float32)
    freq = np.empty(n)
    env = np.zeros(n, dtype=np.float32)
    bounds = [min(n, max(0, int(nt.start * sr))) for nt in notes] + [n]
    freq[:bounds[0]] = midi_to_hz(notes[0].midi)
    rel = max(1, int(release * sr))
    for k, nt in enumerate(notes):
        freq[bounds[k]:bounds[k + 1]] = midi_to_hz(nt.midi)
        i0 = bounds[k]
        s0 = i0 - int(nt.start * sr)  # samples of the note before the clip start
        on = max(1, int(nt.dur * sr))
        ln = min(on + rel, n - i0 + s0)
        if ln <= s0:
            continue
        j = np.arange(s0, ln, dtype=np.float32) / np.float32(sr)
        e = np.minimum(np.float32(1.0), j * np.float32(1.0 / max(attack, 1e-4)))
        e *= np.float32(sustain) + np.float32(1.0 - sustain) * np.exp(
            np.maximum(j - np.float32(attack), 0.0) * np.float32(-1.0 / max(decay, 1e-4)))
        if on < ln:  # release tail
            level = e[min(on - s0, e.shape[0]) - 1] if on > s0 else 0.0
            jt = j[max(0, on - s0):]
            e[max(0, on - s0):] = level * np.exp((jt - np.float32(nt.dur)) * np.float32(-1.0 / (release / 4.0 + 1e-4)))
        e *= np.float32(nt.vel)
        seg = env[i0:i0 + e.shape[0]]
        np.maximum(seg, e, out=seg)
    if glide > 0:
        p = np.exp(-1.0 / (glide * sr))
        freq = signal.lfilter([1 - p], [1, -p], freq, zi=[freq[0] * p])[0]
    if vibrato > 0:
        ph0 = 0.0 if rng is None else rng.uniform(0, 2 * np.pi)
        freq = freq * (1.0 + vibrato * np.sin(np.arange(n, dtype=np.float32) * np.float32(2 * np.pi * vib_rate / sr)
                                               + np.float32(ph0)))
    y = _osc(freq, sr, wave)
    if detune > 0:
        y = 0.6 * y + 0.6 * _osc(freq * (1 + detune), sr, wave, phase0=0.3)
    return y * env


def _osc(freq: np.ndarray, sr: int, wave: str, phase0: float = 0.0) -> np.ndarray:
    """Oscillator of instantaneous frequency ``freq`` (Hz per sample), float32 output."""
    cyc = np.cumsum(freq, dtype=np.float64)
    cyc *= 1.0 / sr
    cyc += phase0  # phase in cycles (float64: exact over long clips)
    frac = (cyc - np.floor(cyc)).astype(np.float32)  # float32 from here on: sin/exp are ~10x faster
    if wave == "sine":
        frac *= np.float32(2 * np.pi)
        return np.sin(frac, out=frac)
    if wave == "organ":
        frac *= np.float32(2 * np.pi)
        s1, c1 = np.sin(frac), np.cos(frac)
        s2 = 2 * s1 * c1
        return s1 + 0.5 * s2 + 0.3 * s1 * (3 - 4 * s1 * s1) + 0.4 * s2 * (1 - 2 * s1 * s1)
    if wave == "saw":
        frac *= 2.0
        frac -= 1.0
        return frac
    if wave == "square":
        return np.where(frac < 0.5, np.float32(1.0), np.float32(-1.0))
    if wave == "tri":
        frac -= 0.5
        np.abs(frac, out=frac)
        frac *= 4.0
        frac -= 1.0
        return frac
    raise ValueError(f"unknown wave {wave!r}")


def distort(x: np.ndarray, sr: int, gain: float, tone: float = 4000.0) -> np.ndarray:
    """Amp-style distortion: high-pass, tanh waveshaper at ``gain``, then a low-pass 'cabinet' at ``tone`` Hz."""
    y = np.tanh(gain * filt(x, "highpass", 90, sr))
    return filt(y, "lowpass", tone, sr, order=4)


def reverb(x: np.ndarray, sr: int, rng: np.random.Generator, seconds: float, wet: float) -> np.ndarray:
    """Cheap reverb: convolution with exponentially decaying, low-passed noise (RT ~ ``seconds``)."""
    n = int(seconds * sr)
    ir = filt(rng.standard_normal(n), "lowpass", 5000, sr) * np.exp(-np.arange(n) / (seconds / 6.9 * sr))
    ir[: int(0.01 * sr)] = 0.0  # pre-delay
    ir /= np.sqrt(np.sum(ir ** 2)) + 1e-12
    wet_sig = signal.oaconvolve(x, ir)[: x.shape[0]]
    return (1.0 - wet) * x + wet * wet_sig
