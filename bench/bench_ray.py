"""Ray figures: start-up overhead, a tiny grid on the local runner against a local Ray, per-cell times and the
projected wall time of the study's full table on 1, 4 and 16 workers.

Prints one JSON line per figure, each with the load average (1, 5, 15 min) when it was taken. Uses a
fresh temporary data folder and a local Ray with 2 CPUs on 127.0.0.1.

Per-cell times: a full paper cell takes about 25 min here, so each arm's seed-0 baseline and GAN are
trained for ``--epochs`` epochs with one torch thread (what a 1-CPU Ray task gets); the time per epoch
is extrapolated to the presets' own epochs (augmented cells: in proportion to their training inputs),
plus the run's measured time outside training. The projection schedules the full table's tasks (GAN before the cells
it augments) greedily on N workers, each as fast as one core here.

    python bench/bench_ray.py [--epochs 1] [--data both] [--skip-cells | --skip-ray]
"""

import argparse
import heapq
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("GENRELAB_DATA_DIR", tempfile.mkdtemp(prefix="genrelab-bench-"))
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # a one-node Ray on 127.0.0.1

import torch  # noqa: E402

from core import cluster, config, experiment, runs, tasks  # noqa: E402
from core.demo import make_demo_dataset  # noqa: E402
from core.extract import load_features  # noqa: E402

GTZAN_MINI = REPO.parent / "shared" / "data" / "gtzan-mini"
TINY = ("epochs=2", "hidden_size=16", "num_layers=1", "batch_size=8", "first_frames=40", "segment_seconds=1.0",
        "split=stratified")
STUDY = {"seeds": 5, "per_genre": (0, 70, 150), "data": ("demo", "gtzan-mini")}


def emit(figure: str, value, target: str = "", **extra) -> None:
    print(json.dumps({"figure": figure, "value": value, "target": target, **extra,
                      "load_average": [round(x, 1) for x in os.getloadavg()], "under_load": True}), flush=True)


def grid_seconds(root: Path, plan: dict) -> float:
    start = time.perf_counter()
    result = experiment.run_experiment(experiment.submit(plan, root, "demo"))
    assert result["cells_done"] == len(experiment.cells(plan))
    return time.perf_counter() - start


def ray_figures(root: Path) -> None:
    import ray

    plan = experiment.plan(seeds=2, per_genre=(0,), overrides=TINY)
    local = grid_seconds(root, plan)
    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    started = time.perf_counter() - start
    start = time.perf_counter()
    ray.get([ray.remote(lambda: __import__("core.tasks").__name__).options(num_cpus=1).remote() for _ in range(2)])
    warm = time.perf_counter() - start
    emit("ray_start_seconds", round(started, 1), "report", note="ray.init(num_cpus=2) of a local Ray on 127.0.0.1")
    emit("ray_worker_first_task_seconds", round(warm, 1), "report",
         note="two workers importing core (torch, librosa) for their first task; later tasks reuse them")
    os.environ[cluster.ENV_VAR] = "auto"
    remote = grid_seconds(root, plan)
    del os.environ[cluster.ENV_VAR]
    emit("tiny_grid_ray_over_local", round(remote / local, 2), "report", local_seconds=round(local, 1),
         ray_seconds=round(remote, 1), cells=4, overrides=list(TINY), data="demo",
         note="4 baseline cells (2 arms x seeds 0-1); local runner one cell at a time with torch's threads, "
              "local Ray 2 tasks at a time with 1 thread each, workers warm, start-up excluded")
    start = time.perf_counter()
    ray.shutdown()
    emit("ray_shutdown_seconds", round(time.perf_counter() - start, 1), "report")


def run_seconds(record: dict) -> float:
    return record["finished"] - record["started"]


def arm_times(name: str, root: Path, preset: str, epochs: int) -> dict:
    """Seconds of each run of one arm (cells by clips generated per genre, and ``"gan"``), extrapolated.

    The seed-0 baseline and the arm's GAN are trained for ``epochs`` epochs; an epoch's time is taken
    as proportional to the training inputs, which augmentation grows by one per generated clip.
    """
    plan = experiment.plan(seeds=1, arms=(preset,), overrides=(f"epochs={epochs}",),
                           gan_overrides=(f"epochs={epochs}", f"ref_epochs={epochs}"))
    cell = experiment.cells(plan)[0]
    run_id = tasks.submit_classifier(experiment.classifier_config(plan, cell), root, name, preset=preset)
    tasks.run_classifier(run_id)
    base = runs.load(run_id)
    per_epoch = base["train_seconds"] / epochs
    full = config.preset(preset).epochs
    out = {}
    for n in STUDY["per_genre"]:
        inputs = base["train_inputs"] + n * len(base["dataset"]["labels"])
        out[n] = run_seconds(base) - base["train_seconds"] + per_epoch * inputs / base["train_inputs"] * full
        emit(f"{name}_{preset}_cell_{n}_seconds", round(out[n], 1), "report", full_epochs=full,
             seconds_per_epoch=round(per_epoch * inputs / base["train_inputs"], 2), train_inputs=inputs,
             measured="baseline" if not n else "baseline's time per input", measured_epochs=epochs, extrapolated=True)
    gan_id = tasks.submit_gan(experiment.gan_config(plan, cell), root, name, preset=cell["gan"])
    tasks.run_gan(gan_id)
    gan_run = runs.load(gan_id)
    gcfg = config.gan_preset(cell["gan"])
    ref = gan_run["reference_seconds"] / epochs
    if ref < 0.05 * per_epoch:  # the judge was the baseline just trained (same recipe); a Ray task trains its own
        ref = per_epoch
    gan_per_epoch = gan_run["train_seconds"] / epochs
    outside = run_seconds(gan_run) - gan_run["train_seconds"] - gan_run["reference_seconds"]
    out["gan"] = outside + ref * gcfg.ref_epochs + gan_per_epoch * gcfg.epochs
    emit(f"{name}_{cell['gan']}_gan_seconds", round(out["gan"], 1), "report",
         gan_seconds_per_epoch=round(gan_per_epoch, 2), gan_epochs=gcfg.epochs,
         reference_seconds_per_epoch=round(ref, 2), reference_epochs=gcfg.ref_epochs, measured_epochs=epochs,
         extrapolated=True)
    return out


def makespan(tasks: list[tuple[str, float, tuple[str, ...]]], workers: int) -> float:
    """Seconds to run ``tasks`` (id, seconds, ids needed first) on ``workers``, each free worker taking the
    first task in order whose needs have finished (how Ray hands out tasks of equal resources)."""
    free, done_at, pending = [0.0] * workers, {}, list(tasks)
    while pending:
        now = heapq.heappop(free)
        ready = [t for t in pending if all(done_at.get(n, float("inf")) <= now for n in t[2])]
        if not ready:
            heapq.heappush(free, min(done_at[n] for t in pending for n in t[2] if done_at.get(n, 0) > now))
            continue
        task = ready[0]
        pending.remove(task)
        done_at[task[0]] = now + task[1]
        heapq.heappush(free, done_at[task[0]])
    return max(done_at.values())


def study_tasks(times: dict) -> list[tuple[str, float, tuple[str, ...]]]:
    """The full table's Ray tasks in the order :mod:`core.cluster` sends them: ``times[data][arm][cell]``."""
    out = []
    for data, arms in times.items():
        for arm, t in arms.items():
            for seed in range(STUDY["seeds"]):
                gan = f"{data}/{arm}/gan/{seed}"
                for n in STUDY["per_genre"]:
                    if n and not any(g == gan for g, _, _ in out):
                        out.append((gan, t["gan"], ()))
                    out.append((f"{data}/{arm}/{n}/{seed}", t[n], (gan,) if n else ()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1, help="epochs measured per run before extrapolating")
    parser.add_argument("--data", choices=("demo", "gtzan-mini", "both"), default="both")
    parser.add_argument("--skip-cells", action="store_true", help="only the Ray start-up and tiny-grid figures")
    parser.add_argument("--skip-ray", action="store_true", help="only the per-cell times and the projection")
    args = parser.parse_args()
    demo = make_demo_dataset()
    load_features(demo)  # extraction is not part of any figure
    if not args.skip_ray:
        ray_figures(demo)
    if args.skip_cells:
        return
    torch.set_num_threads(1)  # a 1-CPU Ray task's torch
    roots = {"demo": demo, "gtzan-mini": GTZAN_MINI}
    names = ("demo", "gtzan-mini") if args.data == "both" else (args.data,)
    times = {}
    for name in names:
        load_features(roots[name])
        times[name] = {arm: arm_times(name, roots[name], arm, args.epochs) for arm in ("paper", "recommended")}
    if set(names) != set(STUDY["data"]):
        emit("study_projection", None, "skipped", note=f"needs per-cell times of {STUDY['data']}")
        return
    tasks = study_tasks(times)
    for workers in (1, 4, 16):
        emit(f"study_table_hours_on_{workers}_workers", round(makespan(tasks, workers) / 3600, 2), "report",
             tasks=len(tasks), cells=sum(1 for t in tasks if "/gan/" not in t[0]), extrapolated=True,
             note="paper + recommended arms, 5 seeds, baseline/+70/+150, demo and gtzan-mini; each worker one "
                  "core as fast as one here under load; GANs train their own reference classifier")


if __name__ == "__main__":
    main()
