"""A page's first visit loads only what it shows: torch, librosa, scikit-learn and scipy wait for the work that needs
them (each costs seconds on a cold server, and a page switch should take well under one)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.storage import extract

REPO = Path(__file__).resolve().parents[2]
FIRST_VISIT = """
import json, sys
from streamlit.testing.v1 import AppTest
AppTest.from_string("import streamlit as st; st.title('blank')").run()  # Streamlit's own first-run imports
before = set(sys.modules)  # taken before any page of the app runs, so the page's imports are all counted
at = AppTest.from_file({app!r}, default_timeout=120)
at.query_params["dataset"] = "tones"
at.switch_page({page!r})  # before the first run: the page asked for is the first the app draws (Home never runs)
at.run()
assert not at.exception, at.exception
assert at.title[0].value != "GenreLab" or {page!r}.endswith("home.py"), "the app drew Home, not " + {page!r}
print(json.dumps(sorted(m for m in ("torch", "librosa", "sklearn", "scipy", "pandas") if m in sys.modules
                        and m not in before)))
"""


@pytest.mark.slow
@pytest.mark.parametrize("page, loaded", [
    ("app_pages/train.py", []), ("app_pages/gan.py", []), ("app_pages/predict.py", []),
    ("app_pages/home.py", []), ("app_pages/compare.py", []), ("app_pages/dataset.py", [])])
def test_a_first_visit_imports_no_more_than_the_page_shows(page, loaded, tone_dataset):
    """Train's form needs neither torch nor scikit-learn (tasks loads when a run starts); GAN and Predict load torch
    for a run's model, not for their forms and pickers (training, samples, predictions and checks load it); Compare
    with no run yet plans an experiment without the runners (torch), the statistics (scipy) or the scores
    (scikit-learn), nor pandas (~0.2 s, for the tables of the runs it compares); Dataset reads cached log-mels
    without torch or librosa, and its clip map is numpy's SVD, not scikit-learn's PCA.
    Fresh process, no run yet; the dataset's log-mels are cached, as after the first visit that computed them."""
    extract.load_features(tone_dataset)
    env = {**os.environ, "GENRELAB_DATASETS": f"tones={tone_dataset}"}
    out = subprocess.run([sys.executable, "-c", FIRST_VISIT.format(app=str(REPO / "streamlit_app.py"), page=page)],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == loaded



WARM_UP = """
import json, sys, threading
from plotly.validator_cache import ValidatorCache
from streamlit.testing.v1 import AppTest

def loaded():
    return sorted([m for m in ("pydantic", "streamlit.emojis") if m in sys.modules]
                  + ["/".join(k) for k in (("heatmap", "z"), ("bar", "y")) if k in ValidatorCache._cache])

at = AppTest.from_file({app!r}, default_timeout=120)
at.query_params["dataset"] = "tones"
at.run()
assert not at.exception, at.exception
for t in threading.enumerate():  # the warm-up thread, unless it has already finished
    if t.name == "warm-up":
        t.join(timeout=60)
print(json.dumps(loaded()))
"""


@pytest.mark.slow
def test_after_the_first_page_a_background_thread_loads_what_first_visits_would(tone_dataset):
    """Once Home is drawn, the app starts a warm-up thread that loads pydantic (Train's and GAN's forms), Streamlit's
    emoji catalog (the first alert with non-ASCII text) and plotly's validators for heatmaps and bars (Dataset's
    charts), which Home does not need, so a later page switch does not wait for them (~0.15 s of server time over
    the six pages, ~0.1 s of it Dataset's)."""
    extract.load_features(tone_dataset)
    env = {**os.environ, "GENRELAB_DATASETS": f"tones={tone_dataset}"}
    out = subprocess.run([sys.executable, "-c", WARM_UP.format(app=str(REPO / "streamlit_app.py"))], cwd=REPO,
                         env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == ["bar/y", "heatmap/z", "pydantic", "streamlit.emojis"]


WARMED_DATASET = """
import threading
from streamlit.testing.v1 import AppTest
from core.usecases import explore

at = AppTest.from_file({app!r}, default_timeout=120)
at.query_params["dataset"] = "tones"
at.run()
for t in threading.enumerate():
    if t.name == "warm-up":
        t.join(timeout=60)
def recomputed(fs):
    raise AssertionError("the Dataset page recomputed the overview the warm-up made")
explore.overview = recomputed
at.switch_page("app_pages/dataset.py").run()
assert not at.exception, at.exception
print(sum(": mean of " in c.proto.spec for c in at.get("plotly_chart")))
"""


@pytest.mark.slow
def test_the_warm_up_makes_the_datasets_overview_the_dataset_page_then_reuses(tone_dataset):
    """While the reader reads Home, the warm-up loads the session's dataset's cached log-mels and computes Dataset's
    mean spectrograms and clip map (band statistics, SVD): a first visit of Dataset then recomputes neither (they
    were ~0.8 s of its switch at load 6: the page's charts came in separate batches, each laid out again)."""
    extract.load_features(tone_dataset)
    env = {**os.environ, "GENRELAB_DATASETS": f"tones={tone_dataset}"}
    out = subprocess.run([sys.executable, "-c", WARMED_DATASET.format(app=str(REPO / "streamlit_app.py"))], cwd=REPO,
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "1"  # the mean spectrogram of the first genre was drawn

