"""``experiment`` and ``worker``: the study's grid over seeds, and the background worker, here or on a Ray cluster."""

from __future__ import annotations

from ..base.config import MAX_PER_GENRE, MAX_SEEDS
from .arguments import DATA_HELP, MAX_SEED, bounded, bounded_list, data_name, resolve_data
from .terminal import TerminalProgress

RAY_HELP = ("train on the Ray cluster at ADDRESS (host:port; 'auto' = a local Ray), one task per cell "
            "(default: $GENRELAB_RAY_ADDRESS, else this process)")


def use_cluster(args) -> None:
    """``--ray ADDRESS`` names the Ray cluster for this process and the worker it starts
    (:mod:`core.orchestration.cluster`)."""
    import os

    from ..orchestration.cluster import ENV_VAR

    if args.ray:
        os.environ[ENV_VAR] = args.ray


def cmd_experiment(args) -> int:
    from ..base import experiment_plan
    from ..orchestration import cluster, experiment, worker
    from ..storage import queue, runs
    from ..usecases import experiment_table, reports

    use_cluster(args)
    if cluster.address():
        cluster.check_address(cluster.address())  # a malformed address is refused before anything is created
    if args.resume:
        exp_id = args.resume
        worker.reopen(exp_id)
    else:
        plan = experiment_plan.plan(args.preset, seeds=args.seeds, first_seed=args.first_seed, per_genre=args.per_genre,
                               arms=tuple(args.arms.split(",")) if args.arms else None,
                               overrides=tuple(args.set or ()), gan_overrides=tuple(args.gan_set or ()),
                               pretrained=args.with_pretrained, pretrained_overrides=tuple(args.pretrained_set or ()))
        exp_id = experiment.submit(plan, resolve_data(args.data), data_name(args.data))
    print(f"experiment {exp_id}")
    if args.queue:
        queue.enqueue(exp_id, "experiment")
        print("queued for the background worker")
        return 0
    bar = TerminalProgress("grid")
    result = experiment.run_experiment(exp_id, progress=lambda p: bar(p["cells_done"], p["cells_total"],
                                                                      p["current"][:60]))
    print(f"{runs.load(exp_id)['name']}: {result['cells_done']} of {result['cells_total']} cells, "
          f"measured on {result['measured_on']}")
    print(reports.markdown_table(result["summary"], reports.SUMMARY_COLUMNS, reports.PERCENT))
    for d in result["differences"]:
        interval = f" (95 % CI {d['lo']:+.1%} to {d['hi']:+.1%})" if d["lo"] is not None else ""
        print(f"{d['cell']}: {d['mean']:+.1%}{interval}; {d['verdict']}")
    print(experiment_table.units_caption(result))
    print(f"experiment folder {runs.run_path(exp_id)}")
    return 0 if runs.load(exp_id)["status"] == "done" else 1


def cmd_worker(args) -> int:
    from ..orchestration.worker import work

    use_cluster(args)
    work()
    return 0


def add_commands(sub) -> None:
    """The experiment and worker commands, on the subparsers ``sub`` of :func:`core.cli.main.build_parser`."""
    p = sub.add_parser("experiment", help="the study's table over N seeds (resumable), written to an experiment run")
    p.add_argument("--preset", choices=("paper",), default="paper",
                   help="'paper': baseline, +70 and +150 generated clips per genre, for the paper LSTM with the "
                        "paper GAN and the recommended LSTM with the conditional GAN")
    p.add_argument("--data", help=DATA_HELP)
    p.add_argument("--seeds", type=bounded(int, 1, MAX_SEEDS), default=5,
                   help=f"seeds per cell, 1-{MAX_SEEDS}: a new split and initialisation each (default 5)")
    p.add_argument("--first-seed", type=bounded(int, 0, MAX_SEED - MAX_SEEDS), default=0,
                   help="number of the first seed (default 0)")
    p.add_argument("--per-genre", type=bounded_list(int, 0, MAX_PER_GENRE), default=(0, 70, 150),
                   help=f"generated clips per genre, comma separated, 0-{MAX_PER_GENRE}; "
                        "0 = baseline (default 0,70,150)")
    p.add_argument("--arms", help="keep only these classifier presets, e.g. 'paper' (default: all of the preset)")
    p.add_argument("--with-pretrained", action="store_true",
                   help="also train the pretrained ear (musicnn + linear head) on the same seeds and splits: "
                        "its baseline only (no GAN, no controls), compared with each LSTM's baseline")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override an LSTM config field (repeatable); split also reaches the pretrained ear")
    p.add_argument("--gan-set", action="append", metavar="KEY=VALUE", help="override a GAN config field (repeatable)")
    p.add_argument("--pretrained-set", action="append", metavar="KEY=VALUE",
                   help="override a pretrained-ear config field, e.g. C=0.1 (repeatable; with --with-pretrained)")
    p.add_argument("--resume", metavar="EXP_ID", help="continue an interrupted or cancelled experiment")
    p.add_argument("--queue", action="store_true", help="hand the experiment to the background worker and return")
    p.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)
    p.set_defaults(func=cmd_experiment)

    p = sub.add_parser("worker", help="run queued background jobs until the queue is empty (started by the app)")
    p.add_argument("--ray", metavar="ADDRESS", help=RAY_HELP)
    p.set_defaults(func=cmd_worker)
