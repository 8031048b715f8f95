"""Home: what GenreLab is, the active dataset, runs and jobs, and where to start."""

import streamlit as st

from app_pages import teaching
from core.base import catalog, config
from core.orchestration import lesson
from core.storage import queue, runs
from app_pages.data_picker import dataset_selector
from app_pages.run_controls import cancel_button, resume_button, started_here, status_line
from app_pages.lesson_view import card, follow
from core.base.usertext import as_markdown
from core.usecases import charts, conclusions

st.title("GenreLab")
teaching.words_popover("home")
teaching.show("home", "intro")

selected = dataset_selector()
if selected:
    st.info(f"Active dataset: **{selected[0]}**. Change it in the sidebar; every page uses it.")

st.subheader("The study's numbers, with the error bars it left out")
study_rows, study_text = conclusions.study()
st.plotly_chart(charts.accuracy_intervals(study_rows, axis="the study's test accuracy (95 % interval we add)"),
                key="study")
st.caption(study_text)


def show_lesson(record: dict) -> None:
    """The lesson on this page: its card (step, elapsed, time left for all of it) and a cancel button while it runs;
    when it ends while this session follows it, Compare opens with its runs side by side. A cancelled, interrupted
    or failed lesson, or a finished one with a failed step, can be resumed: the steps that did not finish train, the
    finished ones are kept."""
    state = card(record)
    if record["status"] in runs.ACTIVE:
        st.session_state["lesson_following"] = record["id"]
        cancel_button(record, "Cancel the lesson")
    elif st.session_state.get("lesson_following") == record["id"]:
        st.session_state.pop("lesson_following")
        if state["classifiers"]:
            st.switch_page("app_pages/compare.py", query_params={"runs": ",".join(state["classifiers"])})
    if state["resumable"]:
        left = len(state["to_train"])
        resume_button(record, f"Resume the lesson ({left} step{'s' * (left != 1)} to run, the finished ones kept)")


st.subheader("Run the lesson")
promise, provenance = lesson.promise()
st.markdown(
    f"One click queues the study in miniature on the dataset chosen in the sidebar: the **paper LSTM** "
    f"({lesson.PAPER_EPOCHS} of the study's 120 epochs), the **recommended LSTM**, the **classic recipe** "
    "(hand-made features in a logistic regression) and a **pretrained ear** (a frozen music tagger and a logistic "
    "regression), all on the same clips: three ways to learn genre, from scratch, from hand-made features and from a "
    "network that learnt music from a million songs. Then a **conditional GAN** "
    f"({lesson.GAN_EPOCHS} epochs) on the same training clips, and the recommended LSTM again with "
    f"**{lesson.PER_GENRE} generated clips per genre**; where the operator registered a second dataset, the "
    "recommended LSTM, the classic recipe and the pretrained ear are also checked on it. Compare then shows the "
    "results side by side, with intervals and paired tests. The server runs the lesson: you may leave this page, "
    f"and every page's sidebar follows it. {promise}")
running = lesson.active(selected[0]) if selected else None
left, right = st.columns(2)
start = left.button("Run the lesson", type="primary", key="lesson_start", disabled=running is not None,
                    width="stretch", help=provenance or None)
quick = right.button("Quick lesson", key="lesson_quick", disabled=running is not None, width="stretch",
                     help=f"The same steps with every LSTM and the GAN trained {lesson.QUICK_EPOCHS} epochs: rougher "
                          f"results, sooner. {provenance}")
if running:
    st.caption(f"A lesson is {running['status']} on this dataset: one at a time. Follow it here or in the sidebar.")
if selected and (start or quick):
    target = catalog.lesson_check_target(selected[0])
    try:
        lesson_id = lesson.submit(selected[1], selected[0], overrides=config.parse_overrides(
            st.query_params.get("lesson_set", "")), gan_overrides=config.parse_overrides(
            st.query_params.get("lesson_gan_set", "")), quick=quick,
            check_on=(target, catalog.resolve(target)) if target else None)
    except config.ConfigError as err:
        st.error(f"The lesson's settings in this link are not valid: {err}")
    except lesson.LessonError as err:
        st.info(f"{as_markdown(str(err)).capitalize()}.")
    except OSError as err:
        st.error(f"Could not queue the lesson: {err}")
    else:
        started_here(lesson_id)
        st.query_params["lesson"] = lesson_id
        st.rerun()  # the buttons are drawn again, disabled while the lesson runs
shown = running or next(iter(lesson.lessons(selected[0])), None) if selected else None
if st.query_params.get("lesson"):
    try:  # checked here: an error inside the fragment would stop the rest of Home from being drawn
        shown = lesson.load(st.query_params["lesson"])
    except lesson.LessonError as err:
        st.warning(f"This link's lesson cannot be shown: {as_markdown(str(err))}.")
if shown and shown["status"] in runs.ACTIVE:
    follow(shown["id"], show_lesson)
elif shown:
    show_lesson(shown)

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
if not all_runs:
    st.caption("No runs yet. Train one on the Train page: the demo set trains in about a minute.")


@st.fragment(run_every=2.0)
def active_runs() -> None:
    """Queued and running runs, each with its status, refreshed every 2 s; a lesson's steps are told by the lesson's
    own line (so no step reads 'Preparing data' while the lesson's bar is at epoch 5)."""
    for record in runs.list_runs():
        if record["status"] not in runs.ACTIVE or (record.get("lesson") and not queue.is_orphan(record)):
            continue
        st.write(f"**{as_markdown(record['name'])}**: {status_line(record)}")
        if queue.is_orphan(record):
            cancel_button(record)


if any(r["status"] in runs.ACTIVE for r in all_runs):
    active_runs()
done = [r for r in all_runs if r["status"] not in runs.ACTIVE]
if done:
    st.dataframe([{"run": r["name"], "kind": r["kind"], "status": r["status"],
                   "dataset": r.get("dataset", {}).get("name", "?")} for r in done[:20]], hide_index=True)
