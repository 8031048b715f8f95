"""Several visitors at once against one local server: pages stay responsive and training is serialised."""

import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
SESSIONS = 4
TINY = "epochs=1&hidden_size=16&num_layers=1&segment_seconds=1.0&batch_size=8"


def test_concurrent_sessions_browse_and_queue_jobs(browser, app_url, browser_env, monkeypatch):
    for key, value in browser_env.items():
        monkeypatch.setenv(key, value)
    from core import runs

    before = {r["id"] for r in runs.list_runs("clf")}
    contexts = [browser.new_context() for _ in range(SESSIONS)]
    pages = [c.new_page() for c in contexts]
    start = time.perf_counter()
    for i, page in enumerate(pages):
        page.goto(f"{app_url}/train?dataset=tones&preset=recommended&{TINY}&seed={i}", wait_until="commit")
    for page in pages:
        expect(page.get_by_role("button", name="Start training")).to_be_visible(timeout=60_000)
    render_seconds = time.perf_counter() - start
    for page in pages:
        page.get_by_role("button", name="Start training").click()
    for page in pages:
        expect(page.get_by_text("Test accuracy")).to_be_visible(timeout=180_000)
    new = [r for r in runs.list_runs("clf") if r["id"] not in before]
    for c in contexts:
        c.close()
    assert len(new) == SESSIONS and all(r["status"] == "done" for r in new)
    assert sorted(r["config"]["seed"] for r in new) == list(range(SESSIONS))
    spans = sorted((r["started"], r["finished"]) for r in new)
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:])), "two trainings overlapped"
    print(f"\n{SESSIONS} sessions rendered the Train page in {render_seconds:.1f} s; "
          f"{SESSIONS} queued jobs ran one after another in {spans[-1][1] - spans[0][0]:.1f} s")
    assert render_seconds < 60
