"""``python -m core``: GenreLab without a browser. A thin layer, like the pages."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from tqdm import tqdm

from .base import paths
from .base.config import MAX_PER_GENRE, MAX_SEEDS


class TerminalProgress:
    """GenreLab's ``progress(done, total, note)`` callbacks drawn as a :mod:`tqdm` bar on stderr."""

    def __init__(self, label: str):
        self.label = label
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int, note: str = "") -> None:
        if self.bar is None or self.bar.total != total:
            if self.bar is not None:
                self.bar.close()
            self.bar = tqdm(total=total, desc=self.label, file=sys.stderr, dynamic_ncols=True)
        self.bar.n = done
        self.bar.set_postfix_str(note, refresh=False)
        self.bar.refresh()
        if done >= total:
            self.bar.close()
            self.bar = None


MAX_SEED = 2**31 - 1


def bounded(kind: type, lo: float, hi: float):
    """An argparse type: text parsed as ``kind`` within ``[lo, hi]``, else a usage error (no traceback)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {kind.__name__}") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text} is outside the allowed range {lo:g} to {hi:g}")
        return value

    parse.__name__ = kind.__name__
    return parse


def bounded_list(kind: type, lo: float, hi: float):
    """An argparse type: comma-separated values, each as :func:`bounded` checks it; returns a tuple."""
    one = bounded(kind, lo, hi)

    def parse(text: str) -> tuple:
        return tuple(one(item.strip()) for item in text.split(","))

    parse.__name__ = f"comma-separated {kind.__name__} list"
    return parse


def resolve_data(arg: str | None) -> Path:
    """A dataset folder from ``--data``; ``demo`` or nothing means the embedded demo set (made if needed)."""
    if arg and arg != "demo":
        return Path(arg)
    from .base.demo import make_demo_dataset

    return make_demo_dataset(progress=TerminalProgress("demo set"))


def data_name(arg: str | None) -> str:
    """How a run names its dataset: the folder's name, or ``demo``."""
    return Path(arg).name if arg and arg != "demo" else "demo"


def cmd_demo(args) -> int:
    from .base.demo import make_demo_dataset

    root = make_demo_dataset(clips_per_genre=args.clips, seconds=args.seconds, seed=args.seed,
                             progress=TerminalProgress("demo set"))
    print(root)
    return 0


def cmd_scan(args) -> int:
    from .storage.extract import load_features

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
    from .storage.extract import load_features

    start = time.perf_counter()
    fs = load_features(resolve_data(args.data), progress=TerminalProgress("extract"))
    seconds = sum(m.shape[1] for m in fs.mels) / fs.cfg.frames_per_second
    print(f"{len(fs.clips)} clips ({seconds / 60:.1f} min of audio) in {time.perf_counter() - start:.1f} s; "
          f"cache under {paths.subdir('cache')}")
    return 0


def cmd_train(args) -> int:
    from .base import config, datasets, splits
    from .orchestration import classifier
    from .storage import runs

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
    print(f"test accuracy {acc['value']:.1%} (95 % CI {acc['lo']:.1%}-{acc['hi']:.1%}, "
          f"{acc['correct']}/{acc['n']} clips); run folder {runs.run_path(run_id)}")
    return 0


def cmd_gan(args) -> int:
    from .base import config
    from .orchestration import gan_run
    from .storage import runs
    from .base import progress as steps

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


def cmd_predict(args) -> int:
    import json

    from .storage import runs
    from .usecases import predict

    try:
        predictor = predict.load_model(args.run or predict.latest_run_id())
    except runs.RunError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    result = predict.predict(Path(args.file), predictor)
    if args.json:
        print(json.dumps({"file": args.file, "run": predictor.run_id, **result.summary(args.top)}, allow_nan=False))
        return 0
    print(f"{args.file} ({result.duration:.1f} s), run {predictor.run_id}:")
    for label, prob in result.top(args.top):
        print(f"  {label:<12} {prob:6.1%}")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def cmd_evaluate(args) -> int:
    from .storage import runs
    from .usecases import generalise

    try:
        mapping = generalise.parse_mapping(args.map or [])
        result = generalise.check(args.run, resolve_data(args.data), data_name(args.data), mapping,
                                  progress=None if args.json else TerminalProgress("listen"))
    except (runs.RunError, generalise.LabelError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    show_check(result, args.json)
    try:
        generalise.save(result)
    except (OSError, runs.RunError) as err:  # the result is printed above: a full disk loses only the copy
        text = os_error_text(err) if isinstance(err, OSError) else str(err)
        print(f"error: the check could not be kept in run {args.run}: {text}", file=sys.stderr)
        return 1
    return 0


def show_check(result: dict, as_json: bool) -> None:
    """Print a check on another dataset (:func:`core.usecases.generalise.check`): as one JSON object, or as text."""
    import json

    from .usecases import generalise

    if as_json:
        print(json.dumps(result, allow_nan=False))
        return
    print(result["sentence"])
    print(f"{generalise.describe(result)} Checked in {result['seconds']:.1f} s.")
    for genre, g in result["per_genre"].items():
        print(f"  {genre:<12} recall {g['recall']:6.1%} of {g['n']}")
    cm = result["confusion"]
    print("confusion (rows: true genre, columns: predicted):")
    print(" " * 13 + " ".join(f"{c[:6]:>6}" for c in cm["columns"]))
    for row, counts in zip(cm["rows"], cm["counts"]):
        print(f"  {row:<11}" + " ".join(f"{n:>6}" for n in counts))
    if result["labels_skipped"]:
        print(f"genres the model does not know, left out: {', '.join(result['labels_skipped'])}")
    print(f"{len(result['skipped'])} files skipped")
    for s in result["skipped"]:
        print(f"  {s['path']}: {s['reason']}")


def use_cluster(args) -> None:
    """``--ray ADDRESS`` names the Ray cluster for this process and the worker it starts
    (:mod:`core.orchestration.cluster`)."""
    import os

    from .orchestration.cluster import ENV_VAR

    if args.ray:
        os.environ[ENV_VAR] = args.ray


def cmd_experiment(args) -> int:
    from .orchestration import cluster, experiment, worker
    from .storage import queue, runs
    from .usecases import reports

    use_cluster(args)
    if cluster.address():
        cluster.check_address(cluster.address())  # a malformed address is refused before anything is created
    if args.resume:
        exp_id = args.resume
        worker.reopen(exp_id)
    else:
        plan = experiment.plan(args.preset, seeds=args.seeds, first_seed=args.first_seed, per_genre=args.per_genre,
                               arms=tuple(args.arms.split(",")) if args.arms else None,
                               overrides=tuple(args.set or ()), gan_overrides=tuple(args.gan_set or ()))
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
    print(reports.markdown_table(result["summary"], experiment.SUMMARY_COLUMNS, experiment.PERCENT))
    for d in result["differences"]:
        interval = f" (95 % CI {d['lo']:+.1%} to {d['hi']:+.1%})" if d["lo"] is not None else ""
        print(f"{d['cell']} vs baseline: {d['mean']:+.1%}{interval}; {d['verdict']}")
    print(experiment.units_caption(result))
    print(f"experiment folder {runs.run_path(exp_id)}")
    return 0 if runs.load(exp_id)["status"] == "done" else 1


def cmd_resume(args) -> int:
    from .orchestration import worker
    from .storage import runs

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


def cmd_runs(args) -> int:
    """``runs`` (list; ``--check``: only damaged folders), ``runs rename ID NAME``, ``runs cancel ID``,
    ``runs delete ID --yes``, ``runs export ID [-o FILE]``."""
    from .storage import runs

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
            from .storage import queue

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
    from .storage import runs
    from .storage.store import atomic_write_bytes
    from .usecases import reports

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


def cmd_worker(args) -> int:
    from .orchestration.worker import work

    use_cluster(args)
    work()
    return 0


def training_command(sub, name: str, func, help: str, presets: tuple[str, ...], preset_help: str,
                     data_help: str) -> None:
    """A subcommand that trains a run: preset (the second is the default), data, seed, overrides, queue."""
    p = sub.add_parser(name, help=help)
    p.add_argument("--preset", choices=presets, default=presets[1], help=preset_help)
    p.add_argument("--data", help=data_help)
    p.add_argument("--seed", type=bounded(int, 0, MAX_SEED), default=0, help="seed for split, initialisation and batching")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config field, e.g. --set epochs=10 (repeatable)")
    p.add_argument("--queue", action="store_true", help="hand the run to the background worker and return")
    p.set_defaults(func=func)


def build_parser() -> argparse.ArgumentParser:
    from .storage.runs import KINDS

    parser = argparse.ArgumentParser(prog="python -m core", description=(
        "GenreLab from the command line. Everything it writes goes under the data folder "
        f"(${paths.ENV_VAR}, default <repo>/data)."))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="generate the embedded synthetic 10-genre demo set")
    p.add_argument("--clips", type=bounded(int, 2, 1000), default=20, help="clips per genre, 2-1000 (default 20)")
    p.add_argument("--seconds", type=bounded(float, 1.0, 120.0), default=10.0,
                   help="seconds per clip, 1-120 (default 10)")
    p.add_argument("--seed", type=bounded(int, 0, MAX_SEED), default=0, help="random seed (default 0)")
    p.set_defaults(func=cmd_demo)

    data_help = "dataset folder (Kaggle or Marsyas GTZAN, or any folder per label); default: the demo set"
    p = sub.add_parser("scan", help="list a dataset's clips per label and every skipped file with its reason")
    p.add_argument("--data", help=data_help)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("extract", help="compute and cache log-mel spectrograms for a dataset")
    p.add_argument("--data", help=data_help)
    p.set_defaults(func=cmd_extract)

    training_command(sub, "train", cmd_train, "train a genre classifier and write a run folder",
                     ("paper", "recommended", "classic", "pretrained"),
                     "'paper': the study's LSTM, faithfully; 'recommended': an LSTM done right (default); 'classic': "
                     "summary features (MFCC, chroma, spectral contrast, tempo) in a logistic regression; "
                     "'pretrained': a frozen music tagger (musicnn, Million Song Dataset) hears the clips and a "
                     "logistic regression learns the genres from what it heard", data_help)
    training_command(sub, "gan", cmd_gan, "train a GAN on a dataset's training clips and measure its samples",
                     ("paper", "conditional"),
                     "'paper': the study's GAN, flaws included; 'conditional': genre-conditioned (default)", data_help)

    p = sub.add_parser("predict", help="print the most probable genres of an audio file under a trained run")
    p.add_argument("file", help="audio file (WAV, AU, FLAC, OGG, MP3, AIFF)")
    p.add_argument("--run", help="classifier run id (default: the newest finished one)")
    p.add_argument("--top", type=bounded(int, 1, 1000), default=3,
                   help="how many genres to print, at least 1 (default 3; more than the run's genres prints all)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="check a finished classifier run on another dataset: does it generalise?")
    p.add_argument("--run", required=True, help="classifier run id")
    p.add_argument("--data", required=True, help="dataset folder (any layout scan reads) or demo; genres match the "
                                                 "model's by name, case and punctuation aside")
    p.add_argument("--map", action="append", metavar="GENRE=genre",
                   help="score the dataset's GENRE as the model's genre, e.g. --map 'R&B=pop' (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=cmd_evaluate)

    ray_help = ("train on the Ray cluster at ADDRESS (host:port; 'auto' = a local Ray), one task per cell "
                "(default: $GENRELAB_RAY_ADDRESS, else this process)")
    p = sub.add_parser("experiment", help="the study's table over N seeds (resumable), written to an experiment run")
    p.add_argument("--preset", choices=("paper",), default="paper",
                   help="'paper': baseline, +70 and +150 generated clips per genre, for the paper LSTM with the "
                        "paper GAN and the recommended LSTM with the conditional GAN")
    p.add_argument("--data", help=data_help)
    p.add_argument("--seeds", type=bounded(int, 1, MAX_SEEDS), default=5,
                   help=f"seeds per cell, 1-{MAX_SEEDS}: a new split and initialisation each (default 5)")
    p.add_argument("--first-seed", type=bounded(int, 0, MAX_SEED - MAX_SEEDS), default=0,
                   help="number of the first seed (default 0)")
    p.add_argument("--per-genre", type=bounded_list(int, 0, MAX_PER_GENRE), default=(0, 70, 150),
                   help=f"generated clips per genre, comma separated, 0-{MAX_PER_GENRE}; 0 = baseline (default 0,70,150)")
    p.add_argument("--arms", help="keep only these classifier presets, e.g. 'paper' (default: all of the preset)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a classifier config field (repeatable)")
    p.add_argument("--gan-set", action="append", metavar="KEY=VALUE", help="override a GAN config field (repeatable)")
    p.add_argument("--resume", metavar="EXP_ID", help="continue an interrupted or cancelled experiment")
    p.add_argument("--queue", action="store_true", help="hand the experiment to the background worker and return")
    p.add_argument("--ray", metavar="ADDRESS", help=ray_help)
    p.set_defaults(func=cmd_experiment)

    p = sub.add_parser("resume", help="carry on an interrupted, cancelled or failed run (a classifier from its "
                                      "last checkpoint)")
    p.add_argument("run", help="run id (see python -m core runs)")
    p.add_argument("--queue", action="store_true", help="hand the run to the background worker and return")
    p.set_defaults(func=cmd_resume)

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

    p = sub.add_parser("worker", help="run queued background jobs until the queue is empty (started by the app)")
    p.add_argument("--ray", metavar="ADDRESS", help=ray_help)
    p.set_defaults(func=cmd_worker)
    return parser


def os_error_text(err: OSError) -> str:
    """An :class:`OSError` as one line: ``'No space left on device: out.zip'``, or its message when it has no errno."""
    text = f"{err.strerror}: {err.filename}" if err.strerror and err.filename else err.strerror or str(err)
    return " ".join(text.split()) or type(err).__name__


def main(argv: list[str] | None = None) -> int:
    from .base.audio import AudioError
    from .base.config import ConfigError
    from .base.datasets import DatasetError
    from .storage.runs import RunError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DatasetError, ConfigError, AudioError, RunError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a full disk, a folder where a file was meant, no permission, an unreachable cluster
        print(f"error: {os_error_text(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except ArithmeticError as err:
        from .compute.train import Diverged  # imported here only: it loads torch, which most commands do not need

        if not isinstance(err, Diverged):
            raise
        print(f"error: training failed: {err}", file=sys.stderr)
        return 1
