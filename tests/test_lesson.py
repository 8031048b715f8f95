"""The lesson: the study in miniature, queued with one call, followed as one progress bar."""

import os

import pytest

from core.orchestration import lesson, worker
from core.storage import queue
from core.storage import runs

TINY = ("epochs=1", "hidden_size=16", "num_layers=1", "batch_size=8", "first_frames=40", "segment_seconds=1.0",
        "split=stratified")
TINY_GAN = ("epochs=1", "ref_epochs=1", "z_dim=8", "width=8", "batch_size=8")


@pytest.fixture
def no_worker(monkeypatch):
    monkeypatch.setattr(queue, "ensure_worker", lambda: None)


def test_two_lessons_at_once_own_their_runs(tone_dataset, no_worker):
    first, second = (lesson.load(lesson.submit(tone_dataset, "tones", seed=3)) for _ in range(2))
    assert not set(first["steps"].values()) & set(second["steps"].values())
    for record in (first, second):
        assert runs.load(record["steps"]["augmented"])["baseline"] == record["steps"]["recommended"]


def test_lesson_queues_the_five_runs_in_order_and_shares_the_split(tone_dataset, no_worker):
    lesson_id = lesson.submit(tone_dataset, "tones", seed=3)
    record = lesson.load(lesson_id)
    ids = [record["steps"][s] for s in lesson.STEPS]
    assert queue.pending() == ids and lesson.latest() == lesson_id
    paper, recommended, pretrained, gan, augmented = (runs.load(i) for i in ids)
    assert paper["preset"] == "paper" and paper["config"]["epochs"] == lesson.PAPER_EPOCHS
    assert recommended["preset"] == "recommended" and not recommended.get("augment")
    assert pretrained["preset"] == "pretrained" and pretrained["config"]["ear"] == "musicnn-msd"
    assert (pretrained["config"]["split"], pretrained["config"]["seed"]) == (recommended["config"]["split"], 3)
    assert gan["config"]["split"] == recommended["config"]["split"] and gan["config"]["seed"] == 3
    assert gan["config"]["epochs"] == lesson.GAN_EPOCHS and gan["config"]["model"] == "conditional"
    assert augmented["baseline"] == recommended["id"]
    assert augmented["augment"] == {"gan_run": gan["id"], "per_genre": lesson.PER_GENRE}
    assert augmented["name"].startswith("lesson: recommended LSTM + 70/genre")
    state = lesson.status(record)
    assert state == {"fraction": 0.0, "text": "0 of 5 steps done; waiting for the background worker.",
                     "finished": False, "failed": [], "classifiers": []}

    runs.update(gan["id"], status="running", pid=os.getpid(),
                progress={"phase": "reference", "epoch": 3, "epochs": 30, "eta_seconds": 9.0})
    for done in (paper, recommended, pretrained):
        runs.update(done["id"], status="done")
    state = lesson.status(record)
    assert state["text"] == ("Step 4 of 5: Conditional GAN: reference classifier (the judge of the samples), "
                             "epoch 3 of 30, about 9 s left.")
    assert state["fraction"] == pytest.approx((3 + 0.1 / 4) / 5)  # the reference: the first of a GAN run's 4 phases
    assert state["classifiers"] == [paper["id"], recommended["id"], pretrained["id"]]
    with pytest.raises(lesson.LessonError):
        lesson.load("../etc")


@pytest.mark.slow
def test_a_tiny_lesson_runs_to_the_end(tone_dataset, no_worker):
    lesson_id = lesson.submit(tone_dataset, "tones", overrides=TINY, gan_overrides=TINY_GAN, per_genre=2)
    worker.work(idle_exit=0.1)
    state = lesson.status(lesson.load(lesson_id))
    assert state["finished"] and state["failed"] == [] and state["fraction"] == 1.0
    assert state["text"] == "Lesson finished: 5 of 5 steps done."
    assert len(state["classifiers"]) == 4 and all(runs.result(i)["accuracy"] for i in state["classifiers"])


def test_the_check_on_a_second_dataset_waits_for_its_model(tone_dataset, no_worker, monkeypatch, tmp_path):
    from core.orchestration import check, lesson

    lesson_id = lesson.submit(tone_dataset, "tones", check_on=("other", tmp_path))
    record = lesson.load(lesson_id)
    assert lesson.steps_of(record)[-2:] == ("check", "check_pretrained")
    assert lesson.advance(lesson_id) == record  # the models are not there
    assert lesson.status(record)["text"] == "0 of 7 steps done; waiting for the background worker."

    submitted = []
    monkeypatch.setattr(check, "submit_check", lambda run_id, root, name, enqueue=False: submitted.append(
        (run_id, str(root), name, enqueue)) or runs.create("chk", "check", {"run": run_id, "map": {}},
                                                           dataset={"name": name, "root": str(root)}))
    runs.update(record["steps"]["recommended"], status="done")
    record = lesson.advance(lesson_id)
    assert submitted == [(record["steps"]["recommended"], str(tmp_path), "other", True)]
    assert lesson.load(lesson_id)["steps"]["check"] == record["steps"]["check"]
    assert lesson.advance(lesson_id) == record and len(submitted) == 1  # once only
    runs.update(record["steps"]["pretrained"], status="done")
    record = lesson.advance(lesson_id)
    assert submitted[1] == (record["steps"]["pretrained"], str(tmp_path), "other", True)
    assert "check_pretrained" in lesson.load(lesson_id)["steps"]

    other = lesson.submit(tone_dataset, "tones", check_on=("other", tmp_path))
    runs.update(lesson.load(other)["steps"]["recommended"], status="failed")
    for step in ("paper", "pretrained", "gan", "augmented"):
        runs.update(lesson.load(other)["steps"][step], status="done")
    monkeypatch.setattr(check, "submit_check", lambda *a, **k: (_ for _ in ()).throw(ValueError("no genre shared")))
    state = lesson.status(lesson.advance(other))
    assert state["finished"] and state["failed"] == ["recommended", "check", "check_pretrained"]
    assert lesson.load(other)["check_pretrained_error"] == "no genre shared"


def test_a_lesson_made_before_the_pretrained_step_keeps_its_steps(tone_dataset, no_worker, tmp_path):
    lesson_id = lesson.submit(tone_dataset, "tones", check_on=("other", tmp_path))
    record = lesson.load(lesson_id)
    del record["steps"]["pretrained"]
    assert lesson.steps_of(record) == ("paper", "recommended", "gan", "augmented", "check")
    assert lesson.status(record)["text"] == "0 of 5 steps done; waiting for the background worker."


def test_latest_runs_are_the_newest_lesson_on_that_dataset(tone_dataset, no_worker, tmp_path):
    assert lesson.latest_runs("tones") == []
    older = lesson.load(lesson.submit(tone_dataset, "tones"))
    newer = lesson.load(lesson.submit(tone_dataset, "tones"))
    other = lesson.load(lesson.submit(tone_dataset, "elsewhere"))
    for record in (older, newer, other):
        runs.update(record["steps"]["paper"], status="done")
    runs.update(newer["steps"]["pretrained"], status="done")
    assert lesson.latest("tones") == newer["id"] and lesson.latest() == other["id"]
    assert lesson.latest_runs("tones") == [newer["steps"]["paper"], newer["steps"]["pretrained"]]
    assert lesson.latest_runs("elsewhere") == [other["steps"]["paper"]]
    assert lesson.latest_runs("nowhere") == []
