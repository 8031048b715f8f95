"""``train``, ``gan`` and ``resume``: train a classifier or a GAN here (or queue it), carry on a stopped run."""

from __future__ import annotations

import sys

from .arguments import DATA_HELP, MAX_SEED, bounded, data_name, resolve_data
from .terminal import TerminalProgress


def cmd_train(args) -> int:
    from ..base import config, datasets, splits
    from ..base.percent import with_interval
    from ..orchestration import classifier
    from ..storage import runs

    root = resolve_data(args.data)
    cfg = config.preset(args.preset, seed=args.seed)
    advice = splits.advise([c.key for c in datasets.list_clips(root).clips], cfg.split,
                           synthetic=data_name(args.data) == "demo")
    if advice.note:
        print(advice.note)
    cfg = config.with_overrides(cfg, [*([f"split={advice.split}"] if advice.split else []), *(args.set or [])])
    run_id = classifier.submit_classifier(cfg, root, data_name(args.data), preset=args.preset, enqueue=args.queue)
    print(f"run {run_id}")
    if args.queue:
        print("queued for the background worker")
        return 0
    bars = {"embed": TerminalProgress("the pretrained network listens"), None: TerminalProgress("train")}
    result = classifier.run_classifier(run_id, progress=lambda p: bars[p.get("phase")](
        p["epoch"], p["epochs"], "" if "phase" in p else f"loss {p['train_loss']:.3f} val acc {p['val_acc']:.2f}"))
    acc = result["accuracy"]
    print(f"test accuracy {with_interval(acc, decimals=1, counts=True)}; run folder {runs.run_path(run_id)}")
    return 0


def cmd_gan(args) -> int:
    from ..base import config
    from ..orchestration import gan_run
    from ..storage import runs
    from ..base import progress as steps

    cfg = config.with_overrides(config.gan_preset(args.preset, seed=args.seed), args.set or [])
    root = resolve_data(args.data)
    run_id = gan_run.submit_gan(cfg, root, data_name(args.data), preset=args.preset, enqueue=args.queue)
    print(f"run {run_id}")
    if args.queue:
        print("queued for the background worker")
        return 0
    bars = {"reference": TerminalProgress("reference classifier"), "gan": TerminalProgress("GAN"),
            "tstr": TerminalProgress("classifier on the samples (TSTR)")}

    def show(p: dict) -> None:
        if p["phase"] == "quality":
            print(steps.step_text(p), file=sys.stderr)
            return
        bars[p["phase"]](p["epoch"], p["epochs"], f"d {p['d_loss']:.3f} g {p['g_loss']:.3f} fidelity "
                         f"{p['fidelity']:.0%}" if p["phase"] == "gan" else f"val acc {p['val_acc']:.2f}")

    result = gan_run.run_gan(run_id, progress=show)
    if not result:
        print(f"cancelled before the first GAN epoch; run folder {runs.run_path(run_id)}")
        return 1
    fid = result["fidelity"]
    print(f"genre fidelity {fid['overall']:.1%} (chance {fid['chance']:.0%}), Fréchet distance "
          f"{result['frechet']['overall']:.1f} (real held-out: {result['frechet']['real_floor']:.1f}); "
          f"run folder {runs.run_path(run_id)}")
    return 0


def cmd_resume(args) -> int:
    from ..orchestration import worker
    from ..storage import runs

    if args.queue:
        worker.resume(args.run)
        print(f"run {args.run} queued again for the background worker")
        return 0
    record = worker.reopen(args.run)
    print(f"resuming run {args.run} ({record['name']})")
    worker.run_here(args.run)
    record = runs.load(args.run)
    print(f"run {args.run}: {record['status']}; run folder {runs.run_path(args.run)}")
    return 0 if record["status"] == "done" else 1


def training_command(sub, name: str, func, help: str, presets: tuple[str, ...], preset_help: str,
                     data_help: str) -> None:
    """A subcommand that trains a run: preset (the second is the default), data, seed, overrides, queue."""
    p = sub.add_parser(name, help=help)
    p.add_argument("--preset", choices=presets, default=presets[1], help=preset_help)
    p.add_argument("--data", help=data_help)
    p.add_argument("--seed", type=bounded(int, 0, MAX_SEED), default=0,
                   help="seed for split, initialisation and batching")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config field, e.g. --set epochs=10 (repeatable)")
    p.add_argument("--queue", action="store_true", help="hand the run to the background worker and return")
    p.set_defaults(func=func)


def add_commands(sub) -> None:
    """The training commands, on the subparsers ``sub`` of :func:`core.cli.main.build_parser`."""
    training_command(sub, "train", cmd_train, "train a genre classifier and write a run folder",
                     ("paper", "recommended", "classic", "pretrained"),
                     "'paper': the study's LSTM, faithfully; 'recommended': an LSTM done right (default); 'classic': "
                     "summary features (MFCC, chroma, spectral contrast, tempo) in a logistic regression; "
                     "'pretrained': a frozen music tagger (musicnn, Million Song Dataset) hears the clips and a "
                     "logistic regression learns the genres from what it heard", DATA_HELP)
    training_command(sub, "gan", cmd_gan, "train a GAN on a dataset's training clips and measure its samples",
                     ("paper", "conditional"),
                     "'paper': the study's GAN, flaws included; 'conditional': genre-conditioned (default)", DATA_HELP)

    p = sub.add_parser("resume", help="carry on an interrupted, cancelled or failed run (a classifier from its "
                                      "last checkpoint)")
    p.add_argument("run", help="run id (see python -m core runs)")
    p.add_argument("--queue", action="store_true", help="hand the run to the background worker and return")
    p.set_defaults(func=cmd_resume)
