"""Train: pick a preset, tweak it, train in the background and watch it learn."""

import streamlit as st

from core import charts, config, jobs, runs, tasks
from app_pages.common import (config_from_url, config_to_url, config_widgets, dataset_selector, job_progress,
                          query_default, result_view, run_options)

st.title("Train a genre classifier")
st.caption("The paper preset is the study's LSTM on the first 4 s of each clip; the recommended preset "
           "covers whole clips in 3 s segments, normalises with training statistics and votes per clip.")

selected = dataset_selector()
if selected is None:
    st.stop()
data_name, data_root = selected

names = list(config.PRESETS)
preset_name = st.radio("Preset", names, horizontal=True, key="train_preset",
                       index=names.index(query_default("preset", names, "recommended")),
                       format_func=lambda n: {"paper": "paper (the study)", "recommended": "recommended"}[n])
st.query_params["preset"] = preset_name
default = config.preset(preset_name)
with st.expander("Hyperparameters", expanded=False):
    cfg = config_widgets(config_from_url(default), key=f"cfg-{preset_name}")
seed = st.number_input("Seed", 0, 2**31 - 1, int(config_from_url(default).seed), key="train_seed",
                       help="Same seed, same data and settings: the same result.")
cfg = config.with_overrides(cfg, {"seed": seed})
config_to_url(cfg, default)

if st.button("Start training", type="primary"):
    try:
        run_id = tasks.submit_classifier(cfg, data_root, data_name, preset=preset_name)
    except OSError as err:
        st.error(f"Could not create the run: {err}")
    else:
        jobs.enqueue(run_id, "classifier")
        st.session_state["train_run"] = run_id
        st.query_params["run"] = run_id

run_id = st.session_state.get("train_run") or st.query_params.get("run")


@st.fragment(run_every=1.0)
def live(run_id: str) -> None:
    """Progress and live curves, refreshed every second while the run is active."""
    try:
        record = job_progress(run_id)
    except runs.RunError:
        st.warning("That run no longer exists.")
        return
    history = runs.history(run_id)
    if history:
        st.plotly_chart(charts.learning_curves({record["name"]: history}), key=f"curves-{run_id}")
    if record["status"] not in runs.ACTIVE:
        st.rerun()


if run_id:
    try:
        record = runs.load(run_id)
    except runs.RunError:
        record = None
    if record and record["status"] in runs.ACTIVE:
        st.subheader(record["name"])
        live(run_id)
    elif record:
        st.session_state["train_run"] = run_id
        st.subheader(record["name"])
        st.progress(1.0, text={"done": "Finished."}.get(record["status"], record["status"].capitalize() + "."))
        result = runs.result(run_id)
        if result:
            st.plotly_chart(charts.learning_curves({record["name"]: runs.history(run_id)}), key="curves-final")
            result_view(record, result, key=run_id)
        elif record.get("error"):
            st.error(record["error"])

st.divider()
st.subheader("Reopen a finished run")
options = run_options("clf")
if options:
    label = st.selectbox("Run", list(options), index=None, placeholder="Choose a run…")
    if label and options[label]["id"] != run_id:
        st.session_state["train_run"] = options[label]["id"]
        st.query_params["run"] = options[label]["id"]
        st.rerun()
else:
    st.caption("Finished runs appear here.")
