"""``python -m core``: the command line (:mod:`.main`), one module per group of commands."""

from .main import main
