"""A teaching app, not a notebook: pages are layout and widgets, their teaching text lives in content files beside
them, the figures it quotes come from bench/results.json with what they were measured on, and every term a student
meets has a glossary entry that the page using it offers."""

import json
import re
from pathlib import Path

import pytest

from app_pages import teaching
from core.base import measured

PAGES = Path(__file__).resolve().parents[2] / "app_pages"
TYPED_PERCENT = re.compile(r"(?<![\d.:{])\d+(?:\.\d+)?\s?%")  # '27 %', '52.5%'; not a format spec like {p:.0%}
DEFINITIONS = {"95%", "50%", "100%"}  # a confidence level, chance between two, everything: no measurement
FRACTION_FORMAT = re.compile(r":\.\d+%\}|\.replace\(\"%\"")  # '{acc:.1%}', '.replace("%", " %")'
BENCH_SCRIPT = re.compile(r"bench/\w+\.py|\bbench_\w+")
TERMS = ("LSTM", "log-mel", "McNemar", "hinge", "Fréchet", "Griffin-Lim", "TSTR", "C2ST", "confidence interval",
         "transfer learning", "pretrained ear", "embedding")


def test_no_page_source_types_in_a_figure_or_names_a_bench_script():
    found = []
    for page in sorted(PAGES.glob("*.py")):
        source = page.read_text()
        found += [(page.name, m.group()) for m in TYPED_PERCENT.finditer(source)
                  if m.group().replace(" ", "") not in DEFINITIONS]
        found += [(page.name, m.group()) for m in BENCH_SCRIPT.finditer(source)]
    assert not found


def test_no_page_formats_a_fraction_itself_but_through_core_base_percent():
    found = [(page.name, m.group()) for page in sorted(PAGES.glob("*.py"))
             for m in FRACTION_FORMAT.finditer(page.read_text())]
    assert not found
    assert FRACTION_FORMAT.findall('st.metric(label, f"{acc[\'value\']:.1%}") f"({p:.0%})".replace("%", " %")') == [
        ":.1%}", ":.0%}", '.replace("%"']


def test_the_check_would_catch_the_old_train_caption():
    old = ('"named 27 % of the clips correctly (95 % CI 21–35 %; bench/bench_classic.py) and the recommended LSTM '
           '23 % (17–31 %; bench/bench_generalise.py)"')
    assert [m.group() for m in TYPED_PERCENT.finditer(old) if m.group().replace(" ", "") not in DEFINITIONS] == [
        "27 %", "35 %", "23 %", "31 %"]
    assert BENCH_SCRIPT.findall(old) == ["bench/bench_classic.py", "bench/bench_generalise.py"]
    assert not TYPED_PERCENT.findall('f"{acc:.1%} and {p:.0%}"')


def test_every_quoted_figure_is_read_from_results_with_what_it_was_measured_on():
    quoted = 0
    for content in sorted((PAGES / "content").glob("*.md")):
        for name, body in teaching.sections(content.stem).items() if content.stem != "glossary" else ():
            filled, figures = measured.fill(body)
            assert "{fig:" not in filled, (content.name, name)
            for fig in figures:
                entry = measured.figure(fig.key)
                value = entry["value"] if not isinstance(entry["value"], dict) else (
                    entry["value"].get("value", entry["value"].get("mean")))
                assert fig.value == value and fig.text() in filled
                assert fig.measured_on and fig.commit == entry["commit"] and "trained on" in measured.provenance(fig)
            quoted += len(figures)
    assert quoted >= 2  # Train quotes the recommended LSTM's and the pretrained ear's check on other music


def test_pages_quote_the_figure_over_seeds_wherever_the_benchmark_measured_one():
    results = json.loads(measured.RESULTS.read_text())
    quoted = []
    for content in sorted((PAGES / "content").glob("*.md")):
        quoted += measured.PLACEHOLDER.findall(content.read_text())
    for key in quoted:
        entry, script = results[key], key.split("/")[0]
        over_seeds = [other for other, e in results.items() if other.startswith(script + "/") and "seed" in entry
                      and entry["seed"] in (e.get("seeds") or ()) and e.get("checked_on") == entry.get("checked_on")]
        assert not over_seeds, f"{key} rests on one training; quote {over_seeds} instead"
    assert {"bench_generalise/recommended_musifeast7_seeds", "bench_pretrained/pretrained_check_musifeast_seeds"} <= (
        set(quoted))


def test_the_seeds_check_would_catch_the_old_train_text():
    results = json.loads(measured.RESULTS.read_text())
    single = results["bench_generalise/recommended_musifeast7_accuracy"]
    assert single["seed"] in results["bench_generalise/recommended_musifeast7_seeds"]["seeds"]
    assert single["checked_on"] == results["bench_generalise/recommended_musifeast7_seeds"]["checked_on"]


def test_a_figure_results_json_does_not_hold_is_an_error_not_a_made_up_number():
    with pytest.raises(measured.MissingFigure):
        measured.fill("the LSTM scored {fig:bench_nothing/never_measured}")


def test_every_term_has_a_glossary_entry():
    glossary = teaching.glossary()
    for term in TERMS:
        assert teaching.terms_in(term), term
    assert all(len(explanation.split()) >= 15 for _, explanation in glossary.values())
    assert teaching.terms_in("a 95 % CI") == ["confidence interval"]


def test_pages_offer_an_explanation_of_every_term_they_use():
    for page in ("home", "dataset", "train", "gan", "compare", "predict"):
        source = (PAGES / f"{page}.py").read_text() + (PAGES / "content" / f"{page}.md").read_text()
        offered = teaching.terms_in((PAGES / "content" / f"{page}.md").read_text())
        assert set(teaching.terms_in(source)) <= set(offered), page
        assert f'teaching.words_popover("{page}")' in (PAGES / f"{page}.py").read_text()


@pytest.mark.slow
def test_train_page_explains_its_words_and_says_where_its_figures_come_from(app_on_tones):
    at = app_on_tones.switch_page("app_pages/train.py").run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "**LSTM**: A long short-term memory network" in shown and "**transfer learning**" in shown
    carry = next(c.value for c in at.caption if "musifeast-7" in c.value)
    fig = measured.accuracy("bench_generalise/recommended_musifeast7_seeds")
    assert fig.text() in carry and "mean over seeds 0–2 (range " in carry and "bench" not in carry
    where = next(e for e in at.expander if e.label == "Where these figures come from")
    assert any(fig.commit in c.value and "trained on gtzan-mini" in c.value and "one training per seed, seeds 0–2"
               in c.value for c in where.caption)


@pytest.mark.slow
def test_the_train_page_says_not_measured_yet_when_results_json_lacks_a_figure(app_on_tones, tmp_path, monkeypatch):
    results = tmp_path / "results.json"
    results.write_text('{"bench_pretrained/pretrained_check_musifeast_seeds": {"value": {"mean": 0.6, "min": 0.52, '
                       '"max": 0.67}, "seeds": [0, 1, 2], "checked_on": "musifeast-7", "commit": "abc1234"}}')
    monkeypatch.setattr(measured, "RESULTS", results)
    at = app_on_tones.switch_page("app_pages/train.py").run()
    assert not at.exception
    carry = next(c.value for c in at.caption if "musifeast-7" in c.value)
    assert ("the recommended LSTM named (not measured yet) of the clips" in carry
            and "60.0 % mean over seeds 0–2 (range 52.0–67.0 %)" in carry)
    results.unlink()
    at = app_on_tones.switch_page("app_pages/train.py").run()
    assert not at.exception and "the pretrained ear named (not measured yet)" in " ".join(c.value for c in at.caption)


@pytest.mark.slow
def test_the_glossary_page_lists_every_entry(app_on_tones):
    at = app_on_tones.switch_page("app_pages/glossary.py").run()
    assert not at.exception
    assert [s.value for s in at.subheader] == list(teaching.glossary())
