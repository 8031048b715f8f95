"""Dataset: what the clips sound and look like, how genres are balanced, what was skipped; add a zip."""

import numpy as np
import streamlit as st

from core.usecases import charts, explore
from core.base.audio import AUDIO_EXTENSIONS, AudioError
from core.storage.extract import FeatureSet
from core.usecases.unpack import UnpackError, unpack_zip
from app_pages import teaching
from app_pages.data_picker import dataset_overview, dataset_selector, features
from core.base.percent import percent
from core.base.usertext import as_markdown

st.title("Explore a dataset")
teaching.words_popover("dataset")
teaching.show("dataset", "intro", draw=st.caption)


@st.cache_data(max_entries=4, show_spinner="Placing the clips as the pretrained ear hears them…")
def ear_map(root: str, fingerprint: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], tuple[str, ...],
                                                  int]:
    """PCA map of the pretrained network's pooled features: coords, explained variance, labels, keys, genres and
    how many features each clip had."""
    from core.storage.extract import load_embeddings

    bar = st.progress(0.0, text="The pretrained network listens…")
    es = load_embeddings(root, progress=lambda d, t: bar.progress(
        d / t, text=f"The pretrained network listens, clip {d} of {t}"))
    bar.empty()
    stats = explore.ear_stats(es.embeddings)
    coords, explained = explore.pca_map(stats)
    return coords, explained, es.y, es.keys, es.labels, stats.shape[1]


@st.cache_data(max_entries=16, show_spinner="Decoding the clip…")
def clip_preview(fingerprint: str, index: int, _fs: FeatureSet) -> explore.ClipPreview:
    return explore.clip_preview(_fs, index)


def unpack_upload() -> None:
    """File-uploader callback: unpack the zip and select the new dataset before the selector is drawn."""
    upload = st.session_state.get("zip_upload")
    if upload is None:
        return
    try:
        with st.spinner(f"Unpacking {as_markdown(upload.name)}…"):
            root = unpack_zip(upload.getvalue(), upload.name)
    except UnpackError as err:
        st.session_state["upload_message"] = ("error", f"{as_markdown(upload.name)} was not added: "
                                                       f"{as_markdown(str(err))}.")
        return
    name = f"upload: {root.name}"
    st.session_state["dataset"] = name
    st.session_state.pop("dataset_choice", None)  # the sidebar selector is redrawn on the new dataset
    st.session_state["upload_message"] = ("success", f"{as_markdown(upload.name)} was added as **{as_markdown(name)}** "
                                                     "and is now selected.")


def show_clip(fs: FeatureSet, index: int, fingerprint: str, key: str) -> None:
    """Player, waveform and log-mel of one clip."""
    try:
        preview = clip_preview(fingerprint, index, fs)
    except AudioError as err:
        st.error(f"This clip can no longer be read (was the file changed?): {err}")
        return
    seconds = len(preview.audio) / preview.sr
    st.audio(preview.audio, sample_rate=preview.sr)
    st.caption(f"**{as_markdown(fs.clips[index].key)}** · {seconds:.1f} s"
               + (f" (the first {seconds:.0f} s of a longer file)" if preview.truncated else ""))
    st.plotly_chart(charts.waveform(preview.waveform, preview.waveform_rate), key=f"wave-{key}")
    figure, note = charts.clip_spectrogram(preview.S_db, fs.cfg.sr, fs.cfg.hop_length)
    st.plotly_chart(figure, key=f"spec-{key}")
    if note:
        st.caption(note)


def keep(key: str) -> None:
    """Copy widget ``key``'s value to ``key-kept``, which Streamlit keeps while the widget is not drawn (its tab is
    closed), so the widget comes back as the user left it."""
    st.session_state[f"{key}-kept"] = st.session_state[key]


selected = dataset_selector()
fs = features(*selected) if selected else None

# Expanders that rerun on opening draw their content only when open: a closed one costs the first visit no uploader or
# table code in the browser.
with st.expander("Add a dataset from a zip", expanded=fs is None, key="zip_adder", on_change="rerun") as adder:
    if adder.open:
        st.markdown(f"One folder per genre, audio files inside ({', '.join(e[1:].upper() for e in AUDIO_EXTENSIONS)}), "
                    "e.g. `mydata/rock/song1.wav`, `mydata/jazz/song2.wav`. At least two genres; only audio files are "
                    "kept.")
        limit_mb = st.get_option("server.maxUploadSize")
        st.file_uploader(f"Zip file (at most {limit_mb} MB)", type=["zip"], key="zip_upload", on_change=unpack_upload,
                         help=f"The server accepts uploads of up to {limit_mb} MB; for a larger dataset, ask your "
                              "operator to register its folder (GENRELAB_DATASETS).")
        if "upload_message" in st.session_state:
            kind, text = st.session_state.pop("upload_message")
            (st.success if kind == "success" else st.error)(text)

if fs is None:
    st.info("Pick another dataset in the sidebar, or add one from a zip above.")
    st.stop()

data_name = selected[0]
fingerprint = fs.fingerprint
n_clips = len(fs.clips)
where = f"{as_markdown(data_name)} ({n_clips} clips)"
counts = explore.class_counts(fs.labels, fs.y)

st.subheader("Class balance")
minutes = explore.total_seconds(fs.mels, fs.cfg.frames_per_second) / 60
# One line, not four st.metric: Home shows none, so they made Dataset's first visit fetch and run six more modules.
st.markdown(f"**{n_clips}** usable clips · **{len(fs.labels)}** genres · **{minutes:.1f} min** of audio · "
            f"**{len(fs.skipped)}** files skipped")
st.plotly_chart(charts.class_balance(counts), key="balance")
ratio = explore.imbalance_ratio(counts)
st.caption(f"Measured on {where}: the largest genre has {ratio:.2f}× the clips of the smallest."
           + (" With classes this uneven, read per-genre recall, not only accuracy." if ratio > 1.5 else ""))

with st.expander(f"Scan report: {len(fs.skipped)} of {n_clips + len(fs.skipped)} files skipped", key="scan_report",
                 on_change="rerun") as report:
    if report.open and fs.skipped:
        st.dataframe([{"reason": r, "files": n} for r, n in explore.skip_reasons(fs.skipped).items()], hide_index=True)
        st.dataframe([{"file": s.path, "reason": s.reason} for s in fs.skipped], hide_index=True)
    elif report.open:
        st.success(f"Every file found in {as_markdown(data_name)} was usable audio.")

st.subheader("Listen and look")
genre = st.selectbox("Genre", fs.labels, key="browse_genre")
members = np.flatnonzero(fs.y == fs.labels.index(genre)).tolist()
clip = st.selectbox(f"Clip ({len(members)} in {as_markdown(genre)})", members, index=None, key=f"browse_clip-{genre}",
                    placeholder="Pick a clip to hear it and see its log-mel spectrogram",
                    format_func=lambda i: fs.clips[i].path.name)
if clip is not None:  # drawn on request: a clip's player, waveform and log-mel were most of the page's first draw
    show_clip(fs, clip, fingerprint, key="browse")

st.subheader("Genres side by side")
with st.spinner("Averaging spectrograms per genre and placing the clips on a map…"):
    overview = dataset_overview(fingerprint, fs)
# Tabs that rerun on a switch draw only the open tab: the first visit draws the mean spectrograms, not the map too.
means_tab, map_tab = st.tabs(["Mean spectrogram per genre", "Map of the clips"], key="genres_tab", on_change="rerun")
if means_tab.open:
    with means_tab:
        means = overview.means
        kept_genre = st.session_state.get("mean_genre-kept")
        mean_genre = st.segmented_control("Genre", fs.labels, key="mean_genre", format_func=as_markdown,
                                          default=kept_genre if kept_genre in fs.labels else fs.labels[0],
                                          on_change=keep, args=("mean_genre",)) or fs.labels[0]
        k = fs.labels.index(mean_genre)
        zmin, zmax = explore.level_range(means)
        st.plotly_chart(charts.spectrogram(means[k], fs.cfg.sr, fs.cfg.hop_length * explore.MEAN_STEP,
                                           title=f"{mean_genre}: mean of {counts[mean_genre]} clips", zmin=zmin,
                                           zmax=zmax), key="mean-spec")
        st.plotly_chart(charts.mean_spectra(explore.band_levels(means), list(fs.labels), fs.cfg.sr,
                                            title="Mean level per band, all genres"), key="mean-spectra")
        step_ms = 1000 * explore.MEAN_STEP / fs.cfg.frames_per_second
        st.caption(f"Measured on {where}: dB averaged over each genre's clips, from their start, in steps of "
                   f"{step_ms:.0f} ms, over at most the first "
                   f"{means.shape[2] * explore.MEAN_STEP / fs.cfg.frames_per_second:.0f} s; one colour scale for all "
                   "genres.")
if map_tab.open:
    with map_tab:
        explained = overview.explained
        event = st.plotly_chart(
            charts.clip_map(overview.coords, list(fs.labels), fs.y, fs.keys, axis_titles=(
                f"PC 1 ({percent(explained[0])} of variance)", f"PC 2 ({percent(explained[1])})")),
            on_select="rerun", selection_mode="points", key="clip_map")
        st.caption(f"Measured on {where}: each point is a clip, placed by PCA of each mel band's mean and spread over "
                   f"time ({2 * fs.cfg.n_mels} numbers, standardised). Clips that sound alike tend to land close; "
                   "genres that mix here are hard to tell apart.")
        if st.toggle("Also as the pretrained ear hears them", key="ear_map", on_change=keep, args=("ear_map",),
                     value=st.session_state.get("ear_map-kept", False),
                     help="musicnn, a network pretrained on a million songs (the 'pretrained' preset's ear), listens "
                          "to every clip: about 1 s per clip the first time, then it is cached"):
            ear_coords, ear_explained, ear_y, ear_keys, ear_labels, width = ear_map(str(selected[1]), fingerprint)
            st.plotly_chart(charts.clip_map(ear_coords, list(ear_labels), ear_y, ear_keys, axis_titles=(
                f"PC 1 ({percent(ear_explained[0])} of variance)", f"PC 2 ({percent(ear_explained[1])})")),
                key="ear-map")
            st.caption(f"Measured on {where}: the same clips placed by PCA of what the pretrained network heard "
                       f"({explore.ear_stats_text(width)}, standardised): "
                       "what the pretrained preset's classifier reads. Genres that form tighter groups here than on "
                       "the log-mel map are easier for it than for a model learning from the spectrogram alone.")
        picked = explore.selected_clip(event.selection.points, n_clips)
        if picked is None:
            st.info("Click a point to hear that clip.")
        else:
            show_clip(fs, picked, fingerprint, key="map")
