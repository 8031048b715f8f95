"""What the CLI shows in a terminal: progress bars on stderr, and an operating-system error as one line."""

from __future__ import annotations

import sys

from tqdm import tqdm


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


def os_error_text(err: OSError) -> str:
    """An :class:`OSError` as one line: ``'No space left on device: out.zip'``, or its message when it has no errno."""
    text = f"{err.strerror}: {err.filename}" if err.strerror and err.filename else err.strerror or str(err)
    return " ".join(text.split()) or type(err).__name__
