"""``python -m core``: GenreLab without a browser. A thin layer, like the pages: one module per group of commands,
each adding its own subcommands to the parser built here."""

from __future__ import annotations

import argparse
import sys

from ..base import paths
from . import data, experiment, manage, models, training
from .terminal import os_error_text


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand; each sets ``func``, the function that runs it."""
    parser = argparse.ArgumentParser(prog="python -m core", description=(
        "GenreLab from the command line. Everything it writes goes under the data folder "
        f"(${paths.ENV_VAR}, default <repo>/data)."))
    sub = parser.add_subparsers(dest="command", required=True)
    for commands in (data, training, models, experiment, manage):
        commands.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..base.audio import AudioError
    from ..base.config import ConfigError
    from ..base.datasets import DatasetError
    from ..storage.runs import RunError

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
        from ..compute.train import Diverged  # imported here only: it loads torch, which most commands do not need

        if not isinstance(err, Diverged):
            raise
        print(f"error: training failed: {err}", file=sys.stderr)
        return 1
