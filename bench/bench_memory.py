"""Memory figures: peak resident memory of the background worker during a recommended training, and of
``python -m core evaluate`` checking that run on musifeast-7.

Prints one JSON line per figure (megabytes, 1 MB = 2^20 bytes). The app server's peak after visiting every
page is ``bench_app.py``'s figure (it already drives the pages). A recommended run is queued on the demo set
in a temporary GENRELAB_DATA_DIR and run by a worker this script starts (``python -m core worker``, exactly
what the app starts); the worker's peak comes from the kernel when it exits (``wait4``'s ``ru_maxrss``). The
evaluate figure is skipped with a line saying why where ../shared/data/musifeast-7 is absent. Memory does not
depend on the machine's load, so these figures are recorded at any load.

    python bench/bench_memory.py [--epochs N]     # N: the recommended preset's epochs unless given
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from common import emit, scratch_dir  # noqa: E402

MUSIFEAST = REPO.parent / "shared" / "data" / "musifeast-7"


def run_peak_rss_mb(args: list[str], env: dict) -> tuple[float, int]:
    """Run ``python args`` in the repository; returns its peak resident memory (MB) and its exit status."""
    proc = subprocess.Popen([sys.executable, *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, proc.returncode  # ru_maxrss is in KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, help="epochs of the recommended run (default: the preset's)")
    args = ap.parse_args()
    os.environ["GENRELAB_DATA_DIR"] = scratch_dir("genrelab-memory-")
    from core.orchestration import classifier
    from core.storage import queue
    from core.storage import runs
    from core.base.config import preset
    from core.base.demo import make_demo_dataset

    cfg = preset("recommended", **({"epochs": args.epochs} if args.epochs else {}))
    run_id = classifier.submit_classifier(cfg, make_demo_dataset(), "demo", preset="recommended")
    queue.enqueue(run_id, "classifier", start_worker=False)
    worker, status = run_peak_rss_mb(["-m", "core", "worker"], dict(os.environ))
    if status or runs.load(run_id)["status"] != "done":
        sys.exit(f"the worker exited with {status}, run {run_id} is {runs.load(run_id)['status']}")
    emit("worker_recommended_training_peak_rss_mb", round(worker, 1), "report", run=run_id, epochs=cfg.epochs,
         dataset="demo (200 clips x 10 s)", note="python -m core worker running one queued recommended run, "
         "feature extraction included; peak resident set from wait4")
    if not MUSIFEAST.is_dir():
        emit("evaluate_musifeast7_peak_rss_mb", None, "skipped", note=f"{MUSIFEAST} not found")
        return
    evaluate, status = run_peak_rss_mb(["-m", "core", "evaluate", "--run", run_id, "--data", str(MUSIFEAST), "--json"],
                                   dict(os.environ))
    if status:
        sys.exit(f"python -m core evaluate exited with {status}")
    emit("evaluate_musifeast7_peak_rss_mb", round(evaluate, 1), "report", run=run_id,
         note="python -m core evaluate --run (the worker's demo run) --data musifeast-7: 147 clips decoded, "
              "framed and classified; peak resident set from wait4")


if __name__ == "__main__":
    main()
