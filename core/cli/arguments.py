"""What the CLI reads from its arguments: bounded numbers (a usage error, never a traceback) and the dataset folder."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from .terminal import TerminalProgress

MAX_SEED = 2**31 - 1

DATA_HELP = "dataset folder (Kaggle or Marsyas GTZAN, or any folder per label); default: the demo set"


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
    from ..base.demo import make_demo_dataset

    return make_demo_dataset(progress=TerminalProgress("demo set"))


def data_name(arg: str | None) -> str:
    """How a run names its dataset: the folder's name, or ``demo``."""
    return Path(arg).name if arg and arg != "demo" else "demo"
