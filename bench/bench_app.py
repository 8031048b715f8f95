"""App figures: cold start to an interactive home page, page switches and each page's first visit, in Debian's chromium.

Starts ``streamlit run`` on a free loopback port with a fresh data folder (the demo set is generated and its
log-mels cached beforehand, so neither is counted), then times with Playwright:

- cold start = process start → home page heading and dataset line visible (the median over every server started):
  Home is usable then, while its chart may still be drawing (the time until it is drawn is a figure too); page
  switches and first visits start from a drawn Home;
- page switch = click in the sidebar → the next page's title visible, the app done running and every chart on it
  drawn, one server visiting the six pages in turn (mean and slowest);
- first visit = a fresh server's Home, then one click → that page's title visible, the app done running and its
  charts drawn: each page once on the demo set, and Dataset on gtzan-mini (``../shared/data/gtzan-mini``,
  registered and active, its log-mels cached; skipped, saying why, where that folder is absent);
- the floor: ``streamlit run`` of a one-line script to its title, what no change of GenreLab can go below.

After every page has been visited, the server's peak resident memory (the kernel's ``VmHWM``) is a figure too,
recorded at any load. Every timing starts with :func:`common.settle` and no server of ours running but the one it
times (servers are stopped before the next settles), so the load it records is the machine's, not our last server's.

    python bench/bench_app.py
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from common import emit, scratch_dir, settle

REPO = Path(__file__).resolve().parent.parent
GTZAN_MINI = REPO.parent / "shared" / "data" / "gtzan-mini"
PAGES = [("Dataset", "Dataset"), ("Train", "Train a genre classifier"), ("GAN", "GAN"), ("Compare", "Compare runs"),
         ("Predict", "Predict"), ("Home", "GenreLab")]
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
"""The app's root while no script run is under way (Streamlit's own end-to-end tests wait on this attribute)."""
CHARTS_DRAWN = """() => !document.querySelector('[data-testid="stSkeleton"]') &&
    [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(chart => chart.querySelector('.main-svg'))"""
"""True once no element is still a placeholder (Streamlit shows one while it loads a chart's library, the first
time) and every plotly chart on the page has been drawn: the browser's share of a page, charged to the page that
shows the charts, not to the next click."""
FLOOR_SCRIPT = 'import streamlit as st\nst.title("Floor")\n'


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory (MB, 2^20 bytes) of live process ``pid`` so far, from /proc (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(script: str, env: dict, page, query: str = "", ready=lambda page: page.get_by_text("Active dataset")):
    """Start ``streamlit run script``, open it in ``page`` and yield (process, seconds from start to ``ready``);
    the server is stopped (and waited for) on leaving, so the next timing's settle sees none of its work."""
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
                             "--server.headless", "true"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/{query}", timeout=2000)
                break
            except Exception:
                time.sleep(0.1)
        expect(ready(page)).to_be_visible(timeout=60_000)
        yield proc, time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def seconds_until_drawn(page) -> float:
    """Seconds until every chart on the page in ``page`` is drawn (:data:`CHARTS_DRAWN`)."""
    start = time.perf_counter()
    page.wait_for_function(CHARTS_DRAWN, timeout=120_000)
    return time.perf_counter() - start


def visit(page, link: str, heading: str) -> float:
    """Seconds from a click on ``link`` in the sidebar to ``heading`` visible, the app done running and every chart
    on the page drawn."""
    start = time.perf_counter()
    page.get_by_role("link", name=link, exact=True).first.click()
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=120_000)
    expect(page.locator(DONE)).to_have_count(1, timeout=120_000)  # the new page's run drew the title, then ended
    seconds_until_drawn(page)
    return round(time.perf_counter() - start, 2)


def main() -> None:
    env = {**os.environ, "GENRELAB_DATA_DIR": scratch_dir()}
    if GTZAN_MINI.is_dir():
        env["GENRELAB_DATASETS"] = f"gtzan-mini={GTZAN_MINI}"
    for data in [[], ["--data", str(GTZAN_MINI)]][:1 + GTZAN_MINI.is_dir()]:
        subprocess.run([sys.executable, "-m", "core", "extract", *data], cwd=REPO, env=env, check=True,
                       capture_output=True)
    floor_script = Path(env["GENRELAB_DATA_DIR"]) / "floor.py"
    floor_script.write_text(FLOOR_SCRIPT)
    colds, cold_loads, firsts = [], [], {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        floor_load = settle()
        with server(str(floor_script), env, page, ready=lambda p: p.get_by_role("heading", name="Floor")) as (_, floor):
            pass
        cold_loads.append(settle())
        with server("streamlit_app.py", env, page) as (proc, cold):
            colds.append(cold)
            drawn = cold + seconds_until_drawn(page)
            switch_load = settle()
            switches = {link: visit(page, link, heading) for link, heading in PAGES}
            peak = peak_rss_mb(proc.pid)
        visits = [(link, heading, link, "") for link, heading in PAGES if link != "Home"]
        if GTZAN_MINI.is_dir():
            visits.append(("Dataset", "Dataset", "Dataset on gtzan-mini", "?dataset=gtzan-mini"))
        for link, heading, name, query in visits:
            load = settle()
            with server("streamlit_app.py", env, page, query) as (_, cold):
                colds.append(cold)
                cold_loads.append(load)
                seconds_until_drawn(page)
                firsts[name] = (visit(page, link, heading), load)
        browser.close()
    emit("app_cold_start_seconds", round(statistics.median(colds), 2), "<= 3", timed=True, load_before=max(cold_loads),
         runs=[round(c, 2) for c in colds])
    emit("app_home_drawn_seconds", round(drawn, 2), "report", timed=True, load_before=cold_loads[0],
         note="the first server's start to Home's chart drawn (the browser loads plotly's library for it)")
    emit("app_cold_start_floor_seconds", round(floor, 2), "report", timed=True, load_before=floor_load,
         note="streamlit run of a one-line script (st.title) to its title: the server's own start")
    emit("page_switch_seconds_mean", round(sum(switches.values()) / len(switches), 2), "<= 0.5", timed=True,
         load_before=switch_load, per_page=switches)
    emit("page_switch_seconds_slowest", max(switches.values()), "<= 1", timed=True, load_before=switch_load,
         page=max(switches, key=switches.get))
    for name, (seconds, load) in firsts.items():
        emit(f"first_visit_seconds_{name.lower().replace(' ', '_').replace('-', '_')}", seconds, "<= 5", timed=True,
             load_before=load, note="a fresh server's Home, then one click: title visible, the app done running, "
                                    "charts drawn; log-mels cached")
    if not GTZAN_MINI.is_dir():
        print(f"first visit of Dataset on gtzan-mini skipped: {GTZAN_MINI} is absent", file=sys.stderr)
    emit("app_server_peak_rss_mb", round(peak, 1), "<= 600", pages=[link for link, _ in PAGES],
         note="streamlit server process after one session visited every page on the demo set, no runs")


if __name__ == "__main__":
    main()
