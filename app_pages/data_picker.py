"""The sidebar's dataset choice, shared by every page and kept in the URL, and the chosen dataset's log-mels."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from core.base import catalog
from core.base.datasets import DatasetError
from core.base.usertext import as_markdown
from app_pages import lesson_view
from app_pages.settings import query_default

if TYPE_CHECKING:
    from core.storage.extract import FeatureSet
    from core.usecases.explore import Overview

# core.storage.extract (librosa) is imported where it is used, so Home and the other pages start without it: the
# app's cold start.


def dataset_selector() -> tuple[str, Path] | None:
    """Sidebar choice of dataset, shared by all pages and kept in the URL; the demo set is made on first use."""
    names = catalog.available()
    default = st.session_state.get("dataset") or query_default("dataset", names, catalog.DEMO)
    if default not in names:
        default = catalog.DEMO
    name = st.sidebar.selectbox("Dataset", names, index=names.index(default), key="dataset_choice",
                                help="The embedded demo set, or folders your operator allowed (GENRELAB_DATASETS).")
    st.session_state["dataset"] = name
    st.query_params["dataset"] = name
    lesson_view.sidebar(name)
    try:
        return name, resolve_dataset(name)
    except KeyError as err:
        st.sidebar.error(str(err))
        return None


def resolve_dataset(name: str) -> Path:
    if name == catalog.DEMO and "demo_root" not in st.session_state:
        bar = st.sidebar.progress(0.0, text="Generating the demo set…")
        root = catalog.resolve(name, progress=lambda d, t: bar.progress(d / t, text=f"Demo set: clip {d} of {t}"))
        bar.empty()
        st.session_state["demo_root"] = str(root)
    return Path(st.session_state["demo_root"]) if name == catalog.DEMO else catalog.resolve(name)


@st.cache_resource(max_entries=4, show_spinner=False)
def _features(root: str) -> FeatureSet:
    from core.storage.extract import load_features

    return load_features(root)


def features(name: str, root: Path) -> FeatureSet | None:
    """The dataset's cached log-mels (extracted with a progress bar the first time)."""
    try:
        with st.spinner(f"Reading {as_markdown(name)} (first time: computing log-mel spectrograms)…"):
            return _features(str(root))
    except DatasetError as err:
        st.error(f"This dataset cannot be used: {as_markdown(str(err))}")
        return None


@st.cache_resource(max_entries=4, show_spinner=False)
def dataset_overview(fingerprint: str, _fs: FeatureSet) -> Overview:
    """The Dataset page's mean spectrograms and clip map of a dataset, once per server (read-only)."""
    from core.usecases import explore

    return explore.overview(_fs)


def active_root() -> Path | None:
    """The folder of this session's dataset, if it was resolved (the demo set is never generated here)."""
    name = st.session_state.get("dataset")
    if name == catalog.DEMO:
        return Path(st.session_state["demo_root"]) if "demo_root" in st.session_state else None
    try:
        return catalog.resolve(name) if name else None
    except KeyError:
        return None


def warm_dataset(root: Path) -> None:
    """Load the cached log-mels of ``root`` and the Dataset page's overview of them, so that page's first visit finds
    both ready; only when every log-mel is cached (extracting is the pages' work, under their spinner)."""
    from core.storage.extract import features_cached

    if features_cached(root):
        fs = _features(str(root))
        dataset_overview(fs.fingerprint, fs)
