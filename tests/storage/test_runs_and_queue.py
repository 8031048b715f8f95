import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
import io

import pytest
import torch

from core.orchestration import classifier, gan_run, worker
from core.storage import queue, runs
from core.usecases import reports
from core.base.config import gan_preset, preset

TINY = dict(hidden_size=16, num_layers=1, epochs=2, batch_size=8, first_frames=40, segment_seconds=1.0,
            split="stratified")


def submit(root, name="paper", **kw):
    return classifier.submit_classifier(preset(name, **{**TINY, **kw}), root, "tones", preset=name)


@pytest.mark.slow
def test_run_folder_lifecycle(tone_dataset):
    run_id = submit(tone_dataset)
    assert runs.load(run_id)["status"] == "queued"
    result = classifier.run_classifier(run_id)
    record = runs.load(run_id)
    assert record["status"] == "done" and record["dataset"]["n_clips"] == 12
    assert len(runs.history(run_id)) == 2
    acc = result["accuracy"]
    assert acc["lo"] <= acc["value"] <= acc["hi"] and acc["n"] == len(record["split"]["test"])
    assert sum(map(sum, result["confusion"])) == acc["n"]
    model = runs.load_tensors(runs.run_path(run_id) / "model.pt")
    assert model["labels"] == ["high", "low", "mid"]
    runs.rename(run_id, "  my run ")
    assert runs.load(run_id)["name"] == "my run"
    with zipfile.ZipFile(io.BytesIO(reports.export_zip(run_id))) as zf:
        names = zf.namelist()
        assert f"{run_id}/model.pt" in names and "Accuracy" in zf.read(f"{run_id}/REPORT.md").decode()
    runs.delete(run_id)
    assert run_id not in [r["id"] for r in runs.list_runs()]
    with pytest.raises(runs.RunError):
        runs.load(run_id)


def test_hostile_run_ids_and_foreign_model_files(tmp_path):
    for bad in ("../etc", "a/b", "", ".hidden"):
        with pytest.raises(runs.RunError):
            runs.run_path(bad)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"state_dict": Evil()}, path)
    with pytest.raises(runs.RunError, match="not a GenreLab model file"):
        runs.load_tensors(path)
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(runs.RunError, match="not a GenreLab model file"):
        runs.load_tensors(tmp_path / "junk.pt")


def test_active_run_cannot_be_deleted(tone_dataset):
    run_id = submit(tone_dataset)
    with pytest.raises(runs.RunError, match="cancel it"):
        runs.delete(run_id)


@pytest.mark.slow
def test_dead_worker_run_reads_interrupted(tone_dataset):
    run_id = submit(tone_dataset)
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    runs.update(run_id, status="running", pid=proc.pid)
    assert runs.load(run_id)["status"] == "interrupted"


@pytest.mark.slow
def test_queue_serialises_jobs_from_concurrent_submitters(tone_dataset):
    ids = []
    threads = [threading.Thread(target=lambda: ids.append(queue.enqueue(submit(tone_dataset), "classifier",
                                                                       start_worker=False).name)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queued = queue.pending()
    assert len(queued) == 3 and queue.position(queued[2]) == 2
    runs.request_cancel(queued[1])
    worker.work(idle_exit=0.1)
    states = [runs.load(r)["status"] for r in queued]
    assert states == ["done", "cancelled", "done"] and queue.pending() == []
    first, third = (runs.load(r) for r in (queued[0], queued[2]))
    assert first["finished"] <= third["started"]  # one after the other, never both at once


@pytest.mark.slow
def test_killed_worker_leaves_interrupted_run_with_loadable_checkpoint(tone_dataset, data_dir):
    run_id = submit(tone_dataset, epochs=200)
    queue.enqueue(run_id, "classifier", start_worker=False)
    proc = subprocess.Popen([sys.executable, "-m", "core", "worker"], env=os.environ.copy())
    deadline = time.time() + 120
    while time.time() < deadline and len(runs.history(run_id)) < 2:
        time.sleep(0.2)
    assert runs.load(run_id)["status"] == "running"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert runs.load(run_id)["status"] == "interrupted"
    ckpt = runs.load_tensors(runs.run_path(run_id) / "checkpoint.pt")
    assert ckpt["epoch"] >= 1
    assert queue.pending() == []  # the dead job is not shown as waiting
    worker.work(idle_exit=0.1)  # a new worker clears the stale queue entry and leaves the run alone
    assert runs.load(run_id)["status"] == "interrupted" and not any(queue.queue_dir().iterdir())


@pytest.mark.slow
def test_cancel_running_job_keeps_what_was_done(tone_dataset):
    run_id = submit(tone_dataset, epochs=50)
    queue.enqueue(run_id, "classifier", start_worker=False)
    seen = []

    def cancel_after_first(p):
        seen.append(p["epoch"])
        runs.request_cancel(run_id)

    classifier.run_classifier(run_id, progress=cancel_after_first)
    record = runs.load(run_id)
    assert record["status"] == "cancelled" and seen == [1] and runs.result(run_id)["accuracy"]["n"] > 0


def test_running_marks_each_ending_and_never_leaves_a_run_running(tmp_path):
    ids = [runs.create("clf", name, {}, dataset={"name": "tones"})
           for name in ("ok", "stopped", "handled", "broken", "killed")]
    with runs.running(ids[0], device="cpu") as run:
        inside = runs.load(ids[0])
        run.final["train_seconds"] = 1.5
    assert inside["status"] == "running" and inside["pid"] == os.getpid() and inside["device"] == "cpu"
    done = runs.load(ids[0])
    assert done["status"] == "done" and done["pid"] is None and done["train_seconds"] == 1.5 and done["finished"]
    with runs.running(ids[1]):
        raise runs.Cancelled  # leaves the block quietly
    with runs.running(ids[2]) as run:
        run.status = "cancelled"
    with pytest.raises(ZeroDivisionError), runs.running(ids[3]):
        1 / 0
    with pytest.raises(KeyboardInterrupt), runs.running(ids[4]):
        raise KeyboardInterrupt
    records = [runs.load(i) for i in ids[1:]]
    assert [r["status"] for r in records] == ["cancelled", "cancelled", "failed", "interrupted"]
    assert records[2]["error"] == "ZeroDivisionError: division by zero"
    assert all(r["pid"] is None for r in records)


def test_check_cancel_raises_only_once_asked(tmp_path):
    run_id = runs.create("clf", "x", {}, dataset={"name": "tones"})
    with runs.running(run_id) as run:
        run.check_cancel()
        runs.request_cancel(run_id)
        with pytest.raises(runs.Cancelled):
            run.check_cancel()


def test_submit_can_enqueue(tone_dataset, monkeypatch):
    queued = []
    monkeypatch.setattr(queue, "enqueue", lambda run_id, kind: queued.append((run_id, kind)))
    kept = submit(tone_dataset)
    clf = classifier.submit_classifier(preset("paper", **TINY), tone_dataset, "tones", enqueue=True)
    gan_id = gan_run.submit_gan(gan_preset("conditional", epochs=1), tone_dataset, "tones", enqueue=True)
    assert queued == [(clf, "classifier"), (gan_id, "gan")] and kept not in dict(queued)


def test_the_worker_starts_once_per_enqueue_and_never_on_a_page_rerun(tone_dataset, app_on_tones, monkeypatch):
    import streamlit as st

    started = []
    monkeypatch.setattr(queue, "ensure_worker", lambda: started.append(1))
    run_id = classifier.submit_classifier(preset("paper", **TINY), tone_dataset, "tones", enqueue=True)
    assert started == [1] and queue.pending() == [run_id]
    queue.enqueue(submit(tone_dataset), "classifier", start_worker=False)
    assert started == [1]
    st.cache_resource.clear()  # a fresh server process: the app wakes a worker for jobs left queued, once
    app_on_tones.run()
    assert not app_on_tones.exception and started == [1, 1]
    for page in ("app_pages/train.py", "app_pages/compare.py", "app_pages/home.py"):
        app_on_tones.switch_page(page).run()
        app_on_tones.run()
        assert not app_on_tones.exception and started == [1, 1], page


def test_submit_augmentation_reuses_a_matching_baseline(tone_dataset, monkeypatch):
    queued = []
    monkeypatch.setattr(queue, "enqueue", lambda run_id, kind: queued.append(run_id))
    gan_id = gan_run.submit_gan(gan_preset("conditional", epochs=1), tone_dataset, "tones")
    cfg = preset("recommended", **TINY)
    baseline, augmented = classifier.submit_augmentation(cfg, gan_id, 5, preset="recommended", enqueue=True)
    assert queued == [baseline, augmented]
    record = runs.load(augmented)
    assert record["augment"] == {"gan_run": gan_id, "per_genre": 5} and record["baseline"] == baseline
    assert runs.load(baseline)["dataset"] == {"name": "tones", "root": str(tone_dataset)}
    again, second = classifier.submit_augmentation(cfg, gan_id, 10)
    assert again == baseline and second not in (baseline, augmented) and queued == [baseline, augmented]
    other, _ = classifier.submit_augmentation(preset("recommended", **{**TINY, "seed": 1}), gan_id, 5)
    assert other not in (baseline, augmented, second)
