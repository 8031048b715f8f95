"""Main user journeys in real Chromium (Debian's), against a real `streamlit run` on loopback."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
TINY = "epochs=1&hidden_size=16&num_layers=1&segment_seconds=1.0&batch_size=8"


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
