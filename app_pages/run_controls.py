"""What a page does with a run it follows: start it, show its progress, cancel, resume, rename, download or
delete it."""

from __future__ import annotations

import streamlit as st

from core.base import progress as steps
from core.base.usertext import as_markdown
from core.orchestration import lesson, worker
from core.storage import queue, runs


def status_line(record: dict) -> str:
    status = record["status"]
    if record["kind"] == "lsn":
        return " ".join(lesson.summary(record)[1:])
    if status == "queued":
        if record.get("lesson") and not queue.is_orphan(record):
            return "A step of the lesson: it starts when the lesson's steps before it have ended."
        waiting = lesson.wait(record["id"])
        if waiting:
            return waiting
        if queue.is_orphan(record):
            return ("Queued, but nothing will run it (its experiment stopped, or its job was lost): cancel it, "
                    "then delete or resume it.")
        return queue.worker_problem() or "Starting…"
    if status == "running":
        p = record.get("progress")
        return steps.status_text(p) if p else "Preparing data…"
    return {"done": "Finished.", "cancelled": "Cancelled: the last finished epoch was kept and tested.",
            "interrupted": "Interrupted (the worker stopped): the last checkpoint is kept.",
            "failed": f"Failed: {as_markdown(record.get('error') or 'unknown error')}"}[status]


def job_progress(run_id: str) -> dict | None:
    """Progress bar, status and a cancel button for a queued or running run; returns its record.

    A run deleted meanwhile (in another tab) gets a warning and ``None``.
    """
    try:
        record = runs.load(run_id)
    except runs.RunError:
        st.warning("That run no longer exists.")
        return None
    fraction = steps.fraction(record.get("progress"))
    st.progress(fraction if record["status"] != "done" else 1.0, text=status_line(record))
    if record["status"] in runs.ACTIVE:
        cancel_button(record)
    return record


def started_here(run_id: str) -> None:
    """Remember that this browser session started run ``run_id``: its Cancel button then asks nothing."""
    st.session_state.setdefault("started_here", set()).add(run_id)


def cancel_button(record: dict, label: str = "Cancel") -> None:
    """A Cancel button for a queued or running run (an orphan, which nothing would run, is cancelled at once).

    A run this session did not start (:func:`started_here`: another student's, or a step of the lesson) is
    cancelled only after a second, explicit click that says whose work stops.
    """
    key = f"cancel-{record['id']}"
    ask = record["id"] not in st.session_state.get("started_here", ()) and not queue.is_orphan(record)
    if st.button(label, key=key):
        if not ask:
            _cancel(record)
            return
        st.session_state[f"confirm-{key}"] = True
    if not (ask and st.session_state.get(f"confirm-{key}")):
        return
    whose = ("It is a step of the lesson: the lesson carries on with the steps that do not need it."
             if record.get("lesson") else "It was started in another session (another student, or the teacher).")
    st.warning(f"Cancel **{as_markdown(record['name'])}**? {whose} Cancelling stops work someone else is waiting for.")
    yes, no = st.columns(2)
    if yes.button("Yes, cancel it", key=f"{key}-yes", type="primary"):
        st.session_state.pop(f"confirm-{key}", None)
        _cancel(record)
    if no.button("Keep it running", key=f"{key}-no"):
        st.session_state.pop(f"confirm-{key}", None)
        st.rerun()


def _cancel(record: dict) -> None:
    try:
        status = queue.cancel(record["id"])
    except runs.RunError as err:
        st.error(str(err))
    else:
        if status == "cancelled":
            st.rerun()
        st.toast("Cancelling after the current epoch…")


def resume_button(record: dict, label: str | None = None) -> None:
    """For an interrupted, cancelled or failed run (or a finished lesson with a step left to train): one click queues
    it again, from its last checkpoint (``label``: what the button says, for a run that is not one training, e.g. a
    lesson)."""
    if record["status"] not in worker.reopens(record):
        return
    if label is None:
        epochs = len(runs.history(record["id"]))
        where = f"from its last checkpoint (epoch {epochs})" if epochs else "from the start (no epoch had finished)"
        label = f"Resume training {where}"
    if st.button(label, key=f"resume-{record['id']}", type="primary"):
        try:
            worker.resume(record["id"])
        except runs.RunError as err:
            st.error(str(err))
        else:
            st.rerun()


def start_button(label: str, submit, state_key: str) -> str | None:
    """A primary button that creates and queues a run with ``submit()``.

    Returns the run this page is following: the one just started, or one named in the session or URL.
    """
    if st.button(label, type="primary"):
        try:
            run_id = submit()
        except OSError as err:
            st.error(f"Could not create the run: {err}")
        else:
            started_here(run_id)
            st.session_state[state_key] = run_id
            st.query_params["run"] = run_id
    return st.query_params.get("run") or st.session_state.get(state_key)


def keep_open(state_key: str, run_id: str) -> None:
    """Remember the run a page shows, in the session and in the URL (``?run=``), so a reload or a shared
    link shows it again (Streamlit drops the URL's parameters when the page is switched)."""
    st.session_state[state_key] = run_id
    st.query_params["run"] = run_id


def _forget(state_key: str, run_id: str) -> None:
    st.session_state.pop(state_key, None)
    st.session_state.pop(f"confirm-delete-{run_id}", None)
    if "run" in st.query_params:
        del st.query_params["run"]


def export_zip(run_id: str) -> bytes:
    """The run's zip (:func:`core.usecases.reports.export_zip`), built when the download is asked for."""
    from core.usecases import reports

    return reports.export_zip(run_id)


def manage_run(record: dict, state_key: str) -> None:
    """Rename a finished run, download it (model, config, history, result and report in a zip), or delete it
    after a confirmation."""
    run_id = record["id"]
    with st.expander("Manage this run"):
        left, mid, right = st.columns([3, 2, 2], vertical_alignment="bottom")
        name = left.text_input("Name", record["name"], max_chars=100, key=f"rename-{run_id}")
        if left.button("Rename", key=f"rename-go-{run_id}", disabled=name.strip() in ("", record["name"])):
            runs.rename(run_id, name)
            st.rerun()
        mid.download_button("Download (zip)", lambda: export_zip(run_id), f"{run_id}.zip", "application/zip",
                            key=f"export-{run_id}", on_click="ignore",
                            help="The model, its config, the training history, the test result and a report")
        if right.button("Delete…", key=f"delete-{run_id}"):
            st.session_state[f"confirm-delete-{run_id}"] = True
        if st.session_state.get(f"confirm-delete-{run_id}"):
            users = runs.dependents_text(runs.dependents(run_id))
            st.warning(f"Delete **{as_markdown(record['name'])}** and all its files? This cannot be undone."
                       + as_markdown(f" {users[0].upper()}{users[1:]}, and would lose it." if users else ""))
            yes, no = st.columns(2)
            if yes.button("Yes, delete it", type="primary", key=f"delete-yes-{run_id}"):
                try:
                    runs.delete(run_id)
                except runs.RunError as err:
                    st.error(str(err))
                else:
                    _forget(state_key, run_id)
                    st.toast(f"Deleted {as_markdown(record['name'])}.")
                    st.rerun()
            if no.button("Keep it", key=f"delete-no-{run_id}"):
                st.session_state.pop(f"confirm-delete-{run_id}", None)
                st.rerun()
