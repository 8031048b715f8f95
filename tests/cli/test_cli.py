import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.storage import runs
from core.cli import main
from core.cli.terminal import TerminalProgress


def test_scan_prints_report(tone_dataset, capsys):
    (tone_dataset / "low" / "broken.wav").write_bytes(b"RIFF garbage")
    assert main(["scan", "--data", str(tone_dataset)]) == 0
    out = capsys.readouterr().out
    assert "12 usable clips in 3 labels" in out and "low/broken.wav: not a readable audio file" in out


def test_bad_dataset_is_a_clear_error(tmp_path, capsys):
    assert main(["scan", "--data", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_train_writes_the_same_run_folder_as_the_app(tone_dataset, capsys):
    assert main(["train", "--preset", "paper", "--data", str(tone_dataset), "--seed", "3", "--set", "epochs=1",
                 "--set", "hidden_size=16", "--set", "num_layers=1", "--set", "split=stratified"]) == 0
    out = capsys.readouterr().out
    (run,) = runs.list_runs("clf")
    assert run["status"] == "done" and run["config"]["seed"] == 3 and run["preset"] == "paper"
    assert "test accuracy" in out and run["id"] in out


def test_bad_override_is_a_clear_error(tone_dataset, capsys):
    assert main(["train", "--data", str(tone_dataset), "--set", "epochs=0"]) == 2
    assert "below its minimum" in capsys.readouterr().err


@pytest.mark.slow
def test_help_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "core", "--help"], capture_output=True, text=True,
                         env=os.environ.copy(), cwd=str(Path(__file__).resolve().parents[2]))
    assert out.returncode == 0 and "train" in out.stdout and "scan" in out.stdout


def test_terminal_progress_draws_a_bar_on_stderr(capsys):
    bar = TerminalProgress("grid")
    bar(1, 4, "cell a")
    bar(4, 4, "cell d")
    err = capsys.readouterr().err
    assert "grid" in err and "1/4" in err and "4/4" in err and "cell d" in err
    assert bar.bar is None  # closed at the end, so the next phase starts a fresh bar


def test_runs_list_rename_delete_and_export(tmp_path, capsys):
    import zipfile

    run_id = runs.create("clf", "first name", {"seed": 0}, dataset={"name": "tones"})
    runs.update(run_id, status="done")
    assert main(["runs"]) == 0 and f"{run_id}  clf  done" in capsys.readouterr().out
    assert main(["runs", "rename", run_id, "  the lesson's baseline "]) == 0
    assert runs.load(run_id)["name"] == "the lesson's baseline" and "renamed" in capsys.readouterr().out
    out = tmp_path / "run.zip"
    assert main(["runs", "export", run_id, "-o", str(out)]) == 0
    assert f"{run_id}/run.json" in zipfile.ZipFile(out).namelist()
    assert main(["runs", "delete", run_id]) == 2 and "add --yes" in capsys.readouterr().err
    assert main(["runs", "delete", run_id, "--yes"]) == 0 and runs.list_runs() == []
    assert main(["runs", "rename", run_id, "x"]) == 2 and "does not exist" in capsys.readouterr().err
    assert main(["runs", "list", "--kind", "gan"]) == 0


def test_export_refuses_a_folder_an_existing_file_and_a_missing_folder_in_one_line(tmp_path, capsys):
    run_id = runs.create("clf", "a run", {"seed": 0}, dataset={"name": "tones"})
    runs.update(run_id, status="done")
    assert main(["runs", "export", run_id, "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path} is a folder: name the zip file to write, e.g. " \
                                      f"{tmp_path / (run_id + '.zip')}\n"
    old = tmp_path / "old.zip"
    old.write_bytes(b"the user's earlier export")
    assert main(["runs", "export", run_id, "-o", str(old)]) == 2
    assert capsys.readouterr().err == f"error: {old} already exists: add --force to replace it\n"
    assert old.read_bytes() == b"the user's earlier export"
    assert main(["runs", "export", run_id, "-o", str(old), "--force"]) == 0 and old.read_bytes()[:2] == b"PK"
    assert "has no model.pt" in capsys.readouterr().err  # this run was made without one
    missing = tmp_path / "no such folder" / "x.zip"
    assert main(["runs", "export", run_id, "-o", str(missing)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: cannot write {missing}: No such file or directory"]


@pytest.mark.slow
def test_a_failed_export_leaves_the_existing_file_whole(tmp_path):
    """A disk that fills mid-write (a 4 KB file size limit) fails the export in one line and keeps the old zip."""
    import resource

    from helpers import finished_run

    (tmp_path / "tones").mkdir()
    run_id = finished_run(tmp_path / "tones")  # its model.pt makes the zip far larger than 4 KB
    (tmp_path / "exports").mkdir()
    old = tmp_path / "exports" / "old.zip"
    old.write_bytes(b"the user's earlier export")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "core", "runs", "export", run_id, "-o", str(old), "--force"],
                          cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096)), timeout=120)
    assert done.returncode == 2 and done.stderr == f"error: cannot write {old}: File too large\n"
    assert old.read_bytes() == b"the user's earlier export" and list(old.parent.iterdir()) == [old]
