"""The crawl's scheduler: queue entries handed to a pool of workers, politely.

The queue lives in the catalog; the scheduler keeps only a little per *host*: the next few
pending entries of the host (read from the catalog by an index range, a batch at a time), and
where the host stands — ready, at its limit of ``per_host`` entries in flight, or pacing until
its delay has passed.  Ready hosts wait in a heap ordered by the queue position of their next
entry, so entries start in queue order across hosts, and a host at its limit costs nothing
until one of its entries finishes: the cost of starting an entry does not grow with the queue
(a million pending URLs on one busy host cost what ten do).  Kinds of entry can be capped too:
a run with a browser starts no more pages at once than it has tabs.

New entries come from the entries that finish (their :attr:`Outcome.new_hosts` say which hosts
may have more work); before it ends, the scheduler asks the catalog once whether anything is
still pending, so a missed notice can only delay work, never drop it.
"""

from __future__ import annotations

import functools
import heapq
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from archiver.capture.hosts import Hosts
from archiver.capture.urls import host_key
from archiver.capture.workers import WorkerPool
from archiver.catalog import Catalog, QueueEntry

__all__ = ["Outcome", "Scheduler"]

# The scheduler asks for the host of every entry it starts and of every discovered one.
_host_key = functools.lru_cache(maxsize=4096)(host_key)
_BATCH = 64  # entries of one host read from the catalog at a time


@dataclass
class Outcome:
    """How one queue entry ended."""

    url: str
    kind: str
    ok: bool
    skipped: bool = False
    #: hosts of the entries this one added to the queue (they may have work now)
    new_hosts: frozenset[str] = frozenset()


Process = Callable[[QueueEntry], Outcome]
Finished = Callable[[QueueEntry, "Outcome | None", "BaseException | None"], None]


@dataclass
class _HostWork:
    """What the scheduler holds of one host's pending entries."""

    buffer: deque[tuple[int, QueueEntry]] = field(default_factory=deque)
    cursor: int = 0  # queue position of the last entry read into the buffer
    more: bool = True  # the catalog may hold pending entries past the cursor


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
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self.catalog = catalog
        self.crawl_id = crawl_id
        self.hosts = hosts
        self.workers = workers
        self.per_host = per_host
        self._process = process
        self._finished = finished
        self._stop = stop
        self._on_stop = on_stop
        self._kind_limits = dict(kind_limits or {})
        self._kind_inflight: dict[str, int] = {}
        self._work: dict[str, _HostWork] = {}
        self._ready: list[tuple[int, str]] = []  # (next entry's position, host)
        self._queued: set[str] = set()  # hosts in _ready or _pacing
        self._pacing: list[tuple[float, str]] = []  # (when it may start again, host)
        self._held: set[str] = set()  # hosts whose next entries are of a capped kind
        self._inflight: dict[str, QueueEntry] = {}
        self._last_pending = -1
        #: catalog reads of host batches so far (what scheduling costs, for tests/benchmarks)
        self.reads = 0

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        self._load()
        with WorkerPool(self._process, workers=self.workers) as pool:
            try:
                self._drive(pool)
            except BaseException:
                # Ctrl-C, SIGTERM or a crash: wake the workers sleeping in backoff and cut the
                # fetches under way (``on_stop``); the URLs they were on stay pending, for the
                # next run, and what was committed stays consistent.
                self._stop.set()
                if self._on_stop is not None:
                    self._on_stop()
                raise

    def _drive(self, pool: WorkerPool[QueueEntry, Outcome]) -> None:
        while not self._stop.is_set():
            self._start_what_may(pool)
            if not self._inflight:
                wake = self._pacing[0][0] if self._pacing else None
                if wake is None:
                    if not self._reconcile():
                        return
                    continue
                time.sleep(max(0.0, min(wake - time.monotonic(), 1.0)))
                continue
            timeout = None
            if self._pacing:
                timeout = max(0.0, self._pacing[0][0] - time.monotonic())
            done = pool.next_done(timeout)
            while done is not None:
                self._done(done.key, done.result, done.error)
                done = pool.done_nowait()

    def _load(self) -> int:
        """Queue every host with pending entries at its first one (one pass over the
        pending entries); how many entries are pending."""
        pending = 0
        self._work.clear()
        self._ready.clear()
        self._pacing.clear()
        self._queued.clear()
        self._held.clear()
        for host, first, count in self.catalog.pending_hosts(self.crawl_id):
            self._work[host] = _HostWork()
            heapq.heappush(self._ready, (first, host))
            self._queued.add(host)
            pending += count
        return pending

    def _reconcile(self) -> bool:
        """Nothing known to start and nothing in flight: whether the catalog still has work
        (then read afresh).  A notice of new work missed only delays it; entries that stay
        pending after being started (never, unless a bug) do not make the run go round."""
        pending = self._load()
        if pending and pending == self._last_pending:
            raise RuntimeError(f"{pending} queue entries stay pending after being processed")
        self._last_pending = pending
        return pending > 0

    def _done(self, key: str, outcome: Outcome | None, error: BaseException | None) -> None:
        entry = self._inflight.pop(key)
        host = _host_key(entry.url)
        with self.hosts.lock:
            self.hosts.get(host).inflight -= 1
        if entry.kind in self._kind_limits:
            self._kind_inflight[entry.kind] -= 1
            held, self._held = self._held, set()
            for other in held:  # a tab is free: hosts holding pages may go on
                self._wake(other)
        self._wake(host)
        if outcome is not None:
            for other in outcome.new_hosts:
                self._work.setdefault(other, _HostWork()).more = True
                self._wake(other)
        self._finished(entry, outcome, error)

    # -- choosing what starts ------------------------------------------------------------

    def _wake(self, host: str) -> None:
        """Put ``host`` among the ready hosts if it has (or may have) pending entries."""
        if host in self._queued or host in self._held:
            return
        work = self._work.setdefault(host, _HostWork())
        if not work.buffer and work.more:
            self._refill(host, work)
        if work.buffer:
            heapq.heappush(self._ready, (work.buffer[0][0], host))
            self._queued.add(host)

    def _refill(self, host: str, work: _HostWork) -> None:
        batch = self.catalog.pending_of_host(self.crawl_id, host, after=work.cursor, limit=_BATCH)
        self.reads += 1
        work.buffer.extend(batch)
        if batch:
            work.cursor = batch[-1][0]
        work.more = len(batch) == _BATCH

    def _start_what_may(self, pool: WorkerPool[QueueEntry, Outcome]) -> None:
        now = time.monotonic()
        while self._pacing and self._pacing[0][0] <= now:
            _when, host = heapq.heappop(self._pacing)
            self._queued.discard(host)
            self._wake(host)
        while self._ready and len(self._inflight) < self.workers:
            _position, host = heapq.heappop(self._ready)
            self._queued.discard(host)
            self._start_from(pool, host, now)

    def _start_from(self, pool: WorkerPool[QueueEntry, Outcome], host: str, now: float) -> None:
        """Start the next entry of ``host`` if it may start; otherwise park the host."""
        work = self._work.setdefault(host, _HostWork())
        if not work.buffer and work.more:
            self._refill(host, work)
        if not work.buffer:
            return  # nothing left: woken again by new work
        with self.hosts.lock:
            state = self.hosts.get(host)
            if state.inflight >= self.per_host:
                return  # parked: woken when one of its entries finishes
            if state.next_start > now:
                heapq.heappush(self._pacing, (state.next_start, host))
                self._queued.add(host)
                return
            picked = self._pick(work)
            if picked is None:
                self._held.add(host)  # only capped kinds: woken when one of them finishes
                return
            state.inflight += 1
            state.next_start = now + state.delay
        _position, entry = picked
        if entry.kind in self._kind_limits:
            self._kind_inflight[entry.kind] = self._kind_inflight.get(entry.kind, 0) + 1
        self._inflight[entry.url] = entry
        pool.submit(entry.url, entry)
        self._wake(host)

    def _pick(self, work: _HostWork) -> tuple[int, QueueEntry] | None:
        """The host's next entry whose kind may start (entries of a capped kind keep their
        place in the buffer)."""
        for index, (position, entry) in enumerate(work.buffer):
            limit = self._kind_limits.get(entry.kind)
            if limit is None or self._kind_inflight.get(entry.kind, 0) < limit:
                del work.buffer[index]
                return position, entry
            if index >= _BATCH:
                break
        return None
