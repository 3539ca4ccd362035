"""Small file-system helpers shared by every layer: atomic writes, whole writes to a descriptor.

A file is written aside (a temporary name in the same folder), flushed, fsynced and renamed
over the target, so a reader never sees a half-written file and a crash leaves the old one::

    with atomic_write(path) as fh:        # text mode, UTF-8
        fh.write("...")

A new file gets the mode any other program would give it (``0666`` less the umask), not the
``0600`` of :func:`tempfile.mkstemp`; a file that is replaced keeps its mode.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "fsync_dir", "new_file_mode", "write_all"]

_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it where Linux says it (else set back)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:  # pragma: no cover - not Linux
        mask = os.umask(0o022)
        os.umask(mask)
        return mask


def new_file_mode() -> int:
    """The permission bits a newly created file gets: ``0o666`` less the umask."""
    return 0o666 & ~current_umask()


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte of ``data`` to the descriptor ``fd`` (os.write may write fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (after a rename) where the platform allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - not every platform opens folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` when the block succeeds.

    If the block raises, the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        perms = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        perms = new_file_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, perms)
        if "b" in mode:
            fh: IO[Any] = os.fdopen(fd, mode)
        else:
            fh = os.fdopen(fd, mode, encoding="utf-8", newline="\n")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
