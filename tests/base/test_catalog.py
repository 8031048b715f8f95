import pytest

from core.base import catalog


def test_allow_list_parsing(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "plain").mkdir()
    monkeypatch.setenv("GENRELAB_DATASETS", f" mine={tmp_path / 'a'} ; {tmp_path / 'plain'};gone={tmp_path / 'nope'}")
    assert catalog.allow_listed() == {"mine": tmp_path / "a", "plain": tmp_path / "plain"}
    assert catalog.available()[:3] == ["demo", "mine", "plain"]
    assert catalog.resolve("mine") == tmp_path / "a"


@pytest.mark.parametrize("name", ["/etc", "../..", "gone", "upload: ../../etc"])
def test_a_browser_cannot_open_other_folders(tmp_path, monkeypatch, name):
    monkeypatch.setenv("GENRELAB_DATASETS", f"gone={tmp_path / 'nope'}")
    with pytest.raises(KeyError, match="no dataset named"):
        catalog.resolve(name)


def test_a_lessons_check_is_on_real_recordings_from_elsewhere(tmp_path, monkeypatch):
    """The lesson checks on what check_targets offers first, never on the generated demo set (it shares no genre
    with real music) nor on the set it trained on; an uploaded collection counts."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("GENRELAB_DATASETS", f"a={tmp_path / 'a'}")
    assert catalog.lesson_check_target("a") is None and catalog.lesson_check_target("demo") == "a"
    (catalog.uploads_dir() / "mine").mkdir()
    assert catalog.lesson_check_target("a") == "upload: mine"  # not only the operator's list
    monkeypatch.setenv("GENRELAB_DATASETS", f"a={tmp_path / 'a'};b={tmp_path / 'b'}")
    assert catalog.lesson_check_target("b") == "a" and catalog.lesson_check_target("upload: mine") == "a"
