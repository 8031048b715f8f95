"""Checks on another dataset as runs, and the runs that build on others (issue 25): long dataset files are
heard, a running check says what it does, a failed one names no server path; deleting a run others need warns."""

import shutil

import pytest

from core.base import progress as steps
from core.cli import main
from core.orchestration import check, worker
from core.storage import queue, runs
from core.usecases import generalise, predict
from helpers import finished_run, write_tone


@pytest.fixture
def tones(tmp_path):
    root = tmp_path / "tones"
    for label, freq in (("low", 110.0), ("mid", 220.0), ("high", 440.0)):
        for k in range(2):
            write_tone(root / label / f"{label}.{k}.wav", seconds=2.0, freq=freq * (1 + 0.05 * k))
    return root


def test_dataset_files_over_the_upload_limit_are_checked(tones, monkeypatch):
    run_id = finished_run(tones)
    monkeypatch.setattr(predict, "MAX_UPLOAD_BYTES", 10_000)  # every 2 s clip (88 kB) is over it
    result = generalise.check(run_id, tones, "tones")
    assert result["accuracy"]["n"] == 6 and result["skipped"] == []


def test_a_running_check_says_what_it_does(tones, monkeypatch):
    run_id = finished_run(tones)
    check_id = check.submit_check(run_id, tones, "copy")
    seen = []
    real = generalise.check

    def spy(*args, **kwargs):
        seen.append(runs.load(check_id)["progress"])
        return real(*args, **kwargs)

    monkeypatch.setattr(generalise, "check", spy)
    check.run_check(check_id)
    assert steps.status_text(seen[0]) == "Loading the model and listing the dataset."
    assert steps.status_text({"clips": 3, "total": 6}) == "Listening to clip 3 of 6."
    assert steps.fraction({"clips": 3, "total": 6}) == 0.5
    assert steps.status_text({"clips": 6, "total": 6}) == "Scoring the answers and fingerprinting the dataset."


def test_a_failed_check_names_no_server_path(tones, tmp_path):
    run_id = finished_run(tones)
    moved = tmp_path / "elsewhere" / "deep" / "tones-copy"
    shutil.copytree(tones, moved)
    check_id = check.submit_check(run_id, moved, "tones-copy")
    shutil.rmtree(moved)  # the folder went away while the check waited
    with pytest.raises(Exception):
        check.run_check(check_id)
    record = runs.load(check_id)
    assert record["status"] == "failed" and record["error"] == "tones-copy is not a folder"
    assert str(tmp_path) not in record["error"]


def test_a_job_failing_with_an_os_error_keeps_no_server_path(tones, monkeypatch):
    run_id = check.submit_check(finished_run(tones), tones, "tones")
    queue.enqueue(run_id, "check", start_worker=False)

    def full(_):
        raise OSError(28, "No space left on device", str(tones / "deep" / "file.json"))

    monkeypatch.setattr(worker, "handlers", lambda: {"check": full})
    worker.work(idle_exit=0.1)
    assert runs.load(run_id)["error"] == "OSError: [Errno 28] No space left on device: 'file.json'"


def test_deleting_a_run_others_build_on_warns_and_names_them(tones, capsys):
    baseline = finished_run(tones)
    gan_id = runs.create("gan", "the lesson's GAN", {}, dataset={"name": "tones"})
    runs.update(gan_id, status="done")
    augmented = runs.create("clf", "augmented", {}, dataset={"name": "tones"}, baseline=baseline,
                            augment={"gan_run": gan_id, "per_genre": 70})
    check_id = check.submit_check(baseline, tones, "tones")
    assert [r["id"] for r in runs.dependents(gan_id)] == [augmented]
    assert {r["id"] for r in runs.dependents(baseline)} == {augmented, check_id}
    assert runs.dependents(augmented) == []
    assert main(["runs", "delete", gan_id]) == 2
    err = capsys.readouterr().err
    assert "1 run builds on it: “augmented”" in err and augmented in err and "add --yes" in err
    assert main(["runs", "delete", gan_id, "--yes"]) == 0
    assert "warning: 1 run builds on it: “augmented”" in capsys.readouterr().err


def test_exporting_a_run_without_a_model_says_so(tones, tmp_path, capsys):
    run_id = runs.create("clf", "still training", {}, dataset={"name": "tones"})
    runs.update(run_id, status="running", pid=None)
    assert main(["runs", "export", run_id, "-o", str(tmp_path / "x.zip")]) == 0
    assert "(interrupted) has no model.pt: the zip holds its record, history and report only" in capsys.readouterr().err
