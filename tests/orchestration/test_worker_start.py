"""Starting the background worker: one at a time, never in a storm, backing off when it cannot start (issue 25).

Also: a run whose worker died but was not yet reaped (a zombie) reads ``interrupted``.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.base.config import preset
from core.orchestration import classifier, cluster, worker
from core.storage import queue, runs

TINY = dict(hidden_size=16, num_layers=1, epochs=2, batch_size=8, first_frames=40, segment_seconds=1.0,
            split="stratified")
REPO = Path(__file__).resolve().parents[2]


def proc_state(pid: int) -> str | None:
    """Process ``pid``'s state letter from /proc (``Z``: a zombie), or None once it is gone (reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return None


def worker_pids(data_dir: Path) -> list[int]:
    """Live (not zombie) ``python -m core worker`` processes writing to ``data_dir`` (Linux /proc)."""
    out = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[-3:-1] == [b"core", b"worker"] and f"GENRELAB_DATA_DIR={data_dir}".encode() in env:
            if proc_state(int(proc.name)) not in ("Z", None):
                out.append(int(proc.name))
    return out


@pytest.mark.slow
def test_a_spare_worker_exits_before_importing_torch():
    with open(queue.lock_path(), "a+") as lock:
        import fcntl

        fcntl.flock(lock, fcntl.LOCK_EX)  # a worker is running
        out = subprocess.run([sys.executable, "-c", "import sys; from core.cli import main; main(['worker']); "
                              "print('torch' in sys.modules)"], cwd=REPO, env=os.environ.copy(),
                             capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.slow
def test_calls_in_quick_succession_start_one_worker(tone_dataset, data_dir):
    run_id = classifier.submit_classifier(preset("paper", **{**TINY, "epochs": 100}), tone_dataset, "tones")
    queue.enqueue(run_id, "classifier", start_worker=False)
    try:
        for _ in range(5):
            queue.ensure_worker()
            time.sleep(0.3)
        time.sleep(1.0)
        assert len(worker_pids(data_dir)) == 1
    finally:
        runs.request_cancel(run_id)
        for pid in worker_pids(data_dir):
            os.kill(pid, signal.SIGKILL)


def test_backoff_doubles_up_to_its_ceiling():
    assert [queue.backoff(n) for n in range(5)] == [0.0, 2.0, 4.0, 8.0, 16.0]
    assert queue.backoff(40) == queue.MAX_BACKOFF_SECONDS


def test_a_worker_that_did_not_get_ready_is_not_started_again_at_once(monkeypatch):
    started = []
    monkeypatch.setattr(queue, "_children", [])
    monkeypatch.setattr(queue.subprocess, "Popen", lambda *a, **kw: started.append(a) or FakeChild())
    queue.ensure_worker()
    queue.ensure_worker()  # the first has not taken the lock yet: no second start
    assert len(started) == 1
    later = time.time() + queue.MAX_BACKOFF_SECONDS
    monkeypatch.setattr(queue.time, "time", lambda: later)
    queue.ensure_worker()
    assert len(started) == 2


class FakeChild:
    def poll(self):
        return None


def test_bad_cluster_address_fails_the_queued_jobs_and_says_why_once(tone_dataset, monkeypatch):
    monkeypatch.setenv(cluster.ENV_VAR, "garbage")
    run_id = classifier.submit_classifier(preset("paper", **TINY), tone_dataset, "tones")
    queue.enqueue(run_id, "classifier", start_worker=False)
    worker.work(idle_exit=0.1)
    record = runs.load(run_id)
    assert record["status"] == "failed" and "'garbage' is not a Ray address" in record["error"]
    assert queue.pending() == [] and not list(queue.queue_dir().glob("*.json"))
    problem = queue.worker_problem()
    assert problem.startswith("The background worker could not start: 'garbage' is not a Ray address")


def test_unreachable_cluster_fails_fast(monkeypatch):
    monkeypatch.setenv(cluster.ENV_VAR, "127.0.0.1:1")
    started = time.monotonic()
    with pytest.raises(cluster.ClusterError, match="cannot reach the Ray cluster at 127.0.0.1:1"):
        cluster.connect(timeout=2.0)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("address", ["garbage", "host:", ":6379", "host:99999", "host:port"])
def test_malformed_addresses_are_refused_without_the_network(address):
    with pytest.raises(cluster.ClusterError, match="is not a Ray address"):
        cluster.check_address(address)


@pytest.mark.parametrize("address, expected", [("10.0.0.5:6379", ("10.0.0.5", 6379)),
                                               ("ray://head:10001", ("head", 10001)), ("[::1]:6379", ("::1", 6379))])
def test_well_formed_addresses(address, expected):
    assert cluster.host_port(address) == expected


def test_a_job_that_fails_before_its_run_starts_does_not_leave_it_queued(tone_dataset, monkeypatch):
    run_id = classifier.submit_classifier(preset("paper", **TINY), tone_dataset, "tones")
    queue.enqueue(run_id, "classifier", start_worker=False)

    def broken(_):
        raise ConnectionError("the cluster went away")

    monkeypatch.setattr(worker, "handlers", lambda: {"classifier": broken})
    worker.work(idle_exit=0.1)
    record = runs.load(run_id)
    assert record["status"] == "failed" and record["error"] == "ConnectionError: the cluster went away"


@pytest.mark.slow
def test_a_killed_workers_run_reads_interrupted_before_it_is_reaped(tone_dataset):
    run_id = classifier.submit_classifier(preset("paper", **TINY), tone_dataset, "tones")
    child = subprocess.Popen(["sleep", "60"])
    try:
        runs.update(run_id, status="running", pid=child.pid)
        assert runs.load(run_id)["status"] == "running"
        child.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while proc_state(child.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc_state(child.pid) == "Z"  # dead, not reaped: os.kill(pid, 0) still succeeds
        assert runs.load(run_id)["status"] == "interrupted"
    finally:
        child.kill()
        child.wait()


@pytest.mark.slow
def test_ensure_worker_reaps_the_workers_it_started(monkeypatch):
    monkeypatch.setattr(queue, "_children", [])
    queue.ensure_worker()
    (child,) = queue._children
    deadline = time.monotonic() + 120
    while proc_state(child.pid) != "Z" and time.monotonic() < deadline:  # idle, it exits after 3 s
        time.sleep(0.1)
    assert proc_state(child.pid) == "Z"
    queue.ensure_worker()
    assert proc_state(child.pid) is None  # reaped
    for other in queue._children:
        other.wait(120)


def test_with_a_cluster_lessons_and_checks_train_in_the_worker_one_at_a_time(monkeypatch):
    from core.orchestration import check, lesson_run

    inside, most = [], []

    def training(run_id):
        inside.append(run_id)
        most.append(len(inside))
        time.sleep(0.05)
        inside.remove(run_id)

    monkeypatch.setattr(lesson_run, "run_lesson", training)
    monkeypatch.setattr(check, "run_check", training)
    monkeypatch.setenv(cluster.ENV_VAR, "ray://localhost:10001")
    jobs = worker.handlers()
    threads = [threading.Thread(target=jobs[kind], args=(f"{kind}-{i}",)) for i in range(3) for kind in
               ("lesson", "check")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(most) == 6 and max(most) == 1
