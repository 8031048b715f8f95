"""The generalisation check: label matching, scores, the predict path on another collection, the CLI's JSON."""

import json
import re

import numpy as np
import pytest

from core.compute import intervals, scores
from core.orchestration import check, worker
from core.storage import queue
from core.storage import runs
from core.usecases import generalise, predict
from core.cli import main
from core.base.datasets import DatasetError
from helpers import finished_run, write_tone


def recalls(result: dict) -> dict[str, tuple[float, int]]:
    """Genre → (recall, clips) of the genres a check scored (those with clips)."""
    return {c["label"]: (c["recall"], c["support"]) for c in result["per_class"] if c["support"]}


def rows(result: dict) -> dict[str, list[int]]:
    """Genre → its confusion row, for the genres a check scored."""
    return {result["labels"][i]: result["confusion"][i] for i in scores.present(result)}


@pytest.fixture
def tones(tmp_path):
    root = tmp_path / "tones"
    root.mkdir()
    return root


@pytest.fixture
def run_id(tones):
    """A finished run on the tone labels (random weights: the check must agree with Predict whatever they are)."""
    return finished_run(tones)


@pytest.fixture
def other(tmp_path):
    """Another collection: its own names for two genres, one the model lacks, one unusable file, a non-audio file."""
    root = tmp_path / "other"
    for k, (label, freq) in enumerate([("LOW", 118.0), ("LOW", 104.0), ("Mi-d", 231.0), ("Mi-d", 208.0),
                                       ("Treble", 470.0), ("Treble", 425.0), ("Noise", 3000.0)]):
        write_tone(root / label / f"{label}_{k}.wav", seconds=2.5, freq=freq, sr=44100, channels=2)
    (root / "Mi-d" / "broken.wav").write_bytes(b"RIFF not really a wave file")
    (root / "notes.txt").write_text("where these came from")
    return root


# ------------------------------------------------------------------ label matching

@pytest.mark.parametrize("name, key", [("Hip-hop", "hiphop"), ("hip hop", "hiphop"), ("HipHop", "hiphop"),
                                       ("R&B", "rb"), ("Drum & Bass", "drumbass"), ("rock", "rock")])
def test_label_key_ignores_case_spaces_hyphens_and_ampersands(name, key):
    assert generalise.label_key(name) == key


def test_names_match_across_spelling_and_unknown_genres_are_listed():
    match = generalise.match_labels(["Classical", "Hip-hop", "Rock", "Polka"], ["classical", "hiphop", "rock", "jazz"])
    assert match.used == {"Classical": "classical", "Hip-hop": "hiphop", "Rock": "rock"}
    assert match.skipped == ("Polka",)


def test_an_explicit_mapping_overrides_the_names():
    match = generalise.match_labels(["R&B", "Pop", "Rock"], ["pop", "rock", "blues"], {"r&b": "Pop", "Rock": "blues"})
    assert match.used == {"R&B": "pop", "Pop": "pop", "Rock": "blues"} and match.skipped == ()


def test_no_shared_genre_is_a_clear_error():
    with pytest.raises(generalise.LabelError, match="shares no genre with the model: its genres are Polka, Tango"):
        generalise.match_labels(["Polka", "Tango"], ["rock", "jazz"])


@pytest.mark.parametrize("mapping, message", [({"Salsa": "rock"}, "'Salsa', which is not a genre of this dataset"),
                                              ({"Polka": "salsa"}, "'salsa', which the model does not know")])
def test_a_mapping_naming_unknown_genres_is_a_clear_error(mapping, message):
    with pytest.raises(generalise.LabelError, match=message):
        generalise.match_labels(["Polka", "Rock"], ["rock", "jazz"], mapping)


def test_mapping_pairs_are_parsed_and_malformed_ones_refused():
    assert generalise.parse_mapping(["R&B=pop", " Hip Hop = hiphop "]) == {"R&B": "pop", "Hip Hop": "hiphop"}
    for bad in ("R&B", "=pop", "R&B="):
        with pytest.raises(generalise.LabelError, match="DATASET_GENRE=model_genre"):
            generalise.parse_mapping([bad])


# ------------------------------------------------------------------ scores

def test_scores_of_known_answers():
    labels = ("blues", "jazz", "metal", "rock")
    y_true = np.array([0, 0, 0, 0, 3, 3, 3, 3, 3, 3])  # 4 blues, 6 rock; the model also knows jazz and metal
    y_pred = np.array([0, 0, 0, 1, 3, 3, 2, 2, 2, 0])  # blues 3/4, rock 2/6
    s = scores.classification_result(np.eye(4)[y_pred], y_true, [], labels)
    lo, hi = intervals.accuracy_interval(5, 10)[1:]
    assert s["accuracy"] == {"value": 0.5, "lo": lo, "hi": hi, "correct": 5, "n": 10}
    assert recalls(s) == {"blues": (0.75, 4), "rock": (2 / 6, 6)} and scores.present(s) == [0, 3]
    assert s["confusion"] == [[3, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 3, 2]] and s["labels"] == list(labels)


def test_sentence_sets_the_check_against_the_runs_own_test_accuracy():
    result = {"accuracy": {"value": 28 / 147, "lo": 0.135, "hi": 0.262, "correct": 28, "n": 147},
              "test_accuracy": {"value": 0.8, "lo": 0.66, "hi": 0.89}, "trained_on": "gtzan-mini",
              "dataset": {"name": "musifeast-7"}, "overlap": {"clips": 0},
              "per_class": [{"label": g, "recall": 0.2, "support": 21} for g in "abcdefg"]}
    assert generalise.sentence(result) == (
        "Right on 80 % (95 % CI 66–89 %) of its own test clips (gtzan-mini) and on 19 % (95 % CI 14–26 %) of 147 "
        "clips from another collection (musifeast-7), where always answering its most common genre would score 14 %.")


# ------------------------------------------------------------------ a run checked on another collection

def test_check_scores_every_clip_as_predict_hears_it(run_id, other):
    result = generalise.check(run_id, other, "other", {"Treble": "high"})
    predictor = predict.load_model(run_id)
    expected = {"low": [], "mid": [], "high": []}
    for folder, label in (("LOW", "low"), ("Mi-d", "mid"), ("Treble", "high")):
        for path in sorted((other / folder).glob("*_*.wav")):
            expected[label].append(predict.predict(path, predictor).top(1)[0][0])
    hits = {g: sum(p == g for p in preds) for g, preds in expected.items()}
    acc = result["accuracy"]
    assert acc["n"] == 6 and acc["correct"] == sum(hits.values())
    assert acc["value"] == pytest.approx(sum(hits.values()) / 6)
    assert recalls(result) == {g: (pytest.approx(hits[g] / 2), 2) for g in ("high", "low", "mid")}
    assert list(rows(result)) == ["high", "low", "mid"] and result["labels"] == list(predictor.labels)
    for row, counts in rows(result).items():
        assert counts == [expected[row].count(c) for c in result["labels"]]
    assert len(result["probs"]) == 6 and result["y_pred"] == np.argmax(result["probs"], 1).tolist()
    assert result["labels_used"] == {"LOW": "low", "Mi-d": "mid", "Treble": "high"}
    assert result["labels_skipped"] == ["Noise"]
    reasons = {s["path"]: s["reason"] for s in result["skipped"]}
    assert reasons["notes.txt"] == "not inside a label folder"
    assert reasons["Mi-d/broken.wav"].startswith("not a readable audio file")
    assert result["dataset"]["name"] == "other" and len(result["dataset"]["fingerprint"]) == 16
    assert result["test_accuracy"] == runs.result(run_id)["accuracy"]
    assert "of its own test clips (tones)" in result["sentence"]


def test_a_model_that_always_answers_mid_gets_known_scores(tones, other):
    run_id = finished_run(tones, answer="mid")
    result = generalise.check(run_id, other, "other", {"Treble": "high"})
    acc = result["accuracy"]
    assert acc["n"] == 6 and acc["correct"] == 2 and acc["value"] == pytest.approx(1 / 3)
    assert [acc["lo"], acc["hi"]] == pytest.approx(list(intervals.accuracy_interval(2, 6)[1:]))
    assert recalls(result) == {"high": (0.0, 2), "low": (0.0, 2), "mid": (1.0, 2)}
    assert result["labels"] == ["high", "low", "mid"] and result["confusion"] == [[0, 0, 2], [0, 0, 2], [0, 0, 2]]
    assert result["sentence"] == ("Right on 75 % (95 % CI 30–95 %) of its own test clips (tones) and on 33 % "
                                  "(95 % CI 10–70 %) of 6 clips from another collection (other), where always "
                                  "answering its most common genre would score 33 %.")


def test_chunks_and_threads_do_not_change_the_answers(run_id, other):
    from core.base.datasets import list_clips

    listing = list_clips(other)
    predictor = predict.load_model(run_id)
    calls = []
    one = generalise.hear_and_classify(listing.clips, other, predictor, workers=1, chunk=100)
    two = generalise.hear_and_classify(listing.clips, other, predictor, lambda d, t: calls.append((d, t)), 2, chunk=3)
    assert one[1] == two[1] == [0, 1, 2, 3, 5, 6, 7] and np.allclose(one[0], two[0], atol=1e-6)
    assert [s.path for s in two[2]] == ["Mi-d/broken.wav"] and sorted(calls) == [(d, 8) for d in range(1, 9)]


def test_a_check_with_no_usable_clip_is_a_clear_error(run_id, tmp_path):
    for label in ("low", "mid"):
        (tmp_path / "bad" / label).mkdir(parents=True)
        (tmp_path / "bad" / label / "a.wav").write_bytes(b"RIFF garbage")
    with pytest.raises(generalise.LabelError, match="none of the 2 clips of the shared genres could be decoded"):
        generalise.check(run_id, tmp_path / "bad", "bad")


def digests_of(root, *names):
    from core.storage.extract import file_digest

    return [file_digest(next(root.rglob(name))) for name in names]


def test_copies_of_the_runs_own_clips_are_counted_by_part_and_left_out(run_id, other):
    runs.save_clips(run_id, {"train": digests_of(other, "LOW_0.wav", "Mi-d_2.wav"), "val": [],
                             "test": digests_of(other, "LOW_1.wav")})
    result = generalise.check(run_id, other, "other")
    assert result["overlap"] == {"clips": 3, "train": 2, "val": 0, "test": 1}
    assert result["accuracy"]["n"] == 1 and set(recalls(result)) == {"mid"}  # Mi-d_3 alone is checked
    assert result["sentence"].endswith(" 3 of the dataset's clips are copies of clips this run learnt from or was "
                                       "measured on (2 training, 1 test): they were left out, and the figures are on "
                                       "the other clips only.")
    assert generalise.describe(result).endswith("; 3 copies of the run's own clips left out.")
    assert main(["evaluate", "--run", run_id, "--data", str(other), "--json"]) == 0


def test_a_check_on_nothing_but_the_runs_own_clips_is_refused(run_id, other, capsys):
    shared = ["LOW_0.wav", "broken.wav", "Mi-d_2.wav", "Mi-d_3.wav", "LOW_1.wav"]
    runs.save_clips(run_id, {"train": digests_of(other, *shared[:4]), "val": digests_of(other, shared[4]),
                             "test": []})
    with pytest.raises(generalise.LabelError, match="every clip of the genres other shares with the model is a copy"):
        generalise.check(run_id, other, "other")
    assert main(["evaluate", "--run", run_id, "--data", str(other)]) == 2
    assert "is a copy of a clip this run learnt from or was measured on" in capsys.readouterr().err
    assert runs.checks(run_id) == []


def test_a_run_without_its_clip_list_is_compared_with_its_training_folder(run_id, other, tmp_path):
    (runs.run_path(run_id) / "clips.json").unlink()
    runs.update(run_id, dataset={**runs.load(run_id)["dataset"], "root": str(other)})
    with pytest.raises(generalise.LabelError, match="is a copy"):
        generalise.check(run_id, other, "other")
    runs.update(run_id, dataset={**runs.load(run_id)["dataset"], "root": str(tmp_path / "gone")})
    result = generalise.check(run_id, other, "other")
    assert result["overlap"] is None and result["accuracy"]["n"] == 4
    assert result["sentence"].endswith("Whether these clips include the run's own could not be checked: the run kept "
                                       "no list of its clips and its training folder can no longer be read.")


def test_without_the_mapping_the_unmatched_genre_is_left_out(run_id, other):
    result = generalise.check(run_id, other, "other")
    assert result["accuracy"]["n"] == 4 and set(recalls(result)) == {"low", "mid"}
    assert result["labels_skipped"] == ["Noise", "Treble"]


def test_checks_are_kept_one_per_dataset_content(run_id, other):
    first = generalise.check(run_id, other, "other")
    generalise.save(first)
    generalise.save(generalise.check(run_id, other, "other", {"Treble": "high"}))
    (kept,) = runs.checks(run_id)
    assert kept["accuracy"]["n"] == 6 and kept["dataset"]["fingerprint"] == first["dataset"]["fingerprint"]
    write_tone(other / "LOW" / "LOW_new.wav", seconds=2.5, freq=120.0)
    generalise.save(generalise.check(run_id, other, "other"))
    assert [c["accuracy"]["n"] for c in runs.checks(run_id)] == [5, 6]


def test_a_dataset_sharing_no_genre_and_a_bad_folder_are_clear_errors(run_id, tmp_path):
    for label in ("Polka", "Tango"):
        write_tone(tmp_path / "dances" / label / "a.wav")
    with pytest.raises(generalise.LabelError, match="shares no genre"):
        generalise.check(run_id, tmp_path / "dances", "dances")
    with pytest.raises(DatasetError, match="is not a folder"):
        generalise.check(run_id, tmp_path / "nowhere", "nowhere")


def test_a_check_job_runs_through_the_run_lifecycle(run_id, other):
    check_id = check.submit_check(run_id, other, "other", {"Treble": "high"})
    assert runs.load(check_id)["status"] == "queued" and runs.checks(run_id) == []
    worker.run_one(queue.enqueue(check_id, "check", start_worker=False))
    record = runs.load(check_id)
    assert record["status"] == "done" and record["progress"] == {"clips": 7, "total": 7} and record["pid"] is None
    (saved,) = runs.checks(run_id)
    assert saved["accuracy"]["n"] == 6 and record["fingerprint"] == saved["dataset"]["fingerprint"]


def test_a_cancelled_check_keeps_nothing(run_id, other):
    check_id = check.submit_check(run_id, other, "other")
    runs.request_cancel(check_id)
    assert check.run_check(check_id) == {}
    assert runs.load(check_id)["status"] == "cancelled" and runs.checks(run_id) == []


# ------------------------------------------------------------------ the CLI

def test_cli_prints_valid_json_with_the_documented_keys(run_id, other, capsys):
    assert main(["evaluate", "--run", run_id, "--data", str(other), "--map", "Treble=high", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(scores.ClassificationResult.__annotations__) | {"labels_used", "labels_skipped"} <= set(out)
    acc = out["accuracy"]
    assert acc["n"] == 6 and 0 <= acc["lo"] <= acc["value"] <= acc["hi"] <= 1
    assert set(out["per_class"][2]) == {"label", "precision", "recall", "f1", "support"}
    assert out["labels_skipped"] == ["Noise"]
    assert runs.checks(run_id)[0]["accuracy"] == out["accuracy"]


def test_cli_text_report_and_clear_errors(run_id, other, capsys):
    assert main(["evaluate", "--run", run_id, "--data", str(other)]) == 0
    out = capsys.readouterr().out
    assert "of its own test clips (tones)" in out and "left out: Noise, Treble" in out
    assert "Mi-d/broken.wav: not a readable audio file" in out
    assert re.search(r"\d+\.\d % \(95 % CI .*, \d of 4 clips\) on other \(fingerprint \w{16}\): every clip of its 2 "
                     r"genres the model knows, 2 left out\.", out)
    assert main(["evaluate", "--run", run_id, "--data", str(other), "--map", "Treble"]) == 2
    assert "DATASET_GENRE=model_genre" in capsys.readouterr().err
    assert main(["evaluate", "--run", "20990101-000000-clf-beef", "--data", str(other)]) == 2
    assert "has no model.pt" in capsys.readouterr().err
