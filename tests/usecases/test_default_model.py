"""Which model Predict offers first (core.usecases.model_choice.default_model) and how models are listed beside their
figures on other collections."""

from core.base.config import preset, to_dict
from core.storage import runs
from core.usecases import model_choice
from helpers import checked, finished_run


def as_pretrained(run_id: str) -> str:
    runs.update(run_id, config=to_dict(preset("pretrained")), preset="pretrained")
    return run_id


def made(root, name: str) -> str:
    run_id = finished_run(root)
    runs.rename(run_id, name)
    return run_id


def newest_first(*run_ids: str) -> dict[str, dict]:
    """:func:`model_choice.model_runs` of these runs, in this order (runs made within one second list in any order)."""
    return model_choice.model_runs([runs.load(i) for i in run_ids])


def test_the_best_checked_model_is_the_default_and_says_why(tmp_path):
    old, good, newest = (made(tmp_path / "tones", n) for n in ("old", "good", "newest"))
    checked(old, 0.30)
    checked(good, 0.56)
    checked(good, 0.20, dataset="elsewhere")
    as_pretrained(newest)
    choice = model_choice.default_model(model_choice.model_runs(), "tones")
    assert choice.run_id == good
    assert choice.reason == ("Chosen by default: **good**, the best of 2 models checked on musifeast-7: right on 56 % "
                             "(95 % CI 48–64 %) of 147 clips of musifeast-7.")  # the intervals do not overlap


def test_a_check_on_the_synthetic_set_never_outranks_real_music(tmp_path):
    real, synthetic = made(tmp_path / "tones", "real"), made(tmp_path / "tones", "synthetic")
    checked(real, 0.40)
    checked(synthetic, 0.95, dataset="demo")
    assert model_choice.best_check(synthetic) is None
    assert model_choice.default_model(model_choice.model_runs(), "tones").run_id == real
    assert "On real music from another collection: not measured yet" in model_choice.real_music_line(
        runs.load(synthetic))


def test_models_are_ranked_on_the_collection_they_share_and_an_overlap_is_a_point_estimate(tmp_path):
    wide, narrow = made(tmp_path / "tones", "wide"), made(tmp_path / "tones", "narrow")
    checked(wide, 0.50)
    checked(wide, 0.90, dataset="elsewhere")  # its best, but on clips the other was never checked on
    checked(narrow, 0.56)
    choice = model_choice.default_model(model_choice.model_runs(), "tones")
    assert choice.run_id == narrow
    assert choice.reason == ("Chosen by default: **narrow**, the best of 2 models checked on musifeast-7: right on "
                             "56 % (95 % CI 48–64 %) of 147 clips of musifeast-7; chosen by point estimate: its "
                             "interval overlaps the next best's, 50 % (95 % CI 42–58 %).")


def test_models_checked_on_different_collections_are_chosen_by_point_estimate(tmp_path):
    here, there = made(tmp_path / "tones", "here"), made(tmp_path / "tones", "there")
    checked(here, 0.30)
    checked(there, 0.70, dataset="elsewhere")
    choice = model_choice.default_model(model_choice.model_runs(), "tones")
    assert choice.run_id == there
    assert choice.reason.endswith("the best of 2 models checked on real music from other collections: right on 70 % "
                                  "(95 % CI 62–77 %) of 147 clips of elsewhere; chosen by point estimate: the two "
                                  "were measured on different clips.")


def scored(run_id: str, correct: int, n: int = 4) -> str:
    """Give ``run_id`` a test accuracy of ``correct`` of ``n`` clips (interval made up)."""
    result = runs.result(run_id)
    runs.write_json(runs.run_path(run_id) / "result.json", {**result, "accuracy": {
        **result["accuracy"], "value": correct / n, "correct": correct, "n": n, "lo": 0.1, "hi": 0.99}})
    return run_id


def test_without_checks_a_pretrained_ear_is_the_default(tmp_path):
    ear = as_pretrained(made(tmp_path / "tones", "ear"))
    newest = made(tmp_path / "tones", "lstm")
    models = newest_first(newest, ear)
    assert model_choice.model_order(models, "tones")[0] == newest
    choice = model_choice.default_model(models, "tones")
    assert choice.run_id == ear and "**ear**, a pretrained ear" in choice.reason
    runs.delete(ear)
    choice = model_choice.default_model(newest_first(newest), "tones")
    assert choice.run_id == newest and "none is a pretrained ear" in choice.reason


def test_without_checks_or_an_ear_the_most_accurate_model_is_the_default_not_the_newest(tmp_path):
    recommended = scored(made(tmp_path / "tones", "recommended"), 25, 30)
    paper = scored(made(tmp_path / "tones", "paper"), 7, 30)  # the lesson's paper LSTM, finished last
    twin = scored(made(tmp_path / "tones", "twin"), 25, 30)
    choice = model_choice.default_model(newest_first(paper, twin, recommended), "tones")
    assert choice.run_id == twin  # the newest among equals
    assert ("**twin**, the most accurate on held-out clips of its own collection: 83 % (95 % CI 10–99 %) of 30; "
            "chosen by point estimate: its interval overlaps the next best's, 83 % (95 % CI 10–99 %)."
            in choice.reason)
    assert model_choice.default_model(newest_first(paper, recommended), "tones").run_id == recommended


def test_only_models_of_the_active_dataset_compete(tmp_path):
    here = made(tmp_path / "tones", "here")
    elsewhere = made(tmp_path / "other", "elsewhere")
    runs.update(elsewhere, dataset={**runs.load(elsewhere)["dataset"], "name": "other"})
    checked(elsewhere, 0.9)
    assert model_choice.default_model(model_choice.model_runs(), "tones").run_id == here
    assert model_choice.default_model(model_choice.model_runs(), "other").run_id == elsewhere


def test_unfinished_runs_are_never_the_default_for_their_checks(tmp_path):
    done = made(tmp_path / "tones", "done")
    cancelled = made(tmp_path / "tones", "cancelled")
    runs.update(cancelled, status="cancelled")
    checked(cancelled, 0.9)
    choice = model_choice.default_model(newest_first(cancelled, done), "tones")
    assert choice.run_id == done and "the most accurate" in choice.reason  # a cancelled run is never chosen


def test_every_listing_sets_the_other_collection_beside_the_test_accuracy(tmp_path):
    run_id = made(tmp_path / "tones", "m")
    record = runs.load(run_id)
    assert "75 % (95 % CI 30–95 %) test accuracy · not checked on another collection ·" in model_choice.model_label(
        record)
    assert ("not measured yet (its 75 % (95 % CI 30–95 %) is on held-out clips of tones"
            in model_choice.real_music_line(record))
    checked(run_id, 0.4)
    label = model_choice.model_label(record)
    assert "75 % (95 % CI 30–95 %) test accuracy · 40 % (95 % CI 33–48 %) on musifeast-7 ·" in label
    line = model_choice.real_music_line(record)
    assert line.startswith("On real music from another collection this model was right on 40 % (95 % CI 33–48 %) "
                           "of 147 clips of musifeast-7") and line.endswith("(tones) on 75 % (95 % CI 30–95 %).")


def test_the_reason_shows_a_run_name_as_typed(tmp_path):
    run_id = made(tmp_path / "tones", "![p](http://host/x.png)")
    reason = model_choice.default_model(newest_first(run_id), "tones").reason
    assert "](http://" not in reason and "\\[p\\]" in reason and reason.startswith("Chosen by default: **")
