from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.base import experiment_plan
from core.base.percent import with_interval
from core.storage import queue, runs
from core.usecases import experiment_table
from helpers import fake_run, study_pair

pytestmark = pytest.mark.slow  # drives the page (AppTest), seconds per test

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture
def app(tone_dataset, monkeypatch):
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    queued = []
    monkeypatch.setattr(queue, "enqueue", lambda run_id, kind, start_worker=True: queued.append((run_id, kind)))
    monkeypatch.setattr(queue, "ensure_worker", lambda: None)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["dataset"] = "tones"
    at.queued = queued
    return at


def test_paired_runs_show_accuracies_and_mcnemar(app):
    a, b = study_pair()
    other = fake_run("other split", np.ones(101, bool), keys=[f"h/{i}" for i in range(101)],
                     split_name="paper 70/20/10 random, seed 7", seed=7)
    app.query_params["runs"] = f"{a},{b},{other}"
    app.switch_page("app_pages/compare.py").run()
    assert not app.exception
    card = [m.value for m in app.markdown]
    first = card.index("#### What these runs show")  # the card comes before anything else the runs show
    assert card[first + 1] == (
        "- A 52 % → B 58 %: the intervals overlap and the paired test on the same 101 clips finds no evidence of a "
        "difference (p = 0.39).\n- B 58 % → C 100 %: the intervals do not overlap.")
    assert card[first + 2].startswith("- A, the study's recipe: 52 % (95 % CI 43–62 %) on its test clips")
    legend = app.table[0].value
    assert list(legend.index) == ["A", "B", "C"] and list(legend["run"]) == ["baseline", "plus 70", "other split"]
    assert legend["test accuracy"].iloc[0].startswith("52.5 % (95 % CI 42.8–61.9 %")
    wide = app.dataframe[1].value
    assert list(wide.columns[:5]) == ["genre", "A precision", "A recall", "A F1", "A support"] and len(wide) == 2
    assert len(app.get("plotly_chart")) == 1 + 3 + 2  # accuracy, a confusion matrix per run, two differences
    assert [t.label for t in app.tabs][1:9] == ["A", "B", "C", "A · the study's recipe", "B · the study's recipe",
                                                 "C · the study's recipe", "B − A", "C − A"]
    captions = " ".join(c.value for c in app.caption)
    assert ("Measured on A, B: test clips of tones (303 clips), paper 70/20/10 random, seed 0; C: test clips of tones "
            "(303 clips), paper 70/20/10 random, seed 7.") in captions and "fingerprint" not in captions
    (info,) = [i.value for i in app.info]
    assert "59 vs 53 of 101 paired clips" in info and "no evidence of a real difference" in info
    warnings = [w.value for w in app.warning]
    assert len(warnings) == 2 and all("cannot be paired" in w for w in warnings)
    assert len(app.get("download_button")) == 3


def test_one_run_asks_for_more(app):
    (a, _) = study_pair()
    app.query_params["runs"] = a
    app.switch_page("app_pages/compare.py").run()
    assert not app.exception and "two or more" in app.info[0].value


def test_experiment_section_starts_and_renders_tables(app):
    app.switch_page("app_pages/compare.py").run()
    assert not app.exception
    app.slider(key="exp_seeds").set_value(3)
    app.text_input(key="exp_set").input("epochs=2, hidden_size=16")
    app.multiselect(key="exp_arms").set_value(["paper"])
    app.button(key="exp_start").click().run()
    assert not app.exception
    ((exp_id, kind),) = app.queued
    record = runs.load(exp_id)
    assert kind == "experiment" and record["config"]["seeds"] == [0, 1, 2] and record["config"]["arms"] == [
        ["paper", "paper"]]
    assert record["config"]["set"] == ["epochs=2", "hidden_size=16"] and record["dataset"]["name"] == "tones"

    rows = [{"cell": experiment_plan.cell_label("paper", "paper", 0), "preset": "paper", "gan": "", "per_genre": 0,
             "seed": s, "accuracy": acc, "correct": 5, "n": 10, "split": f"seed {s}", "run_id": "x",
             "p_vs_baseline": None} for s, acc in enumerate([0.5, 0.6, 0.7])]
    runs.write_json(runs.run_path(exp_id) / "result.json",
                    {"per_seed": rows, **experiment_table.summarise(rows), "cells_done": 3, "cells_total": 3,
                     "measured_on": "tones"})
    runs.update(exp_id, status="done", progress={"cells_done": 3, "cells_total": 3})
    app.run()
    assert not app.exception
    assert any("3 of 3 cells" in p.proto.text for p in app.get("progress"))
    summary = app.dataframe[0].value
    assert list(summary["mean"]) == pytest.approx([0.6]) and summary["seeds"][0] == 3
    assert any("t over 3 seeds" in c.value for c in app.caption)  # the caption names the interval's unit

    rows += [{**r, "cell": experiment_plan.cell_label("paper", "paper", 70), "per_genre": 70, "kind": "gan",
              "accuracy": r["accuracy"] + 0.1} for r in rows]
    quality = [{"gan": "paper", "seed": 0, "tstr": 0.1, "tstr_lo": 0.02, "tstr_hi": 0.4, "real": 0.5, "ratio": 0.2,
                "c2st": 1.0, "c2st_lo": 0.95, "c2st_hi": 1.0, "run_id": "g"}]
    runs.write_json(runs.run_path(exp_id) / "result.json",
                    {"per_seed": rows, **experiment_table.summarise(rows), "gan_quality": quality, "cells_done": 6,
                     "cells_total": 6, "measured_on": "tones"})
    app.run()
    assert not app.exception
    assert "ratio" in app.dataframe[2].value.columns and app.dataframe[2].value["c2st"][0] == 1.0
    assert any("masked copies" in c.value for c in app.caption)


def test_cancelling_an_experiment_someone_else_started_asks_first(app, tone_dataset):
    """Issue 27 item 6: an experiment started elsewhere (another session, the CLI) stops only after a second click;
    one started in this session stops at once."""
    from core.orchestration import experiment

    theirs = experiment.submit(experiment_plan.plan("paper", seeds=1, per_genre=(0,), arms=("paper",)), tone_dataset,
                               "tones", enqueue=True)
    app.query_params["exp"] = theirs
    app.switch_page("app_pages/compare.py").run()
    app.button(key=f"cancel-{theirs}").click().run()
    assert not app.exception and not runs.cancel_requested(theirs)
    assert any("started in another session" in w.value for w in app.warning)
    app.button(key=f"cancel-{theirs}-no").click().run()
    assert not runs.cancel_requested(theirs) and not app.warning
    app.button(key=f"cancel-{theirs}").click().run()
    app.button(key=f"cancel-{theirs}-yes").click().run()
    assert runs.cancel_requested(theirs)

    app.multiselect(key="exp_arms").set_value(["paper"])
    app.button(key="exp_start").click().run()
    mine = app.query_params["exp"]
    assert mine != theirs
    app.button(key=f"cancel-{mine}").click().run()
    assert runs.cancel_requested(mine) and not app.warning


def test_experiment_form_adds_the_pretrained_ear(app):
    app.switch_page("app_pages/compare.py").run()
    assert app.text_input(key="exp_pretrained_set").disabled
    app.checkbox(key="exp_pretrained").check().run()
    app.text_input(key="exp_pretrained_set").input("C=0.1")
    app.text_input(key="exp_set").input("epochs=2, split=fold5")
    app.multiselect(key="exp_arms").set_value(["recommended"])
    app.button(key="exp_start").click().run()
    assert not app.exception and not app.error
    ((exp_id, _),) = app.queued
    p = runs.load(exp_id)["config"]
    assert p["arms"] == [["recommended", "conditional"], ["pretrained", None]] and p["pretrained_set"] == ["C=0.1"]
    assert [c["key"] for c in experiment_plan.cells(p) if c["preset"] == "pretrained"] == [f"pretrained/0/{s}" for s in
                                                                                     range(5)]
    assert experiment_plan.classifier_config(p, {"preset": "pretrained", "seed": 3}).split == "fold5"

def test_a_pretrained_run_compares_like_the_others_with_its_other_collection_figure(app, tone_dataset):
    from core.base.config import preset
    from core.orchestration import classifier
    from helpers import checked

    lstm = classifier.submit_classifier(preset("recommended", epochs=1, hidden_size=16, num_layers=1,
                                               segment_seconds=1.0), tone_dataset, "tones", preset="recommended")
    ear = classifier.submit_classifier(preset("pretrained"), tone_dataset, "tones", preset="pretrained")
    for run_id in (lstm, ear):
        classifier.run_classifier(run_id)
    checked(ear, 0.56)
    app.query_params["runs"] = f"{lstm},{ear}"
    app.switch_page("app_pages/compare.py").run()
    assert not app.exception
    ear_accuracy = runs.result(ear)["accuracy"]
    figures = next(m.value for m in app.markdown if m.value.startswith("- A, the fixed recipe"))
    assert figures.split("\n")[1] == (f"- B, the pretrained ear: {with_interval(ear_accuracy)} on its test "
                                       "clips · 56 % (95 % CI 48–64 %) on musifeast-7")
    assert any(m.value.endswith("- On musifeast-7, music from another collection, only B was checked: 56 % (95 % CI "
                                "48–64 %). Check the others there to see which model generalises best.")
               for m in app.markdown)
    legend = app.table[0].value
    assert list(legend["on other collections"]) == ["", "55.8 % (95 % CI 47.7–63.6 %, 82 of 147 clips) on "
                                                         "musifeast-7"]
    assert any("paired clips" in i.value for i in app.info)  # same clips, same split and seed: a paired test


def test_without_a_choice_compare_opens_on_the_newest_lesson(app, monkeypatch):
    from core.orchestration import lesson

    a, b = study_pair()
    fake_run("not in the lesson", np.ones(101, bool))
    monkeypatch.setattr(lesson, "latest_runs", lambda data_name: [a, b] if data_name == "tones" else [])
    app.switch_page("app_pages/compare.py").run()
    assert not app.exception
    assert app.query_params["runs"] == f"{a},{b}" and "#### What these runs show" in [m.value for m in app.markdown]
    app.multiselect(key="compare_runs").set_value([]).run()  # emptied by hand: it stays empty
    assert app.query_params["runs"] == "" and "two or more" in app.info[0].value


def test_a_new_run_with_the_same_name_leaves_the_choice_on_the_runs_chosen(app):
    """Same-name runs are told apart by a number; a new one with that name renumbers none, and the pickers hold run
    ids, so what a student chose stays chosen."""
    from app_pages.run_picker import run_options

    minute = 1_765_000_800.0  # made within one minute: the runs named alike share a label but for their number
    older, other = fake_run("baseline", np.ones(101, bool)), fake_run("plus 70", np.ones(101, bool))
    for run_id in (older, other):
        runs.update(run_id, created=minute)
    app.switch_page("app_pages/compare.py").run()
    picker = app.multiselect(key="compare_runs")
    picker.set_value([older, other]).run()
    assert app.query_params["runs"] == f"{older},{other}"
    newer = fake_run("baseline", np.ones(101, bool))
    runs.update(newer, created=minute + 1)
    app.run()
    assert not app.exception
    assert (app.query_params["runs"] == f"{older},{other}"
            and app.multiselect(key="compare_runs").value == [older, other])
    labels = run_options("clf")
    assert labels[newer] == f"{labels[older]} (2)" and labels[older].startswith("baseline · ")
