"""Server side of the app's cold start: a fresh process runs Home once (AppTest), without a browser.

The browser figures of ``bench_app.py`` swing by tens of seconds on a shared, loaded machine; this one
isolates what the code controls: imports and Home's first script run. It also says whether torch and
scikit-learn were loaded (Home needs neither). Run it against another checkout with ``--repo`` to compare,
alternating, on the same machine load.

    python bench/bench_home_start.py [--repo DIR ...] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from common import emit, scratch_dir, settle

REPO = Path(__file__).resolve().parent.parent
ONE_RUN = """
import json, os, sys, time
t = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("streamlit_app.py", default_timeout=300)
at.run()
print(json.dumps({"seconds": round(time.perf_counter() - t, 2), "torch": "torch" in sys.modules,
                  "sklearn": "sklearn" in sys.modules, "exception": bool(at.exception)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", action="append", help="checkout(s) to time (default: this one)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per checkout (default 3)")
    args = parser.parse_args()
    env = {**os.environ, "GENRELAB_DATA_DIR": scratch_dir("genrelab-home-")}
    subprocess.run([sys.executable, "-m", "core", "demo"], cwd=REPO, env=env, check=True, capture_output=True)
    repos = [Path(r).resolve() for r in args.repo or [REPO]]
    times: dict[Path, list[dict]] = {r: [] for r in repos}
    loads: dict[Path, list[float]] = {r: [] for r in repos}
    for _ in range(args.repeat):
        for repo in repos:  # alternating, so every checkout sees the same machine load
            loads[repo].append(settle())
            out = subprocess.run([sys.executable, "-c", ONE_RUN], cwd=repo, env=env, capture_output=True, text=True)
            times[repo].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for repo, rows in times.items():
        emit("home_first_run_seconds", round(sum(r["seconds"] for r in rows) / len(rows), 2), "report", timed=True,
             load_before=max(loads[repo]),
             repo=str(repo), runs=[r["seconds"] for r in rows], torch_loaded=rows[0]["torch"],
             sklearn_loaded=rows[0]["sklearn"])


if __name__ == "__main__":
    main()
