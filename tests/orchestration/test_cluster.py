"""Training on Ray (core.orchestration.cluster) against one local Ray on the loopback
interface, started once per session."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import TINY_PLAN, check_gan_grid_on_tones

from core.orchestration import classifier, cluster, execute, experiment, worker
from core.storage import extract, queue
from core.storage import runs
from core.base import config as cfgs
from core.base import experiment_plan

pytestmark = pytest.mark.slow
TASK = "run_in_worker"  # a Ray worker running a task is titled ray::<function name>


@pytest.fixture(scope="session")
def local_ray():
    """A local Ray with 2 CPUs bound to 127.0.0.1 only, no dashboard, shut down after the session."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # read when ray is imported: a one-node Ray uses 127.0.0.1
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    assert "node:127.0.0.1" in ray.cluster_resources()
    yield ray
    ray.shutdown()


@pytest.fixture
def on_ray(local_ray, monkeypatch):
    monkeypatch.setenv(cluster.ENV_VAR, "auto")
    return local_ray


def task_pids() -> list[int]:
    """Processes on this machine running a GenreLab Ray task (Linux /proc)."""
    out = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if title.startswith(f"ray::{TASK}"):
            out.append(int(cmdline.parent.name))
    return out


def wait_for(condition, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


def in_background(exp_id: str) -> threading.Thread:
    thread = threading.Thread(target=experiment.run_experiment, args=(exp_id,))
    thread.start()
    return thread


def test_core_and_a_local_grid_never_import_ray(tone_dataset):
    script = f"""
import sys
sys.modules["ray"] = None  # as if Ray were not installed: importing it would fail
from core import cli
from core.base import experiment_plan
from core.orchestration import classifier, cluster, execute, experiment, worker
from core.storage import extract, queue
p = experiment_plan.plan(seeds=1, per_genre=(0,), arms=("paper",), overrides={TINY_PLAN!r})
exp_id = experiment.submit(p, {str(tone_dataset)!r}, "tones")
assert experiment.run_experiment(exp_id)["cells_done"] == 1
assert "ray" not in [m.split(".")[0] for m, mod in sys.modules.items() if mod is not None]
"""
    env = {k: v for k, v in os.environ.items() if k != cluster.ENV_VAR}
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_four_cell_grid_on_ray_matches_the_local_runner(tone_dataset, local_ray, monkeypatch):
    p = experiment_plan.plan(seeds=4, per_genre=(0,), arms=("paper",), overrides=TINY_PLAN)
    local = experiment.run_experiment(experiment.submit(p, tone_dataset, "tones"))
    monkeypatch.setenv(cluster.ENV_VAR, "auto")
    seen = []
    exp_id = experiment.submit(p, tone_dataset, "tones")
    remote = experiment.run_experiment(exp_id, progress=seen.append)
    assert remote["cells_done"] == local["cells_done"] == 4 and runs.load(exp_id)["status"] == "done"
    keep = ("cell", "seed", "accuracy", "correct", "n", "split")
    assert [{k: r[k] for k in keep} for r in remote["per_seed"]] == [{k: r[k] for k in keep} for r in local["per_seed"]]
    for a, b in zip(local["per_seed"], remote["per_seed"]):
        assert runs.result(a["run_id"])["y_pred"] == runs.result(b["run_id"])["y_pred"]
        child = runs.load(b["run_id"])
        assert child["status"] == "done" and child["pid"] is None and child["cluster"] == "auto"
        assert {"model.pt", "history.json", "result.json"} <= {f.name for f in runs.run_path(b["run_id"]).iterdir()}
    assert seen[-1]["cells_done"] == seen[-1]["cells_total"] == 4 and "Ray cluster" in seen[1]["current"]
    cells = runs.load(exp_id)["cells"]
    worker.reopen(exp_id)
    assert experiment.run_experiment(exp_id)["cells_done"] == 4 and runs.load(exp_id)["cells"] == cells  # none redone


def test_gan_and_augmented_cells_on_ray(tone_dataset, on_ray):
    check_gan_grid_on_tones(tone_dataset)  # the local runner's GAN grid and its checks, every run trained as a Ray task
    (exp,) = runs.list_runs("exp")
    for run_id in [*exp["gans"].values(), *exp["cells"].values()]:
        assert runs.load(run_id)["cluster"] == "auto" and (runs.run_path(run_id) / "model.pt").exists()


def test_worker_killed_during_a_cell_is_retried_and_the_grid_completes(tone_dataset, on_ray):
    p = experiment_plan.plan(seeds=2, per_genre=(0,), arms=("paper",), overrides=(*TINY_PLAN, "epochs=30"))
    exp_id = experiment.submit(p, tone_dataset, "tones")
    thread = in_background(exp_id)
    victim = wait_for(task_pids, 300)
    assert victim, "no cell started on Ray"
    os.kill(victim[0], signal.SIGKILL)
    killed_at = time.time()
    thread.join(300)
    record = runs.load(exp_id)
    assert not thread.is_alive() and record["status"] == "done", record.get("error")
    assert runs.result(exp_id)["cells_done"] == 2
    children = [runs.load(c) for c in record["cells"].values()]
    assert all(c["status"] == "done" for c in children)
    assert any(c["started"] > killed_at for c in children)  # the killed cell's retry started after the kill


def test_cancelled_grid_leaves_no_task_running(tone_dataset, on_ray):
    p = experiment_plan.plan(seeds=3, per_genre=(0,), arms=("paper",), overrides=(*TINY_PLAN, "epochs=200"))
    exp_id = experiment.submit(p, tone_dataset, "tones")
    thread = in_background(exp_id)
    assert wait_for(task_pids, 300), "no cell started on Ray"  # 2 CPUs: at least one cell waits in Ray's queue
    runs.request_cancel(exp_id)
    thread.join(60)
    record = runs.load(exp_id)
    assert not thread.is_alive() and record["status"] == "cancelled"
    assert wait_for(lambda: not task_pids(), 30), f"Ray tasks still running: {task_pids()}"
    assert {runs.load(c)["status"] for c in record["cells"].values()} == {"cancelled"}
    assert "resume" in experiment.status_text(record)


def test_worker_hands_queued_jobs_to_ray_and_honours_cancel(tone_dataset, on_ray, monkeypatch):
    monkeypatch.setenv(cluster.JOBS_VAR, "2")
    cfg = cfgs.with_overrides(cfgs.preset("paper"), list(TINY_PLAN))
    ids = [classifier.submit_classifier(cfgs.with_overrides(cfg, [f"seed={s}"]), tone_dataset, "tones")
           for s in range(3)]
    for run_id in ids:
        queue.enqueue(run_id, "classifier", start_worker=False)
    runs.request_cancel(ids[2])
    worker.work(idle_exit=0.1)
    assert [runs.load(r)["status"] for r in ids] == ["done", "done", "cancelled"]
    assert runs.result(ids[0])["accuracy"]["n"] > 0 and runs.load(ids[1])["cluster"] == "auto"
    assert queue.pending() == [] and not list(queue.queue_dir().glob("*.json"))


def test_cancelling_a_queued_job_training_on_ray_cancels_its_task(tone_dataset, on_ray):
    cfg = cfgs.with_overrides(cfgs.preset("paper"), [*TINY_PLAN, "epochs=200"])
    run_id = classifier.submit_classifier(cfg, tone_dataset, "tones")
    queue.enqueue(run_id, "classifier", start_worker=False)
    thread = threading.Thread(target=worker.work, kwargs={"idle_exit": 0.1})
    thread.start()
    assert wait_for(task_pids, 300), "the job did not start on Ray"
    runs.request_cancel(run_id)
    thread.join(60)
    assert not thread.is_alive() and runs.load(run_id)["status"] == "cancelled"
    assert wait_for(lambda: not task_pids(), 30), f"Ray tasks still running: {task_pids()}"


def test_a_pretrained_cell_on_ray_is_sent_its_embeddings_not_log_mels(tone_dataset, local_ray, monkeypatch):
    p = experiment_plan.plan(seeds=2, per_genre=(0,), arms=("recommended", "pretrained"), overrides=TINY_PLAN,
                             pretrained=True)
    local = experiment.run_experiment(experiment.submit(p, tone_dataset, "tones"))
    loads, features, embeddings = [], execute.load_features, execute.LOADERS[cfgs.PretrainedConfig]
    monkeypatch.setattr(execute, "load_features", lambda root: loads.append("features") or features(root))
    monkeypatch.setitem(execute.LOADERS, cfgs.PretrainedConfig,
                        lambda root: loads.append("embeddings") or embeddings(root))
    monkeypatch.setenv(cluster.ENV_VAR, "auto")
    exp_id = experiment.submit(p, tone_dataset, "tones")
    remote = experiment.run_experiment(exp_id)
    assert runs.load(exp_id)["status"] == "done" and remote["cells_done"] == 4
    assert sorted(loads) == ["embeddings", "features"]  # each put on Ray once, for the cells that read it
    ears = [(a, b) for a, b in zip(local["per_seed"], remote["per_seed"]) if a["preset"] == "pretrained"]
    assert len(ears) == 2
    for a, b in ears:
        assert a["cell"] == b["cell"] and runs.load(b["run_id"])["cluster"] == "auto"
        assert runs.result(a["run_id"])["y_pred"] == runs.result(b["run_id"])["y_pred"]
    assert [d["cell"] for d in remote["differences"]] == [d["cell"] for d in local["differences"]]


def test_a_task_reads_only_what_it_is_sent(tone_dataset):
    """What a Ray task runs, here in this process: a pretrained cell needs no dataset folder, only its embeddings."""
    embeddings = extract.load_embeddings(tone_dataset)
    run_id = classifier.submit_classifier(cfgs.preset("pretrained"), tone_dataset / "not-here", "tones")
    out = cluster.run_in_worker("classifier", runs.load(run_id), embeddings)
    assert {"model.pt", "result.json", "run.json"} <= set(out["files"])
    assert execute.inputs("classifier", runs.load(run_id)["config"]) is extract.load_embeddings
    assert execute.inputs("gan", {}) is execute.inputs("classifier", cfgs.to_dict(cfgs.preset("paper"))) is \
        extract.load_features
