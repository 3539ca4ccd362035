"""The crawl loop: a queue in catalog.sqlite, a pool of workers, politeness per host.

One run (:func:`capture`) takes the collection's write lock, repairs WARC files a killed run
left open, then resumes the last crawl if it never finished or starts a new one.  The main
thread hands queue entries to workers while respecting per-host limits; each worker fetches
(with retries), writes its records and commits them to the catalog in one step, so that a
process killed at any moment loses at most the URLs it was fetching, which the next run fetches.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from archiver.capture.dedup import PayloadIndex
from archiver.capture.http import Exchange, HttpClient
from archiver.capture.links import css_links, html_links
from archiver.capture.records import exchange_records, metadata_record, stored
from archiver.capture.recovery import recover_open_files
from archiver.capture.robots import RobotsPolicy
from archiver.capture.seeds import MAX_XML_BYTES, SeedEntry, parse_feed, parse_sitemap
from archiver.capture.urls import host_key, normalize_url, resolve, same_site
from archiver.capture.workers import WorkerPool
from archiver.catalog import Catalog, QueueEntry, StoredRecord
from archiver.collection import Collection
from archiver.errors import CaptureError, FetchError, SeedError, UsageError
from archiver.indexes import write_cdxj, write_pages
from archiver.model import CaptureOptions, CaptureSummary, Failure, RecordLocation, Seed
from archiver.textenc import charset_label
from archiver.warc.writer import RecordSpec, WarcWriter, format_digest

# The scheduler asks for the host of the same queue-head URLs after every finished URL.
_host_key = functools.lru_cache(maxsize=4096)(host_key)

__all__ = ["CaptureProgress", "capture"]

log = logging.getLogger(__name__)

_REDIRECTS = {301, 302, 303, 307, 308}
_ROBOTS_REDIRECTS = 5
#: Longest Crawl-delay honoured (Heritrix's default); a day between requests would freeze a host.
_MAX_CRAWL_DELAY = 300.0
_RETRY_STATUS = {429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524}
_PARSE_LIMIT = 20 * 1024 * 1024
_HTML_TYPES = {"text/html", "application/xhtml+xml"}


@dataclass(frozen=True)
class CaptureProgress:
    """A snapshot sent to the ``progress`` callback after each URL finishes."""

    done: int
    pending: int
    failed: int
    bytes: int
    url: str


@dataclass
class _Host:
    inflight: int = 0
    next_start: float = 0.0  # scheduling hint for _fill
    last_start: float = float("-inf")  # when the last request to the host really started
    delay: float = 0.0
    robots: RobotsPolicy | None = None


@dataclass
class _Outcome:
    url: str
    kind: str
    ok: bool
    skipped: bool = False


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
    col = collection if isinstance(collection, Collection) else Collection.ensure(collection)
    with col.write_lock():
        return _Crawl(col, opts, progress).run(entries)


def _charset(ex: Exchange) -> str | None:
    """The charset the response's Content-Type names (see :func:`charset_label`), if any."""
    ctype = ex.header("Content-Type") or ""
    for param in ctype.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return charset_label(value)
    return None


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
    if opts.max_response_size < 1 or opts.warc_max_size < 1024:
        problems.append("max_response_size must be positive and warc_max_size at least 1 KiB")
    if opts.connect_timeout <= 0 or opts.read_timeout <= 0 or opts.max_response_time <= 0:
        problems.append("timeouts must be positive")
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
        self.hosts: dict[str, _Host] = {}
        self.hosts_lock = threading.Lock()
        self.robots_locks: dict[str, threading.Lock] = {}
        self.write_lock = threading.Lock()
        self.stop = threading.Event()
        self.crawl_id = 0
        self.catalog: Catalog
        self.writer: WarcWriter
        self.payloads: PayloadIndex
        self.done = 0
        self.failed = 0
        self.revisits = 0
        self.requisites = 0
        self.skipped: list[Failure] = []
        self.truncated: list[Failure] = []
        self._ahead: list[QueueEntry] = []  # pending entries read ahead, not started yet
        self._wake: float | None = None
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
        self.catalog = Catalog(self.col.catalog_path)
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
            self.payloads = PayloadIndex(self.catalog, earlier=self.catalog.has_responses())
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
            client = HttpClient(
                user_agent=self.user_agent,
                connect_timeout=self.opts.connect_timeout,
                read_timeout=self.opts.read_timeout,
                max_response_size=self.opts.max_response_size,
                max_response_time=self.opts.max_response_time,
                verify_tls=self.opts.verify_tls,
                digest_algorithm=self.algorithm,
            )
            try:
                with client:
                    self.client = client
                    self._loop()
            finally:
                self.writer.close()
                for name in self.writer.closed_files:
                    self.catalog.file_closed(name)
            self.catalog.finish_crawl(self.crawl_id)
            write_cdxj(self.catalog, self.col.index_path)
            write_pages(self.catalog, self.col.pages_path)
            stats = self.catalog.crawl_stats(self.crawl_id)
            failures = tuple(
                Failure(url=u, reason=r, status=s)
                for u, r, s in self.catalog.failures(self.crawl_id)
            )
            return CaptureSummary(
                collection=self.col.path,
                pages=stats.get("pages", 0),
                requisites=self.requisites,
                records=self.writer.records_written,
                revisits=stats.get("revisit", 0),
                bytes=self.writer.bytes_written,
                failures=failures,
                skipped=tuple(self.skipped),
                truncated=tuple(self.truncated),
                warc_files=tuple(self.writer.closed_files),
                seconds=time.monotonic() - started,
                resumed=resumed_id is not None,
            )
        finally:
            self.catalog.close()

    # -- scheduling ----------------------------------------------------------------------------

    def _host(self, key: str) -> _Host:
        host = self.hosts.get(key)
        if host is None:
            host = self.hosts[key] = _Host(delay=self.opts.host_delay)
        return host

    def _loop(self) -> None:
        inflight: dict[str, QueueEntry] = {}
        with WorkerPool(self._process, workers=self.opts.workers) as pool:
            try:
                self._drive(pool, inflight)
            except BaseException:
                # Ctrl-C or a crash: wake workers sleeping in backoff; what is in flight
                # finishes (its records stay consistent) when the pool closes.
                self.stop.set()
                raise

    def _drive(
        self, pool: WorkerPool[QueueEntry, _Outcome], inflight: dict[str, QueueEntry]
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
                self._finished(inflight.pop(done.key), done.result, done.error)
                done = pool.done_nowait()

    def _fill(
        self, pool: WorkerPool[QueueEntry, _Outcome], inflight: dict[str, QueueEntry]
    ) -> float | None:
        """Start what may start now; return when something blocked may start (or None).

        Runs after every finished URL, so it reads the queue ahead: entries read from the
        catalog and not started yet wait in ``self._ahead`` (in queue order), and the catalog
        is asked again only when they cannot fill the free slots.  Hosts at their limit or
        pacing are skipped, so a slow host never holds back the others.
        """
        room = self.opts.workers - len(inflight)
        if room <= 0:
            return None
        now = time.monotonic()
        self._wake = None
        blocked: set[str] = set()  # hosts at their limit or pacing: only main thread frees them
        with self.hosts_lock:
            for key, host in self.hosts.items():
                if host.inflight >= self.opts.per_host:
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
        pool: WorkerPool[QueueEntry, _Outcome],
        inflight: dict[str, QueueEntry],
        entry: QueueEntry,
        now: float,
        blocked: set[str],
    ) -> bool:
        """Submit ``entry`` if its host allows a request now; otherwise mark the host blocked."""
        key = _host_key(entry.url)
        if key in blocked:
            return False
        with self.hosts_lock:
            host = self._host(key)
            if host.inflight >= self.opts.per_host:
                blocked.add(key)
                return False
            if host.next_start > now:
                self._note_wake(host.next_start)
                blocked.add(key)
                return False
            host.inflight += 1
            host.next_start = now + host.delay
        inflight[entry.url] = entry
        pool.submit(entry.url, entry)
        return True

    def _finished(
        self, entry: QueueEntry, outcome: _Outcome | None, exc: BaseException | None
    ) -> None:
        with self.hosts_lock:
            self._host(_host_key(entry.url)).inflight -= 1
        if exc is not None or outcome is None:
            # A bug or an I/O error outside fetching: record it and carry on with the rest.
            log.error("capture of %s failed unexpectedly: %r", entry.url, exc)
            self.catalog.commit_result(
                self.crawl_id, url=entry.url, state="failed", reason=f"internal error: {exc!r}"
            )
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

    def _robots(self, url: str) -> RobotsPolicy:
        """The robots policy of ``url``'s host, fetching (and archiving) robots.txt once."""
        key = host_key(url)
        with self.hosts_lock:
            host = self._host(key)
            if host.robots is not None:
                return host.robots
            lock = self.robots_locks.setdefault(key, threading.Lock())
        with lock:
            if host.robots is not None:
                return host.robots
            robots_url: str | None = resolve(url, "/robots.txt") or url
            status: int | None = None
            body = b""
            # RFC 9309 §2.3.1.2: follow at least five redirects (each hop is archived); past
            # that the file counts as unavailable, like a 4xx: no rules.
            for _hop in range(_ROBOTS_REDIRECTS + 1):
                if robots_url is None:
                    break
                try:
                    ex = self._fetch_with_retries(robots_url)
                except FetchError as exc:
                    log.warning("robots.txt unreachable for %s: %s", key, exc.reason)
                    status, body = None, b""
                    break
                with ex:
                    status = ex.status
                    body = ex.decoded_body(limit=512 * 1024)
                    self._write_plain(ex)
                    location = ex.header("Location") if status in _REDIRECTS else None
                if not location:
                    break
                robots_url = resolve(robots_url, location)
            else:
                status, body = 404, b""
            policy = RobotsPolicy.from_response(status, body)
            crawl_delay = policy.crawl_delay(self.user_agent)
            if crawl_delay > _MAX_CRAWL_DELAY:
                log.warning(
                    "%s: Crawl-delay %g s capped at %g s", key, crawl_delay, _MAX_CRAWL_DELAY
                )
                crawl_delay = _MAX_CRAWL_DELAY
            with self.hosts_lock:
                host.robots = policy
                host.delay = max(self.opts.host_delay, crawl_delay)
            return policy

    def _fetch_with_retries(self, url: str) -> Exchange:
        """Fetch ``url``; retry connection errors, 429 and 5xx with backoff and jitter."""
        attempt = 0
        while True:
            self._pace(url)
            try:
                ex = self.client.fetch(url)
            except FetchError:
                if attempt >= self.opts.retries:
                    raise
                self._sleep(self._backoff(attempt))
                attempt += 1
                continue
            if ex.status in _RETRY_STATUS and attempt < self.opts.retries:
                wait = self._retry_after(ex) if ex.status in (429, 503) else None
                ex.close()
                if wait is not None:  # the server asked this client to wait: all its URLs do
                    self._hold_host(url, wait)
                self._sleep(wait if wait is not None else self._backoff(attempt))
                attempt += 1
                continue
            return ex

    def _hold_host(self, url: str, seconds: float) -> None:
        """Start no request to ``url``'s host for ``seconds`` (Retry-After)."""
        with self.hosts_lock:
            host = self._host(host_key(url))
            until = time.monotonic() + seconds
            host.last_start = max(host.last_start, until - host.delay)
            host.next_start = max(host.next_start, until)

    def _pace(self, url: str) -> None:
        """Wait until ``host_delay`` / Crawl-delay after the host's last request, then claim.

        Every request goes through here (robots.txt, retries and the pages _fill scheduled
        before robots.txt set a Crawl-delay), so the spacing holds between any two of them.
        """
        with self.hosts_lock:
            host = self._host(host_key(url))
            now = time.monotonic()
            start = max(now, host.last_start + host.delay)
            host.last_start = start
        if start > now:
            self._sleep(start - now)

    def _backoff(self, attempt: int) -> float:
        base = self.opts.backoff * (2**attempt)
        return float(base * (0.5 + random.random()))

    def _retry_after(self, ex: Exchange) -> float | None:
        value = (ex.header("Retry-After") or "").strip()
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            seconds = (when - datetime.now(timezone.utc)).total_seconds()
        return max(0.0, min(seconds, self.opts.max_retry_after))

    def _sleep(self, seconds: float) -> None:
        self.stop.wait(seconds)

    def _process(self, entry: QueueEntry) -> _Outcome:
        url = entry.url
        if self.opts.obey_robots and not self._robots(url).allows(self.user_agent, url):
            reason = "disallowed by robots.txt"
            self.catalog.commit_result(self.crawl_id, url=url, state="skipped", reason=reason)
            self.skipped.append(Failure(url=url, reason=reason))
            return _Outcome(url, entry.kind, ok=False, skipped=True)
        if entry.hops > self.opts.max_redirects:
            return self._fail(entry, f"more than {self.opts.max_redirects} redirects")
        try:
            ex = self._fetch_with_retries(url)
        except FetchError as exc:
            return self._fail(entry, exc.reason)
        with ex:
            return self._store(entry, ex)

    def _fail(self, entry: QueueEntry, reason: str, status: int | None = None) -> _Outcome:
        log.warning("failed %s: %s", entry.url, reason)
        self.catalog.commit_result(
            self.crawl_id, url=entry.url, state="failed", reason=reason, status=status
        )
        return _Outcome(entry.url, entry.kind, ok=False)

    def _store(self, entry: QueueEntry, ex: Exchange) -> _Outcome:
        discovered: list[QueueEntry] = []
        outlinks: list[tuple[str, str]] = []
        requisites: list[tuple[str, str]] = []
        title: str | None = None
        state, reason = "done", None
        if ex.truncated:
            limit = (
                f"{self.opts.max_response_size:,} bytes"
                if ex.truncated == "length"
                else f"{self.opts.max_response_time:g} s"
            )
            self.truncated.append(
                Failure(
                    url=ex.url,
                    reason=f"cut at the {ex.truncated} limit ({limit})",
                    status=ex.status,
                )
            )
        if ex.status in _REDIRECTS and ex.header("Location"):
            target = resolve(ex.url, ex.header("Location") or "")
            problem = self._redirect_problem(entry, target)
            if problem:
                state, reason = "failed", problem
            elif target:
                discovered.append(
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
                title, outlinks, requisites, more = self._discover(entry, ex)
                discovered += more
            except SeedError as exc:
                state, reason = "failed", exc.reason
        records = list(
            self._records_and_commit(
                entry,
                ex,
                state=state,
                reason=reason,
                discovered=discovered,
                outlinks=outlinks,
                requisites=requisites,
                title=title,
                # a frame gets its metadata record but is part of its page, not a page itself
                page=entry.kind == "page" and state == "done" and ex.status not in _REDIRECTS,
            )
        )
        if entry.kind == "requisite" and records:
            self.requisites += 1
        return _Outcome(entry.url, entry.kind, ok=state == "done")

    def _redirect_problem(self, entry: QueueEntry, target: str | None) -> str | None:
        if target is None:
            return "redirect to an unusable Location"
        origin = entry.origin or entry.url
        if target == origin or target == entry.url:
            return f"redirect loop (back to {target})"
        known = self.catalog.queue_entry(self.crawl_id, target)
        if known is not None and known[1] == origin:
            return f"redirect loop (back to {target})"
        if entry.hops + 1 > self.opts.max_redirects:
            return f"more than {self.opts.max_redirects} redirects"
        return None

    def _discover(
        self, entry: QueueEntry, ex: Exchange
    ) -> tuple[str | None, list[tuple[str, str]], list[tuple[str, str]], list[QueueEntry]]:
        """Title, outlinks, requisites and new queue entries found in a fetched document."""
        ctype = ex.content_type
        found: list[QueueEntry] = []
        title = None
        outlinks: list[tuple[str, str]] = []
        requisites: list[tuple[str, str]] = []
        if entry.kind in ("feed", "sitemap"):
            found = self._seed_entries(entry, ex)
            return None, [], [], found
        if ctype in _HTML_TYPES or (not ctype and entry.kind in ("page", "frame")):
            links = html_links(ex.decoded_body(limit=_PARSE_LIMIT), ex.url, encoding=_charset(ex))
            title, outlinks, requisites = links.title, links.outlinks, links.requisites
            if entry.kind == "page":
                requisites = requisites + links.frames
                frames = {u for u, _ in links.frames}
            else:
                frames = set()
        elif ctype == "text/css":
            body = ex.decoded_body(limit=_PARSE_LIMIT).decode(_charset(ex) or "utf-8", "replace")
            requisites = css_links(body, ex.url)
            frames = set()
        else:
            return None, [], [], []
        if self.opts.requisites:
            for url, _how in requisites:
                if not self.opts.requisites_any_host and not same_site(url, ex.url):
                    continue
                kind = "frame" if url in frames else "requisite"
                found.append(
                    QueueEntry(url=url, kind=kind, depth=entry.depth + 1, origin=url, parent=ex.url)
                )
        return title, outlinks, requisites, found

    def _seed_entries(self, entry: QueueEntry, ex: Exchange) -> list[QueueEntry]:
        body = ex.decoded_body(limit=MAX_XML_BYTES + 1)
        try:
            if len(body) > MAX_XML_BYTES:
                raise SeedError(
                    f"document larger than {MAX_XML_BYTES} bytes once decoded", url=ex.url
                )
            parsed: list[SeedEntry] = (
                parse_feed(body, url=ex.url)
                if entry.kind == "feed"
                else parse_sitemap(body, url=ex.url)
            )
        except SeedError as exc:
            # the text, not the exception: a handler that keeps records (pytest's, a
            # MemoryHandler) would keep its traceback, and with it the inflated document
            log.warning("%s", str(exc))
            raise
        since = self.opts.since
        if isinstance(since, datetime):  # a datetime is a date, but does not compare with one
            since = since.date()
        found = []
        for item in parsed:
            if since is not None and item.date is not None and item.date < since:
                continue
            found.append(
                QueueEntry(
                    url=item.url, kind=item.kind, depth=entry.depth, origin=item.url, parent=ex.url
                )
            )
        return found

    # -- writing -------------------------------------------------------------------------------

    def _digest(self, ex: Exchange) -> str | None:
        """The payload digest to de-duplicate on, or None if this exchange is never a revisit."""
        if not self.opts.dedup or ex.payload_length <= 0 or ex.truncated:
            return None
        return format_digest(self.algorithm, ex.payload_digest.digest())

    def _write_plain(self, ex: Exchange) -> None:
        """Write a request/response pair that finishes no queue entry (robots.txt)."""
        digest = self._digest(ex)
        with self.write_lock:
            original = self.payloads.lookup(digest)[0] if digest else None
            request, response = exchange_records(ex, algorithm=self.algorithm, original=original)
            specs = [request, response]

            def commit(locs: list[RecordLocation]) -> None:
                rows, end = self._rows(ex, specs, locs, response, original)
                self.catalog.add_records(self.crawl_id, rows, end)
                self.payloads.add(rows[1])

            self.writer.write_group(specs, commit=commit)

    def _rows(
        self,
        ex: Exchange,
        specs: list[RecordSpec],
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

    def _records_and_commit(
        self,
        entry: QueueEntry,
        ex: Exchange,
        *,
        state: str,
        reason: str | None,
        discovered: list[QueueEntry],
        outlinks: list[tuple[str, str]],
        requisites: list[tuple[str, str]],
        title: str | None,
        page: bool,
    ) -> list[StoredRecord]:
        rows: list[StoredRecord] = []

        def build(original: StoredRecord | None) -> tuple[list[RecordSpec], RecordSpec]:
            request, response = exchange_records(ex, algorithm=self.algorithm, original=original)
            specs: list[RecordSpec] = [request, response]
            if entry.kind in ("page", "frame"):
                specs.append(
                    metadata_record(
                        ex, response, outlinks=outlinks, requisites=requisites, via=entry.parent
                    )
                )
            return specs, response

        # Build and compress the records before taking the write lock, so that workers
        # compress in parallel and the lock covers only the copy and the catalog commit.
        digest = self._digest(ex)
        original, token = self.payloads.lookup(digest) if digest else (None, 0)
        specs, response = build(original)
        prepared = self.writer.prepare(specs)
        with self.write_lock:
            if digest and original is None and (now := self.payloads.recheck(digest, token)):
                # The same payload was stored meanwhile by another worker: a revisit after all.
                original = now
                specs, response = build(original)
                prepared = None

            def commit(locs: list[RecordLocation]) -> None:
                written, end = self._rows(ex, specs, locs, response, original)
                rows.extend(written)
                page_row = None
                if page:
                    seed = entry.origin if entry.origin != ex.url else None
                    page_row = (ex.url, seed, rows[1].date, title, ex.status, response.record_id)
                self.catalog.commit_result(
                    self.crawl_id,
                    url=entry.url,
                    records=rows,
                    state=state,
                    reason=reason,
                    status=ex.status,
                    discovered=discovered,
                    page=page_row,
                    file_end=end,
                )
                self.payloads.add(rows[1])

            self.writer.write_group(specs, commit=commit, prepared=prepared)
        return rows
