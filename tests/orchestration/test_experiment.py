import math
import re

import numpy as np
import pytest

from core import cli
from core.base import config, experiment_plan
from core.orchestration import classifier, experiment, worker
from core.storage import runs
from core.usecases import experiment_table, reports
from helpers import TINY_PLAN, check_gan_grid_on_tones


def row(preset, per_genre, seed, accuracy):
    return {"cell": experiment_plan.cell_label(preset, "g", per_genre), "preset": preset, "per_genre": per_genre,
            "seed": seed, "accuracy": accuracy}


def test_summary_and_paired_differences_by_seed():
    rows = [row("paper", 0, s, a) for s, a in enumerate([0.50, 0.55, 0.60])]
    rows += [row("paper", 70, s, a) for s, a in [(0, 0.52), (1, 0.58), (2, 0.625)]]
    rows += [row("paper", 150, 1, 0.50)]  # only seed 1 finished
    out = experiment_table.summarise(rows)
    base, plus70, plus150 = out["summary"]
    assert base["seeds"] == 3 and math.isclose(base["mean"], 0.55) and math.isclose(base["std"], 0.05)
    assert 0 <= base["lo"] < base["mean"] < base["hi"] <= 1 and base["min"] == 0.50 and base["max"] == 0.60
    assert plus150["seeds"] == 1 and math.isnan(plus150["std"])
    d70, d150 = out["differences"]
    assert np.allclose(d70["differences"], [0.02, 0.03, 0.025]) and d70["lo"] > 0 and "helped" in d70["verdict"]
    assert d150["differences"] == [pytest.approx(-0.05)] and "one seed" in d150["verdict"]


def test_wide_intervals_are_clipped_and_zero_is_no_difference():
    rows = [row("paper", 0, 0, 0.0), row("paper", 0, 1, 1.0), row("paper", 70, 0, 0.5), row("paper", 70, 1, 0.4)]
    out = experiment_table.summarise(rows)
    assert out["summary"][0]["lo"] == 0.0 and out["summary"][0]["hi"] == 1.0
    assert out["differences"][0]["verdict"].startswith("no difference shown (paired t over 2 seeds")


def fold(preset, per_genre, seed, correct, only_baseline=None, only_this=None, n=20):
    return {**row(preset, per_genre, seed, correct / n), "split_kind": "fold5", "correct": correct, "n": n,
            "only_baseline": only_baseline, "only_this": only_this}


def test_folds_of_one_cross_validation_are_pooled_over_clips():
    rows = [fold("paper", 0, s, k) for s, k in zip(range(5, 10), (14, 15, 16, 13, 18))]
    rows += [fold("paper", 70, s, k, b, c) for s, k, b, c in zip(range(5, 10), (11, 14, 14, 12, 17),
                                                                 (3, 2, 2, 2, 1), (0, 1, 0, 1, 0))]
    out = experiment_table.summarise(rows)
    base, plus70 = out["summary"]
    assert base["unit"] == "clips" and base["clips"] == 100 and base["mean"] == pytest.approx(0.76)
    assert (base["lo"], base["hi"]) == pytest.approx((0.6677, 0.8331), abs=1e-4)
    assert "Wilson over 100 clips (5 folds of one cross-validation" in base["interval"]
    (d,) = out["differences"]
    assert d["unit"] == "clips" and d["p_value"] == pytest.approx(158 / 4096) and d["mean"] == pytest.approx(-0.08)
    assert d["lo"] is None and "exact McNemar over 100 clips" in d["verdict"] and "hurt" in d["verdict"]
    assert ("Wilson over 100 clips" in experiment_table.units_caption(out)
            and "Holm" in experiment_table.units_caption(out))
    # folds of two partitions are not one cross-validation: back to seeds
    assert experiment_table.summarise(rows[:4] + [fold("paper", 0, 0, 10)])["summary"][0]["unit"] == "seeds"


def test_verdicts_follow_holm_adjusted_p_values():
    rows = [row("paper", 0, s, 0.5) for s in range(3)]
    rows += [row("paper", 70, s, a) for s, a in enumerate([0.52, 0.53, 0.525])]  # p = 0.013 alone
    rows += [row("paper", 150, s, a) for s, a in enumerate([0.51, 0.4, 0.55])]
    out = experiment_table.summarise(rows)
    d70, d150 = out["differences"]
    assert out["comparisons"] == 2 and d70["p_value"] == pytest.approx(0.0131, abs=1e-4)
    assert d70["p_holm"] == pytest.approx(2 * d70["p_value"]) and "helped" in d70["verdict"]
    alone = experiment_table.summarise(rows[:6])["differences"][0]
    assert alone["p_holm"] == pytest.approx(alone["p_value"])
    rows += [row("recommended", 0, s, 0.5) for s in range(3)]
    rows += [row("recommended", n, s, 0.5 + 0.01 * (s - 1)) for n in (70, 150) for s in range(3)]
    out = experiment_table.summarise(rows)
    assert out["comparisons"] == 4 and out["differences"][0]["p_holm"] == pytest.approx(4 * 0.0131, abs=1e-3)
    assert out["differences"][0]["verdict"].startswith("no difference shown")


def test_plan_validates_and_orders_cells():
    p = experiment_plan.plan(seeds=2, per_genre=(150, 70), overrides=("epochs=3",), gan_overrides=("epochs=4",),
                        controls=())
    grid = experiment_plan.cells(p)
    assert len(grid) == 2 * 2 * 3 and [c["key"] for c in grid[:4]] == ["paper/0/0", "paper/70/0", "paper/150/0",
                                                                       "paper/0/1"]
    cell = grid[-1]
    assert (experiment_plan.classifier_config(p, cell).epochs == 3
            and experiment_plan.classifier_config(p, cell).seed == 1)
    gan = experiment_plan.gan_config(p, cell)
    assert (gan.model, gan.split, gan.seed, gan.epochs) == ("conditional", "stratified", 1, 4)
    with pytest.raises(config.ConfigError, match="unknown setting"):
        experiment_plan.plan(overrides=("nope=1",))
    with pytest.raises(config.ConfigError, match="no arm"):
        experiment_plan.plan(arms=("other",))
    with pytest.raises(config.ConfigError, match="unknown control"):
        experiment_plan.plan(controls=("longer",))
    keys = [c["key"] for c in experiment_plan.cells(experiment_plan.plan(seeds=1, per_genre=(70,), arms=("paper",)))]
    assert keys == ["paper/0/0", "paper/70/0", "paper/steps-70/0", "paper/masked-70/0"]


def test_measured_on_names_each_arms_split():
    record = {"dataset": {"name": "gtzan-mini"}, "config": experiment_plan.plan(seeds=5)}
    text = experiment_table.measured_on(record)
    assert text.startswith("gtzan-mini; paper LSTM: the study's random 70/20/10 split; recommended LSTM: a stratified")
    assert text.endswith("(seeds 0–4)")
    folds = {"dataset": {"name": "x"}, "config": experiment_plan.plan(seeds=5, overrides=("split=fold5",))}
    assert experiment_table.measured_on(folds).count("5-fold") == 2


def counting(monkeypatch, fail_on: int | None = None) -> list[str]:
    """Count (and optionally crash on the n-th) classifier training call."""
    calls, real = [], classifier.run_classifier

    def run(run_id, progress=None):
        calls.append(run_id)
        if len(calls) == fail_on:
            raise RuntimeError("worker killed")
        return real(run_id, progress=progress)

    monkeypatch.setattr(classifier, "run_classifier", run)
    return calls


@pytest.mark.slow
def test_resume_skips_finished_cells(tone_dataset, monkeypatch):
    p = experiment_plan.plan(seeds=2, per_genre=(0,), arms=("paper",), overrides=TINY_PLAN)
    exp_id = experiment.submit(p, tone_dataset, "tones")
    calls = counting(monkeypatch, fail_on=2)
    with pytest.raises(RuntimeError):
        experiment.run_experiment(exp_id)
    record = runs.load(exp_id)
    assert record["status"] == "failed" and len(calls) == 2
    assert runs.result(exp_id)["cells_done"] == 1 and record["progress"]["cells_done"] == 1
    kept = dict(record["cells"])

    worker.reopen(exp_id)
    calls = counting(monkeypatch)
    seen = []
    result = experiment.run_experiment(exp_id, progress=seen.append)
    record = runs.load(exp_id)
    assert len(calls) == 1 and record["status"] == "done"  # only the unfinished cell was trained
    assert record["cells"]["paper/0/0"] == kept["paper/0/0"] and record["cells"]["paper/0/1"] != kept["paper/0/1"]
    assert seen[-1]["cells_done"] == seen[-1]["cells_total"] == 2
    assert [r["seed"] for r in result["per_seed"]] == [0, 1]
    assert len({r["split"] for r in result["per_seed"]}) == 2  # a new split per seed
    assert result["summary"][0]["seeds"] == 2 and runs.load(record["cells"]["paper/0/1"])["experiment"] == exp_id
    markdown = reports.experiment_markdown(result, "t")
    assert re.search(r"\| paper LSTM, baseline +\|", markdown) and re.search(r"\| t over 2 seeds +\|", markdown)
    assert reports.experiment_csv(result).splitlines()[0] == ",".join(reports.EXPERIMENT_CSV_COLUMNS)


def test_cancel_stops_before_training(tone_dataset, monkeypatch):
    p = experiment_plan.plan(seeds=2, per_genre=(0,), arms=("paper",), overrides=TINY_PLAN)
    exp_id = experiment.submit(p, tone_dataset, "tones")
    runs.request_cancel(exp_id)
    calls = counting(monkeypatch)
    experiment.run_experiment(exp_id)
    assert calls == [] and runs.load(exp_id)["status"] == "cancelled"
    assert "resume" in experiment.status_text(runs.load(exp_id))


@pytest.mark.slow
def test_one_gan_per_kind_and_seed_reused_across_amounts(tmp_path, monkeypatch, fake_gan_tasks):
    log = fake_gan_tasks
    p = experiment_plan.plan(seeds=2, controls=())
    exp_id = experiment.submit(p, tmp_path, "fake")
    result = experiment.run_experiment(exp_id)
    record = runs.load(exp_id)
    assert sorted(log["gans"]) == [("conditional", "stratified", 0), ("conditional", "stratified", 1),
                                   ("paper", "paper", 0), ("paper", "paper", 1)]
    assert len(log["trained"]) == 12 and len(record["gans"]) == 4
    augmented = [a for a in log["augment"] if a]
    assert sorted(a["per_genre"] for a in augmented) == [70] * 4 + [150] * 4
    by_gan = {}
    for a in augmented:
        by_gan.setdefault(a["gan_run"], set()).add(a["per_genre"])
    assert all(v == {70, 150} for v in by_gan.values())
    assert len(result["summary"]) == 6 and len(result["differences"]) == 4
    assert all(r["p_vs_baseline"] is not None for r in result["per_seed"] if r["per_genre"])

    worker.reopen(exp_id)
    experiment.run_experiment(exp_id)
    assert len(log["trained"]) == 12 and len(log["gans"]) == 4  # nothing redone


def test_controls_match_the_augmented_cells_steps_and_size(tmp_path, monkeypatch, fake_gan_tasks):
    log = fake_gan_tasks
    p = experiment_plan.plan(seeds=2, per_genre=(70,), arms=("recommended",))
    result = experiment.run_experiment(experiment.submit(p, tmp_path, "fake"))
    assert [a for a in log["augment"] if a and "masked_copies" in a] == [{"masked_copies": 70}] * 2
    rows = {(r["kind"], r["seed"]): r for r in result["per_seed"]}
    base_epochs = config.preset("recommended").epochs
    # the fake baseline trains on 100 inputs, the augmented cell on 800: 2 vs 13 batches of 64 per epoch
    assert rows[("steps", 0)]["epochs"] == round(base_epochs * 13 / 2) and rows[("gan", 1)]["epochs"] == base_epochs
    names = [d["cell"] for d in result["differences"]]
    assert len(names) == 5 and len(result["summary"]) == 4
    assert "recommended LSTM + 70/genre from the conditional GAN vs the baseline trained as many steps" in names
    assert "recommended LSTM + 70/genre from the conditional GAN vs as many masked copies" in names
    assert "recommended LSTM, baseline for the steps of +70/genre vs the same seed's baseline" in names


@pytest.mark.slow
def test_real_gan_cells_on_tones(tone_dataset):
    check_gan_grid_on_tones(tone_dataset)


@pytest.mark.slow
def test_cli_experiment_and_worker_handler(tone_dataset, capsys):
    assert "experiment" in worker.handlers()
    code = cli.main(["experiment", "--data", str(tone_dataset), "--seeds", "1", "--per-genre", "0", "--arms", "paper",
                     *[arg for s in TINY_PLAN for arg in ("--set", s)]])
    out = capsys.readouterr().out
    assert code == 0 and re.search(r"\| paper LSTM, baseline +\|", out) and re.search(r"\| t over 1 seeds? +\|", out)
    (exp,) = runs.list_runs("exp")
    assert exp["status"] == "done" and len(exp["cells"]) == 1


PRETRAINED = "pretrained ear (musicnn + linear head)"


def test_pretrained_arm_trains_its_baseline_only_and_takes_only_the_split_of_the_lstm_settings():
    p = experiment_plan.plan(seeds=2, per_genre=(70, 150), overrides=("epochs=3", "hidden_size=16", "split=fold5"),
                        pretrained=True, pretrained_overrides=("C=0.1",))
    keys = [c["key"] for c in experiment_plan.cells(p) if c["preset"] == "pretrained"]
    assert keys == ["pretrained/0/0", "pretrained/0/1"]  # no GAN cells, no controls, whatever the amounts
    assert len(experiment_plan.cells(p)) == 2 * 2 * (3 + 2 * 2) + 2
    cell = next(c for c in experiment_plan.cells(p) if c["key"] == "pretrained/0/1")
    cfg = experiment_plan.classifier_config(p, cell)
    assert isinstance(cfg, config.PretrainedConfig) and (cfg.C, cfg.split, cfg.seed) == (0.1, "fold5", 1)
    lstm = experiment_plan.classifier_config(p, experiment_plan.cells(p)[0])
    assert (lstm.epochs, lstm.hidden_size, lstm.split) == (3, 16, "fold5")
    assert experiment_plan.cell_label("pretrained", None, 0, "baseline") == PRETRAINED
    assert experiment_plan.cell_label("paper", "paper", 0, "baseline") == "paper LSTM, baseline"
    assert f"{PRETRAINED}: a fold of a stratified 5-fold" in experiment_table.measured_on({"dataset": {"name": "x"},
                                                                                      "config": p})
    with pytest.raises(config.ConfigError, match="unknown setting"):
        experiment_plan.plan(pretrained=True, pretrained_overrides=("epochs=3",))  # an LSTM setting is not the ear's
    with pytest.raises(config.ConfigError, match="no arm"):
        experiment_plan.plan(arms=("pretrained",))  # only with pretrained=True
    alone = experiment_plan.plan(seeds=1, arms=("pretrained",), pretrained=True)
    assert [c["key"] for c in experiment_plan.cells(alone)] == ["pretrained/0/0"]


def test_pretrained_arm_beside_each_lstm_baseline(tmp_path, monkeypatch, fake_gan_tasks):
    log = fake_gan_tasks
    p = experiment_plan.plan(seeds=2, per_genre=(70,), arms=("recommended", "pretrained"), overrides=("epochs=3",),
                        pretrained=True)
    exp_id = experiment.submit(p, tmp_path, "fake")
    result = experiment.run_experiment(exp_id)
    record = runs.load(exp_id)
    assert len(log["trained"]) == 2 * 4 + 2 and len(log["gans"]) == 2  # the ear: no GAN, one cell per seed
    ear = runs.load(record["cells"]["pretrained/0/1"])
    assert "epochs" not in ear["config"] and ear["config"]["seed"] == 1 and ear["preset"] == "pretrained"
    assert ear.get("augment") is None and ear.get("baseline") is None
    rows = [r for r in result["per_seed"] if r["preset"] == "pretrained"]
    assert [r["cell"] for r in rows] == [PRETRAINED] * 2 and all(set(r["vs_arms"]) == {"recommended"} for r in rows)
    assert rows[0]["epochs"] is None and rows[0]["p_vs_baseline"] is None
    summary = {r["cell"]: r for r in result["summary"]}
    assert summary[PRETRAINED]["seeds"] == 2 and summary[PRETRAINED]["interval"] == "t over 2 seeds"
    (d,) = [d for d in result["differences"] if d["against"] == "recommended"]
    assert d["cell"] == f"{PRETRAINED} vs the recommended LSTM (same seeds, same test clips)"
    assert d["seeds"] == 2 and d["p_holm"] is not None and "than the recommended LSTM" in d["verdict"]
    assert len(result["differences"]) == 5 + 1 and result["comparisons"] == 6
    assert PRETRAINED in reports.experiment_markdown(result, "t") and "LSTM, baseline" not in rows[0]["cell"]


def test_an_lstm_on_another_split_than_the_pretrained_arm_is_named_as_not_compared(tmp_path, fake_gan_tasks):
    p = experiment_plan.plan(seeds=1, per_genre=(70,), arms=("paper", "recommended", "pretrained"),
                             overrides=("epochs=3",), pretrained=True)  # no split given: the paper LSTM keeps its own
    result = experiment.run_experiment(experiment.submit(p, tmp_path, "fake"))
    (ear,) = [r for r in result["per_seed"] if r["preset"] == "pretrained"]
    assert set(ear["vs_arms"]) == {"recommended"} and ear["unpaired_arms"] == ["paper"]
    assert [d["against"] for d in result["differences"] if d["cell"].startswith(PRETRAINED)] == ["recommended"]
    caption = experiment_table.units_caption(result)
    assert f"{PRETRAINED} is not compared with the paper LSTM: they were tested on different clips" in caption
    assert "not compared with the recommended LSTM" not in caption


def test_pretrained_arm_is_compared_only_on_seeds_tested_on_the_same_clips():
    rows = [{**row("recommended", 0, s, a), "split_kind": "stratified"} for s, a in enumerate([0.5, 0.6, 0.7])]
    ear = {"cell": PRETRAINED, "preset": "pretrained", "per_genre": 0, "kind": "baseline"}
    rows += [{**ear, "seed": 0, "accuracy": 0.8, "vs_arms": {"recommended": [1, 4]}},
             {**ear, "seed": 1, "accuracy": 0.95, "vs_arms": {"recommended": [0, 3]}},
             {**ear, "seed": 2, "accuracy": 0.1, "vs_arms": {}}]  # another split: not paired
    (d,) = experiment_table.summarise(rows)["differences"]
    assert d["seeds"] == 2 and np.allclose(d["differences"], [0.3, 0.35]) and d["against"] == "recommended"
    assert d["verdict"].startswith("this model did better than the recommended LSTM (paired t over 2 seeds: p = 0.049")
    folds = [fold("recommended", 0, s, 10) for s in range(5, 10)]
    folds += [{**fold("pretrained", 0, s, 16), **ear, "vs_arms": {"recommended": [0, 6]}} for s in range(5, 10)]
    (pooled,) = experiment_table.summarise(folds)["differences"]
    assert pooled["unit"] == "clips" and pooled["mean"] == pytest.approx(0.3) and pooled["p_value"] < 1e-8
    assert "exact McNemar over 100 clips (0 only the recommended got right, 30 only this one" in pooled["test"]


@pytest.mark.slow
def test_a_tiny_experiment_with_the_pretrained_arm_from_the_cli(tone_dataset, capsys):
    code = cli.main(["experiment", "--data", str(tone_dataset), "--seeds", "2", "--per-genre", "0", "--arms",
                     "recommended,pretrained", "--with-pretrained", "--pretrained-set", "C=0.1",
                     *[arg for s in TINY_PLAN for arg in ("--set", s)]])
    out = capsys.readouterr().out
    assert code == 0 and re.search(rf"\| {re.escape(PRETRAINED)} +\|", out)
    assert f"{PRETRAINED} vs the recommended LSTM (same seeds, same test clips): " in out
    (record,) = runs.list_runs("exp")
    result = runs.result(record["id"])
    assert record["status"] == "done" and result["cells_done"] == result["cells_total"] == 4
    ears = [runs.load(record["cells"][f"pretrained/0/{s}"]) for s in (0, 1)]
    assert all(r["status"] == "done" and r["config"]["ear"] == "musicnn-msd" and r["config"]["C"] == 0.1 for r in ears)
    lstm = runs.load(record["cells"]["recommended/0/0"])
    assert ears[0]["split"] == lstm["split"] and ears[1]["split"] != ears[0]["split"]  # same seed, same split
    rows = {(r["preset"], r["seed"]): r for r in result["per_seed"]}
    assert rows[("pretrained", 0)]["split"] == rows[("recommended", 0)]["split"]
    assert sum(rows[("pretrained", 0)]["vs_arms"]["recommended"]) <= rows[("pretrained", 0)]["n"]
    (d,) = result["differences"]
    assert d["cell"].startswith(PRETRAINED) and d["seeds"] == 2 and d["unit"] == "seeds"
    assert [r["cell"] for r in result["summary"]] == ["recommended LSTM, baseline", PRETRAINED]
    assert "pretrained ear (musicnn + linear head): a stratified" in result["measured_on"]
