"""Home's 'Run the lesson' button: queues the lesson, shows its progress, ends on Compare."""

import pytest

from core.orchestration import lesson
from core.storage import queue
from core.storage import runs
from test_compare import study_pair

pytestmark = pytest.mark.slow  # drives the page (AppTest), seconds per test


@pytest.fixture
def home(app_on_tones):
    return app_on_tones


def test_run_the_lesson_queues_it_and_shows_its_progress(home):
    home.run()
    home.button(key="lesson_start").click().run()
    assert not home.exception
    lesson_id = home.query_params["lesson"]
    record = lesson.load(lesson_id)
    assert queue.pending() == [record["steps"][s] for s in lesson.STEPS]
    assert record["dataset"]["name"] == "tones"
    (bar,) = home.get("progress")
    assert "0 of 5 steps done" in bar.proto.text


def test_bad_lesson_settings_in_the_link_are_a_clear_error(home):
    home.query_params["lesson_set"] = "epochs=0"
    home.run()
    home.button(key="lesson_start").click().run()
    assert not home.exception and "below its minimum" in home.error[0].value and runs.list_runs() == []


def test_a_finished_lesson_opens_compare(home, monkeypatch):
    a, b = study_pair()
    monkeypatch.setattr(lesson, "load", lambda lesson_id: {"steps": {}})
    monkeypatch.setattr(lesson, "advance", lambda lesson_id: {"steps": {}})
    monkeypatch.setattr(lesson, "status", lambda record: {"fraction": 1.0, "text": "Lesson finished.",
                                                          "finished": True, "failed": [], "classifiers": [a, b]})
    home.query_params["lesson"] = "20261201-000000-lesson-abcd"
    home.run()
    assert not home.exception
    assert home.title[0].value == "Compare runs" and home.query_params["runs"] == f"{a},{b}"
