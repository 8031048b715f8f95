"""Music theory of the demo synthesiser: chord and scale intervals, chord voicing, the rhythmic grid."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
