"""Benchmark both GANs on the demo set (10 genres x 20 clips x 10 s): training time and genre fidelity.

Prints one JSON line per figure, e.g.
``{"figure": "conditional_gan_train_seconds", "value": 210.4, "target": "<= 300", ...}``:

- ``conditional_gan_train_seconds`` (target <= 300) and ``conditional_gan_fidelity`` (target >= 0.80):
  the share of generated samples the reference classifier assigns to the genre they were asked for;
- ``reference_classifier_seconds`` and its test accuracy (the judge, trained once per GAN run);
- ``paper_gan_fidelity`` (no target: it should sit near chance, 0.10, since its labels are assigned
  by position) and ``paper_gan_train_seconds``.

Every line carries the 1-minute load average and torch's thread count: on a 2-core machine shared
with other work, timings can be several times slower than on an idle one.

    python bench/bench_gan.py [--skip-paper] [--set epochs=40] [--data-dir DIR]

Writes into a temporary data folder (``GENRELAB_DATA_DIR``) removed afterwards, unless ``--data-dir``
names one to reuse (its demo set and feature cache are then kept).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import emit  # noqa: E402


def bench(preset: str, overrides: list[str]) -> dict:
    """Train one GAN run on the demo set through :mod:`core.tasks`; returns its record and result."""
    from core import config, runs, tasks
    from core.demo import make_demo_dataset

    cfg = config.with_overrides(config.gan_preset(preset), overrides)
    run_id = tasks.submit_gan(cfg, make_demo_dataset(), "demo", preset=preset)
    result = tasks.run_gan(run_id)
    return {"record": runs.load(run_id), "result": result, "history": runs.history(run_id), "cfg": cfg}


def report(preset: str, out: dict) -> None:
    record, result, cfg = out["record"], out["result"], out["cfg"]
    ref = result["reference"]["accuracy"]
    emit(f"{preset}_gan_reference_classifier_seconds", record["reference_seconds"],
         reference_test_accuracy=round(ref["value"], 3), reference_test_n=ref["n"])
    fid = result["fidelity"]
    best = max(out["history"], key=lambda h: h["fidelity"])
    common = dict(epochs=cfg.epochs, per_genre=result["per_genre"], chance=fid["chance"],
                  frechet=round(result["frechet"]["overall"], 2),
                  frechet_real_floor=round(result["frechet"]["real_floor"], 2),
                  nn_to_train_median=round(result["nearest"]["to_train"]["median"], 2),
                  nn_held_out_to_train_median=round(result["nearest"]["held_out_to_train"]["median"], 2),
                  best_tracked_epoch=best["epoch"], best_tracked_fidelity=best["fidelity"],
                  reference_real_held_out_fidelity=round(result["real_fidelity"]["overall"], 3))
    if preset == "conditional":
        emit("conditional_gan_train_seconds", record["train_seconds"], "<= 300", epochs=cfg.epochs)
        emit("conditional_gan_fidelity", round(fid["overall"], 3), ">= 0.80",
             per_class=[round(v, 2) for v in fid["per_class"]], **common)
    else:
        emit("paper_gan_train_seconds", record["train_seconds"], epochs=cfg.epochs)
        emit("paper_gan_fidelity", round(fid["overall"], 3), expected="near chance (labels assigned by position)",
             rescaled_fidelity=round(result["fidelity_rescaled"]["overall"], 3),
             predicted_counts=fid["predicted_counts"], ranges=result["ranges"], **common)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-paper", action="store_true", help="benchmark the conditional GAN only")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a field of both GAN configs (repeatable)")
    ap.add_argument("--data-dir", help="data folder to use and keep (default: a temporary one)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="genrelab-bench-") as tmp:
        os.environ["GENRELAB_DATA_DIR"] = args.data_dir or tmp
        for preset in ("conditional",) if args.skip_paper else ("conditional", "paper"):
            report(preset, bench(preset, args.set))


if __name__ == "__main__":
    main()
