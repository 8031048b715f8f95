"""Predict: upload or record a clip, and see which genre a trained model hears in it, when and where."""

import hashlib

import numpy as np
import streamlit as st

from core.base import config
from core.storage import runs
from core.usecases import charts, model_choice, predict
from core.base.audio import AUDIO_EXTENSIONS, AudioError
from app_pages import teaching
from app_pages.data_picker import dataset_selector
from app_pages.run_controls import job_progress, started_here
from app_pages.run_result import accuracy_metric, check_measured_on
from core.base.percent import percent
from core.base.usertext import as_markdown

st.title("Predict a genre")
teaching.words_popover("predict")
teaching.show("predict", "intro", draw=st.caption)


@st.cache_data(max_entries=8, show_spinner="Listening to the clip…")
def analyse(digest: str, run_id: str, _data: bytes) -> predict.Prediction:
    """The prediction of one clip (bytes with SHA-256 ``digest``) under one run."""
    return predict.predict(_data, predict.load_model(run_id))


@st.cache_data(max_entries=8, show_spinner="Tracing the decision back to the spectrogram…")
def explain(digest: str, run_id: str, _prediction: predict.Prediction) -> np.ndarray:
    from core.usecases import saliency  # torch, which loads with a model, not on the page's first visit

    return saliency.saliency(predict.load_model(run_id), _prediction)


@st.fragment(run_every=1.0)
def training(run_id: str) -> None:
    """Progress of a model being trained for this page, refreshed every second until it finishes."""
    record = job_progress(run_id)
    if record is None:
        return
    if record["status"] not in runs.ACTIVE:
        st.rerun()


def mark_source(source: str) -> None:
    st.session_state["predict_source"] = source


selected = dataset_selector()
if selected is None:
    st.stop()
data_name, data_root = selected

st.subheader("Model")
classifiers = runs.list_runs("clf")
models = model_choice.model_runs(classifiers)
on_active = [i for i, r in models.items() if r["dataset"]["name"] == data_name]
pending = [r for r in classifiers if r["status"] in runs.ACTIVE and r["dataset"]["name"] == data_name]
if any(r.get("lesson") for r in pending):
    st.caption(f"The lesson is training models on {as_markdown(data_name)} (the sidebar follows it): each appears "
               "here once it has finished.")
for record in pending:
    if record.get("lesson"):
        continue  # the lesson's steps are the lesson's: no Cancel button here
    st.caption(f"A model for {as_markdown(data_name)} is training: **{as_markdown(record['name'])}**")
    training(record["id"])
if not on_active and not pending:
    st.info(f"No model has been trained on **{as_markdown(data_name)}** yet." if models else
            "No model has been trained yet: train one here (it runs in the background; you may leave the page).")
    if st.button(f"Train a default model on {as_markdown(data_name)}", type="primary"):
        # torch and scikit-learn load when a run starts, not on the page's first visit
        from core.orchestration import classifier

        try:
            started_here(classifier.submit_classifier(config.preset("recommended"), data_root, data_name,
                                                      preset="recommended", enqueue=True))
        except OSError as err:
            st.error(f"Could not create the run: {err}")
        else:
            st.rerun()
if not models:
    st.stop()

ids = model_choice.model_order(models, data_name)
default = model_choice.default_model(models, data_name)
linked = st.query_params.get("run")
if st.session_state.get("predict_dataset", data_name) != data_name:
    linked = None  # the sidebar switched datasets: the link's model was for the last one
st.session_state["predict_dataset"] = data_name
run_id = st.selectbox("Trained classifier", ids, index=ids.index(linked if linked in ids else default.run_id),
                      format_func=lambda i: model_choice.model_label(models[i]), key=f"predict_run-{data_name}",
                      help="Finished classifier runs: those trained on the active dataset first, then (for real "
                           "music) those trained on other real recordings, newest first. Beside each test accuracy: "
                           "how it did on every other collection it was checked on.")
if run_id == default.run_id:
    st.caption(default.reason)
st.query_params["run"] = run_id
record = models[run_id]
synthetic, note = model_choice.training_note(record, runs.result(run_id))
(st.warning if synthetic else st.info)(note)
if record["dataset"]["name"] != data_name:
    st.caption(f"This model was trained on {as_markdown(record['dataset']['name'])}, not on the active dataset "
               f"{as_markdown(data_name)}.")

st.subheader("Clip")
limit_mb = predict.MAX_UPLOAD_BYTES // 2**20
left, right = st.columns(2)
upload = left.file_uploader(
    "Upload an audio file", type=[e[1:] for e in AUDIO_EXTENSIONS], max_upload_size=limit_mb, key="predict_upload",
    on_change=mark_source, args=("upload",),
    help=f"Any sample rate, mono or stereo, up to {limit_mb} MB; only the first "
         f"{predict.MAX_SECONDS:g} s are analysed.")
recording = right.audio_input("…or record one", key="predict_record", on_change=mark_source, args=("record",))
clip = {"upload": upload, "record": recording}.get(st.session_state.get("predict_source")) or upload or recording
if clip is None:
    st.info(f"Upload or record a clip to hear what the model makes of it. A file over {limit_mb} MB is refused by "
            "the browser before it is sent (its name turns red above): cut it shorter or compress it.")
    st.stop()

data = clip.getvalue()
digest = hashlib.sha256(data).hexdigest()
try:
    prediction = analyse(digest, run_id, data)
except (AudioError, runs.RunError) as err:
    st.error(f"This clip cannot be classified: {err}.")
    st.stop()

if prediction.notes:
    st.info("Before the model heard it: " + "; ".join(prediction.notes) + ".")
st.audio(data, format=clip.type)
(genre, p), *others = prediction.top(2)
predictor = predict.load_model(run_id)
shown_genre, runner_up = as_markdown(genre), others and as_markdown(others[0][0])
st.subheader(f"Predicted genre: {shown_genre} ({percent(p)})")
st.markdown(as_markdown(model_choice.real_music_line(record)))  # the honest figure, where the eye lands
if others:
    how = "pretrained" if predictor.pretrained else "classic" if prediction.clip_level else "segments"
    n = len(prediction.segment_starts)
    teaching.show("predict", f"heard_{how}", draw=st.caption, runner_up=runner_up,
                  runner_up_p=percent(others[0][1]), seconds=f"{prediction.analysed_seconds:.3g}"
                  if prediction.clip_level else f"{prediction.segment_seconds:.3g}",
                  segments=f"{n} segment{'s' * (n != 1)}")

bars, trust = st.columns([3, 2])
bars.plotly_chart(charts.probabilities_bar(list(prediction.labels), prediction.probs), key="predict-probs")
with trust:
    accuracy_metric(record, runs.result(run_id), label="This model's test accuracy")
    checks = runs.checks(run_id)
    for check in checks:
        st.metric(f"On another collection: {as_markdown(check['dataset']['name'])}",
                  percent(check['accuracy']['value'], 1),
                  help="95 % Wilson interval over every checked clip")
        check_measured_on(check)
    if not checks:
        teaching.show("predict", "not_checked", draw=st.caption)
    teaching.show("predict", "trust", draw=st.caption)

if len(prediction.segment_starts) > 1:
    st.subheader("Over time")
    st.plotly_chart(charts.segment_timeline(list(prediction.labels), prediction.segment_probs,
                                            prediction.segment_starts, prediction.segment_seconds, prediction.probs),
                    key="predict-timeline")
    teaching.show("predict", "timeline", draw=st.caption)

st.subheader("What the model heard")
fcfg = predictor.features
st.plotly_chart(charts.waveform(prediction.waveform, prediction.waveform_sr), key="predict-wave")
figure, note = charts.clip_spectrogram(prediction.logmel, fcfg.sr, fcfg.hop_length)
st.plotly_chart(figure, key="predict-spec")
if note:
    st.caption(note)

if prediction.clip_level:
    teaching.show("predict", "no_saliency_pretrained" if predictor.pretrained else "no_saliency_classic",
                  draw=st.caption)
elif st.toggle(f"Explain: which parts of the spectrogram pushed the model towards {shown_genre}?",
               key="predict_explain"):
    st.plotly_chart(charts.saliency_overlay(prediction.logmel, explain(digest, run_id, prediction), fcfg.sr,
                                            fcfg.hop_length, title=f"gradient × input saliency for {genre}"),
                    key="predict-saliency")
    teaching.show("predict", "saliency", draw=st.caption, genre=shown_genre)
