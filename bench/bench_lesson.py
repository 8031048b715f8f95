"""Benchmark the lesson (the study in miniature, :mod:`core.orchestration.lesson`) on the demo set: wall time to finish.

Prints one JSON line per figure:

- ``lesson_demo_seconds`` (target <= 300): from queueing the lesson to its last run finishing, as the
  background worker runs it (a fresh data folder, so the demo set's log-mels are extracted cold inside
  the first run; generating the demo audio itself happens when the app opens and is not counted);
- ``lesson_step_seconds``: each step's own time (its run record's started → finished);
- ``lesson_accuracy``: the three classifiers' test accuracy with its 95 % interval.

Every line carries the load average (:mod:`common`): the project's 2-core machine is shared.

    python bench/bench_lesson.py [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import emit, scratch_dir, settle  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="data folder to use (default: a new temporary one)")
    args = parser.parse_args()
    os.environ["GENRELAB_DATA_DIR"] = args.data_dir or scratch_dir("genrelab-lesson-")
    from core.orchestration import lesson
    from core.storage import queue
    from core.storage import runs
    from core.base.demo import make_demo_dataset

    root = make_demo_dataset()
    settle()
    start = time.perf_counter()
    lesson_id = lesson.submit(root, "demo")  # starts the app's background worker, as the Home button does
    record = lesson.load(lesson_id)
    while not (state := lesson.status(lesson.advance(lesson_id)))["finished"]:
        queue.ensure_worker()
        time.sleep(1.0)
    seconds = time.perf_counter() - start
    emit("lesson_demo_seconds", round(seconds, 1), "<= 300", timed=True,
         finished=state["finished"], failed=state["failed"],
         load_average_5_15=[round(x, 2) for x in os.getloadavg()[1:]])
    for step, run_id in record["steps"].items():
        r = runs.load(run_id)
        emit("lesson_step_seconds", round(r["finished"] - r["started"], 1), timed=True, step=step, status=r["status"])
    for run_id in state["classifiers"]:
        r, acc = runs.load(run_id), runs.result(run_id)["accuracy"]
        emit("lesson_accuracy", round(acc["value"], 3), run=r["name"], lo=round(acc["lo"], 3),
             hi=round(acc["hi"], 3), n=acc["n"], split=r.get("split_name"))


if __name__ == "__main__":
    main()
