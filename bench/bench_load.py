"""Load figure: N browser sessions at once on one local server (default 8), in Debian's chromium.

Each session opens the Train page with a tiny config and its own seed, then all press "Start
training" at once; the figure is how long the N pages took to render together, and how long the N
queued trainings took, which the one worker runs one after another (it also checks they never
overlapped). The test suite holds 4 sessions (tests/browser/test_load.py) with the same function.

    python bench/bench_load.py [--sessions 8]
"""

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from playwright.sync_api import expect, sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TINY = "epochs=1&hidden_size=16&num_layers=1&segment_seconds=1.0&batch_size=8"


def hold_sessions(browser, app_url: str, sessions: int, dataset: str = "tones") -> dict:
    """Open ``sessions`` browser contexts on the Train page, start one tiny training in each, wait for all.

    Returns ``{"sessions", "render_seconds", "jobs_seconds", "runs"}``; ``runs`` are the new run records
    (read from the server's data folder, which ``GENRELAB_DATA_DIR`` must name in this process).
    """
    from core.storage import runs

    before = {r["id"] for r in runs.list_runs("clf")}
    contexts = [browser.new_context() for _ in range(sessions)]
    pages = [c.new_page() for c in contexts]
    start = time.perf_counter()
    for i, page in enumerate(pages):
        page.goto(f"{app_url}/train?dataset={dataset}&preset=recommended&{TINY}&seed={i}", wait_until="commit")
    for page in pages:
        expect(page.get_by_role("button", name="Start training")).to_be_visible(timeout=60_000 * sessions)
    render_seconds = time.perf_counter() - start
    for page in pages:
        page.get_by_role("button", name="Start training").click()
    for page in pages:
        expect(page.get_by_text("Test accuracy")).to_be_visible(timeout=60_000 * sessions)
    new = [r for r in runs.list_runs("clf") if r["id"] not in before]
    for c in contexts:
        c.close()
    spans = sorted((r["started"], r["finished"]) for r in new)
    return {"sessions": sessions, "render_seconds": render_seconds, "jobs_seconds": spans[-1][1] - spans[0][0],
            "runs": new, "overlapped": any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:]))}


def write_tones(root: Path) -> Path:
    """3 labels x 4 clips of 2 s tones at different pitches (the tests' tiny dataset)."""
    sr = 22050
    t = np.arange(2 * sr) / sr
    for i, label in enumerate(("low", "mid", "high")):
        for k in range(4):
            (root / label).mkdir(parents=True, exist_ok=True)
            y = 0.5 * np.sin(2 * np.pi * 110.0 * 2**i * (1 + 0.05 * k) * t)
            sf.write(root / label / f"{label}.{k:05d}.wav", y.astype(np.float32), sr)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    args = parser.parse_args()
    from common import emit, scratch_dir, settle  # on sys.path when run as a script (tests import hold_sessions only)

    work = Path(scratch_dir("genrelab-load-"))
    env = {**os.environ, "GENRELAB_DATA_DIR": str(work / "data"),
           "GENRELAB_DATASETS": f"tones={write_tones(work / 'tones')}"}
    os.environ.update(env)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    load = settle()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import urllib.request

        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            out = hold_sessions(browser, f"http://127.0.0.1:{port}", args.sessions)
            browser.close()
    finally:
        server.terminate()
    done = sum(r["status"] == "done" for r in out["runs"])
    emit(f"load_{args.sessions}_sessions_render_seconds", round(out["render_seconds"], 1), "< 60", timed=True,
         load_before=load)
    emit(f"load_{args.sessions}_sessions_jobs_seconds", round(out["jobs_seconds"], 1), timed=True, load_before=load,
         runs_done=done, overlapped=out["overlapped"])


if __name__ == "__main__":
    main()
