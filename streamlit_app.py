"""GenreLab: a browser lab for music-genre classification and GAN data augmentation.

Run with ``streamlit run streamlit_app.py``. This file sets up navigation and, once Home is drawn, warms what other
pages' first visits load (:func:`warm_up`); each page lives
in ``app_pages/`` (not ``pages/``: that name switches Streamlit to its legacy
auto-discovered navigation for a fresh server's first deep link) and calls :mod:`core`.
Nothing is fetched from another host: the tab icon is ``assets/icon.png`` (a ``:material/…:``
page icon would make the browser load it from a font CDN) and the sidebar's icons come from the
font Streamlit bundles.
"""

import logging
import threading
from pathlib import Path

import streamlit as st

from core.base import config
from core.storage import queue
from core.usecases import charts

ICON = Path(__file__).resolve().parent / "assets" / "icon.png"

st.set_page_config(page_title="GenreLab", page_icon=str(ICON), layout="wide")


@st.cache_resource
def wake_worker() -> None:
    """Once per server process, not per rerun: a worker for jobs left queued when the last one was killed
    (queuing a job starts one too; pages never start it)."""
    if queue.pending():
        queue.ensure_worker()


wake_worker()


def warm(root: Path | None) -> None:
    """Load what pages' first visits would otherwise load on the click: plotly's machinery for each chart type
    (Dataset's six charts), pydantic's config models (Train's and GAN's forms), Streamlit's emoji catalog (read,
    with a regex that takes ~0.1 s to compile, by the first alert whose text is not plain ASCII) and, when they are
    cached, the log-mels of the dataset in ``root`` and Dataset's overview of them (data_picker.warm_dataset). Only a
    speed-up: if any of it fails (e.g. a Streamlit upgrade moves the private emoji helper), the error is logged and
    pages load what they need themselves."""
    try:
        _warm(root)
    except Exception:  # noqa: BLE001 - a warm-up must never take the app down
        logging.getLogger(__name__).exception("warm-up failed; pages will load what they need on first visit")


def _warm(root: Path | None) -> None:
    from streamlit.string_util import extract_leading_emoji

    charts.warm()
    for name in [*config.PRESETS, *config.CLASSIC_PRESETS, *config.PRETRAINED_PRESETS]:
        config.preset(name)
    config.model(config.GANConfig)
    extract_leading_emoji("…")
    if root is not None:
        from app_pages import data_picker

        data_picker.warm_dataset(root)


@st.cache_resource
def warm_up() -> None:
    """Once per server process, after its first page is drawn: :func:`warm` (of that session's dataset) in a background
    thread, while the reader reads that page, so a page switch waits for none of it."""
    from app_pages import data_picker

    threading.Thread(target=warm, args=(data_picker.active_root(),), name="warm-up", daemon=True).start()


PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", url_path="home"),
    st.Page("app_pages/dataset.py", title="Dataset", icon=":material/library_music:", url_path="dataset"),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
    st.Page("app_pages/gan.py", title="GAN", icon=":material/science:", url_path="gan"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:", url_path="compare"),
    st.Page("app_pages/predict.py", title="Predict", icon=":material/graphic_eq:", url_path="predict"),
    # The app's root URL opens Home too. A default page answers only at "/" (its own pathname would
    # show "Page not found"), so Home proper lives at /home and this hidden twin is the default.
    st.Page("app_pages/home.py", title="Home", url_path="start", default=True, visibility="hidden"),
    # Every page's "Words on this page" links here too.
    st.Page("app_pages/glossary.py", title="Glossary", icon=":material/menu_book:", url_path="glossary"),
]

st.navigation(PAGES).run()
warm_up()
