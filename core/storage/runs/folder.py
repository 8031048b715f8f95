"""Run folders: one per run, written atomically, created whole, updated under a lock, listed.

A run folder ``<data>/runs/<run id>/`` holds::

    run.json          identity, kind, status, config, dataset fingerprint, split, timings, error (:mod:`.record`)
    history.json      per-epoch metrics (rewritten whole each epoch)
    checkpoint.pt     last good training state (state_dict + normaliser + epoch)
    model.pt          the weights that were tested
    result.json       test predictions, accuracy with its interval, confusion matrix, per-class scores
    clips.json        content digests (core.storage.extract.file_digest) of the clips of each part of its split
    checks/<fp>.json  a classifier checked on another dataset, one per dataset fingerprint (core.usecases.generalise)
    cancel            present when a user asked the run to stop (:mod:`.lifecycle`)

A GAN run also holds ``reference.pt`` (its judge classifier) and ``samples/<epoch>.pt`` (one
fixed-noise sample per genre and epoch); :mod:`.files` reads and writes all but ``run.json``.

Every file is written through a temporary file and ``os.replace`` (:mod:`core.storage.store`), so a kill at any moment
leaves either the previous or the next version, never a torn one. Updates of one ``run.json`` (:func:`update`) take
the run's lock file ``.lock`` (``fcntl.flock``) around their read-modify-write, so a rename never undoes a final
status. A run whose ``run.json`` says ``running`` but whose worker process is gone is reported as ``interrupted``.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ...base import paths
from ...base.config import ClassifierConfig, to_dict
from ..store import atomic_write_bytes, json_bytes
from .record import ACTIVE, Damage, DamagedRun, RunError, RunRecord, check_id, check_name, new_run_id, parse_record

def runs_dir() -> Path:
    return paths.subdir("runs")


def run_path(run_id: str) -> Path:
    """The folder of a run; refuses anything that is not a run id (:func:`check_id`)."""
    return runs_dir() / check_id(run_id)


def write_file(path: Path, data: bytes) -> None:
    """Atomically write a file inside a run folder, never making again a run folder deleted meanwhile.

    A sub-folder of the run (``samples/``) is made if needed; a run folder that is gone (its run was
    deleted, or the whole data folder was) raises :class:`RunError` rather than leaving an orphan
    folder without ``run.json``.
    """
    folder = runs_dir() / path.relative_to(runs_dir()).parts[0]
    try:
        if path.parent != folder:
            path.parent.mkdir(exist_ok=True)
        atomic_write_bytes(path, data, make_parents=False)
    except FileNotFoundError:
        raise RunError(f"run {folder.name} no longer exists (its folder was deleted)") from None


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to a file inside a run folder (see :func:`write_file`)."""
    write_file(path, json_bytes(data))


def create(kind: str, name: str, config: dict, **info: Any) -> str:
    """Create a queued run folder and return its id.

    The folder appears whole: it is made hidden with its ``run.json``, then renamed into place, so no
    reader ever sees a run folder without a record.
    """
    run_id = new_run_id(kind)
    record = parse_record({"id": run_id, "kind": kind, "name": check_name(name), "status": "queued",
                           "created": time.time(),
                           "config": config, **info}, run_id)
    staging = runs_dir() / f".new-{run_id}"
    staging.mkdir()
    try:
        write_json(staging / "run.json", record)
        os.rename(staging, run_path(run_id))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return run_id


def _read_record(run_id: str) -> RunRecord:
    """The stored ``run.json`` of ``run_id``, validated; :class:`RunError` if absent, :class:`DamagedRun` if bad."""
    folder = run_path(run_id)
    try:
        text = (folder / "run.json").read_bytes()
    except FileNotFoundError:
        if folder.is_dir():
            raise DamagedRun(f"run {run_id}: run.json is missing") from None
        raise RunError(f"run {run_id} does not exist") from None
    except OSError as err:
        raise DamagedRun(f"run {run_id}: run.json cannot be read ({err.strerror or type(err).__name__})") from None
    try:
        obj = json.loads(text)
    except ValueError:
        raise DamagedRun(f"run {run_id}: run.json is not valid JSON") from None
    return parse_record(obj, run_id)


@contextmanager
def _locked(run_id: str) -> Iterator[None]:
    """Hold run ``run_id``'s lock (an exclusive ``flock`` on ``<run>/.lock``, across processes) inside the block."""
    try:
        fd = os.open(run_path(run_id) / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        raise RunError(f"run {run_id} does not exist") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def update(run_id: str, **fields: Any) -> dict:
    """Merge ``fields`` into a run's ``run.json`` (atomically) and return the new record.

    Updates of one run are serialised by its lock, so two processes updating different fields (a rename
    and the worker's final status) both land.
    """
    with _locked(run_id):
        record = _read_record(run_id)
        record.update(fields)
        write_json(run_path(run_id) / "run.json", record)
    return record


def _alive(pid: int | None) -> bool:
    """True while process ``pid`` runs. A zombie (exited, not yet reaped by its parent, e.g. the app that
    started the worker) is dead: ``os.kill(pid, 0)`` still succeeds on it, so its state is read from /proc."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        pass
    return process_state(pid) not in ("Z", "X")


def process_state(pid: int) -> str | None:
    """The state letter of process ``pid`` from ``/proc/<pid>/stat`` (``R``, ``S``, ``Z`` for a zombie, …),
    or None where it cannot be read (no /proc, or the process is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[0] if ")" in stat else None


def load(run_id: str) -> RunRecord:
    """A run's validated record with its effective status (a dead worker's run reads ``interrupted``).

    Raises :class:`RunError` if the run does not exist, :class:`DamagedRun` if its record is bad.
    """
    record = _read_record(run_id)
    if record["status"] == "running" and not _alive(record.get("pid")):
        record["status"] = "interrupted"
    return record


def scan(kind: str | None = None) -> tuple[list[RunRecord], list[Damage]]:
    """Every valid run record (newest first) and every damaged run folder with its reason; never raises."""
    records, damaged = [], []
    try:
        folders = sorted(runs_dir().iterdir(), reverse=True)
    except OSError as err:
        return [], [Damage("runs/", f"the runs folder cannot be read ({err.strerror or type(err).__name__})")]
    for folder in folders:
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        try:
            record = load(folder.name)
        except DamagedRun as err:
            damaged.append(Damage(folder.name, str(err).removeprefix(f"run {folder.name}: ")))
            continue
        except RunError:  # deleted meanwhile, or a folder name that is not a run id
            continue
        if kind is None or record["kind"] == kind:
            records.append(record)
    return records, damaged


def list_runs(kind: str | None = None) -> list[RunRecord]:
    """Every valid run's record, newest first; damaged folders are left out (see :func:`damaged`)."""
    return scan(kind)[0]


def damaged() -> list[Damage]:
    """Run folders whose ``run.json`` is missing, unreadable or malformed, with the reason for each."""
    return scan()[1]


def baseline_for(cfg: ClassifierConfig, root: str | Path, done_only: bool = False) -> str | None:
    """The newest unaugmented classifier run with exactly config ``cfg`` on dataset folder ``root``.

    Runs that failed, were cancelled or were interrupted do not count; with ``done_only`` neither do
    queued or running ones.
    """
    ok = ("done",) if done_only else ("done",) + ACTIVE
    for r in list_runs("clf"):
        if (r["status"] in ok and not r.get("augment") and r["config"] == to_dict(cfg)
                and str(r.get("dataset", {}).get("root")) == str(root)):
            return r["id"]
    return None
