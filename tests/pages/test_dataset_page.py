import json
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.usecases.unpack import unpack_zip
from helpers import write_tone

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture(autouse=True)
def _no_demo(monkeypatch):
    """The demo set is never generated here: every test selects a small dataset through the URL."""
    monkeypatch.setattr("core.base.demo.make_demo_dataset", lambda **_: pytest.fail("the demo set was generated"))


def dataset_app(monkeypatch, datasets: str, name: str) -> AppTest:
    monkeypatch.setenv("GENRELAB_DATASETS", datasets)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["dataset"] = name
    return at.switch_page("app_pages/dataset.py").run()


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def markdowns(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def specs(at: AppTest) -> str:
    """Every plotly chart's figure JSON on the page, joined."""
    return " ".join(c.proto.spec for c in at.get("plotly_chart"))


@pytest.mark.slow
def test_dataset_page_shows_balance_scan_report_and_clips(tone_dataset, monkeypatch):
    (tone_dataset / "low" / "broken.wav").write_bytes(b"this is not audio" * 20)
    (tone_dataset / "mid" / "notes.txt").write_text("liner notes")
    at = dataset_app(monkeypatch, f"tones={tone_dataset}", "tones")
    assert not at.exception
    assert "**12** usable clips · **3** genres · **0.4 min** of audio · **2** files skipped" in markdowns(at)
    assert "Measured on tones (12 clips): the largest genre has 1.00×" in captions(at)
    balance = next(c for c in at.get("plotly_chart") if '"clips"' in c.proto.spec)
    assert '"y":[4,4,4]' in balance.proto.spec.replace(" ", "")

    report = next(e for e in at.expander if e.label.startswith("Scan report"))
    assert report.label == "Scan report: 2 of 14 files skipped"
    assert not at.dataframe  # a closed report's tables are drawn when it is opened
    at.session_state["scan_report"] = True  # what a click on its label does
    at.run()
    files = at.dataframe[1].value
    assert set(files["file"]) == {"low/broken.wav", "mid/notes.txt"}
    assert "not an audio file (.txt)" in set(files["reason"])

    picker = at.selectbox(key="browse_clip-high")
    assert picker.value is None and picker.placeholder == "Pick a clip to hear it and see its log-mel spectrogram"
    assert not at.get("audio") and "log-mel spectrogram" not in specs(at)  # drawn once a clip is picked
    picker.select_index(0).run()
    assert len(at.get("audio")) == 1 and "**high/high.00000** · 2.0 s" in captions(at)
    assert "log-mel spectrogram" in specs(at)
    at.selectbox(key="browse_genre").set_value("mid").run()
    assert not at.get("audio")  # another genre: its clip is picked anew
    at.selectbox(key="browse_clip-mid").select_index(2).run()
    assert not at.exception
    assert len(at.get("audio")) == 1 and "**mid/mid.00002** · 2.0 s" in captions(at)

    assert [t.label for t in at.tabs] == ["Mean spectrogram per genre", "Map of the clips"]
    assert "high: mean of 4 clips" in specs(at) and '"customdata"' not in specs(at)  # the open tab only
    at.segmented_control(key="mean_genre").set_value("low").run()
    assert not at.exception and "low: mean of 4 clips" in specs(at)
    at.session_state["genres_tab"] = "Map of the clips"  # what a click on the tab does
    at.run()
    assert not at.exception and '"customdata"' in specs(at) and "mean of" not in specs(at)
    assert "Click a point to hear that clip." in [i.value for i in at.info]
    at.session_state["genres_tab"] = "Mean spectrogram per genre"
    at.run()
    assert not at.exception and "low: mean of 4 clips" in specs(at)  # the genre picked before is kept


@pytest.mark.slow
def test_a_long_clips_log_mel_is_drawn_in_fewer_columns_and_the_caption_says_so(tmp_path, monkeypatch):
    """A 30 s clip's 1292 frames reach the browser as 431 columns of 3 frames (a third of the cells to send and
    draw); the caption says how it was drawn. A short clip is drawn frame by frame, with no such caption."""
    for label, freq in (("a", 220.0), ("b", 440.0)):
        write_tone(tmp_path / "long" / label / f"{label}.1-long.wav", freq=freq, seconds=30.0)
        write_tone(tmp_path / "long" / label / f"{label}.2-short.wav", freq=freq)
    at = dataset_app(monkeypatch, f"long={tmp_path / 'long'}", "long")
    at.selectbox(key="browse_clip-a").select_index(0).run()
    assert not at.exception

    def drawn_log_mel() -> dict:
        spec = next(c for c in at.get("plotly_chart") if "log-mel spectrogram" in c.proto.spec)
        return json.loads(spec.proto.spec)["data"][0]["z"]

    assert drawn_log_mel()["shape"].replace(" ", "") == "128,431"
    assert "Drawn in 431 columns of its 1292 frames, each the mean dB of 3 frames (70 ms)" in captions(at)
    at.selectbox(key="browse_clip-a").select_index(1).run()
    assert drawn_log_mel()["shape"].replace(" ", "") == "128,87" and "Drawn in" not in captions(at)


def test_unusable_dataset_gets_a_helpful_empty_state(tmp_path, monkeypatch):
    write_tone(tmp_path / "lonely" / "only" / "a.wav")
    at = dataset_app(monkeypatch, f"lonely={tmp_path / 'lonely'}", "lonely")
    assert not at.exception
    assert any("cannot be used" in e.value and "two label folders" in e.value for e in at.error)
    assert any("add one from a zip" in i.value for i in at.info)
    assert at.expander[0].label == "Add a dataset from a zip" and "usable clips" not in markdowns(at)


@pytest.mark.slow
def test_uploaded_zip_is_offered_and_opens(tmp_path, monkeypatch):
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for label, freq in (("rock", 220.0), ("jazz", 660.0)):
            for k in range(2):
                z.write(write_tone(tmp_path / "src" / f"{label}{k}.wav", freq=freq + k), f"set/{label}/{k}.wav")
    root = unpack_zip(archive.read_bytes(), "upload.zip")
    at = dataset_app(monkeypatch, "", f"upload: {root.name}")
    assert not at.exception
    assert at.sidebar.selectbox(key="dataset_choice").value == f"upload: {root.name}"
    assert "**4** usable clips · **2** genres" in markdowns(at)
    assert f"Measured on upload: {root.name} (4 clips)" in captions(at)



@pytest.mark.slow
def test_the_zip_uploader_is_drawn_when_its_expander_is_opened(tone_dataset, monkeypatch):
    at = dataset_app(monkeypatch, f"tones={tone_dataset}", "tones")
    assert [e.label for e in at.expander][0] == "Add a dataset from a zip" and not at.get("file_uploader")
    at.session_state["zip_adder"] = True  # what a click on its label does
    at.run()
    assert not at.exception and len(at.get("file_uploader")) == 1
    assert "At least two genres; only audio files are kept." in markdowns(at)


@pytest.mark.slow
def test_the_zip_uploader_states_the_upload_limit(tmp_path, monkeypatch):
    write_tone(tmp_path / "lonely" / "only" / "a.wav")
    at = dataset_app(monkeypatch, f"lonely={tmp_path / 'lonely'}", "lonely")
    (uploader,) = at.get("file_uploader")
    assert uploader.proto.label == "Zip file (at most 50 MB)"
    assert uploader.proto.max_upload_size_mb == 50


@pytest.mark.slow
def test_the_pretrained_ears_map_is_drawn_on_request(tone_dataset, monkeypatch):
    at = dataset_app(monkeypatch, f"tones={tone_dataset}", "tones")
    at.session_state["genres_tab"] = "Map of the clips"
    at.run()
    assert not at.exception and not any("pretrained network heard" in c for c in captions(at).split(". "))
    charts = len(at.get("plotly_chart"))
    at.toggle(key="ear_map").set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == charts + 1
    for tab in ("Mean spectrogram per genre", "Map of the clips"):
        at.session_state["genres_tab"] = tab
        at.run()
    assert at.toggle(key="ear_map").value and len(at.get("plotly_chart")) == charts + 1  # kept while the tab was shut
    assert ("Measured on tones (12 clips): the same clips placed by PCA of what the pretrained network heard (the "
            "penultimate layer's") in captions(at)
