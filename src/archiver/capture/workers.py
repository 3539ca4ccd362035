"""A fixed pool of worker threads that report each finished job on one completion queue.

The crawl's scheduler starts a job only when a worker is free, then waits for the next
completion.  ``concurrent.futures`` does the same with a Future per job and ``wait()``, which
installs a waiter on every pending Future each time it is called: with eight URLs in flight that
bookkeeping, all under the GIL, cost more than a tenth of a capture's time on a fast site.  Here a
job is a plain tuple and waiting is one ``SimpleQueue.get``.

    >>> with WorkerPool(lambda n: n * 2, workers=2) as pool:
    ...     pool.submit("job", 21)
    ...     pool.next_done(timeout=5)
    Done(key='job', result=42, error=None)
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Done", "WorkerPool"]

_A = TypeVar("_A")
_R = TypeVar("_R")


@dataclass(frozen=True)
class Done(Generic[_R]):
    """A finished job: its key and either its result or the exception it raised."""

    key: str
    result: _R | None
    error: BaseException | None


class WorkerPool(Generic[_A, _R]):
    """``workers`` threads running ``func`` on submitted arguments, results in completion order.

    Jobs are meant to be submitted only while a worker is free (the caller counts them), so a
    job never waits long in the queue; :meth:`close` lets the running jobs finish, drops the
    ones not started, and joins the threads.
    """

    def __init__(self, func: Callable[[_A], _R], *, workers: int, name: str = "archiver") -> None:
        self._func = func
        self._todo: queue.SimpleQueue[tuple[str, _A] | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[Done[_R]] = queue.SimpleQueue()
        self._closing = False
        self._threads: list[threading.Thread] = []
        try:
            for i in range(workers):
                thread = threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True)
                thread.start()
                self._threads.append(thread)
        except BaseException:
            self.close()  # the threads already started would otherwise wait forever
            raise

    def __enter__(self) -> WorkerPool[_A, _R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            job = self._todo.get()
            if job is None:
                return
            key, arg = job
            if self._closing:
                self._done.put(Done(key, None, _Cancelled(key)))
                continue
            try:
                self._done.put(Done(key, self._func(arg), None))
            except BaseException as exc:  # reported to the scheduler, which decides
                self._done.put(Done(key, None, exc))

    def submit(self, key: str, arg: _A) -> None:
        """Queue ``func(arg)``; its completion is reported under ``key``."""
        self._todo.put((key, arg))

    def next_done(self, timeout: float | None = None) -> Done[_R] | None:
        """The next finished job, waiting up to ``timeout`` seconds (``None`` if none finished)."""
        try:
            return self._done.get(timeout=timeout)
        except queue.Empty:
            return None

    def done_nowait(self) -> Done[_R] | None:
        """A finished job if one is waiting, without blocking."""
        try:
            return self._done.get_nowait()
        except queue.Empty:
            return None

    def close(self) -> None:
        """Let running jobs finish, skip queued ones, and join every thread.

        The threads are daemons: a second Ctrl-C that cuts this join short ends the process
        without waiting for a download to finish; what it leaves in an ``.open`` WARC is cut
        back to the last committed record by the next run's recovery.
        """
        self._closing = True
        for _ in self._threads:
            self._todo.put(None)
        for thread in self._threads:
            thread.join()


class _Cancelled(Exception):
    """A job dropped by :meth:`WorkerPool.close` before it started."""

    def __init__(self, key: str) -> None:
        super().__init__(f"{key}: not started (the pool was closing)")
