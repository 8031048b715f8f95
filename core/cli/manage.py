"""``runs``: list runs (and damaged run folders), rename, cancel, delete or export one."""

from __future__ import annotations

import sys
from pathlib import Path

from ..storage.runs import KINDS


def cmd_runs(args) -> int:
    """``runs`` (list; ``--check``: only damaged folders), ``runs rename ID NAME``, ``runs cancel ID``,
    ``runs delete ID --yes``, ``runs export ID [-o FILE]``."""
    from ..storage import runs

    action = args.action or "list"
    if action == "list":
        records, damaged = runs.scan(args.kind)
        if not args.check:
            for r in records:
                print(f"{r['id']}  {r['kind']:<4} {r['status']:<11} {r['name']}")
        for d in damaged:
            print(f"damaged: {d.folder}: {d.reason}")
        if args.check:
            print(f"{len(records)} runs readable, {len(damaged)} damaged")
        return 1 if args.check and damaged else 0
    try:
        record = runs.load(args.run)
        if action == "rename":
            runs.rename(args.run, args.name)
            print(f"run {args.run}: renamed from {record['name']!r} to {runs.load(args.run)['name']!r}")
        elif action == "cancel":
            from ..storage import queue

            status = queue.cancel(args.run)
            print(f"run {args.run} ({record['name']}): " + (
                "cancelled (no job was left to run it)" if status == "cancelled"
                else f"{status}; asked to stop, it keeps what it has saved"))
        elif action == "delete":
            users = runs.dependents_text(runs.dependents(args.run))
            if not args.yes:
                print(f"error: deleting run {args.run} ({record['name']}) cannot be undone"
                      f"{f'; {users}, and would lose it' if users else ''}: add --yes", file=sys.stderr)
                return 2
            runs.delete(args.run)
            print(f"run {args.run} ({record['name']}) deleted")
            if users:
                print(f"warning: {users}; they keep their results, but cannot be resumed or rebuilt from it",
                      file=sys.stderr)
        else:
            return export_run(args.run, record, Path(args.output or f"{args.run}.zip"), args.force)
    except runs.RunError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def export_run(run_id: str, record: dict, out: Path, force: bool) -> int:
    """Write run ``run_id``'s zip to ``out`` through a temporary file and a rename, so a failed write (a full
    disk) leaves an existing ``out`` as it was; an existing file is replaced only with ``force``."""
    from ..storage import runs
    from ..storage.store import atomic_write_bytes
    from ..usecases import reports

    if out.is_dir():
        print(f"error: {out} is a folder: name the zip file to write, e.g. {out / (run_id + '.zip')}", file=sys.stderr)
        return 2
    if out.exists() and not force:
        print(f"error: {out} already exists: add --force to replace it", file=sys.stderr)
        return 2
    try:
        atomic_write_bytes(out, reports.export_zip(run_id), make_parents=False)
    except OSError as err:
        print(f"error: cannot write {out}: {err.strerror or type(err).__name__}", file=sys.stderr)
        return 2
    print(f"run {run_id} ({record['name']}) exported to {out}")
    if not (runs.run_path(run_id) / "model.pt").exists():
        print(f"note: run {run_id} ({record['status']}) has no model.pt: the zip holds its record, history and "
              "report only", file=sys.stderr)
    return 0


def add_commands(sub) -> None:
    """The ``runs`` command and its actions, on the subparsers ``sub`` of :func:`core.cli.main.build_parser`."""
    p = sub.add_parser("runs", help="list (the default), rename, delete or export runs; list reports damaged run "
                                    "folders too (python -m core runs --help)")
    p.add_argument("--check", action="store_true",
                   help="only report damaged run folders (missing or malformed run.json); exit 1 if there is one")
    p.set_defaults(func=cmd_runs, action=None, kind=None)
    actions = p.add_subparsers(dest="action", metavar="{list,rename,cancel,delete,export}")
    a = actions.add_parser("list", help="every run, newest first: id, kind, status, name (the default)")
    a.add_argument("--kind", choices=KINDS,
                   help="only runs of this kind: classifier, GAN, experiment or check on another dataset")
    a = actions.add_parser("rename", help="give a run a new name")
    a.add_argument("run", help="run id")
    a.add_argument("name", help="the new name")
    a = actions.add_parser("cancel", help="stop a queued or running run (one that nothing will run is cancelled "
                                          "at once)")
    a.add_argument("run", help="run id")
    a = actions.add_parser("delete", help="delete a finished run and its files")
    a.add_argument("run", help="run id")
    a.add_argument("--yes", action="store_true", help="confirm: deleting cannot be undone")
    a = actions.add_parser("export", help="write a zip of the run: model, config, history, result and a report")
    a.add_argument("run", help="run id")
    a.add_argument("-o", "--output", help="zip file to write (default: <run id>.zip)")
    a.add_argument("--force", action="store_true", help="replace the zip file if it exists")
