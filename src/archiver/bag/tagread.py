"""Opening and reading a bag's tag files safely, in bounded memory.

A tag file (``bagit.txt``, ``bag-info.txt``, ``fetch.txt``, ``manifest-*.txt``,
``tagmanifest-*.txt``) is looked at with ``lstat`` first and opened with ``O_NOFOLLOW`` and
``O_NONBLOCK``; the open file must be a regular file (``fstat``).  A symbolic link, FIFO, device,
socket or folder in its place is refused unread, so a bag cannot make a reader quote a file
outside it, or hang on a pipe.

:class:`TagLines` reads a tag file line by line: only one line is held at a time, and a line
longer than :data:`MAX_LINE` characters is skipped (reported, its start quoted) without being
held whole.  :func:`shown` quotes a value for a message, cut to :data:`QUOTE_LIMIT` characters.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal

__all__ = [
    "MAX_LINE",
    "QUOTE_LIMIT",
    "Refusal",
    "TagLines",
    "file_kind",
    "is_regular",
    "open_tag",
    "read_opened",
    "read_small",
    "shown",
]

#: characters a tag-file line may hold; longer lines are skipped (no path is that long)
MAX_LINE = 1 << 16
#: characters of a path or value quoted in a message
QUOTE_LIMIT = 200

RefusalKind = Literal["missing", "symlink", "special-file", "unreadable"]


class Refusal:
    """Why a tag file was not opened: ``kind`` is ``missing``, ``symlink``, ``special-file``
    (FIFO, device, socket, folder) or ``unreadable`` (with the system's reason)."""

    __slots__ = ("kind", "reason")

    def __init__(self, kind: RefusalKind, reason: str) -> None:
        self.kind = kind
        self.reason = reason

    def __repr__(self) -> str:
        return f"Refusal({self.kind!r}, {self.reason!r})"


def shown(value: str, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)``, cut to ``limit`` characters with an ellipsis and the full length.

    >>> shown("x" * 1000, 10)
    "'xxxxxxxxx… (1000 characters)"
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(value)} characters)"


def file_kind(mode: int) -> str:
    """A file type in words, for messages."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _refusal(mode: int) -> Refusal:
    kind: RefusalKind = "symlink" if stat.S_ISLNK(mode) else "special-file"
    return Refusal(kind, f"is {file_kind(mode)}, not a regular file; not read")


def open_tag(path: str | os.PathLike[str]) -> BinaryIO | Refusal:
    """Open ``path`` for reading if it is a regular file, else say why not (never follows a
    link, never blocks on a FIFO, never opens a device)."""
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        return Refusal("missing", "is missing")
    except OSError as exc:
        return Refusal("unreadable", f"cannot read: {exc.strerror or exc}")
    if not stat.S_ISREG(before.st_mode):
        return _refusal(before.st_mode)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:  # replaced by a link since the lstat: ELOOP
        try:
            return _refusal(os.lstat(path).st_mode)
        except OSError:
            return Refusal("unreadable", f"cannot read: {exc.strerror or exc}")
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):  # replaced by a FIFO or device since the lstat
        os.close(fd)
        return _refusal(mode)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


class TagLines:
    """The lines of an open tag file as ``(line number, text)``, read one at a time.

    Line ends are LF, CR or CRLF (RFC 8493).  A UTF-8 byte-order mark is dropped with a
    warning.  Problems are kept in :attr:`problems` as ``(severity, code, message, line)``:
    an over-long line (skipped) or bytes that are not valid in ``encoding`` (reading stops).
    """

    def __init__(self, raw: BinaryIO, encoding: str, *, max_line: int = MAX_LINE) -> None:
        self.problems: list[tuple[Literal["error", "warning"], str, str, int | None]] = []
        self._max = max_line
        codec = codecs.lookup(encoding).name
        buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
        if codec == "utf-8" and buffered.peek(3)[:3] == codecs.BOM_UTF8:
            self.problems.append(("warning", "byte-order-mark", "starts with a UTF-8 BOM", None))
            buffered.read(3)
        self._encoding = encoding
        self._text = io.TextIOWrapper(buffered, encoding=codec, newline=None)

    def __iter__(self) -> Iterator[tuple[int, str]]:
        number = 0
        text = self._text
        try:
            while True:
                line = text.readline(self._max + 1)
                if not line:
                    return
                number += 1
                if number == 1:
                    line = line.lstrip("\ufeff")
                if len(line) > self._max and not line.endswith("\n"):
                    skipped = len(line)
                    rest = line
                    while rest and not rest.endswith("\n"):
                        rest = text.readline(self._max)
                        skipped += len(rest)
                    self.problems.append(
                        (
                            "error",
                            "tag-line-too-long",
                            f"line is longer than {self._max} characters ({skipped}); "
                            f"skipped: {shown(line[:QUOTE_LIMIT])}",
                            number,
                        )
                    )
                    continue
                yield number, line.rstrip("\n")
        except OSError as exc:
            self.problems.append(
                (
                    "error",
                    "tag-file-unreadable",
                    f"cannot read past line {number}: {exc.strerror or exc}",
                    None,
                )
            )
        except UnicodeDecodeError as exc:
            self.problems.append(
                (
                    "error",
                    "tag-file-encoding",
                    f"is not valid {self._encoding} ({exc.reason}); read up to line {number}",
                    None,
                )
            )

    def close(self) -> None:
        """Close the file (and the raw file it was given)."""
        self._text.close()

    def __enter__(self) -> TagLines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_small(path: Path, limit: int) -> bytes | Refusal:
    """The first ``limit`` + 1 bytes of a small tag file (``bagit.txt``), opened safely."""
    return read_opened(open_tag(path), limit)


def read_opened(opened: BinaryIO | Refusal, limit: int) -> bytes | Refusal:
    """The first ``limit`` + 1 bytes of a tag file opened by :func:`open_tag` (or an archive's
    tag source), which is closed; a refusal is handed back."""
    if isinstance(opened, Refusal):
        return opened
    with opened:
        try:
            return opened.read(limit + 1)
        except OSError as exc:
            return Refusal("unreadable", f"cannot read: {exc.strerror or exc}")


def is_regular(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` itself (not a link's target) is a regular file."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
