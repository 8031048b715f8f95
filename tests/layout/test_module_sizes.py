"""The size of core's modules: a module does one job, and no module of core runs over 400 lines."""

from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
MAX_LINES = 400


def test_no_core_module_runs_over_400_lines():
    sizes = {str(p.relative_to(CORE.parent)): len(p.read_text().splitlines()) for p in CORE.rglob("*.py")}
    assert len(sizes) > 50  # the package was found
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}
