"""User text is shown as text, ids from a URL are checked before any path is built, and each
page opens only its own kinds of run."""

import numpy as np
import pytest

from core.orchestration import lesson
from core.storage import runs, store
from core.cli import main
from core.base.usertext import as_markdown
from helpers import fake_run

HOSTILE = "![p](http://evil.invalid/x.png) [Log in again](http://evil.invalid/p)"
BAD_IDS = ["x", "20261207-010203-clf-zzzz", "\x00", "a" * 10_000, "../etc", "20261207-010203-clf-0a1b/../x",
           "20261207-010203-clf-0a1b\x00"]


# ------------------------------------------------------------------ the helper

def test_markdown_specials_are_escaped_and_line_breaks_flattened():
    wj = "\u2060"  # GFM finds autolinks after escapes are undone: an invisible word joiner breaks them
    assert as_markdown(HOSTILE) == (rf"!\[p\](http{wj}\://evil.invalid/x.png) "
                                    rf"\[Log in again\](http{wj}\://evil.invalid/p)")
    assert as_markdown(":red[x] :smile: $y$ <img src=a> `c` *b* _i_ __init__ # h | t ~s~ &amp; a@b.co www.x.com") == (
        r"\:red\[x\] \:smile: \$y\$ \<img src=a\> \`c\` \*b\* \_i\_ \_\_init\_\_ \# h \| t \~s\~ \&amp; "
        f"a{wj}@b.co www{wj}.x.com")
    assert as_markdown("upload: R&B, hidden_size=16!") == "upload: R&B, hidden_size=16!"
    assert as_markdown("first\nsecond\r\nthird") == "first second third"
    assert as_markdown("tiny model on tones, seed 0 (3 + 4 - 1).wav") == "tiny model on tones, seed 0 (3 + 4 - 1).wav"


# ------------------------------------------------------------------ names and ids

@pytest.mark.parametrize("name", ["two\nlines", "carriage\rreturn", "nul\x00byte", "sep\u2028line"])
def test_names_with_line_breaks_or_control_characters_are_refused(name, capsys):
    run_id = fake_run("fine", np.array([True, False]))
    with pytest.raises(runs.RunError, match="line breaks or other control characters"):
        runs.rename(run_id, name)
    with pytest.raises(runs.RunError, match="line breaks or other control characters"):
        runs.create("clf", name, {}, dataset={"name": "tones"})
    assert main(["runs", "rename", run_id, name]) == 2
    assert "line breaks" in capsys.readouterr().err and runs.load(run_id)["name"] == "fine"


@pytest.mark.parametrize("bad", BAD_IDS)
def test_every_id_is_checked_before_a_path_is_built(bad):
    with pytest.raises(runs.RunError, match="is not a run id") as err:
        runs.load(bad)
    assert len(str(err.value)) < 80
    with pytest.raises(lesson.LessonError, match="is not a lesson id"):
        lesson.load(bad)


def test_read_json_of_a_name_too_long_is_the_default(tmp_path):
    assert store.read_json(tmp_path / ("a" * 10_000 + ".json"), "default") == "default"


# ------------------------------------------------------------------ the pages

def texts(at, kind: str) -> str:
    return " ".join(e.value for e in getattr(at, kind))


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["x", "20261207-010203-clf-0a1b", "\x00", "a" * 10_000])
def test_an_unknown_lesson_in_the_url_leaves_home_whole(app_on_tones, bad):
    at = app_on_tones
    at.query_params["lesson"] = bad
    at.run()
    assert not at.exception
    assert "This link's lesson cannot be shown" in texts(at, "warning")
    assert [s.value for s in at.subheader][-2:] == ["Start here", "Runs"]  # the rest of Home is drawn


@pytest.mark.slow
@pytest.mark.parametrize("page", ["train", "gan"])
@pytest.mark.parametrize("bad", ["\x00", "x", "a" * 10_000, "20261207-010203-gan-0a1b"])
def test_a_bad_run_id_in_the_url_is_a_warning(app_on_tones, page, bad):
    at = app_on_tones
    at.query_params["run"] = bad
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception and "That run cannot be opened" in texts(at, "warning")


@pytest.mark.slow
@pytest.mark.parametrize("page, kind", [("train", "gan"), ("train", "exp"), ("gan", "clf"), ("gan", "chk")])
def test_a_page_opens_only_its_own_kind_and_links_to_the_right_page(app_on_tones, page, kind):
    clf = fake_run("a classifier", np.array([True, False]))
    config = {"run": clf, "map": {}} if kind == "chk" else {"seed": 0}
    other = clf if kind == "clf" else runs.create(kind, f"a {kind} run", config, dataset={"name": "tones"},
                                                  **({"cells": {}, "gans": {}} if kind == "exp" else {}))
    runs.update(other, status="done")
    at = app_on_tones
    at.query_params["run"] = other
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception and "which this page does not show" in texts(at, "info")
    (link,) = [e for e in at.get("page_link") if e.proto.page != "glossary"]  # the popover's Glossary link aside
    target = {"gan": "gan", "exp": "compare", "clf": "train", "chk": "train"}[kind]
    assert link.proto.page == target
    assert (clf if kind == "chk" else other) in link.proto.query_string


@pytest.mark.slow
def test_a_hostile_run_name_is_escaped_on_train_compare_home_and_the_delete_confirmation(app_on_tones):
    a = fake_run("plain", np.array([True, False, True]))
    b = fake_run("other", np.array([True, True, False]))
    runs.rename(a, HOSTILE)
    shown = as_markdown(HOSTILE)
    at = app_on_tones
    at.query_params["run"] = a
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and at.subheader[0].value == shown
    at.button(key=f"delete-{a}").click().run()
    assert f"Delete **{shown}** and all its files?" in texts(at, "warning")
    at.query_params["runs"] = f"{a},{b}"
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception
    assert shown in list(at.table[0].value["run"])  # Compare's runs table, lettered A, B
    runs.update(a, status="queued")
    at.switch_page("app_pages/home.py").run()
    assert not at.exception and f"**{shown}**" in texts(at, "markdown")


@pytest.mark.slow
def test_a_hostile_collection_name_is_escaped_in_a_checks_caption_and_sentence(app_on_tones):
    from helpers import checked

    a = fake_run("plain", np.array([True, False, True]))
    checked(a, 0.5, dataset=HOSTILE)
    at = app_on_tones
    at.query_params["run"] = a
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    shown = [c.value for c in at.caption] + [i.value for i in at.info]
    assert any(f"of 147 clips) on {as_markdown(HOSTILE)}: every clip" in c for c in shown)  # the caption
    assert f"from another collection ({as_markdown(HOSTILE)})." in " ".join(i.value for i in at.info)  # the sentence
    assert not [t for t in shown if "again](http" in t]  # no link survives unescaped anywhere


@pytest.mark.slow
def test_a_hostile_gan_run_name_is_escaped_on_the_gan_page(app_on_tones):
    gan = runs.create("gan", "a GAN", {"seed": 0}, dataset={"name": "tones"})
    runs.update(gan, status="cancelled")
    runs.rename(gan, HOSTILE)
    at = app_on_tones
    at.query_params["run"] = gan
    at.switch_page("app_pages/gan.py").run()
    assert not at.exception and as_markdown(HOSTILE) in [s.value for s in at.subheader]
