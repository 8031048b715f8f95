import re
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from core.base import config
from core.compute import gan, gan_samples
from core.orchestration import classifier, gan_run
from core.storage import queue
from core.storage import runs
from core.base.config import gan_preset
from core.usecases import conclusions
from core.base.percent import percent
from helpers import FINGERPRINT, page_text

pytestmark = pytest.mark.slow  # trains a GAN and drives the page (AppTest)

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
TINY = dict(epochs=2, batch_size=8, ref_epochs=1, z_dim=16, width=8, segment_seconds=1.0, first_frames=40,
            split="stratified")


@pytest.fixture
def no_worker(monkeypatch):
    """Queue jobs without starting the background worker (the page runs in this process)."""
    monkeypatch.setattr(queue, "ensure_worker", lambda: None)


@pytest.fixture
def tones_app(tone_dataset, monkeypatch):
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["dataset"] = "tones"
    return at


def finished_gan(root, preset: str, **kw) -> str:
    run_id = gan_run.submit_gan(gan_preset(preset, **{**TINY, **kw}), root, "tones", preset=preset)
    gan_run.run_gan(run_id)
    return run_id


def open_run(at: AppTest, run_id: str, preset: str) -> AppTest:
    at.query_params.update(run=run_id, preset=preset)
    return at.switch_page("app_pages/gan.py").run()


def test_finished_conditional_run_shows_curves_gallery_quality_and_augments(tones_app, tone_dataset, no_worker):
    run_id = finished_gan(tone_dataset, "conditional")
    at = open_run(tones_app, run_id, "conditional")
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Training", "Gallery", "Quality", "Augment a classifier"]
    assert len(at.get("plotly_chart")) >= 2 + 4 + 2  # curves, sample grid; 4 spectrograms; 2 quality figures
    assert at.select_slider(key=f"gan-epoch-{run_id}").value == 2
    assert len(at.get("audio")) == 4  # 2 generated and 2 real examples of the chosen genre
    metrics = {m.label: m.value for m in at.metric}
    result = runs.result(run_id)
    tstr, c2st, fd, emb = result["tstr"], result["c2st"], result["frechet"], result["c2st_embedding"]
    assert metrics["Trained on samples only"] == percent(tstr['accuracy'])
    assert metrics["Trained on real clips"] == percent(tstr['real_accuracy'])
    assert metrics["Told apart by band statistics"] == percent(c2st['accuracy']) and "Indistinguishable" not in metrics
    verdicts = [m.value for m in at.markdown]
    verdicts_expected = (conclusions.tstr_verdict(tstr), conclusions.c2st_verdict(c2st, emb),
                         conclusions.frechet_verdict(fd))
    for verdict in verdicts_expected:
        assert f"**{verdict}**" in verdicts  # each measure opens with its verdict in words
    assert metrics["Told apart in the judge's embedding"] == percent(emb['accuracy'])
    assert metrics["Training vs generated"] == f"{fd['overall']:.2f}"
    assert metrics["Genre fidelity (samples)"] == percent(result['fidelity']['overall'])
    assert metrics["The judge on real held-out segments"] == percent(result['real_fidelity']['overall'])
    assert metrics["Chance"] == "33 %"
    captions = " ".join(c.value for c in at.caption)
    assert "Measured on tones" in captions and "50 generated samples per genre" in captions
    assert captions.count("It can show") >= 3 and "cannot show" in captions and "prototypes" in captions
    assert f"{fd['n']} generated inputs" in captions and "No per-genre distances" in captions
    assert f"{tstr['n']} real test clips" in captions and f"labelled {c2st['n']} inputs" in captions
    main = page_text(at, details=False)  # issue 27 item 5: no fingerprint or run id where the eye reads
    assert "Measured on tones (12 clips)" in main and not re.search(FINGERPRINT, main) and run_id not in main
    assert f"fingerprint {runs.load(run_id)['dataset']['fingerprint']}" in page_text(at, details=True)

    at.selectbox(key=f"gal-genre-{run_id}").select(2).run()
    assert not at.exception and len(at.get("audio")) == 4

    at.button(key=f"aug-start-{run_id}").click().run()
    assert not at.exception
    clfs = {r["id"]: r for r in runs.list_runs("clf")}
    (augmented,) = [r for r in clfs.values() if "augment" in r]
    baseline = clfs[augmented["baseline"]]
    assert augmented["augment"] == {"gan_run": run_id, "per_genre": 70} and "augment" not in baseline
    assert baseline["config"]["split"] == "stratified" and baseline["config"]["seed"] == 0
    assert augmented["config"] == baseline["config"]
    assert set(queue.pending()) == {baseline["id"], augmented["id"]}
    (link,) = [e for e in at.get("page_link") if e.proto.page != "glossary"]  # the popover's Glossary link aside
    assert link.proto.page == "compare"
    assert parse_qs(link.proto.query_string) == {"runs": [f"{baseline['id']},{augmented['id']}"]}

    at.button(key=f"aug-start-{run_id}").click().run()  # a second augmented run reuses the baseline
    assert len([r for r in runs.list_runs("clf") if "augment" not in r]) == 1


def test_quality_tab_of_a_run_measured_before_tstr_says_so(tones_app, tone_dataset):
    run_id = finished_gan(tone_dataset, "conditional", epochs=1)
    result = runs.result(run_id)
    old = {k: v for k, v in result.items() if k not in ("tstr", "c2st", "c2st_embedding")}
    old["frechet"] = {"overall": 1.0, "real_floor": 0.5, "per_class": [None, None, None]}
    runs.write_json(runs.run_path(run_id) / "result.json", old)
    at = open_run(tones_app, run_id, "conditional")
    assert not at.exception
    assert any("before TSTR" in i.value for i in at.info)
    assert "Genre fidelity (samples)" in {m.label for m in at.metric}


def test_paper_run_is_heard_on_the_mapped_scale(tones_app, tone_dataset):
    run_id = finished_gan(tone_dataset, "paper", epochs=1)
    at = open_run(tones_app, run_id, "paper")
    assert not at.exception
    assert len(at.get("audio")) == 4
    captions = " ".join(c.value for c in at.caption)
    assert "dB = 40 · (x − 1)" in captions and "With the scale fixed" in captions
    assert at.radio(key=f"aug-preset-{run_id}").value == "paper"


def test_paper_preset_states_its_flaws(tones_app):
    at = tones_app
    at.query_params["preset"] = "paper"
    at.switch_page("app_pages/gan.py").run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "no genre input" in warning and "[-1, 1]" in warning and "[-80, 0]" in warning and "4 s" in warning
    assert any("No GAN run open" in i.value for i in at.info)
    at.radio(key="gan_preset").set_value("conditional").run()
    assert not at.exception and not at.warning


def test_start_queues_a_gan_job(tones_app, no_worker):
    at = tones_app
    at.query_params.update(preset="conditional", **{k: str(v) for k, v in TINY.items()})
    at.switch_page("app_pages/gan.py").run()
    assert at.number_input(key="gan-conditional-z_dim").value == 16  # settings came from the link
    next(b for b in at.button if b.label == "Start GAN training").click().run()
    assert not at.exception
    (run,) = runs.list_runs("gan")
    assert run["status"] == "queued" and run["config"]["epochs"] == 2 and run["config"]["model"] == "conditional"
    assert queue.pending() == [run["id"]]
    assert any("Waiting" in str(p.proto.text) or "Starting" in str(p.proto.text) for p in at.get("progress"))


def test_a_run_saved_by_an_older_gan_says_so_and_keeps_its_numbers(tones_app, tone_dataset, no_worker):
    run_id = finished_gan(tone_dataset, "conditional")
    saved = runs.load_tensors(runs.run_path(run_id) / "model.pt")
    saved["state_dict"] = {f"older.{k}": v for k, v in saved["state_dict"].items()}  # layers this version lacks
    runs.save_tensors(run_id, "model", saved)
    at = open_run(tones_app, run_id, "conditional")
    assert not at.exception
    assert any("The gallery cannot show this run" in e.value and "whose GAN has other layers" in e.value
               for e in at.error)
    assert "Trained on samples only" in {m.label for m in at.metric}  # the measured numbers stay readable

    cfg = config.preset("recommended", **gan_samples.augment_settings(gan_preset("conditional", **TINY)),
                        epochs=1, hidden_size=16, num_layers=1, segment_seconds=1.0, batch_size=8)
    _, augmented = classifier.submit_augmentation(cfg, run_id, 5)
    with pytest.raises(gan.IncompatibleCheckpoint):
        classifier.run_classifier(augmented)
    record = runs.load(augmented)
    assert record["status"] == "failed" and record["error"].startswith("this run was saved by a version of GenreLab")


def test_interrupted_gan_shows_its_training_and_offers_resume(tones_app, tone_dataset, no_worker):
    import subprocess
    import sys

    run_id = finished_gan(tone_dataset, "conditional")
    (runs.run_path(run_id) / "result.json").unlink()  # killed before its samples were measured
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    runs.update(run_id, status="running", pid=dead.pid, finished=None)
    at = open_run(tones_app, run_id, "conditional")
    assert not at.exception and runs.load(run_id)["status"] == "interrupted"
    assert not any("nothing to show" in i.value for i in at.info)
    assert at.select_slider(key=f"gan-epoch-{run_id}").value == 2  # its training, up to the last checkpoint
    (button,) = [b for b in at.button if b.label.startswith("Resume training")]
    assert button.label == "Resume training from its last checkpoint (epoch 2)"
    button.click().run()
    assert not at.exception and runs.load(run_id)["status"] == "queued" and queue.pending() == [run_id]
