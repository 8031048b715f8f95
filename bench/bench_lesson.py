"""Benchmark the lesson (the study in miniature, :mod:`core.orchestration.lesson`) on the demo set: wall time to finish.

Runs the whole lesson, then the quick lesson (every LSTM and the GAN :data:`~core.orchestration.lesson.QUICK_EPOCHS`
epochs), each in a fresh data folder, as the background worker runs them with no page open. Prints one JSON line
per figure (Home promises the two durations from them):

- ``lesson_demo_seconds`` (target <= 300) and ``lesson_quick_demo_seconds`` (target <= 90): from queueing the
  lesson to its end (the demo set's log-mels and summaries are computed cold inside the first steps; generating
  the demo audio itself happens when the app opens and is not counted);
- ``lesson_step_seconds_<step>``, ``lesson_quick_step_seconds_<step>``: each step's own time (its run record's
  started → finished);
- ``lesson_accuracy_<step>``: the whole lesson's classifiers' test accuracy with its 95 % interval.

Every line carries the load average (:mod:`common`): the project's 2-core machine is shared.

    python bench/bench_lesson.py [--quick-only]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import emit, scratch_dir, settle  # noqa: E402


def run(quick: bool) -> None:
    """Time one lesson on the demo set in a new data folder and print its figures."""
    os.environ["GENRELAB_DATA_DIR"] = scratch_dir("genrelab-lesson-")
    from core.base.demo import make_demo_dataset
    from core.orchestration import lesson
    from core.storage import runs

    root = make_demo_dataset()
    load = settle()
    start = time.perf_counter()
    lesson_id = lesson.submit(root, "demo", quick=quick)  # starts the app's background worker, as Home's button does
    while lesson.load(lesson_id)["status"] in runs.ACTIVE:
        time.sleep(1.0)
    seconds = time.perf_counter() - start
    record = lesson.load(lesson_id)
    state = lesson.status(record)
    prefix = "lesson_quick" if quick else "lesson"
    emit(f"{prefix}_demo_seconds", round(seconds, 1), "<= 90" if quick else "<= 300", timed=True, load_before=load,
         status=record["status"], failed=state["failed"], load_average_5_15=[round(x, 2) for x in os.getloadavg()[1:]])
    for step, run_id in record["steps"].items():
        r = runs.load(run_id)
        emit(f"{prefix}_step_seconds_{step}", round(r["finished"] - r["started"], 1), timed=True, load_before=load,
             status=r["status"])
    if quick:
        return
    for step in lesson.CLASSIFIERS:
        r, acc = runs.load(record["steps"][step]), (runs.result(record["steps"][step]) or {}).get("accuracy")
        if acc:
            emit(f"lesson_accuracy_{step}", round(acc["value"], 3), run=r["name"], lo=round(acc["lo"], 3),
                 hi=round(acc["hi"], 3), n=acc["n"], split=r.get("split_name"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick-only", action="store_true", help="time the quick lesson alone")
    args = parser.parse_args()
    if not args.quick_only:
        run(quick=False)
    run(quick=True)


if __name__ == "__main__":
    main()
