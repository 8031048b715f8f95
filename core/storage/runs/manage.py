"""What a user does to a finished run: rename it, see which runs build on it, delete it."""

from __future__ import annotations

import os
import secrets
import shutil

from .folder import list_runs, load, run_path, runs_dir, update
from .record import ACTIVE, RunError, RunRecord, check_name

def rename(run_id: str, name: str) -> None:
    """Give a run a new name (:func:`check_name`, at most 100 characters)."""
    update(run_id, name=check_name(name)[:100])


def dependents(run_id: str) -> list[RunRecord]:
    """The runs that build on run ``run_id`` and would lose it if it were deleted: classifiers augmented with
    its samples (a GAN) or compared with it (their baseline), experiments holding it as a cell or GAN, lessons
    holding it as a step, and checks of it on other datasets."""
    out = []
    for r in list_runs():
        links = [(r.get("augment") or {}).get("gan_run"), r.get("baseline"), *r.get("cells", {}).values(),
                 *r.get("gans", {}).values(), *r.get("steps", {}).values(),
                 r["config"].get("run") if r["kind"] == "chk" else None]
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
