"""Settings forms: fields grouped, those that do not apply hidden, changes from the preset marked and reset; labels
and help in words, ranges from the config's bounds, no number in exponent notation."""

import pytest
from core.base import config, form

FORMS = (config.preset("paper"), config.preset("recommended"), config.preset("classic"), config.preset("pretrained"),
         config.gan_preset("paper"), config.gan_preset("conditional"))


def test_fields_are_grouped_and_know_when_they_apply():
    paper, recommended = config.preset("paper"), config.preset("recommended")
    groups = form.groups(recommended, skip=("seed",))
    assert list(groups) == ["Data and framing", "Model", "Optimisation"]
    assert groups["Data and framing"][:2] == ["framing", "first_frames"] and "split" in groups["Data and framing"]
    assert ("hidden_size" in groups["Model"] and "lr" in groups["Optimisation"]
            and "seed" not in sum(groups.values(), []))
    assert not form.applies(recommended, "first_frames") and form.applies(paper, "first_frames")
    assert form.applies(recommended, "segment_overlap") and not form.applies(paper, "segment_seconds")
    for model, unused in (("paper", {"segment_seconds", "width", "scale", "ema", "diversity"}),
                          ("conditional", {"first_frames"})):
        gan = config.gan_preset(model)
        assert {f.name for f in config.fields(gan) if not form.applies(gan, f.name)} == unused
    assert form.changes(config.preset("recommended", epochs=5), recommended) == {"epochs": (recommended.epochs, 5)}


@pytest.mark.slow
def test_train_form_hides_what_does_not_apply_marks_changes_and_resets(app_on_tones):
    at = app_on_tones
    at.query_params.update(preset="recommended", epochs="5")
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    keys = {s.key for s in at.slider} | {n.key for n in at.number_input}
    assert "cfg-recommended-segment_seconds" in keys and "cfg-recommended-first_frames" not in keys
    assert [m.value for m in at.markdown if m.value.strip("*") in form.GROUPS.values()][:3] == [
        "**Data and framing**", "**Model**", "**Optimisation**"]
    marks = [c.value for c in at.caption if "changed: preset" in c.value]
    assert marks == [f":orange[● changed: preset {config.preset('recommended').epochs}]"]
    assert any(f"Changed from the preset: training epochs {config.preset('recommended').epochs} → 5" in c.value
               for c in at.caption)

    at.selectbox(key="cfg-recommended-framing").set_value("first_frames").run()
    keys = {s.key for s in at.slider} | {n.key for n in at.number_input}
    assert "cfg-recommended-first_frames" in keys and "cfg-recommended-segment_seconds" not in keys
    assert at.query_params["framing"] == "first_frames"

    at.button(key="cfg-recommended-reset").click().run()
    assert not at.exception
    assert not any("changed: preset" in c.value for c in at.caption)
    assert at.number_input(key="cfg-recommended-epochs").value == config.preset("recommended").epochs
    assert "epochs" not in at.query_params
    assert at.selectbox(key="cfg-recommended-framing").value == "segments"


@pytest.mark.slow
def test_gan_form_hides_the_fields_its_model_ignores(app_on_tones):
    at = app_on_tones
    at.query_params["preset"] = "paper"
    at.switch_page("app_pages/gan.py").run()
    assert not at.exception
    keys = {s.key for s in at.slider} | {s.key for s in at.select_slider}
    keys |= {s.key for s in at.number_input}
    assert "gan-paper-first_frames" in keys and not {"gan-paper-width", "gan-paper-scale", "gan-paper-ema"} & keys


def test_every_field_has_a_label_in_words_and_one_sentence_of_help_naming_it():
    for cfg in FORMS:
        for f in config.fields(cfg):
            w = form.widget(cfg, f.name)
            assert w.label and w.label not in (f.name, f.name.replace("_", " ")), (type(cfg).__name__, f.name)
            assert w.help.endswith(f"(Setting `{f.name}`.)") and (w.help[0].isupper() or w.help[0] == "'")
            sentence = w.help.removesuffix(f" (Setting `{f.name}`.)")
            assert sentence.count(". ") == 0 and len(sentence) < 260, f.name  # one sentence
    jargon = ("AdamW", "Beta(", "L2", "inverse", "gradient-norm")
    assert not [f.name for cfg in FORMS for f in config.fields(cfg) if any(j in f.metadata["help"] for j in jargon)]


def test_ranges_come_from_the_bounds_and_zero_means_off_on_a_linear_slider():
    for cfg in FORMS:
        for f in config.fields(cfg):
            w, meta = form.widget(cfg, f.name), f.metadata
            if w.kind in ("slider", "number"):
                assert (w.lo, w.hi) == (meta["lo"], meta["hi"]), f.name
            if w.kind == "steps":
                assert (w.options[0], w.options[-1]) == (meta["lo"], meta["hi"]) and getattr(cfg, f.name) in w.options
    recommended = config.preset("recommended")
    for name in ("dropout", "mixup", "eq_augment", "pitch_augment", "weight_decay"):
        w = form.widget(recommended, name)
        assert w.kind == "slider" and w.lo == 0.0, name
        position = (getattr(recommended, name) - w.lo) / (w.hi - w.lo)
        assert position < 0.6, (name, position)  # a sensible value does not look maxed out
    assert form.widget(recommended, "epochs").kind == "number"  # 1-500 is no slider
    assert form.widget(recommended, "lr").kind == "steps"


def test_no_number_a_form_shows_is_in_exponent_notation():
    assert form.plain(5e-5) == "0.00005" and form.plain(1e-6) == "0.000001" and form.plain(0.1 + 0.2) == "0.3"
    assert form.plain(100.0) == "100" and form.plain(0.0) == "0" and form.plain(True) == "True"
    shown = []
    for cfg in FORMS:
        for f in config.fields(cfg):
            w = form.widget(cfg, f.name)
            shown += [form.plain(v) for v in (getattr(cfg, f.name), *w.options)]
            if w.kind == "slider":
                shown += [w.fmt % v for v in (w.lo, w.hi, w.step, getattr(cfg, f.name))]
                assert w.fmt % w.hi == form.plain(float(w.hi)) or float(w.fmt % w.hi) == w.hi, f.name
    assert shown and not [s for s in shown if "e-" in s or "e+" in s]
