"""Several visitors at once against one local server: pages stay responsive and training is serialised.

The suite holds 4 sessions; ``bench/bench_load.py`` measures 8 with the same function (README gives the figure).
"""

import pytest

from bench.bench_load import hold_sessions

pytestmark = pytest.mark.browser
SESSIONS = 4


def test_concurrent_sessions_browse_and_queue_jobs(browser, app_url, browser_env, monkeypatch):
    for key, value in browser_env.items():
        monkeypatch.setenv(key, value)
    out = hold_sessions(browser, app_url, SESSIONS)
    new = out["runs"]
    assert len(new) == SESSIONS and all(r["status"] == "done" for r in new)
    assert sorted(r["config"]["seed"] for r in new) == list(range(SESSIONS))
    assert not out["overlapped"], "two trainings overlapped"
    print(f"\n{SESSIONS} sessions rendered the Train page in {out['render_seconds']:.1f} s; "
          f"{SESSIONS} queued jobs ran one after another in {out['jobs_seconds']:.1f} s")
    assert out["render_seconds"] < 60
