"""Screenshots of every page for README, taken in Chromium after a quick lesson on the demo set.

    python tools/screenshots.py            # rewrite docs/screenshots/*.png (minutes: it trains a quick lesson)

It starts ``streamlit run`` on a free loopback port with a fresh, private data folder (``GENRELAB_DATA_DIR``;
the demo set is generated there on first use, and no operator dataset is registered), runs Home's quick
lesson (so Train, GAN, Compare and Predict have runs to show), visits every page of
:data:`SHOTS` at 1400 px and the pages of :data:`NARROW` at 390 px, and writes each as a palette PNG under
``docs/screenshots/``. The server, the background worker it started and the data folder are gone when it
ends, so running it twice gives the same files (up to what the lesson's training draws on a busy machine).
Needs ``requirements-test.txt`` (Playwright) and Debian's ``chromium``.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDE, NARROW_WIDTH, HEIGHT, NARROW_HEIGHT = 1400, 390, 900, 844
MAX_BYTES = 200_000
QUICK_LESSON = "lesson_gan_set=ref_epochs=5"
"""Home's link parameters for the quick lesson: its GAN's judging classifier trained 5 epochs too (minutes saved)."""
FINISHED = {"done", "failed", "cancelled", "interrupted"}


@dataclass(frozen=True)
class Shot:
    """One page's screenshot: its ``url_path`` in ``streamlit_app.py``'s navigation, the query it opens with
    (``{gan}``, ``{recommended}``, ``{pretrained}`` and ``{classifiers}`` are the lesson's run ids), and the
    text to bring to the top of the view before the picture (``""``: the top of the page)."""

    url_path: str
    query: str = ""
    scroll_to: str = ""


SHOTS = (
    Shot("home"),
    Shot("dataset"),
    Shot("train", "run={recommended}", scroll_to="Manage this run"),
    Shot("gan", "run={gan}", scroll_to="Manage this run"),
    Shot("compare", "runs={classifiers}"),
    Shot("predict", "run={pretrained}", scroll_to="Predicted genre"),
    Shot("glossary"),
)
"""Every page of the app's navigation, in its order (``tests`` check that none is missing)."""

NARROW = ("home", "compare")
"""Pages also taken at phone width."""


def compress(png: bytes, max_bytes: int = MAX_BYTES) -> bytes:
    """A screenshot as an optimised palette PNG of the same size, with fewer colours until it fits ``max_bytes``
    (down to 32 colours; a larger image is returned rather than an unreadable one)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    for colours in (256, 128, 64, 32):
        out = io.BytesIO()
        image.quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, "PNG", optimize=True)
        if out.tell() <= max_bytes:
            break
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """``streamlit run`` in its own process group; returns it and its URL once it answers."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"],
                            cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.5)
    stop(proc, env)
    raise SystemExit(f"streamlit did not answer within 120 s; see {log}")


def workers_of(data_dir: str) -> list[int]:
    """Pids of ``python -m core worker`` processes writing into ``data_dir`` (the app starts them in their own
    session, so stopping the server's process group leaves them)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline[1:4] == [b"-m", b"core", b"worker"] and f"GENRELAB_DATA_DIR={data_dir}".encode() in environ:
            pids.append(int(proc.name))
    return pids


def stop(proc: subprocess.Popen, env: dict[str, str]) -> None:
    """Stop the server's process group and the background workers it started for this data folder."""
    for pid in workers_of(env["GENRELAB_DATA_DIR"]):
        os.kill(pid, signal.SIGTERM)
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def settled(page) -> None:
    """Wait until the page's script run is over and nothing on it is still loading."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=180_000)
    for test_id in ("stSkeleton", "stSpinner"):
        expect(page.get_by_test_id(test_id)).to_have_count(0, timeout=180_000)
    page.wait_for_timeout(2500)  # charts draw after the script run ends


def lesson_runs(timeout: float) -> dict[str, str]:
    """Wait until every queued run has finished; the lesson's run ids as :class:`Shot` queries name them."""
    from core.storage import runs

    deadline = time.time() + timeout
    while time.time() < deadline:
        records = runs.list_runs()
        if records and all(r["status"] in FINISHED for r in records):
            break
        time.sleep(5)
    else:
        raise SystemExit(f"the lesson did not finish within {timeout:.0f} s")
    failed = [f"{r['name']}: {r['status']} ({r.get('error')})" for r in records if r["status"] != "done"]
    if failed:
        raise SystemExit("the lesson did not end well: " + "; ".join(failed))
    classifiers = [r for r in sorted(records, key=lambda r: r["created"]) if r["kind"] == "clf"]
    named = {r["name"]: r["id"] for r in records}
    return {"gan": next(r["id"] for r in records if r["kind"] == "gan"),
            "recommended": next(i for n, i in named.items() if n.startswith("lesson: recommended LSTM on")),
            "pretrained": next(i for n, i in named.items() if "pretrained ear" in n),
            "classifiers": ",".join(r["id"] for r in classifiers)}


def demo_clip(data_dir: Path) -> Path:
    """A rock clip of the generated demo set, for Predict."""
    return sorted((data_dir / "demo").rglob("rock/*.wav"))[0]


def take(browser, url: str, shot: Shot, ids: dict[str, str], width: int, height: int, data_dir: Path) -> Path:
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        query = shot.query.format(**ids)
        page.goto(f"{url}/{shot.url_path}" + (f"?{query}" if query else ""))
        settled(page)
        if shot.url_path == "predict":
            page.locator("input[type=file]").first.set_input_files(str(demo_clip(data_dir)))
            page.get_by_text(shot.scroll_to).first.wait_for(timeout=180_000)
            settled(page)
        if shot.scroll_to:
            page.get_by_text(shot.scroll_to).first.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(1000)
        name = shot.url_path if width == WIDE else f"{shot.url_path}-{width}"
        path = OUT / f"{name}.png"
        path.write_bytes(compress(page.screenshot()))
        return path
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lesson-timeout", type=float, default=1800, help="seconds to wait for the quick lesson")
    ap.add_argument("--only", nargs="+", choices=[s.url_path for s in SHOTS], help="photograph these pages only "
                    "(the lesson runs only when one of them shows its runs)")
    args = ap.parse_args(argv)
    shots = [s for s in SHOTS if not args.only or s.url_path in args.only]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="genrelab-screenshots-") as tmp:
        data_dir = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GENRELAB_")}
        env["GENRELAB_DATA_DIR"] = os.environ["GENRELAB_DATA_DIR"] = str(data_dir)
        sys.path.insert(0, str(REPO))
        proc, url = start_server(env, Path(tmp) / "streamlit.log")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                ids = {}
                if any("{" in s.query for s in shots):
                    page = browser.new_page(viewport={"width": WIDE, "height": HEIGHT})
                    page.goto(f"{url}/home?{QUICK_LESSON}")
                    page.get_by_role("button", name="Quick lesson").click(timeout=300_000)
                    ids = lesson_runs(args.lesson_timeout)
                    page.close()
                OUT.mkdir(parents=True, exist_ok=True)
                for shot in shots:
                    for width, height in ((WIDE, HEIGHT), (NARROW_WIDTH, NARROW_HEIGHT)):
                        if width == WIDE or shot.url_path in NARROW:
                            path = take(browser, url, shot, ids, width, height, data_dir)
                            print(f"{path.relative_to(REPO)}: {path.stat().st_size // 1000} kB")
                browser.close()
        finally:
            stop(proc, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
