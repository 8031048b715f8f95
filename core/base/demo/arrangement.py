"""Arrangement of one demo clip: the per-clip state (:class:`Arrangement`) and the parts a style
lays over it (drums, bass lines, chord strums, keys, pads, melodies, power-chord guitar), each into a
named stem of the clip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from librosa import midi_to_hz

from .instruments import (Note, clap, cymbal, distort, filt, hihat, karplus_strong, keys_note, kick, place,
                          render_track, rim, snare)
from .theory import Chord, Grid, voice_chord

class Arrangement:
    """Per-clip state shared by the arrangers: rng, grid, key, progression, output stems.

    Drawn from ``rng`` in a fixed order: tempo within ``style.tempo``, bar offset, progression among
    ``style.progressions`` and its starting chord, key. ``stems`` maps a part's name to its waveform,
    shape ``(int(seconds * sr),)``, and ``levels`` to its mix level (dB).
    """

    def __init__(self, style: Style, rng: np.random.Generator, seconds: float, sr: int):
        self.style, self.rng, self.sr = style, rng, sr
        self.n = int(seconds * sr)
        lo, hi = style.tempo
        bpm = rng.uniform(lo, hi)
        bar = 240.0 / bpm
        offset = rng.uniform(0.0, bar)
        n_bars = int(np.ceil((seconds + offset) / bar)) + 1
        self.grid = Grid(bpm=bpm, offset=offset, n_bars=n_bars, rng=rng)
        progs = style.progressions
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



@dataclass(frozen=True)
class Style:
    """What the demo synthesiser knows about one genre.

    Attributes
    ----------
    name : str
        The genre, one of :data:`core.GENRES`.
    tempo : (float, float)
        Tempo range (beats per minute) a clip's tempo is drawn from, uniformly.
    neighbours : tuple of str
        Genres whose signature layer a clip of this genre may borrow.
    arrange : callable
        ``arrange(arrangement)`` lays the genre's parts into the arrangement's stems.
    layer : callable
        ``layer(arrangement)`` adds this genre's signature layer (stem ``"borrow"``) to a neighbour's clip.
    progressions : tuple of list of Chord
        Chord progressions (one chord per bar, or ``per_bar`` chords per bar), one drawn per clip.
    reverb : ((float, float), (float, float))
        Ranges of the reverb time (s) and wet fraction drawn when mastering.
    lofi_p : float
        Probability that the master is low-passed like an old recording.
    """

    name: str
    tempo: tuple[float, float]
    neighbours: tuple[str, ...]
    arrange: Callable[[Arrangement], None]
    layer: Callable[[Arrangement], None]
    progressions: tuple[list[Chord], ...]
    reverb: tuple[tuple[float, float], tuple[float, float]] = ((0.3, 0.9), (0.0, 0.15))
    lofi_p: float = 0.3

def _vel(rng: np.random.Generator, n: int, base: float = 1.0, spread: float = 0.12) -> np.ndarray:
    return np.clip(base * (1.0 + rng.normal(0.0, spread, n)), 0.05, 1.5)


def drums(ctx: Arrangement, kick_steps, snare_steps, hat_steps, per_beat: int = 4, hat: str = "closed",
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


def bass_line(ctx: Arrangement, style: str, octave: int = 36, per_bar: int = 1) -> list[Note]:
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


def chord_hits(ctx: Arrangement, positions, per_bar: int = 1, low: int = 52, high: int = 72,
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


def strum(ctx: Arrangement, hits, stem: str, level_db: float, decay: float = 0.995, bright: float = 0.6,
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


def keys(ctx: Arrangement, hits, stem: str, level_db: float, bright: float = 0.5, tine: bool = False) -> None:
    """Piano (or, with ``tine``, electric piano) chords at ``hits`` (:func:`chord_hits`), each cut at its duration."""
    out = ctx.stem(stem, level_db)
    for t, dur, notes in hits:
        v = ctx.rng.uniform(0.6, 1.0)
        for m in notes:
            place(out, ctx.keys(m, 1.2, bright, tine), t, ctx.sr, v, max_len=int(dur * ctx.sr))


def pad(ctx: Arrangement, stem: str, level_db: float, per_bar: int = 1, low: int = 55, high: int = 76,
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


def melody(ctx: Arrangement, scale, stem: str, level_db: float, wave: str = "square", low: int = 64,
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


def bass(ctx: Arrangement, style: str, level_db: float, wave: str = "saw", cutoff: float = 900.0,
          octave: int = 36, per_bar: int = 1, glide: float = 0.0, drive: float = 0.0) -> None:
    """A :func:`bass_line` of ``style`` on oscillator ``wave`` (with a sine sub unless sine), low-passed at
    ``cutoff`` Hz and optionally tanh-driven by ``drive``, into stem ``'bass'``."""
    notes = bass_line(ctx, style, octave, per_bar)
    y = render_track(notes, ctx.n, ctx.sr, wave, attack=0.005, decay=0.25, sustain=0.6, release=0.04,
                     glide=glide)
    if wave != "sine":
        y = 0.6 * y + 0.8 * render_track(notes, ctx.n, ctx.sr, "sine", attack=0.005, decay=0.3,
                                         sustain=0.7, release=0.04, glide=glide)
    y = filt(y, "lowpass", cutoff, ctx.sr)
    if drive > 0:
        y = np.tanh(drive * y / (np.max(np.abs(y)) + 1e-9))
    ctx.stem("bass", level_db)[:] += y


def power_guitar(ctx: Arrangement, level_db: float, gain: float, style: str, per_bar: int = 1,
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

