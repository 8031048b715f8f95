"""Which run a page shows: one named in the URL or the session, checked to be of the page's kind, or one picked
from the finished runs."""

from __future__ import annotations

import time

import streamlit as st

from core.base.usertext import as_markdown
from core.storage import runs


RUN_PAGES = {"clf": ("app_pages/train.py", "run", "a classifier run"), "gan": ("app_pages/gan.py", "run", "a GAN run"),
             "exp": ("app_pages/compare.py", "exp", "an experiment"),
             "chk": ("app_pages/train.py", "run", "a check of a classifier run"),
             "lsn": ("app_pages/home.py", "lesson", "a lesson")}
"""Kind → the page that shows its runs, the URL parameter naming the run there, and what to call it."""


def own_run(run_id: str | None, kind: str) -> dict | None:
    """The record of ``run_id`` (from the URL or the session) when it is a run of ``kind``, else None.

    Any id is first checked by :func:`core.runs.check_id`: one that is not a run's (a mistyped or hostile link,
    a run deleted meanwhile) gets a warning; a run of another kind, a link to the page that shows it (a check,
    to the classifier it checked).
    """
    if not run_id:
        return None
    try:
        record = runs.load(run_id)
    except runs.RunError as err:
        st.warning(f"That run cannot be opened: {as_markdown(str(err))}.")
        return None
    if record["kind"] == kind:
        return record
    page, param, what = RUN_PAGES[record["kind"]]
    target = record["config"].get("run", "") if record["kind"] == "chk" else record["id"]
    st.info(f"**{as_markdown(record['name'])}** is {what}, which this page does not show.")
    st.page_link(page, label="Open it where it is shown", icon="➡️", query_params={param: target})
    return None


def run_options(kind: str, status: tuple[str, ...] = ("done", "cancelled", "interrupted"),
                experiments: bool = True) -> dict[str, str]:
    """Run id → label of the runs of a kind in the given states, newest first: name, when it was made and, unless it
    finished, its status. Runs that would share a label are numbered (2), (3)… in the order they were made, so a new
    run renumbers none; pickers hold the ids (``format_func=options.get``), so a choice stays on its run.

    ``experiments=False`` leaves out the child runs of experiments (they are reached from the Compare page).
    """
    chosen = [r for r in runs.list_runs(kind) if r["status"] in status and (experiments or not r.get("experiment"))]
    labels: dict[str, str] = {}
    count: dict[str, int] = {}
    for r in sorted(chosen, key=lambda r: r["created"]):  # oldest first (ids order runs made in one second at random)
        label = (f"{r['name']} · {time.strftime('%d %b %H:%M', time.localtime(r['created']))}"
                 + ("" if r["status"] == "done" else f" · {r['status']}"))
        count[label] = count.get(label, 0) + 1
        labels[r["id"]] = label if count[label] == 1 else f"{label} ({count[label]})"
    return {r["id"]: labels[r["id"]] for r in chosen}


def reopen_picker(kind: str, state_key: str, open_id: str | None, what: str) -> None:
    """A picker of finished runs of ``kind`` (experiments' children left out); choosing one opens it.

    The chosen id goes to ``st.session_state[state_key]`` and the URL's ``run``, so the link reopens it.
    """
    options = run_options(kind, experiments=False)
    if not options:
        st.caption(f"Finished {what} appear here; those of experiments are on the Compare page.")
        return
    run_id = st.selectbox("Run", list(options), index=None, format_func=options.get, placeholder="Choose a run…",
                          key=f"{state_key}_reopen")
    if run_id and run_id != open_id:
        st.session_state[state_key] = run_id
        st.query_params["run"] = run_id
        st.rerun()
