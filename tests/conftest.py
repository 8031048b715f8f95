"""Shared fixtures: every test writes under its own temporary data folder."""

import re
from pathlib import Path

import numpy as np
import pytest
from helpers import write_tone

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GTZAN_MINI = SHARED_DATA / "gtzan-mini"
GTZAN_SPLITS = SHARED_DATA / "gtzan-splits"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Point GENRELAB_DATA_DIR at a fresh folder so no test touches the real data folder."""
    root = tmp_path / "genrelab-data"
    monkeypatch.setenv("GENRELAB_DATA_DIR", str(root))
    return root


@pytest.fixture
def gtzan_mini():
    if not GTZAN_MINI.is_dir():
        pytest.skip(f"real GTZAN subset not found at {GTZAN_MINI} (only on project machines)")
    return GTZAN_MINI


@pytest.fixture
def tone_dataset(tmp_path):
    """A tiny folder-per-label dataset: 3 labels x 4 clips of 2 s tones at different pitches."""
    root = tmp_path / "tones"
    for i, label in enumerate(("low", "mid", "high")):
        for k in range(4):
            write_tone(root / label / f"{label}.{k:05d}.wav", freq=110.0 * (2 ** i) * (1 + 0.05 * k))
    return root


@pytest.fixture
def fake_gan_tasks(monkeypatch) -> dict:
    """Stand-ins for the GAN jobs and augmented classifier runs: they record calls and write tiny results."""
    from core.base import config
    from core.compute import scores
    from core.orchestration import classifier, gan_run
    from core.storage import runs

    log = {"gans": [], "augment": [], "trained": []}

    def submit_gan(cfg, root, data_name, name="", preset=""):
        log["gans"].append((cfg.model, cfg.split, cfg.seed))
        return runs.create("gan", name, config.to_dict(cfg), dataset={"name": data_name, "root": str(root)})

    def run_gan(run_id, progress=None):
        runs.update(run_id, status="done")

    def submit_classifier(cfg, root, data_name, name="", preset="custom", augment=None, baseline=None):
        log["augment"].append(augment)
        return runs.create("clf", name, config.to_dict(cfg), preset=preset, augment=augment,
                           dataset={"name": data_name, "root": str(root)})

    def run_classifier(run_id, progress=None):
        log["trained"].append(run_id)
        record = runs.load(run_id)
        seed = record["config"]["seed"]
        y = np.arange(10) % 2
        pred = np.where(np.arange(10) < 5 + len(log["trained"]) % 3, y, 1 - y)
        res = scores.classification_result(np.eye(2)[pred], y, [f"c/{record['config']['split']}/{seed}-{i}"
                                                                for i in range(10)], ("a", "b"))
        runs.write_json(runs.run_path(run_id) / "result.json", res)
        runs.update(run_id, status="done", split_name=f"split of seed {seed}",
                    train_inputs=100 + 10 * (record.get("augment") or {}).get("per_genre", 0),
                    dataset={**record["dataset"], "fingerprint": "f"})
        if progress:
            progress({"epoch": 1, "epochs": 1, "eta_seconds": 0.0})
        return res

    for module, fn in [(gan_run, submit_gan), (gan_run, run_gan), (classifier, submit_classifier),
                       (classifier, run_classifier)]:
        monkeypatch.setattr(module, fn.__name__, fn)
    return log


@pytest.fixture
def app_on_tones(tone_dataset, monkeypatch):
    """An AppTest of the whole app with the tone dataset active (``?dataset=tones``) and no background worker."""
    from streamlit.testing.v1 import AppTest

    from core.storage import queue

    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    monkeypatch.setattr(queue, "ensure_worker", lambda: None)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), default_timeout=60)
    at.query_params["dataset"] = "tones"
    return at


CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_env(tmp_path_factory):
    """Data folder and allow-listed tiny dataset shared by the browser tests' server."""
    root = tmp_path_factory.mktemp("browser")
    tones = root / "tones"
    for i, label in enumerate(("low", "mid", "high")):
        for k in range(4):
            write_tone(tones / label / f"{label}.{k:05d}.wav", freq=110.0 * (2 ** i) * (1 + 0.05 * k))
    # the same registers under another collection's names, plus a genre the model lacks; no clip is a copy of a tones
    # clip (a check leaves copies of the run's own clips out)
    other = root / "tones-other"
    for i, label in enumerate(("LOW", "Mid", "High", "Noise")):
        for k in range(2):
            write_tone(other / label / f"{label}-{k}.wav", freq=110.0 * (2 ** i) * (1.02 + 0.07 * k))
    env = {"GENRELAB_DATA_DIR": str(root / "data"), "GENRELAB_DATASETS": f"tones={tones};tones-other={other}"}
    if GTZAN_MINI.is_dir():
        env["GENRELAB_DATASETS"] += f";gtzan-mini={GTZAN_MINI}"
    return env


@pytest.fixture(scope="session")
def app_url(browser_env):
    """A real ``streamlit run`` of the app on a free loopback port, stopped after the session."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    log = open(Path(browser_env["GENRELAB_DATA_DIR"]).parent / "streamlit.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=REPO, env={**os.environ, **browser_env}, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


ARTIFACTS = REPO / "test-artifacts"
STREAMLIT_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")


@pytest.fixture
def page(browser, app_url, request):
    """A fresh browser page that fails the test on any console error or Streamlit exception box.

    A screenshot of the last state is saved under ``test-artifacts/`` whatever the outcome.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []

    def on_console(msg):  # failed loads are judged by URL below, where Streamlit's own probes can be told apart
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            errors.append(msg.text)

    def on_response(response):  # a deep link makes Streamlit probe <page>/_stcore/… first, then the root
        if response.status >= 400 and not STREAMLIT_PROBE.search(response.url):
            errors.append(f"HTTP {response.status} {response.url}")

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("response", on_response)
    pg.app_url = app_url
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    exceptions = pg.locator("[data-testid='stException']").all_inner_texts()
    context.close()
    assert not exceptions, f"Streamlit exception shown: {exceptions}"
    assert not errors, f"browser console errors: {errors}"
