"""Injected faults: write errors while saving, concurrent training and deleting, torn files."""

import errno
import json
import threading

import pytest

from core.orchestration import classifier
from core.storage import runs, store
from core.base.config import preset

TINY = dict(hidden_size=16, num_layers=1, epochs=2, batch_size=8, first_frames=40, segment_seconds=1.0,
            split="stratified")


def submit(root, **kw):
    return classifier.submit_classifier(preset("paper", **{**TINY, **kw}), root, "tones", preset="paper")


@pytest.mark.slow
def test_disk_full_while_saving_model_leaves_a_failed_run_not_a_corrupt_one(tone_dataset, monkeypatch):
    real = runs.folder.atomic_write_bytes

    def full_disk(path, data, **kw):
        if path.name == "model.pt":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data, **kw)

    monkeypatch.setattr(runs.folder, "atomic_write_bytes", full_disk)
    run_id = submit(tone_dataset)
    with pytest.raises(OSError):
        classifier.run_classifier(run_id)
    record = runs.load(run_id)
    assert record["status"] == "failed" and "No space left" in record["error"]
    folder = runs.run_path(run_id)
    assert not (folder / "model.pt").exists() and runs.result(run_id) is None
    assert runs.load_tensors(folder / "checkpoint.pt")["epoch"] == 2  # the last good epoch survives
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert [r["id"] for r in runs.list_runs()] == [run_id]


def test_failed_rename_keeps_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "run.json"
    target.write_text('{"ok": 1}')

    def broken_replace(src, dst):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(store.os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.atomic_write_bytes(target, b'{"ok": 2}')
    assert json.loads(target.read_text()) == {"ok": 1}
    assert list(tmp_path.iterdir()) == [target]


def test_torn_run_json_is_ignored_not_fatal(tone_dataset):
    good = submit(tone_dataset)
    broken = runs.run_path("20990101-000000-clf-dead")
    broken.mkdir()
    (broken / "run.json").write_text('{"id": "20990101-000000-clf-dead", "kind"')
    assert [r["id"] for r in runs.list_runs()] == [good]


@pytest.mark.slow
def test_two_tabs_train_and_delete_at_the_same_time(tone_dataset):
    finished = [submit(tone_dataset, epochs=1) for _ in range(3)]
    for run_id in finished:
        classifier.run_classifier(run_id)
    training = [submit(tone_dataset, epochs=2, seed=s) for s in range(2)]
    errors = []

    def train():
        try:
            for run_id in training:
                classifier.run_classifier(run_id)
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    def delete_and_list():
        try:
            for run_id in finished:
                runs.list_runs()
                runs.delete(run_id)
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=train), threading.Thread(target=delete_and_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    left = runs.list_runs()
    assert sorted(r["id"] for r in left) == sorted(training)
    assert all(r["status"] == "done" and runs.result(r["id"])["accuracy"]["n"] > 0 for r in left)
    assert not [p for p in runs.runs_dir().iterdir() if p.name.startswith(".deleted")]


def test_a_rename_during_the_final_status_write_never_undoes_it(tone_dataset, monkeypatch):
    """A rename reads run.json, the worker then writes 'done', the rename writes back: the update must wait."""
    run_id = submit(tone_dataset)
    runs.update(run_id, status="running")
    read, written = threading.Event(), threading.Event()
    real_read = runs.folder._read_record

    def slow_read(rid):
        record = real_read(rid)
        if threading.current_thread().name == "rename":
            read.set()
            written.wait(0.5)  # without a lock the final status lands here, then the rename writes over it
        return record

    monkeypatch.setattr(runs.folder, "_read_record", slow_read)
    renamer = threading.Thread(target=runs.rename, args=(run_id, "renamed"), name="rename")
    renamer.start()
    assert read.wait(5)
    runs.update(run_id, status="done", finished=1.0)
    written.set()
    renamer.join()
    record = runs.load(run_id)
    assert record["status"] == "done" and record["name"] == "renamed"


_RACE = """
import sys
from core.storage import runs
run_id, field, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    if field == "name":
        runs.rename(run_id, f"name {i}")
    else:
        runs.update(run_id, progress={"clips": i, "total": n})
"""


@pytest.mark.slow
def test_two_processes_updating_one_run_lose_no_update(tone_dataset, tmp_path):
    """A process renaming a run 150 times while another writes its progress 150 times: both last values land."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    run_id = runs.create("chk", "check", {"run": "x", "map": {}}, dataset={"name": "tones"})
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    procs = [subprocess.Popen([sys.executable, "-c", _RACE, run_id, field, "150"], env=env, cwd=root)
             for field in ("name", "progress")]
    assert [p.wait(120) for p in procs] == [0, 0]
    record = runs.load(run_id)
    assert record["name"] == "name 149" and record["progress"] == {"clips": 149, "total": 150}
