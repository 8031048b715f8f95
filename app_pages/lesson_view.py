"""The lesson as pages show it: a compact status in every page's sidebar, and Home's start buttons and progress.

Pages only read the lesson (:mod:`core.orchestration.lesson`); the background worker advances it.
"""

from __future__ import annotations

from typing import Callable

import streamlit as st

from core.orchestration import lesson
from core.storage import runs
from core.base.usertext import as_markdown

COMPARE = "app_pages/compare.py"
HOME = "app_pages/home.py"


def results_link(state: dict, label: str = "Its results in Compare") -> None:
    """A link to Compare with the lesson's finished classifiers side by side (none while it has none)."""
    if state["classifiers"]:
        st.page_link(COMPARE, label=label, icon="➡️", query_params={"runs": ",".join(state["classifiers"])})


def card(record: dict, resume_link: bool = False) -> dict:
    """The lesson in a few lines: what it is, a bar with the step running, elapsed and the time left for the whole
    lesson (or how it ended), and a link to its results (and with ``resume_link``, to Home, where a stopped lesson
    resumes); returns its status."""
    state = lesson.status(record)
    head, *lines = lesson.summary(record, state)
    st.markdown(f"**{as_markdown(head)}**")
    if record["status"] == "running":
        st.progress(state["fraction"], text=as_markdown(lines[0]))
        lines = lines[1:]
    st.caption(as_markdown(" ".join(lines)))
    results_link(state)
    if resume_link and state["resumable"]:
        st.page_link(HOME, label="Resume it on Home", icon="↩️", query_params={"lesson": record["id"]})
    return state


@st.fragment(run_every=2.0)
def follow(lesson_id: str, draw: Callable[[dict], object] = card) -> None:
    """``draw`` (by default :func:`card`) a queued or running lesson's record, every 2 s; once it ends, the page is
    drawn again (so the refreshing stops and the page shows what the lesson made)."""
    try:
        record = lesson.load(lesson_id)
    except lesson.LessonError:
        return
    draw(record)
    if record["status"] not in runs.ACTIVE:
        st.rerun()


def sidebar(data_name: str) -> None:
    """Every page's sidebar: the lesson running (on any dataset: a student's job waits behind it), else the newest
    lesson on the active dataset, if any."""
    running = lesson.active()
    shown = running or next(iter(lesson.lessons(data_name)), None)
    if shown is None:
        return
    with st.sidebar:
        st.divider()
        if running:
            follow(running["id"])
        else:
            card(shown, resume_link=True)
