"""Configs are checked by the pydantic model built from their fields' bounds (core.base.config.model)."""

import dataclasses
import subprocess
import sys

import pytest

from core.base import config

CONFIGS = (config.FeatureConfig, config.ClassifierConfig, config.ClassicConfig, config.PretrainedConfig,
           config.GANConfig)


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
def test_every_default_lies_within_its_own_bounds(cls):
    checked = config.model(cls)()  # validate_default: a default outside its bounds or choices would raise here
    assert dict(checked) == dataclasses.asdict(cls())
    for f in dataclasses.fields(cls):
        if f.metadata.get("lo") is not None:
            assert f.metadata["lo"] < f.metadata["hi"] and type(f.metadata["lo"]) in (int, float)


def test_bounds_and_choices_come_from_the_fields():
    schema = config.model(config.ClassifierConfig).model_json_schema()["properties"]
    assert (schema["lr"]["minimum"], schema["lr"]["maximum"]) == (1e-5, 1e-1)
    assert schema["framing"]["enum"] == ["segments", "first_frames"]


@pytest.mark.parametrize(("overrides", "message"), [
    (["epochs=0"], "epochs=0 is below its minimum 1"), ({"dropout": 0.9}, "dropout=0.9 is above its maximum 0.8"),
    ({"lr": float("inf")}, "lr=inf is not a finite number"),
    (["hidden_size=big"], "hidden_size=big is not a valid int"),
    (["pooling=max"], "pooling=max: choose one of 'last' or 'mean'"), (["epochs"], "'epochs': expected key=value"),
    (["nope=1", "epochs=2"], "unknown setting(s) ['nope']; known: ['batch_size', "),
])
def test_bad_settings_say_which_and_why(overrides, message):
    with pytest.raises(config.ConfigError) as err:
        config.with_overrides(config.preset("recommended"), overrides)
    assert str(err.value).startswith(message)


def test_text_is_coerced_to_each_fields_type():
    cfg = config.with_overrides(config.preset("paper"), ["epochs= 7", "bidirectional=yes", "lr=0.002", "epochs=8.0"])
    assert (cfg.epochs, cfg.bidirectional, cfg.lr) == (8, True, 0.002) and isinstance(cfg.epochs, int)


def test_reading_configs_does_not_import_pydantic():
    code = ("import sys; from core.base import config, form; from core.storage import runs; "
            "config.PRESETS['paper']; config.fields(config.ClassifierConfig); "
            "assert 'pydantic' not in sys.modules, 'pydantic imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
