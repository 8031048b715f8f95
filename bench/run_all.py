"""Run the bench scripts and collect every figure they print into ``bench/results.json``.

    python bench/run_all.py                      # every script at full size (hours on 2 CPU cores)
    python bench/run_all.py --quick              # minutes: reduced runs, marked "quick" in results.json
    python bench/run_all.py --only bench_gan,bench_predict   # rerun some; keep every other entry

Each figure is stored under ``"<script>/<figure>"`` with what it was measured on: ``value``, ``target``,
``load_average`` (1-minute, as the script printed it), ``script`` and ``args``, ``quick``, the git
``commit`` (``+dirty`` if the work tree had changes) and the UTC ``date``. Rerunning a job replaces
all of its entries (a figure it no longer prints disappears). ``bench/readme_figures.py`` renders
README's tables from this file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results.json"

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
    "bench_gan_gtzan_mini": ("bench_gan.py", ["--data", "gtzan-mini", "--presets", "conditional", "--seeds", "5,6,7,8,9"],
                             ["--data", "gtzan-mini", "--presets", "conditional", "--seeds", "5", "--set", "epochs=2",
                              "--set", "ref_epochs=1"]),
    "bench_predict": ("bench_predict.py", [], ["--repeats", "3", "--cold-repeats", "1"]),
    "bench_app": ("bench_app.py", [], []),
    "bench_repro": ("bench_repro.py", ["--epochs", "30"], ["--epochs", "5"]),
    "bench_classic": ("bench_classic.py", [], None),
    "bench_generalise": ("bench_generalise.py", [], []),
    "bench_ray": ("bench_ray.py", [], ["--skip-cells"]),
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


def run_job(name: str, quick: bool) -> tuple[list[dict], str]:
    """Run one job; returns its figures, stamped, and its stderr's tail if it failed (else "")."""
    script, full, reduced = JOBS[name]
    args = reduced if quick else full
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=REPO, capture_output=True, text=True)
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="reduced runs (marked quick); jobs without one are kept")
    ap.add_argument("--only", help=f"comma-separated jobs to rerun: {', '.join(JOBS)}")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else list(JOBS)
    unknown = [n for n in names if n not in JOBS]
    if unknown:
        ap.error(f"unknown job(s) {unknown}; jobs: {', '.join(JOBS)}")
    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    failures = {}
    for name in names:
        if args.quick and JOBS[name][2] is None:
            print(f"{name}: no quick form, previous entries kept", flush=True)
            continue
        print(f"{name}: running {'(quick)' if args.quick else ''}", flush=True)
        found, failed = run_job(name, args.quick)
        if failed:
            failures[name] = failed
            print(f"{name} FAILED, previous entries kept:\n{failed}", file=sys.stderr, flush=True)
            continue
        results = merge(results, name, found)
        args.results.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        print(f"{name}: {len(found)} figures in {found[0]['job_seconds'] if found else '?'} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
