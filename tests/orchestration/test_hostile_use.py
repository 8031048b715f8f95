"""Faults a hostile user finds (overflowing audio, diverging training, unbounded options, special files, unpacking,
resuming, shared links); each test failed on the code before its fix."""

import json
import math
import os
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from core import cli
from core.base import paths
from core.orchestration import classifier, gan_run
from core.storage import runs
from core.usecases import model_choice, predict
from core.base.audio import AudioError, decode
from core.base.config import ConfigError, GANConfig, gan_preset, preset, with_overrides
from core.base.datasets import list_clips
from core.storage.extract import load_features
from core.compute.features import FeatureError, logmel
from helpers import write_tone

TINY = dict(epochs=2, hidden_size=16, num_layers=1, segment_seconds=1.0, batch_size=8)


def write_huge(path, seconds=2.0, sr=22050):
    """A valid float WAV whose samples reach 2.9e38: finite, but its power overflows float32."""
    t = np.arange(int(seconds * sr)) / sr
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (np.sin(2 * np.pi * 440 * t) * 1e38 / 0.35).astype(np.float32), sr, subtype="FLOAT")
    return path


# --------------------------------------------------------------------------- 1. overflowing audio

def test_overflowing_log_mel_raises_instead_of_returning_inf(tmp_path):
    y = decode(write_huge(tmp_path / "huge.wav"))
    with pytest.raises(FeatureError, match="NaN or infinite"):
        logmel(y)


@pytest.mark.slow
def test_overflowing_clip_is_skipped_with_its_reason(tone_dataset):
    write_huge(tone_dataset / "low" / "huge.wav")
    fs = load_features(tone_dataset)
    assert len(fs.clips) == 12 and all(np.isfinite(m.astype(np.float32)).all() for m in fs.mels)
    reasons = {s.path: s.reason for s in fs.skipped}
    assert "too large to analyse" in reasons["low/huge.wav"]


@pytest.mark.slow
def test_scan_reports_the_overflowing_clip(tone_dataset, capsys):
    write_huge(tone_dataset / "mid" / "huge.wav")
    assert cli.main(["scan", "--data", str(tone_dataset)]) == 0
    out = capsys.readouterr().out
    assert "1 files skipped" in out and "mid/huge.wav: the log-mel spectrogram holds NaN" in out


@pytest.mark.slow
def test_diverging_training_fails_with_the_epoch_and_is_never_done(tone_dataset, monkeypatch):
    from core.compute import train

    def poisoned_fit(cfg, data, on_epoch=None, **kw):
        data.train.x[:] = float("nan")  # what a NaN normaliser used to feed the model
        return train.fit(cfg, data, on_epoch, **kw)

    monkeypatch.setattr(classifier, "fit", poisoned_fit)
    run_id = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    with pytest.raises(train.Diverged, match="loss became NaN at epoch 1"):
        classifier.run_classifier(run_id)
    record = runs.load(run_id)
    assert record["status"] == "failed" and record["error"] == "loss became NaN at epoch 1"
    assert not (runs.run_path(run_id) / "model.pt").exists()


@pytest.mark.slow
def test_cli_train_prints_a_clear_failure(tone_dataset, capsys, monkeypatch):
    from core.compute import train

    def diverge(cfg, data, on_epoch=None, **kw):
        train.check_losses(1, {"train_loss": float("nan")}, ("train_loss",))

    monkeypatch.setattr(classifier, "fit", diverge)
    assert cli.main(["train", "--data", str(tone_dataset), "--set", "epochs=1"]) == 1
    assert "error: training failed: loss became NaN at epoch 1" in capsys.readouterr().err


def nan_model_run(tone_dataset):
    """A done run whose model.pt holds NaN weights, as an overflowing clip made on the code before."""
    import torch

    run_id = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    classifier.run_classifier(run_id)
    path = runs.run_path(run_id) / "model.pt"
    obj = torch.load(path, weights_only=True)
    obj["mean"] = torch.full_like(obj["mean"], float("nan"))
    runs.save_tensors(run_id, "model", obj)
    return run_id


@pytest.mark.slow
def test_prediction_never_prints_nan(tone_dataset, tmp_path, capsys):
    run_id = nan_model_run(tone_dataset)
    clip = write_tone(tmp_path / "x.wav")
    assert cli.main(["predict", str(clip), "--run", run_id, "--json"]) == 2
    captured = capsys.readouterr()
    assert "nan" not in captured.out.lower() and f"run {run_id}: model.pt holds NaN" in captured.err
    with pytest.raises(runs.RunError, match="NaN or infinite weights"):
        predict.load_model(run_id)


@pytest.mark.slow
def test_predict_json_is_valid_json(tone_dataset, tmp_path, capsys):
    run_id = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    classifier.run_classifier(run_id)
    assert cli.main(["predict", str(write_tone(tmp_path / "x.wav")), "--json", "--top", "10"]) == 0
    out = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert len(out["top"]) == 3 and all(math.isfinite(t["prob"]) for t in out["top"])


@pytest.mark.slow
def test_predict_without_run_skips_a_corrupt_newest_model(tone_dataset, tmp_path, capsys):
    good = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    classifier.run_classifier(good)
    bad = classifier.submit_classifier(preset("recommended", **TINY, seed=1), tone_dataset, "tones")
    classifier.run_classifier(bad)
    (runs.run_path(bad) / "model.pt").write_bytes(b"corrupt")
    assert model_choice.latest_run_id() == good
    (runs.run_path(good) / "model.pt").write_bytes(b"corrupt")
    assert cli.main(["predict", str(write_tone(tmp_path / "x.wav"))]) == 2
    err = capsys.readouterr().err
    assert f"run {bad}: model.pt is not a GenreLab model file" in err and f"run {good}" in err


@pytest.mark.parametrize("top", ["-1", "0", "x"])
def test_cli_top_must_be_positive(top, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["predict", "x.wav", "--top", top])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--top" in err and "Traceback" not in err


# --------------------------------------------------------------------------- 3. NaN in configs

FLOAT_FIELDS = ["lr", "grad_clip", "dropout", "segment_overlap", "weight_decay", "segment_seconds"]


@pytest.mark.parametrize("name", FLOAT_FIELDS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", float("nan")])
def test_non_finite_classifier_settings_are_refused(name, value):
    with pytest.raises(ConfigError, match="finite"):
        with_overrides(preset("recommended"), {name: value})


@pytest.mark.parametrize("name", ["lr_g", "lr_d", "beta1", "beta2", "ema", "scale"])
def test_non_finite_gan_settings_are_refused(name):
    with pytest.raises(ConfigError, match="finite"):
        with_overrides(gan_preset("conditional"), [f"{name}=nan"])


def test_config_of_the_wrong_type_in_a_run_record_is_refused():
    from core.base.config import ClassifierConfig, from_dict

    with pytest.raises(ConfigError):
        from_dict(ClassifierConfig, {"epochs": "many"})
    with pytest.raises(ConfigError):
        from_dict(GANConfig, {"lr_g": [1]})


def test_cli_set_lr_nan_is_a_clear_error(capsys):
    assert cli.main(["train", "--set", "lr=nan"]) == 2
    err = capsys.readouterr().err
    assert "lr=nan is not a finite number" in err and "Traceback" not in err


# --------------------------------------------------------------------------- 6. special files

def test_symlink_loop_is_an_audio_error_without_its_path(tmp_path, capsys):
    loop = tmp_path / "loop.wav"
    os.symlink(loop, loop)
    with pytest.raises(AudioError, match="loop.wav: a symbolic link that loops"):
        decode(loop)
    assert cli.main(["predict", str(loop)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(tmp_path) not in err.replace(str(loop), "")


def test_fifo_and_device_get_the_right_reason(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    with pytest.raises(AudioError, match="named pipe"):
        decode(fifo)
    with pytest.raises(AudioError, match="character device"):
        decode("/dev/urandom")
    with pytest.raises(AudioError, match="named pipe"):
        predict.listen(fifo, SimpleNamespace(features=predict.FeatureConfig()))  # refused before the model is used


@pytest.mark.slow
def test_special_files_in_a_dataset_are_listed_as_skipped(tone_dataset):
    os.mkfifo(tone_dataset / "low" / "pipe.wav")
    os.symlink(tone_dataset / "mid" / "loop.wav", tone_dataset / "mid" / "loop.wav")
    os.mkfifo(tone_dataset / "stray.wav")
    reasons = {s.path: s.reason for s in list_clips(tone_dataset).skipped}
    assert reasons["low/pipe.wav"] == "a named pipe (FIFO), not a regular file"
    assert reasons["mid/loop.wav"] == "a symbolic link that loops or points nowhere"
    assert reasons["stray.wav"] == "a named pipe (FIFO), not a regular file"
    assert len(load_features(tone_dataset).clips) == 12


# --------------------------------------------------------------------------- 5. numeric CLI options

@pytest.mark.parametrize("argv", [["experiment", "--per-genre", "99999999", "--queue"],
                                  ["experiment", "--seeds", "100000"], ["experiment", "--per-genre", "abc"],
                                  ["experiment", "--per-genre", "70,-1"], ["experiment", "--first-seed", "-3"],
                                  ["train", "--seed", "-1"], ["demo", "--clips", "99999999"],
                                  ["demo", "--seconds", "nan"], ["gan", "--seed", "1e99"]])
def test_numeric_options_are_bounded_without_a_traceback(argv, capsys, data_dir):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {argv[1]}" in err and "Traceback" not in err
    assert not (data_dir / "runs").exists() or not any((data_dir / "runs").iterdir())


def test_experiment_plan_refuses_huge_grids():
    import time

    from core.base import experiment_plan

    start = time.perf_counter()
    with pytest.raises(ConfigError, match="seeds"):
        experiment_plan.plan(seeds=100_000)
    with pytest.raises(ConfigError, match="per genre"):
        experiment_plan.plan(per_genre=(0, 99_999_999))
    assert time.perf_counter() - start < 1.0
    with pytest.raises(ConfigError, match="per genre"):
        classifier.submit_augmented("x", "y", 10**8)


# --------------------------------------------------------------------------- 4. and 7. zip member names

def zip_of(entries: dict) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def short_wav(freq: float = 440.0) -> bytes:
    import io

    buf = io.BytesIO()
    sf.write(buf, 0.5 * np.sin(2 * np.pi * freq * np.arange(12000) / 8000).astype(np.float32), 8000, format="WAV")
    return buf.getvalue()


def test_member_names_of_four_byte_letters_are_capped_in_bytes():
    from core.usecases.unpack import unpack_zip

    long = "\U0001d11e" * 70  # 280 bytes of musical symbols: over the 255-byte limit of a file name
    root = unpack_zip(zip_of({f"rock/{long}.wav": short_wav(), f"jazz/{long}.wav": short_wav(330)}), "x.zip")
    names = [p.name for p in root.rglob("*.wav")]
    assert len(names) == 2 and all(len(n.encode()) <= 255 for n in names)


def test_deeply_nested_members_are_refused_before_writing(data_dir):
    from core.usecases.unpack import UnpackError, unpack_zip

    deep = "/".join("d" * 80 for _ in range(60))
    with pytest.raises(UnpackError, match="folders deep; the limit is 15") as err:
        unpack_zip(zip_of({f"rock/{deep}/a.wav": short_wav(), "jazz/b.wav": short_wav()}), "deep.zip")
    assert str(data_dir) not in str(err.value)
    from core.base import catalog

    assert not any(p.name.startswith(".unpack") for p in catalog.uploads_dir().iterdir())


def test_os_errors_while_unpacking_name_the_member_not_the_server_path(monkeypatch, data_dir):
    import shutil

    from core.usecases.unpack import UnpackError, unpack_zip

    def full(*args, **kw):
        raise OSError(28, "No space left on device", str(data_dir / "uploads" / ".unpack-x" / "rock" / "a.wav"))

    monkeypatch.setattr(shutil, "copyfileobj", full)
    with pytest.raises(UnpackError) as err:
        unpack_zip(zip_of({"rock/a.wav": short_wav(), "jazz/b.wav": short_wav()}), "full.zip")
    assert str(err.value) == "'rock/a.wav' cannot be written on the server (No space left on device)"


def test_folders_that_normalise_to_one_label_are_refused_naming_both():
    from core.usecases.unpack import UnpackError, unpack_zip

    with pytest.raises(UnpackError, match="genre folders 'rock & roll' and 'rock-roll' would both become 'rock-roll'"):
        unpack_zip(zip_of({"rock & roll/a.wav": short_wav(), "rock-roll/b.wav": short_wav(),
                           "jazz/c.wav": short_wav()}), "merge.zip")
    with pytest.raises(UnpackError, match="files 'jazz/a b.wav' and 'jazz/a-b.wav' would both become"):
        unpack_zip(zip_of({"jazz/a b.wav": short_wav(), "jazz/a-b.wav": short_wav(), "rock/c.wav": short_wav()}),
                   "files.zip")


# --------------------------------------------------------------------------- 8. lost work after faults

def kill_worker_state(run_id):
    """What a worker killed with SIGKILL leaves: the run 'running' under a pid that is gone."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    runs.update(run_id, status="running", pid=proc.pid)


@pytest.mark.slow
def test_run_killed_before_epoch_one_resumes_with_one_command(tone_dataset, capsys):
    from core.orchestration import worker
    from core.storage import queue

    run_id = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    queue.enqueue(run_id, "classifier", start_worker=False)
    kill_worker_state(run_id)
    worker.work(idle_exit=0.1)  # the next worker drops the dead job...
    assert runs.load(run_id)["status"] == "interrupted"
    assert cli.main(["resume", run_id]) == 0  # ...and one command carries it on
    assert runs.load(run_id)["status"] == "done" and len(runs.history(run_id)) == 2
    assert f"run {run_id}: done" in capsys.readouterr().out


@pytest.mark.slow
def test_resume_carries_on_from_the_last_checkpoint_as_if_never_stopped(tone_dataset):
    import torch

    from core.orchestration import worker

    cfg = preset("recommended", **{**TINY, "epochs": 4})
    whole = classifier.submit_classifier(cfg, tone_dataset, "tones")
    classifier.run_classifier(whole)
    cut = classifier.submit_classifier(cfg, tone_dataset, "tones")

    def die_after_second_epoch(p):
        if p["epoch"] == 2:
            raise SystemExit("killed")  # not an Exception: nothing is marked, as with SIGKILL

    with pytest.raises(SystemExit):
        classifier.run_classifier(cut, progress=die_after_second_epoch)
    kill_worker_state(cut)
    assert runs.load(cut)["status"] == "interrupted"
    worker.resume(cut, start_worker=False)
    assert runs.load(cut)["status"] == "queued"
    worker.work(idle_exit=0.1)
    assert runs.load(cut)["status"] == "done"
    assert [h["epoch"] for h in runs.history(cut)] == [1, 2, 3, 4]
    assert [h["train_loss"] for h in runs.history(cut)] == pytest.approx([h["train_loss"] for h in runs.history(whole)])
    a, b = (torch.load(runs.run_path(r) / "model.pt", weights_only=True)["state_dict"] for r in (whole, cut))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_resume_refuses_active_and_done_runs(tone_dataset):
    from core.orchestration import worker

    run_id = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    with pytest.raises(runs.RunError, match="only a run that is interrupted, cancelled, failed"):
        worker.resume(run_id, start_worker=False)


@pytest.mark.slow
def test_train_page_resumes_an_interrupted_run_with_one_click(tone_dataset, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from core.storage import queue

    run_id = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    kill_worker_state(run_id)
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    monkeypatch.setattr(queue, "ensure_worker", lambda: None)
    at = AppTest.from_file(paths.REPO_ROOT / "streamlit_app.py", default_timeout=60)
    at.query_params.update(dataset="tones", run=run_id)
    at.switch_page("app_pages/train.py").run()
    (button,) = [b for b in at.button if b.label.startswith("Resume training")]
    assert button.label == "Resume training from the start (no epoch had finished)"
    button.click().run()
    assert not at.exception and runs.load(run_id)["status"] == "queued" and queue.pending() == [run_id]


@pytest.mark.slow
def test_deleting_the_data_folder_mid_training_leaves_no_orphan_and_no_second_worker(tone_dataset, data_dir):
    import shutil
    import subprocess
    import sys
    import time

    from core.storage import queue

    run_id = classifier.submit_classifier(preset("recommended", **{**TINY, "epochs": 200}), tone_dataset, "tones")
    queue.enqueue(run_id, "classifier", start_worker=False)
    proc = subprocess.Popen([sys.executable, "-m", "core", "worker"], env=os.environ.copy())
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not runs.history(run_id):
            time.sleep(0.2)
        while data_dir.exists() and time.time() < deadline:  # the worker may write a file mid-delete: delete again
            shutil.rmtree(data_dir, ignore_errors=True)
        assert queue.worker_alive()  # the lock survived: ensure_worker starts no second worker
        proc.wait(60)
    finally:
        proc.kill()
    assert not (data_dir / "runs" / run_id).exists()
    assert not queue.worker_alive()


@pytest.mark.slow
@pytest.mark.parametrize("page, field", [("train.py", "lr"), ("train.py", "grad_clip"), ("gan.py", "lr_g")])
def test_a_nan_in_a_shared_link_is_ignored_with_a_warning(tone_dataset, monkeypatch, page, field):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    at = AppTest.from_file(paths.REPO_ROOT / "streamlit_app.py", default_timeout=60)
    at.query_params.update(dataset="tones", **{field: "nan"})
    at.switch_page(f"app_pages/{page}").run()
    assert not at.exception
    assert any(f"{field}=nan is not a finite number" in w.value for w in at.warning)


TINY_GAN = dict(epochs=3, batch_size=8, ref_epochs=1, z_dim=16, width=8, segment_seconds=1.0, split="stratified")


def gan_run_killed_after_its_first_epoch(root) -> str:
    """A conditional GAN run (:data:`TINY_GAN`) whose process died after its first GAN epoch: status interrupted."""
    from core.base.config import gan_preset

    cut = gan_run.submit_gan(gan_preset("conditional", **TINY_GAN), root, "tones")

    def die_after_first_gan_epoch(p):
        if p["phase"] == "gan" and p["epoch"] == 1:
            raise SystemExit("killed")

    with pytest.raises(SystemExit):
        gan_run.run_gan(cut, progress=die_after_first_gan_epoch)
    assert runs.load(cut)["status"] == "interrupted"
    return cut


@pytest.mark.slow
def test_gan_run_resumes_from_its_last_checkpoint(tone_dataset):
    from core.orchestration import worker
    from core.base.config import gan_preset

    whole = gan_run.submit_gan(gan_preset("conditional", **TINY_GAN), tone_dataset, "tones")
    gan_run.run_gan(whole)
    cut = gan_run_killed_after_its_first_epoch(tone_dataset)
    worker.resume(cut, start_worker=False)
    worker.work(idle_exit=0.1)
    assert runs.load(cut)["status"] == "done"
    assert [h["epoch"] for h in runs.history(cut)] == [1, 2, 3]
    assert [h["g_loss"] for h in runs.history(cut)] == pytest.approx([h["g_loss"] for h in runs.history(whole)])
    assert "train_state" not in runs.load_tensors(runs.run_path(cut) / "model.pt")


@pytest.mark.slow
def test_gan_run_saved_by_an_older_gan_fails_plainly_on_resume(tone_dataset):
    """A run interrupted before an upgrade changed the discriminator's layers says so, and is never half-loaded."""
    from core.orchestration import worker

    cut = gan_run_killed_after_its_first_epoch(tone_dataset)
    saved = runs.load_tensors(runs.run_path(cut) / "checkpoint.pt")
    state = saved["train_state"]["discriminator"]
    saved["train_state"]["discriminator"] = {k: v for k, v in state.items() if not k.startswith("stats.")}
    runs.save_tensors(cut, "checkpoint", saved)
    worker.resume(cut, start_worker=False)
    worker.work(idle_exit=0.1)
    record = runs.load(cut)
    assert record["status"] == "failed" and record["error"].startswith("this run was saved by a version of GenreLab")
    assert not (runs.run_path(cut) / "model.pt").exists()
