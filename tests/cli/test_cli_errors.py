"""The CLI fails in one line on stderr with a non-zero exit, never a traceback, and loses nothing it computed
(issue 25): bad Ray addresses, full disks, folders where a file was meant, runs that nothing will run."""

import errno
import json
import time

import pytest

from core.base.config import preset
from core.cli import main
from core.orchestration import classifier, cluster, worker
from core.storage import queue, runs, store
from helpers import finished_run, orphan_cell

TINY_EXPERIMENT = ["--seeds", "1", "--arms", "paper", "--per-genre", "0", "--set", "epochs=1",
                   "--set", "hidden_size=16", "--set", "num_layers=1", "--set", "split=stratified"]


def one_line_error(err: str) -> str:
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert line.startswith("error: ")
    return line


@pytest.mark.parametrize("address, says", [("garbage", "'garbage' is not a Ray address"),
                                           ("127.0.0.1:1", "cannot reach the Ray cluster at 127.0.0.1:1")])
def test_a_bad_ray_address_is_one_line_and_leaves_no_queued_run(address, says, tone_dataset, capsys, monkeypatch):
    monkeypatch.setenv(cluster.ENV_VAR, "")  # --ray sets it for this process: restored after the test
    started = time.monotonic()
    assert main(["experiment", "--ray", address, "--data", str(tone_dataset), *TINY_EXPERIMENT]) == 2
    assert time.monotonic() - started < 60  # no minutes of Ray retrying
    assert says in one_line_error(capsys.readouterr().err)
    assert [r for r in runs.list_runs() if r["status"] in runs.ACTIVE] == []
    assert runs.list_runs("clf") == []  # not one cell was created


def test_export_to_a_folder_is_one_line(tmp_path, capsys):
    run_id = finished_run(tmp_path)
    assert main(["runs", "export", run_id, "-o", str(tmp_path)]) != 0
    one_line_error(capsys.readouterr().err)


def test_export_to_an_unwritable_place_is_one_line(tmp_path, capsys):
    run_id = finished_run(tmp_path)
    assert main(["runs", "export", run_id, "-o", str(tmp_path / "no" / "such" / "folder" / "x.zip")]) != 0
    one_line_error(capsys.readouterr().err)


def full_disk(monkeypatch):
    def write(*_, **__):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "atomic_write_bytes", write)
    monkeypatch.setattr(runs.folder, "atomic_write_bytes", write)


def test_rename_on_a_full_disk_is_one_line(tmp_path, capsys, monkeypatch):
    run_id = finished_run(tmp_path)
    full_disk(monkeypatch)
    assert main(["runs", "rename", run_id, "new name"]) != 0
    assert "No space left on device" in one_line_error(capsys.readouterr().err)


@pytest.mark.slow
def test_evaluate_prints_its_result_even_when_it_cannot_be_kept(tone_dataset, capsys, monkeypatch):
    run_id = finished_run(tone_dataset)
    full_disk(monkeypatch)
    assert main(["evaluate", "--run", run_id, "--data", str(tone_dataset), "--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["accuracy"]["n"] == 12  # the result was printed, not lost
    assert "could not be kept" in one_line_error(err) and "No space left on device" in err


def test_runs_list_accepts_checks(tmp_path, capsys):
    assert main(["runs", "list", "--kind", "chk"]) == 0


def test_an_orphan_cell_is_cancelled_at_once_and_can_then_be_deleted(tone_dataset, capsys):
    cell = orphan_cell(tone_dataset)
    assert queue.is_orphan(runs.load(cell))
    assert main(["runs", "delete", cell, "--yes"]) == 2  # still queued: refused
    assert main(["runs", "cancel", cell]) == 0
    assert "cancelled (no job was left to run it)" in capsys.readouterr().out
    assert runs.load(cell)["status"] == "cancelled"
    assert main(["runs", "delete", cell, "--yes"]) == 0


def test_cancelling_a_queued_job_asks_the_worker(tone_dataset, capsys):
    run_id = classifier.submit_classifier(preset("paper"), tone_dataset, "tones")
    runs.update(run_id, created=time.time() - 2 * queue.ORPHAN_GRACE_SECONDS)
    queue.enqueue(run_id, "classifier", start_worker=False)
    assert not queue.is_orphan(runs.load(run_id))
    assert main(["runs", "cancel", run_id]) == 0 and "asked to stop" in capsys.readouterr().out
    worker.work(idle_exit=0.1)
    assert runs.load(run_id)["status"] == "cancelled"


def test_cancelling_a_finished_run_is_refused(tmp_path, capsys):
    run_id = finished_run(tmp_path)
    assert main(["runs", "cancel", run_id]) == 2
    assert "only a queued or running run can be cancelled" in one_line_error(capsys.readouterr().err)


def test_a_young_queued_run_is_not_an_orphan(tone_dataset):
    run_id = classifier.submit_classifier(preset("paper"), tone_dataset, "tones")  # its job may be on its way
    assert not queue.is_orphan(runs.load(run_id))
