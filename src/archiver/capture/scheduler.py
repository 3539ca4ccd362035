"""The crawl's scheduler: queue entries handed to a pool of workers, politely.

The main thread reads pending entries from the catalog's queue and starts each one on a free
worker when its host allows: at most ``per_host`` entries in flight per host, and the host's
delay between starts.  Hosts at their limit or pacing are skipped, so a slow host never holds
back the others.  Kinds of entry can be capped too: a run with a browser starts no more pages
at once than it has tabs.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from archiver.capture.hosts import Hosts
from archiver.capture.urls import host_key
from archiver.capture.workers import WorkerPool
from archiver.catalog import Catalog, QueueEntry

__all__ = ["Outcome", "Scheduler"]

# The scheduler asks for the host of the same queue-head URLs after every finished URL.
_host_key = functools.lru_cache(maxsize=4096)(host_key)


@dataclass
class Outcome:
    """How one queue entry ended."""

    url: str
    kind: str
    ok: bool
    skipped: bool = False


Process = Callable[[QueueEntry], Outcome]
Finished = Callable[[QueueEntry, "Outcome | None", "BaseException | None"], None]


class Scheduler:
    """Runs ``process`` on the crawl's pending entries until the queue is empty."""

    def __init__(
        self,
        catalog: Catalog,
        crawl_id: int,
        hosts: Hosts,
        *,
        workers: int,
        per_host: int,
        process: Process,
        finished: Finished,
        stop: threading.Event,
        kind_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.catalog = catalog
        self.crawl_id = crawl_id
        self.hosts = hosts
        self.workers = workers
        self.per_host = per_host
        self._process = process
        self._finished = finished
        self._stop = stop
        self._kind_limits = dict(kind_limits or {})
        self._kind_inflight: dict[str, int] = {}
        self._ahead: list[QueueEntry] = []  # pending entries read ahead, not started yet
        self._wake: float | None = None

    def run(self) -> None:
        inflight: dict[str, QueueEntry] = {}
        with WorkerPool(self._process, workers=self.workers) as pool:
            try:
                self._drive(pool, inflight)
            except BaseException:
                # Ctrl-C or a crash: wake workers sleeping in backoff; what is in flight
                # finishes (its records stay consistent) when the pool closes.
                self._stop.set()
                raise

    def _drive(
        self, pool: WorkerPool[QueueEntry, Outcome], inflight: dict[str, QueueEntry]
    ) -> None:
        while True:
            wake = self._fill(pool, inflight)
            if not inflight:
                if wake is None:
                    break
                time.sleep(max(0.0, min(wake - time.monotonic(), 1.0)))
                continue
            timeout = None if wake is None else max(0.0, wake - time.monotonic())
            done = pool.next_done(timeout)
            while done is not None:
                entry = inflight.pop(done.key)
                with self.hosts.lock:
                    self.hosts.get(_host_key(entry.url)).inflight -= 1
                if entry.kind in self._kind_limits:
                    self._kind_inflight[entry.kind] -= 1
                self._finished(entry, done.result, done.error)
                done = pool.done_nowait()

    def _fill(
        self, pool: WorkerPool[QueueEntry, Outcome], inflight: dict[str, QueueEntry]
    ) -> float | None:
        """Start what may start now; return when something blocked may start (or None).

        Runs after every finished URL, so it reads the queue ahead: entries read from the
        catalog and not started yet wait in ``self._ahead`` (in queue order), and the catalog
        is asked again only when they cannot fill the free slots.
        """
        room = self.workers - len(inflight)
        if room <= 0:
            return None
        now = time.monotonic()
        self._wake = None
        blocked: set[str] = set()  # hosts at their limit or pacing: only main thread frees them
        with self.hosts.lock:
            for key, host in self.hosts.items():
                if host.inflight >= self.per_host:
                    blocked.add(key)
                elif host.next_start > now:
                    blocked.add(key)
                    self._note_wake(host.next_start)
        waiting: list[QueueEntry] = []
        for entry in self._ahead:
            if room > 0 and self._start(pool, inflight, entry, now, blocked):
                room -= 1
            else:
                waiting.append(entry)
        self._ahead = waiting
        fetched: list[QueueEntry] = []
        if room > 0:
            known = {e.url for e in inflight.values()} | {e.url for e in self._ahead}
            fetched = self.catalog.pending(
                self.crawl_id, exclude=known, limit=max(200, room * 8), skip_hosts=blocked
            )
            for entry in fetched:
                if room > 0 and self._start(pool, inflight, entry, now, blocked):
                    room -= 1
                elif len(self._ahead) < 2000:
                    self._ahead.append(entry)
        wake = self._wake
        if not fetched and not self._ahead and wake is not None:
            # Nothing startable now: wait for a pacing host only if it has URLs waiting.
            busy = {e.url for e in inflight.values()}
            if not self.catalog.pending(self.crawl_id, exclude=busy, limit=1):
                wake = None
        if not inflight and (fetched or self._ahead) and wake is None:
            wake = now + 0.05
        return wake

    def _note_wake(self, when: float) -> None:
        self._wake = when if self._wake is None else min(self._wake, when)

    def _start(
        self,
        pool: WorkerPool[QueueEntry, Outcome],
        inflight: dict[str, QueueEntry],
        entry: QueueEntry,
        now: float,
        blocked: set[str],
    ) -> bool:
        """Submit ``entry`` if its host (and kind) allow it now; otherwise mark the host blocked."""
        limit = self._kind_limits.get(entry.kind)
        if limit is not None and self._kind_inflight.get(entry.kind, 0) >= limit:
            return False
        key = _host_key(entry.url)
        if key in blocked:
            return False
        with self.hosts.lock:
            host = self.hosts.get(key)
            if host.inflight >= self.per_host:
                blocked.add(key)
                return False
            if host.next_start > now:
                self._note_wake(host.next_start)
                blocked.add(key)
                return False
            host.inflight += 1
            host.next_start = now + host.delay
        if limit is not None:
            self._kind_inflight[entry.kind] = self._kind_inflight.get(entry.kind, 0) + 1
        inflight[entry.url] = entry
        pool.submit(entry.url, entry)
        return True
