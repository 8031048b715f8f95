"""Run folders: one per training run, written atomically, listed, renamed, deleted and exported.

A run folder ``<data>/runs/<run id>/`` holds::

    run.json          identity, kind, status, config, dataset fingerprint, split, timings, error
    history.json      per-epoch metrics (rewritten whole each epoch)
    checkpoint.pt     last good training state (state_dict + normaliser + epoch)
    model.pt          the weights that were tested
    result.json       test predictions, accuracy with its interval, confusion matrix, per-class scores
    clips.json        content digests (core.storage.extract.file_digest) of the clips of each part of its split
    checks/<fp>.json  a classifier checked on another dataset, one per dataset fingerprint (core.usecases.generalise)
    cancel            present when a user asked the run to stop

A GAN run also holds ``reference.pt`` (its judge classifier) and ``samples/<epoch>.pt`` (one
fixed-noise sample per genre and epoch). This module hands back loaded objects
(:func:`load_generator`, :func:`load_snapshots`), so computation never opens a run folder.

Every file is written through a temporary file and ``os.replace`` (:mod:`.store`), so a kill at any moment leaves
either the previous or the next version, never a torn one. Updates of one ``run.json`` (:func:`update`) take the
run's lock file ``.lock`` (``fcntl.flock``) around their read-modify-write, so a rename never undoes a final status.
A run whose ``run.json`` says ``running`` but whose worker process is gone is reported as ``interrupted``.
"""

from __future__ import annotations

import fcntl
import io
import json
import math
import numbers
import os
import re
import secrets
import shutil
import time
import unicodedata
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, TypedDict

import numpy as np

from ..base import paths
from ..base.config import ClassifierConfig, to_dict
from .store import atomic_write_bytes, json_bytes, read_json

if TYPE_CHECKING:
    from torch import nn

# torch (and the GAN models) are imported where tensors are read or written, so a page that only
# lists runs or reads their records starts without loading torch (the app's cold start).

ACTIVE = ("queued", "running")
FINAL = ("done", "cancelled", "interrupted", "failed")
KINDS = ("clf", "gan", "exp", "chk")
PROGRESS_KEYS = {"clf": ("epoch", "epochs", "eta_seconds"), "gan": ("epoch", "epochs", "eta_seconds"),
                 "exp": ("cells_done", "cells_total"), "chk": ("clips", "total")}  # what each kind's progress holds


class RunError(ValueError):
    """A run that does not exist, or a file that is not one of ours; ``str(err)`` is fit to show a user."""


class Cancelled(Exception):
    """Raised inside a run when its user asked it to stop; the run ends ``cancelled`` and keeps what it saved."""


class DamagedRun(RunError):
    """A run folder whose ``run.json`` is missing, unreadable or not of the shape :class:`RunRecord` says."""


class RunRecord(TypedDict, total=False):
    """What ``run.json`` holds; :func:`parse_record` checks every field a page or the CLI reads.

    Always present: ``id`` (the folder's name), ``kind`` (one of :data:`KINDS`), ``name``, ``status``
    (:data:`ACTIVE` or :data:`FINAL`), ``created`` (Unix time, s), ``config`` and ``dataset``
    (``name``, and the folder ``root`` once submitted). Experiments also hold ``cells`` and ``gans``.
    """

    id: str
    kind: str
    name: str
    status: str
    created: float
    config: dict
    dataset: dict
    preset: str
    pid: int | None
    started: float
    finished: float | None
    progress: dict
    error: str | None
    split: dict
    split_name: str
    cells: dict
    gans: dict


@dataclass(frozen=True)
class Damage:
    """A run folder :func:`list_runs` passed over, and why (``folder`` is a name, never a server path)."""

    folder: str
    reason: str


_REQUIRED = {"id": str, "kind": str, "name": str, "status": str, "created": numbers.Real, "config": dict,
             "dataset": dict}
_OPTIONAL = {"preset": str, "pid": (int, type(None)), "started": numbers.Real, "finished": (numbers.Real, type(None)),
             "progress": (dict, type(None)), "error": (str, type(None)), "split": dict, "split_name": str,
             "cells": dict, "gans": dict, "train_seconds": numbers.Real}


def _shape_problem(obj: Any, run_id: str) -> str | None:
    """Why ``obj`` is not a valid :class:`RunRecord` of run ``run_id``, or None."""
    if not isinstance(obj, dict):
        return f"run.json holds {type(obj).__name__}, not a run record"
    for key, kind in _REQUIRED.items():
        if key not in obj:
            return f"run.json lacks {key!r}"
    for key, kind in {**_REQUIRED, **_OPTIONAL}.items():
        if key in obj and (not isinstance(obj[key], kind) or isinstance(obj[key], bool)):
            return f"run.json's {key!r} is {type(obj[key]).__name__}, not what a run record holds"
    if obj["id"] != run_id:
        return f"run.json names another run ({str(obj['id'])[:40]!r})"
    if obj["kind"] not in KINDS:
        return f"run.json's kind {obj['kind'][:20]!r} is not one of {list(KINDS)}"
    if obj["status"] not in ACTIVE + FINAL:
        return f"run.json's status {obj['status'][:20]!r} is not one of {list(ACTIVE + FINAL)}"
    if not all(math.isfinite(obj[k]) for k in ("created", "started", "finished", "train_seconds")
               if obj.get(k) is not None):
        return "run.json holds a time that is not a finite number"
    if obj.get("pid") is not None and not 0 < obj["pid"] < 2**31:
        return "run.json's pid is not a process id"
    if not isinstance(obj["dataset"].get("name"), str) or not isinstance(obj["dataset"].get("root", ""), str):
        return "run.json's dataset lacks its name"
    progress = obj.get("progress")
    need = PROGRESS_KEYS[obj["kind"]]
    if progress and not (all(isinstance(progress.get(k), numbers.Real) and math.isfinite(progress[k]) for k in need)
                         and isinstance(progress.get("eta_seconds"), (numbers.Real, type(None)))):
        return f"run.json's progress lacks {', '.join(need)}"
    if obj["kind"] == "exp" and not all(isinstance(obj.get(k), dict) for k in ("cells", "gans")):
        return "run.json of an experiment lacks its cells"
    return None


def parse_record(obj: Any, run_id: str) -> RunRecord:
    """``obj`` (parsed ``run.json``) as a :class:`RunRecord`, or :class:`DamagedRun` saying what is wrong."""
    problem = _shape_problem(obj, run_id)
    if problem:
        raise DamagedRun(f"run {run_id}: {problem}")
    return obj


def runs_dir() -> Path:
    return paths.subdir("runs")


def new_run_id(kind: str) -> str:
    """A unique, sortable, path-safe id such as ``20261124-061502-clf-3fa2``."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{secrets.token_hex(2)}"


ID_PATTERN = re.compile(r"\d{8}-\d{6}-[a-z]{3,6}-[0-9a-f]{4}")
"""What :func:`new_run_id` makes (runs and lessons alike)."""


def check_id(text: Any, what: str = "run") -> str:
    """``text`` when it has the form of an id :func:`new_run_id` makes, else :class:`RunError` (quoting at most 40
    characters of it). Every id that arrives from a URL, the CLI or a folder name passes here before a path is
    built from it, so null bytes, path separators and 10 000-character names never reach the file system."""
    if not isinstance(text, str) or not ID_PATTERN.fullmatch(text):
        shown = repr(text[:40] + ("…" if len(text) > 40 else "")) if isinstance(text, str) else type(text).__name__
        raise RunError(f"{shown} is not a {what} id")
    return text


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


@dataclass
class Running:
    """A run inside :func:`running`: its record as it started, and how it is to end.

    Set ``status`` to ``"cancelled"`` when the block handled a :class:`Cancelled` itself (e.g. it
    tested the last saved epoch), and put fields to record with the final status in ``final``.
    """

    id: str
    record: dict
    status: str = "done"
    final: dict = field(default_factory=dict)

    def check_cancel(self) -> None:
        """Raise :class:`Cancelled` if a user asked this run to stop."""
        if cancel_requested(self.id):
            raise Cancelled


_SERVER_PATH = re.compile(r"(?:/[^/\s'\"`:;,()\[\]]+){2,}")


def error_text(err: BaseException, plain_errors: tuple[type[Exception], ...] = ()) -> str:
    """Why a run failed, as its record keeps it and a page shows it: the exception's type and message (the
    message alone for ``plain_errors``), every server path cut to its last part (``/srv/data/x`` → ``x``)."""
    text = str(err) if isinstance(err, plain_errors) else f"{type(err).__name__}: {err}"
    return _SERVER_PATH.sub(lambda m: m.group(0).rsplit("/", 1)[1], text)


@contextmanager
def running(run_id: str, plain_errors: tuple[type[Exception], ...] = (), **fields: Any) -> Iterator[Running]:
    """The lifecycle of every run: ``running`` with this process's pid inside the block, then how it ended.

    On entry the record gets ``status="running"``, ``started``, ``pid`` and ``fields``. On leaving,
    ``pid`` is cleared, ``finished`` set and the status becomes:

    - ``run.status`` (``"done"`` unless the block said otherwise), with ``run.final``, when the block ends;
    - ``"cancelled"`` when a :class:`Cancelled` leaves the block (it is not raised further);
    - ``"failed"`` with ``error`` (:func:`error_text`: the exception's type and message, the message alone for
      ``plain_errors``, expected failures such as a diverged loss; no server path) for any other exception, re-raised;
    - ``"interrupted"`` when the process is being stopped (``KeyboardInterrupt``, ``SystemExit``), re-raised.
    """
    run = Running(run_id, update(run_id, status="running", started=time.time(), pid=os.getpid(), **fields))
    try:
        yield run
    except Cancelled:
        run.status = "cancelled"
    except Exception as err:
        update(run_id, status="failed", finished=time.time(), pid=None, error=error_text(err, plain_errors))
        raise
    except BaseException:
        update(run_id, status="interrupted", finished=time.time(), pid=None)
        raise
    update(run_id, status=run.status, finished=time.time(), pid=None, **run.final)


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


def history(run_id: str) -> list[dict]:
    return read_json(run_path(run_id) / "history.json", [])


def result(run_id: str) -> dict | None:
    return read_json(run_path(run_id) / "result.json")


SPLIT_PARTS = ("train", "val", "test")


def save_clips(run_id: str, digests: dict[str, list[str]]) -> None:
    """Keep the content digests of the clips a run trained, validated and tested on (``{"train": [...], ...}``)."""
    write_json(run_path(run_id) / "clips.json", {part: list(digests[part]) for part in SPLIT_PARTS})


def clips(run_id: str) -> dict[str, list[str]] | None:
    """What :func:`save_clips` kept for a run, or None (a run made before runs kept it, or an unreadable file)."""
    saved = read_json(run_path(run_id) / "clips.json")
    if not (isinstance(saved, dict) and all(isinstance(saved.get(p), list) for p in SPLIT_PARTS)):
        return None
    return {part: [d for d in saved[part] if isinstance(d, str)] for part in SPLIT_PARTS}


def save_check(run_id: str, fingerprint: str, check: dict) -> None:
    """Keep a check of run ``run_id`` on another dataset, replacing an earlier check of the same dataset content."""
    if not fingerprint.isalnum():
        raise RunError(f"{fingerprint!r} is not a dataset fingerprint")
    write_json(run_path(run_id) / "checks" / f"{fingerprint}.json", check)


def checks(run_id: str) -> list[dict]:
    """Every saved check of a run, newest first; unreadable files are left out."""
    found = [read_json(p) for p in (run_path(run_id) / "checks").glob("*.json")]
    return sorted((c for c in found if isinstance(c, dict) and "accuracy" in c), key=lambda c: -c.get("checked", 0))


def save_tensors(run_id: str, name: str, obj: dict) -> None:
    """Save a dict of tensors / plain values as ``<name>.pt`` atomically."""
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    write_file(run_path(run_id) / f"{name}.pt", buf.getvalue())


def load_tensors(path: Path) -> dict:
    """Load a ``.pt`` file written by :func:`save_tensors`, never unpickling arbitrary objects."""
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise RunError(f"{path.name} is missing") from None
    except Exception as err:  # torch raises many types for foreign or corrupt files
        raise RunError(f"{path.name} is not a GenreLab model file ({type(err).__name__})") from None
    if not isinstance(obj, dict) or "state_dict" not in obj:
        raise RunError(f"{path.name} is not a GenreLab model file")
    return obj


def load_generator(run_id: str, name: str = "model") -> tuple[nn.Module, dict]:
    """The generator saved as ``<name>.pt`` in a GAN run folder, in eval mode, and that file's contents."""
    from ..compute import gan_samples

    saved = load_tensors(run_path(run_id) / f"{name}.pt")
    return gan_samples.generator_from(saved), saved


def save_snapshot(run_id: str, epoch: int, x: np.ndarray) -> None:
    """Store one epoch's fixed-noise samples ``(n_classes, steps, n_mels)`` as float16 in ``samples/<epoch>.pt``."""
    import torch

    save_tensors(run_id, f"samples/{epoch:04d}", {"epoch": epoch, "x": torch.from_numpy(x).half()})


def load_snapshots(run_id: str) -> tuple[list[int], np.ndarray]:
    """The epochs with a snapshot and their samples stacked: ``(n_epochs, n_classes, steps, n_mels)`` float32."""
    files = sorted((run_path(run_id) / "samples").glob("*.pt"))
    if not files:
        return [], np.zeros((0, 0, 0, 0), np.float32)
    import torch

    saved = [torch.load(f, map_location="cpu", weights_only=True) for f in files]
    return [s["epoch"] for s in saved], torch.stack([s["x"] for s in saved]).float().numpy()


def check_name(name: str) -> str:
    """``name`` without its outer spaces, or :class:`RunError` when it is empty or holds a line break or another
    control character (a name is one line of text, shown as typed: see :mod:`core.base.usertext`)."""
    name = name.strip()
    if not name:
        raise RunError("a run name cannot be empty")
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in name):
        raise RunError("a run name cannot hold line breaks or other control characters")
    return name


def rename(run_id: str, name: str) -> None:
    """Give a run a new name (:func:`check_name`, at most 100 characters)."""
    update(run_id, name=check_name(name)[:100])


def request_cancel(run_id: str) -> None:
    """Ask a queued or running run to stop; it keeps what it has done."""
    write_file(run_path(run_id) / "cancel", b"")


def cancel_requested(run_id: str) -> bool:
    return (run_path(run_id) / "cancel").exists()


def clear_cancel(run_id: str) -> None:
    """Withdraw a cancel request (before resuming a run)."""
    (run_path(run_id) / "cancel").unlink(missing_ok=True)


RESUMABLE = ("interrupted", "cancelled", "failed")


def reopen(run_id: str, statuses: tuple[str, ...] = RESUMABLE) -> RunRecord:
    """Mark a run in one of ``statuses`` (by default interrupted, cancelled or failed) as queued again;
    enqueue it afterwards. Returns its record; :class:`RunError` for a run in another state."""
    record = load(run_id)
    if record["status"] not in statuses:
        raise RunError(f"run {record['name']} is {record['status']}: only a run that is {', '.join(statuses)} "
                       "can be resumed")
    clear_cancel(run_id)
    return update(run_id, status="queued", error=None, pid=None, progress=None, finished=None)


def dependents(run_id: str) -> list[RunRecord]:
    """The runs that build on run ``run_id`` and would lose it if it were deleted: classifiers augmented with
    its samples (a GAN) or compared with it (their baseline), experiments holding it as a cell or GAN, and
    checks of it on other datasets."""
    out = []
    for r in list_runs():
        links = [(r.get("augment") or {}).get("gan_run"), r.get("baseline"), *r.get("cells", {}).values(),
                 *r.get("gans", {}).values(), r["config"].get("run") if r["kind"] == "chk" else None]
        if run_id in links and r["id"] != run_id:
            out.append(r)
    return out


def dependents_text(records: list[RunRecord]) -> str:
    """'2 runs build on it: “a” (id), “b” (id)' for :func:`dependents`, or '' when none does."""
    if not records:
        return ""
    named = ", ".join(f"“{r['name']}” ({r['id']})" for r in records[:5]) + (" …" if len(records) > 5 else "")
    return f"{len(records)} run{'s build' if len(records) != 1 else ' builds'} on it: {named}"


def delete(run_id: str) -> None:
    """Remove a finished run. Active runs must be cancelled first."""
    record = load(run_id)
    if record["status"] in ACTIVE:
        raise RunError(f"run {record['name']} is {record['status']}: cancel it before deleting it")
    trash = runs_dir() / f".deleted-{run_id}-{secrets.token_hex(2)}"
    os.replace(run_path(run_id), trash)  # atomic: the run vanishes at once, then its files go
    shutil.rmtree(trash, ignore_errors=True)


def export_zip(run_id: str) -> bytes:
    """A zip with the run's weights, config, history, result and a Markdown report."""
    record = load(run_id)
    folder = run_path(run_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("run.json", "history.json", "result.json", "model.pt"):
            if (folder / name).exists():
                zf.write(folder / name, f"{run_id}/{name}")
        zf.writestr(f"{run_id}/REPORT.md", report_markdown(record, result(run_id)))
    return buf.getvalue()


def describe_data(record: dict) -> str:
    """'demo set (fingerprint 1a2b…), paper 70/20/10 random, seed 0': what a number was measured on."""
    data = record.get("dataset", {})
    split = record.get("split_name", "")
    return f"{data.get('name', '?')} ({data.get('n_clips', '?')} clips, fingerprint {data.get('fingerprint', '?')}), {split}"


def report_markdown(record: dict, res: dict | None) -> str:
    lines = [f"# {record['name']}", "", f"- run id: `{record['id']}`", f"- kind: {record['kind']}",
             f"- status: {record['status']}", f"- measured on: {describe_data(record)}", "", "## Config", ""]
    lines += [f"- {k}: {v}" for k, v in record.get("config", {}).items()]
    if res and "accuracy" in res:
        acc = res["accuracy"]
        lines += ["", "## Test result", "",
                  f"Accuracy {acc['value']:.1%} (95 % interval {acc['lo']:.1%}–{acc['hi']:.1%}), "
                  f"{acc['correct']} of {acc['n']} test clips."]
        if res.get("per_class"):
            lines += ["", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
            lines += [f"| {r['label']} | {r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.2f} | {r['support']} |"
                      for r in res["per_class"]]
    return "\n".join(lines) + "\n"
