"""The limits of a run against crawler traps and runaway input, and what they left out.

A page that names ten thousand images, a style sheet importing a new style sheet forever, a
sitemap index naming new indexes without end, a feed of millions of items: each is cut at a
limit of :class:`~archiver.model.CaptureOptions` (``max_depth``, ``max_sitemap_depth``,
``max_links_per_page``, ``max_urls``).  :class:`Limits` keeps, per limit, how much it left out
and one example, for the run's summary; a run that reached a limit is not a complete capture.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Iterable, Iterator, Sequence
from itertools import islice

from archiver.catalog import Catalog, QueueEntry, host_key
from archiver.model import CaptureOptions, LimitHit

__all__ = ["SEED_BATCH", "Limits"]

#: feed or sitemap entries queued per transaction
SEED_BATCH = 5000

log = logging.getLogger(__name__)


class Limits:
    """What the limits of one run left out (thread-safe)."""

    def __init__(self, opts: CaptureOptions, catalog: Catalog, crawl_id: int) -> None:
        self.opts = opts
        self.catalog = catalog
        self.crawl_id = crawl_id
        self._hits: dict[str, LimitHit] = {}
        self._lock = threading.Lock()

    def note(self, limit: str, value: int, dropped: int, example: str) -> None:
        """Record that ``limit`` (set to ``value``) left ``dropped`` things out."""
        if dropped <= 0:
            return
        with self._lock:
            old = self._hits.get(limit)
            if old is None:
                log.warning(
                    "limit %s=%d reached: %d left out (for example %s); later hits are counted",
                    limit,
                    value,
                    dropped,
                    example,
                )
                self._hits[limit] = LimitHit(limit, value, dropped, example)
            else:
                self._hits[limit] = LimitHit(limit, value, old.dropped + dropped, old.example)

    def note_all(self, dropped: Iterable[tuple[str, int, int, str]]) -> None:
        for limit, value, count, example in dropped:
            self.note(limit, value, count, example)

    def admit(self, entries: Sequence[QueueEntry]) -> list[QueueEntry]:
        """The entries that fit under ``max_urls`` (the rest is noted as left out)."""
        if not entries:
            return []
        room = self.opts.max_urls - self.catalog.queued(self.crawl_id)
        if room >= len(entries):
            return list(entries)
        kept = list(entries[: max(room, 0)])
        left = entries[len(kept) :]
        self.note("max_urls", self.opts.max_urls, len(left), left[0].url)
        return kept

    def enqueue_stream(
        self, stream: Iterator[QueueEntry], stop: threading.Event
    ) -> tuple[frozenset[str], bool]:
        """Queue a feed's or sitemap's entries as they are parsed, :data:`SEED_BATCH` per
        transaction, under ``max_urls``: memory holds one batch, not the document's million
        entries.  Returns the hosts that got entries, and whether ``stop`` cut the reading
        short (the document then stays pending and is read again by the next run; the entries
        already queued are kept once).  A :class:`SeedError` from the stream propagates."""
        hosts: set[str] = set()
        try:
            while batch := list(islice(stream, SEED_BATCH)):
                admitted = self.admit(batch)
                self.catalog.enqueue(self.crawl_id, admitted)
                hosts.update(host_key(e.url) for e in admitted)
                if stop.is_set():
                    return frozenset(hosts), True
        finally:
            if isinstance(stream, Generator):
                stream.close()  # its ``finally`` notes what a limit left out
        return frozenset(hosts), False

    def full(self, url: str) -> bool:
        """Whether the crawl's queue is full (noting ``url`` as left out if it is)."""
        if self.catalog.queued(self.crawl_id) < self.opts.max_urls:
            return False
        self.note("max_urls", self.opts.max_urls, 1, url)
        return True

    def hits(self) -> tuple[LimitHit, ...]:
        with self._lock:
            return tuple(self._hits.values())
