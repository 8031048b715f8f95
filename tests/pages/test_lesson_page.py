"""The lesson on the pages: Home's buttons and progress, every page's sidebar, and a classroom's safety."""

import os
import re
import time

import pytest

from core.orchestration import lesson
from core.storage import queue, runs
from helpers import study_pair

pytestmark = pytest.mark.slow  # drives the pages (AppTest), seconds per test
PAGES = ("app_pages/dataset.py", "app_pages/train.py", "app_pages/gan.py", "app_pages/compare.py",
         "app_pages/predict.py")


@pytest.fixture
def home(app_on_tones):
    return app_on_tones


def texts(at, kind: str, where=None) -> str:
    return " ".join(str(e.value) for e in (where or at).get(kind))


def running_lesson(root, **fields) -> dict:
    """A lesson on ``tones`` at its GAN step, with the steps before it done (no worker runs it)."""
    record = lesson.load(lesson.submit(root, "tones"))
    for step in ("paper", "recommended", "classic", "pretrained"):
        runs.update(record["steps"][step], status="done")
    runs.update(record["steps"]["gan"], status="running", pid=os.getpid())
    return runs.update(record["id"], status="running", pid=os.getpid(), started=time.time() - 65, progress={
        "steps_done": 4, "steps_total": 6, "step": "gan", "fraction": 0.5, "eta_seconds": 185.0, "at": time.time(),
        "now": lesson.step_text("gan", {"phase": "gan", "epoch": 5, "epochs": 20})}, **fields)


def test_run_the_lesson_queues_it_once_and_shows_its_progress(home):
    home.run()
    assert not home.button(key="lesson_start").disabled and not home.button(key="lesson_quick").disabled
    home.button(key="lesson_start").click().run()
    assert not home.exception
    record = lesson.load(home.query_params["lesson"])
    assert queue.pending() == [record["id"]] and record["dataset"]["name"] == "tones"
    assert not record["config"]["quick"]
    assert home.button(key="lesson_start").disabled and home.button(key="lesson_quick").disabled  # no double start
    assert "A lesson is queued on this dataset: one at a time." in texts(home, "caption")
    assert "Lesson on tones" in texts(home, "markdown", home.sidebar)
    assert "Waiting for the background worker; it takes about" in texts(home, "caption", home.sidebar)
    assert home.button(key=f"cancel-{record['id']}").label == "Cancel the lesson"


def test_the_quick_lesson_button_queues_the_five_epoch_lesson(home):
    home.run()
    home.button(key="lesson_quick").click().run()
    record = lesson.load(home.query_params["lesson"])
    assert record["config"]["quick"] and "Lesson on tones (quick)" in texts(home, "markdown", home.sidebar)
    assert runs.load(record["steps"]["paper"])["config"]["epochs"] == lesson.QUICK_EPOCHS


def test_homes_promise_comes_from_the_benchmark(home, monkeypatch):
    monkeypatch.setattr(lesson, "measured_seconds", lambda quick=False: None)  # never benchmarked
    home.run()
    assert "has not been measured yet" in texts(home, "markdown") and "the whole lesson took" not in texts(
        home, "markdown")
    figures = {False: {"value": 254.4, "commit": "abc1234", "date": "2026-12-07 06:00 UTC"},
               True: {"value": 81.0, "commit": "abc1234", "date": "2026-12-07 06:10 UTC"}}
    monkeypatch.setattr(lesson, "measured_seconds", lambda quick=False: figures[quick])
    home.run()
    assert "the whole lesson took 4 min 14 s and the quick lesson 1 min 21 s" in texts(home, "markdown")
    assert "abc1234" in home.button(key="lesson_start").help
    figures[False]["under_load"] = 2.01  # the benchmark's own load rose past its guard while it timed the lesson
    home.run()
    assert ("the whole lesson took 4 min 14 s under a 1-minute load average of 2.01 and the quick lesson 1 min 21 s on "
            "an idle machine.") in texts(home, "markdown")


def test_bad_lesson_settings_in_the_link_are_a_clear_error(home):
    home.query_params["lesson_set"] = "epochs=0"
    home.run()
    home.button(key="lesson_start").click().run()
    assert not home.exception and "below its minimum" in home.error[0].value and runs.list_runs() == []


def test_every_page_shows_the_lesson_in_the_sidebar_and_homes_runs_agree(home, tone_dataset):
    record = running_lesson(tone_dataset)
    before = time.time()
    home.run()
    after = time.time()
    assert not home.exception
    (bar,) = [p for p in home.sidebar.get("progress")]
    assert bar.proto.text == "Step 5 of 6: conditional GAN: GAN training, epoch 5 of 20"
    # the page read its clock between before and after: the elapsed time it shows lies between those two readings
    shown = re.search(r"(\d+) min (\d+) s elapsed, about 3 min", texts(home, "caption", home.sidebar))
    assert shown, texts(home, "caption", home.sidebar)
    assert round(before - record["started"]) <= 60 * int(shown[1]) + int(shown[2]) <= round(after - record["started"])
    runs_list = texts(home, "markdown")
    assert f"**{record['name']}**: Step 5 of 6: conditional GAN: GAN training, epoch 5 of 20" in runs_list
    assert "Preparing data" not in runs_list and "lesson: conditional GAN on tones" not in runs_list
    for page in PAGES:
        home.switch_page(page).run()
        assert not home.exception, page
        assert "Lesson on tones" in texts(home, "markdown", home.sidebar), page
        assert home.sidebar.get("progress")[0].proto.text.startswith("Step 5 of 6"), page


def test_a_finished_lesson_opens_compare_for_who_followed_it_and_links_to_it_for_everyone(home, tone_dataset):
    record = running_lesson(tone_dataset)
    a, b = study_pair()
    runs.update(record["id"], steps={**record["steps"], "paper": a, "recommended": b})
    home.run()
    runs.update(record["id"], status="done", pid=None, finished=time.time())
    home.run()
    assert not home.exception
    assert home.title[0].value == "Compare runs"
    assert home.query_params["runs"] == ",".join(lesson.status(lesson.load(record["id"]))["classifiers"]), (a, b)
    home.switch_page("app_pages/train.py").run()  # later visits: a link, no jump
    assert home.title[0].value != "Compare runs"
    assert "It finished: 4 of 6 steps done" in texts(home, "caption", home.sidebar)


@pytest.mark.parametrize("ended, step_status", [("cancelled", "cancelled"), ("done", "failed")])
def test_a_stopped_lesson_or_one_with_a_failed_step_resumes_from_home_with_its_finished_steps_kept(
        home, tone_dataset, ended, step_status):
    record = running_lesson(tone_dataset)
    for step in ("gan", "augmented"):  # done: the GAN failed, so the classifier on its samples could not run
        runs.update(record["steps"][step], status=step_status, pid=None)
    refused = {check: "it shares no genre with the model" for check in lesson.CHECKS}  # not retried, not counted
    runs.update(record["id"], status=ended, pid=None, finished=time.time(), step_errors=refused,
                config={**record["config"], "check_on": {"name": "other", "root": str(tone_dataset)}})
    for job in queue.queued():  # the worker had taken the lesson's job
        job.unlink()
    home.switch_page("app_pages/train.py").run()  # another page: the sidebar's card leads to Home's button
    (link,) = [e for e in home.sidebar.get("page_link") if e.proto.label == "Resume it on Home"]
    assert link.proto.page == "home" and f"lesson={record['id']}" in link.proto.query_string
    home.switch_page("app_pages/home.py").run()
    resume = home.button(key=f"resume-{record['id']}")
    assert resume.label == "Resume the lesson (2 steps to run, the finished ones kept)"
    resume.click().run()
    assert not home.exception
    assert lesson.load(record["id"])["status"] == "queued" and queue.pending() == [record["id"]]
    assert runs.load(record["steps"]["paper"])["status"] == "done"
    assert home.button(key="lesson_start").disabled  # one lesson at a time on the dataset
    assert not [b for b in home.button if b.key == f"resume-{record['id']}"]


def test_a_finished_or_unqueued_lesson_has_no_resume_button(home, tone_dataset):
    record = running_lesson(tone_dataset)
    runs.update(record["id"], status="done", pid=None, finished=time.time())
    home.run()
    assert not [b for b in home.button if b.key == f"resume-{record['id']}"]
    runs.update(record["id"], status="failed", steps={})  # it could not be queued: nothing to resume
    home.run()
    assert not [b for b in home.button if b.key == f"resume-{record['id']}"]
    assert "Resume it on Home" not in [e.proto.label for e in home.sidebar.get("page_link")]


def test_the_lessons_check_is_on_an_uploaded_collection_when_no_other_is_registered(home, tone_dataset):
    from core.base import catalog

    (catalog.uploads_dir() / "mine").mkdir()
    home.run()
    home.button(key="lesson_start").click().run()
    assert not home.exception
    assert lesson.load(home.query_params["lesson"])["config"]["check_on"]["name"] == "upload: mine"


def test_a_student_job_says_it_waits_behind_the_lesson(home, tone_dataset):
    from core.orchestration import classifier
    from core.base.config import preset

    running_lesson(tone_dataset)
    student = classifier.submit_classifier(preset("recommended"), tone_dataset, "tones", preset="recommended",
                                           enqueue=True)
    home.query_params["run"] = student
    home.switch_page("app_pages/train.py").run()
    (bar,) = [p for p in home.get("progress") if "Waiting" in p.proto.text]
    assert bar.proto.text == ("Waiting in the queue behind the lesson on tones: about 3 min before it starts.")


def test_cancelling_someone_elses_job_asks_first(home, tone_dataset):
    record = running_lesson(tone_dataset)
    gan = record["steps"]["gan"]
    home.query_params["run"] = gan
    home.switch_page("app_pages/gan.py").run()
    home.button(key=f"cancel-{gan}").click().run()
    assert not runs.cancel_requested(gan)
    assert "It is a step of the lesson" in texts(home, "warning")
    home.button(key=f"cancel-{gan}-no").click().run()
    assert not runs.cancel_requested(gan) and "It is a step of the lesson" not in texts(home, "warning")
    home.button(key=f"cancel-{gan}").click().run()
    home.button(key=f"cancel-{gan}-yes").click().run()
    assert runs.cancel_requested(gan)


def test_a_job_started_in_this_session_cancels_at_once(home):
    home.query_params["preset"] = "recommended"
    home.switch_page("app_pages/train.py").run()
    home.button[[b.label for b in home.button].index("Start training")].click().run()
    run_id = home.query_params["run"]
    home.button(key=f"cancel-{run_id}").click().run()
    assert runs.cancel_requested(run_id) and "Cancel **" not in texts(home, "warning")


def test_predict_lists_the_lessons_models_without_a_cancel_button(home, tone_dataset):
    record = running_lesson(tone_dataset)
    home.switch_page("app_pages/predict.py").run()
    assert not home.exception
    assert "The lesson is training models on tones" in texts(home, "caption")
    assert not [b for b in home.button if b.key and b.key.startswith("cancel-")]
    assert "A model for tones is training" not in texts(home, "caption") and record["status"] == "running"
