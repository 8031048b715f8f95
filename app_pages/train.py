"""Train: pick a preset, tweak it, train in the background and watch it learn."""

import streamlit as st

from app_pages import teaching
from app_pages.check_panel import check_form
from app_pages.data_picker import dataset_selector
from app_pages.run_controls import job_progress, keep_open, manage_run, resume_button, start_button
from app_pages.run_picker import own_run, reopen_picker
from app_pages.run_result import result_view
from app_pages.settings import preset_picker, settings_form
from core.base import catalog, config, splits
from core.storage import runs
from core.usecases import charts
from core.base.datasets import DatasetError, list_clips
from core.base.usertext import as_markdown


@st.cache_data(max_entries=8, show_spinner=False)
def clip_keys(root: str) -> list[str]:
    """The dataset's clip keys (``<label>/<stem>``), for split advice; none if it cannot be listed."""
    try:
        return [c.key for c in list_clips(root).clips]
    except DatasetError:
        return []


st.title("Train a genre classifier")
teaching.words_popover("train")
teaching.show("train", "presets", draw=st.caption)
teaching.show("train", "carry_over", draw=st.caption)

selected = dataset_selector()
if selected is None:
    st.stop()
data_name, data_root = selected

preset_name = preset_picker({**config.PRESETS, **config.CLASSIC_PRESETS, **config.PRETRAINED_PRESETS},
                            {"paper": "paper (the study)", "recommended": "recommended", "classic": "classic",
                             "pretrained": "pretrained ear (musicnn)"},
                            "recommended", key="train_preset")
if preset_name == "pretrained":
    teaching.show("train", "transfer", draw=st.info)
advice = splits.advise(clip_keys(str(data_root)), config.preset(preset_name).split, synthetic=data_name == catalog.DEMO)
default = config.preset(preset_name, **({"split": advice.split} if advice.split else {}))
if advice.note:
    st.info(advice.note)
cfg = settings_form(default, key=f"cfg-{preset_name}" + (f"-{advice.split}" if advice.split else ""))


def submit() -> str:
    # torch and scikit-learn load when a run starts, not on the page's first visit
    from core.orchestration import classifier

    return classifier.submit_classifier(cfg, data_root, data_name, preset=preset_name, enqueue=True)


run_id = start_button("Start training", submit, "train_run")

@st.fragment(run_every=1.0)
def live(run_id: str) -> None:
    """Progress and live curves, refreshed every second while the run is active."""
    record = job_progress(run_id)
    if record is None:
        return
    history = runs.history(run_id)
    if history:
        st.plotly_chart(charts.learning_curves({record["name"]: history}), key=f"curves-{run_id}")
    if record["status"] not in runs.ACTIVE:
        st.rerun()


record = own_run(run_id, "clf")
if record:
    keep_open("train_run", run_id)
    st.subheader(as_markdown(record["name"]))
    if record["status"] in runs.ACTIVE:
        live(run_id)
    else:
        manage_run(record, "train_run")
        st.progress(1.0, text={"done": "Finished."}.get(record["status"], record["status"].capitalize() + "."))
        resume_button(record)
        result = runs.result(run_id)
        if result:
            st.plotly_chart(charts.learning_curves({record["name"]: runs.history(run_id)}), key="curves-final")
            result_view(record, result, key=run_id)
            st.subheader("Check on another dataset")
            check_form(record, key=run_id)
        elif record.get("error"):
            st.error(as_markdown(record["error"]))

st.divider()
st.subheader("Reopen a finished run")
reopen_picker("clf", "train_run", run_id, "runs")
