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
