"""Progress says what is running: each step of a GAN run or a grid has its own label."""

import pytest

from core.base import experiment_plan, progress
from core.orchestration import experiment, gan_run
from core.storage import runs


def test_each_gan_phase_has_its_own_words():
    assert progress.step_text({"phase": "reference", "epoch": 19, "epochs": 30}, "conditional GAN, seed 1") == (
        "conditional GAN, seed 1: reference classifier (the judge of the samples), epoch 19 of 30")
    assert progress.step_text({"phase": "gan", "epoch": 1, "epochs": 5}) == "GAN training, epoch 1 of 5"
    assert progress.step_text({"phase": "quality", "epoch": 5, "epochs": 5}) == "measuring the samples' quality"
    assert progress.step_text({"epoch": 2, "epochs": 30}) == "epoch 2 of 30"
    assert progress.step_text(None) == "preparing data"
    assert progress.status_text({"epoch": 2, "epochs": 30, "eta_seconds": 12.4}) == "Epoch 2 of 30, about 12 s left."
    assert progress.fraction({"epoch": 3, "epochs": 6}) == 0.5


def test_tstr_is_named_and_a_gan_runs_bar_never_runs_backwards():
    assert progress.status_text({"phase": "tstr", "epoch": 3, "epochs": 15, "eta_seconds": 24.0}) == (
        "Measuring the samples' quality: a classifier trained on them (TSTR), epoch 3 of 15, about 24 s left.")
    steps = [{"phase": "reference", "epoch": 1, "epochs": 15}, {"phase": "reference", "epoch": 15, "epochs": 15},
             {"phase": "gan", "epoch": 1, "epochs": 20}, {"phase": "gan", "epoch": 20, "epochs": 20},
             {"phase": "quality", "epoch": 20, "epochs": 20}, {"phase": "tstr", "epoch": 1, "epochs": 15},
             {"phase": "tstr", "epoch": 15, "epochs": 15}]
    bar = [progress.fraction(p) for p in steps]
    assert bar == sorted(bar) and bar[-1] == 1.0 and bar[4] == 0.5
    assert progress.fraction({"phase": "embed", "epoch": 3, "epochs": 12}) == 0.25


def test_eta_is_the_pace_so_far():
    assert progress.eta(30.0, 3, 7) == 70.0 and progress.eta(5.0, 0, 7) is None


@pytest.mark.slow
def test_grid_progress_names_the_reference_classifier_the_gan_and_the_augmented_classifier(
        tmp_path, monkeypatch, fake_gan_tasks):

    def run_gan(run_id, progress=None):
        for p in ({"phase": "reference", "epoch": 19, "epochs": 30}, {"phase": "gan", "epoch": 1, "epochs": 5},
                  {"phase": "quality", "epoch": 5, "epochs": 5}):
            progress({**p, "eta_seconds": 1.0})
        runs.update(run_id, status="done")

    monkeypatch.setattr(gan_run, "run_gan", run_gan)
    exp_id = experiment.submit(experiment_plan.plan(seeds=1, per_genre=(70,), arms=("recommended",)), tmp_path, "fake")
    seen = []
    experiment.run_experiment(exp_id, progress=lambda p: seen.append(p["current"]))
    assert "conditional GAN for seed 0: reference classifier (the judge of the samples), epoch 19 of 30" in seen
    assert "conditional GAN for seed 0: GAN training, epoch 1 of 5" in seen
    assert "conditional GAN for seed 0: measuring the samples' quality" in seen
    assert any(s.startswith("augmented classifier recommended LSTM + 70/genre") and s.endswith("epoch 1 of 1")
               for s in seen)
    assert not any("training the conditional GAN" in s for s in seen)


@pytest.mark.slow
def test_gan_page_names_the_step_that_runs(app_on_tones, tone_dataset):
    import os

    from core.base import config

    run_id = gan_run.submit_gan(config.gan_preset("conditional"), tone_dataset, "tones")
    at = app_on_tones
    at.query_params["run"] = run_id
    for p, text in (({"phase": "reference", "epoch": 19, "epochs": 30, "eta_seconds": 40.0},
                     "Reference classifier (the judge of the samples), epoch 19 of 30, about 40 s left."),
                    ({"phase": "gan", "epoch": 1, "epochs": 5, "eta_seconds": 8.0},
                     "GAN training, epoch 1 of 5, about 8 s left."),
                    ({"phase": "quality", "epoch": 5, "epochs": 5, "eta_seconds": 0.0},
                     "Measuring the samples' quality.")):
        runs.update(run_id, status="running", pid=os.getpid(), progress=p)
        at.switch_page("app_pages/gan.py").run()
        assert not at.exception
        assert [b.proto.text for b in at.get("progress")] == [text]
