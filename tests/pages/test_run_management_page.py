"""The page that shows a run keeps it in the URL, and can rename, download and delete it (after confirming)."""

import io
import zipfile

import numpy as np
import pytest

from core.storage import runs
from core.usecases import reports
from helpers import fake_run

pytestmark = pytest.mark.slow  # drives the page (AppTest), seconds per test


@pytest.fixture
def train_page(app_on_tones):
    run_id = fake_run("first try", np.array([True, False, True, True]))
    at = app_on_tones
    at.query_params["run"] = run_id
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    at.run_id = run_id
    return at


def test_a_run_opened_from_the_session_goes_back_into_the_url(train_page):
    at = train_page
    assert at.subheader[0].value == "first try"
    del at.query_params["run"]  # as after a page switch: only the session remembers the run
    at.run()
    assert at.subheader[0].value == "first try" and at.query_params["run"] == at.run_id


def test_rename_a_run(train_page):
    at = train_page
    assert at.button(key=f"rename-go-{at.run_id}").disabled
    at.text_input(key=f"rename-{at.run_id}").set_value("baseline for the class").run()
    at.button(key=f"rename-go-{at.run_id}").click().run()
    assert not at.exception and runs.load(at.run_id)["name"] == "baseline for the class"
    assert at.subheader[0].value == "baseline for the class"


def test_download_holds_model_config_history_and_report(train_page):
    at = train_page
    (button,) = [b for b in at.get("download_button") if "Download (zip)" in str(b.proto.label)]
    names = zipfile.ZipFile(io.BytesIO(reports.export_zip(at.run_id))).namelist()
    assert {f"{at.run_id}/{n}" for n in ("run.json", "history.json", "result.json", "REPORT.md")} <= set(names)


def test_delete_asks_first_then_forgets_the_run(train_page):
    at = train_page
    at.button(key=f"delete-{at.run_id}").click().run()
    assert "cannot be undone" in at.warning[0].value and runs.load(at.run_id)
    at.button(key=f"delete-no-{at.run_id}").click().run()
    assert not at.warning and runs.load(at.run_id)
    at.button(key=f"delete-{at.run_id}").click().run()
    at.button(key=f"delete-yes-{at.run_id}").click().run()
    assert not at.exception and runs.list_runs() == [] and "run" not in at.query_params
    assert "first try" not in [s.value for s in at.subheader]


def test_delete_names_the_runs_that_build_on_it(train_page):
    at = train_page
    user = runs.create("clf", "augmented *from* it", {}, dataset={"name": "tones"}, baseline=at.run_id)
    at.button(key=f"delete-{at.run_id}").click().run()
    (warning,) = at.warning
    assert f"1 run builds on it: “augmented \\*from\\* it” ({user}), and would lose it." in warning.value
