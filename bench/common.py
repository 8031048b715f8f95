"""What every bench script shares: one JSON line per figure, with the machine's load when it was measured.

    from common import emit          # bench/ is on sys.path when a script in it runs
    emit("demo_generation_seconds", 6.6, "<= 30", clips=200)

prints ``{"figure": ..., "value": ..., "target": ..., "load_average": <1-min load>, "torch_threads": <n>,
...extra}``. ``bench/run_all.py`` collects these lines into ``bench/results.json``. ``scratch_dir()`` is a
temporary folder (a bench's data folder) removed when the script exits.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile


def emit(figure: str, value, target: str = "", **extra) -> dict:
    """Print one figure as a JSON line and return it.

    Floats are rounded to 4 significant digits. ``load_average`` is the 1-minute load average at the moment of
    printing (2 cores here: above 2, something else was competing); ``torch_threads`` is added when
    the script imported torch.
    """
    line = {"figure": figure, "value": float(f"{value:.4g}") if isinstance(value, float) else value, "target": target,
            "load_average": round(os.getloadavg()[0], 2)}
    if "torch" in sys.modules:
        line["torch_threads"] = sys.modules["torch"].get_num_threads()
    line.update(extra)
    print(json.dumps(line), flush=True)
    return line


def scratch_dir(prefix: str = "genrelab-bench-") -> str:
    """A new temporary folder, removed with everything in it when the script exits.

    A bench's data folder holds its runs and feature cache (up to GBs); left behind, they filled /tmp.
    """
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
