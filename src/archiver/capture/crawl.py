"""The crawl loop: a queue in catalog.sqlite, a pool of workers, politeness per host.

One run (:func:`capture`) takes the collection's write lock, repairs WARC files a killed run
left open, then resumes the last crawl if it never finished or starts a new one.  The main
thread hands queue entries to workers while respecting per-host limits; each worker fetches
(with retries), writes its records and commits them to the catalog in one step, so that a
process killed at any moment loses at most the URLs it was fetching, which the next run fetches.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.capture.dedup import PayloadIndex
from archiver.capture.discover import Found, discover, is_html, redirect_problem
from archiver.capture.fetcher import REDIRECTS, Fetcher
from archiver.capture.hosts import Hosts
from archiver.capture.http import Exchange, HttpClient
from archiver.capture.limits import Limits
from archiver.capture.recovery import recover_open_files
from archiver.capture.scheduler import Outcome, Scheduler
from archiver.capture.store import PageRow, Store, links_metadata
from archiver.capture.urls import host_key, normalize_url, resolve_location
from archiver.catalog import Catalog, QueueEntry
from archiver.collection import Collection
from archiver.errors import (
    CaptureError,
    FetchError,
    SeedError,
    StorageError,
    UsageError,
    storage_error,
)
from archiver.indexes import write_cdxj, write_pages
from archiver.model import BrowserOptions, CaptureOptions, CaptureSummary, Failure, Seed
from archiver.reindex import open_catalog
from archiver.warc.writer import WarcWriter

if TYPE_CHECKING:
    from archiver.capture.browser import BrowserCapture

__all__ = ["CaptureProgress", "capture"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureProgress:
    """A snapshot sent to the ``progress`` callback after each URL finishes."""

    done: int
    pending: int
    failed: int
    bytes: int
    url: str


def capture(
    seeds: Iterable[str | Seed],
    collection: Collection | str | os.PathLike[str],
    *,
    options: CaptureOptions | None = None,
    progress: Callable[[CaptureProgress], None] | None = None,
) -> CaptureSummary:
    """Capture ``seeds`` (page URLs, or :class:`Seed` feeds and sitemaps) into ``collection``.

    ``collection`` is a :class:`Collection` or a path (created if it does not exist).
    Returns a :class:`CaptureSummary`; URLs that could not be captured are listed in its
    ``failures`` (the run goes on without them).  Raises :class:`UsageError` for bad seeds
    or options and :class:`CollectionLockedError` if another capture is writing the collection.

    >>> summary = capture(["http://127.0.0.1:8000/"], "news")      # doctest: +SKIP
    >>> summary.pages, summary.failures                             # doctest: +SKIP
    (1, ())
    """
    opts = options or CaptureOptions()
    _check_options(opts)
    seed_list = [s if isinstance(s, Seed) else Seed(str(s)) for s in seeds]
    entries = []
    for seed in seed_list:
        try:
            url = normalize_url(seed.url)
        except CaptureError as exc:
            raise UsageError(f"bad seed: {exc}") from exc
        entries.append(QueueEntry(url=url, kind=seed.kind, origin=url))
    if opts.browser is not None:
        from archiver.capture.browser.chromium import find_chromium

        find_chromium(opts.browser.executable)  # no Chromium: say so before anything starts
    target = Path(collection.path if isinstance(collection, Collection) else collection)
    try:
        col = collection if isinstance(collection, Collection) else Collection.ensure(collection)
        with col.write_lock():
            return _Crawl(col, opts, progress).run(entries)
    except (OSError, sqlite3.DatabaseError) as exc:
        storage = storage_error(exc, target)
        if storage is None:
            raise
        raise storage from exc


def _check_options(opts: CaptureOptions) -> None:
    problems = []
    if opts.workers < 1:
        problems.append("workers must be at least 1")
    if opts.per_host < 1:
        problems.append("per_host must be at least 1")
    if opts.host_delay < 0 or opts.backoff < 0:
        problems.append("delays must not be negative")
    if opts.retries < 0 or opts.max_redirects < 0:
        problems.append("retries and max_redirects must not be negative")
    if min(opts.max_depth, opts.max_sitemap_depth, opts.max_links_per_page, opts.max_urls) < 1:
        problems.append("max_depth, max_sitemap_depth, max_links_per_page, max_urls: at least 1")
    if opts.max_response_size < 1 or opts.warc_max_size < 1024:
        problems.append("max_response_size must be positive and warc_max_size at least 1 KiB")
    if (
        min(opts.connect_timeout, opts.read_timeout, opts.max_response_time, opts.header_timeout)
        <= 0
    ):
        problems.append("timeouts must be positive")
    if opts.browser is not None:
        b = opts.browser
        if b.tabs < 1 or b.restart_after < 1:
            problems.append("browser tabs and restart_after must be at least 1")
        if b.page_timeout < 5 or b.idle_timeout < 0:
            problems.append("the browser's page_timeout must be at least 5 s, idle_timeout >= 0")
        if not (100 <= b.viewport_width <= 8192 and 100 <= b.viewport_height <= 8192):
            problems.append("the browser viewport must be 100 to 8192 pixels each way")
        if b.post not in ("record", "skip"):
            problems.append("browser post must be 'record' or 'skip'")
    agent = opts.full_user_agent
    if not agent.isascii() or any(ord(c) < 32 or ord(c) == 127 for c in agent):
        problems.append(f"user agent and contact must be printable ASCII (HTTP headers): {agent!r}")
    if problems:
        raise UsageError("; ".join(problems))


class _Crawl:
    def __init__(
        self,
        col: Collection,
        opts: CaptureOptions,
        progress: Callable[[CaptureProgress], None] | None,
    ) -> None:
        self.col = col
        self.opts = opts
        self.progress = progress
        self.algorithm = opts.digest_algorithm
        self.user_agent = opts.full_user_agent
        self.stop = threading.Event()
        self.hosts = Hosts(delay=opts.host_delay, per_host=opts.per_host, stop=self.stop)
        self.crawl_id = 0
        self.catalog: Catalog
        self.writer: WarcWriter
        self.store: Store
        self.fetcher: Fetcher
        self.browser: BrowserCapture | None = None
        self.limits: Limits
        self.fatal: StorageError | None = None
        self.done = 0
        self.failed = 0
        self.requisites = 0
        self.skipped: list[Failure] = []
        self.truncated: list[Failure] = []
        self._last_progress = 0.0

    # -- setup ---------------------------------------------------------------------------------

    def _warcinfo(self) -> list[tuple[str, str]]:
        from archiver import __version__

        fields = [
            ("software", f"archiver/{__version__}"),
            ("hostname", os.uname().nodename),
            ("isPartOf", self.col.name),
            ("http-header-user-agent", self.user_agent),
            ("robots", "obey" if self.opts.obey_robots else "ignore"),
        ]
        if self.opts.operator:
            fields.append(("operator", self.opts.operator))
        if self.col.metadata.get("description"):
            fields.append(("description", str(self.col.metadata["description"])))
        return fields

    def run(self, seeds: list[QueueEntry]) -> CaptureSummary:
        started = time.monotonic()
        self.catalog = open_catalog(self.col)
        try:
            recover_open_files(self.col, self.catalog)
            resumed_id = self.catalog.unfinished_crawl()
            options = {k: v for k, v in asdict(self.opts).items()}
            if resumed_id is not None:
                self.crawl_id = resumed_id
                log.info("resuming unfinished crawl %d", resumed_id)
            else:
                self.crawl_id = self.catalog.start_crawl([e.url for e in seeds], options)
            self.catalog.enqueue(self.crawl_id, seeds)
            self.col.update_metadata(
                capture={
                    "user_agent": self.user_agent,
                    "robots": "obey" if self.opts.obey_robots else "ignore",
                    "requisites": self.opts.requisites,
                    "digest_algorithm": self.algorithm,
                }
            )
            self.writer = WarcWriter(
                self.col.archive_dir,
                self.col.file_prefix,
                warcinfo=self._warcinfo(),
                max_size=self.opts.warc_max_size,
                digest_algorithm=self.algorithm,
                on_open=lambda name, end: self.catalog.file_opened(name, self.crawl_id, end),
            )
            self.limits = Limits(self.opts, self.catalog, self.crawl_id)
            self.store = Store(
                self.catalog,
                self.writer,
                PayloadIndex(self.catalog, earlier=self.catalog.has_responses()),
                crawl_id=self.crawl_id,
                algorithm=self.algorithm,
                dedup=self.opts.dedup,
            )
            client = HttpClient(
                user_agent=self.user_agent,
                connect_timeout=self.opts.connect_timeout,
                read_timeout=self.opts.read_timeout,
                max_response_size=self.opts.max_response_size,
                max_response_time=self.opts.max_response_time,
                header_timeout=self.opts.header_timeout,
                verify_tls=self.opts.verify_tls,
                digest_algorithm=self.algorithm,
            )
            self.fetcher = Fetcher(
                client, self.hosts, self.opts, stop=self.stop, archive=self.store.write_plain
            )
            try:
                with client:
                    limits = {}
                    if self.opts.browser is not None:
                        self.browser = self._start_browser(self.opts.browser)
                        limits["page"] = self.opts.browser.tabs
                    Scheduler(
                        self.catalog,
                        self.crawl_id,
                        self.hosts,
                        workers=self.opts.workers,
                        per_host=self.opts.per_host,
                        process=self._process,
                        finished=self._finished,
                        stop=self.stop,
                        kind_limits=limits,
                        on_stop=lambda: self._abort(client),
                    ).run()
            finally:
                if self.browser is not None:
                    self.browser.close()
                self.store.close()
                self.writer.close()
                for name in self.writer.closed_files:
                    self.catalog.file_closed(name)
            if self.fatal is not None:  # the crawl stays unfinished: the next run resumes it
                raise self.fatal
            self.catalog.finish_crawl(self.crawl_id)
            write_cdxj(self.catalog, self.col.index_path)
            write_pages(self.catalog, self.col.pages_path)
            return self._summary(started, resumed_id is not None)
        finally:
            self.catalog.close()

    def _abort(self, client: HttpClient) -> None:
        """Cut every fetch and page load under way (the run is stopping)."""
        client.abort()
        if self.browser is not None:
            self.browser.abort()

    def _start_browser(self, options: BrowserOptions) -> BrowserCapture:
        from archiver.capture.browser import BrowserCapture

        return BrowserCapture(
            opts=self.opts,
            browser=options,
            store=self.store,
            fetcher=self.fetcher,
            catalog=self.catalog,
            crawl_id=self.crawl_id,
            collection=self.col.path,
            archive_dir=self.col.archive_dir,
            on_truncated=self._note_truncated,
            on_skipped=lambda url, reason: self.skipped.append(Failure(url=url, reason=reason)),
            limits=self.limits,
        ).start()

    def _summary(self, started: float, resumed: bool) -> CaptureSummary:
        stats = self.catalog.crawl_stats(self.crawl_id)
        failures = tuple(
            Failure(url=u, reason=r, status=s) for u, r, s in self.catalog.failures(self.crawl_id)
        )
        requisites = self.requisites
        if self.browser is not None:  # and what the browser loaded, fetched and stored for it
            requisites += self.browser.resources.counters.as_dict()["fetched"]
        return CaptureSummary(
            collection=self.col.path,
            pages=stats.get("pages", 0),
            requisites=requisites,
            records=self.writer.records_written,
            revisits=stats.get("revisit", 0),
            bytes=self.writer.bytes_written,
            failures=failures,
            skipped=tuple(self.skipped),
            truncated=tuple(self.truncated),
            warc_files=tuple(self.writer.closed_files),
            seconds=time.monotonic() - started,
            resumed=resumed,
            browser=self.browser.summary() if self.browser is not None else None,
            limits=self.limits.hits(),
        )

    def _finished(
        self, entry: QueueEntry, outcome: Outcome | None, exc: BaseException | None
    ) -> None:
        if self.stop.is_set() and outcome is None:
            return  # the run is stopping: what was cut short stays pending
        fatal = storage_error(exc, self.col.path) if exc is not None else None
        if fatal is not None:
            # a full or read-only disk: every URL after this one would fail the same way
            log.error("%s", fatal)
            self.fatal = fatal
            self.stop.set()
            self._abort(self.fetcher.client)
            return
        if exc is not None or outcome is None:
            # A bug or an I/O error outside fetching: record it and carry on with the rest.
            log.error("capture of %s failed unexpectedly: %r", entry.url, exc)
            self.store.finish(entry, state="failed", reason=f"internal error: {exc!r}")
            self.failed += 1
        else:
            if outcome.ok:
                self.done += 1
            elif not outcome.skipped:
                self.failed += 1
        now = time.monotonic()
        if self.progress is not None and now - self._last_progress >= 0.2:
            # Counting the queue costs a scan: at most five times a second.
            self._last_progress = now
            counts = self.catalog.counts(self.crawl_id)
            self.progress(
                CaptureProgress(
                    done=counts.get("done", 0),
                    pending=counts.get("pending", 0),
                    failed=counts.get("failed", 0),
                    bytes=self.writer.bytes_written,
                    url=entry.url,
                )
            )

    # -- one URL -------------------------------------------------------------------------------

    def _process(self, entry: QueueEntry) -> Outcome:
        url = entry.url
        refusal = self.fetcher.refusal(url)
        if refusal is not None:
            state, reason = refusal
            if state == "failed":
                return self._fail(entry, reason)
            self.store.finish(entry, state="skipped", reason=reason)
            self.skipped.append(Failure(url=url, reason=reason))
            return Outcome(url, entry.kind, ok=False, skipped=True)
        if entry.hops > self.opts.max_redirects:
            return self._fail(entry, f"more than {self.opts.max_redirects} redirects")
        if self.browser is not None and entry.kind in ("requisite", "frame"):
            # the browser may be fetching the same URL for a page: one of the two fetches it
            with self.browser.resources.claimed(url) as state:
                if state != "pending":  # the browser got there first: its outcome stands
                    return Outcome(url, entry.kind, ok=state == "done", skipped=state == "skipped")
                return self._fetch_and_store(entry)
        return self._fetch_and_store(entry)

    def _fetch_and_store(self, entry: QueueEntry) -> Outcome:
        try:
            ex = self.fetcher.fetch(entry.url)
        except FetchError as exc:
            return self._fail(entry, exc.reason)
        with ex:
            return self._store(entry, ex)

    def _fail(self, entry: QueueEntry, reason: str, status: int | None = None) -> Outcome:
        if self.stop.is_set():  # cut short by a stop: still pending, for the next run
            return Outcome(entry.url, entry.kind, ok=False)
        log.warning("failed %s: %s", entry.url, reason)
        self.store.finish(entry, state="failed", reason=reason, status=status)
        return Outcome(entry.url, entry.kind, ok=False)

    def _note_truncated(self, ex: Exchange) -> None:
        if not ex.truncated:
            return
        limit = (
            f"{self.opts.max_response_size:,} bytes"
            if ex.truncated == "length"
            else f"{self.opts.max_response_time:g} s"
        )
        self.truncated.append(
            Failure(
                url=ex.url, reason=f"cut at the {ex.truncated} limit ({limit})", status=ex.status
            )
        )

    def _store(self, entry: QueueEntry, ex: Exchange) -> Outcome:
        found = Found()
        seeded: frozenset[str] = frozenset()
        state, reason = "done", None
        self._note_truncated(ex)
        if ex.status in REDIRECTS and ex.header("Location"):
            target = resolve_location(ex.url, ex.header("Location") or "")
            problem = redirect_problem(
                entry, target, self.catalog, self.crawl_id, self.opts.max_redirects
            )
            if problem:
                state, reason = "failed", problem
            elif target:
                found.entries.append(
                    QueueEntry(
                        url=target,
                        kind=entry.kind,
                        depth=entry.depth,
                        origin=entry.origin or entry.url,
                        hops=entry.hops + 1,
                        parent=ex.url,
                    )
                )
        elif ex.status >= 400:
            state, reason = "failed", f"HTTP {ex.status} {ex.reason}".strip()
        else:
            try:
                found = discover(entry, ex, self.opts)
                if found.stream is not None:
                    seeded, stopped = self.limits.enqueue_stream(found.stream, self.stop)
                    if stopped:  # still pending: read again by the next run
                        return Outcome(entry.url, entry.kind, ok=False, new_hosts=seeded)
            except SeedError as exc:
                state, reason = "failed", exc.reason
        self.limits.note_all(found.dropped)
        found.entries = self.limits.admit(found.entries)
        new_hosts = frozenset(host_key(e.url) for e in found.entries) | seeded
        # a frame gets its metadata record but is part of its page, not a page itself
        page = entry.kind == "page" and state == "done" and ex.status not in REDIRECTS
        if page and self.browser is not None and is_html(entry, ex):
            ok = self.browser.capture_page(entry, ex, found)
            return Outcome(entry.url, entry.kind, ok=ok, new_hosts=new_hosts)
        extra = None
        if entry.kind in ("page", "frame"):
            kind = "page" if page else "redirect" if ex.status in REDIRECTS else entry.kind
            extra = links_metadata(ex, found, entry.parent, kind)
        rows = self.store.commit(
            entry,
            ex,
            state=state,
            reason=reason,
            discovered=found.entries,
            page=PageRow(found.title) if page else None,
            extra=extra,
        )
        if entry.kind == "requisite" and rows:
            self.requisites += 1
        return Outcome(entry.url, entry.kind, ok=state == "done", new_hosts=new_hosts)
