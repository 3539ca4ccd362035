"""Serialised bags: round trips, and hostile archives refused before anything is written."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import bagit
import bagit_profile
import pytest

from archiver.bag import (
    PROFILE_IDENTIFIER,
    BagSummary,
    extract_bag,
    load_profile,
    opened_bag,
    serialize_bag,
)
from archiver.errors import BagError, UnsafePathError
from archiver.fixity import verify


def _listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "zip"])
def test_round_trip(bag: BagSummary, tmp_path: Path, fmt: str) -> None:
    archive = serialize_bag(bag.path, fmt, output=tmp_path / f"out.{fmt}")  # type: ignore[arg-type]
    out = extract_bag(archive, tmp_path / "unpacked")
    assert out == tmp_path / "unpacked" / bag.path.name
    assert _listing(out) == _listing(bag.path)
    bagit.Bag(str(out)).validate()
    assert verify(archive).ok
    profile = bagit_profile.Profile(PROFILE_IDENTIFIER, profile=load_profile())
    assert profile.validate_serialization(str(archive))
    assert profile.validate(bagit.Bag(str(out))), profile.report


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as tf:  # type: ignore[call-overload]
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), b"evil"


def _link(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


HOSTILE_TARS = {
    "dotdot": [_file("bag/bagit.txt"), _file("bag/../../evil.txt")],
    "absolute": [_file("bag/bagit.txt"), _file("/tmp/archiver-evil.txt")],
    "symlink-out": [_file("bag/bagit.txt"), _link("bag/data/x", "/etc/passwd", tarfile.SYMTYPE)],
    "symlink-then-write": [
        _link("bag/data", "../../", tarfile.SYMTYPE),
        _file("bag/data/evil.txt"),
    ],
    "hardlink": [_file("bag/bagit.txt"), _link("bag/data/x", "/etc/passwd", tarfile.LNKTYPE)],
    "device": [_file("bag/bagit.txt"), _link("bag/dev", "", tarfile.CHRTYPE)],
    "backslash": [_file("bag/bagit.txt"), _file("bag\\..\\..\\evil.txt")],
    "home": [_file("~/evil.txt")],
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TARS))
def test_hostile_tar_is_refused_and_writes_nothing(tmp_path: Path, case: str) -> None:
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    archive = _tar(tmp_path / "hostile.tar", HOSTILE_TARS[case])
    before = _listing(tmp_path)
    with pytest.raises(UnsafePathError) as info:
        extract_bag(archive, sandbox / "target")
    assert "nothing was extracted" in str(info.value)
    assert _listing(tmp_path) == before  # not even the target folder was made
    assert not Path("/tmp/archiver-evil.txt").exists()
    with pytest.raises(UnsafePathError):
        verify(archive)


def _zip(path: Path, entries: list[tuple[str, bytes, int | None]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


HOSTILE_ZIPS = {
    "zip-slip": [("bag/bagit.txt", b"x", None), ("bag/../../evil.txt", b"evil", None)],
    "absolute": [("/tmp/archiver-evil.txt", b"evil", None)],
    "symlink": [
        ("bag/bagit.txt", b"x", None),
        ("bag/data/x", b"/etc/passwd", stat.S_IFLNK | 0o777),
    ],
    "drive": [("C:/evil.txt", b"evil", None)],
}


@pytest.mark.parametrize("case", sorted(HOSTILE_ZIPS))
def test_hostile_zip_is_refused_and_writes_nothing(tmp_path: Path, case: str) -> None:
    archive = _zip(tmp_path / "hostile.zip", HOSTILE_ZIPS[case])
    before = _listing(tmp_path)
    with pytest.raises(UnsafePathError):
        extract_bag(archive, tmp_path / "target")
    assert _listing(tmp_path) == before
    assert not Path("/tmp/archiver-evil.txt").exists()


def test_two_top_level_folders_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "two.zip", [("a/bagit.txt", b"x", None), ("b/bagit.txt", b"x", None)])
    with pytest.raises(BagError, match="one top-level folder"):
        extract_bag(archive, tmp_path / "t")


def test_duplicate_entry_refused(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "dup.tar", [_file("bag/a"), _file("bag/a")])
    with pytest.raises(UnsafePathError, match="twice"):
        extract_bag(archive, tmp_path / "t")


def test_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(100))
    with pytest.raises(BagError):
        extract_bag(junk, tmp_path / "t")


def test_opened_bag_cleans_up(bag: BagSummary, tmp_path: Path) -> None:
    archive = serialize_bag(bag.path, "tar.gz", output=tmp_path / "b.tar.gz")
    with opened_bag(archive) as root:
        assert (root / "bagit.txt").is_file()
        temp = root.parent.parent
    assert not temp.exists()
    with opened_bag(bag.path) as root:
        assert root == bag.path
