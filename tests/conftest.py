"""Shared fixtures: every test writes under its own temporary data folder."""

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

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


def write_tone(path: Path, seconds: float = 2.0, sr: int = 22050, freq: float = 440.0, channels: int = 1,
               subtype: str = "PCM_16", fmt: str | None = None) -> Path:
    """Write a sine tone (with a little noise) to ``path``; returns the path."""
    t = np.arange(int(seconds * sr)) / sr
    y = 0.5 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    if channels > 1:
        y = np.stack([y] * channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y.astype(np.float32), sr, subtype=subtype, format=fmt)
    return path


@pytest.fixture
def tone_dataset(tmp_path):
    """A tiny folder-per-label dataset: 3 labels x 4 clips of 2 s tones at different pitches."""
    root = tmp_path / "tones"
    for i, label in enumerate(("low", "mid", "high")):
        for k in range(4):
            write_tone(root / label / f"{label}.{k:05d}.wav", freq=110.0 * (2 ** i) * (1 + 0.05 * k))
    return root


def finished_run(root: Path, labels: tuple[str, ...] = ("high", "low", "mid"), answer: str | None = None) -> str:
    """A finished 'recommended' classifier run on ``root`` built without training (tiny, 1 s segments).

    Its weights are random, or, with ``answer``, rigged so that every clip gets that label. Its
    result says it was right on 3 of its 4 test clips; its ``clips.json`` names no clip.
    """
    import torch

    from core.compute import scores
    from core.storage import runs
    from core.base.config import preset, to_dict
    from core.compute.models import build_classifier

    cfg = preset("recommended", hidden_size=16, num_layers=1, segment_seconds=1.0)
    torch.manual_seed(0)
    model = build_classifier(cfg, 128, len(labels))
    if answer is not None:
        with torch.no_grad():
            model.out.weight.zero_()
            model.out.bias.copy_(10.0 * torch.eye(len(labels))[labels.index(answer)])
    run_id = runs.create("clf", f"tiny model on {root.name}", to_dict(cfg), preset="recommended",
                         dataset={"name": root.name, "root": str(root), "fingerprint": "f00d", "n_clips": 12})
    runs.save_tensors(run_id, "model", {"state_dict": model.state_dict(), "mean": torch.full((128,), -40.0),
                                        "std": torch.full((128,), 20.0), "labels": list(labels), "config": to_dict(cfg)})
    result = scores.classification_result(np.eye(len(labels))[[0, 1, 2, 2]], np.array([0, 1, 2, 0]),
                                         [f"{label}/0" for label in labels] + [f"{labels[0]}/1"], labels)
    runs.write_json(runs.run_path(run_id) / "result.json", result)
    runs.save_clips(run_id, {"train": [], "val": [], "test": []})  # no clip of another collection is its own
    runs.update(run_id, status="done", split_name="stratified 70%/15%/15%, seed 0")
    return run_id


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
