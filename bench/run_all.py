"""Run the bench scripts and collect every figure they print into ``bench/results.json``.

    python bench/run_all.py --all                # every job README's tables show, at full size, at one commit
    python bench/run_all.py --all --quick        # minutes: reduced runs, marked "quick" in results.json
    python bench/run_all.py --only bench_gan,bench_predict   # rerun some; keep every other entry
    python bench/run_all.py --only bench_experiment_demo,bench_experiment_gtzan_mini   # the study's grid (hours)

Each figure is stored under ``"<script>/<figure>"`` with what it was measured on: ``value``, ``target``,
``load_average`` (1-minute, as the script printed it), ``script`` and ``args``, ``quick``, the git
``commit`` (``+dirty`` if the work tree had changes) and the UTC ``date``. Rerunning a job replaces
all of its entries (a figure it no longer prints disappears). ``bench/readme_figures.py`` renders
README's tables from this file.

``--all`` runs the jobs of :data:`ALL` (every figure README's tables show, the memory figures and the eight
browser sessions) in one sitting from a clean work tree, and fails if HEAD moves meanwhile or if any figure
README shows is then from another commit. The study's full grid (:data:`STUDY_GRID`, hours of CPU) stays out
of it and says so. Timed figures refuse a busy machine (``bench/common.py``): ``--max-load``, ``--load-wait``
and ``--allow-load`` set that guard for every script run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results.json"
sys.path.insert(0, str(REPO))
from core.storage.store import atomic_write_bytes  # noqa: E402

QUICK_EXPERIMENT = ["--epochs", "1", "--gan-epochs", "1", "--gan-set", "ref_epochs=1", "--per-genre", "0,70",
                    "--threads", "1"]
JOBS: dict[str, tuple[str, list[str], list[str] | None]] = {
    # name: (script, full-size arguments, --quick arguments or None to skip it under --quick)
    "bench_features": ("bench_features.py", [], []),
    "bench_synth": ("bench_synth.py", [], []),
    "bench_inversion": ("bench_inversion.py", ["--threads", "1"], ["--threads", "1", "--repeats", "3"]),
    "bench_classifier": ("bench_classifier.py", [], ["--skip-paper-cv"]),
    "bench_gan": ("bench_gan.py", ["--presets", "conditional"],
                  ["--presets", "conditional", "--seeds", "0", "--set", "epochs=2", "--set", "ref_epochs=1"]),
    # the study's GAN alone: a change to the conditional preset need not rerun its 40 minutes
    "bench_gan_paper": ("bench_gan.py", ["--presets", "paper"],
                        ["--presets", "paper", "--seeds", "0", "--set", "epochs=2", "--set", "ref_epochs=1"]),
    # folds of REPORT_PARTITION (seeds 5-9 of split=fold5; the GAN's settings were chosen on the demo set only);
    # all five folds, several minutes each on two idle cores
    "bench_gan_gtzan_mini": ("bench_gan.py",
                             ["--data", "gtzan-mini", "--presets", "conditional", "--seeds", "5,6,7,8,9"],
                             ["--data", "gtzan-mini", "--presets", "conditional", "--seeds", "5", "--set", "epochs=2",
                              "--set", "ref_epochs=1"]),
    "bench_predict": ("bench_predict.py", [], ["--repeats", "3", "--cold-repeats", "1"]),
    "bench_app": ("bench_app.py", [], []),
    "bench_memory": ("bench_memory.py", [], ["--epochs", "2"]),
    "bench_repro": ("bench_repro.py", ["--epochs", "30"], ["--epochs", "5"]),
    "bench_classic": ("bench_classic.py", [], None),
    "bench_generalise": ("bench_generalise.py", [], ["--seeds", "0"]),
    "bench_pretrained": ("bench_pretrained.py", ["--select"], ["--seeds", "0"]),
    "bench_ray": ("bench_ray.py", [], ["--skip-cells"]),
    # the lesson and the quick lesson on the demo set, queue to end: the durations Home promises
    "bench_lesson": ("bench_lesson.py", [], ["--quick-only"]),
    "bench_load": ("bench_load.py", [], ["--sessions", "2"]),
    "bench_experiment_demo": ("bench_experiment.py", ["--data", "demo", "--threads", "1"],
                              ["--data", "demo", "--seeds", "3", *QUICK_EXPERIMENT]),
    # the augmentation lesson in one table: recommended LSTM, +70/genre from the conditional GAN beside its two
    # controls (the same steps without generated data; as many SpecAugment-masked copies), 5 seeds of the demo set
    "bench_experiment_controls": ("bench_experiment.py", ["--data", "demo", "--name", "demo_controls", "--arms",
                                                          "recommended", "--per-genre", "0,70", "--seeds", "5"],
                                  ["--data", "demo", "--name", "demo_controls", "--arms", "recommended", "--seeds", "2",
                                   *QUICK_EXPERIMENT]),
    "bench_experiment_gtzan_mini": ("bench_experiment.py", ["--data", "gtzan-mini", "--threads", "1", "--set",
                                                            "split=fold5", "--first-seed", "5"],
                                    ["--data", "gtzan-mini", "--set", "split=fold5", "--first-seed", "5",
                                     "--arms", "recommended", *QUICK_EXPERIMENT]),
}

STUDY_GRID = ("bench_experiment_demo", "bench_experiment_gtzan_mini")
"""The study's full grid: hours of CPU, left out of ``--all`` (run it with ``--only``)."""
ALL = ("bench_features", "bench_classifier", "bench_generalise", "bench_pretrained", "bench_inversion", "bench_gan",
       "bench_gan_paper", "bench_gan_gtzan_mini", "bench_predict", "bench_app", "bench_memory", "bench_load",
       "bench_lesson", "bench_repro", "bench_experiment_controls")
"""``--all``: every job whose figures README's tables show, plus the app's memory and eight browser sessions."""


def git_commit() -> str:
    """Short HEAD commit, with ``+dirty`` when tracked files other than results.json differ from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout
    changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True,
                             text=True).stdout.split("\n")
    dirty = any(line and not line.endswith("bench/results.json") for line in changed)
    return head.strip() + ("+dirty" if dirty else "")


def figures(stdout: str) -> list[dict]:
    """The JSON figure lines a script printed (anything else it printed is ignored)."""
    out = []
    for line in stdout.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and "figure" in item:
            out.append(item)
    return out


def run_job(name: str, quick: bool, env: dict | None = None) -> tuple[list[dict], str]:
    """Run one job (in ``env``, default this process's); returns its figures, stamped, and its stderr's tail if it
    failed (else "")."""
    script, full, reduced = JOBS[name]
    args = reduced if quick else full
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=REPO, capture_output=True, text=True,
                          env=env)
    stamp = {"job": name, "script": f"bench/{script}", "args": args, "quick": quick, "commit": git_commit(),
             "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
             "job_seconds": round(time.perf_counter() - started, 1)}
    found = [{**f, **stamp} for f in figures(proc.stdout)]
    failed = "" if proc.returncode == 0 else f"exit {proc.returncode}: " + "\n".join(proc.stderr.splitlines()[-15:])
    return found, failed


def merge(results: dict, name: str, found: list[dict]) -> dict:
    """``results`` with the job's old entries replaced by ``found``; a figure printed twice is an error."""
    script = Path(JOBS[name][0]).stem
    kept = {k: v for k, v in results.items() if v.get("job") != name}
    new: dict[str, dict] = {}
    for f in found:
        key = f"{script}/{f['figure']}"
        if key in kept or key in new:
            raise ValueError(f"{key} is printed by two jobs or twice by {name}: give each figure its own name")
        new[key] = f
    return dict(sorted({**kept, **new}.items()))


def stale(results: dict, commit: str) -> list[str]:
    """The figures README's tables show that are not from ``commit`` or carry a ``not_regenerated`` note."""
    from readme_figures import shown

    return [k for k in shown() if k not in results or results[k].get("commit") != commit
            or results[k].get("not_regenerated")]


def selection(args) -> list[str]:
    """The jobs to run: ``--only``'s, in its order, or :data:`ALL`."""
    return [n.strip() for n in args.only.split(",")] if args.only else list(ALL)


def guard_env(args) -> dict:
    """This process's environment with the load guard's settings (``bench/common.py``) for the scripts."""
    env = dict(os.environ)
    if args.max_load is not None:
        env["GENRELAB_BENCH_MAX_LOAD"] = str(args.max_load)
    if args.load_wait is not None:
        env["GENRELAB_BENCH_LOAD_WAIT"] = str(args.load_wait)
    if args.allow_load:
        env["GENRELAB_BENCH_ALLOW_LOAD"] = "1"
    return env


def write_results(path: Path, results: dict) -> None:
    """``results`` as ``path`` (results.json), atomically: a kill or a full disk mid-write keeps the previous file."""
    atomic_write_bytes(path, (json.dumps(results, indent=1, ensure_ascii=False) + "\n").encode())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help=f"every job README shows: {', '.join(ALL)} (not the "
                                                          f"study's grid, {', '.join(STUDY_GRID)}: hours)")
    which.add_argument("--only", help=f"comma-separated jobs to rerun: {', '.join(JOBS)}")
    ap.add_argument("--quick", action="store_true", help="reduced runs (marked quick); jobs without one are kept")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--max-load", type=float, help="highest 1-minute load a timing may start at (default 0.75 a "
                                                   "core: 1.5 on two)")
    ap.add_argument("--load-wait", type=float, help="seconds a script waits for the load to fall (default 180)")
    ap.add_argument("--allow-load", action="store_true", help="time on a busy machine anyway; README marks those "
                                                              "figures 'measured under load N: not comparable'")
    args = ap.parse_args(argv)
    names = selection(args)
    unknown = [n for n in names if n not in JOBS]
    if unknown:
        ap.error(f"unknown job(s) {unknown}; jobs: {', '.join(JOBS)}")
    commit = git_commit()
    if args.all:
        if commit.endswith("+dirty"):
            ap.error("--all measures one commit: commit or stash the work tree's changes first")
        print(f"--all at {commit}: {', '.join(names)}; left out: {', '.join(STUDY_GRID)} (the study's full grid, "
              f"hours of CPU: --only {','.join(STUDY_GRID)}) and "
              f"{', '.join(sorted(set(JOBS) - set(ALL) - set(STUDY_GRID)))} (not in README's tables)", flush=True)
    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    env, failures = guard_env(args), {}
    for name in names:
        if args.quick and JOBS[name][2] is None:
            print(f"{name}: no quick form, previous entries kept", flush=True)
            continue
        print(f"{name}: running {'(quick)' if args.quick else ''}", flush=True)
        found, failed = run_job(name, args.quick, env)
        if args.all and git_commit() != commit:
            print(f"HEAD or the work tree changed during --all (was {commit}): figures from {name} on are not "
                  f"from one commit; stopped", file=sys.stderr, flush=True)
            return 1
        if failed:
            failures[name] = failed
            print(f"{name} FAILED, previous entries kept:\n{failed}", file=sys.stderr, flush=True)
            continue
        results = merge(results, name, found)
        write_results(args.results, results)
        print(f"{name}: {len(found)} figures in {found[0]['job_seconds'] if found else '?'} s", flush=True)
    if args.all and not failures and (left := stale(results, commit)):
        print(f"README's figures not from {commit}: {', '.join(left)}", file=sys.stderr, flush=True)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
