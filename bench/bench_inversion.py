"""Benchmark core.compute.inversion against librosa.feature.inverse.mel_to_audio on real 3 s GTZAN segments.

Prints one JSON line per figure, e.g. ``{"figure": "griffinlim_3s_seconds", "value": 0.05, "target": "<= 0.2"}``.

    python bench/bench_inversion.py [--genres blues,classical,jazz,metal,pop] [--n-iter 16] [--librosa-n-iter 32]

Both methods invert the same log-mel (the app's convention: power_to_db(melspectrogram(power=2), ref=1.0,
amin=1e-10, top_db=None)) at their own defaults (ours: ``inversion.GL_ITERS`` Griffin-Lim iterations after
``inversion.REFINE_ITERS`` refinement steps; librosa's ``mel_to_audio``: 32), both with momentum 0.99; spectral
convergence is measured against the *original* segment's STFT magnitude. Our spectral convergence is taken
on the inversion before the 0.95 peak limit of ``mel_db_to_audio`` (librosa's output is not limited either),
so a loud clip is not penalised for a level change. Timings are medians of warm calls, interleaved per
segment with librosa's so that both see the same machine load; the 1-minute load average is printed too.
``--threads N`` pins both sides to N threads (``bench/run_all.py`` passes 1): torch's pool, and through
threadpoolctl (``common.pin_threads``) the BLAS and OpenMP pools librosa's reference runs on (numpy's and scipy's
OpenBLAS: its NNLS and matrix products), which torch's setting does not reach; left at their two threads, librosa's
time swung from 0.56 to 1.39 s between runs. The figures' note lists every pool's thread count.
If ../shared/data/gtzan-mini is absent, synthetic harmonic signals are used (noted in every line).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import librosa  # noqa: E402
import scipy.optimize  # noqa: E402,F401  librosa's NNLS: its OpenBLAS loads here, before pin_threads
import torch  # noqa: E402

from core.compute import inversion  # noqa: E402
from core.base.config import FeatureConfig  # noqa: E402
from common import emit, pin_threads, pools, settle  # noqa: E402

GTZAN_MINI = ROOT.parent / "shared" / "data" / "gtzan-mini"


def synthetic(seconds: float, sr: int, f0: float, seed: int) -> np.ndarray:
    """A harmonic tone with vibrato, a tremolo and a little noise (fallback when GTZAN is absent)."""
    t = np.arange(int(seconds * sr)) / sr
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, 12)) * (0.6 + 0.4 * np.cos(2 * np.pi * 0.5 * t))
    y += 0.01 * np.random.default_rng(seed).standard_normal(t.size)
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


def load_segments(genres: list[str], seconds: float, offset: float,
                  sr: int) -> tuple[list[tuple[str, np.ndarray]], str]:
    if GTZAN_MINI.is_dir():
        segs = []
        for g in genres:
            path = GTZAN_MINI / g / f"{g}.00000.wav"
            y, _ = librosa.load(path, sr=sr, offset=offset, duration=seconds)
            segs.append((f"{g}.00000@{offset:g}s", y))
        return segs, f"real GTZAN segments from {GTZAN_MINI}"
    segs = [(f"synthetic f0={f0:g}", synthetic(seconds, sr, f0, i)) for i, f0 in enumerate((110, 165, 220, 330, 440))]
    return segs[: len(genres)], "SYNTHETIC fallback: gtzan-mini not found"


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--genres", default="blues,classical,jazz,metal,pop")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--offset", type=float, default=10.0, help="segment start within each clip (s)")
    ap.add_argument("--n-iter", type=int, default=inversion.GL_ITERS, help="our Griffin-Lim iterations")
    ap.add_argument("--librosa-n-iter", type=int, default=32, help="librosa's (its mel_to_audio default)")
    ap.add_argument("--repeats", type=int, default=7, help="warm timing repeats of ours")
    ap.add_argument("--lib-repeats", type=int, default=1, help="timing repeats of librosa (slow)")
    ap.add_argument("--threads", type=int, default=0,
                    help="threads of torch and of the BLAS/OpenMP pools librosa uses (0 = each library's default)")
    args = ap.parse_args()
    if args.threads:
        pin_threads(args.threads)

    cfg = FeatureConfig()
    sr, n_fft, hop, n_mels = cfg.sr, cfg.n_fft, cfg.hop_length, cfg.n_mels
    segments, source = load_segments(args.genres.split(","), args.seconds, args.offset, sr)

    mels, targets = [], []
    for _, y in segments:
        mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, power=2.0)
        mels.append(librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).astype(np.float32))
        targets.append(np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop)))

    def ours(mel_db):
        return inversion.mel_db_to_audio(mel_db, sr=sr, n_fft=n_fft, hop_length=hop, n_iter=args.n_iter)

    load = settle()  # one reading for the figures of this loop, measured together
    t0 = time.perf_counter()
    ours(mels[0])  # cold: builds the cached filterbank pseudo-inverse, FFT plans, imports librosa.filters
    cold = time.perf_counter() - t0

    rows = []
    for (name, y), mel_db, target in zip(segments, mels, targets):
        t_ours, _ = timed(lambda: ours(mel_db), args.repeats)
        t_mag, mag = timed(lambda: inversion.mel_to_stft_magnitude(10.0 ** (mel_db / 10.0), sr=sr, n_fft=n_fft),
                           args.repeats)
        y_ours = inversion.griffinlim(mag, n_fft=n_fft, hop_length=hop, n_iter=args.n_iter)  # before peak limit

        def lib():
            np.random.seed(0)  # mel_to_audio draws its initial phase from the global RNG
            return librosa.feature.inverse.mel_to_audio(10.0 ** (mel_db / 10.0), sr=sr, n_fft=n_fft,
                                                        hop_length=hop, n_iter=args.librosa_n_iter)
        t_lib, y_lib = timed(lib, args.lib_repeats)
        rows.append(dict(segment=name, frames=mel_db.shape[1], ours_s=t_ours, mel_to_mag_s=t_mag, librosa_s=t_lib,
                         sc_ours=inversion.spectral_convergence(y_ours, target, n_fft, hop),
                         sc_librosa=inversion.spectral_convergence(y_lib, target, n_fft, hop)))

    batch = np.stack(mels)
    t_batch, _ = timed(lambda: ours(batch), max(1, args.repeats // 2))

    t_ours = float(np.median([r["ours_s"] for r in rows]))
    t_lib = float(np.median([r["librosa_s"] for r in rows]))
    speedups = [r["librosa_s"] / r["ours_s"] for r in rows]
    sc_ours = float(np.mean([r["sc_ours"] for r in rows]))
    sc_lib = float(np.mean([r["sc_librosa"] for r in rows]))
    note = (f"{source}; {len(rows)} x {args.seconds:g} s, {rows[0]['frames']} frames, n_iter={args.n_iter} "
            f"(librosa {args.librosa_n_iter}), "
            f"relaxation {inversion.RELAXATION}, {inversion.REFINE_ITERS} refinement steps, "
            f"torch threads={torch.get_num_threads()}, BLAS/OpenMP pools: {pools()}")

    emit("griffinlim_3s_seconds", t_ours, "<= 0.2", timed=True, load_before=load,
         note=note + "; median over segments of median warm "
         "mel_db_to_audio time (mel -> magnitude -> Griffin-Lim -> peak limit)")
    emit("griffinlim_3s_cold_seconds", cold, timed=True, load_before=load,
         note="first call in the process (caches being built)")
    emit("mel_to_magnitude_3s_seconds", float(np.median([r["mel_to_mag_s"] for r in rows])), timed=True,
         load_before=load, note="pseudo-inverse + accelerated NNLS refinement alone")
    emit("librosa_mel_to_audio_3s_seconds", t_lib, timed=True, load_before=load, note="median over segments")
    emit("speedup_vs_librosa", float(np.median(speedups)), ">= 20", timed=True, load_before=load,
         note="median over segments of librosa time / our time, same segment, measured back to back",
         per_segment=[round(s, 1) for s in speedups])
    emit("batch5_3s_seconds", t_batch, timed=True, load_before=load,
         note=f"mel_db_to_audio on a batch of {len(rows)} segments at once")
    emit("spectral_convergence_ours_mean", sc_ours, note="vs the original segment's STFT magnitude",
         per_segment={r["segment"]: round(r["sc_ours"], 4) for r in rows})
    emit("spectral_convergence_librosa_mean", sc_lib,
         note=f"librosa.feature.inverse.mel_to_audio, n_iter={args.librosa_n_iter}",
         per_segment={r["segment"]: round(r["sc_librosa"], 4) for r in rows})
    emit("spectral_convergence_ratio_ours_over_librosa", sc_ours / sc_lib, "<= 1.1",
         worst_segment_ratio=round(max(r["sc_ours"] / r["sc_librosa"] for r in rows), 4))


if __name__ == "__main__":
    main()
