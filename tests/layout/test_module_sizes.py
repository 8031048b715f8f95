"""The size of modules and lines: a module does one job, and no module of core runs over 400 lines; no line of
Python in the repo runs over the line length pyproject.toml sets for ruff."""

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "core"
MAX_LINES = 400
SOURCES = ("core", "app_pages", "bench", "tests", "tools")


def test_no_core_module_runs_over_400_lines():
    sizes = {str(p.relative_to(CORE.parent)): len(p.read_text().splitlines()) for p in CORE.rglob("*.py")}
    assert len(sizes) > 50  # the package was found
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}


def test_no_line_of_python_runs_over_the_line_length_of_pyproject():
    limit = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]["line-length"]
    files = [REPO / "streamlit_app.py", *(p for d in SOURCES for p in (REPO / d).rglob("*.py"))]
    assert len(files) > 150  # the sources were found
    long = [f"{p.relative_to(REPO)}:{i}" for p in files for i, line in enumerate(p.read_text().splitlines(), 1)
            if len(line) > limit]
    assert long == []
