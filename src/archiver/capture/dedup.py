"""Which stored response already holds a payload: the index behind revisit records.

A payload seen before (same digest) is written as a ``revisit`` that refers to the first
response holding it.  This run's responses are kept in memory (the most recent
``limit`` of them); earlier runs' are looked up in the catalog.  The crawl asks twice:

* :meth:`PayloadIndex.lookup`, from a worker thread before it takes the write lock, while it
  still builds and compresses the records;
* :meth:`PayloadIndex.recheck`, under the write lock, if the first answer was "none": another
  worker may have stored the same payload in between, and that response is always in memory
  (it is among the newest), so the recheck costs one dict lookup and no query.
"""

from __future__ import annotations

from collections import OrderedDict

from archiver.catalog import Catalog, StoredRecord

__all__ = ["PayloadIndex"]


class PayloadIndex:
    """Payload digest → first stored response, for this run (memory) and earlier ones (catalog).

    ``earlier`` says whether the catalog held responses before this run began; when it did
    not, and memory still holds every response of the run, no lookup touches the catalog.
    """

    def __init__(self, catalog: Catalog, *, earlier: bool, limit: int = 50_000) -> None:
        self._catalog = catalog
        self._earlier = earlier
        self._limit = limit
        # OrderedDict: evicting the oldest is O(1) (a plain dict rescans its deleted slots)
        self._recent: OrderedDict[str, StoredRecord] = OrderedDict()
        self._added = 0  # responses added so far: a lookup's "when"
        self._evicted = False

    def lookup(self, digest: str) -> tuple[StoredRecord | None, int]:
        """The stored response with ``digest`` (or None), and a token for :meth:`recheck`."""
        token = self._added
        found = self._recent.get(digest)
        if found is None and (self._earlier or self._evicted):
            found = self._catalog.find_payload(digest)
        return found, token

    def recheck(self, digest: str, token: int) -> StoredRecord | None:
        """Under the write lock: the response with ``digest`` stored since ``lookup``."""
        if self._added - token >= self._limit:  # some of those may have left memory already
            return self._catalog.find_payload(digest)
        return self._recent.get(digest)

    def add(self, record: StoredRecord) -> None:
        """Remember a committed response (call under the write lock, after the commit)."""
        digest = record.payload_digest
        if record.type != "response" or record.method or not digest or digest in self._recent:
            return  # (a POST's response is never what a GET revisits)
        self._recent[digest] = record
        self._added += 1
        if len(self._recent) > self._limit:
            self._evicted = True  # first: a lookup between the two must not trust memory alone
            self._recent.popitem(last=False)
