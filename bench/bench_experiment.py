"""Experiment figures: the study's grid (paper and recommended presets) over N seeds, wall time and table.

Prints one JSON line per figure. Uses a fresh temporary data folder. The full grid (5 seeds, the
presets' own epochs, GAN augmentation) takes hours on two CPU cores; ``--epochs``, ``--seeds`` and
``--gan-epochs`` run a reduced form.

    python bench/bench_experiment.py --seeds 3 --epochs 5            # reduced, demo set only
    python bench/bench_experiment.py --data both                     # full, demo set and gtzan-mini
    python bench/bench_experiment.py --data gtzan-mini --threads 1 --set split=fold5 --first-seed 5  # one 5-fold CV

Two grids can run side by side with ``--threads 1`` each (torch's two threads collapse when
another process holds a core).
"""

import argparse
import math
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from common import emit, scratch_dir, settle  # noqa: E402
os.environ["GENRELAB_DATA_DIR"] = scratch_dir()

import torch  # noqa: E402

from core.base import experiment_plan, splits  # noqa: E402
from core.orchestration import experiment  # noqa: E402
from core.storage.extract import load_features  # noqa: E402
from core.base.demo import make_demo_dataset  # noqa: E402

GTZAN_MINI = REPO.parent / "shared" / "data" / "gtzan-mini"


def compact(result: dict) -> dict:
    """The table's summary and differences, rounded for one JSON line (NaN as null); what README's study table shows."""
    def value(x):
        return None if isinstance(x, float) and math.isnan(x) else round(x, 4) if isinstance(x, float) else x

    keep = lambda rows, keys: [{k: value(r.get(k)) for k in keys} for r in rows]  # noqa: E731
    return {"measured_on": result["measured_on"], "comparisons": result["comparisons"],
            "summary": keep(result["summary"], ("cell", "seeds", "unit", "clips", "mean", "std", "lo", "hi",
                                                "interval")),
            "differences": keep(result["differences"], ("cell", "seeds", "unit", "clips", "mean", "lo", "hi", "p_value",
                                                        "p_holm", "test", "verdict"))}


def run_grid(name: str, root: Path, args) -> None:
    load_features(root)  # extraction is not part of the grid's time
    per_genre = tuple(int(n) for n in args.per_genre.split(","))
    overrides = tuple(args.set or ()) + ((f"epochs={args.epochs}",) if args.epochs else ())
    gan_overrides = tuple(args.gan_set or ()) + ((f"epochs={args.gan_epochs}",) if args.gan_epochs else ())
    plan = experiment_plan.plan("paper", seeds=args.seeds, first_seed=args.first_seed, per_genre=per_genre,
                           arms=tuple(args.arms.split(",")) if args.arms else None,
                           overrides=overrides, gan_overrides=gan_overrides)
    exp_id = experiment.submit(plan, root, name)
    settle()
    start = time.perf_counter()
    result = experiment.run_experiment(exp_id)
    wall = time.perf_counter() - start
    cells = len(experiment_plan.cells(plan))
    reduced = {"seeds": plan["seeds"], "epochs": args.epochs or "preset", "gan_epochs": args.gan_epochs or "preset",
               "per_genre": list(plan["per_genre"])}
    name = args.name or name
    emit(f"{name}_grid_wall_seconds", round(wall, 1), "", timed=True, cells=cells,
         seconds_per_cell=round(wall / cells, 2),
         threads=torch.get_num_threads(), overrides=list(plan["set"]), **reduced)
    emit(f"{name}_table", compact(result), "", **reduced)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0,
                        help=f"with --set split=fold5, {5 * splits.REPORT_PARTITION} reports on the partition nothing "
                             f"was chosen on (seeds {5 * splits.REPORT_PARTITION}-{5 * splits.REPORT_PARTITION + 4})")
    parser.add_argument("--epochs", type=int, help="classifier epochs (default: each preset's own)")
    parser.add_argument("--gan-epochs", type=int, help="GAN epochs (default: each GAN preset's own)")
    parser.add_argument("--per-genre", default="0,70,150")
    parser.add_argument("--arms", help="e.g. 'paper' to run one classifier preset only")
    parser.add_argument("--set", action="append", help="extra classifier override key=value")
    parser.add_argument("--gan-set", action="append", help="extra GAN override key=value")
    parser.add_argument("--data", choices=("demo", "gtzan-mini", "both"), default="demo")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    parser.add_argument("--name", help="name the figures <name>_table and <name>_grid_wall_seconds (default: the "
                                       "dataset's), so two grids on one dataset keep apart in results.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.data in ("demo", "both"):
        run_grid("demo", make_demo_dataset(), args)
    if args.data in ("gtzan-mini", "both"):
        if GTZAN_MINI.is_dir():
            run_grid("gtzan-mini", GTZAN_MINI, args)
        else:
            emit("gtzan_mini", None, "skipped", note=f"{GTZAN_MINI} not found")


if __name__ == "__main__":
    main()
