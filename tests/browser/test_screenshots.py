"""tools/screenshots.py: it visits every page of the app's navigation, and README shows what it wrote (the browser
run itself is not part of the suite: `python tools/screenshots.py`)."""

import ast
import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import screenshots  # noqa: E402


def navigation() -> list[str]:
    """url_path of every visible ``st.Page`` in streamlit_app.py, in order."""
    tree = ast.parse((REPO / "streamlit_app.py").read_text())
    pages = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page":
            kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            if kw.get("visibility") != "hidden":
                pages.append(kw["url_path"])
    return pages


def test_every_page_of_the_navigation_is_photographed_in_its_order():
    assert [shot.url_path for shot in screenshots.SHOTS] == navigation()
    assert set(screenshots.NARROW) <= set(navigation())


def test_readme_shows_every_screenshot_and_each_is_small():
    readme = (REPO / "README.md").read_text()
    for shot in screenshots.SHOTS:
        path = screenshots.OUT / f"{shot.url_path}.png"
        assert f"docs/screenshots/{path.name}" in readme
        assert path.stat().st_size <= screenshots.MAX_BYTES
    for name in screenshots.NARROW:
        assert f"docs/screenshots/{name}-{screenshots.NARROW_WIDTH}.png" in readme


def test_compress_keeps_the_size_and_fits_the_limit():
    image = Image.new("RGB", (1400, 900), "white")
    draw = ImageDraw.Draw(image)
    for y in range(0, 900, 18):
        draw.text((20, y), "Compare runs: 83.3 % (95 % CI 66.4–92.7 %) " * 6, fill=(30, 30, 60))
    draw.rectangle((300, 300, 1100, 700), fill=(100, 60, 220))
    raw = io.BytesIO()
    image.save(raw, "PNG")
    small = screenshots.compress(raw.getvalue(), max_bytes=60_000)
    out = Image.open(io.BytesIO(small))
    assert out.size == (1400, 900) and out.mode == "P" and len(small) <= 60_000
