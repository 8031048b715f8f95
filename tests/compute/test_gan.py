import copy
import dataclasses

import numpy as np
import pytest
import torch

from core.compute import gan, gan_samples, gan_train, quality
from core.compute import scores
from core.orchestration import classifier, gan_run
from core.storage import runs
from core.base.config import FeatureConfig, gan_preset, preset
from core.storage.extract import load_features
from core.compute.features import fit_normaliser, model_inputs, normalise
from core.base.splits import make_split
from core.compute.train import fit, prepare

TINY = dict(epochs=2, batch_size=8, ref_epochs=1, z_dim=16, width=8, segment_seconds=1.0, first_frames=40,
            split="stratified")
CLF = dict(hidden_size=16, num_layers=1, epochs=1, batch_size=8, segment_seconds=1.0, first_frames=40,
           split="stratified")


def train_gan(root, name="conditional", **kw):
    run_id = gan_run.submit_gan(gan_preset(name, **{**TINY, **kw}), root, "tones", preset=name)
    return run_id, gan_run.run_gan(run_id)


@pytest.mark.slow
def test_paper_gan_is_the_study_and_its_output_lives_on_another_scale(tone_dataset):
    G, D = gan.build_gan(gan_preset("paper"), 174, 128, 10)
    widths = [m.out_features for m in G.net if isinstance(m, torch.nn.Linear)]
    assert widths == [256, 512, 1024, 128 * 174] and G.net[0].in_features == 150
    assert [m.out_features for m in D.net if isinstance(m, torch.nn.Linear)] == [512, 256, 1]
    G.eval()
    z = torch.randn(4, 150)
    fake = G(z, torch.zeros(4, dtype=torch.long))
    assert fake.shape == (4, 174, 128) and D(fake).shape == (4,)
    assert torch.equal(fake, G(z, torch.full((4,), 7)))  # no genre input: the label changes nothing
    fs = load_features(tone_dataset)
    real = gan.paper_inputs(fs.mels, gan_preset("paper", first_frames=40))
    assert real.shape == (12, 40, 128) and real.max() == 0.0 and -80.0 <= real.min() < -20.0
    assert fake.abs().max() <= 1.0  # tanh output in [-1, 1] against real inputs in [-80, 0]: the flaw


@pytest.mark.slow
def test_conditional_gan_shapes_labels_and_exact_descaling():
    cfg = gan_preset("conditional", **TINY)
    framing = gan.data_config(cfg)
    steps = 40 // framing.time_pool  # 1 s = 43 frames, cut to a multiple of the pooling
    G, D = gan.build_gan(cfg, steps, 128, 3)
    G.eval()
    z = torch.randn(6, cfg.z_dim)
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    x = G(z, y)
    assert x.shape == (6, steps, 128) and x.abs().max() <= 1.0 and D(x, y).shape == (6,)
    assert not torch.allclose(G(z, y), G(z, (y + 1) % 3))  # the genre steers the generator
    samples = gan_samples.sample(G, gan.assigned_labels(3, 4), cfg.z_dim, seed=1)
    assert samples.shape == (12, steps, 128) and np.array_equal(gan.assigned_labels(3, 2), [0, 0, 1, 1, 2, 2])

    rng = np.random.default_rng(0)
    mels = [rng.normal(-40, 12, (128, 300)).astype(np.float32) for _ in range(4)]
    seg, _ = model_inputs(mels, framing, train=True)
    mean, std = fit_normaliser(seg)
    u = gan.to_unit(normalise(seg, mean, std), cfg.scale)
    back = gan.to_mels(u, mean, std, cfg.scale, framing.time_pool)
    assert back[0].shape == (128, framing.time_pool * steps)
    again, clip = model_inputs(back, framing)
    assert np.array_equal(clip, np.arange(len(u)))  # one segment per generated log-mel
    assert np.allclose(gan.to_unit(normalise(again, mean, std), cfg.scale), u, atol=1e-5)
    assert np.allclose(gan.from_unit(gan.to_unit(np.array([0.3, -2.9]), 3.0), 3.0), [0.3, -2.9])


@pytest.mark.slow
def test_conditional_run_writes_history_checkpoint_samples_and_result(tone_dataset):
    run_id, result = train_gan(tone_dataset)
    record, folder = runs.load(run_id), runs.run_path(run_id)
    assert record["status"] == "done" and record["kind"] == "gan" and record["split"]["train"]
    history = runs.history(run_id)
    assert [h["epoch"] for h in history] == [1, 2]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "fidelity"} <= set(history[0])
    for name in ("checkpoint.pt", "model.pt", "reference.pt"):
        assert runs.load_tensors(folder / name)["state_dict"]
    epochs, snaps = runs.load_snapshots(run_id)
    steps = 40 // gan.data_config(gan_preset("conditional", **TINY)).time_pool
    assert epochs == [1, 2] and snaps.shape == (2, 3, steps, 128)
    assert result == runs.result(run_id)
    fid = result["fidelity"]
    assert 0 <= fid["overall"] <= 1 and len(fid["per_class"]) == 3 and sum(fid["predicted_counts"]) == 3 * 50
    fd = result["frechet"]
    assert fd["overall"] >= 0 and fd["per_class"] == [None] * 3 and 2 <= fd["n"] <= 3 * 50
    assert fd["ci95"][0] <= fd["ci95"][1] and fd["real_floor_ci95"][0] <= fd["real_floor_ci95"][1]
    tstr, c2st, emb = result["tstr"], result["c2st"], result["c2st_embedding"]
    assert {"accuracy", "ci95", "real_accuracy", "ratio"} <= set(tstr) and {"accuracy", "ci95", "n"} <= set(c2st)
    assert {"accuracy", "ci95", "n"} <= set(emb) and emb["n"] == c2st["n"] and 0 <= emb["accuracy"] <= 1
    assert (tstr["n"] == result["reference"]["accuracy"]["n"]
            and tstr["real_accuracy"] == result["reference"]["accuracy"]["value"])
    assert 0 <= tstr["ci95"][0] <= tstr["accuracy"] <= tstr["ci95"][1] <= 1 and c2st["n"] == 2 * fd["n"]
    assert result["nearest"]["to_train"]["median"] > 0 and "held_out_to_train" in result["nearest"]
    assert len(result["real_fidelity"]["per_class"]) == 3
    assert -1 <= result["ranges"]["generated"][0] and result["ranges"]["generated"][1] <= 1

    samples = gan_samples.samples_from(*runs.load_generator(run_id), per_genre=5)
    assert np.array_equal(samples.y, np.repeat([0, 1, 2], 5)) and len(samples.mels) == 15
    assert samples.mels[0].shape == (128, 40) and samples.mels[0].min() < -20  # back in dB


@pytest.mark.slow
def test_cancel_keeps_the_finished_epoch_and_measures_it(tone_dataset):
    run_id = gan_run.submit_gan(gan_preset("conditional", **{**TINY, "epochs": 50}), tone_dataset, "tones")
    seen = []

    def cancel_in_first_gan_epoch(p):
        seen.append((p["phase"], p["epoch"]))
        if p["phase"] == "gan":
            runs.request_cancel(run_id)

    result = gan_run.run_gan(run_id, progress=cancel_in_first_gan_epoch)
    assert runs.load(run_id)["status"] == "cancelled"
    assert seen[:2] == [("reference", 1), ("gan", 1)] and sorted(seen[2:]) == [("quality", 1), ("tstr", 1)]
    assert len(runs.history(run_id)) == 1 and result["epoch"] == 1 and runs.result(run_id)


@pytest.mark.slow
def test_fidelity_on_known_cases(tone_dataset):
    fs = load_features(tone_dataset)
    cfg = preset("recommended", **{**CLF, "epochs": 8}, lr=1e-2, spec_augment=False, eq_augment=0.0, pitch_augment=0.0,
                 mixup=0.0)
    data = prepare(fs.mels, fs.y, make_split("stratified", fs.y, fs.keys, 0), cfg)
    model, _ = fit(cfg, data)
    x, y = data.train.x.numpy(), data.train.y.numpy()
    pred = quality.predictions(model, x)
    assert quality.fidelity(pred, y, 3)["overall"] >= 0.9  # real samples as "generated": recognised
    assert quality.fidelity(pred, (y + 1) % 3, 3)["overall"] <= 0.1  # wrong labels: not
    shuffled = quality.fidelity(pred, np.random.default_rng(0).permutation(y), 3)
    assert shuffled["overall"] < 0.7 and shuffled["chance"] == pytest.approx(1 / 3)
    report = quality.report(model, x, y, data.train, data.val, 3)
    # the training set against itself (two size-matched draws): no farther than held-out real segments
    assert report["frechet"]["overall"] <= report["frechet"]["real_floor_ci95"][1]
    assert report["nearest"]["to_train"]["median"] == pytest.approx(0.0, abs=1e-5)


@pytest.mark.slow
def test_paper_gan_run_reports_chance_level_labels(tone_dataset):
    run_id, result = train_gan(tone_dataset, "paper", epochs=1, split="paper")
    assert result["model"] == "paper" and "fidelity_rescaled" in result
    assert result["ranges"]["real"][0] < -20 and result["ranges"]["real"][1] == 0.0
    assert -1 <= result["ranges"]["generated"][0] and result["ranges"]["generated"][1] <= 1
    samples = gan_samples.samples_from(*runs.load_generator(run_id), per_genre=2)
    assert samples.mels is None and samples.x.shape == (6, 40, 128) and samples.y.tolist() == [0, 0, 1, 1, 2, 2]


@pytest.mark.slow
def test_augmented_run_links_its_baseline_and_trains_on_more(tone_dataset):
    gan_id, _ = train_gan(tone_dataset, epochs=1)
    baseline = classifier.submit_classifier(preset("recommended", **CLF), tone_dataset, "tones", preset="recommended")
    classifier.run_classifier(baseline)
    augmented = classifier.submit_augmented(baseline, gan_id, per_genre=4)
    classifier.run_classifier(augmented)
    base, aug = runs.load(baseline), runs.load(augmented)
    assert aug["status"] == "done" and aug["baseline"] == baseline
    assert aug["augment"] == {"gan_run": gan_id, "per_genre": 4}
    assert aug["split"]["test"] == base["split"]["test"]  # paired test set
    assert aug["train_inputs"] == base["train_inputs"] + 3 * 4

    other_seed = classifier.submit_classifier(preset("recommended", **CLF, seed=1), tone_dataset, "tones",
                                         augment={"gan_run": gan_id, "per_genre": 4})
    with pytest.raises(ValueError, match="other training clips"):
        classifier.run_classifier(other_seed)
    assert runs.load(other_seed)["status"] == "failed"


@pytest.mark.slow
def test_paper_samples_join_as_is_on_their_own_scale(tone_dataset):
    gan_id, _ = train_gan(tone_dataset, "paper", epochs=1, split="paper")
    fs = load_features(tone_dataset)
    cfg = preset("paper", **{**CLF, "split": "paper"})
    split = make_split("paper", fs.y, fs.keys, 0)
    data = classifier.prepare_data(fs, split, cfg, FeatureConfig(), {"gan_run": gan_id, "per_genre": 2})
    real, fake = data.train.x[:-6], data.train.x[-6:]
    assert len(real) == len(split.train) and data.train.y[-6:].tolist() == [0, 0, 1, 1, 2, 2]
    assert real.min() < -20 and real.max() == 0.0 and fake.abs().max() <= 1.0  # the study's mismatch, reproduced
    assert data.train.clip_y.shape == (len(split.train) + 6,)
    with pytest.raises(ValueError, match="paper framing"):
        classifier.prepare_data(fs, split, preset("recommended", **{**CLF, "split": "paper"}), FeatureConfig(),
                           {"gan_run": gan_id, "per_genre": 2})


def test_ema_averages_weights_and_keeps_batchnorm_statistics_of_its_own():
    average, model = torch.nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        model.weight.fill_(3.0)
        model.running_mean.fill_(5.0)
    gan_train.ema_update(average, model, decay=0.75)
    assert torch.allclose(average.weight, torch.full((2,), 1.5))  # 0.75 · 1 + 0.25 · 3
    assert torch.equal(average.running_mean, torch.zeros(2))  # not the trained model's statistics

    G = gan.build_gan(gan_preset("conditional", **TINY), 10, 128, 3)[0]
    with torch.no_grad():
        G.project.bias.add_(4.0)  # shifts the first BatchNorm's input: its statistics must follow
    gan_train.recalibrate_batchnorm(G, torch.arange(3).repeat(20), 16, seed=0, batch_size=8)
    first = next(m for m in G.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm))
    assert not G.training and first.running_mean.mean() > 3.0 and first.momentum == 0.1
    assert gan_samples.augment_settings(gan_preset("paper", seed=3)) == {
        "split": "paper", "seed": 3, "framing": "first_frames", "first_frames": 174, "time_pool": 1}


def test_mode_seeking_term_charges_alike_time_structure_and_is_off_by_default():
    za, zb = torch.zeros(4, 8), torch.ones(4, 8)
    same = torch.full((4, 4, 6), 0.3)
    levels = same + torch.linspace(-0.5, 0.5, 6)  # other band levels, the same (flat) movement
    moving = same + 0.3 * torch.tensor([1.0, -1.0, 1.0, -1.0])[:, None]  # other movement, the same levels
    assert gan_train.mode_seeking(same, same, za, zb) > 1e4  # one segment for every noise: ≈ 1 / eps
    assert gan_train.mode_seeking(same, levels, za, zb) > 1e4  # differing only in level counts as alike
    assert gan_train.mode_seeking(same, moving, za, zb) == pytest.approx(1.0 / 0.3, rel=1e-3)  # mean |d − d̄| = 0.3
    assert gan_preset("paper").diversity == 0.0 and gan_preset("conditional").diversity > 0


def test_discriminator_reads_each_bands_spread_and_change():
    x = torch.randn(3, 8, 5)
    stats = gan.band_statistics(x)
    assert stats.shape == (3, 15)
    assert torch.allclose(stats[:, :5], x.mean(dim=1)) and torch.allclose(stats[:, 5:10], x.std(dim=1, correction=0))
    assert torch.allclose(stats[:, 10:], x.diff(dim=1).abs().mean(1))
    D = gan.build_gan(gan_preset("conditional", **TINY), 8, 5, 3)[1]
    scores = D(x, torch.tensor([0, 1, 2]))
    assert scores.shape == (3,) and torch.isfinite(scores).all()
    still = x.mean(dim=1, keepdim=True).expand_as(x)  # the same level in every band, no movement
    assert not torch.allclose(D(still, torch.tensor([0, 1, 2])), scores)
    D.standardise_on(x)  # fit calls this with the real training inputs
    assert torch.allclose(D.stats_mean, stats.mean(dim=0)) and torch.allclose(D.stats_std, stats.std(dim=0) + 1e-3)
    assert not torch.allclose(D(x, torch.tensor([0, 1, 2])), scores)  # the branch now reads standardised statistics


def test_fit_standardises_the_band_statistics_on_the_real_training_inputs():
    x = np.random.default_rng(0).uniform(-1, 1, (8, 16, 12)).astype(np.float32)
    _, D, _ = gan_train.fit(gan_preset("conditional", **{**TINY, "epochs": 1}), x, np.repeat(np.arange(2), 4), 2)
    stats = gan.band_statistics(torch.from_numpy(x))
    assert torch.allclose(D.stats_mean, stats.mean(dim=0)) and torch.allclose(D.stats_std, stats.std(dim=0) + 1e-3)
    assert "stats_mean" in D.state_dict()  # saved in the checkpoint, so a resumed run reads them the same way


def test_resuming_a_state_with_other_layers_names_the_older_version():
    cfg = gan_preset("conditional", **{**TINY, "epochs": 1})
    x = np.random.default_rng(0).uniform(-1, 1, (8, 16, 12)).astype(np.float32)
    y = np.repeat(np.arange(2), 4)
    states: list[dict] = []
    gan_train.fit(cfg, x, y, 2, checkpoint=states.append)
    older = {**states[-1], "generator": {f"older.{k}": v for k, v in states[-1]["generator"].items()}}
    unstandardised = {**states[-1], "discriminator": {k: v for k, v in states[-1]["discriminator"].items()
                                                      if not k.startswith("stats_")}}  # saved before standardise_on
    for state in (older, unstandardised):
        with pytest.raises(gan.IncompatibleCheckpoint, match="other layers, so it cannot carry on"):
            gan_train.fit(dataclasses.replace(cfg, epochs=2), x, y, 2, resume=state)


def _textbook_epoch(cfg, G, G_avg, D, opt_g, opt_d, xs, ys, gen):
    """One epoch the plain way: fakes detached for the discriminator, every network's gradients kept."""
    for i in range(0, len(xs), cfg.batch_size):
        real, yb = xs[i:i + cfg.batch_size], ys[i:i + cfg.batch_size]
        z = torch.randn(len(yb), cfg.z_dim, generator=gen)
        d_loss = gan_train._losses(cfg.model, D(real, yb), D(G(z, yb).detach(), yb))[0]
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        z = torch.randn(len(yb), cfg.z_dim, generator=gen)
        if cfg.diversity > 0:
            z2 = torch.randn(len(yb), cfg.z_dim, generator=gen)
            fake = G(torch.cat([z, z2]), torch.cat([yb, yb]))
            g_loss = gan_train._g_loss(cfg.model, D(fake, torch.cat([yb, yb])))
            g_loss = g_loss + cfg.diversity * gan_train.mode_seeking(*fake.chunk(2), z, z2)
        else:
            g_loss = gan_train._g_loss(cfg.model, D(G(z, yb), yb))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        if cfg.ema > 0:
            gan_train.ema_update(G_avg, G, cfg.ema)
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "d_real": 0.0, "d_fake": 0.0}


@pytest.mark.parametrize("name", ["paper", "conditional"])
def test_training_repeats_from_its_seed_bit_for_bit_and_matches_the_textbook_steps(name, monkeypatch):
    cfg = gan_preset(name, **{**TINY, "first_frames": 16, "seed": 5})
    x = np.random.default_rng(0).uniform(-1, 1, (24, 16, 12)).astype(np.float32)
    y = np.repeat(np.arange(3), 8)
    weights = lambda G, D: {**G.state_dict(), **{f"D.{k}": v for k, v in D.state_dict().items()}}  # noqa: E731
    first, second = (weights(*gan_train.fit(cfg, x, y, 3)[:2]) for _ in range(2))
    assert all(torch.equal(first[k], second[k]) for k in first)
    other = weights(*gan_train.fit(dataclasses.replace(cfg, seed=6), x, y, 3)[:2])
    assert not all(torch.equal(first[k], other[k]) for k in first)  # the seed matters: the test could fail
    monkeypatch.setattr(gan_train, "_epoch", _textbook_epoch)
    textbook = weights(*gan_train.fit(cfg, x, y, 3)[:2])
    assert all(torch.equal(first[k], textbook[k]) for k in first)  # the fast steps change no number


def test_a_checkpoint_is_due_once_writing_it_takes_at_most_its_share_of_the_time():
    assert gan_run.checkpoint_due(0.0, None, 0.05)  # nothing written yet
    assert not gan_run.checkpoint_due(18.0, 1.0, 0.05)  # 1 s of writing in 19 s: 5.3 %
    assert gan_run.checkpoint_due(19.0, 1.0, 0.05)  # 1 s in 20 s: 5 %
    assert not gan_run.checkpoint_due(1e6, 1e-3, 0.0)


@pytest.mark.slow
def test_checkpoints_skipped_between_epochs_are_written_when_the_run_stops_and_at_its_end(tone_dataset, monkeypatch):
    monkeypatch.setattr(gan_run, "CHECKPOINT_SHARE", 0.0)  # every write counts as too dear: only the ones that must
    written = []
    save = runs.save_tensors
    monkeypatch.setattr(runs, "save_tensors", lambda run_id, name, obj: (
        written.append(obj["epoch"]) if name == "checkpoint" else None, save(run_id, name, obj))[1])
    run_id, result = train_gan(tone_dataset, epochs=3)
    assert written == [1, 3] and result["epoch"] == 3
    written.clear()
    cut = gan_run.submit_gan(gan_preset("conditional", **{**TINY, "epochs": 4}), tone_dataset, "tones")

    def killed_after_the_second_epoch(p):
        if p["phase"] == "gan" and p["epoch"] == 2:
            raise SystemExit("killed")

    with pytest.raises(SystemExit):
        gan_run.run_gan(cut, progress=killed_after_the_second_epoch)
    assert written == [1, 2] and runs.load_tensors(runs.run_path(cut) / "checkpoint.pt")["epoch"] == 2


def test_only_the_paper_gan_s_large_networks_take_fused_adam():
    x = np.random.default_rng(0).uniform(-1, 1, (8, 16, 12)).astype(np.float32)
    for name, fused in (("paper", True), ("conditional", None)):
        states: list[dict] = []
        gan_train.fit(gan_preset(name, **{**TINY, "first_frames": 16, "epochs": 1}), x, np.repeat(np.arange(2), 4), 2,
                      checkpoint=states.append)
        assert [states[-1][k]["param_groups"][0]["fused"] or None for k in ("opt_g", "opt_d")] == [fused, fused]


def test_a_paper_gan_resumed_from_its_first_epoch_ends_as_one_trained_without_a_stop():
    cfg = gan_preset("paper", **{**TINY, "first_frames": 16, "epochs": 2})
    x = np.random.default_rng(0).uniform(-1, 1, (8, 16, 12)).astype(np.float32)
    y = np.repeat(np.arange(2), 4)
    states: list[dict] = []
    G, D, _ = gan_train.fit(cfg, x, y, 2, checkpoint=lambda s: states.append(copy.deepcopy(s)))
    G2, D2, _ = gan_train.fit(cfg, x, y, 2, resume=states[0])
    assert all(torch.equal(a, b) for a, b in zip([*G.state_dict().values(), *D.state_dict().values()],
                                                 [*G2.state_dict().values(), *D2.state_dict().values()]))
