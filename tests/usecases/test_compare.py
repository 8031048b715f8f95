import base64
import csv
import io
import json
import re

import numpy as np
import pytest

from core.storage import runs
from core.usecases import compare, reports
from helpers import LABELS, fake_run, study_pair

def test_same_test_set_is_paired_with_mcnemar(data_dir):
    a, b = compare.load_entries(list(study_pair()))
    verdict = compare.compare_pair(a, b)
    assert verdict["paired"] and verdict["mcnemar"]["b"] == 14 and verdict["mcnemar"]["c"] == 20
    assert round(verdict["mcnemar"]["p_value"], 2) == 0.39
    assert "59 vs 53 of 101 paired clips" in verdict["sentence"]
    assert "no evidence of a real difference" in verdict["sentence"]


def test_the_pairwise_tests_are_holm_adjusted_together_and_say_so(data_dir):
    a = np.zeros(40, bool)
    a[:10] = True
    b, c = a.copy(), a.copy()
    b[10:16] = True  # 6 clips only B got right: p = 0.031 on its own
    c[10:17] = True  # 7 only C: p = 0.016
    entries = compare.load_entries([fake_run("a", a), fake_run("b", b), fake_run("c", c)])
    ab, ac, bc = compare.compare_all(entries)
    assert [round(v["mcnemar"]["p_raw"], 3) for v in (ab, ac, bc)] == [0.031, 0.016, 1.0]
    assert [round(v["mcnemar"]["p_value"], 3) for v in (ab, ac, bc)] == [0.062, 0.047, 1.0]  # × 2, × 3, capped
    assert ("p = 0.062 after Holm's adjustment for the runs' 3 paired tests (not below 0.05): no evidence of a real "
            "difference") in ab["sentence"]
    assert "p = 0.047 after Holm's adjustment for the runs' 3 paired tests (below 0.05)" in ac["sentence"]
    assert ab["adjustment"].endswith("this test alone gives p = 0.031.")
    paired = [(r["other_run"], r["metric"], round(r["value"], 3), r["note"]) for r in reports.csv_rows(entries)
              if r["section"] == "paired"]  # each pair's own p-value, then the adjusted one its sentence uses
    assert [p[:3] for p in paired] == [("b", "mcnemar_p", 0.031), ("b", "mcnemar_p_holm", 0.062),
                                       ("c", "mcnemar_p", 0.016), ("c", "mcnemar_p_holm", 0.047),
                                       ("c", "mcnemar_p", 1.0), ("c", "mcnemar_p_holm", 1.0)]
    assert paired[0][3].startswith("Before Holm's adjustment") and paired[1][3] == ab["sentence"]
    two = compare.compare_all(compare.load_entries([fake_run("a2", a), fake_run("b2", b)]))
    assert two[0]["adjustment"] == "" and "Holm" not in two[0]["sentence"] and "p = 0.031" in two[0]["sentence"]


def test_pairing_aligns_clips_by_key(data_dir):
    correct = np.array([True, False, True, True])
    keys = ["g/0", "g/1", "g/2", "g/3"]
    a = fake_run("a", correct, keys)
    b = fake_run("b", correct, keys)
    ea, eb = compare.load_entries([a, b])
    order = [3, 1, 0, 2]  # b lists the same clips in another order
    res = dict(eb.result, keys=[keys[i] for i in order], y_true=[eb.result["y_true"][i] for i in order],
               y_pred=[eb.result["y_pred"][i] for i in order])
    verdict = compare.compare_pair(ea, compare.Entry(eb.id, eb.name, eb.record, res, []))
    assert verdict["paired"] and verdict["mcnemar"]["b"] == verdict["mcnemar"]["c"] == 0


def test_different_split_or_dataset_is_not_paired(data_dir):
    correct = np.ones(10, bool)
    base = fake_run("base", correct)
    other_split = fake_run("other split", correct, keys=[f"g/{i + 5}" for i in range(10)],
                           split_name="paper 70/20/10 random, seed 1", seed=1)
    other_data = fake_run("other data", correct, fingerprint="beef")
    e_base, e_split, e_data = compare.load_entries([base, other_split, other_data])
    v = compare.compare_pair(e_base, e_split)
    assert not v["paired"] and v["mcnemar"] is None and v["sentence"] == ""
    assert "different clips" in v["reason"] and "5 of 10 and 10 test clips in common" in v["reason"]
    assert "seed 1" in v["reason"]
    v = compare.compare_pair(e_base, e_data)
    assert not v["paired"] and "different datasets" in v["reason"]


def test_duplicate_names_are_made_unique_and_runs_without_result_left_out(data_dir):
    a = fake_run("same", np.ones(4, bool))
    b = fake_run("same", np.ones(4, bool))
    pending = runs.create("clf", "pending", {}, dataset={"name": "tones"})
    entries = compare.load_entries([a, b, pending])
    assert [e.id for e in entries] == [a, b] and len({e.name for e in entries}) == 2


def test_csv_report_columns_and_sections(data_dir):
    entries = compare.load_entries(list(study_pair()))
    rows = list(csv.DictReader(io.StringIO(reports.comparison_csv(entries))))
    assert tuple(rows[0]) == reports.CSV_COLUMNS
    sections = [r["section"] for r in rows]
    assert (sections.count("accuracy"), sections.count("per_class"), sections.count("paired")) == (2, 2 * 2 * 3, 1)
    acc = next(r for r in rows if r["section"] == "accuracy" and r["run"] == "baseline")
    assert acc["correct"] == "53" and acc["n"] == "101" and acc["fingerprint"] == "f00d" and acc["seed"] == "0"
    paired = next(r for r in rows if r["section"] == "paired")
    assert paired["metric"] == "mcnemar_p" and paired["other_run"] == "plus 70" and "McNemar" in paired["note"]


def plotly_array(value) -> np.ndarray:
    """A trace array from a figure's JSON (plotly writes numeric arrays as base64 ``bdata``)."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


@pytest.mark.slow
def test_html_report_is_self_contained_and_holds_the_figures(data_dir):
    ids = study_pair()
    runs.write_json(runs.run_path(ids[0]) / "history.json",
                    [{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "train_acc": 0.4, "val_acc": 0.3}])
    entries = compare.load_entries(list(ids))
    page = reports.html_report(entries)
    assert not re.search(r"<script[^>]*src=[\"']?(https?:)?//", page)
    assert len(re.findall(r"plotly\.js v\d", page)) == 1  # the library is inlined once
    figure_data = [json.loads(m) for m in re.findall(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", page)]
    assert len(figure_data) == len(compare.figures(entries)) == 1 + 2 + 2 + 1 + 1
    accuracy = figure_data[0]
    assert [t["y"] for t in accuracy] == [["A · test"], ["B · test"]]
    assert np.allclose([plotly_array(t["x"])[0] for t in accuracy], [53 / 101, 59 / 101])
    assert "no evidence of a real difference" in page and "52.5 %" in page
    assert re.search(r"<td[^>]*>baseline</td>\s*<td[^>]*>52\.5%</td>", page)  # the accuracy table


def test_markdown_report_has_tables_and_inline_figures(data_dir):
    entries = compare.load_entries(list(study_pair()))
    md = reports.markdown_report(entries)
    assert re.search(r"\| run +\| name +\| +accuracy \| +95 % low \|", md)
    assert re.search(r"\| A +\| baseline +\| +52\.5% \|", md) and re.search(r"\| short name +\| run +\|", md)
    assert re.search(r"\| genre +\| +A precision \| +A recall \| +A F1 \| +A support \| +B precision \|", md)
    assert "p = 0.39" in md and "only A got right" in md
    assert md.count("](data:image/svg+xml;base64,") == 1 + 2 * 2 + 1
    assert "http://" not in md.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_confusions_share_one_colour_scale(data_dir):
    a = fake_run("a", np.ones(10, bool))
    b = fake_run("b", np.zeros(4, bool))
    entries = compare.load_entries([a, b])
    zmax = compare.count_scale(entries)
    figs = [compare.confusion_figure(e, False, zmax) for e in entries]
    assert zmax == 5 and {f.data[0].zmax for f in figs} == {5}
    assert list(figs[0].data[0].x) == list(LABELS) == list(figs[0].data[0].y)
    diff = compare.rate_difference(*entries)
    assert diff.tolist() == [[-100, 100], [100, -100]]


def test_runs_get_short_names_a_legend_and_readable_sentences(data_dir):
    entries = compare.load_entries(list(study_pair()))
    assert [e.key for e in entries] == ["A", "B"] and compare.letter(27) == "AB"
    legend = compare.legend_rows(entries)
    assert [(r["key"], r["run"]) for r in legend] == [("A", "baseline"), ("B", "plus 70")]
    assert "tones" in legend[0]["measured_on"]
    sentence = compare.compare_pair(*entries)["sentence"]
    assert sentence.startswith("B got 6 more clips right than A") and "baseline" not in sentence
    assert compare.difference_figure(*entries).layout.title.text == "B − A (points)"


def test_per_class_table_is_wide_with_a_column_group_per_run(data_dir):
    entries = compare.load_entries(list(study_pair()))
    rows = compare.per_class_wide(entries)
    assert [r["genre"] for r in rows] == list(LABELS)
    assert list(rows[0]) == ["genre", *[f"{k} {s}" for k in "AB" for s in ("precision", "recall", "F1", "support")]]
    by_run = {(r["genre"], r["run"]): r for r in compare.per_class_rows(entries)}
    assert rows[1]["B recall"] == by_run[(LABELS[1], "plus 70")]["recall"]


def test_each_run_keeps_one_colour_in_every_chart(data_dir):
    from helpers import checked

    history = [{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "train_acc": 0.5, "val_acc": 0.4}]
    ids = [fake_run(name, np.ones(10, bool), history=history) for name in "abc"]
    checked(ids[1], 0.4)
    entries = compare.load_entries(ids)
    colours = compare.colours(entries)
    assert len(set(colours.values())) == 3
    accuracy = compare.accuracy_figure(entries)
    assert [t.y[0] for t in accuracy.data] == ["A · test", "B · test", "B · musifeast-7", "C · test"]
    for trace in accuracy.data:
        assert trace.marker.color == trace.error_x.color == colours[trace.y[0].split(" · ")[0]]
    curves = compare.learning_figure(entries)
    for key, colour in colours.items():
        assert {t.line.color for t in curves.data if t.legendgroup == key} == {colour}
    assert compare.colours(entries[1:])["B"] != colours["B"]  # by position in the comparison shown, A, B, C…


def test_each_run_shows_its_figures_on_other_collections(data_dir):
    from helpers import checked

    a, b = study_pair()
    checked(a, 0.5)
    entries = compare.load_entries([a, b])
    legend = compare.legend_rows(entries)
    assert legend[0]["other_collections"] == "50.3 % (95 % CI 42.4–58.3 %, 74 of 147 clips) on musifeast-7"
    assert legend[1]["other_collections"] == ""
    assert "on other collections" in reports.markdown_report(entries)
