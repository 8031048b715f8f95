"""``python -m core``: GenreLab without a browser. A thin layer, like the pages."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import paths


class TerminalProgress:
    """A one-line progress bar on stderr: ``label [#####.....] 12/40  3.1 s``."""

    def __init__(self, label: str):
        self.label, self.start = label, time.perf_counter()

    def __call__(self, done: int, total: int, note: str = "") -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        elapsed = time.perf_counter() - self.start
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}  "
                         f"{elapsed:.1f} s {note}   ")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def resolve_data(arg: str | None) -> Path:
    """A dataset folder from ``--data``; ``demo`` or nothing means the embedded demo set (made if needed)."""
    if arg and arg != "demo":
        return Path(arg)
    from .synth import make_demo_dataset

    return make_demo_dataset(progress=TerminalProgress("demo set"))


def cmd_demo(args) -> int:
    from .synth import make_demo_dataset

    root = make_demo_dataset(clips_per_genre=args.clips, seconds=args.seconds, seed=args.seed,
                             progress=TerminalProgress("demo set"))
    print(root)
    return 0


def cmd_scan(args) -> int:
    from .extract import load_features

    fs = load_features(resolve_data(args.data), progress=TerminalProgress("scan"))
    print(f"dataset {fs.root} (layout: {fs.layout}, fingerprint {fs.fingerprint})")
    print(f"{len(fs.clips)} usable clips in {len(fs.labels)} labels:")
    for i, label in enumerate(fs.labels):
        print(f"  {label:<12} {int((fs.y == i).sum()):>5}")
    print(f"{len(fs.skipped)} files skipped")
    for s in fs.skipped:
        print(f"  {s.path}: {s.reason}")
    return 0


def cmd_extract(args) -> int:
    from .extract import load_features

    start = time.perf_counter()
    fs = load_features(resolve_data(args.data), progress=TerminalProgress("extract"))
    seconds = sum(m.shape[1] for m in fs.mels) / fs.cfg.frames_per_second
    print(f"{len(fs.clips)} clips ({seconds / 60:.1f} min of audio) in {time.perf_counter() - start:.1f} s; "
          f"cache under {paths.subdir('cache')}")
    return 0


def cmd_train(args) -> int:
    from . import config, jobs, runs, tasks

    cfg = config.with_overrides(config.preset(args.preset, seed=args.seed), args.set or [])
    root = resolve_data(args.data)
    run_id = tasks.submit_classifier(cfg, root, args.data or "demo", preset=args.preset)
    print(f"run {run_id}")
    bar = TerminalProgress("train")
    if args.queue:
        jobs.enqueue(run_id, "classifier")
        print("queued for the background worker")
        return 0
    result = tasks.run_classifier(run_id, progress=lambda p: bar(
        p["epoch"], p["epochs"], f"loss {p['train_loss']:.3f} val acc {p['val_acc']:.2f}"))
    acc = result["accuracy"]
    print(f"test accuracy {acc['value']:.1%} (95 % CI {acc['lo']:.1%}-{acc['hi']:.1%}, "
          f"{acc['correct']}/{acc['n']} clips); run folder {runs.run_path(run_id)}")
    return 0


def cmd_worker(args) -> int:
    from .jobs import work

    work()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description=(
        "GenreLab from the command line. Everything it writes goes under the data folder "
        f"(${paths.ENV_VAR}, default <repo>/data)."))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="generate the embedded synthetic 10-genre demo set")
    p.add_argument("--clips", type=int, default=20, help="clips per genre (default 20)")
    p.add_argument("--seconds", type=float, default=10.0, help="seconds per clip (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=cmd_demo)

    data_help = "dataset folder (Kaggle or Marsyas GTZAN, or any folder per label); default: the demo set"
    p = sub.add_parser("scan", help="list a dataset's clips per label and every skipped file with its reason")
    p.add_argument("--data", help=data_help)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("extract", help="compute and cache log-mel spectrograms for a dataset")
    p.add_argument("--data", help=data_help)
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("train", help="train an LSTM genre classifier and write a run folder")
    p.add_argument("--preset", choices=("paper", "recommended"), default="recommended",
                   help="'paper': the study, faithfully; 'recommended': done right (default)")
    p.add_argument("--data", help=data_help)
    p.add_argument("--seed", type=int, default=0, help="seed for split, initialisation and batching")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config field, e.g. --set epochs=10 (repeatable)")
    p.add_argument("--queue", action="store_true", help="hand the run to the background worker and return")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("worker", help="run queued background jobs until the queue is empty (started by the app)")
    p.set_defaults(func=cmd_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .audio import AudioError
    from .config import ConfigError
    from .datasets import DatasetError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DatasetError, ConfigError, AudioError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
