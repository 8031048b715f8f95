"""Find labelled clips in a folder-per-label tree and describe what was found.

Layouts recognised (``root`` may point at any level shown):

- Kaggle GTZAN: ``root/Data/genres_original/<genre>/<genre>.000NN.wav``
- Marsyas GTZAN: ``root/genres/<genre>/<genre>.000NN.au`` (big-endian 16-bit)
- plain: ``root/<label>/<file>`` with any of :data:`core.base.audio.AUDIO_EXTENSIONS`
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .audio import AUDIO_EXTENSIONS, file_problem, file_size

NESTED_LAYOUTS = (("kaggle", ("Data", "genres_original")), ("kaggle", ("genres_original",)),
                  ("marsyas", ("genres",)))


class DatasetError(ValueError):
    """A folder that cannot serve as a dataset; ``str(err)`` is fit to show a user."""


@dataclass(frozen=True)
class Clip:
    """One labelled audio file. ``key`` (``<label>/<stem>``) identifies it across formats and layouts."""

    path: Path
    label: str

    @property
    def key(self) -> str:
        return f"{self.label}/{self.path.stem}"


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Listing:
    """What :func:`list_clips` found: clips, labels (sorted) and files passed over with their reason."""

    root: Path
    layout: str
    labels: tuple[str, ...]
    clips: list[Clip]
    skipped: list[Skipped] = field(default_factory=list)


def detect_layout(root: Path) -> tuple[str, Path]:
    """(layout name, folder holding one sub-folder per label) for a dataset root."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder")
    for name, parts in NESTED_LAYOUTS:
        inner = root.joinpath(*parts)
        if inner.is_dir():
            return name, inner
    if root.name == "genres_original":
        return "kaggle", root
    if root.name == "genres" and any(root.glob("*/*.au")):
        return "marsyas", root
    return "plain", root


def list_clips(root: str | Path) -> Listing:
    """List every audio file under ``<label>/`` folders; other files are reported, never fatal.

    Zero-byte files, special files (FIFOs, devices, sockets, looping symlinks) and unreadable folders
    are skipped with a reason. Raises :class:`DatasetError` when fewer than two labels hold audio,
    since no classifier can be trained on that.
    """
    layout, label_root = detect_layout(Path(root))
    clips: list[Clip] = []
    skipped: list[Skipped] = []
    try:
        entries = sorted(label_root.iterdir())
    except OSError as err:
        raise DatasetError(f"{label_root}: cannot be read ({err.strerror or type(err).__name__})") from None
    for folder in entries:
        if folder.name.startswith("."):
            continue
        if not folder.is_dir():
            problem = file_problem(folder)
            skipped.append(Skipped(folder.name, problem or "not inside a label folder"))
            continue
        try:
            files = sorted(p for p in folder.rglob("*") if not p.is_dir() and not p.name.startswith("."))
        except OSError as err:
            skipped.append(Skipped(folder.name + "/", f"folder not readable ({err.strerror or type(err).__name__})"))
            continue
        for path in files:
            rel = str(path.relative_to(label_root))
            problem = file_problem(path)
            if problem:
                skipped.append(Skipped(rel, problem))
            elif path.suffix.lower() not in AUDIO_EXTENSIONS:
                skipped.append(Skipped(rel, f"not an audio file ({path.suffix or 'no extension'})"))
            elif file_size(path) == 0:
                skipped.append(Skipped(rel, "empty file (0 bytes)"))
            else:
                clips.append(Clip(path, folder.name))
    labels = tuple(sorted({c.label for c in clips}))
    if len(labels) < 2:
        found = f"only {labels[0]!r}" if labels else "none"
        raise DatasetError(f"{root}: a dataset needs at least two label folders holding audio; found {found}")
    return Listing(Path(root), layout, labels, clips, skipped)
