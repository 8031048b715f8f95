"""App figures: cold start to an interactive home page, and page switch time, in Debian's chromium.

Starts ``streamlit run`` on a free loopback port with a fresh data folder (the demo set is
generated beforehand so it is not counted), then times with Playwright:
cold start = process start → home page heading and dataset line visible;
page switch = click in the sidebar → the next page's title visible (mean over the pages). After every page has
been visited, the server's peak resident memory (the kernel's ``VmHWM``) is a figure too, recorded at any load.

    python bench/bench_app.py
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from common import emit, scratch_dir, settle

REPO = Path(__file__).resolve().parent.parent
PAGES = [("Dataset", "Dataset"), ("Train", "Train a genre classifier"), ("GAN", "GAN"), ("Compare", "Compare runs"),
         ("Predict", "Predict"), ("Home", "GenreLab")]


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory (MB, 2^20 bytes) of live process ``pid`` so far, from /proc (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def main() -> None:
    env = {**os.environ, "GENRELAB_DATA_DIR": scratch_dir()}
    subprocess.run([sys.executable, "-m", "core", "demo"], cwd=REPO, env=env, check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        settle()
        start = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port",
                                   str(port), "--server.headless", "true"], cwd=REPO, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                    break
                except Exception:
                    time.sleep(0.1)
            expect(page.get_by_text("Active dataset")).to_be_visible(timeout=60_000)
            cold = time.perf_counter() - start
            switches = {}
            for link, heading in PAGES:
                t = time.perf_counter()
                page.get_by_role("link", name=link, exact=True).first.click()
                expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=30_000)
                switches[link] = round(time.perf_counter() - t, 2)
            peak = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            browser.close()
    emit("app_cold_start_seconds", round(cold, 2), "<= 3", timed=True)
    emit("page_switch_seconds_mean", round(sum(switches.values()) / len(switches), 2), "<= 0.5", timed=True,
         per_page=switches)
    emit("page_switch_seconds_slowest", max(switches.values()), "<= 1", timed=True, page=max(switches, key=switches.get))
    emit("app_server_peak_rss_mb", round(peak, 1), "<= 600", pages=[link for link, _ in PAGES],
         note="streamlit server process after one session visited every page on the demo set, no runs")


if __name__ == "__main__":
    main()
