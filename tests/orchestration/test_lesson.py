"""The lesson: a run the background worker advances step by step, followed from any page as one status."""

import json
import os
import threading
import time

import pytest
import torch

from core.base import config, progress
from core.orchestration import check, execute, lesson, lesson_run, worker
from core.storage import queue, runs

TINY = ("epochs=1", "hidden_size=16", "num_layers=1", "batch_size=8", "first_frames=40", "segment_seconds=1.0",
        "split=stratified")
TINY_GAN = ("epochs=1", "ref_epochs=1", "z_dim=8", "width=8", "batch_size=8")


@pytest.fixture
def no_worker(monkeypatch):
    monkeypatch.setattr(queue, "ensure_worker", lambda: None)


@pytest.fixture
def fake_steps(monkeypatch):
    """Steps that 'train' at once: each reports half way, then ends as ``outcome`` says (default done).
    Returns (the steps run in order, outcome by step title prefix)."""
    ran, outcome = [], {}

    def run(run_id, report):
        record = runs.load(run_id)
        ran.append(record["name"])
        runs.update(run_id, status="running", pid=os.getpid())
        report()
        end = next((v for k, v in outcome.items() if record["name"].startswith(k)), "done")
        runs.update(run_id, status=end, pid=None, finished=time.time())
        if end == "failed":
            raise RuntimeError("broken step")

    monkeypatch.setattr(execute, "execute", lambda kind, run_id, progress=None: run(
        run_id, lambda: progress({"epoch": 1, "epochs": 2, "eta_seconds": 1.0})))
    monkeypatch.setattr(check, "run_check", lambda run_id, progress=None: run(run_id, lambda: progress(1, 2)))
    return ran, outcome


def test_a_lesson_is_one_queued_job_that_owns_its_step_runs(tone_dataset, no_worker, monkeypatch):
    lesson_id = lesson.submit(tone_dataset, "tones", seed=3)
    record = lesson.load(lesson_id)
    assert record["kind"] == "lsn" and queue.pending() == [lesson_id]
    ids = [record["steps"][s] for s in lesson.STEPS]
    paper, recommended, classic, pretrained, gan, augmented = (runs.load(i) for i in ids)
    assert all(r["lesson"] == lesson_id and r["status"] == "queued" for r in (paper, gan, augmented))
    assert paper["preset"] == "paper" and paper["config"]["epochs"] == lesson.PAPER_EPOCHS
    assert recommended["preset"] == "recommended" and not recommended.get("augment")
    assert classic["preset"] == "classic" and "epochs" not in classic["config"]
    assert pretrained["preset"] == "pretrained" and pretrained["config"]["ear"] == "musicnn-msd"
    for same in (classic, pretrained, gan):
        assert (same["config"]["split"], same["config"]["seed"]) == (recommended["config"]["split"], 3)
    assert gan["config"]["epochs"] == lesson.GAN_EPOCHS and gan["config"]["model"] == "conditional"
    assert augmented["baseline"] == recommended["id"]
    assert augmented["augment"] == {"gan_run": gan["id"], "per_genre": lesson.PER_GENRE}
    assert {r["id"] for r in runs.dependents(gan["id"])} == {augmented["id"], lesson_id}  # deleting it warns
    monkeypatch.setattr(queue, "ORPHAN_GRACE_SECONDS", 0.0)
    assert not queue.is_orphan(paper)  # its lesson will run it
    state = lesson.status(record)
    assert state["status"] == "queued" and state["left"] == lesson.estimate(record) > 0
    assert (state["fraction"], state["step"], state["finished"], state["classifiers"]) == (0.0, None, False, [])
    assert lesson.summary(record) == ["Lesson on tones", "Waiting for the background worker; it takes about "
                                      f"{progress.duration(state['left'], rough=True)} on an idle machine."]
    runs.update(lesson_id, status="cancelled")
    assert queue.is_orphan(runs.load(paper["id"]))  # nothing runs it any more
    with pytest.raises(lesson.LessonError):
        lesson.load(paper["id"])
    with pytest.raises(lesson.LessonError):
        lesson.load("../etc")


def test_the_gan_step_trains_its_own_judge_as_the_lesson_says_not_the_recommended_step():
    from core.compute import gan

    plan = lesson.configs()
    judge = gan.data_config(plan["gan"])
    assert (judge.level, plan["recommended"].level) == ("absolute", "segment") and judge != plan["recommended"]
    assert "the GAN step trains that judge itself" in " ".join(lesson.__doc__.split())


def test_one_lesson_at_a_time_per_dataset_unless_asked(tone_dataset, no_worker):
    first = lesson.submit(tone_dataset, "tones")
    with pytest.raises(lesson.LessonError, match="already queued on tones"):
        lesson.submit(tone_dataset, "tones")
    second = lesson.submit(tone_dataset, "tones", alongside=True)
    elsewhere = lesson.submit(tone_dataset, "elsewhere")
    steps = [set(lesson.load(i)["steps"].values()) for i in (first, second, elsewhere)]
    assert not steps[0] & steps[1] and not steps[1] & steps[2]
    assert lesson.active("tones")["id"] == first and lesson.active()["id"] == first
    runs.update(first, status="done")
    assert lesson.active("tones")["id"] == second


def test_the_quick_lesson_trains_five_epochs(tone_dataset, no_worker):
    record = lesson.load(lesson.submit(tone_dataset, "tones", quick=True))
    assert record["config"]["quick"] and record["name"] == "lesson on tones, seed 0 (quick)"
    for step in ("paper", "recommended", "gan", "augmented"):
        assert runs.load(record["steps"][step])["config"]["epochs"] == lesson.QUICK_EPOCHS
    assert runs.load(record["steps"]["gan"])["config"]["ref_epochs"] == lesson.QUICK_EPOCHS  # the GAN's judge too
    assert lesson.estimate(record) < lesson.estimate(lesson.load(lesson.submit(tone_dataset, "other")))


def test_a_queued_quick_lesson_is_estimated_as_its_two_processes_side_by_side(tone_dataset, no_worker):
    record = lesson.load(lesson.submit(tone_dataset, "tones", quick=True))
    each = {s: lesson.expected_seconds(s, r) for s, r in lesson.step_records(record).items()}
    lane = sum(each[s] for s in lesson.LANE)
    chain = each["recommended"] + each["gan"] + each["augmented"]
    assert lane > 0 and chain > 0 and set(each) == set(lesson.STEPS)
    assert lesson.estimate(record) == pytest.approx(max(lane, chain))
    assert lesson.estimate(record) < sum(each.values())


def test_the_status_names_the_step_and_the_time_for_the_whole_lesson(tone_dataset, no_worker):
    record = lesson.load(lesson.submit(tone_dataset, "tones"))
    for step in ("paper", "recommended", "classic", "pretrained"):
        runs.update(record["steps"][step], status="done")
    now = time.time()
    record = runs.update(record["id"], status="running", pid=os.getpid(), started=now - 125, progress={
        "steps_done": 4, "steps_total": 6, "step": "gan", "fraction": 0.6, "eta_seconds": 200.0, "at": now - 20,
        "now": lesson.step_text("gan", {"phase": "tstr", "epoch": 3, "epochs": 15})})
    state = lesson.status(record)
    assert state["step"] == 5 and state["left"] == pytest.approx(180, abs=1) and state["elapsed"] >= 125
    assert state["classifiers"] == [record["steps"][s] for s in ("paper", "recommended", "classic", "pretrained")]
    head, doing, times = lesson.summary(record, state)
    assert doing == ("Step 5 of 6: conditional GAN: measuring the samples' quality: a classifier trained on them "
                     "(TSTR), epoch 3 of 15")  # the judge trained on samples, not 'Conditional GAN: epoch 3 of 15'
    assert times == "2 min 5 s elapsed, about 3 min left in all."

    runs.update(record["steps"]["gan"], status="cancelled")
    record = runs.update(record["id"], status="done", pid=None, finished=now + 95)
    state = lesson.status(record)
    assert state["finished"] and state["failed"] == ["gan", "augmented"] and state["fraction"] == 1.0
    assert lesson.summary(record, state)[1:] == [
        "It finished: 4 of 6 steps done in 3 min 40 s.",
        f"Did not finish: conditional GAN, {lesson.TITLES['augmented']}."]


def test_an_interrupted_lesson_took_until_its_last_report(tone_dataset, no_worker):
    """The worker died: nothing set ``finished``, so the lesson's last progress report is when it stopped."""
    record = lesson.load(lesson.submit(tone_dataset, "tones"))
    now = time.time()
    record = runs.update(record["id"], status="interrupted", started=now - 3600, progress={
        "steps_done": 2, "steps_total": 6, "step": "classic", "fraction": 0.3, "eta_seconds": 200.0,
        "at": now - 3600 + 150, "now": "classic recipe: preparing data"})
    assert lesson.status(record)["elapsed"] == pytest.approx(150)
    assert lesson.summary(record)[1] == "It was interrupted (the worker stopped): 0 of 6 steps done in 2 min 30 s."
    record = runs.update(record["id"], progress=None)
    assert lesson.status(record)["elapsed"] is None
    assert lesson.summary(record)[1] == "It was interrupted (the worker stopped): 0 of 6 steps done."


@pytest.mark.parametrize("progress, fraction, step, doing, times", [
    ({"fraction": 1.5, "at": "soon", "now": 7, "step": ["gan"], "eta_seconds": float("inf")}, 1.0, None, "Starting…",
     "10 s elapsed."),
    ({"fraction": "half", "at": 1e300, "now": None, "step": "gan", "eta_seconds": -50.0}, 0.0, 5, "Step 5 of 6: ",
     "10 s elapsed, about a few seconds left in all."),
    ({"fraction": True, "at": None, "step": 3, "eta_seconds": float("nan")}, 0.0, None, "Starting…",
     "10 s elapsed.")])
def test_a_damaged_progress_does_not_break_the_lessons_status(tone_dataset, no_worker, progress, fraction, step,
                                                              doing, times):
    """Every page's sidebar reads the lesson: odd values in its run.json's progress are clamped or left out."""
    lesson_id = lesson.submit(tone_dataset, "tones")
    record = runs.update(lesson_id, status="running", pid=os.getpid(), started=time.time() - 10)
    (runs.run_path(lesson_id) / "run.json").write_text(json.dumps(
        {**record, "progress": {"steps_done": 4, "steps_total": 6, **progress}}))
    record = lesson.load(lesson_id)
    state = lesson.status(record)
    assert (state["fraction"], state["step"]) == (fraction, step)
    assert lesson.summary(record, state)[1:] == [doing, times]


def test_bad_lesson_settings_create_nothing(tone_dataset, no_worker):
    with pytest.raises(config.ConfigError, match="between 1 and"):
        lesson.submit(tone_dataset, "tones", per_genre=0)
    assert runs.list_runs() == [] and lesson.active("tones") is None


def test_a_lesson_that_cannot_be_queued_ends_failed_and_frees_the_dataset(tone_dataset, no_worker, monkeypatch):
    from core.orchestration import gan_run

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as full, pytest.raises(OSError):
        full.setattr(gan_run, "submit_gan", disk_full)
        lesson.submit(tone_dataset, "tones")
    (failed,) = lesson.lessons("tones")
    assert failed["status"] == "failed" and lesson.active("tones") is None and queue.pending() == []
    assert lesson.summary(failed)[-1] == "Why: OSError: [Errno 28] No space left on device."
    made = [r for r in runs.list_runs() if r["kind"] != "lsn"]
    assert len(made) == 4 and {r["status"] for r in made} == {"failed"}  # none left queued with nothing to run it
    assert lesson.load(lesson.submit(tone_dataset, "tones"))["status"] == "queued"


def test_the_runner_trains_every_step_in_order_and_reports_the_whole_lesson(tone_dataset, no_worker, fake_steps,
                                                                          monkeypatch, tmp_path):
    ran, _ = fake_steps
    made = []
    monkeypatch.setattr(check, "submit_check", lambda run_id, root, name: made.append(run_id) or runs.create(
        "chk", f"check of {runs.load(run_id)['name']}", {"run": run_id, "map": {}},
        dataset={"name": name, "root": str(root)}))
    reports, update = [], runs.update

    def spy(run_id, **fields):
        if "-lsn-" in run_id and fields.get("progress"):
            reports.append(fields["progress"])
        return update(run_id, **fields)

    monkeypatch.setattr(runs, "update", spy)
    monkeypatch.setattr(lesson_run, "REPORT_EVERY", 0.0)
    lesson_id = lesson.submit(tone_dataset, "tones", check_on=("other", tmp_path))
    worker.work(idle_exit=0.1)  # no page open: the worker alone runs the lesson
    record = lesson.load(lesson_id)
    steps = lesson.steps_of(record)
    assert record["status"] == "done" and steps[-3:] == ("check", "check_classic", "check_pretrained")
    assert [n.split(" on tones")[0] for n in ran] == [
        "lesson: paper LSTM", "lesson: recommended LSTM", "lesson: classic recipe", "lesson: pretrained ear (musicnn)",
        "lesson: conditional GAN", "lesson: recommended LSTM + 70/genre from the conditional GAN",
        "check of lesson: recommended LSTM", "check of lesson: classic recipe",
        "check of lesson: pretrained ear (musicnn)"]
    assert made == [record["steps"][s] for s in ("recommended", "classic", "pretrained")]
    assert all(runs.load(record["steps"][c])["lesson"] == lesson_id for c in lesson.CHECKS)
    named = [p["now"] for p in reports if p.get("step") == "gan"]
    assert named[0] == "conditional GAN: preparing data" and named[-1] == "conditional GAN: epoch 1 of 2"
    assert [p["steps_done"] for p in reports] == sorted(p["steps_done"] for p in reports)
    fractions = [p["fraction"] for p in reports]
    assert fractions == sorted(fractions) and 0 < fractions[-1] < 1
    assert all(p["eta_seconds"] >= 0 for p in reports)
    state = lesson.status(record)
    assert state["finished"] and state["failed"] == [] and len(state["classifiers"]) == 5


class ThreadLane:
    """Stands in for the quick lesson's second process: its command's :func:`lesson_run.run_lane` in a thread."""

    started: list = []

    def __init__(self, args, env, **_):
        self.started.append((args, env))
        self.thread = threading.Thread(target=lesson_run.run_lane, args=(args[3], args[4:]), name="lane")
        self.thread.start()

    def poll(self):
        return None if self.thread.is_alive() else 0

    def wait(self):
        self.thread.join()
        return 0


def test_a_quick_lesson_trains_paper_classic_and_pretrained_beside_the_rest_on_one_thread_each(
        tone_dataset, no_worker, fake_steps, monkeypatch):
    where, fake, threads = {}, execute.execute, torch.get_num_threads()
    lane_done = threading.Event()  # the last step waits for the lane, so the last report is written during it

    def spy(kind, run_id, progress=None):
        name = runs.load(run_id)["name"].split(" on tones")[0]
        if name == "lesson: recommended LSTM + 70/genre from the conditional GAN":
            assert lane_done.wait(30)
        where[name] = (threading.current_thread().name, torch.get_num_threads())
        out = fake(kind, run_id, progress)
        if name == "lesson: pretrained ear (musicnn)":
            lane_done.set()
        return out

    monkeypatch.setattr(execute, "execute", spy)
    monkeypatch.setattr(ThreadLane, "started", [])
    monkeypatch.setattr(lesson_run, "REPORT_EVERY", 0.0)  # every report written: the last one is read below
    monkeypatch.setattr(lesson_run.subprocess, "Popen", ThreadLane)
    quick = lesson.submit(tone_dataset, "tones", quick=True)
    worker.work(idle_exit=0.1)
    (args, env), = ThreadLane.started
    assert args[1:] == ["-m", "core.orchestration.lesson_run", quick, "paper", "classic", "pretrained"]
    assert env["OMP_NUM_THREADS"] == "1" and env["GENRELAB_DATA_DIR"] == os.environ["GENRELAB_DATA_DIR"]
    assert {name: at[0] for name, at in where.items()} == {
        "lesson: paper LSTM": "lane", "lesson: classic recipe": "lane", "lesson: pretrained ear (musicnn)": "lane",
        "lesson: recommended LSTM": "MainThread", "lesson: conditional GAN": "MainThread",
        "lesson: recommended LSTM + 70/genre from the conditional GAN": "MainThread"}
    assert where["lesson: conditional GAN"][1] == 1 and torch.get_num_threads() == threads  # restored after
    state = lesson.status(lesson.load(quick))
    assert state["status"] == "done" and state["failed"] == [] and len(state["classifiers"]) == 5
    last = lesson.load(quick)["progress"]  # written during the last step: each of the five before counted once
    assert last["steps_done"] == 5 and last["fraction"] < 1

    where.clear()
    whole = lesson.submit(tone_dataset, "tones")  # the whole lesson: one process, its threads, as before
    worker.work(idle_exit=0.1)
    assert len(ThreadLane.started) == 1 and set(where.values()) == {("MainThread", threads)}
    assert lesson.status(lesson.load(whole))["failed"] == []


def test_a_step_that_fails_skips_what_needs_it_and_the_rest_runs(tone_dataset, no_worker, fake_steps, tmp_path):
    ran, outcome = fake_steps
    outcome["lesson: conditional GAN"] = "failed"
    lesson_id = lesson.submit(tone_dataset, "tones", check_on=("other", tmp_path / "missing"))
    worker.work(idle_exit=0.1)
    record = lesson.load(lesson_id)
    augmented = runs.load(record["steps"]["augmented"])
    assert record["status"] == "done" and len(ran) == 5
    assert augmented["status"] == "failed" and augmented["error"] == "not run: the conditional GAN did not finish"
    assert set(record["step_errors"]) == set(lesson.CHECKS)  # the second dataset does not exist
    assert lesson.status(record)["failed"] == ["gan", "augmented", *lesson.CHECKS]
    reason = record["step_errors"]["check"]
    assert reason and str(tmp_path) not in reason  # no server path
    assert lesson.summary(record)[-1] == f"Not checked on other: {reason}."  # said once for the three checks


def test_a_finished_lesson_whose_gan_failed_resumes_only_the_gan_and_what_needs_it(tone_dataset, no_worker,
                                                                                   fake_steps):
    ran, outcome = fake_steps
    outcome["lesson: conditional GAN"] = "failed"
    lesson_id = lesson.submit(tone_dataset, "tones")
    worker.work(idle_exit=0.1)
    record = lesson.load(lesson_id)
    assert record["status"] == "done" and lesson.status(record)["resumable"] and len(ran) == 5
    outcome.clear()
    ran.clear()
    worker.resume(lesson_id, start_worker=False)
    worker.work(idle_exit=0.1)
    record = lesson.load(lesson_id)
    assert ran == [runs.load(record["steps"][s])["name"] for s in ("gan", "augmented")]  # the four done steps kept
    assert record["status"] == "done" and lesson.status(record)["failed"] == []
    assert not lesson.status(record)["resumable"]
    with pytest.raises(runs.RunError, match="only a run that is interrupted, cancelled, failed can be resumed"):
        worker.reopen(lesson_id)  # nothing left to train: a finished lesson stays finished


def test_resume_runs_exactly_the_steps_the_lesson_counts_to_train(tone_dataset, no_worker, fake_steps, tmp_path,
                                                                  monkeypatch):
    """Checks refused by their dataset are not retried, so they are not counted; a check not made because its model
    failed is made once that model trains, so it is."""
    ran, outcome = fake_steps
    outcome["lesson: conditional GAN"] = "failed"
    refused = lesson.submit(tone_dataset, "tones", check_on=("other", tmp_path / "missing"))
    worker.work(idle_exit=0.1)
    state = lesson.status(lesson.load(refused))
    assert state["failed"] == ["gan", "augmented", *lesson.CHECKS] and state["to_train"] == ["gan", "augmented"]
    outcome.clear()
    outcome["lesson: recommended LSTM on"] = "failed"
    monkeypatch.setattr(check, "submit_check", lambda run_id, root, name: runs.create(
        "chk", f"check of {runs.load(run_id)['name']}", {"run": run_id, "map": {}},
        dataset={"name": name, "root": str(root)}))
    unmade = lesson.submit(tone_dataset, "tones", check_on=("again", tone_dataset), alongside=True)
    worker.work(idle_exit=0.1)
    record = lesson.load(unmade)
    assert "check" not in record["steps"] and "check" not in record.get("step_errors", {})
    assert lesson.status(record)["to_train"] == ["recommended", "augmented", "check"]
    outcome.clear()
    for lesson_id, count in ((refused, 2), (unmade, 3)):
        ran.clear()
        worker.resume(lesson_id, start_worker=False)
        worker.work(idle_exit=0.1)
        assert len(ran) == count, ran
    assert lesson.status(lesson.load(unmade))["failed"] == []


def test_a_step_deleted_before_the_lesson_ran_is_missing_not_a_crash(tone_dataset, no_worker, fake_steps):
    ran, _ = fake_steps
    lesson_id = lesson.submit(tone_dataset, "tones")
    recommended = lesson.load(lesson_id)["steps"]["recommended"]
    runs.update(recommended, status="cancelled")
    runs.delete(recommended)
    worker.work(idle_exit=0.1)
    record = lesson.load(lesson_id)
    assert record["status"] == "done" and len(ran) == 4  # paper, classic, pretrained ear, GAN
    assert runs.load(record["steps"]["augmented"])["error"] == "not run: the recommended LSTM did not finish"
    assert lesson.status(record)["failed"] == ["recommended", "augmented"]


def test_cancelling_the_lesson_stops_its_step_and_the_steps_to_come(tone_dataset, no_worker, fake_steps,
                                                                   monkeypatch):
    ran, _ = fake_steps
    lesson_id = lesson.submit(tone_dataset, "tones")
    paper = lesson.load(lesson_id)["steps"]["paper"]
    original = execute.execute

    passed_on = []

    def cancel_during_the_paper(kind, run_id, progress=None):
        runs.request_cancel(lesson_id)
        original(kind, run_id, progress)
        passed_on.append(runs.cancel_requested(run_id))  # asserted below: the runner swallows a step's exceptions

    monkeypatch.setattr(execute, "execute", cancel_during_the_paper)
    worker.work(idle_exit=0.1)
    record = lesson.load(lesson_id)
    assert passed_on == [True]  # the lesson's cancel request was passed on to the step running
    assert record["status"] == "cancelled" and ran == [runs.load(paper)["name"]]
    assert {runs.load(i)["status"] for s, i in record["steps"].items() if s != "paper"} == {"cancelled"}

    monkeypatch.setattr(execute, "execute", original)
    worker.resume(lesson_id, start_worker=False)  # again: what did not finish runs, the finished step does not
    worker.work(idle_exit=0.1)
    assert lesson.load(lesson_id)["status"] == "done" and len(ran) == 6


def test_cancelling_during_the_last_step_ends_the_lesson_cancelled_and_resumable(tone_dataset, no_worker,
                                                                                 fake_steps, monkeypatch):
    ran, outcome = fake_steps
    lesson_id = lesson.submit(tone_dataset, "tones")
    augmented = lesson.load(lesson_id)["steps"]["augmented"]
    outcome["lesson: recommended LSTM + "] = "cancelled"  # the step keeps what it has and ends cancelled
    original = execute.execute

    def cancel_during_the_last_step(kind, run_id, progress=None):
        if run_id == augmented and outcome:
            runs.request_cancel(lesson_id)
        original(kind, run_id, progress)

    monkeypatch.setattr(execute, "execute", cancel_during_the_last_step)
    worker.work(idle_exit=0.1)
    record = lesson.load(lesson_id)
    assert len(ran) == 6 and runs.load(augmented)["status"] == "cancelled"
    assert record["status"] == "cancelled" and lesson.status(record)["failed"] == ["augmented"]
    outcome.clear()
    worker.resume(lesson_id, start_worker=False)  # not "done": the last step trains again
    worker.work(idle_exit=0.1)
    assert lesson.load(lesson_id)["status"] == "done" and len(ran) == 7 and runs.load(augmented)["status"] == "done"


def test_after_a_resume_the_time_left_is_paced_by_the_steps_trained_since(tone_dataset, no_worker, fake_steps,
                                                                          monkeypatch):
    """Five steps were done before the resume: the pace so far is the last step's alone (10 s for its first half,
    so about 10 s left), not the whole lesson's work over the 10 s since the resume."""
    lesson_id = lesson.submit(tone_dataset, "tones")
    record = lesson.load(lesson_id)
    for step in ("paper", "recommended", "classic", "pretrained", "gan"):
        runs.update(record["steps"][step], status="done")
    reports, update = [], runs.update

    def spy(run_id, **fields):
        if run_id == lesson_id and fields.get("progress"):
            reports.append(fields["progress"])
        return update(run_id, **fields)

    monkeypatch.setattr(runs, "update", spy)
    monkeypatch.setattr(lesson_run, "REPORT_EVERY", 0.0)
    monkeypatch.setattr(lesson_run.RunContext, "elapsed", lambda self: 10.0)
    worker.work(idle_exit=0.1)
    half_way = [p for p in reports if p["now"] == f"{lesson.TITLES['augmented']}: epoch 1 of 2"]
    assert half_way and half_way[-1]["eta_seconds"] == pytest.approx(10.0)
    assert lesson.load(lesson_id)["status"] == "done"


@pytest.mark.slow
def test_a_tiny_lesson_completes_with_no_page_open(tone_dataset):
    """The real thing: queuing starts the background worker process, which trains every step to the end."""
    lesson_id = lesson.submit(tone_dataset, "tones", overrides=TINY, gan_overrides=TINY_GAN, per_genre=2)
    deadline = time.time() + 600
    while lesson.load(lesson_id)["status"] in runs.ACTIVE and time.time() < deadline:
        time.sleep(1.0)
    record = lesson.load(lesson_id)
    state = lesson.status(record)
    assert record["status"] == "done" and state["failed"] == [], (state, runs.list_runs())
    assert len(state["classifiers"]) == 5 and all(runs.result(i)["accuracy"] for i in state["classifiers"])
    assert lesson.summary(record, state)[1].startswith("It finished: 6 of 6 steps done in ")
    while queue.worker_alive() and time.time() < deadline + 30:  # it exits once idle
        time.sleep(0.5)


@pytest.mark.slow
def test_a_tiny_quick_lesson_trains_its_lane_in_a_real_second_process(tone_dataset, no_worker, monkeypatch):
    """The real second process trains the paper LSTM, classic recipe and pretrained ear; this one the rest."""
    here, step = [], lesson_run._step
    monkeypatch.setattr(lesson_run, "_step", lambda lesson_id, report, name: here.append(name) or step(
        lesson_id, report, name))
    lesson_id = lesson.submit(tone_dataset, "tones", overrides=TINY, gan_overrides=TINY_GAN, per_genre=2, quick=True)
    worker.run_here(lesson_id)
    record = lesson.load(lesson_id)
    state = lesson.status(record)
    assert record["status"] == "done" and state["failed"] == [] and len(state["classifiers"]) == 5
    assert here == ["recommended", "gan", "augmented"]


def test_latest_runs_are_the_newest_lesson_on_that_dataset(tone_dataset, no_worker):
    assert lesson.latest_runs("tones") == []
    older = lesson.load(lesson.submit(tone_dataset, "tones"))
    newer = lesson.load(lesson.submit(tone_dataset, "tones", alongside=True))
    other = lesson.load(lesson.submit(tone_dataset, "elsewhere"))
    for record in (older, newer, other):
        runs.update(record["steps"]["paper"], status="done")
    runs.update(newer["steps"]["pretrained"], status="done")
    assert lesson.latest_runs("tones") == [newer["steps"]["paper"], newer["steps"]["pretrained"]]
    assert lesson.latest_runs("elsewhere") == [other["steps"]["paper"]]
    assert lesson.latest_runs("nowhere") == []


def test_homes_promise_says_how_busy_the_machine_was_when_a_timing_was_under_load(monkeypatch):
    figs = {False: {"value": 200.1, "commit": "abc", "date": "d1", "under_load": 1.95},
            True: {"value": 87.1, "commit": "abc", "date": "d1"}}
    monkeypatch.setattr(lesson, "measured_seconds", lambda quick=False: figs[quick])
    text, where = lesson.promise()
    assert text == ("On the demo set, the whole lesson took 3 min 20 s under a 1-minute load average of 1.95 and the "
                    "quick lesson 1 min 27 s on an idle machine.")
    assert where == "Measured at commit abc (d1) and abc (d1)."
    figs[False].pop("under_load")
    assert lesson.promise()[0].startswith("On the demo set, on an idle machine, the whole lesson took 3 min 20 s")
    monkeypatch.setattr(lesson, "measured_seconds", lambda quick=False: None)
    assert lesson.promise() == ("How long it takes on the demo set has not been measured yet; once it runs, the "
                                "sidebar shows the time left.", "")
