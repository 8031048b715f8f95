"""A run's lifecycle: running with this process's pid, ending done, cancelled, failed or interrupted; cancel
requests; reopening a stopped run to queue it again."""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from .folder import load, run_path, update, write_file
from .record import Cancelled, RunError, RunRecord

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
