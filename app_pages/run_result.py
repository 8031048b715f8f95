"""A finished run's figures, each saying what it was measured on: accuracy with its interval, confusion matrix,
per-class scores, and where a figure comes from (the data's fingerprint, the run's id)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.base.percent import percent, with_interval
from core.base.usertext import as_markdown
from core.storage import runs
from core.usecases import charts


def measured_on(record: dict) -> str:
    """Caption saying what a number was measured on."""
    return f"Measured on {as_markdown(runs.describe_data(record, fingerprint=False))}."


def provenance(*lines: str) -> None:
    """A details expander with what a figure was measured on, down to the data's fingerprint and the run's id (the
    main text leaves them out)."""
    with st.expander("Where this figure comes from"):
        for line in lines:
            st.caption(as_markdown(line))


def run_provenance(record: dict) -> None:
    """:func:`provenance` of a run's own figures: its data, down to the fingerprint, and its id."""
    provenance(f"The data: {runs.describe_data(record)}. The run: {record['id']}.")


def check_measured_on(check: dict) -> None:
    """What a check's accuracy was measured on: the collection by name, its fingerprint in the details."""
    from core.usecases import generalise

    st.caption(as_markdown(generalise.describe(check, fingerprint=False)))
    provenance(generalise.describe(check))


def accuracy_metric(record: dict, result: dict, label: str = "Test accuracy") -> None:
    acc = result["accuracy"]
    st.metric(label, percent(acc['value'], 1), help="95 % Wilson interval over the test clips.")
    st.caption(f"{with_interval(acc, decimals=1, counts=True)}. {measured_on(record)}")
    run_provenance(record)


def result_view(record: dict, result: dict, key: str) -> None:
    """Accuracy with its interval, confusion matrix and per-class scores of a finished run."""
    accuracy_metric(record, result)
    labels = result["labels"]
    left, right = st.columns(2)
    normalise = left.toggle("Row-normalised", key=f"norm-{key}", help="Each true genre's row sums to 100 %")
    left.plotly_chart(charts.confusion_heatmap(np.array(result["confusion"]), labels, normalise=normalise),
                      key=f"cm-{key}")
    right.dataframe(result["per_class"], hide_index=True, column_config={
        "precision": st.column_config.NumberColumn(format="%.2f"),
        "recall": st.column_config.NumberColumn(format="%.2f"),
        "f1": st.column_config.NumberColumn("F1", format="%.2f")})
