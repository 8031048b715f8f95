"""Home: what GenreLab is, the active dataset, runs and jobs, and where to start."""

import streamlit as st

from core.base import catalog, config
from core.orchestration import lesson
from core.storage import queue, runs
from app_pages.common import cancel_button, dataset_selector, status_line
from core.base.usertext import as_markdown

st.title("GenreLab")
st.markdown(
    "A lab for **music-genre classification** and **GAN data augmentation**. It reproduces a study that "
    "trained an LSTM on GTZAN log-mel spectrograms (52.5 % test accuracy on 101 clips) and reported that "
    "700 GAN-generated spectrograms lifted it to 58.4 %, and it shows what that study got wrong: a GAN "
    "that never knew which genre it was drawing, generated and real data on different scales, only the "
    "first 4 s of each clip, and one unseeded split with no error bars. The **paper** preset reproduces "
    "the study; the **recommended** preset does it right; the **classic** preset is the feature-table "
    "recipe behind many GTZAN tutorials (clip-wide MFCC, chroma and tempo statistics in a logistic regression), "
    "the baseline a deep model has to beat.")

selected = dataset_selector()
if selected:
    st.info(f"Active dataset: **{selected[0]}** (`{selected[1].name}`). Change it in the sidebar; every page uses it.")



@st.fragment(run_every=1.0)
def lesson_progress(lesson_id: str) -> None:
    """The whole lesson as one progress bar; when it is over, Compare opens with its runs side by side."""
    state = lesson.status(lesson.advance(lesson_id))
    st.progress(state["fraction"], text=state["text"])
    if state["finished"] and state["classifiers"]:
        st.switch_page("app_pages/compare.py", query_params={"runs": ",".join(state["classifiers"])})


st.subheader("Run the lesson")
st.markdown(
    f"One click queues the study in miniature on the dataset chosen in the sidebar: the **paper LSTM** "
    f"({lesson.PAPER_EPOCHS} of the study's 120 epochs), the **recommended LSTM**, a **pretrained ear** (a frozen "
    "music tagger and a logistic regression, on the same clips), a **conditional GAN** "
    f"({lesson.GAN_EPOCHS} epochs) on the same training clips, and the recommended LSTM again with "
    f"**{lesson.PER_GENRE} generated clips per genre**; where the operator registered a second dataset, the "
    "recommended LSTM and the pretrained ear are also checked on it: genre learnt from scratch beside genre "
    "heard by a network that learnt music from a million songs. Compare then shows the results side by side, with "
    "intervals and paired tests. On the demo set it takes a few minutes (the pretrained ear listens about 1 s per "
    "clip the first time); you may leave this page meanwhile.")
if selected and st.button("Run the lesson", type="primary", key="lesson_start"):
    others = [n for n in catalog.allow_listed() if n != selected[0]]
    try:
        lesson_id = lesson.submit(selected[1], selected[0], overrides=config.parse_overrides(
            st.query_params.get("lesson_set", "")), gan_overrides=config.parse_overrides(
            st.query_params.get("lesson_gan_set", "")),
            check_on=(others[0], catalog.allow_listed()[others[0]]) if others else None)
    except config.ConfigError as err:
        st.error(f"The lesson's settings in this link are not valid: {err}")
    except OSError as err:
        st.error(f"Could not queue the lesson: {err}")
    else:
        st.query_params["lesson"] = lesson_id
current = st.query_params.get("lesson")
if current:
    try:  # checked here: an error inside the fragment would stop the rest of Home from being drawn
        lesson.load(current)
    except lesson.LessonError as err:
        st.warning(f"This link's lesson cannot be shown: {as_markdown(str(err))}.")
    else:
        lesson_progress(current)

st.subheader("Start here")
cols = st.columns(5)
for col, (page, text) in zip(cols, [
        ("app_pages/dataset.py", "Listen to the clips and look at their spectrograms."),
        ("app_pages/train.py", "Train the paper's LSTM, the recommended one, the classic recipe or a "
                                "pretrained ear."),
        ("app_pages/gan.py", "Train a GAN, hear its samples, augment the training set."),
        ("app_pages/compare.py", "Put runs side by side, with honest statistics."),
        ("app_pages/predict.py", "Upload or record a clip and see what the model hears.")]):
    with col:
        st.page_link(page)
        st.caption(text)

st.subheader("Runs")
all_runs, damaged = runs.scan()
if damaged:
    shown = "; ".join(f"`{d.folder}`: {d.reason}" for d in damaged[:5])
    st.warning(f"{len(damaged)} damaged run folder{'s' * (len(damaged) != 1)} skipped: {shown}"
               f"{' …' if len(damaged) > 5 else ''}. List them all with `python -m core runs --check`.")
active = [r for r in all_runs if r["status"] in runs.ACTIVE]
if not all_runs:
    st.caption("No runs yet. Train one on the Train page: the demo set trains in about a minute.")
for record in active:
    st.write(f"**{as_markdown(record['name'])}**: {status_line(record)}")
    if queue.is_orphan(record):
        cancel_button(record)
done = [r for r in all_runs if r["status"] not in runs.ACTIVE]
if done:
    st.dataframe([{"run": r["name"], "kind": r["kind"], "status": r["status"],
                   "dataset": r.get("dataset", {}).get("name", "?")} for r in done[:20]], hide_index=True)
