"""The one way an accuracy is written (core.base.percent), and that every place that writes one uses it."""

from core.base import measured
from core.base.percent import percent, with_interval
from core.usecases import model_choice


def test_an_accuracy_is_written_with_its_interval_and_counts():
    acc = {"value": 53 / 101, "lo": 0.428, "hi": 0.619, "correct": 53, "n": 101}
    assert percent(0.8333) == "83 %" and percent(0.8333, 1) == "83.3 %"
    assert with_interval(acc) == "52 % (95 % CI 43–62 %)"
    assert with_interval(acc, decimals=1, counts=True) == "52.5 % (95 % CI 42.8–61.9 %, 53 of 101 clips)"
    assert with_interval({"value": 0.26, "lo": None, "hi": None}) == "26 %"


def test_figures_checks_and_sentences_share_the_format():
    fig = measured.Figure("k", 0.26, 0.2, 0.34, 147, "checked on musifeast-7", "abc", "today", None)
    assert fig.text() == "26 % (95 % CI 20–34 %)"
    check = {"accuracy": {"value": 0.56, "lo": 0.48, "hi": 0.64, "correct": 82, "n": 147},
             "dataset": {"name": "musifeast-7"}}
    assert model_choice.check_figure(check) == "56 % (95 % CI 48–64 %) of 147 clips of musifeast-7"
