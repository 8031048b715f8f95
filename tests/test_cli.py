import os
import subprocess
import sys

import pytest

from core import runs
from core.cli import TerminalProgress, main


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
                         env=os.environ.copy(), cwd=os.path.dirname(os.path.dirname(__file__)))
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
