"""Storing exchanges: WARC records written and committed to the catalog in one step.

Every producer of exchanges (the crawl's workers, the browser's proxy) stores through one
:class:`Store`, so de-duplication, the catalog and resumability hold for all of them.  A
group of records (request, response or revisit, metadata, and whatever evidence the producer
adds) is compressed outside the write lock, then written and committed under it: a process
killed at any moment leaves the catalog and the WARC files agreeing.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from archiver.capture.dedup import PayloadIndex
from archiver.capture.discover import Found
from archiver.capture.http import Exchange
from archiver.capture.records import exchange_records, fields_record, metadata_record, stored
from archiver.catalog import Catalog, QueueEntry, StoredRecord
from archiver.errors import CaptureError
from archiver.model import RecordLocation
from archiver.warc.writer import RecordSpec, WarcWriter, format_digest

__all__ = ["PageRow", "Store", "links_metadata"]

#: Builds the records that follow a request/response pair in its group, given the response.
Extra = Callable[[RecordSpec], list[RecordSpec]]


def links_metadata(ex: Exchange, found: Found, via: str | None, kind: str) -> Extra:
    """The metadata record of a page or frame: its kind (and a page's title), its links, the
    requisites it names, timings."""

    def extra(response: RecordSpec) -> list[RecordSpec]:
        return [
            metadata_record(
                ex,
                response,
                outlinks=found.outlinks,
                requisites=found.requisites,
                via=via,
                kind=kind,
                title=found.title if kind == "page" else None,
            )
        ]

    return extra


@dataclass(frozen=True)
class PageRow:
    """What pages.jsonl lists for a page: its title (the rest comes from the exchange)."""

    title: str | None


class Store:
    """Writes exchanges (and the records that go with them) and commits them to the catalog."""

    def __init__(
        self,
        catalog: Catalog,
        writer: WarcWriter,
        payloads: PayloadIndex,
        *,
        crawl_id: int,
        algorithm: str,
        dedup: bool,
    ) -> None:
        self.catalog = catalog
        self.writer = writer
        self.payloads = payloads
        self.crawl_id = crawl_id
        self.algorithm = algorithm
        self.dedup = dedup
        self.lock = threading.Lock()
        self._tls_hosts: set[str] = set()
        self._closed = False

    def close(self) -> None:
        """Accept nothing more (a browser request still under way when the run ends)."""
        with self.lock:
            self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise CaptureError("the capture run has ended; not stored", url="")

    def _digest(self, ex: Exchange) -> str | None:
        """The payload digest to de-duplicate on, or None if this exchange is never a revisit."""
        if not self.dedup or ex.payload_length <= 0 or ex.truncated or ex.method != "GET":
            return None
        return format_digest(self.algorithm, ex.payload_digest.digest())

    def _tls_record(self, ex: Exchange, response: RecordSpec) -> list[RecordSpec]:
        """The first time a host's TLS session is seen this run: its certificate chain."""
        if ex.tls is None:
            return []
        parts = urlsplit(ex.url)
        host = f"{parts.hostname}:{parts.port or 443}"
        if host in self._tls_hosts:
            return []
        self._tls_hosts.add(host)
        fields = [
            ("host", host),
            ("tlsVersion", ex.tls.version),
            ("tlsCipher", ex.tls.cipher),
        ]
        fields += [("certificate", base64.b64encode(der).decode("ascii")) for der in ex.tls.chain]
        return [fields_record(ex, response, fields)]

    def _rows(
        self,
        ex: Exchange,
        specs: Sequence[RecordSpec],
        locs: list[RecordLocation],
        response: RecordSpec,
        original: StoredRecord | None,
    ) -> tuple[list[StoredRecord], tuple[str, int]]:
        """Catalog rows of records just written at ``locs``, and the file offset they reach."""
        refers = original.record_id if original else None
        rows = [
            stored(
                s, loc, ex, algorithm=self.algorithm, refers_to=refers if s is response else None
            )
            for s, loc in zip(specs, locs, strict=True)
        ]
        last = locs[-1]
        return rows, (last.filename, last.offset + last.length)

    def write_plain(self, ex: Exchange) -> None:
        """Write a request/response pair that finishes no queue entry (robots.txt, a POST)."""
        digest = self._digest(ex)
        with self.lock:
            self._check_open()
            original = self.payloads.lookup(digest)[0] if digest else None
            request, response = exchange_records(ex, algorithm=self.algorithm, original=original)
            specs = [request, response, *self._tls_record(ex, response)]

            def commit(locs: list[RecordLocation]) -> None:
                rows, end = self._rows(ex, specs, locs, response, original)
                self.catalog.add_records(self.crawl_id, rows, end)
                self.payloads.add(rows[1])

            self.writer.write_group(specs, commit=commit)

    def commit(
        self,
        entry: QueueEntry,
        ex: Exchange,
        *,
        state: str,
        reason: str | None,
        discovered: Sequence[QueueEntry] = (),
        page: PageRow | None = None,
        extra: Extra | None = None,
        queued: bool = True,
    ) -> list[StoredRecord]:
        """Write ``ex`` (plus ``extra(response)``) and finish ``entry`` in the same commit.

        ``page`` lists the exchange as a page; ``queued=False`` adds ``entry`` to the queue
        in the same transaction (a URL the browser asked for, which no queue entry named).
        """
        rows: list[StoredRecord] = []

        def build(original: StoredRecord | None) -> tuple[list[RecordSpec], RecordSpec]:
            request, response = exchange_records(ex, algorithm=self.algorithm, original=original)
            specs: list[RecordSpec] = [request, response]
            if extra is not None:
                specs += extra(response)
            return specs, response

        # Build and compress the records before taking the write lock, so that workers
        # compress in parallel and the lock covers only the copy and the catalog commit.
        digest = self._digest(ex)
        original, token = self.payloads.lookup(digest) if digest else (None, 0)
        specs, response = build(original)
        prepared = self.writer.prepare(specs)
        with self.lock:
            self._check_open()
            if digest and original is None and (now := self.payloads.recheck(digest, token)):
                # The same payload was stored meanwhile by another worker: a revisit after all.
                original = now
                specs, response = build(original)
                prepared = None
            tls = self._tls_record(ex, response)
            if tls:
                specs += tls
                prepared = None

            def commit(locs: list[RecordLocation]) -> None:
                written, end = self._rows(ex, specs, locs, response, original)
                rows.extend(written)
                page_row = None
                if page is not None:
                    seed = entry.origin if entry.origin != ex.url else None
                    page_row = (
                        ex.url,
                        seed,
                        rows[1].date,
                        page.title,
                        ex.status,
                        response.record_id,
                    )
                failure_url, why = _reported(entry, reason) if state == "failed" else (None, reason)
                self.catalog.commit_result(
                    self.crawl_id,
                    url=entry.url,
                    records=rows,
                    state=state,
                    reason=why,
                    status=ex.status,
                    discovered=discovered,
                    page=page_row,
                    file_end=end,
                    add=None if queued else entry,
                    failure_url=failure_url,
                )
                self.payloads.add(rows[1])

            self.writer.write_group(specs, commit=commit, prepared=prepared)
        return rows

    def finish(
        self,
        entry: QueueEntry,
        *,
        state: str,
        reason: str | None = None,
        status: int | None = None,
        queued: bool = True,
    ) -> None:
        """Finish ``entry`` without records (skipped, or failed before any response)."""
        with self.lock:
            self._check_open()
        failure_url, why = _reported(entry, reason) if state == "failed" else (None, reason)
        self.catalog.commit_result(
            self.crawl_id,
            url=entry.url,
            state=state,
            reason=why,
            status=status,
            add=None if queued else entry,
            failure_url=failure_url,
        )


def _reported(entry: QueueEntry, reason: str | None) -> tuple[str | None, str | None]:
    """The URL a failure is reported against and its reason: a hop of a redirect chain fails
    its seed, the reason naming the hop (the seed is what the user asked for)."""
    if entry.hops and entry.origin and entry.origin != entry.url:
        return entry.origin, f"{reason or 'failed'} (at {entry.url}, redirect {entry.hops})"
    return None, reason
