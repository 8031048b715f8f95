"""GAN: train the study's GAN or the conditional fix, watch it learn, listen to it, measure it, augment with it."""

from pathlib import Path

import numpy as np
import streamlit as st

from core import charts, config, evaluate, gan, inversion, runs, tasks
from core.config import FeatureConfig, GANConfig
from app_pages.common import (config_widgets, dataset_selector, features, job_progress, keep_open, manage_run,
                              measured_on, preset_picker, reopen_picker, settings_form, start_button)

PRESET_LABELS = {"paper": "paper (the study's GAN)", "conditional": "conditional (recommended)"}
CLASSIFIER_LABELS = {"paper": "paper LSTM (the study)", "recommended": "recommended LSTM"}
PER_GENRE = (10, 30, 70, 100, 150, 300)
SR = FeatureConfig().sr

st.title("Generate spectrograms with a GAN")
st.caption("The study added 700 GAN samples (70 per genre) to its training clips and reported 52.5 % → 58.4 %. "
           "Train its GAN or the conditional fix, watch them learn, listen to what they make, measure it, "
           "and train a classifier with it.")

selected = dataset_selector()
if selected is None:
    st.stop()
data_name, data_root = selected

preset_name = preset_picker(config.GAN_PRESETS, PRESET_LABELS, "conditional", key="gan_preset")
if preset_name == "paper":
    st.warning("**The study's GAN, flaws included.** (1) It takes no genre input: its samples get genre labels by "
               "position alone, so its 70 “rock” samples are no more rock than its 70 “jazz” ones. (2) Its tanh "
               "output lives in [-1, 1], while the real log-mels it is judged against and added to are dB re the "
               "clip maximum in [-80, 0]: the samples sit on a different scale. (3) It only sees the first ≈4 s "
               "(174 frames) of each clip.")
else:
    st.info("**The fix.** The generator is told the genre and the discriminator judges “real *for that genre*”; "
            "it learns train-normalised log-mel segments from the whole clip, scaled into [-1, 1], and its samples "
            "are scaled back to dB exactly before they join a classifier's training data.")
default = config.gan_preset(preset_name)
cfg = settings_form(default, key=f"gan-{preset_name}", skip=("model",))
run_id = start_button("Start GAN training",
                      lambda: tasks.submit_gan(cfg, data_root, data_name, preset=preset_name, enqueue=True), "gan_run")


def step_seconds(cfg: GANConfig) -> float:
    return gan.data_config(cfg).time_pool / FeatureConfig().frames_per_second


@st.fragment(run_every=1.0)
def live(run_id: str) -> None:
    """Progress, live curves and the latest samples, refreshed every second while the run is active."""
    record = job_progress(run_id)
    if record is None:
        return
    if (record.get("progress") or {}).get("phase") == "reference":
        st.caption("First a reference classifier, the judge of the samples, learns the real training clips; "
                   "then the GAN trains.")
    history = runs.history(run_id)
    if history:
        cfg = config.from_dict(GANConfig, record["config"])
        st.plotly_chart(charts.gan_curves(history, cfg.model), key=f"gan-curves-live-{run_id}")
        epochs, snaps = runs.load_snapshots(run_id)
        if epochs:
            st.caption(f"One sample per genre at epoch {epochs[-1]} (the same noise every epoch).")
            st.plotly_chart(charts.sample_grid(snaps[-1], record["dataset"]["labels"], step_seconds(cfg)),
                            key=f"gan-grid-live-{run_id}")
    if record["status"] not in runs.ACTIVE:
        st.rerun()


@st.cache_data(max_entries=8, show_spinner=False)
def snapshots(run_id: str) -> tuple[list[int], np.ndarray]:
    return runs.load_snapshots(run_id)


@st.cache_data(max_entries=64, show_spinner="Generating and inverting samples…")
def generated(run_id: str, genre: int, n: int, seed: int) -> list[tuple[np.ndarray, bytes | None]]:
    samples = gan.samples_from(*runs.load_generator(run_id), n, seed=seed)
    mels = [m for m, y in zip(gan.to_db(samples), samples.y) if y == genre]
    return list(zip(mels, inversion.listenable(mels, SR)))


@st.cache_data(max_entries=64, show_spinner="Inverting real clips…")
def real(run_id: str, genre: int, n: int, _fs, _train: tuple[int, ...],
         _cfg: GANConfig) -> list[tuple[np.ndarray, bytes | None]]:
    mels = gan.real_examples(_fs.mels, _fs.y, list(_train), _cfg, genre, n)
    return list(zip(mels, inversion.listenable(mels, SR)))


def show_examples(column, title: str, examples: list, bounds: tuple[float, float], key: str) -> None:
    column.markdown(f"**{title}**")
    if not examples:
        column.caption("None in this genre.")
    for i, (mel, wav) in enumerate(examples):
        column.plotly_chart(charts.spectrogram(mel, zmin=bounds[0], zmax=bounds[1]), key=f"{key}-{i}")
        if wav is None:
            column.caption("Silent after inversion.")
        else:
            column.audio(wav, format="audio/wav")


def training_view(record: dict, cfg: GANConfig) -> None:
    history = runs.history(record["id"])
    st.plotly_chart(charts.gan_curves(history, cfg.model), key=f"gan-curves-{record['id']}")
    scores = ("the probability D gives “real” (it should hover near 50 % when G fools it)" if cfg.model == "paper"
              else "D's raw hinge scores (real above fake; a gap that closes means G caught up)")
    st.caption(f"Losses and mean discriminator outputs per epoch; D(x) is {scores}. Fidelity: the share of "
               f"{tasks.TRACK_PER_GENRE} fixed-noise samples per genre the reference classifier puts in their "
               "intended genre.")
    epochs, snaps = snapshots(record["id"])
    if not epochs:
        st.info("No samples were saved for this run.")
        return
    epoch = st.select_slider("Epoch", epochs, value=epochs[-1], key=f"gan-epoch-{record['id']}")
    st.plotly_chart(charts.sample_grid(snaps[epochs.index(epoch)], record["dataset"]["labels"], step_seconds(cfg)),
                    key=f"gan-grid-{record['id']}")
    st.caption("One sample per genre from the same noise every epoch, in the generator's own output range [-1, 1]"
               + (" (the paper GAN ignores the genre: the columns differ only by noise)." if cfg.model == "paper"
                  else " (normalised log-mel divided by the scale)."))


def gallery_view(record: dict, cfg: GANConfig, result: dict) -> None:
    labels = result["labels"]
    left, right = st.columns(2)
    genre = left.selectbox("Genre", range(len(labels)), format_func=labels.__getitem__, key=f"gal-genre-{record['id']}")
    n = right.slider("Examples", 1, 4, 2, key=f"gal-n-{record['id']}")
    fs = features(record["dataset"]["name"], Path(record["dataset"]["root"]))
    if fs is None:
        return
    if cfg.model == "paper":
        st.caption("The paper GAN's output is shown and played as dB re the clip maximum by mapping [-1, 1] linearly "
                   "onto the [-80, 0] dB its training data spanned: dB = 40 · (x − 1). The study never did this; its "
                   "classifier read the raw values, all within 1 dB of the loudest. Real examples: the first "
                   f"{cfg.first_frames} frames of training clips in dB re max, as the GAN saw them.")
    else:
        st.caption("Conditional samples are de-scaled and de-normalised to dB log-mels, exactly as they join a "
                   f"classifier's data. Real examples: the middle {cfg.segment_seconds:g} s of training clips.")
    st.caption("Both sides go through the same Griffin-Lim inversion, so its phasey artefacts are not the GAN's "
               "fault. One colour scale for both. Every example plays at the same loudness "
               f"({inversion.LISTENING_RMS_DB:g} dB RMS): log-mels in dB re the clip maximum (the paper GAN's and "
               "its real examples) would otherwise play tens of dB quieter than the conditional GAN's, a difference "
               "of level, not of content.")
    fake = generated(record["id"], genre, n, cfg.seed)
    true = real(record["id"], genre, n, fs, tuple(record["split"]["train"]), cfg)
    mels = [m for m, _ in fake + true]
    bounds = (min(float(m.min()) for m in mels), max(float(m.max()) for m in mels))
    gen_col, real_col = st.columns(2)
    show_examples(gen_col, f"Generated “{labels[genre]}”", fake, bounds, f"gal-gen-{record['id']}")
    show_examples(real_col, f"Real “{labels[genre]}” (training clips of {record['dataset']['name']})", true, bounds,
                  f"gal-real-{record['id']}")


def quality_view(record: dict, result: dict) -> None:
    labels, fid, ref, fd = result["labels"], result["fidelity"], result["reference"]["accuracy"], result["frechet"]
    on = f"{result['per_genre']} generated samples per genre from epoch {result['epoch']}. {measured_on(record)}"
    st.markdown("##### Genre fidelity: do samples sound like their genre?")
    a, b, c = st.columns(3)
    a.metric("Genre fidelity", f"{fid['overall']:.0%}", help="Share of samples the reference classifier assigns to "
             "their intended genre")
    b.metric("Chance", f"{fid['chance']:.0%}")
    c.metric("Reference classifier's test accuracy", f"{ref['value']:.0%}", help=evaluate.format_accuracy(ref))
    st.plotly_chart(charts.genre_fidelity(labels, fid, ref["value"]), key=f"q-fid-{record['id']}")
    st.caption(f"A reference classifier trained on the real training clips judges each sample; it gets "
               f"{evaluate.format_accuracy(ref)} of real test clips right, so fidelity means little above that. "
               f"Second bars: where all samples went (one tall bar: they all sound alike). {on}")
    if "fidelity_rescaled" in result:
        st.caption(f"With the scale fixed ([-1, 1] mapped onto [-80, 0] dB) but the labels still arbitrary: "
                   f"{result['fidelity_rescaled']['overall']:.0%}.")
    st.markdown("##### Fréchet distance: are samples distributed like real inputs?")
    a, b = st.columns(2)
    a.metric("Fréchet distance, all genres", f"{fd['overall']:.2f}")
    b.metric("Real held-out vs real training", f"{fd['real_floor']:.2f}", help="What real data scores: the floor")
    st.plotly_chart(charts.frechet_per_genre(labels, fd), key=f"q-fd-{record['id']}")
    st.caption("Distance between the Gaussians fitted to real training and generated inputs in the reference's "
               f"embedding space (lower is closer); real held-out clips give the floor to read it against. {on}")
    st.markdown("##### Nearest neighbours: copies, or all alike?")
    st.plotly_chart(charts.nearest_distances(result["nearest"]), key=f"q-nn-{record['id']}")
    st.caption("Near 0 to a training input: memorised. Near 0 to another sample: mode collapse. Real held-out "
               f"inputs' distance to the training set is the yardstick. In the reference's input space; {on}")
    real_range, gen_range = result["ranges"]["real"], result["ranges"]["generated"]
    st.caption(f"Value ranges the GAN trained on vs produced: real [{real_range[0]:.2f}, {real_range[1]:.2f}], "
               f"generated [{gen_range[0]:.2f}, {gen_range[1]:.2f}].")


@st.fragment(run_every=1.0)
def augment_progress(ids: list[str]) -> None:
    for label, run in zip(("Baseline", "Augmented"), ids):
        try:
            st.caption(f"{label}: {runs.load(run)['name']}")
            job_progress(run)
        except runs.RunError:
            st.warning(f"The {label.lower()} run no longer exists.")


def augment_view(record: dict, cfg: GANConfig) -> None:
    fixed = gan.augment_settings(cfg)
    st.caption(f"The classifier uses the GAN's split ({cfg.split}) and seed ({cfg.seed}), so the generated samples "
               "come only from its own training clips"
               + (f"; the paper GAN's samples only fit the study's framing (first {cfg.first_frames} frames, "
                  "unpooled), so that is fixed too." if cfg.model == "paper" else "."))
    clf_names = list(config.PRESETS)
    clf_preset = st.radio("Classifier", clf_names, horizontal=True, key=f"aug-preset-{record['id']}",
                          format_func=CLASSIFIER_LABELS.get, index=clf_names.index("paper" if cfg.model == "paper"
                                                                                   else "recommended"))
    with st.expander("Classifier hyperparameters", expanded=False):
        clf_cfg = config_widgets(config.preset(clf_preset, **fixed), key=f"aug-{clf_preset}", skip=tuple(fixed))
    per_genre = st.select_slider("Generated samples per genre", PER_GENRE, 70, key=f"aug-n-{record['id']}",
                                 help="The study used 70 (its 58.4 %) and 150 (51.5 %).")
    if st.button("Train baseline and augmented classifier", key=f"aug-start-{record['id']}"):
        try:
            pair = tasks.submit_augmentation(clf_cfg, record["id"], per_genre, preset=clf_preset, enqueue=True)
        except OSError as err:
            st.error(f"Could not create the runs: {err}")
        else:
            st.session_state[f"augment-{record['id']}"] = list(pair)
    pair = st.session_state.get(f"augment-{record['id']}")
    if pair:
        augment_progress(pair)
        st.page_link("app_pages/compare.py", label="Compare baseline and augmented", icon="⚖️",
                     query_params={"runs": ",".join(pair)})
        st.caption("A baseline with exactly these settings is reused when one exists. Compare lists runs once "
                   "they have finished.")


def finished_view(record: dict) -> None:
    st.progress(1.0, text={"done": "Finished."}.get(record["status"], record["status"].capitalize() + "."))
    result = runs.result(record["id"])
    if not result:
        if record.get("error"):
            st.error(record["error"])
        else:
            st.info("This run stopped before its first GAN epoch finished: there is nothing to show.")
        return
    cfg = config.from_dict(GANConfig, record["config"])
    if record["status"] == "cancelled":
        st.caption(f"Cancelled: everything below is the last finished epoch, {result['epoch']}.")
    training, gallery, quality, augment = st.tabs(["Training", "Gallery", "Quality", "Augment a classifier"])
    with training:
        training_view(record, cfg)
    with gallery:
        gallery_view(record, cfg, result)
    with quality:
        quality_view(record, result)
    with augment:
        augment_view(record, cfg)


record = None
if run_id:
    try:
        record = runs.load(run_id)
    except runs.RunError:
        st.warning("That run no longer exists.")
if record and record["kind"] == "gan":
    keep_open("gan_run", run_id)
    st.subheader(record["name"])
    if record["status"] in runs.ACTIVE:
        live(run_id)
    else:
        manage_run(record, "gan_run")
        finished_view(record)
else:
    st.info("No GAN run open: start one above, or reopen a finished one below. On a CPU, the demo set's "
            "conditional GAN takes a few minutes.")

st.divider()
st.subheader("Reopen a GAN run")
reopen_picker("gan", "gan_run", run_id, "GAN runs")
