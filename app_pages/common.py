"""Widgets and views every page shares: the dataset selector, job progress, run results.

Pages stay thin: this module only lays out what :mod:`core` computes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from core.base import catalog, config, form
from core.orchestration import lesson, worker
from core.storage import queue, runs
from core.usecases import charts
from core.base import progress as steps
from core.base.datasets import DatasetError
from core.base.percent import percent, with_interval
from core.base.usertext import as_markdown
from app_pages import lesson_view

if TYPE_CHECKING:
    from core.storage.extract import FeatureSet

# core.storage.extract, core.usecases.generalise and core.orchestration.classifier (torch, librosa) are imported
# where they are used, so Home and the other pages start without them: the app's cold start.


def query_default(key: str, options: list[str], fallback: str) -> str:
    """A widget default taken from the URL (shared links) when it names a valid option."""
    value = st.query_params.get(key)
    return value if value in options else fallback


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


def measured_on(record: dict) -> str:
    """Caption saying what a number was measured on."""
    return f"Measured on {as_markdown(runs.describe_data(record, fingerprint=False))}."


def provenance(*lines: str) -> None:
    """A details expander with what a figure was measured on, down to the data's fingerprint and the run's id (the
    main text leaves them out)."""
    with st.expander("Where this figure comes from"):
        for line in lines:
            st.caption(as_markdown(line))


def run_provenance(record: dict) -> None:
    """:func:`provenance` of a run's own figures: its data, down to the fingerprint, and its id."""
    provenance(f"The data: {runs.describe_data(record)}. The run: {record['id']}.")


def check_measured_on(check: dict) -> None:
    """What a check's accuracy was measured on: the collection by name, its fingerprint in the details."""
    from core.usecases import generalise

    st.caption(as_markdown(generalise.describe(check, fingerprint=False)))
    provenance(generalise.describe(check))


def accuracy_metric(record: dict, result: dict, label: str = "Test accuracy") -> None:
    acc = result["accuracy"]
    st.metric(label, percent(acc['value'], 1), help="95 % Wilson interval over the test clips.")
    st.caption(f"{with_interval(acc, decimals=1, counts=True)}. {measured_on(record)}")
    run_provenance(record)


def result_view(record: dict, result: dict, key: str) -> None:
    """Accuracy with its interval, confusion matrix and per-class scores of a finished run."""
    accuracy_metric(record, result)
    labels = result["labels"]
    left, right = st.columns(2)
    normalise = left.toggle("Row-normalised", key=f"norm-{key}", help="Each true genre's row sums to 100 %")
    left.plotly_chart(charts.confusion_heatmap(np.array(result["confusion"]), labels, normalise=normalise),
                      key=f"cm-{key}")
    right.dataframe(result["per_class"], hide_index=True, column_config={
        "precision": st.column_config.NumberColumn(format="%.2f"),
        "recall": st.column_config.NumberColumn(format="%.2f"),
        "f1": st.column_config.NumberColumn("F1", format="%.2f")})


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


def config_from_url(cfg):
    """``cfg`` with the fields a shared link sets (``?epochs=5&lr=0.001``); a bad value is ignored with a warning."""
    names = {f.name for f in config.fields(cfg)}
    shared = {k: v for k, v in st.query_params.items() if k in names}
    try:
        return config.with_overrides(cfg, shared)
    except config.ConfigError as err:
        st.warning(f"Ignoring the settings in this link: {as_markdown(str(err))}")
        return cfg


def config_to_url(cfg, default) -> None:
    """Put the fields that differ from ``default`` into the URL, so the link reproduces the settings."""
    for f in config.fields(cfg):
        if getattr(cfg, f.name) != getattr(default, f.name):
            st.query_params[f.name] = str(getattr(cfg, f.name))
        elif f.name in st.query_params:
            del st.query_params[f.name]


def field_widget(cfg, name: str, key: str):
    """One widget for config field ``name``, as :func:`core.base.form.widget` describes it."""
    w, value, wkey = form.widget(cfg, name), getattr(cfg, name), f"{key}-{name}"
    if w.kind == "select":
        return st.selectbox(w.label, w.options, index=w.options.index(value), help=w.help, key=wkey)
    if w.kind == "checkbox":
        return st.checkbox(w.label, value, help=w.help, key=wkey)
    if w.kind == "steps":
        return st.select_slider(w.label, w.options, value, format_func=form.plain, help=w.help, key=wkey)
    kind = type(value)
    draw = st.number_input if w.kind == "number" else st.slider
    return draw(w.label, kind(w.lo), kind(w.hi), value, step=kind(w.step), format=w.fmt, help=w.help, key=wkey)


def config_widgets(cfg, key: str, skip: tuple[str, ...] = ("seed",), preset=None):
    """Widgets for the config's fields in three columns (data and framing / model / optimisation); returns the
    edited config.

    Fields that do not apply to the chosen framing or model are not shown (:func:`core.base.form.groups`);
    with ``preset`` each field that differs from it is marked with its preset value.
    """
    values: dict = {}
    groups = form.groups(cfg, skip)
    for column, title in zip(st.columns(len(groups)), groups):
        column.markdown(f"**{title}**")
        with column:
            for name in groups[title]:
                if not form.applies(config.with_overrides(cfg, values), name):
                    continue  # e.g. first frames after the framing was switched to segments
                was = getattr(preset, name) if preset is not None else None
                values[name] = field_widget(cfg, name, key)
                if preset is not None and values[name] != was:
                    st.caption(f":orange[● changed: preset {form.plain(was)}]")
    return config.with_overrides(cfg, values)


def _reset(default, key: str) -> None:
    """Back to the preset: forget every edited widget of form ``key`` and the settings in the URL."""
    for f in config.fields(default):
        st.session_state.pop(f"{key}-{f.name}", None)
        if f.name in st.query_params:
            del st.query_params[f.name]


def settings_form(default, key: str, skip: tuple[str, ...] = ()):
    """Hyperparameter widgets and a seed, starting from a shared link and written back into it.

    Every change from the preset ``default`` is marked and listed, and one button resets them all.
    """
    shared = config_from_url(default)
    with st.expander("Hyperparameters", expanded=bool(form.changes(shared, default))):
        cfg = config_widgets(shared, key=key, skip=("seed", *skip), preset=default)
    seed = st.number_input("Seed", 0, 2**31 - 1, int(shared.seed), key=f"{key}-seed",
                           help="Same seed, same data and settings: the same result.")
    cfg = config.with_overrides(cfg, {"seed": seed})
    changes = {k: v for k, v in form.changes(cfg, default).items() if k not in skip}
    if changes:
        left, right = st.columns([4, 1])
        left.caption("Changed from the preset: " + ", ".join(f"{form.label(cfg, k)} {form.plain(a)} → {form.plain(b)}"
                                                             for k, (a, b) in changes.items()))
        right.button("Reset to the preset", key=f"{key}-reset", on_click=_reset, args=(default, key))
    config_to_url(cfg, default)
    return cfg


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


def preset_picker(presets: dict, labels: dict[str, str], default: str, key: str) -> str:
    """A horizontal preset choice, defaulting to the link's ``?preset=`` and written back into it."""
    names = list(presets)
    name = st.radio("Preset", names, horizontal=True, key=key, format_func=labels.get,
                    index=names.index(query_default("preset", names, default)))
    st.query_params["preset"] = name
    return name


def check_view(check: dict, key: str) -> None:
    """A finished run checked on another dataset: accuracy with its interval, the sentence, per-genre recall,
    the confusion matrix (rows: the shared genres; columns: every genre the model knows) and what was left out."""
    from core.compute import scores

    st.metric(f"On {as_markdown(check['dataset']['name'])}", percent(check['accuracy']['value'], 1),
              help="95 % Wilson interval over every checked clip")
    check_measured_on(check)
    st.info(as_markdown(check["sentence"]))
    shared = scores.present(check)
    left, right = st.columns(2)
    normalise = left.toggle("Row-normalised", key=f"check-norm-{key}", help="Each true genre's row sums to 100 %")
    left.plotly_chart(charts.confusion_heatmap(np.array(check["confusion"])[shared], check["labels"],
                                               normalise=normalise, rows=[check["labels"][i] for i in shared]),
                      key=f"check-cm-{key}")
    right.dataframe([{"genre": c["label"], "recall": c["recall"], "clips": c["support"]}
                     for c in (check["per_class"][i] for i in shared)],
                    hide_index=True, column_config={"recall": st.column_config.NumberColumn(format="percent")})
    if check["labels_skipped"]:
        right.caption(f"Genres the model does not know, left out: {as_markdown(', '.join(check['labels_skipped']))}.")
    if check["skipped"]:
        with right.expander(f"{len(check['skipped'])} files skipped"):
            st.dataframe(check["skipped"], hide_index=True)


@st.fragment(run_every=1.0)
def check_progress(check_id: str) -> None:
    """A queued or running check's progress and a cancel button, refreshed every second until it ends."""
    try:
        record = runs.load(check_id)
    except runs.RunError:
        return
    if record["status"] in runs.ACTIVE:
        st.progress(steps.fraction(record.get("progress")), text=status_line(record))
        cancel_button(record)
        return
    if record["status"] == "failed":
        st.error(f"The check failed: {as_markdown(record.get('error', 'unknown error'))}")
    elif record["status"] != "done":
        st.caption(f"The check was {record['status']}.")
    if st.session_state.pop(f"following-{check_id}", False):
        st.rerun()


def check_form(record: dict, key: str) -> None:
    """'Check on another dataset': a dataset picker and a button that queues the check; its progress; saved checks."""
    from core.orchestration import check
    from core.usecases import generalise

    st.markdown("**Does it generalise?** Play every clip of another collection through this model, as the "
                "Predict page would, and score it against the folder names.")
    names = catalog.check_targets(record.get("dataset", {}).get("name", ""))
    left, right = st.columns(2)
    name = left.selectbox("Dataset to check on", names, key=f"check-data-{key}",
                          help="Any dataset but the one it was trained on (for a model of real music, other real recordings "
                               "come first). Genres match the model's by name, case "
                               "and punctuation aside (Hip-hop is hiphop).")
    pairs = right.text_input("Genre mapping (optional)", key=f"check-map-{key}", placeholder="e.g. R&B=pop",
                             help="DATASET_GENRE=model_genre pairs, comma separated, for genres named differently")
    if st.button("Check on another dataset", key=f"check-{key}"):
        try:
            mapping = generalise.parse_mapping(s for s in pairs.split(",") if s.strip())
            check_id = check.submit_check(record["id"], resolve_dataset(name), name, mapping, enqueue=True)
        except (generalise.LabelError, DatasetError, KeyError, OSError) as err:
            st.error(f"Cannot check on {as_markdown(name)}: {as_markdown(str(err))}")
        else:
            started_here(check_id)
            st.session_state[f"check-run-{key}"] = check_id
            st.session_state[f"following-{check_id}"] = True
    check_id = st.session_state.get(f"check-run-{key}")
    if check_id:
        check_progress(check_id)
    for i, check in enumerate(runs.checks(record["id"])):
        check_view(check, key=f"{key}-{i}")
