"""Compare: what a difference between runs is worth, and the study's table over many seeds."""

import streamlit as st

from core.base import config, experiment_plan
from core.orchestration import experiment, lesson, worker
from core.storage import runs
from core.usecases import charts, compare, conclusions, experiment_table, generalise, reports
from core.base.config import ConfigError
from app_pages import teaching
from app_pages.check_panel import check_form
from app_pages.data_picker import dataset_selector
from app_pages.run_controls import cancel_button, started_here
from app_pages.run_picker import run_options
from core.base.percent import percent, with_interval
from core.base.usertext import as_markdown

PERCENT = st.column_config.NumberColumn(format="percent")
SCORE = st.column_config.NumberColumn(format="%.2f")

st.title("Compare runs")
teaching.words_popover("compare")
st.caption("The study's conclusion rested on 53 vs 59 correct clips of 101, one unseeded run each. "
           "Here every accuracy carries its 95 % interval, runs tested on the same clips get a paired test, "
           "and an experiment repeats the whole table over several seeds.")
selected = dataset_selector()
runs_tab, exp_tab = st.tabs(["Runs side by side", "Experiment over seeds"])


def pick_runs() -> list[str]:
    """The selected classifier run ids (two or more to compare), kept in the URL as ``?runs=a,b``; without a
    choice in the URL or this session, the finished runs of the newest lesson on the dataset chosen in the sidebar."""
    options = run_options("clf", status=("done", "cancelled"))
    linked = [*st.query_params.get("runs", "").split(","), st.query_params.get("run", "")]
    if not any(linked) and "compare_runs" not in st.session_state and selected:
        linked = lesson.latest_runs(selected[0])
    wanted = list(dict.fromkeys(i for i in linked if i in options))
    ids = st.multiselect("Runs to compare", list(options), default=wanted, key="compare_runs", format_func=options.get,
                         placeholder="Choose two or more finished runs…")
    st.query_params["runs"] = ",".join(ids)
    if "run" in st.query_params:  # a link to one run (?run=) joins the selection, which the URL now carries
        del st.query_params["run"]
    return ids


def result_card(entries: list[compare.Entry]) -> None:
    """What the comparison shows, in sentences a teacher can read out, with what each figure was measured on."""
    card = conclusions.from_entries(entries)
    with st.container(border=True):
        st.markdown("#### What these runs show")
        st.markdown("\n".join(f"- {as_markdown(line)}" for line in card.lines))
        st.markdown("\n".join(f"- {as_markdown(line)}" for line in card.figures))
        st.caption("Measured on " + "; ".join(as_markdown(line) for line in card.measured) + ".")
        with st.expander("Where each figure comes from"):
            rows = compare.legend_rows(entries)
            st.dataframe([{"run": r["key"], "name": r["run"], "run id": r["run_id"], "measured on": r["measured_on"],
                           "dataset fingerprint": r["fingerprint"], "on other collections": r["other_collections"]}
                          for r in rows], hide_index=True)
            for e in entries:
                for check in compare.latest_checks(e):
                    st.caption(f"{e.short} on another collection: {as_markdown(generalise.describe(check))}")


def pair_verdicts(entries: list[compare.Entry]) -> None:
    """For every pair: McNemar's sentence when they share a test set, otherwise why they cannot be paired."""
    st.subheader("Are the differences real?")
    for c in compare.compare_all(entries):
        if c["paired"]:
            st.info(c["sentence"])
            st.caption(f"{c['reason']} Exact McNemar test: {c['mcnemar']['b']} clips only {c['a_key']} got right, "
                       f"{c['mcnemar']['c']} only {c['b_key']} got right.{c['adjustment']}")
        else:
            st.warning(c["reason"])


def confusions(entries: list[compare.Entry]) -> None:
    """One tab per run's confusion matrix (one colour scale for all), then one per difference to the first run."""
    st.subheader("Confusion matrices")
    normalise = st.toggle("Row-normalised", key="compare_norm", help="Each true genre's row sums to 100 %")
    zmax = compare.count_scale(entries)
    pairs = compare.differences(entries)
    tabs = st.tabs([f"{e.short} · {conclusions.recipe(e)}" for e in entries]
                   + [f"{b.short} − {a.short}" for a, b in pairs])
    for tab, e in zip(tabs, entries):
        tab.plotly_chart(compare.confusion_figure(e, normalise, zmax), key=f"cmp-cm-{e.id}")
    for tab, (a, b) in zip(tabs[len(entries):], pairs):
        tab.caption(f"Difference in percentage points of each true genre's clips (blue: more in that cell than "
                    f"{a.short}, red: fewer).")
        tab.plotly_chart(compare.difference_figure(a, b), key=f"cmp-diff-{b.id}")


def checks(entries: list[compare.Entry]) -> None:
    """Each run's check on another collection: a form per run, in tabs."""
    with st.expander("Check a run on another collection"):
        st.caption("A model that learnt its dataset's artists or recording levels instead of its genres does well on "
                   "its own test clips and badly on another collection.")
        for tab, e in zip(st.tabs([e.short for e in entries]), entries):
            with tab:
                st.markdown(f"**{e.short}: {as_markdown(e.name)}**")
                check_form(e.record, key=f"cmp-{e.id}")


def downloads(entries: list[compare.Entry]) -> None:
    left, mid, right = st.columns(3)
    left.download_button("Comparison (CSV)", reports.comparison_csv(entries), "comparison.csv", "text/csv",
                         on_click="ignore")
    mid.download_button("Report (HTML, works offline)", lambda: reports.html_report(entries), "comparison.html",
                        "text/html", on_click="ignore")
    right.download_button("Report (Markdown)", lambda: reports.markdown_report(entries), "comparison.md",
                          "text/markdown", on_click="ignore")


with runs_tab:
    ids = pick_runs()
    entries = compare.load_entries(ids)
    if len(entries) < 2:
        st.info("Choose two or more finished classifier runs (train them on the Train page, run the lesson from "
                "Home, or start an experiment in the next tab).")
    else:
        result_card(entries)
        st.subheader("Runs")
        import pandas as pd  # ~0.2 s: imported when two runs are compared, not on the page's first visit

        legend = pd.DataFrame(compare.legend_rows(entries)).set_index("key")
        legend["test accuracy"] = [with_interval(e.result["accuracy"], decimals=1, counts=True)
                                    for e in entries]
        checked = legend["other_collections"].astype(bool).any()
        st.table(legend[["run", "test accuracy", *(["other_collections"] if checked else [])]].map(as_markdown).rename(
            columns={"other_collections": "on other collections"}).rename_axis(None))
        st.plotly_chart(compare.accuracy_figure(entries), key="cmp-acc")
        st.caption("Dots: accuracy on the run's own test clips; diamonds: on another collection. Bars: 95 % "
                   "intervals. Each run keeps its colour in every chart.")
    if entries:
        checks(entries)
    if len(entries) >= 2:
        pair_verdicts(entries)
        confusions(entries)
        st.subheader("Per-class scores")
        st.dataframe(compare.per_class_wide(entries), hide_index=True,
                     column_config={k: SCORE for k in reports.per_class_columns(entries) if not k.endswith((
                         "genre", "support"))})
        if any(e.history for e in entries):
            st.subheader("Learning curves")
            st.plotly_chart(compare.learning_figure(entries), key="cmp-curves")
        downloads(entries)


def start_form() -> None:
    """Plan an experiment on the dataset chosen in the sidebar and hand it to the background worker."""
    if selected is None:
        return
    data_name, data_root = selected
    arms = [a[0] for a in experiment_plan.DESIGNS["paper"]]
    left, right = st.columns(2)
    chosen = left.multiselect("Classifiers", arms, default=arms, key="exp_arms",
                              help="paper LSTM with the paper GAN; recommended LSTM with the conditional GAN")
    seeds = right.slider("Seeds", 1, 10, 5, key="exp_seeds", help="Each seed: a new split and a new initialisation")
    amounts = left.multiselect("Generated clips per genre (besides the baseline)", [70, 150], default=[70, 150],
                               key="exp_amounts")
    overrides = right.text_input("Classifier settings", key="exp_set", placeholder="e.g. epochs=10, split=fold5",
                                 help="key=value pairs, comma separated, applied to every classifier; "
                                      "split=fold5 makes seeds 0-4 a stratified 5-fold cross-validation")
    gan_overrides = right.text_input("GAN settings", key="exp_gan_set", placeholder="e.g. epochs=20",
                                     help="key=value pairs applied to every GAN")
    pretrained = left.checkbox("Also the pretrained ear (musicnn + linear head)", key="exp_pretrained",
                               help="Its baseline only (no GAN, no controls), on the same seeds and splits, set "
                                    "beside each LSTM's baseline")
    pretrained_set = right.text_input("Pretrained ear settings", key="exp_pretrained_set", placeholder="e.g. C=0.1",
                                      disabled=not pretrained, help="key=value pairs; the split comes from the "
                                                                    "classifier settings")
    if st.button("Start experiment", type="primary", key="exp_start"):
        try:
            picked = (*chosen, "pretrained") if pretrained else tuple(chosen)
            plan = experiment_plan.plan("paper", seeds=seeds, per_genre=(0, *amounts), arms=picked,
                                   overrides=config.parse_overrides(overrides),
                                   gan_overrides=config.parse_overrides(gan_overrides), pretrained=pretrained,
                                   pretrained_overrides=config.parse_overrides(pretrained_set))
            exp_id = experiment.submit(plan, data_root, data_name, enqueue=True)
        except ConfigError as err:
            st.error(as_markdown(str(err)))
        else:
            started_here(exp_id)
            st.session_state["experiment"] = exp_id
            st.query_params["exp"] = exp_id


def table_columns(columns: dict[str, str]) -> dict:
    """Column headers of an experiment table: percentages, p-values to two digits, text as it is."""
    return {k: st.column_config.NumberColumn(v, format="percent") if k in reports.PERCENT
            else st.column_config.NumberColumn(v, format="%.2g") if k.startswith("p_")
            else st.column_config.Column(v) for k, v in columns.items()}


def titled_table(title: str, rows: list[dict], columns: dict[str, str], caption: str) -> None:
    """A bold title, a table of ``rows`` with ``columns`` and a caption."""
    st.markdown(f"**{title}**")
    st.dataframe(rows, hide_index=True, column_order=list(columns), column_config=table_columns(columns))
    st.caption(caption)


def experiment_view(record: dict, result: dict) -> None:
    """The summary, the paired differences, the per-seed chart and downloads of an experiment."""
    st.caption(f"Measured on {result['measured_on']}. {result['cells_done']} of {result['cells_total']} cells "
               "finished. The study's single runs: "
               + ", ".join(f"{'baseline' if n == 0 else f'+{n}/genre'} {percent(v, 1)}"
                           for n, v in experiment_plan.STUDY.items()))
    if not result["per_seed"]:
        return
    st.caption(experiment_table.units_caption(result))
    st.dataframe(result["summary"], hide_index=True, column_order=list(reports.SUMMARY_COLUMNS),
                 column_config=table_columns(reports.SUMMARY_COLUMNS))
    st.plotly_chart(charts.seed_spread(result["per_seed"], result["summary"], "Each seed or fold (dots) and the "
                                       "accuracy with its 95 % interval over clips or seeds (diamonds)"),
                    key=f"spread-{record['id']}")
    if result["differences"]:
        titled_table("Paired comparisons between settings of the same seed (same split), Holm-adjusted",
                     result["differences"], reports.DIFFERENCE_COLUMNS,
                     "Each setting is paired with the baseline of its seed, and each GAN setting also with its "
                     "controls: the baseline trained for as many optimiser steps (is it more data, or only more "
                     "steps?) and the baseline given as many SpecAugment-masked copies of real training inputs (does "
                     "the GAN beat simple augmentation?). The p-values of every comparison in the table are adjusted "
                     "together (Holm–Bonferroni), and the verdicts follow the adjusted values.")
    if result.get("gan_quality"):
        titled_table("The GANs' samples: train on synthetic, test on real (TSTR) and two-sample test (C2ST)",
                     result["gan_quality"], reports.GAN_COLUMNS,
                     "TSTR: the GAN's classifier recipe trained only on its samples, tested on the real test clips, "
                     "next to the same recipe trained on real clips (ratio 1: the samples teach as much). C2ST: how "
                     "often a logistic regression on per-band statistics tells held-out real segments from fresh "
                     "samples (50 %: it cannot). Neither shows the samples sound real to a listener.")
    with st.expander("Every seed"):
        st.dataframe(result["per_seed"], hide_index=True, column_order=list(reports.PER_SEED_COLUMNS),
                     column_config={"accuracy": PERCENT, "p_vs_baseline": st.column_config.NumberColumn(
                         "McNemar p vs baseline", format="%.2g")})
    left, right = st.columns(2)
    left.download_button("Table (CSV)", reports.experiment_csv(result), "experiment.csv", "text/csv",
                         key=f"exp-csv-{record['id']}", on_click="ignore")
    right.download_button("Table (Markdown)", reports.experiment_markdown(result, record["name"]), "experiment.md",
                          "text/markdown", key=f"exp-md-{record['id']}", on_click="ignore")


@st.fragment(run_every=1.0)
def live_experiment(exp_id: str) -> None:
    """Grid progress, a cancel button and the table so far, refreshed every second while it runs."""
    record = runs.load(exp_id)
    p = record.get("progress") or {}
    st.progress(p.get("cells_done", 0) / max(p.get("cells_total", 1), 1), text=experiment.status_text(record))
    if record["status"] in runs.ACTIVE:
        cancel_button(record)  # someone else's experiment is cancelled only after a second click
    result = runs.result(exp_id)
    if result:
        experiment_view(record, result)
    if record["status"] not in runs.ACTIVE:
        st.rerun()


def show_experiment(exp_id: str) -> None:
    record = runs.load(exp_id)
    st.subheader(as_markdown(record["name"]))
    if record["status"] in runs.ACTIVE:
        live_experiment(exp_id)
        return
    p = record.get("progress") or {}
    st.progress(p.get("cells_done", 0) / max(p.get("cells_total", 1), 1), text=experiment.status_text(record))
    if record["status"] in ("cancelled", "interrupted", "failed") and st.button("Resume", key=f"exp-resume-{exp_id}",
                                                                                 help="Finished cells are reused"):
        worker.resume(exp_id)
        st.rerun()
    result = runs.result(exp_id)
    if result:
        experiment_view(record, result)


with exp_tab:
    st.markdown("Baseline, +70 and +150 generated clips per genre, each over several seeds, for the paper LSTM "
                "with the study's GAN and the recommended LSTM with the conditional GAN.")
    with st.expander("Start an experiment"):
        start_form()
    experiments = run_options("exp", status=runs.ACTIVE + runs.FINAL)
    if experiments:
        ids = list(experiments)
        current = st.session_state.get("experiment") or st.query_params.get("exp")
        exp_id = st.selectbox("Experiment", ids, index=ids.index(current) if current in ids else 0,
                              format_func=experiments.get)
        st.session_state["experiment"] = exp_id
        st.query_params["exp"] = exp_id
        show_experiment(exp_id)
    else:
        st.caption("Experiments appear here once started (or from `python -m core experiment`).")
