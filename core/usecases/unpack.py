"""Turn an uploaded zip of folder-per-genre audio into a dataset under the uploads folder, safely.

A zip from a browser is hostile until proven otherwise. Before a byte is written, its table of
contents is checked for paths escaping the target (``../``, absolute, drive letters), symbolic
links, encrypted members, too many members, and sizes or compression ratios of a zip bomb. Only
audio files (:data:`core.base.audio.AUDIO_EXTENSIONS`) are extracted, under sanitised names, into a
hidden temporary folder next to the destination; the result is checked with
:func:`core.base.datasets.list_clips` and only then renamed into place, so a failure never leaves a
half-written dataset that :func:`core.base.catalog.uploaded` would list.

Accepted layouts: any chain of single wrapping folders, then one folder per genre, e.g.
``mydata/rock/x.wav`` or ``rock/x.wav`` (files may nest further inside a genre folder).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..base import catalog
from ..base.audio import AUDIO_EXTENSIONS
from ..base.datasets import DatasetError, list_clips

IGNORED_PARTS = ("__MACOSX",)  # macOS resource-fork folders; any dot-name is ignored as well


class UnpackError(ValueError):
    """A zip that cannot become a dataset; ``str(err)`` is fit to show a user."""


@dataclass(frozen=True)
class Limits:
    """Bounds on an uploaded zip (bytes are uncompressed sizes as the zip declares and zipfile enforces)."""

    max_total_bytes: int = 2 * 2**30
    max_member_bytes: int = 512 * 2**20
    max_members: int = 20_000
    max_ratio: float = 100.0  # uncompressed / compressed, checked on members above ratio_min_bytes
    ratio_min_bytes: int = 2**20
    max_depth: int = 16  # path components of a member (folders and file)
    max_path_bytes: int = 1024  # UTF-8 bytes of a member's sanitised path below the dataset folder


MEMBER_NAME_BYTES = 100  # a sanitised folder or file name (file systems allow 255 bytes)


def safe_name(text: str, fallback: str = "dataset", max_bytes: int = 40) -> str:
    """A file-system-safe name: letters (any script), digits, ``_``, ``-`` and inner dots; never empty or a dot-name.

    At most ``max_bytes`` bytes in UTF-8 (file systems count bytes, and a letter may take four).
    """
    name = re.sub(r"[^\w.-]+", "-", text.strip()).strip(".-_")
    name = name.encode()[:max_bytes].decode(errors="ignore").strip(".-_")
    return name or fallback


def shown(filename: str, limit: int = 60) -> str:
    """A member name quoted for a message, shortened to ``limit`` characters."""
    return repr(filename if len(filename) <= limit else filename[:limit] + "…")


def member_parts(filename: str) -> tuple[str, ...]:
    """Path components of a zip member name; raises :class:`UnpackError` for a path escaping the target."""
    name = filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise UnpackError(f"the zip holds an absolute path ({filename!r}); refusing to unpack it")
    parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
    if ".." in parts:
        raise UnpackError(f"the zip holds a path leaving its folder ({filename!r}); refusing to unpack it")
    return parts


def _ignored(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") or p in IGNORED_PARTS for p in parts)


def check_members(infos: list[zipfile.ZipInfo], limits: Limits = Limits()) -> list[tuple[zipfile.ZipInfo, tuple]]:
    """Vet a zip's table of contents; returns (member, path parts) of the audio files to extract.

    Raises :class:`UnpackError` for too many members, a path escape, a symlink, an encrypted member,
    a member or total size over the limits, or a compression ratio typical of a zip bomb.
    """
    if len(infos) > limits.max_members:
        raise UnpackError(f"the zip holds {len(infos):,} entries; the limit is {limits.max_members:,}")
    total = 0
    audio = []
    for info in infos:
        parts = member_parts(info.filename)
        if len(parts) > limits.max_depth:
            raise UnpackError(f"{shown(info.filename)} is nested {len(parts) - 1} folders deep; "
                              f"the limit is {limits.max_depth - 1}")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UnpackError(f"the zip holds a symbolic link ({info.filename!r}); refusing to unpack it")
        if info.is_dir() or not parts or _ignored(parts):
            continue
        if info.flag_bits & 0x1:
            raise UnpackError(f"{info.filename!r} is password-protected; upload an unencrypted zip")
        if info.file_size > limits.max_member_bytes:
            raise UnpackError(f"{info.filename!r} unpacks to {info.file_size / 2**20:,.0f} MB; "
                              f"the limit per file is {limits.max_member_bytes / 2**20:,.0f} MB")
        if (info.file_size > limits.ratio_min_bytes
                and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            raise UnpackError(f"{info.filename!r} is compressed {info.file_size / max(info.compress_size, 1):,.0f}×, "
                              f"more than {limits.max_ratio:g}×: this looks like a zip bomb")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnpackError(f"the zip unpacks to more than {limits.max_total_bytes / 2**30:g} GB")
        if PurePosixPath(parts[-1]).suffix.lower() in AUDIO_EXTENSIONS:
            audio.append((info, parts))
    return audio


def label_layout(paths: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Drop the single wrapping folders all audio shares, leaving ``(label, ..., file)`` per path.

    Raises :class:`UnpackError` for no audio, audio outside a label folder, or fewer than two labels.
    """
    if not paths:
        raise UnpackError("the zip holds no audio files (" + ", ".join(AUDIO_EXTENSIONS) + ")")
    while all(len(p) > 2 for p in paths) and len({p[0] for p in paths}) == 1:
        paths = [p[1:] for p in paths]
    loose = [p for p in paths if len(p) == 1]
    if loose:
        raise UnpackError(f"audio files must sit in one folder per genre, but {'/'.join(loose[0])!r} "
                          f"and {len(loose) - 1} more are not inside a genre folder")
    labels = {p[0] for p in paths}
    if len(labels) < 2:
        raise UnpackError(f"a dataset needs at least two genre folders holding audio; "
                          f"found only {next(iter(labels))!r}")
    return paths


def unpack_zip(data: bytes, name: str, limits: Limits = Limits()) -> Path:
    """Unpack an uploaded zip into a new dataset folder and return it.

    Parameters
    ----------
    data : bytes
        The zip file's content.
    name : str
        The upload's file name; only a sanitised form of its stem is used, followed by 8 hex digits
        of the content's hash (so the same upload twice returns the existing folder).

    Returns
    -------
    Path
        ``catalog.uploads_dir() / <generated name>``, listed by :func:`core.base.catalog.available`
        as ``"upload: <generated name>"``.

    Raises
    ------
    UnpackError
        With a message fit to show a user; nothing is left behind.
    """
    target = catalog.uploads_dir() / f"{safe_name(Path(name).stem)}-{hashlib.blake2b(data, digest_size=4).hexdigest()}"
    display = safe_name(name, fallback="upload", max_bytes=80)
    if target.is_dir():
        return target
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnpackError(f"{display} is not a zip file") from None
    with archive:
        members = check_members(archive.infolist(), limits)
        paths = label_layout([parts for _, parts in members])
        try:
            tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".unpack-"))
        except OSError as err:
            raise UnpackError(f"{display} cannot be stored on the server ({_reason(err)})") from None
        try:
            _extract(archive, [(info, parts) for (info, _), parts in zip(members, paths)], tmp, limits)
            try:
                list_clips(tmp)
            except DatasetError as err:
                raise UnpackError(str(err).replace(str(tmp), "the zip")) from None
            os.replace(tmp, target)
        except OSError as err:
            shutil.rmtree(tmp, ignore_errors=True)
            if target.is_dir():  # the same upload finished concurrently
                return target
            raise UnpackError(f"{display} cannot be stored on the server ({_reason(err)})") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def _reason(err: OSError) -> str:
    """An OSError's reason without the server path it quotes."""
    return err.strerror or type(err).__name__


def sanitised_path(parts: tuple[str, ...]) -> PurePosixPath:
    """The relative path a member is written to: each folder and the file's stem through :func:`safe_name`."""
    stem, suffix = PurePosixPath(parts[-1]).stem, PurePosixPath(parts[-1]).suffix.lower()
    return PurePosixPath(*[safe_name(p, fallback="_", max_bytes=MEMBER_NAME_BYTES) for p in parts[:-1]],
                         safe_name(stem, fallback="clip", max_bytes=MEMBER_NAME_BYTES - len(suffix.encode())) + suffix)


def check_collisions(paths: list[tuple[str, ...]]) -> list[PurePosixPath]:
    """Sanitised paths of members' path parts; raises :class:`UnpackError` when two folders or files
    that differ in the zip (``rock & roll/`` and ``rock-roll/``) would merge into one, naming both."""
    seen: dict[PurePosixPath, str] = {}
    out = []
    for parts in paths:
        rel = sanitised_path(parts)
        for depth in range(1, len(parts) + 1):
            key, original = PurePosixPath(*rel.parts[:depth]), "/".join(parts[:depth])
            if seen.setdefault(key, original) != original:
                what = "files" if depth == len(parts) else ("genre folders" if depth == 1 else "folders")
                raise UnpackError(f"the {what} {shown(seen[key])} and {shown(original)} would both become "
                                  f"{shown(key.as_posix())}; rename one of them")
        out.append(rel)
    return out


def _extract(archive: zipfile.ZipFile, members: list[tuple[zipfile.ZipInfo, tuple[str, ...]]], root: Path,
             limits: Limits) -> None:
    """Write each member to ``root`` under its sanitised relative path (zipfile bounds sizes and checks CRCs).

    Every failure, of the zip or of the file system, is an :class:`UnpackError` naming the member.
    """
    rels = check_collisions([parts for _, parts in members])
    for (info, _), rel in zip(members, rels):
        if len(rel.as_posix().encode()) > limits.max_path_bytes:
            raise UnpackError(f"{shown(info.filename)} makes a path of {len(rel.as_posix().encode()):,} bytes; "
                              f"the limit is {limits.max_path_bytes:,}")
        dest = root / rel
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, 2**20)
        except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError) as err:
            raise UnpackError(f"{shown(info.filename)} cannot be read from the zip ({err})") from None
        except OSError as err:
            raise UnpackError(f"{shown(info.filename)} cannot be written on the server ({_reason(err)})") from None
