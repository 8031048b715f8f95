"""Settings forms: fields grouped, those that do not apply hidden, changes from the preset marked and reset."""

import pytest
from core.base import config



def test_fields_are_grouped_and_know_when_they_apply():
    paper, recommended = config.preset("paper"), config.preset("recommended")
    groups = config.form_groups(recommended, skip=("seed",))
    assert list(groups) == ["Data and framing", "Model", "Optimisation"]
    assert groups["Data and framing"][:2] == ["framing", "first_frames"] and "split" in groups["Data and framing"]
    assert "hidden_size" in groups["Model"] and "lr" in groups["Optimisation"] and "seed" not in sum(groups.values(), [])
    assert not config.applies(recommended, "first_frames") and config.applies(paper, "first_frames")
    assert config.applies(recommended, "segment_overlap") and not config.applies(paper, "segment_seconds")
    for model, unused in (("paper", {"segment_seconds", "width", "scale", "ema", "diversity"}), ("conditional", {"first_frames"})):
        gan = config.gan_preset(model)
        assert {f.name for f in config.fields(gan) if not config.applies(gan, f.name)} == unused
    assert config.changes(config.preset("recommended", epochs=5), recommended) == {"epochs": (recommended.epochs, 5)}


@pytest.mark.slow
def test_train_form_hides_what_does_not_apply_marks_changes_and_resets(app_on_tones):
    at = app_on_tones
    at.query_params.update(preset="recommended", epochs="5")
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    keys = {s.key for s in at.slider}
    assert "cfg-recommended-segment_seconds" in keys and "cfg-recommended-first_frames" not in keys
    assert [m.value for m in at.markdown if m.value.startswith("**")][:3] == [
        "**Data and framing**", "**Model**", "**Optimisation**"]
    marks = [c.value for c in at.caption if "changed: preset" in c.value]
    assert marks == [f":orange[● changed: preset {config.preset('recommended').epochs}]"]
    assert any(f"Changed from the preset: epochs {config.preset('recommended').epochs} → 5" in c.value for c in at.caption)

    at.selectbox(key="cfg-recommended-framing").set_value("first_frames").run()
    keys = {s.key for s in at.slider}
    assert "cfg-recommended-first_frames" in keys and "cfg-recommended-segment_seconds" not in keys
    assert at.query_params["framing"] == "first_frames"

    at.button(key="cfg-recommended-reset").click().run()
    assert not at.exception
    assert not any("changed: preset" in c.value for c in at.caption)
    assert at.slider(key="cfg-recommended-epochs").value == config.preset("recommended").epochs
    assert "epochs" not in at.query_params
    assert at.selectbox(key="cfg-recommended-framing").value == "segments"


@pytest.mark.slow
def test_gan_form_hides_the_fields_its_model_ignores(app_on_tones):
    at = app_on_tones
    at.query_params["preset"] = "paper"
    at.switch_page("app_pages/gan.py").run()
    assert not at.exception
    keys = {s.key for s in at.slider} | {s.key for s in at.select_slider}
    assert "gan-paper-first_frames" in keys and not {"gan-paper-width", "gan-paper-scale", "gan-paper-ema"} & keys
