"""Main user journeys in real Chromium (Debian's), against a real `streamlit run` on loopback."""

import re

import pytest
from playwright.sync_api import expect

from core.base.percent import percent

pytestmark = pytest.mark.browser
TINY = "epochs=1&hidden_size=16&num_layers=1&segment_seconds=1.0&batch_size=8"



def predict_upload(page, path: str, model: str, clip, genre: str, p: float) -> None:
    """Open Predict at ``path``, see the model picker match the pattern ``model``, upload ``clip`` and see the
    headline name ``genre`` at probability ``p`` (what core's predict gave for the same clip and model)."""
    page.goto(f"{page.app_url}/{path}")
    expect(page.get_by_text("Upload or record a clip")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("combobox", name="Trained classifier")).to_have_value(re.compile(model))
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(clip))
    headline = f"Predicted genre: {genre} ({percent(p)})"
    expect(page.get_by_role("heading", name=headline)).to_be_visible(timeout=90_000)

def test_home_page_explains_the_lab(page):
    page.goto(page.app_url)
    expect(page.get_by_role("heading", name="GenreLab")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Active dataset")).to_be_visible(timeout=60_000)


def test_train_a_tiny_run_in_the_browser(page):
    page.goto(f"{page.app_url}/train?dataset=tones&preset=recommended&{TINY}")
    page.get_by_role("button", name="Start training").click(timeout=30_000)
    expect(page.get_by_text("Test accuracy")).to_be_visible(timeout=120_000)
    expect(page.get_by_text(re.compile(r"95 % CI .* clips\)"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Measured on tones"))).to_be_visible()


def test_predict_the_genre_of_an_uploaded_gtzan_clip(page, browser_env, gtzan_mini, monkeypatch):
    from core.orchestration import classifier
    from core.usecases import predict
    from core.base.config import preset

    monkeypatch.setenv("GENRELAB_DATA_DIR", browser_env["GENRELAB_DATA_DIR"])  # the server's data folder
    run_id = classifier.submit_classifier(preset("recommended", epochs=1, hidden_size=16, num_layers=1), gtzan_mini,
                                     "gtzan-mini", preset="recommended")
    classifier.run_classifier(run_id)
    clip = gtzan_mini / "rock" / "rock.00000.wav"
    genre, p = predict.predict(clip, predict.load_model(run_id)).top(1)[0]

    predict_upload(page, "predict?dataset=gtzan-mini",
                   r"trained on gtzan-mini · \d+ % \(95 % CI \d+–\d+ %\) test accuracy", clip, genre, p)
    expect(page.get_by_text("This model's test accuracy")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Measured on gtzan-mini"))).to_be_visible()
    page.get_by_text("Explain: which parts of the spectrogram").click()
    expect(page.get_by_text(re.compile(r"gradient × input\)"))).to_be_visible(timeout=30_000)


def test_gan_gallery_plays_a_generated_sample(page, browser_env):
    run_id = train_in_server_data(browser_env, *GAN_TINY, command="gan", preset="conditional")
    page.goto(f"{page.app_url}/gan?dataset=tones&run={run_id}")
    page.get_by_role("tab", name="Gallery").click(timeout=60_000)
    expect(page.get_by_text(re.compile(r"^Generated “"))).to_be_visible(timeout=60_000)
    audio = page.locator("[data-testid='stAudio']").first
    expect(audio).to_be_visible(timeout=60_000)
    state = audio.evaluate("""async (el) => {
        if (el.readyState < 1) await new Promise((ok, fail) => {
            el.addEventListener('loadedmetadata', ok, {once: true});
            el.addEventListener('error', () => fail(new Error('audio error ' + el.error.code)), {once: true});
        });
        el.muted = true;
        await el.play();
        await new Promise((ok) => setTimeout(ok, 300));
        return {src: el.currentSrc, error: el.error, duration: el.duration, time: el.currentTime, paused: el.paused,
                ended: el.ended};
    }""")
    assert "/media/" in state["src"] and state["error"] is None
    # a one-second sample may play to its end before a busy machine's 300 ms timer fires
    assert state["duration"] > 0.5 and state["time"] > 0 and (not state["paused"] or state["ended"])


GAN_TINY = ("epochs=2", "batch_size=8", "ref_epochs=1", "z_dim=16", "width=8", "segment_seconds=1.0",
            "split=stratified")


def train_in_server_data(browser_env, *settings: str, command: str = "train", preset: str = "recommended") -> str:
    """Train a tiny classifier (or, with ``command="gan"``, a GAN) on the tones set inside the browser server's data
    folder; returns its run id."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    tones = dict(kv.split("=", 1) for kv in browser_env["GENRELAB_DATASETS"].split(";"))["tones"]
    done = subprocess.run([sys.executable, "-m", "core", command, "--data", tones, "--preset", preset,
                           *[arg for kv in settings for arg in ("--set", kv)]], cwd=Path(__file__).resolve().parents[2],
                          env={**os.environ, **browser_env}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return re.search(r"^run (\S+)$", done.stdout, re.M).group(1)


def test_compare_two_runs_side_by_side(page, browser_env):
    tiny = ["epochs=1", "num_layers=1", "segment_seconds=1.0", "batch_size=8"]
    a = train_in_server_data(browser_env, *tiny, "hidden_size=16")
    b = train_in_server_data(browser_env, *tiny, "hidden_size=32")
    page.goto(f"{page.app_url}/compare?dataset=tones&runs={a},{b}")
    expect(page.get_by_text(re.compile(r"McNemar test gives p ="))).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(
        r"no evidence of a real difference|more than chance would explain|show no difference"))).to_be_visible()
    expect(page.locator("[data-testid='stPlotlyChart']").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("HTML"))).to_be_visible()


PHONE = {"width": 390, "height": 844}
ON_A_PHONE = """() => {
    const width = window.innerWidth;
    const seen = (el) => el.checkVisibility({opacityProperty: true, visibilityProperty: true});
    const shown = [...document.querySelectorAll('[data-testid=stMain] *, [data-testid=stSidebar] *')].filter(el => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && seen(el);
    });
    // a table scrolls inside its box; a slider's input is Streamlit's own box riding on its thumb, drawn clipped
    const inside = '[data-testid=stDataFrame], [data-testid=stSlider] input';
    const wider = shown.filter(el => el.getBoundingClientRect().right > width + 1 && !el.closest(inside))
        .map(el => `${el.tagName} ${el.getAttribute('aria-label') || ''} ${(el.textContent || '').slice(0, 40)}`);
    const small = shown.filter(el => [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
                                     && parseFloat(getComputedStyle(el).fontSize) < 12)
        .map(el => `${getComputedStyle(el).fontSize} ${el.textContent.slice(0, 40)}`);
    const overlapping = [];
    for (const chart of document.querySelectorAll('.js-plotly-plot')) {
        const titles = [...chart.querySelectorAll('.annotation-text, .gtitle, .xtitle, .ytitle')].filter(seen)
            .map(t => [t.textContent, t.getBoundingClientRect()]);
        titles.forEach(([a, p], i) => titles.slice(i + 1).forEach(([b, q]) => {
            if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) {
                overlapping.push(`${a} / ${b}`);
            }
        }));
    }
    return {wider, small, overlapping};
}"""


def reads_on_a_phone(page) -> None:
    """On the page as shown (main area and, when open, sidebar): nothing reaches past the screen's right edge (a table
    may scroll inside its own box), no text is smaller than 12 px, and no two titles of a chart overlap."""
    settled(page)
    assert page.evaluate(ON_A_PHONE) == {"wider": [], "small": [], "overlapping": []}


def test_home_its_lesson_status_and_the_glossary_read_on_a_phone(page, browser_env, monkeypatch):
    """Home at 390 px; the sidebar, opened, shows the lesson's status; 'Words on this page' links to the Glossary."""
    import time

    from core.orchestration import lesson
    from core.storage import queue, runs

    monkeypatch.setenv("GENRELAB_DATA_DIR", browser_env["GENRELAB_DATA_DIR"])  # the server's data folder
    monkeypatch.setattr(queue, "ensure_worker", lambda: None)
    other = dict(kv.split("=", 1) for kv in browser_env["GENRELAB_DATASETS"].split(";"))["tones-other"]
    record = lesson.load(lesson.submit(other, "tones-other"))  # a lesson that ended before it began: no training
    for job in queue.queued():
        if record["id"] in job.name:
            job.unlink()
    for run_id in (*record["steps"].values(), record["id"]):
        runs.update(run_id, status="cancelled", finished=time.time())

    page.set_viewport_size(PHONE)
    page.goto(f"{page.app_url}/home?dataset=tones-other")
    expect(page.get_by_role("heading", name="GenreLab")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Active dataset")).to_be_visible(timeout=60_000)
    reads_on_a_phone(page)
    page.get_by_test_id("stExpandSidebarButton").click()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Lesson on tones-other")).to_be_visible(timeout=30_000)
    reads_on_a_phone(page)
    page.get_by_test_id("stSidebarCollapseButton").click()
    expect(sidebar.get_by_text("Lesson on tones-other")).not_to_be_in_viewport()
    page.get_by_role("button", name="Words on this page").click()
    page.get_by_role("link", name="The whole glossary").click()
    expect(page.get_by_role("heading", name="Glossary")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name="Griffin-Lim")).to_be_visible()
    reads_on_a_phone(page)


def test_train_a_tiny_run_on_a_phone(page):
    page.set_viewport_size(PHONE)
    page.goto(f"{page.app_url}/train?dataset=tones&preset=recommended&{TINY}")
    start = page.get_by_role("button", name="Start training")
    expect(start).to_be_visible(timeout=60_000)
    reads_on_a_phone(page)
    start.click()
    expect(page.get_by_text("Test accuracy")).to_be_visible(timeout=120_000)
    expect(page.get_by_text(re.compile(r"Measured on tones"))).to_be_visible()
    reads_on_a_phone(page)


def test_predict_an_uploaded_clip_on_a_phone(page, browser_env, tmp_path):
    from helpers import write_tone

    run_id = train_in_server_data(browser_env, "epochs=1", "num_layers=1", "segment_seconds=1.0", "batch_size=8",
                                  "hidden_size=16")
    page.set_viewport_size(PHONE)
    page.goto(f"{page.app_url}/predict?dataset=tones&run={run_id}")
    expect(page.get_by_text("Upload or record a clip")).to_be_visible(timeout=60_000)
    reads_on_a_phone(page)
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
        str(write_tone(tmp_path / "song.wav", seconds=4.0, freq=220.0)))
    expect(page.get_by_role("heading", name=re.compile(r"^Predicted genre: "))).to_be_visible(timeout=90_000)
    reads_on_a_phone(page)


def test_a_gan_run_reads_on_a_phone(page, browser_env):
    """The GAN's curves stack their three panels at 390 px: no subplot title runs into another (they did, side by
    side), and its quality charts fit the screen."""
    run_id = train_in_server_data(browser_env, *GAN_TINY, command="gan", preset="conditional")
    page.set_viewport_size(PHONE)
    page.goto(f"{page.app_url}/gan?dataset=tones&run={run_id}")
    expect(page.get_by_role("tab", name="Training")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("genre fidelity of tracked samples")).to_be_visible(timeout=60_000)
    reads_on_a_phone(page)
    page.get_by_role("tab", name="Quality").click()
    expect(page.get_by_text("Nearest neighbours: copies, or all alike?")).to_be_visible(timeout=60_000)
    reads_on_a_phone(page)


def test_compare_reads_on_a_phone(page, browser_env):
    """At 390 px the result card comes before the runs table, the confusion matrices sit in tabs and the page reads
    on a phone (:func:`reads_on_a_phone`)."""
    tiny = ["epochs=1", "num_layers=1", "segment_seconds=1.0", "batch_size=8"]
    a = train_in_server_data(browser_env, *tiny, "hidden_size=16")
    b = train_in_server_data(browser_env, *tiny, "hidden_size=32")
    page.set_viewport_size(PHONE)
    page.goto(f"{page.app_url}/compare?dataset=tones&runs={a},{b}")
    card = page.get_by_role("heading", name=re.compile("What these runs show"))
    expect(card).to_be_visible(timeout=60_000)
    runs = page.get_by_role("heading", name=re.compile(r"^Runs$"))
    expect(runs).to_be_visible()
    assert card.bounding_box()["y"] < runs.bounding_box()["y"]
    expect(page.get_by_role("tab", name="B − A")).to_be_visible()
    reads_on_a_phone(page)


def test_check_a_tiny_run_on_another_dataset(page, browser_env, monkeypatch):
    from core.storage import runs

    page.goto(f"{page.app_url}/train?dataset=tones&preset=recommended&{TINY}")
    page.get_by_role("button", name="Start training").click(timeout=90_000)
    expect(page.get_by_text("Test accuracy")).to_be_visible(timeout=120_000)
    run_id = re.search(r"[?&]run=([^&]+)", page.url).group(1)
    picker = page.get_by_role("combobox", name="Dataset to check on")
    picker.click()
    page.keyboard.type("tones-other")
    page.keyboard.press("Enter")
    expect(picker).to_have_value("tones-other")
    page.get_by_role("button", name="Check on another dataset").click()
    metric = page.locator("[data-testid='stMetric']").filter(has_text="On tones-other")
    expect(metric).to_be_visible(timeout=120_000)

    monkeypatch.setenv("GENRELAB_DATA_DIR", browser_env["GENRELAB_DATA_DIR"])  # the server's data folder
    (check,) = runs.checks(run_id)
    assert check["accuracy"]["n"] == 6 and check["labels_skipped"] == ["Noise"]
    expect(metric.locator("[data-testid='stMetricValue']")).to_have_text(percent(check['accuracy']['value'], 1))
    expect(page.get_by_text(re.compile(r"of its own test clips \(tones\) and on \d+ % \(95 % CI [^)]*\) "
                                       r"of 6 clips"))).to_be_visible()


def test_an_oversized_upload_on_predict_is_named_on_the_page(page, browser_env, monkeypatch, tmp_path):
    from core.orchestration import classifier
    from core.usecases import predict
    from core.base.config import preset

    monkeypatch.setenv("GENRELAB_DATA_DIR", browser_env["GENRELAB_DATA_DIR"])
    tones = dict(kv.split("=", 1) for kv in browser_env["GENRELAB_DATASETS"].split(";"))["tones"]
    classifier.run_classifier(classifier.submit_classifier(preset("recommended", epochs=1, hidden_size=16, num_layers=1,
                                                        segment_seconds=1.0), tones, "tones"))
    big = tmp_path / "big.wav"
    with open(big, "wb") as f:
        f.truncate(predict.MAX_UPLOAD_BYTES + 2**20)
    page.goto(f"{page.app_url}/predict?dataset=tones")
    expect(page.get_by_text("Upload or record a clip")).to_be_visible(timeout=60_000)
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(big))
    expect(page.get_by_text(re.compile(r"File must be 50(\.0)?MB or smaller", re.I))).to_be_visible(timeout=30_000)
    expect(page.get_by_text("A file over 50 MB is refused by the browser before it is sent")).to_be_visible()


PAGE_TITLES = {"": "GenreLab", "home": "GenreLab", "dataset": "Explore a dataset", "train": "Train a genre classifier",
               "gan": "Generate spectrograms with a GAN", "compare": "Compare runs", "predict": "Predict a genre"}


def test_every_page_opens_by_its_url_and_nothing_comes_from_another_host(page):
    from urllib.parse import urlparse

    app_host = urlparse(page.app_url).hostname
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).hostname != app_host else None)
    for path, title in PAGE_TITLES.items():
        page.goto(f"{page.app_url}/{path}?dataset=tones")
        expect(page.get_by_role("heading", name=title).first).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        page.wait_for_timeout(1500)  # late assets: the tab icon, fonts, chart libraries
        icon = page.evaluate("[...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
        assert icon and all(urlparse(h).hostname == app_host for h in icon), icon
    assert outside == []


def test_dataset_draws_a_clip_the_map_and_the_uploader_when_asked(page):
    """A first visit of Dataset draws the class balance and the mean spectrograms only; a clip's player and log-mel,
    the map of the clips and the zip uploader each come with the click that asks for them."""
    page.goto(f"{page.app_url}/dataset?dataset=tones")
    expect(page.get_by_role("heading", name="Explore a dataset")).to_be_visible(timeout=60_000)
    settled(page)
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(3, timeout=30_000)  # balance, one genre's mean spectrogram, mean level per band
    expect(page.get_by_test_id("stAudio")).to_have_count(0)
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)

    picker = page.get_by_role("combobox", name=re.compile(r"^Clip \(4 in "))
    picker.click()
    page.keyboard.type(".00001")  # typing filters the options (and opens them, if a late redraw closed them)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("stAudio")).to_have_count(1, timeout=60_000)
    expect(page.get_by_text(re.compile(r"\.00001 · 2\.0 s"))).to_be_visible()
    expect(charts).to_have_count(5)  # and the clip's waveform and log-mel

    settled(page)
    page.get_by_role("tab", name="Map of the clips").click()
    expect(page.get_by_text("Click a point to hear that clip.")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("tab", name="Map of the clips")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text(re.compile(r": mean of \d+ clips"))).to_have_count(0)

    settled(page)
    page.get_by_text("Add a dataset from a zip").click()
    expect(page.get_by_test_id("stFileUploader")).to_be_visible(timeout=60_000)


@pytest.mark.slow
def test_the_lesson_goes_on_while_the_teacher_browses_and_ends_on_compare(page, browser_env, monkeypatch):
    """Start the quick lesson (tiny here), leave Home through the sidebar to Dataset and Train: the lesson's status
    follows in every sidebar, and its link opens Compare on the lesson's five classifiers."""
    from urllib.parse import parse_qs, urlencode, urlparse

    from core.orchestration import lesson

    tiny = urlencode({"dataset": "tones", "lesson_set": "epochs=1,hidden_size=16,num_layers=1,batch_size=8,"
                                                        "first_frames=40,segment_seconds=1.0,split=stratified",
                      "lesson_gan_set": "epochs=1,ref_epochs=1,z_dim=8,width=8,batch_size=8"})
    page.goto(f"{page.app_url}/home?{tiny}")
    page.get_by_role("button", name="Quick lesson").click(timeout=60_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Lesson on tones (quick)")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Run the lesson")).to_be_disabled()  # no second lesson by a stray click
    for link, title in (("Dataset", "Explore a dataset"), ("Train", "Train a genre classifier")):
        settled(page)
        sidebar.get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=60_000)
        expect(sidebar.get_by_text("Lesson on tones (quick)")).to_be_visible(timeout=30_000)
        expect(sidebar.get_by_text(re.compile(r"Step \d of 9: |Waiting |It finished"))).to_be_visible(timeout=30_000)
    expect(sidebar.get_by_text("It finished: 9 of 9 steps done", exact=False)).to_be_visible(timeout=600_000)
    settled(page)
    sidebar.get_by_role("link", name="Its results in Compare").click()
    expect(page.get_by_role("heading", name="Compare runs")).to_be_visible(timeout=60_000)
    monkeypatch.setenv("GENRELAB_DATA_DIR", browser_env["GENRELAB_DATA_DIR"])  # the server's data folder
    expect(page).to_have_url(re.compile(r"/compare\?.*runs="), timeout=30_000)
    ids = lesson.latest_runs("tones")
    assert parse_qs(urlparse(page.url).query)["runs"][0].split(",") == ids and len(ids) == 5
    for name in ("paper LSTM", "recommended LSTM", "classic recipe", "pretrained ear (musicnn)",
                 "recommended LSTM + 70/genre from the conditional GAN"):
        expect(page.get_by_text(re.compile(rf"^lesson: {re.escape(name)} on tones")).first).to_be_visible()
    card = page.get_by_role("heading", name="What these runs show")
    expect(card).to_be_visible()  # Compare's result card, in sentences generated from the statistics
    expect(page.get_by_text(re.compile(r"intervals (do not )?overlap")).first).to_be_visible()


def settled(page) -> None:
    """Wait until the page's script run is over: a link clicked mid-run can race the run's own URL update
    (seen in CI on a busy machine: Train's parameters written onto /home), which no user waiting for the page meets."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=60_000)


def test_the_open_run_survives_a_page_switch_and_a_reload(page, browser_env):
    run_id = train_in_server_data(browser_env, "epochs=1", "num_layers=1", "segment_seconds=1.0", "batch_size=8",
                                  "hidden_size=16")
    page.goto(f"{page.app_url}/train?dataset=tones&run={run_id}")
    expect(page.get_by_text("Manage this run")).to_be_visible(timeout=60_000)
    settled(page)
    page.get_by_role("link", name="Home", exact=True).first.click()
    expect(page.get_by_role("heading", name="Start here")).to_be_visible(timeout=60_000)
    settled(page)
    page.get_by_role("link", name="Train", exact=True).first.click()  # the switch drops the URL's parameters
    expect(page.get_by_text("Manage this run")).to_be_visible(timeout=60_000)
    expect(page).to_have_url(re.compile(rf"/train\?.*run={run_id}"), timeout=30_000)  # the page put its run back
    settled(page)
    page.reload()
    expect(page.get_by_text("Test accuracy").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Manage this run")).to_be_visible()
    page.goto(f"{page.app_url}/predict?dataset=tones&run={run_id}")
    expect(page.get_by_role("combobox", name="Trained classifier")).to_have_value(
        re.compile(r"^recommended LSTM on tones"), timeout=60_000)
    expect(page.get_by_text(re.compile(r"real clips of 3 genres"))).to_be_visible()


def test_train_the_pretrained_ear_and_predict_an_uploaded_clip(page, browser_env, monkeypatch, tmp_path):
    from core.storage import runs
    from core.usecases import predict
    from helpers import write_tone

    page.goto(f"{page.app_url}/train?dataset=tones&preset=pretrained")
    expect(page.get_by_text("Transfer learning.")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Start training").click(timeout=30_000)
    expect(page.get_by_text("Test accuracy")).to_be_visible(timeout=180_000)
    expect(page.get_by_text(re.compile(r"95 % CI .* clips\)"))).to_be_visible()
    run_id = re.search(r"[?&]run=([^&]+)", page.url).group(1)

    monkeypatch.setenv("GENRELAB_DATA_DIR", browser_env["GENRELAB_DATA_DIR"])  # the server's data folder
    assert runs.load(run_id)["preset"] == "pretrained"
    clip = write_tone(tmp_path / "song.wav", seconds=4.0, freq=440.0 * 1.1)
    genre, p = predict.predict(clip, predict.load_model(run_id)).top(1)[0]
    predict_upload(page, f"predict?dataset=tones&run={run_id}",
                   r"^pretrained musicnn ear .* trained on tones · \d+ % \(95 % CI \d+–\d+ %\) test accuracy", clip,
                   genre, p)
    expect(page.get_by_text(re.compile(r"^On real music from another collection"))).to_be_visible()
    expect(page.get_by_text("No saliency map for a pretrained ear", exact=False)).to_be_visible()


def test_a_hostile_run_name_and_file_name_show_as_text_and_fetch_nothing(page, browser_env):
    """Issue 25: a run renamed to Markdown (an image and a 'Log in again' link to another host) is shown as typed on
    Train, the delete confirmation, Compare, Predict and Home, and so is an uploaded zip's name in Dataset's error box:
    no request leaves for that host and no <img> or <a> of it is rendered."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    from urllib.parse import urlparse

    host = "evil.invalid"
    hostile = f"![p](http://{host}/x.png) [Log in again](http://{host}/p)"
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).hostname not in (
        None, urlparse(page.app_url).hostname) else None)
    page.route(f"http://{host}/**", lambda route: route.abort())  # recorded above, never sent
    tiny = ["epochs=1", "num_layers=1", "segment_seconds=1.0", "batch_size=8"]
    a = train_in_server_data(browser_env, *tiny, "hidden_size=16")
    b = train_in_server_data(browser_env, *tiny, "hidden_size=32")
    done = subprocess.run([sys.executable, "-m", "core", "runs", "rename", a, hostile],
                          cwd=Path(__file__).resolve().parents[2], env={**os.environ, **browser_env},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    def nothing_rendered_from_the_host() -> None:
        settled(page)
        page.wait_for_timeout(500)
        rendered = page.evaluate("""(host) => [...document.querySelectorAll('img[src], a[href]')]
            .filter(el => new URL(el.src || el.href, location.href).hostname === host).map(el => el.outerHTML)""", host)
        assert rendered == [] and outside == []

    page.goto(f"{page.app_url}/train?dataset=tones&run={a}")
    # a word joiner keeps it from becoming a link; Playwright passes the pattern on as a JavaScript /regex/
    shown = re.compile(re.escape(hostile).replace(":", "\u2060?:").replace("/", r"\/"))
    expect(page.get_by_role("heading", name=shown)).to_be_visible(timeout=60_000)
    nothing_rendered_from_the_host()
    page.get_by_text("Manage this run").click()
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_text(re.compile(f"Delete {shown.pattern} and all its files"))).to_be_visible(timeout=30_000)
    nothing_rendered_from_the_host()
    page.goto(f"{page.app_url}/compare?dataset=tones&runs={a},{b}")
    expect(page.locator("[data-testid='stTable']").first).to_contain_text(shown, timeout=60_000)  # the runs' key
    nothing_rendered_from_the_host()
    for path in (f"predict?dataset=tones&run={a}", "home?dataset=tones"):
        page.goto(f"{page.app_url}/{path}")
        expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                               timeout=60_000)
        nothing_rendered_from_the_host()
    page.goto(f"{page.app_url}/dataset?dataset=tones")
    page.get_by_text("Add a dataset from a zip").click(timeout=60_000)
    file_name = f"![p](http:{host}) [Log in again](http:{host}).zip"  # a file name holds no slash
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
        {"name": file_name, "mimeType": "application/zip", "buffer": b"not a zip at all"})
    expect(page.get_by_text(f"{file_name} was not added")).to_be_visible(timeout=60_000)
    nothing_rendered_from_the_host()
