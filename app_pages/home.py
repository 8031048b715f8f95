"""Home: what GenreLab is, the active dataset, runs and jobs, and where to start."""

import streamlit as st

from core import jobs, runs
from app_pages.common import dataset_selector, status_line

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

st.subheader("Start here")
cols = st.columns(5)
for col, (page, text) in zip(cols, [
        ("app_pages/dataset.py", "Listen to the clips and look at their spectrograms."),
        ("app_pages/train.py", "Train the paper's LSTM, the recommended one, or the classic recipe."),
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
    st.write(f"**{record['name']}**: {status_line(record)}")
if active:
    jobs.ensure_worker()
done = [r for r in all_runs if r["status"] not in runs.ACTIVE]
if done:
    st.dataframe([{"run": r["name"], "kind": r["kind"], "status": r["status"],
                   "dataset": r.get("dataset", {}).get("name", "?")} for r in done[:20]], hide_index=True)
