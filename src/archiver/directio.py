"""New files written around the page cache (``O_DIRECT``): how make_bag copies large files.

A bag copies gigabytes that nobody reads back soon.  Written through the page cache, every
4 KiB of the copy first takes a page of memory, which the kernel must find, clear and later
write back; on a virtual machine whose memory is handed back to the host when free, each of
those pages is also a fault on the host.  :class:`NewFile` instead writes large files with
``O_DIRECT`` from a few reused, aligned buffers of :data:`BUFFER` bytes, so the bytes go from
those buffers to the disk.  Writes can go to a thread pool, so the disk works while the
caller reads and hashes the next bytes.

What is written is the same either way.  The file is written through the page cache when it
is smaller than :data:`MIN_SIZE`, when the file system refuses ``O_DIRECT`` (the flag cannot
be set), when a direct write is refused (``EINVAL``: the device wants another alignment), for
the last partial block, and when ``ARCHIVER_DIRECT_IO`` is set to anything but unset, empty,
1, yes, on or true.  ``O_DIRECT`` is not durability: call ``finish(fsync=True)`` for that.

    >>> from pathlib import Path
    >>> out = NewFile(Path("copy.bin"), size=4 << 20)  # doctest: +SKIP
    >>> try:  # doctest: +SKIP
    ...     with open("source.bin", "rb", buffering=0) as src:
    ...         while block := src.read(1 << 20):
    ...             out.write(block)  # or, if out.direct, readinto(out.space()) + filled(n)
    ...     out.finish(fsync=True)
    ... finally:
    ...     out.close()
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
import tempfile
import threading
from concurrent.futures import Executor, Future
from pathlib import Path

from archiver import envflags
from archiver.fsutil import write_all

__all__ = ["ALIGN", "BUFFER", "MIN_SIZE", "NewFile", "describe", "switched_on"]

#: Alignment of memory, file offset and length asked of every direct write.
ALIGN = 4096
#: Bytes per write (and per buffer).
BUFFER = 1 << 20
#: Files smaller than this are written through the page cache.
MIN_SIZE = BUFFER
#: Buffers kept for reuse when no file holds them (the rest are unmapped).
_KEEP = 32
#: 0 where the platform has no O_DIRECT (macOS): every file then goes through the page cache.
_O_DIRECT: int = getattr(os, "O_DIRECT", 0)

_free: list[mmap.mmap] = []
_free_lock = threading.Lock()


def switched_on() -> bool:
    """Whether ``ARCHIVER_DIRECT_IO`` leaves direct writes on (:mod:`archiver.envflags`)."""
    return envflags.switched_on("ARCHIVER_DIRECT_IO")


def describe(folder: Path) -> str:
    """One line for people: how make_bag would write large copies into ``folder``, and why."""
    if not switched_on():
        return "every file through the page cache (ARCHIVER_DIRECT_IO switches direct writes off)"
    if not _O_DIRECT:
        return "every file through the page cache (this platform has no O_DIRECT)"
    try:
        fd, probe = tempfile.mkstemp(prefix=".archiver-probe-", dir=folder)
        try:
            accepted = _set_direct(fd, True)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:  # only a description: say what stopped the probe
        return f"unknown: cannot probe {folder} for O_DIRECT ({exc.strerror or exc})"
    if not accepted:
        return "every file through the page cache (this file system refuses O_DIRECT)"
    return f"files of {MIN_SIZE // 2**20} MiB or more with O_DIRECT, around the page cache"


def _take_buffer() -> mmap.mmap:
    with _free_lock:
        if _free:
            return _free.pop()
    # page-aligned, so aligned for O_DIRECT; private, so a forked child never shares the pages
    return mmap.mmap(-1, BUFFER, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)


def _forget_buffers() -> None:
    """In a forked child: start with no spare buffers (and a lock no parent thread holds)."""
    global _free_lock
    _free.clear()
    _free_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_buffers)


def _give_back(buffers: list[mmap.mmap]) -> None:
    with _free_lock:
        while buffers and len(_free) < _KEEP:
            _free.append(buffers.pop())
    for buffer in buffers:
        with contextlib.suppress(BufferError):  # a view still held: unmapped when it goes
            buffer.close()
    buffers.clear()


def _set_direct(fd: int, on: bool) -> bool:
    """Set or clear ``O_DIRECT`` on ``fd``; False when the file system refuses it."""
    if not _O_DIRECT:
        return not on
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    wanted = flags | _O_DIRECT if on else flags & ~_O_DIRECT
    if wanted == flags:
        return True
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, wanted)
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            return False
        raise
    return True


class NewFile:
    """A new file at ``path`` (which must not exist), written in order.

    ``size`` is the expected length, to choose between direct and page-cache writes.  With
    ``pool`` full buffers are written by its threads (two buffers per file, so one fills while
    the other is written); without, by the caller.  Fill it with :meth:`write`, or read
    straight into :meth:`space` and report with :meth:`filled`; then :meth:`finish`.  Always
    :meth:`close` (it waits for writes in flight; after a failure the caller removes the file).
    Errors of the pool's writes are raised by the next call that waits for them.
    """

    def __init__(self, path: Path, *, size: int, pool: Executor | None = None) -> None:
        self.path = path
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self._pool = pool
        self._buffers: list[mmap.mmap] = []
        self._writes: list[Future[None] | None] = []
        self._current = 0
        self._fill = 0
        self._offset = 0  # file offset of the current buffer's first byte
        self._lock = threading.Lock()
        try:
            #: Written from aligned buffers (with ``O_DIRECT`` unless a write was refused).
            self.direct = size >= MIN_SIZE and switched_on() and _set_direct(self._fd, True)
            self._fd_direct = self.direct
            if self.direct:
                for _ in range(2 if pool is not None else 1):
                    self._buffers.append(_take_buffer())
                    self._writes.append(None)
        except BaseException:
            self.close()
            path.unlink(missing_ok=True)  # made by us just above (O_EXCL)
            raise

    def space(self) -> memoryview:
        """The free part of the current buffer (at most :data:`BUFFER` bytes), to read into.

        Only for direct files (``self.direct``); the view is valid until the next call.
        """
        if not self.direct:
            raise ValueError(f"{self.path}: space() is only for files written directly")
        return memoryview(self._buffers[self._current])[self._fill :]

    def filled(self, count: int) -> None:
        """``count`` bytes were put at the start of :meth:`space`; write the buffer if full."""
        self._fill += count
        if self._fill == BUFFER:
            self._send()

    def write(self, data: bytes | memoryview) -> None:
        """Append ``data``."""
        if not self.direct:
            assert self._fd is not None
            write_all(self._fd, data)
            return
        view = memoryview(data)
        while view:
            room = self.space()
            count = min(len(room), len(view))
            room[:count] = view[:count]
            room.release()
            view = view[count:]
            self.filled(count)

    def _send(self) -> None:
        """Write the full current buffer (in the pool if there is one); move to the next."""
        data = memoryview(self._buffers[self._current])[: self._fill]
        if self._pool is None:
            self._write(data, self._offset)
        else:
            self._writes[self._current] = self._pool.submit(self._write, data, self._offset)
        self._offset += self._fill
        self._fill = 0
        self._current = (self._current + 1) % len(self._buffers)
        self._wait(self._current)

    def _wait(self, index: int) -> None:
        future, self._writes[index] = self._writes[index], None
        if future is not None:
            future.result()

    def _write(self, data: memoryview, offset: int) -> None:
        """Write all of ``data`` at ``offset``; a refused direct write is done through the
        page cache instead (and the rest of the file with it)."""
        assert self._fd is not None
        while data:
            was_direct = self._fd_direct
            try:
                count = os.pwrite(self._fd, data, offset)
            except OSError as exc:
                if exc.errno != errno.EINVAL or not was_direct:
                    raise
                self._to_page_cache()
                continue
            data, offset = data[count:], offset + count

    def _to_page_cache(self) -> None:
        """Write the rest of the file through the page cache (clear ``O_DIRECT`` once)."""
        assert self._fd is not None
        with self._lock:  # another write of this file may have cleared it already
            if self._fd_direct:
                _set_direct(self._fd, False)
                self._fd_direct = False

    def finish(self, *, fsync: bool = False) -> None:
        """Write what is left (the tail through the page cache), wait, and ``fsync`` if asked."""
        assert self._fd is not None
        if self._buffers:
            for index in range(len(self._writes)):
                self._wait(index)
            data = memoryview(self._buffers[self._current])[: self._fill]
            whole = len(data) - len(data) % ALIGN
            if whole:
                self._write(data[:whole], self._offset)
            if whole != len(data):
                self._to_page_cache()
                self._write(data[whole:], self._offset + whole)
            data.release()
        if fsync:
            os.fsync(self._fd)

    def close(self) -> None:
        """Wait for writes in flight, close the file, give the buffers back; safe to repeat."""
        for future in self._writes:
            if future is not None:
                future.exception()  # waits; the error (if any) was or will not be reported here
        self._writes = [None] * len(self._writes)
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
        _give_back(self._buffers)
