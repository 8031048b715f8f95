"""Benchmark both GANs over seeds: training time, TSTR, C2ST, Fréchet distance and genre fidelity.

Prints one JSON line per figure and seed, e.g.
``{"figure": "conditional_gan_tstr_ratio_seed0", "value": 0.84, "target": ">= 0.8", "seed": 0, ...}``,
then one ``..._mean`` line per figure over the seeds run:

- ``conditional_gan_train_seconds`` (target <= 300);
- ``conditional_gan_tstr_ratio`` (target >= 0.8): the recommended recipe trained only on generated
  segments (as many per genre as the real training set), tested on the real test clips, divided by
  the same recipe trained on the real clips (both accuracies and the TSTR interval are in the line);
- ``conditional_gan_c2st`` (target <= 0.75): accuracy of a logistic regression on per-band level,
  spread and step-to-step change telling held-out real segments from fresh samples (0.5 = cannot);
- ``conditional_gan_c2st_embedding`` (no target; the same test in the reference classifier's embedding, which
  no discriminator sees: the check that the first C2ST was not simply trained away);
- ``paper_gan_tstr_ratio`` and ``paper_gan_c2st`` (no target: expected chance and near 1.0);
- with ``--data gtzan-mini`` the figures are named ``gtzan_mini_*`` and seeds are the folds of the
  stratified 5-fold split (``split=fold5``; seeds 5-9 are ``core.base.splits.REPORT_PARTITION``, where nothing
  was chosen); without ``../shared/data/gtzan-mini`` one ``gtzan_mini`` line says it was skipped.

Every line carries the 1-minute load average and torch's thread count: on a 2-core machine shared
with other work, timings can be several times slower than on an idle one.

    python bench/bench_gan.py [--seeds 0,1,2,3,4] [--presets conditional,paper] [--data demo|gtzan-mini]
                              [--set epochs=40] [--threads 1] [--data-dir DIR]

Writes into a temporary data folder (``GENRELAB_DATA_DIR``) removed afterwards, unless ``--data-dir``
names one to reuse (its demo set and feature cache are then kept).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
GTZAN_MINI = REPO.parent / "shared" / "data" / "gtzan-mini"
from common import emit, settle  # noqa: E402

TARGETS = {"train_seconds": "<= 300", "tstr_ratio": ">= 0.8", "c2st": "<= 0.75"}
TIMED = {"train_seconds"}
"""The wall-clock figures of a run (the others are accuracies and distances: recorded at any load)."""


def target(preset: str, key: str) -> str:
    """The issue's target for a conditional-GAN figure; the paper GAN's are only reported."""
    return TARGETS.get(key, "report") if preset == "conditional" else "report"



def bench(preset: str, overrides: list[str], root: Path, name: str) -> dict:
    """Train one GAN run through :mod:`core.orchestration.gan_run`; returns its record, result and config."""
    from core.base import config
    from core.orchestration import gan_run
    from core.storage import runs

    cfg = config.with_overrides(config.gan_preset(preset), overrides)
    run_id = gan_run.submit_gan(cfg, root, name, preset=preset)
    result = gan_run.run_gan(run_id)
    return {"record": runs.load(run_id), "result": result, "cfg": cfg}


def figures(out: dict) -> dict:
    """The measured figures of one run, each with what a reader needs to judge it."""
    record, result = out["record"], out["result"]
    t, c, e = result["tstr"], result["c2st"], result["c2st_embedding"]
    fd, ref = result["frechet"], result["reference"]["accuracy"]
    return {
        "train_seconds": (record["train_seconds"], dict(epochs=out["cfg"].epochs,
                                                         reference_seconds=record["reference_seconds"],
                                                         tstr_seconds=t["seconds"])),
        "tstr_ratio": (None if t["ratio"] is None else round(t["ratio"], 3), dict(
            tstr_accuracy=round(t["accuracy"], 3), tstr_ci95=[round(v, 3) for v in t["ci95"]],
            real_accuracy=round(t["real_accuracy"], 3), real_ci95=[round(ref["lo"], 3), round(ref["hi"], 3)],
            test_clips=t["n"])),
        "c2st": (round(c["accuracy"], 3), dict(ci95=[round(v, 3) for v in c["ci95"]], n=c["n"])),
        "c2st_embedding": (round(e["accuracy"], 3), dict(ci95=[round(v, 3) for v in e["ci95"]], n=e["n"])),
        "frechet": (round(fd["overall"], 2), dict(ci95=[round(v, 2) for v in fd["ci95"]], n=fd["n"],
                                                  real_floor=round(fd["real_floor"], 2),
                                                  real_floor_ci95=[round(v, 2) for v in fd["real_floor_ci95"]])),
        "fidelity": (round(result["fidelity"]["overall"], 3), dict(
            judge_on_real_segments=round(result["real_fidelity"]["overall"], 3))),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds (folds with gtzan-mini)")
    ap.add_argument("--presets", default="conditional,paper", help="GAN presets to run")
    ap.add_argument("--data", choices=("demo", "gtzan-mini"), default="demo")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a field of every GAN config (repeatable)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--data-dir", help="data folder to use and keep (default: a temporary one)")
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="genrelab-bench-") as tmp:
        os.environ["GENRELAB_DATA_DIR"] = args.data_dir or tmp
        from core.base.demo import make_demo_dataset

        if args.data == "gtzan-mini" and not GTZAN_MINI.is_dir():
            emit("gtzan_mini", None, "skipped", note=f"{GTZAN_MINI} not found")
            return
        root, prefix = ((make_demo_dataset(), "") if args.data == "demo" else (GTZAN_MINI, "gtzan_mini_"))
        split = [] if args.data == "demo" else ["split=fold5"]
        for preset in args.presets.split(","):
            seen: dict[str, list] = {}
            loads = []
            for seed in (int(s) for s in args.seeds.split(",")):
                loads.append(settle())
                out = bench(preset, [*split, *args.set, f"seed={seed}"], root, args.data)
                for key, (value, info) in figures(out).items():
                    emit(f"{prefix}{preset}_gan_{key}_seed{seed}", value, target=target(preset, key), seed=seed,
                         timed=key in TIMED,
                         dataset=args.data, split=out["record"]["split_name"], **info)
                    seen.setdefault(key, []).append(value)
            for key, values in seen.items():
                emit(f"{prefix}{preset}_gan_{key}_mean", round(float(np.mean(values)), 3), target=target(preset, key),
                     timed=key in TIMED, load_before=max(loads), values=values, seeds=args.seeds, dataset=args.data)


if __name__ == "__main__":
    main()
