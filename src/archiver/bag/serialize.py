"""Serialising bags (tar, tar.gz, zip) and opening serialised bags safely.

A serialised bag holds one top-level folder, the bag (RFC 8493 §4).  Opening one checks every
entry *before* anything is written: absolute names, ``..``, backslashes, links of any kind,
devices and duplicate names are refused with :class:`~archiver.errors.UnsafePathError`.
Extraction then writes only regular files and folders below the target folder, each created
exclusively and without following links.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal

from archiver.bag.archive import check_name, tar_refusal, zip_refusal
from archiver.errors import BagError, UnsafePathError, UsageError
from archiver.fsutil import fsync_dir

__all__ = [
    "SERIALIZE_FORMATS",
    "SerializeFormat",
    "extract_bag",
    "opened_bag",
    "serialization_of",
    "serialize_bag",
]

log = logging.getLogger(__name__)

SerializeFormat = Literal["tar", "tar.gz", "zip"]
SERIALIZE_FORMATS: tuple[SerializeFormat, ...] = ("tar", "tar.gz", "zip")
_COPY_BLOCK = 1024 * 1024


def serialization_of(path: str | os.PathLike[str]) -> SerializeFormat | None:
    """The serialisation a file name says (``.tar``, ``.tar.gz``/``.tgz``, ``.zip``), if any."""
    name = Path(path).name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    if name.endswith(".tar"):
        return "tar"
    if name.endswith(".zip"):
        return "zip"
    return None


def serialize_bag(
    bag_dir: str | os.PathLike[str],
    fmt: SerializeFormat,
    *,
    output: str | os.PathLike[str] | None = None,
    top_folder: str | None = None,
) -> Path:
    """Write the bag folder as one archive whose single top-level folder is the bag.

    ``output`` defaults to the bag folder's name plus the format's suffix; the archive is
    written aside and renamed into place.
    """
    if fmt not in SERIALIZE_FORMATS:
        raise UsageError(f"unknown serialisation {fmt!r} (use tar, tar.gz or zip)")
    root = Path(bag_dir)
    top = top_folder or root.name
    target = Path(output) if output else root.with_name(f"{root.name}.{fmt}")
    entries: list[tuple[Path, str]] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        base = Path(folder)
        rel = base.relative_to(root).as_posix()
        arc_dir = top if rel == "." else f"{top}/{rel}"
        entries.append((base, arc_dir))
        entries.extend((base / name, f"{arc_dir}/{name}") for name in sorted(files))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if fmt == "zip":
            _write_zip(tmp, entries)
        else:
            _write_tar(tmp, entries, gz=fmt == "tar.gz")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _write_tar(tmp: Path, entries: list[tuple[Path, str]], *, gz: bool) -> None:
    mode: Literal["w:gz", "w"] = "w:gz" if gz else "w"
    with tarfile.open(tmp, mode, format=tarfile.PAX_FORMAT) as tf:
        for path, arcname in entries:
            tf.add(path, arcname=arcname, recursive=False)


def _write_zip(tmp: Path, entries: list[tuple[Path, str]]) -> None:
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for path, arcname in entries:
            if path.is_dir():
                zf.write(path, arcname + "/")
            else:
                # already-compressed WARCs gain nothing from deflate
                method = zipfile.ZIP_STORED if arcname.endswith(".gz") else zipfile.ZIP_DEFLATED
                zf.write(path, arcname, compress_type=method)


# -- safe opening ------------------------------------------------------------------------------


def _plan_tar(archive: Path, tf: tarfile.TarFile) -> list[tuple[str, bool, tarfile.TarInfo]]:
    plan: list[tuple[str, bool, tarfile.TarInfo]] = []
    for member in tf.getmembers():
        name = check_name(archive, member.name)
        reason = tar_refusal(member)
        if reason:
            raise UnsafePathError(
                f"archive entry {member.name!r} {reason}; nothing was extracted", path=archive
            )
        plan.append((name, member.isdir(), member))
    return plan


def _plan_zip(archive: Path, zf: zipfile.ZipFile) -> list[tuple[str, bool, zipfile.ZipInfo]]:
    plan: list[tuple[str, bool, zipfile.ZipInfo]] = []
    for info in zf.infolist():
        name = check_name(archive, info.filename)
        reason = zip_refusal(info)
        if reason:
            raise UnsafePathError(
                f"archive entry {info.filename!r} {reason}; nothing was extracted", path=archive
            )
        plan.append((name, info.is_dir(), info))
    return plan


def _top_folder(archive: Path, entries: list[tuple[str, bool]]) -> str:
    tops = {name.split("/", 1)[0] for name, _ in entries}
    top = next(iter(tops)) if len(tops) == 1 else None
    if top is None or any(name == top and not is_dir for name, is_dir in entries):
        raise BagError(
            f"a serialised bag must hold exactly one top-level folder, found {sorted(tops)[:5]}",
            path=archive,
        )
    return top


def _write_entry(dest: Path, name: str, source: IO[bytes], archive: Path) -> None:
    target = dest / name
    target.parent.mkdir(parents=True, exist_ok=True)
    # the parent chain was built here from checked names; still, never follow a link
    if not target.parent.resolve().is_relative_to(dest.resolve()):
        raise UnsafePathError(f"archive entry {name!r} would leave the target folder", path=archive)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o644)
    except FileExistsError as exc:
        raise UnsafePathError(f"archive entry {name!r} appears twice", path=archive) from exc
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(source, out, _COPY_BLOCK)


def extract_bag(archive: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Safely unpack a serialised bag into the empty folder ``dest``; returns the bag folder.

    Every entry is checked before the first byte is written.
    """
    src = Path(archive)
    out = Path(dest)
    fmt = serialization_of(src)
    if fmt is None:
        if zipfile.is_zipfile(src):
            fmt = "zip"
        elif tarfile.is_tarfile(src):
            fmt = "tar"
        else:
            raise BagError("not a bag folder nor a tar, tar.gz or zip file", path=src)
    try:
        if fmt == "zip":
            with zipfile.ZipFile(src) as zf:
                zplan = _plan_zip(src, zf)
                top = _top_folder(src, [(n, d) for n, d, _ in zplan])
                out.mkdir(parents=True, exist_ok=True)
                for name, is_dir, info in zplan:
                    if is_dir:
                        (out / name).mkdir(parents=True, exist_ok=True)
                    else:
                        with zf.open(info) as fh:
                            _write_entry(out, name, fh, src)
        else:
            with tarfile.open(src, "r:*") as tf:
                tplan = _plan_tar(src, tf)
                top = _top_folder(src, [(n, d) for n, d, _ in tplan])
                out.mkdir(parents=True, exist_ok=True)
                for name, is_dir, member in tplan:
                    if is_dir:
                        (out / name).mkdir(parents=True, exist_ok=True)
                        continue
                    data = tf.extractfile(member)
                    if data is None:  # pragma: no cover - regular members always have data
                        raise BagError(f"archive entry {name!r} has no data", path=src)
                    with data:
                        _write_entry(out, name, data, src)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        if isinstance(exc, UnsafePathError):
            raise
        raise BagError(f"cannot read the archive: {exc}", path=src) from exc
    return out / top


@contextlib.contextmanager
def opened_bag(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a bag folder: ``path`` itself, or a serialised bag unpacked into a temporary folder.

    The temporary folder is removed afterwards.  Verification does not use this: it streams a
    serialised bag and unpacks nothing (:mod:`archiver.fixity.streamed`).
    """
    src = Path(path)
    if src.is_dir():
        yield src
        return
    if not src.exists():
        raise BagError("no such bag", path=src)
    with tempfile.TemporaryDirectory(prefix="archiver-bag-") as tmp:
        yield extract_bag(src, Path(tmp) / "unpacked")
