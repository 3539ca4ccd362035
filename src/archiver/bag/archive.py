"""Reading a serialised bag entry by entry, unpacking nothing.

:class:`ArchiveReader` walks a .tar, .tar.gz or .zip bag in archive order and yields each entry
with its bag-relative name and declared size and, where the caller asks, a stream of its bytes.
Every entry is judged from its header before its data is read: absolute names, ``..``,
backslashes, links of any kind, devices and pipes, and names that appear twice raise
:class:`~archiver.errors.UnsafePathError` naming the archive and the entry; more than one
top-level folder raises :class:`~archiver.errors.BagError`.

Memory stays bounded whatever the number of entries: tarfile's list of members is emptied after
each header, so only the names seen are kept (to find duplicates); a zip's central directory is
read once, as zipfile does.
"""

from __future__ import annotations

import logging
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from archiver.bag.tagfiles import unsafe_reason
from archiver.errors import BagError, UnsafePathError

__all__ = [
    "ArchiveReader",
    "Entry",
    "EntryReadError",
    "check_name",
    "tar_refusal",
    "zip_refusal",
]

log = logging.getLogger(__name__)

#: what a damaged or lying entry raises while it is read, by library
_READ_ERRORS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,  # zipfile: an encrypted entry
    NotImplementedError,  # zipfile: a compression method it does not know
)


class EntryReadError(Exception):
    """One entry's data could not be read to its declared end (the message says why)."""


@dataclass(frozen=True)
class Entry:
    """One archive entry: ``name`` is bag-relative (``data/a.txt``; ``""`` is the bag folder)."""

    name: str
    stored: str  # the name as the archive spells it, for messages
    size: int  # declared bytes; for a sparse tar member, its expanded size
    is_dir: bool
    sparse: bool = False


def check_name(archive: Path, name: str, *, outcome: str = "nothing was extracted") -> str:
    """The entry name without ``./`` and trailing ``/``; raises if it could leave a folder."""
    clean = name[:-1] if name.endswith("/") else name
    while clean.startswith("./"):
        clean = clean[2:]
    reason = unsafe_reason(clean)
    if reason:
        raise UnsafePathError(f"archive entry {name!r} {reason}; {outcome}", path=archive)
    return clean


def tar_refusal(member: tarfile.TarInfo) -> str | None:
    """Why a tar member cannot be part of a bag (a link, a device...), or None."""
    if member.issym() or member.islnk():
        return f"is a link to {member.linkname!r}; a bag holds no links"
    if not (member.isreg() or member.isdir()):
        return "is a device, pipe or other special file"
    return None


def zip_refusal(info: zipfile.ZipInfo) -> str | None:
    """Why a zip entry cannot be part of a bag (a symbolic link, a device...), or None."""
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "is a symbolic link; a bag holds no links"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "is a device, pipe or other special file"
    return None


class _EntryStream:
    """An entry's bytes, read no further than its declared size; failures name the entry."""

    def __init__(self, opener: Callable[[], IO[bytes]], archive: Path, entry: Entry) -> None:
        self._opener = opener
        self._fh: IO[bytes] | None = None
        self._archive = archive
        self._entry = entry
        self.read_bytes = 0

    def read(self, size: int) -> bytes:
        try:
            if self._fh is None:
                self._fh = self._opener()
            # one byte beyond the declared size is asked for, to catch an entry that is longer
            block = self._fh.read(min(size, self._entry.size - self.read_bytes + 1))
        except _READ_ERRORS as exc:
            raise EntryReadError(self._why(f"cannot be read ({exc})")) from exc
        self.read_bytes += len(block)
        if self.read_bytes > self._entry.size:
            raise EntryReadError(self._why("holds more than it declares; reading stopped there"))
        if not block and self.read_bytes < self._entry.size:
            raise EntryReadError(self._why("ends before its declared size"))
        return block

    def _why(self, what: str) -> str:
        return (
            f"archive entry {self._entry.stored!r} of {self._archive.name} {what} "
            f"(it declares {self._entry.size} bytes)"
        )

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


class ArchiveReader:
    """A serialised bag, read entry by entry; see the module documentation."""

    def __init__(self, path: str | os.PathLike[str], fmt: str | None) -> None:
        self.path = Path(path)
        if fmt is None:
            if zipfile.is_zipfile(self.path):
                fmt = "zip"
            elif tarfile.is_tarfile(self.path):
                fmt = "tar"
            else:
                raise BagError("not a bag folder nor a tar, tar.gz or zip file", path=self.path)
        self.fmt = fmt
        self.top: str | None = None

    def walk(
        self, want: Callable[[Entry], bool] | None = None
    ) -> Iterator[tuple[Entry, _EntryStream | None]]:
        """Every entry in archive order, with a stream of its bytes where ``want(entry)`` says.

        The stream must be read before the next entry is asked for.  Raises
        :class:`~archiver.errors.UnsafePathError` for an entry no bag may hold and
        :class:`~archiver.errors.BagError` for an archive that cannot be read.
        """
        seen = _Names(self)
        try:
            source = self._zip() if self.fmt == "zip" else self._tar()
            for entry, opener in source:
                seen.add(entry)
                if entry.is_dir or want is None or not want(entry):
                    yield entry, None
                    continue
                stream = _EntryStream(opener, self.path, entry)
                try:
                    yield entry, stream
                finally:
                    stream.close()
        except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise BagError(f"cannot read the archive: {exc}", path=self.path) from exc

    def _entry(self, stored: str, size: int, is_dir: bool, sparse: bool = False) -> Entry:
        clean = check_name(self.path, stored, outcome="nothing was extracted")
        top, _, rel = clean.partition("/")
        if self.top is None:
            self.top = top
        if top != self.top or (not rel and not is_dir):
            raise BagError(
                "a serialised bag must hold exactly one top-level folder, found "
                f"{sorted({self.top, top})} (entry {stored!r})",
                path=self.path,
            )
        return Entry(rel, stored, size, is_dir, sparse)

    def _refuse(self, stored: str, reason: str) -> UnsafePathError:
        return UnsafePathError(
            f"archive entry {stored!r} {reason}; nothing was extracted", path=self.path
        )

    def _tar(self) -> Iterator[tuple[Entry, Callable[[], IO[bytes]]]]:
        with tarfile.open(self.path, "r:*") as tf:
            while True:
                member = tf.next()
                # tarfile keeps every header it read; a bag may hold millions of entries
                tf.members.clear()  # type: ignore[attr-defined]
                if member is None:
                    return
                reason = tar_refusal(member)
                if reason:
                    check_name(self.path, member.name)  # an unsafe name is the first thing said
                    raise self._refuse(member.name, reason)
                entry = self._entry(member.name, member.size, member.isdir(), member.issparse())

                def opener(m: tarfile.TarInfo = member) -> IO[bytes]:
                    data = tf.extractfile(m)
                    assert data is not None  # a regular member always has data
                    return data

                yield entry, opener

    def _zip(self) -> Iterator[tuple[Entry, Callable[[], IO[bytes]]]]:
        with zipfile.ZipFile(self.path) as zf:
            for info in zf.infolist():
                reason = zip_refusal(info)
                if reason:
                    check_name(self.path, info.filename)
                    raise self._refuse(info.filename, reason)
                entry = self._entry(info.filename, info.file_size, info.is_dir())

                def opener(i: zipfile.ZipInfo = info) -> IO[bytes]:
                    return zf.open(i)

                yield entry, opener


class _Names:
    """The names seen so far, to refuse one that appears twice or is a file and a folder."""

    def __init__(self, reader: ArchiveReader) -> None:
        self.reader = reader
        self.files: set[str] = set()
        self.dirs: set[str] = {""}

    def add(self, entry: Entry) -> None:
        name = entry.name
        if name in self.files or (name in self.dirs and not entry.is_dir):
            raise self.reader._refuse(entry.stored, "appears twice (or as a file and a folder)")
        parent = name.rpartition("/")[0]
        while parent not in self.dirs:
            if parent in self.files:
                raise self.reader._refuse(entry.stored, f"lies below the file {parent!r}")
            self.dirs.add(parent)
            parent = parent.rpartition("/")[0]
        (self.dirs if entry.is_dir else self.files).add(name)
