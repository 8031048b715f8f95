"""Figures the benchmarks measured (core.base.measured): each says what it was measured on."""

import json

import pytest

from core.base import measured

CHECK = {"value": 0.259, "ci95": [0.195, 0.335], "n": 147, "trained_on": "gtzan-mini, stratified 70/15/15, seed 0",
         "commit": "09e8823", "date": "2026-12-07 05:47 UTC", "load_average": 1.52}


def results_with(tmp_path, monkeypatch, entries: dict) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(entries))
    monkeypatch.setattr(measured, "RESULTS", path)


def test_a_checks_figure_names_the_collection_it_was_checked_on(tmp_path, monkeypatch):
    results_with(tmp_path, monkeypatch, {"b/checked": {**CHECK, "checked_on": "musifeast-7"}, "b/older": CHECK})
    assert measured.provenance(measured.accuracy("b/checked")) == (
        "trained on gtzan-mini, stratified 70/15/15, seed 0; checked on musifeast-7, 147 clips; commit 09e8823, "
        "2026-12-07 05:47 UTC, load 1.52")
    older = measured.accuracy("b/older")  # written before the benchmark recorded checked_on
    assert older.text() == "26 % (95 % CI 20–34 %)"
    assert older.measured_on == ("trained on gtzan-mini, stratified 70/15/15, seed 0; 147 clips (which collection is "
                                 "not recorded in results.json)")


def test_a_figure_never_measured_skipped_or_unreadable_is_missing_and_a_page_may_say_so(tmp_path, monkeypatch):
    results_with(tmp_path, monkeypatch, {"b/skipped": {**CHECK, "value": None}, "b/measured": CHECK})
    for key in ("b/skipped", "b/never"):
        with pytest.raises(measured.MissingFigure):
            measured.fill(f"it scored {{fig:{key}}}")
    text, used = measured.fill("{fig:b/skipped}, {fig:b/never} and {fig:b/measured}", missing="(not measured yet)")
    assert text == "(not measured yet), (not measured yet) and 26 % (95 % CI 20–34 %)" and len(used) == 1
    (tmp_path / "results.json").write_text('{"b/measured": ')  # torn
    assert measured.fill("{fig:b/measured}", missing="(not measured yet)") == ("(not measured yet)", [])


def test_a_figure_over_seeds_reads_as_its_mean_with_its_range_and_says_which_trainings_it_rests_on(
        tmp_path, monkeypatch):
    seeds = {"value": {"mean": 0.227, "min": 0.19, "max": 0.259}, "seeds": [0, 1, 2], "per_seed": [0.259, 0.231, 0.19],
             "checked_on": "musifeast-7", "trained_on": "gtzan-mini, stratified 70/15/15", "commit": "09e8823",
             "date": "2026-12-07 05:47 UTC", "load_average": 1.57}
    results_with(tmp_path, monkeypatch, {"b/seeds": seeds, "b/odd": {**seeds, "seeds": [0, 2, 5], "per_seed": None},
                                         "b/no_seeds": {**seeds, "seeds": []}})
    text, used = measured.fill("it named {fig:b/seeds} of the clips")
    assert text == "it named 22.7 % mean over seeds 0–2 (range 19.0–25.9 %) of the clips"
    assert used[0].seeds == (0, 1, 2) and (used[0].value, used[0].lo, used[0].hi) == (0.227, 0.19, 0.259)
    assert measured.provenance(used[0]) == (
        "trained on gtzan-mini, stratified 70/15/15; checked on musifeast-7; one training per seed, seeds 0–2: "
        "25.9 %, 23.1 %, 19.0 %; commit 09e8823, 2026-12-07 05:47 UTC, load 1.57")
    odd = measured.accuracy("b/odd")
    assert odd.text() == "22.7 % mean over seeds 0, 2, 5 (range 19.0–25.9 %)"
    assert measured.provenance(odd).startswith("trained on gtzan-mini, stratified 70/15/15; checked on musifeast-7; "
                                               "one training per seed, seeds 0, 2, 5; commit")
    with pytest.raises(measured.MissingFigure):  # a mean that does not say over which seeds is no figure
        measured.accuracy("b/no_seeds")
    results_with(tmp_path, monkeypatch, {"b/counted": {**seeds, "n": 147}, "b/uneven": {**seeds, "n": [147, 140, 147]}})
    assert measured.accuracy("b/counted").measured_on.startswith(
        "trained on gtzan-mini, stratified 70/15/15; checked on musifeast-7, 147 clips each; one training per seed")
    assert "clips" not in measured.accuracy("b/uneven").measured_on


def test_each_seeds_value_is_listed_in_the_order_of_its_seed_and_only_when_there_is_one_per_seed(tmp_path, monkeypatch):
    """results.json may record seeds out of order: each value stays with its seed ('seeds 0–2: a, b, c' is read as
    seed 0 a, seed 1 b, seed 2 c), and values that do not match the seeds one to one are not attributed to them."""
    entry = {"value": {"mean": 0.227, "min": 0.19, "max": 0.259}, "seeds": [2, 0, 1], "per_seed": [0.19, 0.259, 0.231],
             "checked_on": "musifeast-7", "commit": "09e8823", "date": "2026-12-07 05:47 UTC"}
    results_with(tmp_path, monkeypatch, {"b/shuffled": entry, "b/short": {**entry, "per_seed": [0.19, 0.259]}})
    assert measured.accuracy("b/shuffled").measured_on == (
        "checked on musifeast-7; one training per seed, seeds 0–2: 25.9 %, 23.1 %, 19.0 %")
    assert measured.accuracy("b/short").measured_on == "checked on musifeast-7; one training per seed, seeds 0–2"
