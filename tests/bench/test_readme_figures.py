"""bench/readme_figures.py: the generated tables of README and docs/ round-trip, are idempotent and refuse missing
figures."""

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import readme_figures  # noqa: E402
import run_all  # noqa: E402

CATALOG = {"bench_a/speed": ("speed of a (s)", "≤ 1 s"), "bench_b/accuracy": ("accuracy of b", "≥ 50 %")}
STUDY = {"bench_experiment/demo_table": "demo"}
STAMP = {"date": "2026-12-01 00:00 UTC", "commit": "abc1234", "load_average": 1.5, "quick": False, "args": []}
TABLE = {"measured_on": "demo; seeds 0–1", "comparisons": 1,
         "summary": [{"cell": "paper LSTM, baseline", "seeds": 2, "unit": "seeds", "clips": None, "mean": 0.5,
                      "std": 0.1, "lo": 0.4, "hi": 0.6, "interval": "t over 2 seeds"}],
         "differences": [{"cell": "paper LSTM + 70/genre from the paper GAN", "seeds": 2, "unit": "seeds",
                          "clips": None, "mean": 0.05, "lo": -0.1, "hi": 0.2, "p_value": 0.2, "p_holm": 0.2,
                          "test": "paired t over 2 seeds", "verdict": "x"}]}
GAN = {"conditional": ("bench_gan/conditional_gan", (0,))}
GAN_RUN = {"tstr_ratio": {"value": 0.786, "tstr_accuracy": 0.733, "tstr_ci95": [0.556, 0.858], "real_accuracy": 0.933},
           "c2st": {"value": 0.884, "ci95": [0.848, 0.913]}, "c2st_embedding": {"value": 0.954},
           "train_seconds": {"value": 213.0, "load_average": 2.12},
           "fidelity": {"value": 0.678, "judge_on_real_segments": 0.833},
           "frechet": {"value": 91.44, "real_floor": 38.97}}
README = ("# Title\n\nBefore.\n\n<!-- figures:start -->\nold table\n<!-- figures:end -->\n\nBetween.\n"
          "<!-- gan:start -->\n<!-- gan:end -->\n"
          "<!-- study:start -->\n<!-- study:end -->\nAfter.\n")


def results(**changes):
    out = {"bench_a/speed": {"value": 0.25, **STAMP},
           "bench_b/accuracy": {"value": {"value": 0.76, "lo": 0.668, "hi": 0.833, "correct": 76, "n": 100}, **STAMP,
                                "quick": True, "args": ["--folds", "1"]},
           "bench_experiment/demo_table": {"value": TABLE, **STAMP},
           **{f"bench_gan/conditional_gan_{m}_seed0": {**STAMP, **v} for m, v in GAN_RUN.items()}}
    out.update(changes)
    return out


def test_tables_render_every_catalogued_figure_and_leave_the_rest_alone():
    text = readme_figures.update(README, results(), CATALOG, STUDY, GAN)
    assert text.startswith("# Title\n\nBefore.\n\n<!-- figures:start -->\n| figure (script)")
    assert text.endswith("<!-- study:end -->\nAfter.\n") and "\n\nBetween.\n" in text and "old table" not in text
    assert "| speed of a (s) (`bench_a`) | ≤ 1 s | **0.25** | 2026-12-01 00:00 UTC, `abc1234`, load 1.5 |" in text
    assert "**76.0 %** (95 % CI 66.8–83.3 %, 76 of 100 clips)" in text
    assert readme_figures.render_value({"value": True}) == "**yes**" and "quick run (`--folds 1`)" in text
    timed = readme_figures.provenance({**STAMP, "load_average": 5.31, "load_before": 1.38})
    assert timed.endswith("load 1.38 when the timing started (5.31 when it ended)")
    assert "| paper LSTM, baseline | 50.0 % (40.0–60.0 %; t over 2 seeds) |" in text
    assert "+5.0 pts [-10.0, +20.0]: no difference shown (paired t over 2 seeds: p = 0.2" in text


def test_round_trip_and_idempotent():
    once = readme_figures.update(README, results(), CATALOG, STUDY, GAN)
    assert readme_figures.update(once, results(), CATALOG, STUDY, GAN) == once
    changed = readme_figures.update(once, results(**{"bench_a/speed": {"value": 0.5, **STAMP}}), CATALOG, STUDY, GAN)
    assert "**0.5**" in changed and "**0.25**" not in changed
    assert readme_figures.update(changed, results(), CATALOG, STUDY, GAN) == once  # back again, byte for byte


def test_no_study_listed_says_so_instead_of_showing_numbers():
    text = readme_figures.update(README, results(), CATALOG, {}, GAN)
    assert "Not regenerated under the current statistics yet" in text
    assert readme_figures.update(text, results(), CATALOG, {}, GAN) == text


def test_missing_figure_or_markers_fail_loudly():
    incomplete = results()
    del incomplete["bench_b/accuracy"]
    with pytest.raises(readme_figures.MissingFigures, match="bench_b/accuracy"):
        readme_figures.update(README, incomplete, CATALOG, STUDY, GAN)
    with pytest.raises(ValueError, match="figures:start"):
        readme_figures.update(README.replace("<!-- figures:end -->", ""), results(), CATALOG, STUDY, GAN)


def test_study_table_adjusts_over_every_comparison_it_shows():
    two = {"bench_experiment/demo_table": "demo", "bench_experiment/other_table": "other"}
    significant = {**TABLE, "differences": [{**TABLE["differences"][0], "p_value": 0.03}]}
    alone = readme_figures.render_study(results(**{"bench_experiment/demo_table": {"value": significant, **STAMP}}),
                                        STUDY)
    assert "**augmentation helped on this data" in alone and "(Holm over 1 comparison)" in alone
    both = readme_figures.render_study(results(**{"bench_experiment/demo_table": {"value": significant, **STAMP},
                                                  "bench_experiment/other_table": {"value": significant, **STAMP}}),
                                       two)
    assert "helped" not in both and both.count("p = 0.03, 0.06 after Holm") == 2


def test_run_all_merge_replaces_a_jobs_entries_and_refuses_duplicates():
    old = {"bench_features/a": {"job": "bench_features", "value": 1}, "bench_gan/b": {"job": "bench_gan", "value": 2}}
    new = run_all.merge(old, "bench_features", [{"figure": "c", "job": "bench_features", "value": 3}])
    assert new == {"bench_features/c": {"figure": "c", "job": "bench_features", "value": 3},
                   "bench_gan/b": {"job": "bench_gan", "value": 2}}
    with pytest.raises(ValueError, match="twice"):
        run_all.merge({}, "bench_features", [{"figure": "c"}, {"figure": "c"}])
    assert run_all.figures('noise\n{"figure": "x", "value": 1}\n[1]\n') == [{"figure": "x", "value": 1}]


def test_readme_and_docs_are_what_results_json_says():
    results = json.loads((BENCH / "results.json").read_text())
    for path in readme_figures.DOCUMENTS:
        assert readme_figures.render_document(path, results) == path.read_text(), (
            f"{path.name}'s generated tables are out of date: run python bench/readme_figures.py")


def test_each_document_must_hold_exactly_its_tables(tmp_path, monkeypatch):
    doc = tmp_path / "doc.md"
    doc.write_text(README)
    monkeypatch.setattr(readme_figures, "REPO", tmp_path)
    monkeypatch.setitem(readme_figures.DOCUMENTS, doc, ("figures", "gan", "study"))
    assert (readme_figures.render_document(doc, results(), catalog=CATALOG, study=STUDY, gan=GAN)
            == readme_figures.update(README, results(), CATALOG, STUDY, GAN))
    doc.write_text(README.replace("<!-- gan:start -->\n<!-- gan:end -->\n", ""))
    with pytest.raises(ValueError, match=r"holds the tables \['figures', 'study'\], not"):
        readme_figures.render_document(doc, results())


def test_readme_headline_figures_stand_alone_and_are_in_the_full_table():
    from figures import FIGURES, HEADLINE

    assert set(HEADLINE) <= set(FIGURES)
    assert not any(description.startswith("…") for description, _ in HEADLINE.values())
    text = readme_figures.update("<!-- headline:start -->\n<!-- headline:end -->\n", results(), CATALOG, STUDY, GAN,
                                 headline={"bench_b/accuracy": ("accuracy of b alone", "≥ 50 %")})
    assert ("| accuracy of b alone (`bench_b`) | ≥ 50 % | **76.0 %** (95 % CI 66.8–83.3 %, 76 of 100 clips) |"
            in text)


def test_an_accuracy_stored_as_a_number_shows_its_interval():
    entry = {"value": 0.231, "ci95": [0.17, 0.306], "n": 147}
    assert readme_figures.render_value(entry) == "**23.1 %** (95 % CI 17.0–30.6 %, 147 clips)"
    assert readme_figures.render_value({"value": 0.231}) == "**0.231**"


def test_an_accuracy_over_seeds_shows_its_mean_and_range():
    entry = {"value": {"mean": 0.227, "min": 0.19, "max": 0.259}}
    assert readme_figures.render_value(entry) == "**22.7 %** mean (range 19.0–25.9 %)"


def test_the_gan_table_has_one_row_per_seed_from_its_figures():
    text = readme_figures.update(README, results(), CATALOG, STUDY, GAN)
    assert ("| conditional | 0 | 73.3 % [55.6–85.8] / 93.3 % = **0.79** | **88.4 %** [84.8–91.3] | 95.4 % | "
            "213 s (load 2.12) | 68 % vs 83 % | 91.4 vs 39.0 |") in text
    gone = results()
    del gone["bench_gan/conditional_gan_c2st_seed0"]
    with pytest.raises(readme_figures.MissingFigures, match="conditional_gan_c2st_seed0"):
        readme_figures.update(README, gone, CATALOG, STUDY, GAN)


def test_a_figure_timed_under_load_is_marked_not_comparable():
    loaded = results(**{"bench_a/speed": {"value": 0.25, **STAMP, "timed": True, "load_before": 3.1,
                                          "under_load": 3.1}})
    text = readme_figures.update(README, loaded, CATALOG, STUDY, GAN)
    assert "| **0.25** ⚠ *measured under load 3.1: not comparable* |" in text
    assert "not comparable" not in readme_figures.update(README, results(), CATALOG, STUDY, GAN)
    busy_gan = results(**{"bench_gan/conditional_gan_train_seconds_seed0": {**STAMP, **GAN_RUN["train_seconds"],
                                                                           "under_load": 2.12}})
    assert "| 213 s (measured under load 2.12: not comparable) |" in readme_figures.update(README, busy_gan, CATALOG,
                                                                                          STUDY, GAN)


def test_a_timing_says_which_cpu_it_ran_on():
    cpu = "2 x Intel(R) Xeon(R) Processor (family 6 model 167, AMX)"
    timed = results(**{"bench_a/speed": {"value": 0.25, **STAMP, "timed": True, "load_before": 1.5, "cpu": cpu}})
    assert f"`abc1234`, load 1.5, on {cpu} |" in readme_figures.update(README, timed, CATALOG, STUDY, GAN)
    assert ", on " not in readme_figures.update(README, results(), CATALOG, STUDY, GAN)


def test_run_all_all_runs_every_job_readme_shows_and_leaves_the_study_grid_out(capsys):
    stored = json.loads((BENCH / "results.json").read_text())
    feeding = {stored[k]["job"] for k in readme_figures.shown()}
    assert feeding <= set(run_all.ALL) and set(run_all.ALL) <= set(run_all.JOBS)
    assert not set(run_all.STUDY_GRID) & set(run_all.ALL) and set(run_all.STUDY_GRID) <= set(run_all.JOBS)
    assert {"bench_memory", "bench_load"} <= set(run_all.ALL)  # the memory and sessions figures
    with pytest.raises(SystemExit):  # neither --all nor --only: no accidental hours of CPU
        run_all.main([])
    assert "--all" in capsys.readouterr().err


def test_run_all_all_names_readme_figures_from_another_commit_or_not_regenerated():
    shown = readme_figures.shown()
    fresh = {k: {"commit": "abc1234"} for k in shown}
    assert run_all.stale(fresh, "abc1234") == []
    old = {**fresh, shown[0]: {"commit": "abc1234", "not_regenerated": "carried over"}, shown[1]: {"commit": "0000000"}}
    del old[shown[2]]
    assert run_all.stale(old, "abc1234") == shown[:3]


def test_heads_table_marks_the_presets_head_and_fails_without_heads():
    entry = {"date": "2026-12-07", "commit": "abc1234", "load_average": 0.4, "value": 0.93, "musifeast": 0.6,
             "musifeast_recall": {"country": 0.1}, "features": 400, "musifeast_note": "a record"}
    results = {f"{readme_figures.HEADS}penultimate_mean_std_C0.01": {**entry, "layer": "penultimate",
                                                                     "pooling": "mean_std", "C": 0.01},
               f"{readme_figures.HEADS}tags_mean_C1": {**entry, "layer": "tags", "pooling": "mean", "C": 1.0,
                                                       "value": 0.86, "features": 50}}
    rows = readme_figures.render_heads(results).splitlines()
    assert rows[2] == "| **penultimate** | **mean_std** | **0.01** | **400** | **93.0 %** | **60.0 %** | **10.0 %** |"
    assert rows[3] == "| tags | mean | 1 | 50 | 86.0 % | 60.0 % | 10.0 % |"
    with pytest.raises(readme_figures.MissingFigures):
        readme_figures.render_heads({})


def test_run_all_writes_results_atomically_keeping_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    path.write_text('{"old": 1}\n')
    run_all.write_results(path, {"new": "é"})
    assert json.loads(path.read_text()) == {"new": "é"}
    from core.storage import store

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(store.os, "replace", fail)
    with pytest.raises(OSError):
        run_all.write_results(path, {"newer": 2})
    assert json.loads(path.read_text()) == {"new": "é"} and [p.name for p in tmp_path.iterdir()] == ["results.json"]
