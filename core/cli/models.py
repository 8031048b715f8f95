"""``predict`` and ``evaluate``: what a trained classifier says of an audio file, and how it does on another dataset."""

from __future__ import annotations

import sys
from pathlib import Path

from .arguments import bounded, data_name, resolve_data
from .terminal import TerminalProgress, os_error_text


def cmd_predict(args) -> int:
    import json

    from ..storage import runs
    from ..usecases import model_choice, predict

    try:
        predictor = predict.load_model(args.run or model_choice.latest_run_id())
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
    from ..storage import runs
    from ..usecases import generalise

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

    from ..compute import scores
    from ..usecases import generalise

    if as_json:
        print(json.dumps(result, allow_nan=False))
        return
    print(result["sentence"])
    print(f"{generalise.describe(result)} Checked in {result['seconds']:.1f} s.")
    shared = scores.present(result)
    for c in (result["per_class"][i] for i in shared):
        print(f"  {c['label']:<12} recall {c['recall']:6.1%} of {c['support']}")
    print("confusion (rows: true genre, columns: predicted):")
    print(" " * 13 + " ".join(f"{c[:6]:>6}" for c in result["labels"]))
    for i in shared:
        print(f"  {result['labels'][i]:<11}" + " ".join(f"{n:>6}" for n in result["confusion"][i]))
    if result["labels_skipped"]:
        print(f"genres the model does not know, left out: {', '.join(result['labels_skipped'])}")
    print(f"{len(result['skipped'])} files skipped")
    for s in result["skipped"]:
        print(f"  {s['path']}: {s['reason']}")


def add_commands(sub) -> None:
    """The commands that use a trained classifier, on the subparsers ``sub`` of :func:`core.cli.main.build_parser`."""
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
