"""Genre styles of the demo synthesiser: one :class:`~.arrangement.Style` per genre in :data:`STYLES`.

A style is a tempo range, a set of chord progressions, an arranger that lays the genre's parts over
an :class:`~core.base.demo.arrangement.Arrangement`, a signature layer that neighbouring genres may
borrow, and its mastering (reverb, lo-fi probability).
"""

from __future__ import annotations

import numpy as np


from .arrangement import (Arrangement, Style, bass, bass_line, chord_hits, drums, keys, melody, pad, power_guitar,
                          strum)
from .instruments import distort, filt, render_track
from .theory import (BLUES_SCALE, DOM7, MAJ, MAJ7, MAJOR_PENTA, MAJOR_SCALE, MIN, MIN7, MINOR_PENTA, MINOR_SCALE,
                     POWER, Chord)


def _blues(ctx: Arrangement) -> None:
    g, rng = ctx.grid, ctx.rng
    g.swing = rng.uniform(0.6, 0.68)
    hat = [0, 2, 4, 6, 8, 10, 12, 14]
    if ctx.keep(0.5):
        drums(ctx, [0, 8] if ctx.keep(0.6) else [0, 6, 8], [4, 12], hat, level_db=-2)
    else:
        drums(ctx, [0, 8], [4, 12], [4, 12], ride_steps=hat, level_db=-3, snare_kind="snare", snare_gain=0.6)
    bass(ctx, "walking" if ctx.keep(0.5) else "shuffle", 0, wave="saw", cutoff=rng.uniform(500, 900))
    if ctx.keep(0.8):
        gtr_hits = chord_hits(ctx, [0.5, 1.5, 2.5, 3.5] if ctx.keep(0.5) else [1, 3], low=50, high=70,
                               dur_beats=0.4)
        strum(ctx, gtr_hits, "guitar", -3, bright=rng.uniform(0.5, 0.8))
        if ctx.keep(0.4):
            ctx.stems["guitar"] = distort(ctx.stems["guitar"], ctx.sr, rng.uniform(1.5, 4), 3500)
    if ctx.keep(0.6):
        melody(ctx, BLUES_SCALE, "lead", -3, low=57, high=81, density=0.65, unit=0.5, pluck=True)
    if ctx.keep(0.35):
        pad(ctx, "organ", -8, wave="organ", attack=0.05, vibrato=0.003, detune=0.0, cutoff=3000)
    if ctx.keep(0.3):
        keys(ctx, chord_hits(ctx, [0.5, 2.5], low=55, high=76, dur_beats=0.5), "keys", -6)


def _classical(ctx: Arrangement) -> None:
    g, rng = ctx.grid, ctx.rng
    per_bar = 1 if g.bpm < 90 else int(rng.choice([1, 1, 2]))
    solo_piano = ctx.keep(0.25)
    pad(ctx, "strings", -30 if solo_piano else 0, per_bar=per_bar, low=55, high=79, attack=rng.uniform(0.15, 0.5),
         vibrato=rng.uniform(0.003, 0.007), detune=rng.uniform(0.002, 0.006), cutoff=rng.uniform(1800, 3500))
    if not solo_piano and ctx.keep(0.7):  # cellos/basses
        pad(ctx, "low_strings", -4, per_bar=per_bar, low=36, high=50, attack=0.2, vibrato=0.004,
             detune=0.003, cutoff=1200)
    if solo_piano or ctx.keep(0.55):  # harp / piano arpeggio
        hits = []
        sub = 4 if ctx.keep(0.5) else 2  # notes per beat
        for t, dur, notes in chord_hits(ctx, [0], per_bar=per_bar, low=60, high=84):
            seq = notes + notes[::-1][1:-1]
            for j in range(4 // per_bar * sub):
                hits.append((t + j * g.beat / sub, 2.0 * g.beat / sub, [seq[j % len(seq)]]))
        if ctx.keep(0.5) and not solo_piano:
            strum(ctx, hits, "arp", -4, decay=0.997, bright=0.4, length=1.5)
        else:
            keys(ctx, hits, "arp", -4, bright=0.35)
    if not solo_piano and ctx.keep(0.6):
        melody(ctx, MAJOR_SCALE, "violin", -3, wave="saw", low=67, high=91, density=0.85,
                unit=float(rng.choice([0.5, 1.0])), cutoff=3000, vibrato=0.006, glide=0.02, attack=0.06)
    # slow swell
    t = np.linspace(0, 1, ctx.n)
    swell = 0.7 + 0.3 * np.sin(2 * np.pi * (rng.uniform(0.2, 0.8) * t + rng.uniform()))
    for k in ctx.stems:
        ctx.stems[k] *= swell


def _country(ctx: Arrangement) -> None:
    g, rng = ctx.grid, ctx.rng
    g.swing = rng.uniform(0.5, 0.56)
    if ctx.keep(0.65):
        drums(ctx, [0, 8], [4, 12], list(range(0, 16, 2)), level_db=-3, snare_gain=0.6)
    else:  # train beat
        drums(ctx, [0, 8], list(range(0, 16, 2)), [], level_db=-4, snare_gain=0.5, snare_kind="snare")
    bass(ctx, "boomchick", 0, wave="tri", cutoff=800)
    positions = [1, 3] if ctx.keep(0.5) else [0, 1, 1.5, 2, 3, 3.5]
    strum(ctx, chord_hits(ctx, positions, low=52, high=72, dur_beats=0.6), "guitar", -1,
           bright=rng.uniform(0.6, 0.9), spread=0.01)
    if ctx.keep(0.6):  # fiddle / steel lead
        melody(ctx, MAJOR_PENTA, "fiddle", -4, wave="saw", low=64, high=86, density=0.7, unit=0.5,
                cutoff=3000, vibrato=0.005, glide=0.03, attack=0.03)
    elif ctx.keep(0.5):  # banjo-ish pluck lead
        melody(ctx, MAJOR_PENTA, "banjo", -5, low=62, high=84, density=0.8, unit=0.25, pluck=True)


def _disco(ctx: Arrangement) -> None:
    rng = ctx.rng
    drums(ctx, [0, 4, 8, 12], [4, 12], list(range(0, 16, 1 if ctx.keep(0.5) else 2)), level_db=0,
           open_steps=[2, 6, 10, 14], snare_kind="clap" if ctx.keep(0.4) else "snare", hat_level=0.35,
           crash=ctx.keep(0.4))
    bass(ctx, "octave", -1, wave="saw", cutoff=rng.uniform(800, 1600))
    if ctx.keep(0.65):
        pad(ctx, "strings", -5, low=60, high=82, attack=0.05, vibrato=0.004, detune=0.005,
             cutoff=4000, hits_per_span=int(rng.choice([1, 2, 4])), dur_frac=0.6)
    if ctx.keep(0.6):  # chicken-scratch guitar 16ths
        hits = chord_hits(ctx, [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75], low=62, high=76,
                           dur_beats=0.12)
        strum(ctx, hits, "guitar", -7, bright=0.9, spread=0.004)
    if ctx.keep(0.35):
        keys(ctx, chord_hits(ctx, [0.5, 1.5, 2.5, 3.5], low=55, high=76, dur_beats=0.4), "keys", -6,
              tine=True)


def _hiphop(ctx: Arrangement) -> None:
    g, rng = ctx.grid, ctx.rng
    g.swing = rng.uniform(0.54, 0.64)
    kicks = [[0, 7, 10], [0, 10, 11], [0, 3, 10], [0, 8, 10, 11]][rng.integers(4)]
    drums(ctx, kicks, [4, 12], list(range(0, 16, 2)) if ctx.keep(0.6) else list(range(16)), level_db=1,
           snare_kind="clap" if ctx.keep(0.3) else "snare", kick_gain=1.2, hat_level=0.4)
    bass(ctx, "sub", -1, wave="sine", cutoff=200, octave=int(rng.choice([24, 36])), glide=0.02,
          drive=rng.uniform(0, 2.5))
    if ctx.keep(0.75):
        if ctx.keep(0.6):
            keys(ctx, chord_hits(ctx, [0, 1.5, 2.5] if ctx.keep(0.5) else [0], low=55, high=74,
                                   dur_beats=float(rng.choice([1.0, 3.0]))), "keys", -4, tine=True, bright=0.4)
        else:
            pad(ctx, "pad", -6, wave="tri", attack=0.05, vibrato=0.0, detune=0.006, cutoff=1800)
    if ctx.keep(0.35):
        melody(ctx, MINOR_PENTA, "lead", -8, wave="sine", low=67, high=84, density=0.5, unit=1.0, glide=0.03)
    if ctx.keep(0.5):  # vinyl crackle
        crack = np.zeros(ctx.n)
        idx = rng.integers(0, ctx.n, int(ctx.n / ctx.sr * rng.uniform(20, 60)))
        crack[idx] = rng.uniform(-1, 1, idx.size)
        ctx.stem("crackle", -24)[:] += filt(crack, "highpass", 2000, ctx.sr)


def _jazz(ctx: Arrangement) -> None:
    g, rng = ctx.grid, ctx.rng
    g.swing = rng.uniform(0.6, 0.68)
    per_bar = 1 if g.bpm > 150 or ctx.keep(0.5) else 2
    comp = sorted(set(rng.choice([2, 3, 6, 7, 10, 11, 14], size=int(rng.integers(1, 4)), replace=False)))
    drums(ctx, [0, 4, 8, 12], comp, [4, 12], per_beat=4, hat="closed", ride_steps=[0, 4, 6, 8, 12, 14],
           level_db=-7, kick_gain=0.15, snare_gain=0.35, hat_level=0.5)
    bass(ctx, "walking", 0, wave="tri", cutoff=rng.uniform(500, 800), per_bar=per_bar)
    if ctx.keep(0.8):  # rootless-ish comping
        positions = sorted(set(rng.choice([0, 0.5, 1, 1.5, 2.5, 3.5], size=2, replace=False)))
        keys(ctx, chord_hits(ctx, positions, per_bar=per_bar, low=53, high=72,
                               dur_beats=float(rng.uniform(0.3, 1.0))), "piano", -3, bright=0.55)
    if ctx.keep(0.5):
        melody(ctx, MAJOR_SCALE, "horn", -3, wave=str(rng.choice(["saw", "square"])), low=60, high=80,
                density=0.7, unit=0.5, cutoff=rng.uniform(1500, 2800), vibrato=0.004, glide=0.01, attack=0.03)
    elif ctx.keep(0.4):
        melody(ctx, MAJOR_SCALE, "guitar", -4, low=55, high=76, density=0.7, unit=0.5, pluck=True)


def _metal(ctx: Arrangement) -> None:
    g, rng = ctx.grid, ctx.rng
    fast = g.bpm < 165 and ctx.keep(0.75)
    if fast:
        drums(ctx, list(range(16)) if g.bpm < 140 else list(range(0, 16, 2)), [4, 12],
               list(range(0, 16, 2)), level_db=0, kick_gain=0.8, crash=ctx.keep(0.6))
    else:  # half-time / rock-ish
        drums(ctx, [0, 3, 8, 10], [8], list(range(0, 16, 2)), level_db=0, crash=True)
    low = int(rng.choice([38, 40, 40, 43]))
    style = "chug" if ctx.keep(0.65) else str(rng.choice(["eighths", "sustain"]))
    power_guitar(ctx, 1, gain=rng.uniform(8, 25), style=style, tone=rng.uniform(3000, 5500), low=low)
    bass(ctx, "eighths", -3, wave="saw", cutoff=700, octave=low - 12 if low - 12 >= 24 else 28,
          drive=rng.uniform(1.0, 3.0))
    if ctx.keep(0.3):
        melody(ctx, MINOR_SCALE, "lead", -4, wave="saw", low=64, high=88, density=0.8, unit=0.25,
                cutoff=5000, vibrato=0.006)
        ctx.stems["lead"] = distort(ctx.stems["lead"], ctx.sr, 6, 5000)


def _pop(ctx: Arrangement) -> None:
    rng = ctx.rng
    if ctx.keep(0.5):
        drums(ctx, [0, 4, 8, 12], [4, 12], list(range(0, 16, 2)), level_db=-1,
               snare_kind="clap" if ctx.keep(0.5) else "snare")
    else:
        drums(ctx, [0, 6, 8] if ctx.keep(0.5) else [0, 8, 10], [4, 12], list(range(0, 16, 2)), level_db=-1,
               snare_kind="clap" if ctx.keep(0.4) else "snare")
    bass(ctx, "eighths" if ctx.keep(0.6) else "root", -2, wave="saw", cutoff=rng.uniform(500, 1200))
    r = rng.random()
    if r < 0.4:
        pad(ctx, "pad", -3, wave="saw", attack=0.1, vibrato=0.0, detune=0.008, cutoff=rng.uniform(1500, 4000))
    elif r < 0.75:
        keys(ctx, chord_hits(ctx, [0, 1.5, 2.5] if ctx.keep(0.5) else [0, 1, 2, 3], low=55, high=76,
                               dur_beats=1.0), "piano", -3, bright=0.6)
    else:
        strum(ctx, chord_hits(ctx, [0, 1, 1.5, 2.5, 3], low=52, high=72, dur_beats=0.8), "guitar", -3,
               bright=0.7)
    if ctx.keep(0.75):
        melody(ctx, MAJOR_PENTA, "lead", -1, wave=str(rng.choice(["square", "tri", "saw"])), low=64,
                high=84, density=0.75, unit=0.5, cutoff=rng.uniform(2500, 5000), vibrato=0.003, glide=0.01)
    if ctx.keep(0.2):  # pop-rock
        power_guitar(ctx, -6, gain=rng.uniform(3, 8), style="eighths", tone=3500, low=40)


def _reggae(ctx: Arrangement) -> None:
    g, rng = ctx.grid, ctx.rng
    g.swing = rng.uniform(0.5, 0.62)
    if ctx.keep(0.75):  # one drop
        drums(ctx, [8], [8], list(range(0, 16, 2)), level_db=-2, snare_kind="rim" if ctx.keep(0.6) else "snare",
               hat_level=0.4)
    else:  # steppers
        drums(ctx, [0, 4, 8, 12], [8], list(range(0, 16, 2)), level_db=-2, snare_kind="rim", hat_level=0.4)
    bass(ctx, "reggae", 2, wave="sine", cutoff=350, octave=36)
    skank = chord_hits(ctx, [1, 3] if ctx.keep(0.7) else [0.5, 1.5, 2.5, 3.5], low=60, high=76, dur_beats=0.22)
    if ctx.keep(0.6):
        strum(ctx, skank, "skank", -3, bright=0.9, spread=0.003)
    else:
        keys(ctx, skank, "skank", -3, bright=0.7)
    if ctx.keep(0.5):  # organ bubble
        keys(ctx, chord_hits(ctx, [0.5, 1.5, 2.5, 3.5], low=55, high=70, dur_beats=0.2), "organ", -8, bright=0.8)
    if ctx.keep(0.3):
        melody(ctx, MAJOR_PENTA, "lead", -6, wave="tri", low=64, high=82, density=0.5, unit=1.0, glide=0.02)


def _rock(ctx: Arrangement) -> None:
    rng = ctx.rng
    drums(ctx, [0, 8] if ctx.keep(0.5) else [0, 8, 10], [4, 12], list(range(0, 16, 2)), level_db=0,
           crash=ctx.keep(0.5))
    r = rng.random()
    if r < 0.7:
        power_guitar(ctx, 0, gain=rng.uniform(3, 12), style=str(rng.choice(["eighths", "eighths", "sustain", "chug"])),
                      tone=rng.uniform(2500, 4500), low=int(rng.choice([40, 45])))
    else:  # crunchy strummed open chords
        strum(ctx, chord_hits(ctx, [0, 1, 1.5, 2.5, 3, 3.5], low=52, high=72, dur_beats=0.5), "guitar", 0,
               bright=0.8)
        ctx.stems["guitar"] = distort(ctx.stems["guitar"], ctx.sr, rng.uniform(2, 5), 4000)
    bass(ctx, "eighths", -3, wave="saw", cutoff=800, octave=36)
    if ctx.keep(0.4):
        melody(ctx, MINOR_PENTA, "lead", -4, wave="saw", low=62, high=84, density=0.7, unit=0.5,
                cutoff=4000, vibrato=0.005, glide=0.01)
        ctx.stems["lead"] = distort(ctx.stems["lead"], ctx.sr, 4, 4000)



def _layer_blues(ctx: Arrangement) -> None:
    melody(ctx, BLUES_SCALE, "borrow", -4, low=57, high=81, density=0.65, unit=0.5, pluck=True)


def _layer_classical(ctx: Arrangement) -> None:
    pad(ctx, "borrow", -4, low=55, high=79, attack=0.3, vibrato=0.005, detune=0.004, cutoff=2500)


def _layer_country(ctx: Arrangement) -> None:
    strum(ctx, chord_hits(ctx, [1, 3], low=52, high=72, dur_beats=0.6), "borrow", -3, bright=0.8)


def _layer_disco(ctx: Arrangement) -> None:
    drums(ctx, [0, 4, 8, 12], [], [], open_steps=[2, 6, 10, 14], level_db=-3, stem="borrow")


def _layer_hiphop(ctx: Arrangement) -> None:
    notes = bass_line(ctx, "sub", 24 if ctx.key > 4 else 36)
    ctx.stem("borrow", -3)[:] += render_track(notes, ctx.n, ctx.sr, "sine", attack=0.005, decay=0.3,
                                              sustain=0.7, release=0.05)


def _layer_jazz(ctx: Arrangement) -> None:
    if ctx.keep(0.5):
        drums(ctx, [], [], [], ride_steps=[0, 4, 6, 8, 12, 14], level_db=-6, stem="borrow")
    else:
        keys(ctx, chord_hits(ctx, [0.5, 2.5], low=53, high=72, dur_beats=0.6), "borrow", -4, bright=0.55)


def _layer_metal(ctx: Arrangement) -> None:
    power_guitar(ctx, -3, gain=ctx.rng.uniform(8, 20), style="chug", tone=4000, low=40, stem="borrow")


def _layer_pop(ctx: Arrangement) -> None:
    melody(ctx, MAJOR_PENTA, "borrow", -3, wave="square", low=64, high=84, density=0.75, unit=0.5,
            cutoff=3500, glide=0.01)


def _layer_reggae(ctx: Arrangement) -> None:
    strum(ctx, chord_hits(ctx, [1, 3], low=60, high=76, dur_beats=0.22), "borrow", -4, bright=0.9, spread=0.003)


def _layer_rock(ctx: Arrangement) -> None:
    power_guitar(ctx, -3, gain=ctx.rng.uniform(3, 10), style="eighths", tone=3500, low=40, stem="borrow")


STYLES: dict[str, Style] = {s.name: s for s in (
    Style("blues", tempo=(66, 112), neighbours=("jazz", "country", "rock"), arrange=_blues, layer=_layer_blues,
          progressions=(
              [(0, DOM7)] * 4 + [(5, DOM7)] * 2 + [(0, DOM7)] * 2 + [(7, DOM7), (5, DOM7), (0, DOM7), (7, DOM7)],
              [(0, DOM7), (5, DOM7), (0, DOM7), (0, DOM7), (5, DOM7), (5, DOM7), (0, DOM7), (0, DOM7),
               (7, DOM7), (5, DOM7), (0, DOM7), (7, DOM7)],
          )),
    Style("classical", tempo=(60, 112), neighbours=("jazz", "pop"), arrange=_classical, layer=_layer_classical,
          reverb=((1.2, 2.2), (0.25, 0.45)), progressions=(
              [(0, MAJ), (5, MAJ), (7, MAJ), (0, MAJ)],
              [(0, MAJ), (9, MIN), (5, MAJ), (7, MAJ)],
              [(0, MIN), (5, MIN), (7, MAJ), (0, MIN)],
              [(0, MAJ), (7, MAJ), (9, MIN), (4, MIN), (5, MAJ), (0, MAJ), (5, MAJ), (7, MAJ)],
          )),
    Style("country", tempo=(92, 144), neighbours=("blues", "rock", "pop"), arrange=_country, layer=_layer_country,
          progressions=(
              [(0, MAJ), (0, MAJ), (5, MAJ), (5, MAJ), (7, MAJ), (7, MAJ), (0, MAJ), (0, MAJ)],
              [(0, MAJ), (5, MAJ), (7, MAJ), (0, MAJ)],
              [(0, MAJ), (0, MAJ), (7, MAJ), (0, MAJ)],
          )),
    Style("disco", tempo=(110, 130), neighbours=("pop", "hiphop", "jazz"), arrange=_disco, layer=_layer_disco,
          progressions=(
              [(0, MIN7), (5, MIN7)],
              [(0, MIN7), (5, DOM7)],
              [(9, MIN7), (2, MIN7), (7, DOM7), (0, MAJ7)],
          )),
    Style("hiphop", tempo=(78, 100), neighbours=("reggae", "disco", "jazz"), arrange=_hiphop, layer=_layer_hiphop,
          lofi_p=0.55, progressions=(
              [(0, MIN7), (8, MAJ7)],
              [(0, MIN7), (5, MIN7), (8, MAJ7), (7, DOM7)],
              [(2, MIN7), (7, DOM7)],
          )),
    Style("jazz", tempo=(100, 210), neighbours=("blues", "classical"), arrange=_jazz, layer=_layer_jazz,
          reverb=((0.6, 1.2), (0.1, 0.25)), progressions=(
              [(2, MIN7), (7, DOM7), (0, MAJ7), (0, MAJ7)],
              [(2, MIN7), (7, DOM7), (0, MAJ7), (9, DOM7)],
              [(0, MAJ7), (9, MIN7), (2, MIN7), (7, DOM7)],
          )),
    Style("metal", tempo=(105, 190), neighbours=("rock", "classical"), arrange=_metal, layer=_layer_metal,
          progressions=(
              [(0, POWER), (0, POWER), (1, POWER), (0, POWER)],
              [(0, POWER), (8, POWER), (10, POWER), (0, POWER)],
              [(0, POWER), (3, POWER), (5, POWER), (6, POWER)],
          )),
    Style("pop", tempo=(95, 128), neighbours=("disco", "rock", "country"), arrange=_pop, layer=_layer_pop,
          progressions=(
              [(0, MAJ), (7, MAJ), (9, MIN), (5, MAJ)],
              [(9, MIN), (5, MAJ), (0, MAJ), (7, MAJ)],
              [(0, MAJ), (5, MAJ), (9, MIN), (7, MAJ)],
          )),
    Style("reggae", tempo=(66, 90), neighbours=("hiphop", "pop"), arrange=_reggae, layer=_layer_reggae,
          progressions=(
              [(0, MAJ), (5, MAJ)],
              [(0, MIN), (5, MIN)],
              [(0, MAJ), (7, MAJ), (9, MIN), (5, MAJ)],
          )),
    Style("rock", tempo=(100, 150), neighbours=("metal", "pop", "blues"), arrange=_rock, layer=_layer_rock,
          progressions=(
              [(0, POWER), (10, POWER), (5, POWER), (0, POWER)],
              [(0, POWER), (5, POWER), (7, POWER), (5, POWER)],
              [(0, POWER), (8, POWER), (10, POWER), (0, POWER)],
          )),
)}
"""The style of every genre, keyed by name, in the order of :data:`core.GENRES`."""
