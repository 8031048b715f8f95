"""GAN: train the study's GAN or the conditional fix, watch it learn, listen to it, measure it, augment with it."""

from pathlib import Path

import numpy as np
import streamlit as st

from app_pages import teaching
from core.base import config
from core.storage import runs
from core.usecases import charts, conclusions
from core.base.config import FeatureConfig, GANConfig
from app_pages.data_picker import dataset_selector, features
from app_pages.run_controls import job_progress, keep_open, manage_run, resume_button, start_button, started_here
from app_pages.run_picker import own_run, reopen_picker
from app_pages.run_result import measured_on, run_provenance
from app_pages.settings import config_widgets, preset_picker, settings_form
from core.base.percent import percent
from core.base.usertext import as_markdown

PRESET_LABELS = {"paper": "paper (the study's GAN)", "conditional": "conditional (recommended)"}
CLASSIFIER_LABELS = {"paper": "paper LSTM (the study)", "recommended": "recommended LSTM"}
PER_GENRE = (10, 30, 70, 100, 150, 300)
SR = FeatureConfig().sr

st.title("Generate spectrograms with a GAN")
teaching.words_popover("gan")
teaching.show("gan", "intro", draw=st.caption)

selected = dataset_selector()
if selected is None:
    st.stop()
data_name, data_root = selected

preset_name = preset_picker(config.GAN_PRESETS, PRESET_LABELS, "conditional", key="gan_preset")
if preset_name == "paper":
    st.warning("**The study's GAN, flaws included.** (1) It takes no genre input: its samples get genre labels by "
               "position alone, so its 70 “rock” samples are no more rock than its 70 “jazz” ones. (2) Its "
               "tanh output lives in [-1, 1], while the real log-mels it is judged against and added to are dB re the "
               "clip maximum in [-80, 0]: the samples sit on a different scale. (3) It only sees the first ≈4 s "
               "(174 frames) of each clip.")
else:
    st.info("**The fix.** The generator is told the genre and the discriminator judges “real *for that genre*”; "
            "it learns train-normalised log-mel segments from the whole clip, scaled into [-1, 1], and its samples "
            "are scaled back to dB exactly before they join a classifier's training data.")
default = config.gan_preset(preset_name)
cfg = settings_form(default, key=f"gan-{preset_name}", skip=("model",))


def submit() -> str:
    # torch and scikit-learn load when a run starts, not on the page's first visit
    from core.orchestration import gan_run

    return gan_run.submit_gan(cfg, data_root, data_name, preset=preset_name, enqueue=True)


run_id = start_button("Start GAN training", submit, "gan_run")


# core.compute.gan, gan_samples and playback (torch) are imported by the views of a run that need them: a first visit
# with no GAN run shows the form without loading torch (1-2 s on a cold server).
def step_seconds(cfg: GANConfig) -> float:
    from core.compute import gan

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
    from core.compute import gan_samples, playback

    samples = gan_samples.samples_from(*runs.load_generator(run_id), n, seed=seed)
    mels = [m for m, y in zip(gan_samples.to_db(samples), samples.y) if y == genre]
    return list(zip(mels, playback.listenable(mels, SR)))


@st.cache_data(max_entries=64, show_spinner="Inverting real clips…")
def real(run_id: str, genre: int, n: int, _fs, _train: tuple[int, ...],
         _cfg: GANConfig) -> list[tuple[np.ndarray, bytes | None]]:
    from core.compute import gan_samples, playback

    mels = gan_samples.real_examples(_fs.mels, _fs.y, list(_train), _cfg, genre, n)
    return list(zip(mels, playback.listenable(mels, SR)))


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
    from core.orchestration import gan_run  # torch and scikit-learn: only for a run's view, not on the first visit

    history = runs.history(record["id"])
    st.plotly_chart(charts.gan_curves(history, cfg.model), key=f"gan-curves-{record['id']}")
    scores = ("the probability D gives “real” (it should hover near 50 % when G fools it)" if cfg.model == "paper"
              else "D's raw hinge scores (real above fake; a gap that closes means G caught up)")
    st.caption(f"Losses and mean discriminator outputs per epoch; D(x) is {scores}. Fidelity: the share of "
               f"{gan_run.TRACK_PER_GENRE} fixed-noise samples per genre the reference classifier puts in their "
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
    from core.compute import gan, playback

    labels = result["labels"]
    left, right = st.columns(2)
    genre = left.selectbox("Genre", range(len(labels)), format_func=labels.__getitem__, key=f"gal-genre-{record['id']}")
    n = right.slider("Examples", 1, 4, 2, key=f"gal-n-{record['id']}")
    fs = features(record["dataset"]["name"], Path(record["dataset"]["root"]))
    if fs is None:
        return
    if cfg.model == "paper":
        st.caption("The paper GAN's output is shown and played as dB re the clip maximum by mapping [-1, 1] linearly "
                   "onto the [-80, 0] dB its training data spanned: dB = 40 · (x − 1). The study never did this; "
                   "its classifier read the raw values, all within 1 dB of the loudest. Real examples: the first "
                   f"{cfg.first_frames} frames of training clips in dB re max, as the GAN saw them.")
    else:
        st.caption("Conditional samples are de-scaled and de-normalised to dB log-mels, exactly as they join a "
                   f"classifier's data. Real examples: the middle {cfg.segment_seconds:g} s of training clips.")
    st.caption("Both sides go through the same Griffin-Lim inversion, so its phasey artefacts are not the GAN's "
               "fault. One colour scale for both. Every example plays at the same loudness "
               f"({playback.LISTENING_RMS_DB:g} dB RMS): log-mels in dB re the clip maximum (the paper GAN's and "
               "its real examples) would otherwise play tens of dB quieter than the conditional GAN's, a difference "
               "of level, not of content.")
    try:
        fake = generated(record["id"], genre, n, cfg.seed)
    except gan.IncompatibleCheckpoint as err:
        st.error(f"The gallery cannot show this run: {err}.")
        return
    true = real(record["id"], genre, n, fs, tuple(record["split"]["train"]), cfg)
    mels = [m for m, _ in fake + true]
    bounds = (min(float(m.min()) for m in mels), max(float(m.max()) for m in mels))
    gen_col, real_col = st.columns(2)
    show_examples(gen_col, f"Generated “{labels[genre]}”", fake, bounds, f"gal-gen-{record['id']}")
    show_examples(real_col, f"Real “{labels[genre]}” (training clips of {as_markdown(record['dataset']['name'])})",
                  true, bounds, f"gal-real-{record['id']}")


def tstr_view(record: dict, result: dict) -> None:
    t = result["tstr"]
    st.markdown("##### Train on synthetic, test on real: do the samples teach what real music teaches?")
    st.markdown(f"**{conclusions.tstr_verdict(t)}**")
    a, b, c = st.columns(3)
    a.metric("Trained on samples only", percent(t['accuracy']), help=conclusions.measure_text(t))
    b.metric("Trained on real clips", percent(t['real_accuracy']), help="The same recipe: the reference classifier")
    c.metric("Ratio", "–" if t["ratio"] is None else f"{t['ratio']:.2f}", help="1.00: the samples teach as much as "
             "real data")
    st.caption(f"The recommended recipe trained only on generated segments, as many per genre as the real training "
               f"set has, then tested on the {t['n']} real test clips: {conclusions.measure_text(t, 1)}, "
               f"against {percent(t['real_accuracy'], 1)} when trained on the real clips. Its last epoch is tested, so "
               "no real clip chooses anything. It can show whether the samples carry what tells the genres apart in "
               "real music; it cannot show that they sound real (exaggerated genre cues can teach well). "
               f"{measured_on(record)}")


def c2st_view(record: dict, result: dict) -> None:
    c, e = result["c2st"], result.get("c2st_embedding")
    st.markdown("##### Classifier two-sample tests: can the samples be told from real segments?")
    st.markdown(f"**{conclusions.c2st_verdict(c, e)}**")
    a, b = st.columns(2)
    a.metric("Told apart by band statistics", percent(c['accuracy']), help=conclusions.measure_text(c))
    if e:
        b.metric("Told apart in the judge's embedding", percent(e['accuracy']), help=conclusions.measure_text(e))
    st.caption(f"Each judge is a logistic regression that learnt real training segments against generated ones, then "
               f"labelled {c['n']} inputs it never saw: held-out real validation segments and as many fresh samples; "
               "50 % means it cannot tell them apart, 100 % that every sample gives itself away. The first reads each "
               f"mel band's level, spread and step-to-step change: {conclusions.measure_text(c, 1)}; "
               "missing onsets show up there as too little change. The conditional GAN's discriminator sees these "
               "statistics too, so its generator is trained to match them: the second judge reads what the reference "
               "classifier's LSTM makes of the whole segment, which no generator is trained against"
               + (f": {conclusions.measure_text(e, 1)}." if e else " (this run was measured before it "
                  "existed).")
               + " It can show that samples differ from real segments in what the judges read; it cannot show realism "
               "in what both miss (melody, harmony, form), and a stronger classifier may still tell them apart. "
               f"{measured_on(record)}")


def frechet_view(record: dict, result: dict, labels: list[str]) -> None:
    fd = result["frechet"]
    st.markdown("##### Fréchet distance: are samples distributed like real inputs?")
    st.markdown(f"**{conclusions.frechet_verdict(fd)}**")
    a, b = st.columns(2)
    a.metric("Training vs generated", f"{fd['overall']:.2f}", help=f"bootstrap interval {fd['ci95'][0]:.2f}–"
             f"{fd['ci95'][1]:.2f}")
    b.metric("Training vs real held-out (the floor)", f"{fd['real_floor']:.2f}",
             help=f"bootstrap interval {fd['real_floor_ci95'][0]:.2f}–{fd['real_floor_ci95'][1]:.2f}")
    st.caption(f"Distance between Gaussians fitted to {fd['n']} real training and {fd['n']} generated inputs in the "
               f"reference's {fd['dims']}-d embedding, and between {fd['n']} training and {fd['n']} held-out real "
               f"inputs: the same n, so the same small-sample bias. Bootstrap intervals: generated "
               f"{fd['ci95'][0]:.2f}–{fd['ci95'][1]:.2f}, floor {fd['real_floor_ci95'][0]:.2f}–"
               f"{fd['real_floor_ci95'][1]:.2f} (resampling biases both upwards alike: compare them with each other). "
               "It can show how far the samples sit from real inputs as the judge sees them; it cannot show what "
               f"the judge ignores, and it reads only means and covariances. {measured_on(record)}")
    if any(v is not None for v in fd["per_class"]):
        st.plotly_chart(charts.frechet_per_genre(labels, fd), key=f"q-fd-{record['id']}")
    else:
        st.caption(f"No per-genre distances: a genre needs more than {fd['dims']} inputs on each side for its "
                   "covariance to be estimated, and none has that many here.")


def fidelity_view(record: dict, result: dict, labels: list[str], on: str) -> None:
    fid, real = result["fidelity"], result["real_fidelity"]
    st.markdown("##### Genre fidelity: does the judge recognise the intended genre?")
    a, b, c = st.columns(3)
    a.metric("Genre fidelity (samples)", percent(fid['overall']), help="Share of samples the reference classifier "
             "assigns to their intended genre")
    b.metric("The judge on real held-out segments", percent(real['overall']), help="The same measure on real "
             "validation segments: the same unit")
    c.metric("Chance", percent(fid['chance']))
    st.plotly_chart(charts.genre_fidelity(labels, fid, real["overall"]), key=f"q-fid-{record['id']}")
    st.caption("The reference classifier (the same recipe, trained on the real training clips the GAN learnt from) "
               f"judges each sample; on real held-out segments it is right {percent(real['overall'])} of the time. "
               "Fidelity above that means prototypes the judge finds easier than real music, not realism; far below "
               "it, samples miss their genre's cues. It cannot show realism: the judge was trained on the same "
               f"segments as the GAN. Second bars: where all samples went (one tall bar: they all sound alike). {on}")
    if "fidelity_rescaled" in result:
        st.caption(f"With the scale fixed ([-1, 1] mapped onto [-80, 0] dB) but the labels still arbitrary: "
                   f"{percent(result['fidelity_rescaled']['overall'])}.")


def quality_view(record: dict, result: dict) -> None:
    labels = result["labels"]
    on = f"{result['per_genre']} generated samples per genre from epoch {result['epoch']}. {measured_on(record)}"
    if "tstr" in result:
        tstr_view(record, result)
        c2st_view(record, result)
    else:
        st.info("This run was measured before TSTR and the two-sample test existed: train it again to see them.")
    if "n" in result["frechet"]:
        frechet_view(record, result, labels)
    fidelity_view(record, result, labels, on)
    st.markdown("##### Nearest neighbours: copies, or all alike?")
    st.plotly_chart(charts.nearest_distances(result["nearest"]), key=f"q-nn-{record['id']}")
    st.caption("Near 0 to a training input: memorised. Near 0 to another sample: mode collapse. Real held-out "
               f"inputs' distance to the training set is the yardstick. In the reference's input space; {on}")
    real_range, gen_range = result["ranges"]["real"], result["ranges"]["generated"]
    st.caption(f"Value ranges the GAN trained on vs produced: real [{real_range[0]:.2f}, {real_range[1]:.2f}], "
               f"generated [{gen_range[0]:.2f}, {gen_range[1]:.2f}].")
    run_provenance(record)


@st.fragment(run_every=1.0)
def augment_progress(ids: list[str]) -> None:
    for label, run in zip(("Baseline", "Augmented"), ids):
        try:
            st.caption(f"{label}: {as_markdown(runs.load(run)['name'])}")
            job_progress(run)
        except runs.RunError:
            st.warning(f"The {label.lower()} run no longer exists.")


def augment_view(record: dict, cfg: GANConfig) -> None:
    from core.compute import gan_samples

    fixed = gan_samples.augment_settings(cfg)
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
                                 help=teaching.text("gan", "per_genre_help")[0])
    if st.button("Train baseline and augmented classifier", key=f"aug-start-{record['id']}"):
        # torch and scikit-learn load when a run starts, not on the page's first visit
        from core.orchestration import classifier

        try:
            pair = classifier.submit_augmentation(clf_cfg, record["id"], per_genre, preset=clf_preset, enqueue=True)
        except OSError as err:
            st.error(f"Could not create the runs: {err}")
        else:
            for run in pair:
                started_here(run)
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
    resume_button(record)
    result = runs.result(record["id"])
    cfg = config.from_dict(GANConfig, record["config"])
    if not result:
        if record.get("error"):
            st.error(as_markdown(record["error"]))
        if runs.history(record["id"]):
            st.caption("It stopped before its samples were measured: below is its training up to its last "
                       "checkpoint. Resume it to finish training and measure the samples.")
            training_view(record, cfg)
        elif not record.get("error"):
            st.info("This run stopped before its first GAN epoch finished: there is nothing to show yet.")
        return
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


record = own_run(run_id, "gan")
if record:
    keep_open("gan_run", run_id)
    st.subheader(as_markdown(record["name"]))
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
