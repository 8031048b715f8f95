"""Run folders: one per run, written atomically, listed, renamed, deleted. ``from core.storage import runs`` then
``runs.load(run_id)``: the record (:mod:`.record`), the folder (:mod:`.folder`), the lifecycle (:mod:`.lifecycle`),
the files beside the record (:mod:`.files`) and what a user does to a run (:mod:`.manage`)."""

from .files import (SPLIT_PARTS, checks, clips, history, load_generator, load_snapshots, load_tensors, result,
                    save_check, save_clips, save_snapshot, save_tensors)
from .folder import (baseline_for, create, damaged, list_runs, load, process_state, run_path, runs_dir, scan,
                     update, write_file, write_json)
from .lifecycle import RESUMABLE, Running, cancel_requested, clear_cancel, error_text, reopen, request_cancel, running
from .manage import delete, dependents, dependents_text, rename
from .record import (ACTIVE, FINAL, ID_PATTERN, KINDS, PROGRESS_KEYS, Cancelled, Damage, DamagedRun, RunError,
                     RunRecord, check_id, check_name, describe_data, new_run_id, parse_record)
