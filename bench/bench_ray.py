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
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
import common  # noqa: E402  (bench/ is on sys.path when a script in it runs)
os.environ.setdefault("GENRELAB_DATA_DIR", common.scratch_dir())
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # a one-node Ray on 127.0.0.1

import torch  # noqa: E402

from core.base import config, experiment_plan  # noqa: E402
from core.orchestration import classifier, cluster, experiment, gan_run  # noqa: E402
from core.storage import runs  # noqa: E402
from core.base.demo import make_demo_dataset  # noqa: E402
from core.storage.extract import load_features  # noqa: E402

GTZAN_MINI = REPO.parent / "shared" / "data" / "gtzan-mini"
TINY = ("epochs=2", "hidden_size=16", "num_layers=1", "batch_size=8", "first_frames=40", "segment_seconds=1.0",
        "split=stratified")
STUDY = {"seeds": 5, "per_genre": (0, 70, 150), "data": ("demo", "gtzan-mini")}


def emit(figure: str, value, target: str = "", **extra) -> None:
    """:func:`common.emit` with the 5- and 15-minute load too: every figure here was taken under load."""
    common.emit(figure, value, target, **extra, load_average_5_15=[round(x, 1) for x in os.getloadavg()[1:]])


def grid_seconds(root: Path, plan: dict) -> float:
    start = time.perf_counter()
    result = experiment.run_experiment(experiment.submit(plan, root, "demo"))
    assert result["cells_done"] == len(experiment_plan.cells(plan))
    return time.perf_counter() - start


def ray_figures(root: Path) -> None:
    import ray

    plan = experiment_plan.plan(seeds=4, per_genre=(0,), arms=("paper",), overrides=TINY)
    local = grid_seconds(root, plan)
    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    started = time.perf_counter() - start
    start = time.perf_counter()
    warm_up = ray.remote(lambda: __import__("core.orchestration.execute").__name__).options(num_cpus=1)
    ray.get([warm_up.remote() for _ in range(2)])
    warm = time.perf_counter() - start
    emit("ray_start_seconds", round(started, 1), "report", note="ray.init(num_cpus=2) of a local Ray on 127.0.0.1")
    emit("ray_worker_first_task_seconds", round(warm, 1), "report",
         note="two workers importing core (torch, librosa) for their first task; later tasks reuse them")
    os.environ[cluster.ENV_VAR] = "auto"
    remote = grid_seconds(root, plan)
    del os.environ[cluster.ENV_VAR]
    emit("tiny_grid_ray_over_local", round(remote / local, 2), "report", local_seconds=round(local, 1),
         ray_seconds=round(remote, 1), cells=4, overrides=list(TINY), data="demo",
         note="4 paper baseline cells (seeds 0-3); local runner one cell at a time with torch's threads, "
              "local Ray 2 tasks at a time with 1 thread each, workers warm, start-up excluded")
    start = time.perf_counter()
    ray.shutdown()
    emit("ray_shutdown_seconds", round(time.perf_counter() - start, 1), "report")


def timed(run, run_id: str) -> float:
    """Run ``run(run_id)`` here; returns the CPU seconds it took (load-independent, unlike wall time)."""
    start = time.process_time()
    run(run_id)
    return time.process_time() - start


def extrapolated(record: dict, cpu: float, parts: list[tuple[float, float]]) -> dict:
    """A run's wall and CPU seconds with each timed part ``(seconds, stretch)`` stretched, the rest as measured.

    CPU seconds are stretched in the proportion the wall clock was.
    """
    wall = record["finished"] - record["started"]
    full = wall + sum(seconds * (stretch - 1) for seconds, stretch in parts)
    return {"wall": full, "cpu": cpu * full / wall}


def arm_times(name: str, root: Path, preset: str, epochs: int) -> dict:
    """Wall and CPU seconds of each run of one arm (cells by clips generated per genre, and ``"gan"``).

    The seed-0 baseline and the arm's GAN are trained for ``epochs`` epochs and stretched to the
    presets' own; an augmented cell's epoch is taken as proportional to its training inputs, which
    grow by one per generated clip. Returns ``{"wall": {...}, "cpu": {...}}``.
    """
    plan = experiment_plan.plan(seeds=1, arms=(preset,), overrides=(f"epochs={epochs}",),
                           gan_overrides=(f"epochs={epochs}", f"ref_epochs={epochs}"))
    cell = experiment_plan.cells(plan)[0]
    run_id = classifier.submit_classifier(experiment_plan.classifier_config(plan, cell), root, name, preset=preset)
    cpu = timed(classifier.run_classifier, run_id)
    base = runs.load(run_id)
    full = config.preset(preset).epochs
    out = {"wall": {}, "cpu": {}}
    for n in STUDY["per_genre"]:
        inputs = base["train_inputs"] + n * len(base["dataset"]["labels"])
        t = extrapolated(base, cpu, [(base["train_seconds"], full / epochs * inputs / base["train_inputs"])])
        out["wall"][n], out["cpu"][n] = t["wall"], t["cpu"]
        emit(f"{name}_{preset}_cell_{n}_seconds", round(t["wall"], 1), "report", cpu_seconds=round(t["cpu"], 1),
             full_epochs=full, train_inputs=inputs, measured_epochs=epochs,
             measured="baseline" if not n else "baseline, per training input", extrapolated=True)
    gan_id = gan_run.submit_gan(experiment_plan.gan_config(plan, cell), root, name, preset=cell["gan"])
    cpu = timed(gan_run.run_gan, gan_id)
    g = runs.load(gan_id)
    gcfg = config.gan_preset(cell["gan"])
    t = extrapolated(g, cpu, [(g["train_seconds"], gcfg.epochs / epochs),
                              (g["reference_seconds"], gcfg.ref_epochs / epochs)])
    reused = g["reference_seconds"] < 0.05 * base["train_seconds"]  # the judge was that baseline (same recipe)
    for clock in ("wall", "cpu"):  # a Ray task trains its own judge
        out[clock]["gan"] = t[clock] + (out[clock][0] if reused else 0.0)
    emit(f"{name}_{cell['gan']}_gan_seconds", round(out["wall"]["gan"], 1), "report",
         cpu_seconds=round(out["cpu"]["gan"], 1), gan_epochs=gcfg.epochs, reference_epochs=gcfg.ref_epochs,
         measured_epochs=epochs, extrapolated=True, note="with its reference classifier, as a Ray task trains it")
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
    """The full table's Ray tasks in the order :mod:`core.orchestration.cluster` sends them:
    ``times[data][arm][cell]``."""
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
    for clock, meaning in (("wall", "each worker one core as fast as one here under this load"),
                           ("cpu", "each worker one idle core of this CPU (CPU seconds measured here)")):
        jobs = study_tasks({name: {arm: t[clock] for arm, t in arms.items()} for name, arms in times.items()})
        for workers in (1, 4, 16):
            emit(f"study_table_hours_on_{workers}_workers_{clock}", round(makespan(jobs, workers) / 3600, 2),
                 "report", tasks=len(jobs), cells=sum(1 for t in jobs if "/gan/" not in t[0]), extrapolated=True,
                 note=f"paper + recommended arms, 5 seeds, baseline/+70/+150, demo and gtzan-mini; {meaning}")


if __name__ == "__main__":
    main()
