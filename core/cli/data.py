"""``demo``, ``scan`` and ``extract``: make the demo set, list a dataset's clips, cache its log-mel spectrograms."""

from __future__ import annotations

import time

from ..base import paths
from .arguments import DATA_HELP, MAX_SEED, bounded, resolve_data
from .terminal import TerminalProgress


def cmd_demo(args) -> int:
    from ..base.demo import make_demo_dataset

    root = make_demo_dataset(clips_per_genre=args.clips, seconds=args.seconds, seed=args.seed,
                             progress=TerminalProgress("demo set"))
    print(root)
    return 0


def cmd_scan(args) -> int:
    from ..storage.extract import load_features

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
    from ..storage.extract import load_features

    start = time.perf_counter()
    fs = load_features(resolve_data(args.data), progress=TerminalProgress("extract"))
    seconds = sum(m.shape[1] for m in fs.mels) / fs.cfg.frames_per_second
    print(f"{len(fs.clips)} clips ({seconds / 60:.1f} min of audio) in {time.perf_counter() - start:.1f} s; "
          f"cache under {paths.subdir('cache')}")
    return 0


def add_commands(sub) -> None:
    """The dataset commands, on the subparsers ``sub`` of :func:`core.cli.main.build_parser`."""
    p = sub.add_parser("demo", help="generate the embedded synthetic 10-genre demo set")
    p.add_argument("--clips", type=bounded(int, 2, 1000), default=20, help="clips per genre, 2-1000 (default 20)")
    p.add_argument("--seconds", type=bounded(float, 1.0, 120.0), default=10.0,
                   help="seconds per clip, 1-120 (default 10)")
    p.add_argument("--seed", type=bounded(int, 0, MAX_SEED), default=0, help="random seed (default 0)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("scan", help="list a dataset's clips per label and every skipped file with its reason")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("extract", help="compute and cache log-mel spectrograms for a dataset")
    p.add_argument("--data", help=DATA_HELP)
    p.set_defaults(func=cmd_extract)
