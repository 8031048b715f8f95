"""Training on a Ray cluster: an experiment's cells, and queued jobs N at a time.

Used only when a cluster is named: ``GENRELAB_RAY_ADDRESS`` (or ``--ray ADDRESS`` on the CLI) is a
Ray address such as ``10.0.0.5:6379``, or ``auto`` for a local Ray. Without it nothing here runs
and :mod:`ray` is never imported (this module imports it inside its functions only).

One run (a classifier or a GAN) is one Ray task asking for 1 CPU, or 1 GPU where the cluster has
them. The driver (the CLI, or the background worker of :mod:`.worker`) sends the task the run's
record, what it reads of the dataset (:func:`core.orchestration.execute.inputs`: log-mels, or the
pretrained ear's patch features, ten times smaller; ``ray.put`` once per dataset and kind) and the files
of the runs it builds on (the generator of the GAN that augments it). The task trains in a temporary data folder of its
own with :func:`core.orchestration.execute.execute`, the function the local runner calls too, and returns the run
folder's files; the driver writes them into the run folder. No shared filesystem is needed. A task
whose worker dies is retried (``RETRIES`` times) from the start; a cancel request cancels the tasks.
"""

from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..base import paths
from ..storage import runs

# core.orchestration.execute and core.storage.extract (torch) are imported inside the functions that train,
# so the worker can read the address and take its lock before loading torch.

ENV_VAR = "GENRELAB_RAY_ADDRESS"
JOBS_VAR = "GENRELAB_RAY_JOBS"
RETRIES = 2
POLL_SECONDS = 0.5
NEEDED_FILES = ("run.json", "model.pt")
"""The files of a finished run that a run building on it reads (a GAN's record and generator)."""


@dataclass(frozen=True)
class Job:
    """One run to train on the cluster: its id, job kind (``classifier`` or ``gan``) and the runs it needs."""

    run_id: str
    kind: str
    needs: tuple[str, ...] = ()


CONNECT_SECONDS = 10.0
"""How long joining a cluster may wait for its head to answer before giving up."""


class ClusterError(ConnectionError):
    """A Ray address that is malformed or cannot be reached; ``str(err)`` is one sentence fit to show a user."""


def address() -> str | None:
    """The Ray address asked for (``auto`` = a local Ray), or None to train in this process as always."""
    return os.environ.get(ENV_VAR) or None


def host_port(where: str) -> tuple[str, int]:
    """``'10.0.0.5:6379'`` (or ``ray://…``, ``[::1]:6379``) → ``('10.0.0.5', 6379)``; :class:`ClusterError`
    otherwise."""
    host, sep, port = where.removeprefix("ray://").rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ClusterError(f"{where[:60]!r} is not a Ray address: give host:port (e.g. 10.0.0.5:6379), or auto for "
                           f"a local Ray")
    return host, int(port)


def check_address(where: str) -> None:
    """Raise :class:`ClusterError` unless ``where`` is ``auto`` or a well-formed Ray address (no network)."""
    if where != "auto":
        host_port(where)


def connect(timeout: float = CONNECT_SECONDS) -> None:
    """Join the cluster at :func:`address` once per process (``auto`` finds or starts a local Ray).

    The head is first reached over TCP within ``timeout`` seconds, so a wrong or dead address fails at once
    (Ray itself retries for minutes); every failure is a :class:`ClusterError` naming the address.
    """
    where = address() or "auto"
    check_address(where)
    if where != "auto":
        try:
            socket.create_connection(host_port(where), timeout=timeout).close()
        except OSError as err:
            reason = err.strerror or f"no answer within {timeout:g} s"
            raise ClusterError(f"cannot reach the Ray cluster at {where}: {reason}") from None
    try:
        import ray
    except ImportError:
        raise ClusterError("Ray is not installed here: pip install -r requirements-ray.txt") from None
    if not ray.is_initialized():
        try:
            ray.init(address=None if where == "auto" else where, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise ClusterError(f"cannot join the Ray cluster at {where}: {str(err).splitlines()[0][:200]}") from None


def slots() -> int:
    """How many queued jobs the worker hands to the cluster at once: ``GENRELAB_RAY_JOBS``, else its CPUs.

    Joins the cluster first, so the worker's threads find it joined.
    """
    connect()
    import ray

    if os.environ.get(JOBS_VAR):
        return max(1, int(os.environ[JOBS_VAR]))
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def pack(folder: Path, names: tuple[str, ...] | None = None) -> dict[str, bytes]:
    """The files below ``folder`` (only ``names`` if given) as ``{relative posix path: bytes}``; hidden files (the
    run's lock, temporary files) stay behind."""
    files = [folder / n for n in names] if names else sorted(folder.rglob("*"))
    return {f.relative_to(folder).as_posix(): f.read_bytes() for f in files
            if f.is_file() and not f.name.startswith(".")}


def unpack(files: dict[str, bytes], folder: Path) -> None:
    """Write :func:`pack`'s output into run folder ``folder``, atomically file by file; refuses paths leaving it."""
    for name, data in files.items():
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise ValueError(f"{name!r} is not a path inside a run folder")
        runs.write_file(folder / name, data)


def run_in_worker(kind: str, record: dict, features, *needed: dict) -> dict:
    """Inside a Ray task: train run ``record`` in a private data folder; returns ``{"id", "files"}``.

    ``features`` is what the run reads of the dataset (:func:`core.orchestration.execute.inputs`); each of
    ``needed`` is ``{"id", "files"}`` of a run this one reads (a GAN's, for augmentation).
    """
    previous = os.environ.get(paths.ENV_VAR)
    with tempfile.TemporaryDirectory(prefix="genrelab-ray-") as tmp:
        os.environ[paths.ENV_VAR] = tmp
        try:
            for run_id in [run["id"] for run in needed] + [record["id"]]:
                runs.run_path(run_id).mkdir(parents=True)
            for run in needed:
                unpack(run["files"], runs.run_path(run["id"]))
            runs.write_json(runs.run_path(record["id"]) / "run.json", {**record, "status": "queued"})
            from . import execute

            execute.execute(kind, record["id"], features=features)
            return {"id": record["id"], "files": pack(runs.run_path(record["id"]))}
        finally:
            if previous is None:
                os.environ.pop(paths.ENV_VAR, None)
            else:
                os.environ[paths.ENV_VAR] = previous


def _resources() -> dict:
    import ray

    return {"num_gpus": 1} if ray.cluster_resources().get("GPU", 0) >= 1 else {"num_cpus": 1}


def _cause(err: BaseException) -> BaseException:
    """The exception raised inside a task, not Ray's wrapper around it."""
    return getattr(err, "cause", None) or err


def run_all(jobs: list[Job], data_root: str | Path, on_done: Callable[[Job], None],
            cancelled: Callable[[], bool]) -> None:
    """Train ``jobs`` on the cluster, writing each run folder and calling ``on_done`` as it lands.

    ``jobs`` come in order: a job's ``needs`` are earlier jobs (its task waits for theirs) or
    finished runs here. While tasks run, every run goes through :func:`core.storage.runs.running` on this
    side. ``cancelled()`` is polled every ``POLL_SECONDS``; when true, every task still queued or
    running is cancelled (its worker is killed), those runs end ``cancelled`` and
    :class:`core.storage.runs.Cancelled` is raised. A failed task ends its run ``failed``, cancels the rest
    and raises its error.
    """
    connect()
    import ray

    from .execute import inputs

    remote = ray.remote(run_in_worker).options(max_retries=RETRIES, **_resources())
    loaders = {job.run_id: inputs(job.kind, runs.load(job.run_id)["config"]) for job in jobs}
    shipped = {load: ray.put(load(data_root)) for load in dict.fromkeys(loaders.values())}
    refs, lifecycles, pending = {}, {}, {}
    try:
        for job in jobs:
            lifecycles[job.run_id] = runs.running(job.run_id, cluster=address())
            lifecycles[job.run_id].__enter__()
            needed = [refs[n] if n in refs else {"id": n, "files": pack(runs.run_path(n), NEEDED_FILES)}
                      for n in job.needs]
            refs[job.run_id] = remote.remote(job.kind, runs.load(job.run_id), shipped[loaders[job.run_id]], *needed)
            pending[refs[job.run_id]] = job
        while pending:
            if cancelled():
                raise runs.Cancelled
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_SECONDS)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    out = ray.get(ref)
                except Exception as err:
                    cause = _cause(err)
                    lifecycles.pop(job.run_id).__exit__(type(cause), cause, None)
                    raise cause from None
                unpack(out["files"], runs.run_path(job.run_id))
                lifecycles.pop(job.run_id).__exit__(None, None, None)
                on_done(job)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        for lifecycle in lifecycles.values():  # runs whose tasks were cancelled, or never sent
            lifecycle.__exit__(runs.Cancelled, runs.Cancelled(), None)


def run(kind: str, run_id: str) -> None:
    """The background worker's handler of a queued classifier or GAN job when a cluster is set."""
    record = runs.load(run_id)
    needs = (record["augment"]["gan_run"],) if record.get("augment") else ()
    try:
        run_all([Job(run_id, kind, needs)], record["dataset"]["root"], lambda job: None,
                lambda: runs.cancel_requested(run_id))
    except runs.Cancelled:
        pass

