"""Streaming digests: many algorithms in one read pass, WARC digest strings, parallel files.

One read of a file feeds every hasher (and, optionally, a copy target and any other consumer),
so the cost of adding an algorithm is its CPU time only, never another read::

    >>> hasher = MultiHasher(("sha512", "sha256"))
    >>> hasher.update(b"abc")
    >>> hasher.hexdigests()["sha256"][:16]
    'ba7816bf8f01cfea'

Files are hashed in parallel by :func:`hash_files`: the work list is sorted largest first and
handed to a pool, so each worker takes the next-largest file as soon as it is free (LPT
scheduling).  Threads are the default because hashlib releases the GIL while it hashes a buffer
larger than 2 KiB; the benchmark in ``benchmarks/fixity`` measures threads against processes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Literal, TypeVar

from archiver.directio import NewFile

__all__ = [
    "BLOCK_SIZE",
    "SPLIT_SIZE",
    "FileDigests",
    "LargestFirst",
    "MultiHasher",
    "copy_and_hash",
    "decode_digest_value",
    "default_workers",
    "hash_file",
    "hash_files",
    "normalize_algorithm",
    "parse_warc_digest",
    "run_largest_first",
]

log = logging.getLogger(__name__)

#: Read size for every streaming loop.  256 KiB keeps per-call overhead negligible and the block
#: stays in the CPU cache while every hasher reads it (measured faster than 1 and 4 MiB here).
BLOCK_SIZE = 256 * 1024

PoolKind = Literal["thread", "process"]
_T = TypeVar("_T")
_R = TypeVar("_R")

# WARC and BagIt spell some algorithms differently from hashlib ("sha-256", "SHA1").
_ALIASES = {"sha-1": "sha1", "sha-224": "sha224", "sha-256": "sha256", "sha-384": "sha384"}
_ALIASES.update({"sha-512": "sha512", "md-5": "md5"})


def normalize_algorithm(name: str) -> str:
    """The hashlib name for a digest algorithm as written in a manifest or WARC header.

    Raises :class:`ValueError` if hashlib does not know the algorithm.

    >>> normalize_algorithm("SHA-256")
    'sha256'
    """
    lowered = name.strip().lower()
    lowered = _ALIASES.get(lowered, lowered)
    if lowered not in hashlib.algorithms_available:
        raise ValueError(f"unknown digest algorithm {name!r}")
    return lowered


def _new(algorithm: str) -> hashlib._Hash:
    return hashlib.new(algorithm)


# slowest first: the algorithm a companion thread takes off the reading thread
_COST_ORDER = ("sha512", "sha384", "md5", "sha1", "sha256", "sha224")

#: Files at least this large hash their costliest algorithm in a companion thread, so one big
#: file (a 1 GiB WARC) keeps two cores busy instead of one.
SPLIT_SIZE = 32 * 1024 * 1024


class _Companion:
    """One hasher running in its own thread over the blocks handed to it (hashlib drops the GIL)."""

    def __init__(self, hasher: hashlib._Hash) -> None:
        self.hasher = hasher
        self.blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self.thread = threading.Thread(target=self._run, name="archiver-hash-companion")
        self.thread.daemon = True
        self.thread.start()

    def _run(self) -> None:
        while True:
            block = self.blocks.get()
            if block is None:
                return
            self.hasher.update(block)

    def close(self) -> None:
        if self.thread.is_alive():
            self.blocks.put(None)
            self.thread.join()


class MultiHasher:
    """Several hashlib hashers fed by one stream of bytes.

    With ``split=True`` and two or more algorithms, the costliest runs in a companion thread
    (call :meth:`close`, or read the digests, before dropping the hasher).  Blocks given to a
    split hasher must be immutable ``bytes``.
    """

    __slots__ = ("_companion", "_hashers", "size")

    def __init__(self, algorithms: Iterable[str], *, split: bool = False) -> None:
        self._hashers = {normalize_algorithm(a): _new(normalize_algorithm(a)) for a in algorithms}
        self.size = 0
        self._companion: tuple[str, _Companion] | None = None
        if split and len(self._hashers) > 1:
            name = min(self._hashers, key=lambda a: _COST_ORDER.index(a) if a in _COST_ORDER else 0)
            self._companion = (name, _Companion(self._hashers[name]))

    @property
    def algorithms(self) -> tuple[str, ...]:
        return tuple(self._hashers)

    def update(self, data: bytes) -> None:
        """Feed ``data`` to every hasher."""
        if self._companion is None:
            for hasher in self._hashers.values():
                hasher.update(data)
        else:
            away, companion = self._companion
            companion.blocks.put(data)
            for name, hasher in self._hashers.items():
                if name != away:
                    hasher.update(data)
        self.size += len(data)

    def close(self) -> None:
        """Wait for the companion thread (if any); safe to call more than once."""
        if self._companion is not None:
            self._companion[1].close()

    def hexdigests(self) -> dict[str, str]:
        """Lower-case hexadecimal digests, keyed by algorithm."""
        self.close()
        return {name: h.hexdigest() for name, h in self._hashers.items()}

    def digests(self) -> dict[str, bytes]:
        """Raw digests, keyed by algorithm."""
        self.close()
        return {name: h.digest() for name, h in self._hashers.items()}


def _split(path: Path | int, algorithms: Sequence[str]) -> bool:
    if len(algorithms) < 2:
        return False
    try:
        size = path if isinstance(path, int) else path.stat().st_size
    except OSError:
        return False
    return size >= SPLIT_SIZE


@dataclass(frozen=True)
class FileDigests:
    """Digests of one file (``hexdigests`` by algorithm) or the error that stopped the read."""

    path: Path
    size: int
    hexdigests: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def hash_file(
    path: str | os.PathLike[str],
    algorithms: Iterable[str],
    *,
    consumer: Callable[[bytes], None] | None = None,
    block_size: int = BLOCK_SIZE,
) -> FileDigests:
    """Hash ``path`` for every algorithm in one read; ``consumer`` (if any) sees every block.

    Read errors are returned in :attr:`FileDigests.error`, never raised, so a batch goes on.
    """
    target = Path(path)
    algos = list(algorithms)
    hasher = MultiHasher(algos, split=_split(target, algos))
    try:
        with open(target, "rb", buffering=0) as fh:
            while True:
                block = fh.read(block_size)
                if not block:
                    break
                hasher.update(block)
                if consumer is not None:
                    consumer(block)
    except OSError as exc:
        return FileDigests(target, hasher.size, {}, f"cannot read: {exc.strerror or exc}")
    finally:
        hasher.close()
    return FileDigests(target, hasher.size, hasher.hexdigests())


def copy_and_hash(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    algorithms: Iterable[str],
    *,
    fsync: bool = False,
    block_size: int = BLOCK_SIZE,
    writers: Executor | None = None,
) -> FileDigests:
    """Copy ``source`` to a new file ``target`` and hash it in the same pass (one read).

    The copy keeps the source's modification time.  A large file is written around the page
    cache (:mod:`archiver.directio`); ``writers``, a thread pool that is not the one running
    this call (it would wait on itself), writes its blocks while the next one is read.
    Raises :class:`OSError` on failure: a half-written copy is worse than none, so the caller
    must abandon the bag.
    """
    src, dst = Path(source), Path(target)
    algos = list(algorithms)
    hasher = MultiHasher(algos, split=_split(src, algos))
    try:
        size = _copy_blocks(src, dst, hasher, fsync=fsync, block_size=block_size, writers=writers)
    finally:
        hasher.close()
    return FileDigests(dst, size, hasher.hexdigests())


def _copy_blocks(
    src: Path,
    dst: Path,
    hasher: MultiHasher,
    *,
    fsync: bool,
    block_size: int,
    writers: Executor | None,
) -> int:
    with open(src, "rb", buffering=0) as fin:
        stat = os.fstat(fin.fileno())
        out = NewFile(dst, size=stat.st_size, pool=writers)
        try:
            while True:
                block = fin.read(block_size)
                if not block:
                    break
                hasher.update(block)
                out.write(block)
            out.finish(fsync=fsync)
        finally:
            out.close()
        stat = os.fstat(fin.fileno())
    os.utime(dst, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return hasher.size


def default_workers() -> int:
    """Worker count for hashing: one per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _make_pool(kind: PoolKind, workers: int) -> Executor:
    if kind == "process":
        return ProcessPoolExecutor(max_workers=workers)
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="archiver-hash")


def run_largest_first(
    func: Callable[[_T], _R],
    items: Sequence[tuple[int, _T]],
    *,
    workers: int | None = None,
    pool: PoolKind = "thread",
) -> Generator[_R, None, None]:
    """Run ``func`` on each item of ``(size, item)`` pairs, largest size first, in parallel.

    Results come back largest item first.  With one worker (or one item) the work runs in the
    calling thread, which keeps small bags free of pool start-up costs.  The pool starts on the
    first ``next()``; :class:`LargestFirst` starts it at once.
    """
    with LargestFirst(func, items, workers=workers, pool=pool) as work:
        yield from work


class LargestFirst(Generic[_T, _R]):
    """``func`` over ``(size, item)`` pairs, submitted to a pool at once, largest first.

    The work starts when the object is made, so the caller can do something else meanwhile
    (verify parses the manifests while the payload is hashed).
    Iterate for the results in submission order; :meth:`close` (or ``with``) stops the pool.
    With one worker (or one item) nothing starts early: the work runs as it is iterated.
    """

    def __init__(
        self,
        func: Callable[[_T], _R],
        items: Sequence[tuple[int, _T]],
        *,
        workers: int | None = None,
        pool: PoolKind = "thread",
    ) -> None:
        self._func = func
        self._ordered = [item for _, item in sorted(items, key=lambda pair: -pair[0])]
        self._executor: Executor | None = None
        self._futures: list[Future[_R]] = []
        count = workers or default_workers()
        if count > 1 and len(self._ordered) > 1:
            self._executor = _make_pool(pool, count)
            try:
                self._futures = [self._executor.submit(func, item) for item in self._ordered]
            except BaseException:
                self._executor.shutdown(wait=True, cancel_futures=True)
                raise

    def __iter__(self) -> Iterator[_R]:
        if self._executor is None:
            for item in self._ordered:
                yield self._func(item)
        else:
            for future in self._futures:
                yield future.result()

    def close(self) -> None:
        """Drop the work not started and wait for the rest; safe to call more than once."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> LargestFirst[_T, _R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _hash_one(job: tuple[Path, tuple[str, ...]]) -> FileDigests:
    return hash_file(job[0], job[1])


def hash_files(
    paths: Iterable[str | os.PathLike[str]],
    algorithms: Sequence[str],
    *,
    workers: int | None = None,
    pool: PoolKind = "thread",
) -> Iterator[FileDigests]:
    """Hash many files for every algorithm, in parallel, large and small files balanced.

    Yields one :class:`FileDigests` per file (in no promised order); unreadable files carry
    their error instead of digests.
    """
    algos = tuple(normalize_algorithm(a) for a in algorithms)
    sized: list[tuple[int, tuple[Path, tuple[str, ...]]]] = []
    for raw in paths:
        p = Path(raw)
        try:
            size = p.stat().st_size
        except OSError:
            size = 0
        sized.append((size, (p, algos)))
    yield from run_largest_first(_hash_one, sized, workers=workers, pool=pool)


# -- digest strings -----------------------------------------------------------------------


def decode_digest_value(value: str, algorithm: str) -> bytes:
    """Decode a digest written in base16, base32 or base64 into raw bytes.

    The encoding is told apart by length (a digest's size is fixed by its algorithm); base32
    must be upper case, as RFC 4648 writes it and warcio compares it.  Raises
    :class:`ValueError` if the value fits no encoding.

    >>> decode_digest_value("3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", "sha1").hex()[:8]
    'da39a3ee'
    """
    size = _new(normalize_algorithm(algorithm)).digest_size
    text = value.strip()
    if len(text) == size * 2:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    padded32 = text + "=" * (-len(text) % 8)  # RFC 4648 base32 is upper case (warcio too)
    try:
        raw = base64.b32decode(padded32)
        if len(raw) == size:
            return raw
    except (binascii.Error, ValueError):
        pass
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decoder(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            continue
        if len(raw) == size:
            return raw
    raise ValueError(f"digest value {value!r} is not base16, base32 or base64 for {algorithm}")


def parse_warc_digest(text: str) -> tuple[str, bytes]:
    """Split a WARC digest header (``sha256:<hex>``, ``sha1:<BASE32>``) into algorithm and bytes.

    Raises :class:`ValueError` for an unknown algorithm or an undecodable value.

    >>> parse_warc_digest("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")[0]
    'sha1'
    """
    label, sep, value = text.strip().partition(":")
    if not sep or not value:
        raise ValueError(f"digest {text!r} is not of the form algorithm:value")
    algorithm = normalize_algorithm(label)
    return algorithm, decode_digest_value(value, algorithm)
