"""Hash many files at once: SHA-512 four files at a time in one register, on every core.

One SHA-512 stream cannot use wide registers: each round needs the one before.  Four streams
of four different files can, so each worker thread keeps four files open ("lanes"), reads the
next block of each, and hashes the four blocks together in :mod:`archiver._sha512x4` (AVX-512,
or AVX2 where the CPU has no AVX-512; without the GIL).  The other algorithms (SHA-256 has its
own CPU instructions) go to hashlib block by block, and a job can also copy its file and show
every block to a consumer, so a file is still read once.  On this project's benchmark machine
four AVX-512 lanes hash about 2.3 times the bytes per second of hashlib's SHA-512, and four
AVX2 lanes about 1.4 times (docs/benchmarks.md).

A file that would spend more than half its time alone in its worker (three lanes idle) is
hashed alone with hashlib instead, as are all files when the extension is missing (no C
compiler at install), the CPU has neither AVX-512 nor AVX2, SHA-512 is not asked for, or
``ARCHIVER_SHA512_LANES`` says no.  :func:`usable` says whether lanes apply, :func:`describe`
why not.

    >>> from pathlib import Path
    >>> from archiver.lanes import Job, LaneRun
    >>> with LaneRun([Job(Path("a.warc.gz"), 10, tag="a")], ("sha512",)) as run:  # doctest: +SKIP
    ...     for job, digests in run:
    ...         print(job.tag, digests.hexdigests["sha512"][:16])
"""

from __future__ import annotations

import hashlib
import heapq
import importlib
import logging
import os
import queue
import resource
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast

from archiver import envflags
from archiver.directio import NewFile
from archiver.hashing import FileDigests, copy_and_hash, default_workers, hash_file


class _Kernel(Protocol):
    """What the C extension ``archiver._sha512x4`` offers."""

    AVAILABLE: bool  # the CPU has AVX-512 (F, VL, BW) or AVX2
    KERNEL: str | None  # "avx512", "avx2" or None
    LANES: int
    STATE_BYTES: int

    def select(self, name: str, /) -> None: ...

    def reset(self, state: bytearray, lane: int, /) -> None: ...
    def digest(self, state: bytearray, lane: int, /) -> bytes: ...
    def compress(
        self, state: bytearray, blocks: Sequence[bytes | memoryview | None], /
    ) -> None: ...


_sha512x4: _Kernel | None
try:  # the extension is optional: built only where a C compiler was found at install
    _sha512x4 = cast(_Kernel, importlib.import_module("archiver._sha512x4"))
except ImportError:  # pragma: no cover - depends on the install
    _sha512x4 = None

__all__ = ["CHUNK", "Job", "LaneRun", "describe", "usable"]

log = logging.getLogger(__name__)

#: Bytes read from each lane's file per round (a multiple of SHA-512's 128-byte block); a lane
#: that copies a large file reads up to a whole write buffer (archiver.directio.BUFFER).
CHUNK = 128 * 1024
_BLOCK = 128
_T = TypeVar("_T")


def usable(algorithms: Sequence[str]) -> bool:
    """True when lanes would hash these algorithms: SHA-512 among them and the kernel runs here."""
    if _sha512x4 is None or not _sha512x4.AVAILABLE:
        return False
    if not _switched_on():
        return False
    return "sha512" in algorithms


def _switched_on() -> bool:
    """Whether ``ARCHIVER_SHA512_LANES`` leaves the lanes on (:mod:`archiver.envflags`)."""
    return envflags.switched_on("ARCHIVER_SHA512_LANES")


def describe(algorithms: Sequence[str]) -> str:
    """One line for people: how SHA-512 is computed here for these algorithms, and why."""
    if _sha512x4 is None:
        return "hashlib, one file per thread (the SHA-512 lanes extension was not built)"
    if not _sha512x4.AVAILABLE:
        return "hashlib, one file per thread (this CPU has neither AVX-512 nor AVX2 for the lanes)"
    if "sha512" not in algorithms:
        return "hashlib, one file per thread (no SHA-512 asked for)"
    if not usable(algorithms):
        return "hashlib, one file per thread (lanes switched off by ARCHIVER_SHA512_LANES)"
    kind = {"avx512": "AVX-512", "avx2": "AVX2"}.get(_sha512x4.KERNEL or "", _sha512x4.KERNEL)
    return f"SHA-512 lanes: {_sha512x4.LANES} files at a time per core ({kind})"


@dataclass(frozen=True)
class Job(Generic[_T]):
    """One file to hash: ``source``, its ``size`` (for scheduling), a ``tag`` for the caller.

    With ``copy_to`` the file is copied to that new path (which must not exist) as it is read,
    keeping the source's modification time.  ``consumer`` sees every block, in order.
    """

    source: Path
    size: int
    tag: _T
    copy_to: Path | None = None
    fsync: bool = False
    consumer: Callable[[bytes], None] | None = None


def _padding(tail: bytes, length: int) -> bytes:
    """The last block(s) of a SHA-512 message: the tail, 0x80, zeros, the bit length."""
    zeros = (_BLOCK - 16 - 1 - len(tail)) % _BLOCK
    return tail + b"\x80" + bytes(zeros) + (length * 8).to_bytes(16, "big")


class _Lane:
    """One open job in one lane of a worker."""

    __slots__ = ("file", "job", "others", "out", "pending", "size")

    def __init__(self, job: Job[Any], algorithms: Sequence[str], pool: Executor | None) -> None:
        self.job = job
        self.others = [hashlib.new(a) for a in algorithms if a != "sha512"]
        self.size = 0
        self.pending = b""
        self.out: NewFile | None = None
        self.file = open(job.source, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        if job.copy_to is not None:
            try:
                self.out = NewFile(job.copy_to, size=job.size, pool=pool)
            except BaseException:
                self.file.close()
                raise

    def read(self) -> tuple[bytes | memoryview, bool]:
        """The next whole blocks for SHA-512, and whether they end the message."""
        data: bytes | memoryview
        if self.out is not None and self.out.direct:
            # read straight into the copy's aligned buffer, as much as it has room for (up to
            # 1 MiB: fewer rounds; 12% less time for make_bag in one-off A/B runs): the copy
            # costs no memory copy; the buffer is not reused before the next round (two per
            # file, written in turn)
            room = self.out.space()
            data = room[: self.file.readinto(room)]
            self.out.filled(len(data))
        else:
            block = self.file.read(CHUNK)
            if block and self.job.consumer is not None:
                self.job.consumer(block)
            if self.out is not None:
                self.out.write(block)
            data = block
        if not data:
            return _padding(self.pending, self.size), True
        self.size += len(data)
        for hasher in self.others:
            hasher.update(data)
        if self.pending:
            data = self.pending + data
        cut = len(data) - len(data) % _BLOCK
        self.pending = bytes(data[cut:]) if cut != len(data) else b""
        return (memoryview(data)[:cut] if cut != len(data) else data), False

    def finish(self, sha512: bytes) -> FileDigests:
        if self.out is not None:
            self.out.finish(fsync=self.job.fsync)
        stat = os.fstat(self.file.fileno())
        self.close()
        if self.job.copy_to is not None:
            os.utime(self.job.copy_to, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        digests = {"sha512": sha512.hex()}
        digests.update((h.name, h.hexdigest()) for h in self.others)
        return FileDigests(self.job.copy_to or self.job.source, self.size, digests)

    def close(self) -> None:
        self.file.close()
        if self.out is not None:
            self.out.close()


class _Failed:
    """An exception raised in a worker, carried to the thread that iterates."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class LaneRun(Generic[_T]):
    """Hash ``jobs`` for ``algorithms`` (SHA-512 among them) on ``workers`` threads, four lanes
    each.

    The work starts when the object is made.  Iterate for ``(job, FileDigests)`` pairs as files
    finish; a file that cannot be read (or copied) gives a :class:`FileDigests` whose ``error``
    says why, and the run goes on.  :meth:`close` (or ``with``) stops the threads.
    """

    def __init__(
        self,
        jobs: Sequence[Job[_T]],
        algorithms: Sequence[str],
        *,
        workers: int | None = None,
    ) -> None:
        if _sha512x4 is None or not _sha512x4.AVAILABLE:
            raise RuntimeError("SHA-512 lanes are not available here (see archiver.lanes.usable)")
        self._kernel: _Kernel = _sha512x4
        jobs = list(jobs)  # read twice below: a generator would be used up by the first pass
        self._algorithms = tuple(dict.fromkeys(algorithms))
        if any(job.copy_to is not None and job.consumer is not None for job in jobs):
            raise ValueError("a job that copies its file cannot also have a consumer")
        threads = _thread_cap(max(1, workers or default_workers()), self._kernel.LANES)
        ordered = sorted(jobs, key=lambda job: -job.size)
        self._solo = _solo_jobs(ordered, threads * self._kernel.LANES)
        count = min(threads, max(1, len(ordered)))
        # files hashed alone first, from one queue; the rest dealt to the workers by bytes
        self._shared: deque[Job[_T]] = deque(job for job in ordered if id(job) in self._solo)
        self._own = _deal([job for job in ordered if id(job) not in self._solo], count)
        self._own_bytes = [sum(job.size for job in pile) for pile in self._own]
        self._left = len(ordered)
        self._lock = threading.Lock()
        self._results: queue.SimpleQueue[tuple[Job[_T], FileDigests] | _Failed] = (
            queue.SimpleQueue()
        )
        self._stop = threading.Event()
        # direct writes of large copies go to their own threads, so the disk works while the
        # workers hash (archiver.directio); the pool starts no thread until a copy needs one
        self._writers = ThreadPoolExecutor(count, thread_name_prefix="archiver-write")
        self._threads = [
            threading.Thread(target=self._work, args=(n,), name=f"archiver-lanes-{n}", daemon=True)
            for n in range(count)
        ]
        try:
            for thread in self._threads:
                thread.start()
        except BaseException:  # e.g. "can't start new thread": stop the ones that did start
            self.close()
            raise
        log.info("hashing %d files: %s", len(ordered), describe(self._algorithms))

    def _take(self, worker: int) -> Job[_T] | None:
        """The next job for ``worker``: a file to hash alone, then its own largest, then the
        smallest of the worker with the most bytes left (so all end together)."""
        with self._lock:
            if self._stop.is_set():
                return None
            if self._shared:
                return self._shared.popleft()
            if self._own[worker]:
                job = self._own[worker].popleft()
                self._own_bytes[worker] -= job.size
                return job
            busiest = max(
                range(len(self._own)), key=lambda n: (self._own_bytes[n], len(self._own[n]))
            )
            if not self._own[busiest]:
                return None
            job = self._own[busiest].pop()
            self._own_bytes[busiest] -= job.size
            return job

    def _work(self, worker: int) -> None:
        lanes: list[_Lane | None] = [None] * self._kernel.LANES
        state = bytearray(self._kernel.STATE_BYTES)
        try:
            self._rounds(worker, lanes, state)
        except BaseException as exc:  # handed to the iterating thread
            self._results.put(_Failed(exc))
        finally:
            for lane in lanes:
                if lane is not None:
                    lane.close()

    def _rounds(self, worker: int, lanes: list[_Lane | None], state: bytearray) -> None:
        while not self._stop.is_set():
            for i in range(len(lanes)):
                while lanes[i] is None:
                    job = self._take(worker)
                    if job is None:
                        break
                    if id(job) in self._solo:
                        self._results.put((job, _alone(job, self._algorithms, self._writers)))
                        continue
                    try:
                        lanes[i] = _Lane(job, self._algorithms, self._writers)
                    except OSError as exc:
                        self._results.put((job, _error(job, exc)))
                        continue
                    self._kernel.reset(state, i)
            if not any(lanes):
                return
            blocks: list[bytes | memoryview | None] = [None] * len(lanes)
            ending: list[int] = []
            for i, lane in enumerate(lanes):
                if lane is None:
                    continue
                try:
                    blocks[i], last = lane.read()
                except OSError as exc:
                    lane.close()
                    lanes[i] = None
                    self._results.put((lane.job, _error(lane.job, exc, lane.size)))
                    continue
                if last:
                    ending.append(i)
            self._kernel.compress(state, blocks)
            for i in ending:
                lane = lanes[i]
                assert lane is not None
                try:
                    result = lane.finish(self._kernel.digest(state, i))
                except OSError as exc:
                    result = _error(lane.job, exc, lane.size)
                finally:
                    lane.close()
                    lanes[i] = None
                self._results.put((lane.job, result))

    def __iter__(self) -> Iterator[tuple[Job[_T], FileDigests]]:
        while self._left:
            if self._stop.is_set() and self._results.empty():
                raise RuntimeError("the run was closed before every file was hashed")
            item = self._results.get()
            if isinstance(item, _Failed):
                self.close()
                raise item.error
            self._left -= 1
            yield item

    def close(self) -> None:
        """Stop taking jobs, wait for the threads; safe to call more than once."""
        self._stop.set()
        for thread in self._threads:
            if thread.ident is not None:  # started
                thread.join()
        self._writers.shutdown()

    def __enter__(self) -> LaneRun[_T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _deal(ordered: Sequence[Job[_T]], workers: int) -> list[deque[Job[_T]]]:
    """Jobs (largest first) dealt to ``workers`` so their bytes are as even as can be (LPT);
    each worker's list stays largest first."""
    piles: list[deque[Job[_T]]] = [deque() for _ in range(workers)]
    loads = [(0, n) for n in range(workers)]
    for job in ordered:
        load, n = heapq.heappop(loads)
        piles[n].append(job)
        heapq.heappush(loads, (load + job.size, n))
    return piles


def _solo_jobs(ordered: Sequence[Job[_T]], lanes: int) -> set[int]:
    """Jobs (by id) too large to share the lanes, ``ordered`` largest first.

    While the largest file is hashed, the other lanes share the smaller files; when the file
    would spend more than half its time alone in its worker (three lanes idle: a lone lane
    hashes at about half hashlib's speed), it is hashed with hashlib instead, which splits a
    large file's algorithms over two threads.
    """
    left = sum(job.size for job in ordered)
    solo: set[int] = set()
    for job in ordered:
        left -= job.size
        if job.size * (lanes - 1) <= 2 * left:
            break
        solo.add(id(job))
    return solo


def _thread_cap(threads: int, lanes: int) -> int:
    """At most as many workers as a quarter of the open-file limit allows.

    Each worker holds a source and a copy target open per lane; many cores with the usual
    limit of 1024 open files would otherwise run out (hashlib's pool holds two per thread).
    """
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):  # pragma: no cover - no limit to read
        return threads
    if soft == resource.RLIM_INFINITY:
        return threads
    return max(1, min(threads, soft // 4 // (2 * lanes)))


def _alone(job: Job[_T], algorithms: Sequence[str], writers: Executor | None) -> FileDigests:
    if job.copy_to is None:
        return hash_file(job.source, algorithms, consumer=job.consumer)
    try:
        return copy_and_hash(job.source, job.copy_to, algorithms, fsync=job.fsync, writers=writers)
    except OSError as exc:
        return _error(job, exc)


def _error(job: Job[_T], exc: OSError, size: int = 0) -> FileDigests:
    """The result of a job that failed after reading ``size`` bytes (not all of them copied)."""
    what = "cannot copy" if job.copy_to is not None else "cannot read"
    return FileDigests(job.source, size, {}, f"{what}: {exc.strerror or exc}")
