"""Damaged run records: a run.json of the wrong shape is reported, never raised into a page or the CLI."""

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from core import cli
from core.orchestration import classifier
from core.storage import runs
from core.base.config import preset

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
TINY = dict(epochs=1, hidden_size=16, num_layers=1, segment_seconds=1.0, batch_size=8)
BAD_RECORDS = {
    "list": [], "empty": {}, "status-only": {"status": "done"}, "null": None, "string": "run",
    "no-created": "drop:created", "created-nan": "set:created=NaN", "created-text": "set:created=\"today\"",
    "unknown-status": "set:status=\"exploded\"", "other-id": "set:id=\"20260101-000000-clf-0000\"",
    "dataset-string": "set:dataset=\"demo\"", "no-dataset-name": "set:dataset={\"root\": \"/x\"}",
    "progress-junk": "set:progress={\"epoch\": \"one\"}", "huge-pid": "set:pid=99999999999999999999",
    "negative-pid": "set:pid=-1", "kind-bool": "set:kind=true", "config-list": "set:config=[]",
}


def damage(run_id: str, how) -> None:
    """Rewrite run ``run_id``'s run.json the way ``how`` says (a JSON value, drop:key or set:key=json)."""
    path = runs.run_path(run_id) / "run.json"
    record = json.loads(path.read_text())
    if isinstance(how, str) and how.startswith("drop:"):
        del record[how[5:]]
        text = json.dumps(record)
    elif isinstance(how, str) and how.startswith("set:"):
        key, value = how[4:].split("=", 1)
        text = json.dumps(record)[:-1] + f', "{key}": {value}}}'
    else:
        text = json.dumps(how)
    path.write_text(text)


@pytest.fixture
def done_run(tone_dataset):
    run_id = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones", name="good run")
    classifier.run_classifier(run_id)
    return run_id


@pytest.mark.parametrize("how", list(BAD_RECORDS.values()), ids=list(BAD_RECORDS))
def test_malformed_record_is_skipped_and_reported(tone_dataset, how):
    good = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    bad = classifier.submit_classifier(preset("recommended", **TINY, seed=1), tone_dataset, "tones")
    damage(bad, how)
    assert [r["id"] for r in runs.list_runs()] == [good]
    (damaged,) = runs.damaged()
    assert damaged.folder == bad and "run.json" in damaged.reason
    with pytest.raises(runs.DamagedRun, match=f"run {bad}: run.json"):
        runs.load(bad)


def test_unreadable_and_missing_records_are_reported(tone_dataset):
    loop = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    (runs.run_path(loop) / "run.json").unlink()
    os.symlink(runs.run_path(loop) / "run.json", runs.run_path(loop) / "run.json")
    gone = classifier.submit_classifier(preset("recommended", **TINY, seed=1), tone_dataset, "tones")
    (runs.run_path(gone) / "run.json").unlink()
    reasons = {d.folder: d.reason for d in runs.damaged()}
    assert reasons == {loop: "run.json cannot be read (Too many levels of symbolic links)",
                       gone: "run.json is missing"}


@pytest.mark.slow
def test_runs_check_lists_damaged_folders(tone_dataset, done_run, capsys):
    bad = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    damage(bad, [])
    assert cli.main(["runs", "--check"]) == 1
    out = capsys.readouterr().out
    assert f"damaged: {bad}: run.json holds list, not a run record" in out and "1 runs readable, 1 damaged" in out
    assert cli.main(["runs"]) == 0 and done_run in capsys.readouterr().out
    runs.delete(done_run)
    (runs.run_path(bad) / "run.json").unlink()
    runs.run_path(bad).rmdir()
    assert cli.main(["runs", "--check"]) == 0


@pytest.mark.slow
def test_cli_predict_survives_a_malformed_newest_record(tone_dataset, done_run, tmp_path, capsys):
    from helpers import write_tone

    bad = classifier.submit_classifier(preset("recommended", **TINY), tone_dataset, "tones")
    damage(bad, {"status": "done"})
    assert cli.main(["predict", str(write_tone(tmp_path / "x.wav"))]) == 0
    assert f"run {done_run}" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("page", ["home.py", "train.py", "compare.py", "predict.py", "gan.py"])
def test_pages_render_beside_malformed_records(tone_dataset, done_run, monkeypatch, page):
    for i, how in enumerate(([], {}, {"status": "done"}, "drop:created")):
        damage(classifier.submit_classifier(preset("recommended", **TINY, seed=i + 1), tone_dataset, "tones"), how)
    monkeypatch.setenv("GENRELAB_DATASETS", f"tones={tone_dataset}")
    monkeypatch.setattr("core.storage.queue.ensure_worker", lambda: None)
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["dataset"] = "tones"
    at.switch_page(f"app_pages/{page}").run()
    assert not at.exception
    if page == "home.py":
        (warning,) = [w.value for w in at.warning]
        assert "4 damaged run folders skipped" in warning and "python -m core runs --check" in warning


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obj=st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
                        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                            st.sampled_from(sorted(runs.RunRecord.__annotations__)) | st.text(max_size=6),
                            inner, max_size=8), max_leaves=20))
def test_any_json_record_is_either_valid_or_reported(obj):
    run_id = "20260101-000000-clf-abcd"
    folder = runs.run_path(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps(obj))
    records, damaged = runs.scan()
    assert len(records) + len(damaged) == 1
    for record in records:  # what pages read of a record they are given
        assert record["id"] == run_id and record["status"] in runs.ACTIVE + runs.FINAL
        assert isinstance(record["dataset"]["name"], str) and isinstance(record["created"], float | int)
