import io
import stat
import zipfile

import numpy as np
import pytest
import soundfile as sf

from core.base import catalog
from core.base.datasets import list_clips
from core.usecases.unpack import Limits, UnpackError, check_members, safe_name, unpack_zip


def wav(freq: float = 440.0, seconds: float = 1.5, sr: int = 8000) -> bytes:
    t = np.arange(int(seconds * sr)) / sr
    buf = io.BytesIO()
    sf.write(buf, (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr, format="WAV")
    return buf.getvalue()


def make_zip(entries: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of name → bytes (or a ready ZipInfo → bytes) built in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


GOOD = {"mydata/rock/a.wav": wav(220), "mydata/rock/b.wav": wav(230), "mydata/jazz/c.wav": wav(440)}


def leftovers() -> list[str]:
    return sorted(p.name for p in catalog.uploads_dir().iterdir())


def test_nested_zip_becomes_a_selectable_dataset():
    extras = {"__MACOSX/mydata/rock/._a.wav": b"junk", "mydata/.DS_Store": b"junk", "mydata/jazz/notes.txt": b"hi"}
    root = unpack_zip(make_zip({**GOOD, **extras}), "My Data (v2).zip")
    assert root.parent == catalog.uploads_dir() and root.name.startswith("My-Data-v2-")
    listing = list_clips(root)
    assert listing.labels == ("jazz", "rock") and len(listing.clips) == 3
    assert listing.skipped == []  # only audio is extracted
    assert f"upload: {root.name}" in catalog.available()
    assert catalog.resolve(f"upload: {root.name}") == root
    assert leftovers() == [root.name]  # no temporary folder left behind


def test_flat_zip_and_same_upload_twice():
    data = make_zip({"rock/x.wav": wav(), "pop/y.flac": wav(), "pop/live/z.wav": wav(300)})
    first = unpack_zip(data, "flat.zip")
    assert list_clips(first).labels == ("pop", "rock") and (first / "pop" / "live" / "z.wav").is_file()
    assert unpack_zip(data, "flat.zip") == first and leftovers() == [first.name]


def test_names_are_generated_and_sanitised():
    root = unpack_zip(make_zip({"hip hop/we?ird:name.WAV": wav(), "rock/ok.wav": wav()}), "../../etc/pass wd.zip")
    assert root.parent == catalog.uploads_dir() and root.name.startswith("pass-wd-")
    assert (root / "hip-hop" / "we-ird-name.wav").is_file()
    assert safe_name("...") == "dataset" and safe_name("../x") == "x" and safe_name("a/b\\c") == "a-b-c"


@pytest.mark.parametrize("bad_name, message", [
    ("../evil.wav", "leaving its folder"),
    ("rock/../../evil.wav", "leaving its folder"),
    ("/etc/evil.wav", "absolute path"),
    ("C:/evil.wav", "absolute path"),
    ("..\\evil.wav", "leaving its folder"),
])
def test_zip_slip_rejected(bad_name, message):
    with pytest.raises(UnpackError, match=message):
        unpack_zip(make_zip({**GOOD, bad_name: wav()}), "slip.zip")
    assert leftovers() == []


def test_symlink_rejected():
    link = zipfile.ZipInfo("mydata/rock/link.wav")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(UnpackError, match="symbolic link"):
        unpack_zip(make_zip({**GOOD, link: "/etc/passwd"}), "link.zip")
    assert leftovers() == []


def test_zip_bomb_rejected_by_compression_ratio():
    data = make_zip({**GOOD, "mydata/rock/bomb.wav": bytes(20 * 2**20)})
    assert len(data) < 200_000  # 20 MB of zeros compresses about 1000×
    with pytest.raises(UnpackError, match="zip bomb"):
        unpack_zip(data, "bomb.zip")
    assert leftovers() == []


@pytest.mark.parametrize("limits, message", [
    (Limits(max_member_bytes=10_000), "limit per file"),
    (Limits(max_total_bytes=40_000), "unpacks to more than"),
    (Limits(max_members=2), "entries; the limit is 2"),
])
def test_size_and_count_limits(limits, message):
    with pytest.raises(UnpackError, match=message):
        unpack_zip(make_zip(GOOD, zipfile.ZIP_STORED), "big.zip", limits)
    assert leftovers() == []


def test_encrypted_member_rejected():
    info = zipfile.ZipInfo("rock/a.wav")
    info.flag_bits |= 0x1
    with pytest.raises(UnpackError, match="password"):
        check_members([info])


@pytest.mark.parametrize("entries, message", [
    ({"mydata/readme.txt": b"hello", "mydata/rock/notes.md": b"x"}, "no audio files"),
    ({"x.wav": wav(), "rock/a.wav": wav(), "jazz/b.wav": wav()}, "not inside a genre folder"),
    ({"mydata/songs/a.wav": wav(), "mydata/songs/b.wav": wav()}, "at least two genre folders"),
    ({"only/rock/a.wav": wav()}, "at least two genre folders"),
])
def test_zips_whose_folders_are_not_labels_rejected(entries, message):
    with pytest.raises(UnpackError, match=message):
        unpack_zip(make_zip(entries), "bad.zip")
    assert leftovers() == []


def test_not_a_zip_rejected():
    with pytest.raises(UnpackError, match="not a zip file"):
        unpack_zip(b"PK\x03\x04 but not really a zip", "fake.zip")
    with pytest.raises(UnpackError, match="not a zip file"):
        unpack_zip(b"", "empty.zip")


def test_a_corrupt_member_leaves_nothing_half_written():
    payload = wav(330)
    data = bytearray(make_zip({**GOOD, "mydata/jazz/zz.wav": payload}, zipfile.ZIP_STORED))
    at = bytes(data).rindex(payload[-64:])
    data[at] ^= 0xFF  # the last member's bytes no longer match its CRC
    with pytest.raises(UnpackError, match="cannot be read"):
        unpack_zip(bytes(data), "corrupt.zip")
    assert leftovers() == []
