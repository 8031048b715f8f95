"""'Does it generalise?': check a finished run on another dataset, follow the check, and show every check made."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.base import catalog
from core.base.datasets import DatasetError
from core.base.percent import percent
from core.base.usertext import as_markdown
from core.storage import runs
from core.base import progress as steps
from core.usecases import charts
from app_pages.data_picker import resolve_dataset
from app_pages.run_controls import cancel_button, started_here, status_line
from app_pages.run_result import check_measured_on


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
                          help="Any dataset but the one it was trained on (for a model of real music, other real "
                               "recordings come first). Genres match the model's by name, case "
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
