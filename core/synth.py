"""Synthetic 10-genre demo dataset, so GenreLab works on a fresh machine without any download.

Every clip is synthesised from scratch with numpy/scipy: a genre chooses a tempo range, a drum
pattern, a chord progression and a set of instruments; each clip then randomises key, tempo, swing,
drum-kit timbre, instrument subset, levels, EQ, reverb and background noise, so that genres overlap
somewhat (rock and metal share power chords, disco and pop share four-on-the-floor, blues and jazz
share swing and walking bass, reggae and hip-hop are both slow and bass-heavy). A decent classifier
should do well on this set, but not perfectly.

Public API:

* :func:`synth_clip` -- one mono clip for a genre and a seed (deterministic).
* :func:`make_demo_dataset` -- write a GTZAN-style folder tree ``<root>/<genre>/<genre>.000NN.wav``.

Timbres: Karplus-Strong plucks (via :func:`scipy.signal.lfilter`), tanh-distorted sawtooth guitars,
vibrato string ensembles, additive keys, sine/saw basses and drums built from filtered noise and
pitch-swept sines.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile as sf
from scipy import signal

from core import GENRES

SYNTH_VERSION = 1
"""Bumped whenever the synthesis changes, so cached demo folders are regenerated."""

MANIFEST = "manifest.json"
PEAK = 0.9
FADE_SECONDS = 0.02
N_WORKERS = 2
PARALLEL_MIN_SECONDS = 30.0
"""Datasets with at most this much audio (s) are generated in-process (a worker pool would not pay off)."""

# ---------------------------------------------------------------------------------------------
# music theory
# ---------------------------------------------------------------------------------------------

MAJ = (0, 4, 7)
MIN = (0, 3, 7)
DOM7 = (0, 4, 7, 10)
MIN7 = (0, 3, 7, 10)
MAJ7 = (0, 4, 7, 11)
POWER = (0, 7, 12)

MAJOR_PENTA = (0, 2, 4, 7, 9)
MINOR_PENTA = (0, 3, 5, 7, 10)
BLUES_SCALE = (0, 3, 5, 6, 7, 10)
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)

Chord = tuple[int, tuple[int, ...]]  # (root in semitones above the key, intervals)

PROGRESSIONS: dict[str, list[list[Chord]]] = {
    "blues": [
        [(0, DOM7)] * 4 + [(5, DOM7)] * 2 + [(0, DOM7)] * 2 + [(7, DOM7), (5, DOM7), (0, DOM7), (7, DOM7)],
        [(0, DOM7), (5, DOM7), (0, DOM7), (0, DOM7), (5, DOM7), (5, DOM7), (0, DOM7), (0, DOM7),
         (7, DOM7), (5, DOM7), (0, DOM7), (7, DOM7)],
    ],
    "classical": [
        [(0, MAJ), (5, MAJ), (7, MAJ), (0, MAJ)],
        [(0, MAJ), (9, MIN), (5, MAJ), (7, MAJ)],
        [(0, MIN), (5, MIN), (7, MAJ), (0, MIN)],
        [(0, MAJ), (7, MAJ), (9, MIN), (4, MIN), (5, MAJ), (0, MAJ), (5, MAJ), (7, MAJ)],
    ],
    "country": [
        [(0, MAJ), (0, MAJ), (5, MAJ), (5, MAJ), (7, MAJ), (7, MAJ), (0, MAJ), (0, MAJ)],
        [(0, MAJ), (5, MAJ), (7, MAJ), (0, MAJ)],
        [(0, MAJ), (0, MAJ), (7, MAJ), (0, MAJ)],
    ],
    "disco": [
        [(0, MIN7), (5, MIN7)],
        [(0, MIN7), (5, DOM7)],
        [(9, MIN7), (2, MIN7), (7, DOM7), (0, MAJ7)],
    ],
    "hiphop": [
        [(0, MIN7), (8, MAJ7)],
        [(0, MIN7), (5, MIN7), (8, MAJ7), (7, DOM7)],
        [(2, MIN7), (7, DOM7)],
    ],
    "jazz": [
        [(2, MIN7), (7, DOM7), (0, MAJ7), (0, MAJ7)],
        [(2, MIN7), (7, DOM7), (0, MAJ7), (9, DOM7)],
        [(0, MAJ7), (9, MIN7), (2, MIN7), (7, DOM7)],
    ],
    "metal": [
        [(0, POWER), (0, POWER), (1, POWER), (0, POWER)],
        [(0, POWER), (8, POWER), (10, POWER), (0, POWER)],
        [(0, POWER), (3, POWER), (5, POWER), (6, POWER)],
    ],
    "pop": [
        [(0, MAJ), (7, MAJ), (9, MIN), (5, MAJ)],
        [(9, MIN), (5, MAJ), (0, MAJ), (7, MAJ)],
        [(0, MAJ), (5, MAJ), (9, MIN), (7, MAJ)],
    ],
    "reggae": [
        [(0, MAJ), (5, MAJ)],
        [(0, MIN), (5, MIN)],
        [(0, MAJ), (7, MAJ), (9, MIN), (5, MAJ)],
    ],
    "rock": [
        [(0, POWER), (10, POWER), (5, POWER), (0, POWER)],
        [(0, POWER), (5, POWER), (7, POWER), (5, POWER)],
        [(0, POWER), (8, POWER), (10, POWER), (0, POWER)],
    ],
}

TEMPO_RANGES: dict[str, tuple[float, float]] = {  # beats per minute
    "blues": (66, 112), "classical": (60, 112), "country": (92, 144), "disco": (110, 130),
    "hiphop": (78, 100), "jazz": (100, 210), "metal": (105, 190), "pop": (95, 128),
    "reggae": (66, 90), "rock": (100, 150),
}


def midi_to_hz(midi: float | np.ndarray) -> float | np.ndarray:
    """Equal-tempered frequency (Hz) of a MIDI note number (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69.0) / 12.0)


def voice_chord(root_midi: int, intervals: tuple[int, ...], low: int, high: int) -> list[int]:
    """MIDI notes of a chord, each interval moved by octaves into ``[low, high)``; sorted."""
    notes = []
    for iv in intervals:
        m = root_midi + iv
        while m < low:
            m += 12
        while m >= high:
            m -= 12
        notes.append(m)
    return sorted(set(notes))


# ---------------------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------------------

@dataclass
class Grid:
    """The clip's rhythmic grid: 4/4 bars of ``beat`` seconds, optional swing, clip-start offset."""

    bpm: float
    swing: float = 0.5  # position of the off-beat 8th as a fraction of the beat (0.5 straight, 2/3 triplet)
    offset: float = 0.0  # seconds of music before the clip starts
    n_bars: int = 8
    jitter: float = 0.004  # timing humanisation (s, std)
    rng: np.random.Generator = field(default_factory=np.random.default_rng)

    @property
    def beat(self) -> float:
        return 60.0 / self.bpm

    @property
    def bar(self) -> float:
        return 4.0 * self.beat

    def warp(self, frac: np.ndarray) -> np.ndarray:
        """Map straight positions within a beat (0..1) to swung ones."""
        frac = np.asarray(frac, dtype=float)
        s = self.swing
        return np.where(frac < 0.5, frac / 0.5 * s, s + (frac - 0.5) / 0.5 * (1.0 - s))

    def times(self, bar: int, steps, per_beat: int = 4) -> np.ndarray:
        """Clip times (s) of grid steps (``per_beat`` steps per beat) within bar ``bar``."""
        steps = np.asarray(steps, dtype=float)
        beat_idx = np.floor(steps / per_beat)
        frac = (steps - beat_idx * per_beat) / per_beat
        t = (bar * 4 + beat_idx + self.warp(frac)) * self.beat - self.offset
        return t + self.rng.normal(0.0, self.jitter, t.shape)

    def pattern(self, steps, per_beat: int = 4) -> np.ndarray:
        """Times (s) of a one-bar pattern repeated over every bar."""
        return np.concatenate([self.times(b, steps, per_beat) for b in range(self.n_bars)])


# ---------------------------------------------------------------------------------------------
# drums: filtered noise and pitch-swept sines
# ---------------------------------------------------------------------------------------------

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
        y += np.float32(amp) * np.sin(np.float32(2 * np.pi * k * freq) * t + np.float32(k)) * np.exp(t * np.float32(-1.0 / tau))
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


# ---------------------------------------------------------------------------------------------
# arrangement helpers
# ---------------------------------------------------------------------------------------------

class _Ctx:
    """Per-clip state shared by the arrangers: rng, grid, key, progression, output stems."""

    def __init__(self, genre: str, rng: np.random.Generator, seconds: float, sr: int):
        self.genre, self.rng, self.sr = genre, rng, sr
        self.n = int(seconds * sr)
        lo, hi = TEMPO_RANGES[genre]
        bpm = rng.uniform(lo, hi)
        bar = 240.0 / bpm
        offset = rng.uniform(0.0, bar)
        n_bars = int(np.ceil((seconds + offset) / bar)) + 1
        self.grid = Grid(bpm=bpm, offset=offset, n_bars=n_bars, rng=rng)
        progs = PROGRESSIONS[genre]
        prog = list(progs[rng.integers(len(progs))])
        if len(prog) > 1:  # start somewhere inside the progression
            r = int(rng.integers(len(prog)))
            prog = prog[r:] + prog[:r]
        self.prog = prog
        self.key = int(rng.integers(0, 12))
        self.stems: dict[str, np.ndarray] = {}
        self.levels: dict[str, float] = {}
        self.pluck_cache: dict = {}

    # chord on bar b (chords_per_bar chords per bar)
    def chord(self, b: int, k: int = 0, per_bar: int = 1) -> Chord:
        return self.prog[(b * per_bar + k) % len(self.prog)]

    def stem(self, name: str, level_db: float) -> np.ndarray:
        if name not in self.stems:
            self.stems[name] = np.zeros(self.n, dtype=np.float32)
            self.levels[name] = level_db + self.rng.normal(0.0, 3.0)
        return self.stems[name]

    def pluck(self, midi: int, seconds: float, decay: float, bright: float) -> np.ndarray:
        key = ("ks", midi, round(seconds, 2), round(decay, 4), round(bright, 2))
        if key not in self.pluck_cache:
            self.pluck_cache[key] = karplus_strong(midi_to_hz(midi), seconds, self.sr, self.rng, decay, bright)
        return self.pluck_cache[key]

    def keys(self, midi: int, seconds: float, bright: float, tine: bool) -> np.ndarray:
        key = ("keys", midi, round(seconds, 2), round(bright, 2), tine)
        if key not in self.pluck_cache:
            self.pluck_cache[key] = keys_note(float(midi_to_hz(midi)), float(seconds), self.sr, float(bright), tine)
        return self.pluck_cache[key]

    def keep(self, p: float) -> bool:
        return bool(self.rng.random() < p)


def _vel(rng: np.random.Generator, n: int, base: float = 1.0, spread: float = 0.12) -> np.ndarray:
    return np.clip(base * (1.0 + rng.normal(0.0, spread, n)), 0.05, 1.5)


def _drums(ctx: _Ctx, kick_steps, snare_steps, hat_steps, per_beat: int = 4, hat: str = "closed",
           snare_kind: str = "snare", level_db: float = 0.0, open_steps=(), ride_steps=(), hat_level: float = 0.5,
           kick_gain: float = 1.0, snare_gain: float = 0.8, crash: bool = False, stem: str = "drums") -> None:
    """Lay a one-bar drum pattern (grid steps, ``per_beat`` steps per beat) over every bar."""
    rng, sr, g = ctx.rng, ctx.sr, ctx.grid
    out = ctx.stem(stem, level_db)
    k, s = kick(sr, rng), {"snare": snare, "rim": rim, "clap": clap}[snare_kind](sr, rng)
    for steps, smp, gain in ((kick_steps, k, kick_gain), (snare_steps, s, snare_gain)):
        if len(steps):
            t = g.pattern(steps, per_beat)
            place(out, smp, t, sr, _vel(rng, t.size, gain))
    if len(hat_steps):
        h = hihat(sr, rng, open_=(hat == "open"))
        t = g.pattern(hat_steps, per_beat)
        accents = np.tile(np.where(np.asarray(hat_steps) % per_beat == 0, 1.0, 0.7), g.n_bars)
        place(out, h, t, sr, _vel(rng, t.size, hat_level, 0.2) * accents)
    if len(open_steps):
        t = g.pattern(open_steps, per_beat)
        place(out, hihat(sr, rng, open_=True), t, sr, _vel(rng, t.size, 0.45), max_len=int(0.9 * g.beat / 2 * sr))
    if len(ride_steps):
        t = g.pattern(ride_steps, per_beat)
        place(out, cymbal(sr, rng, True), t, sr, _vel(rng, t.size, 0.25, 0.2))
    if crash:
        bars = np.arange(0, g.n_bars, 4)
        place(out, cymbal(sr, rng, False), bars * g.bar - g.offset, sr, 0.5)


def _bass_line(ctx: _Ctx, style: str, octave: int = 36, per_bar: int = 1) -> list[Note]:
    """Bass notes: 'root' (held), 'eighths', 'octave' (disco), 'boomchick' (root/fifth on 1 and 3),
    'walking' (quarter notes, chord tones + chromatic approach), 'shuffle' (swung root-3-5-6),
    'reggae' (syncopated, rests on beat 1), 'sub' (long notes, hip-hop)."""
    g, rng, notes = ctx.grid, ctx.rng, []
    beat = g.beat
    base = octave + ctx.key
    if base > octave + 6:
        base -= 12
    prev = base
    for b in range(g.n_bars):
        for k in range(per_bar):
            root_off, iv = ctx.chord(b, k, per_bar)
            root = base + root_off
            span = 4 // per_bar  # beats per chord
            b0 = b * 4 + k * span  # first beat index

            def at(beats: float) -> float:
                return (b0 + beats) * beat - g.offset

            def add(beats: float, dur_beats: float, m: float, vel: float = 1.0):
                notes.append(Note(at(beats), dur_beats * beat, m, vel * rng.uniform(0.85, 1.0)))

            if style == "root" or style == "sub":
                add(0, span * (0.95 if style == "sub" else 0.9), root)
            elif style == "eighths":
                for e in range(span * 2):
                    add(e / 2, 0.4, root, 1.0 if e % 2 == 0 else 0.8)
            elif style == "octave":
                for e in range(span * 2):
                    fr = e / 2 if g.swing == 0.5 else (e // 2 + (0 if e % 2 == 0 else g.swing))
                    add(fr, 0.35, root + (12 if e % 2 else 0))
            elif style == "boomchick":
                for q in range(span):
                    if q % 2 == 0:
                        add(q, 0.8, root + (7 - 12 if (q // 2) % 2 else 0))
            elif style == "walking":
                nxt = ctx.chord(b + (k + 1) // per_bar, (k + 1) % per_bar, per_bar)
                nxt_root = base + nxt[0]
                for q in range(span):
                    if q == 0:
                        m = root
                    elif q == span - 1:
                        m = nxt_root + (1 if rng.random() < 0.5 else -1)
                    else:
                        m = root + iv[rng.integers(len(iv))] + (0 if rng.random() < 0.8 else 2)
                    while m - prev > 7:
                        m -= 12
                    while prev - m > 7:
                        m += 12
                    m = int(np.clip(m, 28, 55))
                    add(q, 0.9, m)
                    prev = m
            elif style == "shuffle":
                pat = (0, 4, 7, 9)
                for q in range(span):
                    add(q, g.swing * 0.9, root + pat[q % 4])
                    add(q + g.swing, (1 - g.swing) * 0.9, root + pat[q % 4], 0.7)
            elif style == "reggae":
                choices = (0, 7, 12, iv[1], 0)
                for pos in (0.5, 1.0, 1.5, 2.5, 3.0):
                    if pos < span and rng.random() < 0.85:
                        add(pos, 0.45, root + choices[rng.integers(len(choices))])
            else:
                raise ValueError(style)
    return notes


def _chord_hits(ctx: _Ctx, positions, per_bar: int = 1, low: int = 52, high: int = 72,
                dur_beats: float = 0.5) -> list[tuple[float, float, list[int]]]:
    """(time s, duration s, voiced MIDI notes) for chord hits at beat ``positions`` within each chord span."""
    g, hits = ctx.grid, []
    for b in range(g.n_bars):
        for k in range(per_bar):
            root_off, iv = ctx.chord(b, k, per_bar)
            span = 4 // per_bar
            notes = voice_chord(ctx.key + root_off + 48, iv, low, high)
            for p in positions:
                if p < span:
                    fr = int(p) + float(g.warp(p - int(p)))
                    hits.append(((b * 4 + k * span + fr) * g.beat - g.offset + g.rng.normal(0, 0.004),
                                 dur_beats * g.beat, notes))
    return hits


def _strum(ctx: _Ctx, hits, stem: str, level_db: float, decay: float = 0.995, bright: float = 0.6,
           spread: float = 0.012, length: float = 1.0, vel: float = 1.0) -> None:
    """Karplus--Strong chord strums: strings staggered by ``spread`` s, each cut at the hit's duration."""
    sr, rng = ctx.sr, ctx.rng
    out = ctx.stem(stem, level_db)
    if hits:  # no need to synthesise more of each string than the longest hit
        length = min(length, round(max(h[1] for h in hits) + 0.05, 1))
    for t, dur, notes in hits:
        down = rng.random() < 0.6
        order = notes if down else notes[::-1]
        v = vel * rng.uniform(0.7, 1.0)
        for i, m in enumerate(order):
            smp = ctx.pluck(m, length, decay, bright)
            place(out, smp, t + i * spread, sr, v, max_len=int(dur * sr))


def _keys(ctx: _Ctx, hits, stem: str, level_db: float, bright: float = 0.5, tine: bool = False) -> None:
    out = ctx.stem(stem, level_db)
    for t, dur, notes in hits:
        v = ctx.rng.uniform(0.6, 1.0)
        for m in notes:
            place(out, ctx.keys(m, 1.2, bright, tine), t, ctx.sr, v, max_len=int(dur * ctx.sr))


def _pad(ctx: _Ctx, stem: str, level_db: float, per_bar: int = 1, low: int = 55, high: int = 76,
         wave: str = "saw", attack: float = 0.3, vibrato: float = 0.004, detune: float = 0.004,
         cutoff: float = 2500.0, hits_per_span: int = 1, dur_frac: float = 1.0) -> None:
    """Sustained chord voices (strings / organ / synth pad), one oscillator track per chord tone."""
    g, sr = ctx.grid, ctx.sr
    voices: dict[int, list[Note]] = {}
    span = 4 // per_bar
    for b in range(g.n_bars):
        for k in range(per_bar):
            root_off, iv = ctx.chord(b, k, per_bar)
            notes = voice_chord(ctx.key + root_off + 48, iv, low, high)
            for h in range(hits_per_span):
                step = span / hits_per_span
                start = (b * 4 + k * span + h * step) * g.beat - g.offset
                for v, m in enumerate(notes):
                    voices.setdefault(v, []).append(Note(start, step * g.beat * dur_frac * 0.98, m))
    out = ctx.stem(stem, level_db)
    for v, notes in voices.items():
        out += render_track(notes, ctx.n, sr, wave, attack=attack, decay=0.5, sustain=0.8,
                            release=min(0.4, attack * 2 + 0.05), vibrato=vibrato,
                            vib_rate=ctx.rng.uniform(4.8, 6.2), detune=detune, rng=ctx.rng)
    out[:] = filt(out, "lowpass", cutoff, sr)


def _melody(ctx: _Ctx, scale, stem: str, level_db: float, wave: str = "square", low: int = 64,
            high: int = 84, density: float = 0.6, unit: float = 0.5, cutoff: float = 3500.0,
            vibrato: float = 0.0, glide: float = 0.0, pluck: bool = False, attack: float = 0.01) -> None:
    """A random-walk melody on ``scale`` (intervals over the key), notes of ``unit`` beats."""
    g, rng = ctx.grid, ctx.rng
    pitches = [p for p in range(low, high) if (p - ctx.key) % 12 in scale]
    i = len(pitches) // 2
    notes: list[Note] = []
    n_units = int(g.n_bars * 4 / unit)
    u = 0
    while u < n_units:
        length = int(rng.choice([1, 1, 2, 2, 3, 4]))
        if rng.random() < density:
            i = int(np.clip(i + rng.choice([-2, -1, -1, 1, 1, 2, 0]), 0, len(pitches) - 1))
            pos = u * unit
            fr = int(pos) + float(g.warp(pos - int(pos)))
            notes.append(Note(fr * g.beat - g.offset, length * unit * g.beat * 0.9, pitches[i],
                              rng.uniform(0.7, 1.0)))
        u += length
    if pluck:
        out = ctx.stem(stem, level_db)
        for nt in notes:
            place(out, ctx.pluck(int(nt.midi), 1.0, 0.996, 0.7), nt.start, ctx.sr, nt.vel,
                  max_len=int((nt.dur + 0.1) * ctx.sr))
        return
    y = render_track(notes, ctx.n, ctx.sr, wave, attack=attack, decay=0.3, sustain=0.7, release=0.08,
                     vibrato=vibrato, glide=glide, rng=ctx.rng)
    ctx.stem(stem, level_db)[:] += filt(y, "lowpass", cutoff, ctx.sr)


def _bass(ctx: _Ctx, style: str, level_db: float, wave: str = "saw", cutoff: float = 900.0,
          octave: int = 36, per_bar: int = 1, glide: float = 0.0, drive: float = 0.0) -> None:
    notes = _bass_line(ctx, style, octave, per_bar)
    y = render_track(notes, ctx.n, ctx.sr, wave, attack=0.005, decay=0.25, sustain=0.6, release=0.04,
                     glide=glide)
    if wave != "sine":
        y = 0.6 * y + 0.8 * render_track(notes, ctx.n, ctx.sr, "sine", attack=0.005, decay=0.3,
                                         sustain=0.7, release=0.04, glide=glide)
    y = filt(y, "lowpass", cutoff, ctx.sr)
    if drive > 0:
        y = np.tanh(drive * y / (np.max(np.abs(y)) + 1e-9))
    ctx.stem("bass", level_db)[:] += y


def _power_guitar(ctx: _Ctx, level_db: float, gain: float, style: str, per_bar: int = 1,
                  tone: float = 4000.0, low: int = 40, stem: str = "guitar") -> None:
    """Distorted power-chord guitar: detuned saws (root, fifth, octave) through :func:`distort`.

    ``style``: 'chug' (palm-muted 16ths on the root with accented chords), 'eighths' (8th-note
    power chords) or 'sustain' (one held chord per chord span, some re-strikes).
    """
    g, rng, sr = ctx.grid, ctx.rng, ctx.sr
    tracks: dict[int, list[Note]] = {}
    span = 4 // per_bar
    for b in range(g.n_bars):
        for k in range(per_bar):
            root_off, _ = ctx.chord(b, k, per_bar)
            root = low + (ctx.key + root_off) % 12
            start = (b * 4 + k * span) * g.beat - g.offset
            if style == "chug":
                for s in range(span * 4):
                    if rng.random() < 0.8:
                        accent = s % 4 == 0 and rng.random() < 0.5
                        notes = [root, root + 7, root + 12] if accent else [root]
                        dur = (0.9 if accent else 0.45) * g.beat / 4 * (2 if accent else 1)
                        for v, m in enumerate(notes):
                            tracks.setdefault(v, []).append(Note(start + s * g.beat / 4, dur, m,
                                                                 1.0 if accent else 0.7))
            elif style == "eighths":
                for e in range(span * 2):
                    for v, m in enumerate((root, root + 7, root + 12)):
                        tracks.setdefault(v, []).append(Note(start + e * g.beat / 2, 0.45 * g.beat, m))
            else:
                for v, m in enumerate((root, root + 7, root + 12)):
                    tracks.setdefault(v, []).append(Note(start, span * g.beat * 0.95, m))
    y = np.zeros(ctx.n)
    for v, notes in tracks.items():
        y += render_track(notes, ctx.n, sr, "saw", attack=0.003, decay=0.4, sustain=0.8, release=0.03,
                          detune=0.003 * (v + 1))
    env = np.abs(y) > 0
    y = distort(y, sr, gain, tone) * (0.2 + 0.8 * filt(env.astype(float), "lowpass", 60, sr).clip(0, 1))
    ctx.stem(stem, level_db)[:] += y


# ---------------------------------------------------------------------------------------------
# genres
# ---------------------------------------------------------------------------------------------

def _blues(ctx: _Ctx) -> None:
    g, rng = ctx.grid, ctx.rng
    g.swing = rng.uniform(0.6, 0.68)
    hat = [0, 2, 4, 6, 8, 10, 12, 14]
    if ctx.keep(0.5):
        _drums(ctx, [0, 8] if ctx.keep(0.6) else [0, 6, 8], [4, 12], hat, level_db=-2)
    else:
        _drums(ctx, [0, 8], [4, 12], [4, 12], ride_steps=hat, level_db=-3, snare_kind="snare", snare_gain=0.6)
    _bass(ctx, "walking" if ctx.keep(0.5) else "shuffle", 0, wave="saw", cutoff=rng.uniform(500, 900))
    if ctx.keep(0.8):
        gtr_hits = _chord_hits(ctx, [0.5, 1.5, 2.5, 3.5] if ctx.keep(0.5) else [1, 3], low=50, high=70,
                               dur_beats=0.4)
        _strum(ctx, gtr_hits, "guitar", -3, bright=rng.uniform(0.5, 0.8))
        if ctx.keep(0.4):
            ctx.stems["guitar"] = distort(ctx.stems["guitar"], ctx.sr, rng.uniform(1.5, 4), 3500)
    if ctx.keep(0.6):
        _melody(ctx, BLUES_SCALE, "lead", -3, low=57, high=81, density=0.65, unit=0.5, pluck=True)
    if ctx.keep(0.35):
        _pad(ctx, "organ", -8, wave="organ", attack=0.05, vibrato=0.003, detune=0.0, cutoff=3000)
    if ctx.keep(0.3):
        _keys(ctx, _chord_hits(ctx, [0.5, 2.5], low=55, high=76, dur_beats=0.5), "keys", -6)


def _classical(ctx: _Ctx) -> None:
    g, rng = ctx.grid, ctx.rng
    per_bar = 1 if g.bpm < 90 else int(rng.choice([1, 1, 2]))
    solo_piano = ctx.keep(0.25)
    _pad(ctx, "strings", -30 if solo_piano else 0, per_bar=per_bar, low=55, high=79, attack=rng.uniform(0.15, 0.5),
         vibrato=rng.uniform(0.003, 0.007), detune=rng.uniform(0.002, 0.006), cutoff=rng.uniform(1800, 3500))
    if not solo_piano and ctx.keep(0.7):  # cellos/basses
        _pad(ctx, "low_strings", -4, per_bar=per_bar, low=36, high=50, attack=0.2, vibrato=0.004,
             detune=0.003, cutoff=1200)
    if solo_piano or ctx.keep(0.55):  # harp / piano arpeggio
        hits = []
        sub = 4 if ctx.keep(0.5) else 2  # notes per beat
        for t, dur, notes in _chord_hits(ctx, [0], per_bar=per_bar, low=60, high=84):
            seq = notes + notes[::-1][1:-1]
            for j in range(4 // per_bar * sub):
                hits.append((t + j * g.beat / sub, 2.0 * g.beat / sub, [seq[j % len(seq)]]))
        if ctx.keep(0.5) and not solo_piano:
            _strum(ctx, hits, "arp", -4, decay=0.997, bright=0.4, length=1.5)
        else:
            _keys(ctx, hits, "arp", -4, bright=0.35)
    if not solo_piano and ctx.keep(0.6):
        _melody(ctx, MAJOR_SCALE, "violin", -3, wave="saw", low=67, high=91, density=0.85,
                unit=float(rng.choice([0.5, 1.0])), cutoff=3000, vibrato=0.006, glide=0.02, attack=0.06)
    # slow swell
    t = np.linspace(0, 1, ctx.n)
    swell = 0.7 + 0.3 * np.sin(2 * np.pi * (rng.uniform(0.2, 0.8) * t + rng.uniform()))
    for k in ctx.stems:
        ctx.stems[k] *= swell


def _country(ctx: _Ctx) -> None:
    g, rng = ctx.grid, ctx.rng
    g.swing = rng.uniform(0.5, 0.56)
    if ctx.keep(0.65):
        _drums(ctx, [0, 8], [4, 12], list(range(0, 16, 2)), level_db=-3, snare_gain=0.6)
    else:  # train beat
        _drums(ctx, [0, 8], list(range(0, 16, 2)), [], level_db=-4, snare_gain=0.5, snare_kind="snare")
    _bass(ctx, "boomchick", 0, wave="tri", cutoff=800)
    positions = [1, 3] if ctx.keep(0.5) else [0, 1, 1.5, 2, 3, 3.5]
    _strum(ctx, _chord_hits(ctx, positions, low=52, high=72, dur_beats=0.6), "guitar", -1,
           bright=rng.uniform(0.6, 0.9), spread=0.01)
    if ctx.keep(0.6):  # fiddle / steel lead
        _melody(ctx, MAJOR_PENTA, "fiddle", -4, wave="saw", low=64, high=86, density=0.7, unit=0.5,
                cutoff=3000, vibrato=0.005, glide=0.03, attack=0.03)
    elif ctx.keep(0.5):  # banjo-ish pluck lead
        _melody(ctx, MAJOR_PENTA, "banjo", -5, low=62, high=84, density=0.8, unit=0.25, pluck=True)


def _disco(ctx: _Ctx) -> None:
    rng = ctx.rng
    _drums(ctx, [0, 4, 8, 12], [4, 12], list(range(0, 16, 1 if ctx.keep(0.5) else 2)), level_db=0,
           open_steps=[2, 6, 10, 14], snare_kind="clap" if ctx.keep(0.4) else "snare", hat_level=0.35,
           crash=ctx.keep(0.4))
    _bass(ctx, "octave", -1, wave="saw", cutoff=rng.uniform(800, 1600))
    if ctx.keep(0.65):
        _pad(ctx, "strings", -5, low=60, high=82, attack=0.05, vibrato=0.004, detune=0.005,
             cutoff=4000, hits_per_span=int(rng.choice([1, 2, 4])), dur_frac=0.6)
    if ctx.keep(0.6):  # chicken-scratch guitar 16ths
        hits = _chord_hits(ctx, [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75], low=62, high=76,
                           dur_beats=0.12)
        _strum(ctx, hits, "guitar", -7, bright=0.9, spread=0.004)
    if ctx.keep(0.35):
        _keys(ctx, _chord_hits(ctx, [0.5, 1.5, 2.5, 3.5], low=55, high=76, dur_beats=0.4), "keys", -6,
              tine=True)


def _hiphop(ctx: _Ctx) -> None:
    g, rng = ctx.grid, ctx.rng
    g.swing = rng.uniform(0.54, 0.64)
    kicks = [[0, 7, 10], [0, 10, 11], [0, 3, 10], [0, 8, 10, 11]][rng.integers(4)]
    _drums(ctx, kicks, [4, 12], list(range(0, 16, 2)) if ctx.keep(0.6) else list(range(16)), level_db=1,
           snare_kind="clap" if ctx.keep(0.3) else "snare", kick_gain=1.2, hat_level=0.4)
    _bass(ctx, "sub", -1, wave="sine", cutoff=200, octave=int(rng.choice([24, 36])), glide=0.02,
          drive=rng.uniform(0, 2.5))
    if ctx.keep(0.75):
        if ctx.keep(0.6):
            _keys(ctx, _chord_hits(ctx, [0, 1.5, 2.5] if ctx.keep(0.5) else [0], low=55, high=74,
                                   dur_beats=float(rng.choice([1.0, 3.0]))), "keys", -4, tine=True, bright=0.4)
        else:
            _pad(ctx, "pad", -6, wave="tri", attack=0.05, vibrato=0.0, detune=0.006, cutoff=1800)
    if ctx.keep(0.35):
        _melody(ctx, MINOR_PENTA, "lead", -8, wave="sine", low=67, high=84, density=0.5, unit=1.0, glide=0.03)
    if ctx.keep(0.5):  # vinyl crackle
        crack = np.zeros(ctx.n)
        idx = rng.integers(0, ctx.n, int(ctx.n / ctx.sr * rng.uniform(20, 60)))
        crack[idx] = rng.uniform(-1, 1, idx.size)
        ctx.stem("crackle", -24)[:] += filt(crack, "highpass", 2000, ctx.sr)


def _jazz(ctx: _Ctx) -> None:
    g, rng = ctx.grid, ctx.rng
    g.swing = rng.uniform(0.6, 0.68)
    per_bar = 1 if g.bpm > 150 or ctx.keep(0.5) else 2
    comp = sorted(set(rng.choice([2, 3, 6, 7, 10, 11, 14], size=int(rng.integers(1, 4)), replace=False)))
    _drums(ctx, [0, 4, 8, 12], comp, [4, 12], per_beat=4, hat="closed", ride_steps=[0, 4, 6, 8, 12, 14],
           level_db=-7, kick_gain=0.15, snare_gain=0.35, hat_level=0.5)
    _bass(ctx, "walking", 0, wave="tri", cutoff=rng.uniform(500, 800), per_bar=per_bar)
    if ctx.keep(0.8):  # rootless-ish comping
        positions = sorted(set(rng.choice([0, 0.5, 1, 1.5, 2.5, 3.5], size=2, replace=False)))
        _keys(ctx, _chord_hits(ctx, positions, per_bar=per_bar, low=53, high=72,
                               dur_beats=float(rng.uniform(0.3, 1.0))), "piano", -3, bright=0.55)
    if ctx.keep(0.5):
        _melody(ctx, MAJOR_SCALE, "horn", -3, wave=str(rng.choice(["saw", "square"])), low=60, high=80,
                density=0.7, unit=0.5, cutoff=rng.uniform(1500, 2800), vibrato=0.004, glide=0.01, attack=0.03)
    elif ctx.keep(0.4):
        _melody(ctx, MAJOR_SCALE, "guitar", -4, low=55, high=76, density=0.7, unit=0.5, pluck=True)


def _metal(ctx: _Ctx) -> None:
    g, rng = ctx.grid, ctx.rng
    fast = g.bpm < 165 and ctx.keep(0.75)
    if fast:
        _drums(ctx, list(range(16)) if g.bpm < 140 else list(range(0, 16, 2)), [4, 12],
               list(range(0, 16, 2)), level_db=0, kick_gain=0.8, crash=ctx.keep(0.6))
    else:  # half-time / rock-ish
        _drums(ctx, [0, 3, 8, 10], [8], list(range(0, 16, 2)), level_db=0, crash=True)
    low = int(rng.choice([38, 40, 40, 43]))
    style = "chug" if ctx.keep(0.65) else str(rng.choice(["eighths", "sustain"]))
    _power_guitar(ctx, 1, gain=rng.uniform(8, 25), style=style, tone=rng.uniform(3000, 5500), low=low)
    _bass(ctx, "eighths", -3, wave="saw", cutoff=700, octave=low - 12 if low - 12 >= 24 else 28,
          drive=rng.uniform(1.0, 3.0))
    if ctx.keep(0.3):
        _melody(ctx, MINOR_SCALE, "lead", -4, wave="saw", low=64, high=88, density=0.8, unit=0.25,
                cutoff=5000, vibrato=0.006)
        ctx.stems["lead"] = distort(ctx.stems["lead"], ctx.sr, 6, 5000)


def _pop(ctx: _Ctx) -> None:
    rng = ctx.rng
    if ctx.keep(0.5):
        _drums(ctx, [0, 4, 8, 12], [4, 12], list(range(0, 16, 2)), level_db=-1,
               snare_kind="clap" if ctx.keep(0.5) else "snare")
    else:
        _drums(ctx, [0, 6, 8] if ctx.keep(0.5) else [0, 8, 10], [4, 12], list(range(0, 16, 2)), level_db=-1,
               snare_kind="clap" if ctx.keep(0.4) else "snare")
    _bass(ctx, "eighths" if ctx.keep(0.6) else "root", -2, wave="saw", cutoff=rng.uniform(500, 1200))
    r = rng.random()
    if r < 0.4:
        _pad(ctx, "pad", -3, wave="saw", attack=0.1, vibrato=0.0, detune=0.008, cutoff=rng.uniform(1500, 4000))
    elif r < 0.75:
        _keys(ctx, _chord_hits(ctx, [0, 1.5, 2.5] if ctx.keep(0.5) else [0, 1, 2, 3], low=55, high=76,
                               dur_beats=1.0), "piano", -3, bright=0.6)
    else:
        _strum(ctx, _chord_hits(ctx, [0, 1, 1.5, 2.5, 3], low=52, high=72, dur_beats=0.8), "guitar", -3,
               bright=0.7)
    if ctx.keep(0.75):
        _melody(ctx, MAJOR_PENTA, "lead", -1, wave=str(rng.choice(["square", "tri", "saw"])), low=64,
                high=84, density=0.75, unit=0.5, cutoff=rng.uniform(2500, 5000), vibrato=0.003, glide=0.01)
    if ctx.keep(0.2):  # pop-rock
        _power_guitar(ctx, -6, gain=rng.uniform(3, 8), style="eighths", tone=3500, low=40)


def _reggae(ctx: _Ctx) -> None:
    g, rng = ctx.grid, ctx.rng
    g.swing = rng.uniform(0.5, 0.62)
    if ctx.keep(0.75):  # one drop
        _drums(ctx, [8], [8], list(range(0, 16, 2)), level_db=-2, snare_kind="rim" if ctx.keep(0.6) else "snare",
               hat_level=0.4)
    else:  # steppers
        _drums(ctx, [0, 4, 8, 12], [8], list(range(0, 16, 2)), level_db=-2, snare_kind="rim", hat_level=0.4)
    _bass(ctx, "reggae", 2, wave="sine", cutoff=350, octave=36)
    skank = _chord_hits(ctx, [1, 3] if ctx.keep(0.7) else [0.5, 1.5, 2.5, 3.5], low=60, high=76, dur_beats=0.22)
    if ctx.keep(0.6):
        _strum(ctx, skank, "skank", -3, bright=0.9, spread=0.003)
    else:
        _keys(ctx, skank, "skank", -3, bright=0.7)
    if ctx.keep(0.5):  # organ bubble
        _keys(ctx, _chord_hits(ctx, [0.5, 1.5, 2.5, 3.5], low=55, high=70, dur_beats=0.2), "organ", -8, bright=0.8)
    if ctx.keep(0.3):
        _melody(ctx, MAJOR_PENTA, "lead", -6, wave="tri", low=64, high=82, density=0.5, unit=1.0, glide=0.02)


def _rock(ctx: _Ctx) -> None:
    rng = ctx.rng
    _drums(ctx, [0, 8] if ctx.keep(0.5) else [0, 8, 10], [4, 12], list(range(0, 16, 2)), level_db=0,
           crash=ctx.keep(0.5))
    r = rng.random()
    if r < 0.7:
        _power_guitar(ctx, 0, gain=rng.uniform(3, 12), style=str(rng.choice(["eighths", "eighths", "sustain", "chug"])),
                      tone=rng.uniform(2500, 4500), low=int(rng.choice([40, 45])))
    else:  # crunchy strummed open chords
        _strum(ctx, _chord_hits(ctx, [0, 1, 1.5, 2.5, 3, 3.5], low=52, high=72, dur_beats=0.5), "guitar", 0,
               bright=0.8)
        ctx.stems["guitar"] = distort(ctx.stems["guitar"], ctx.sr, rng.uniform(2, 5), 4000)
    _bass(ctx, "eighths", -3, wave="saw", cutoff=800, octave=36)
    if ctx.keep(0.4):
        _melody(ctx, MINOR_PENTA, "lead", -4, wave="saw", low=62, high=84, density=0.7, unit=0.5,
                cutoff=4000, vibrato=0.005, glide=0.01)
        ctx.stems["lead"] = distort(ctx.stems["lead"], ctx.sr, 4, 4000)


_ARRANGERS = {"blues": _blues, "classical": _classical, "country": _country, "disco": _disco,
              "hiphop": _hiphop, "jazz": _jazz, "metal": _metal, "pop": _pop, "reggae": _reggae,
              "rock": _rock}

NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "blues": ("jazz", "country", "rock"), "classical": ("jazz", "pop"), "country": ("blues", "rock", "pop"),
    "disco": ("pop", "hiphop", "jazz"), "hiphop": ("reggae", "disco", "jazz"), "jazz": ("blues", "classical"),
    "metal": ("rock", "classical"), "pop": ("disco", "rock", "country"), "reggae": ("hiphop", "pop"),
    "rock": ("metal", "pop", "blues"),
}
"""Genres whose signature layer a clip may borrow (see :data:`BORROW_P`)."""

BORROW_P = 0.35
"""Probability that a clip gets one extra layer typical of a neighbouring genre."""


def _layer_blues(ctx: _Ctx) -> None:
    _melody(ctx, BLUES_SCALE, "borrow", -4, low=57, high=81, density=0.65, unit=0.5, pluck=True)


def _layer_classical(ctx: _Ctx) -> None:
    _pad(ctx, "borrow", -4, low=55, high=79, attack=0.3, vibrato=0.005, detune=0.004, cutoff=2500)


def _layer_country(ctx: _Ctx) -> None:
    _strum(ctx, _chord_hits(ctx, [1, 3], low=52, high=72, dur_beats=0.6), "borrow", -3, bright=0.8)


def _layer_disco(ctx: _Ctx) -> None:
    _drums(ctx, [0, 4, 8, 12], [], [], open_steps=[2, 6, 10, 14], level_db=-3, stem="borrow")


def _layer_hiphop(ctx: _Ctx) -> None:
    notes = _bass_line(ctx, "sub", 24 if ctx.key > 4 else 36)
    ctx.stem("borrow", -3)[:] += render_track(notes, ctx.n, ctx.sr, "sine", attack=0.005, decay=0.3,
                                              sustain=0.7, release=0.05)


def _layer_jazz(ctx: _Ctx) -> None:
    if ctx.keep(0.5):
        _drums(ctx, [], [], [], ride_steps=[0, 4, 6, 8, 12, 14], level_db=-6, stem="borrow")
    else:
        _keys(ctx, _chord_hits(ctx, [0.5, 2.5], low=53, high=72, dur_beats=0.6), "borrow", -4, bright=0.55)


def _layer_metal(ctx: _Ctx) -> None:
    _power_guitar(ctx, -3, gain=ctx.rng.uniform(8, 20), style="chug", tone=4000, low=40, stem="borrow")


def _layer_pop(ctx: _Ctx) -> None:
    _melody(ctx, MAJOR_PENTA, "borrow", -3, wave="square", low=64, high=84, density=0.75, unit=0.5,
            cutoff=3500, glide=0.01)


def _layer_reggae(ctx: _Ctx) -> None:
    _strum(ctx, _chord_hits(ctx, [1, 3], low=60, high=76, dur_beats=0.22), "borrow", -4, bright=0.9, spread=0.003)


def _layer_rock(ctx: _Ctx) -> None:
    _power_guitar(ctx, -3, gain=ctx.rng.uniform(3, 10), style="eighths", tone=3500, low=40, stem="borrow")


_LAYERS = {"blues": _layer_blues, "classical": _layer_classical, "country": _layer_country, "disco": _layer_disco,
           "hiphop": _layer_hiphop, "jazz": _layer_jazz, "metal": _layer_metal, "pop": _layer_pop,
           "reggae": _layer_reggae, "rock": _layer_rock}

_REVERB = {  # (seconds range, wet range)
    "classical": ((1.2, 2.2), (0.25, 0.45)), "jazz": ((0.6, 1.2), (0.1, 0.25)),
}


def _master(ctx: _Ctx) -> np.ndarray:
    """Mix stems at their levels, then EQ tilt, reverb, noise, fades and peak normalisation."""
    rng, sr, n = ctx.rng, ctx.sr, ctx.n
    mix = np.zeros(n, dtype=np.float32)
    for name, y in ctx.stems.items():
        rms = np.sqrt(np.mean(y ** 2))
        if rms > 1e-9:
            mix += (y * np.float32(10 ** (ctx.levels[name] / 20) / rms)).astype(np.float32)
    (rt_lo, rt_hi), (w_lo, w_hi) = _REVERB.get(ctx.genre, ((0.3, 0.9), (0.0, 0.15)))
    rt, wet = rng.uniform(rt_lo, rt_hi), rng.uniform(w_lo, w_hi)
    if wet > 0.04:
        mix = reverb(mix, sr, rng, rt, wet)
    # random EQ: boost/cut lows and highs by blending in low-/high-passed copies
    mix = mix + rng.uniform(-0.6, 1.0) * filt(mix, "lowpass", rng.uniform(150, 700), sr)
    mix = mix + rng.uniform(-0.6, 1.0) * filt(mix, "highpass", rng.uniform(2500, 7000), sr)
    if rng.random() < (0.55 if ctx.genre == "hiphop" else 0.3):  # lo-fi / old recording
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


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------

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
    ctx = _Ctx(genre, rng, float(seconds), int(sr))
    if ctx.n == 0:
        return np.zeros(0, dtype=np.float32)
    _ARRANGERS[genre](ctx)
    if rng.random() < BORROW_P:  # a layer from a neighbouring genre, so genres overlap
        neighbours = NEIGHBOURS[genre]
        _LAYERS[neighbours[rng.integers(len(neighbours))]](ctx)
    return _master(ctx)


def clip_seed(seed: int, genre_index: int, clip_index: int) -> int:
    """Seed of clip ``clip_index`` of genre ``genre_index`` in a dataset made with ``seed`` (a 32-bit int)."""
    return int(np.random.SeedSequence([int(seed), int(genre_index), int(clip_index)]).generate_state(1)[0])


def default_root(clips_per_genre: int = 20, seconds: float = 10.0, seed: int = 0) -> Path:
    """Default folder of a demo dataset: ``<data>/demo/demo-<clips>x<seconds>s-seed<seed>``."""
    from core.paths import subdir

    return subdir("demo") / f"demo-{clips_per_genre}x{seconds:g}s-seed{seed}"


def _manifest(clips_per_genre: int, seconds: float, sr: int, seed: int) -> dict:
    return {"kind": "genrelab-synthetic-demo", "synth_version": SYNTH_VERSION, "genres": list(GENRES),
            "clips_per_genre": int(clips_per_genre), "seconds": float(seconds), "sr": int(sr), "seed": int(seed)}


def _clip_path(root: Path, genre: str, k: int) -> Path:
    return root / genre / f"{genre}.{k:05d}.wav"


def _is_complete(root: Path, manifest: dict) -> bool:
    try:
        with open(root / MANIFEST) as fh:
            if json.load(fh) != manifest:
                return False
    except (OSError, ValueError):
        return False
    return all(_clip_path(root, g, k).is_file() for g in GENRES for k in range(manifest["clips_per_genre"]))


def _write_clip(job: tuple[str, int, int, float, int, str]) -> str:
    """Worker: synthesise one clip and write it (16-bit PCM) atomically; returns the path."""
    genre, cseed, k, seconds, sr, root = job
    y = synth_clip(genre, cseed, seconds, sr)
    path = _clip_path(Path(root), genre, k)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}-{threading.get_ident()}.tmp.wav")  # unique per writer
    sf.write(tmp, y, sr, subtype="PCM_16")
    os.replace(tmp, path)
    return str(path)


def _executor(workers: int) -> cf.Executor:
    """Forked worker processes where available (Linux), else threads.

    Measured on the 2-core target for 40 x 10 s clips: sequential 1.0x, 2 threads ~1.4x (numpy/scipy
    release the GIL, but the per-note Python code does not), 2 forked processes ~1.75x, 2 forkserver
    processes slower than sequential for small sets (each worker re-imports numpy/scipy). The workers only
    run numpy/scipy/soundfile code, so forking from a multi-threaded host (Streamlit) is safe in practice.
    """
    if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods():
        return cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"))
    return cf.ThreadPoolExecutor(max_workers=workers)


def make_demo_dataset(root: Path | None = None, clips_per_genre: int = 20, seconds: float = 10.0, sr: int = 22050,
                      seed: int = 0, progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the synthetic demo set as ``root/<genre>/<genre>.000NN.wav`` (16-bit PCM, mono).

    Parameters
    ----------
    root : Path or None
        Target folder; default :func:`default_root` ``(clips_per_genre, seconds, seed)`` below the
        data folder (``core.paths.subdir("demo")``).
    clips_per_genre : int > 0
        Clips per genre (GTZAN has 100).
    seconds : float > 0
        Clip duration (s).
    sr : int > 0
        Sample rate (Hz).
    seed : int
        Dataset seed; clip ``k`` of genre ``i`` uses :func:`clip_seed` ``(seed, i, k)``.
    progress : callable or None
        Called as ``progress(done, total)`` after each written clip (``total = 10 * clips_per_genre``).

    Returns
    -------
    root : Path
        The dataset folder. Idempotent: if ``root/manifest.json`` (written last, atomically) matches
        these parameters and every clip exists, returns at once without regenerating.
        Clips are generated by :data:`N_WORKERS` workers (forked processes on Linux, else threads).
    """
    if clips_per_genre <= 0 or seconds <= 0 or sr <= 0:
        raise ValueError("clips_per_genre, seconds and sr must be positive")
    root = Path(root) if root is not None else default_root(clips_per_genre, seconds, seed)
    manifest = _manifest(clips_per_genre, seconds, sr, seed)
    total = len(GENRES) * clips_per_genre
    if _is_complete(root, manifest):
        return root
    (root / MANIFEST).unlink(missing_ok=True)
    for g in GENRES:
        (root / g).mkdir(parents=True, exist_ok=True)
    jobs = [(g, clip_seed(seed, gi, k), k, float(seconds), int(sr), str(root))
            for k in range(clips_per_genre) for gi, g in enumerate(GENRES)]
    done = 0
    workers = max(1, min(N_WORKERS, os.cpu_count() or 1, total))
    if workers == 1 or total * seconds <= PARALLEL_MIN_SECONDS:
        for job in jobs:
            _write_clip(job)
            done += 1
            if progress:
                progress(done, total)
    else:
        with _executor(workers) as pool:
            futures = [pool.submit(_write_clip, job) for job in jobs]
            for fut in cf.as_completed(futures):
                fut.result()
                done += 1
                if progress:
                    progress(done, total)
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".json", dir=root)
    with os.fdopen(fd, "w") as fh:
        json.dump(manifest, fh, indent=2)
    os.replace(tmp, root / MANIFEST)
    return root
