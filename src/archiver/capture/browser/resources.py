"""The browser's requests, answered through archiver's own fetcher and store.

Every request Chromium makes arrives here from the recording proxy, and is answered with
bytes archiver's client received and stored, so that the WARC holds wire bytes and every
guarantee of a static capture holds for what the browser loads:

- ``GET``: a URL this run stored already is answered from the WARC file (fetched once, however
  many pages load it); otherwise it goes through robots.txt, per-host politeness and retries,
  is stored and committed (de-duplicated, resumable) as a queue entry of its own, then
  relayed.  A ``Range`` request is fetched whole, and the whole response relayed.
- ``POST``: sent once, never retried, and recorded with its body (or refused, if the options
  say ``skip``); its index key carries the body, as replay tools look POSTs up.
- ``HEAD`` and ``OPTIONS`` (CORS preflights): fetched and relayed, not recorded.
- WebSocket handshakes and other methods (PUT, DELETE, …): refused, never sent.

Two requests for the same URL at once (two tabs loading the same stylesheet) make one fetch:
the second waits for the first, then reads what it stored.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

from archiver.capture.browser.proxy import ProxyRequest, Reply, reply_reusable, synthetic
from archiver.capture.discover import discover
from archiver.capture.exchange import Exchange, Request
from archiver.capture.fetcher import REDIRECTS, Fetcher
from archiver.capture.limits import Limits
from archiver.capture.store import Store, links_metadata
from archiver.capture.urls import normalize_url
from archiver.catalog import Catalog, QueueEntry, StoredRecord
from archiver.errors import CaptureError, FetchError
from archiver.model import BrowserOptions, CaptureOptions
from archiver.warc.reader import open_warc, read_block

__all__ = ["BrowserResources", "Counters"]

log = logging.getLogger(__name__)

# Fields the proxy never passes on: hop-by-hop ones, the ones archiver's client writes
# itself, and conditional or partial requests (archiver wants the whole, current response).
_DROPPED = frozenset(
    {
        "connection",
        "proxy-connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-authenticate",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
        "range",
        "if-range",
        "if-none-match",
        "if-modified-since",
        "if-match",
        "if-unmodified-since",
    }
)
_DOCUMENTS = frozenset({"document", "iframe", "frame", "embed", "object"})
_CHUNK = 256 * 1024
_WAIT_FOR_OTHER = 300.0
_CSS_REFS_KEPT = 10_000


#: what the browser's requests are counted by (the counting fields of BrowserSummary)
COUNTED = (
    "fetched",
    "from_archive",
    "posts_recorded",
    "posts_skipped",
    "websockets_skipped",
    "relayed",
    "refused",
    "robots_blocked",
    "browser_own",
    "http_errors",
)


class Counters:
    """What the browser's requests came to in this run (see :class:`BrowserSummary`)."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys(COUNTED, 0)
        self._lock = threading.Lock()

    def add(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


def forwarded_headers(request: ProxyRequest) -> tuple[tuple[str, str], ...]:
    """The browser's header fields as archiver's client sends them on."""
    kept = [(k, v) for k, v in request.headers if k.lower() not in _DROPPED]
    kept.append(("Accept-Encoding", "gzip, deflate, br"))
    kept.append(("Connection", "keep-alive"))
    return tuple(kept)


class _Spool:
    """Reads of one exchange's spooled response from several threads, each at its position.

    Every read seeks and reads under the lock; :meth:`close` (before the exchange is stored,
    which reads the spool too) stops the relays still running, so nothing moves the file
    position under the store's feet.
    """

    def __init__(self, ex: Exchange) -> None:
        self.ex = ex
        self.lock = threading.Lock()
        self.closed = False

    def close(self) -> None:
        with self.lock:
            self.closed = True

    def head(self) -> bytes:
        with self.lock:
            return self.ex.head_bytes()

    def chunks(self) -> Iterator[bytes]:
        pos = 0
        while pos < self.ex.response_length:
            with self.lock:
                if self.closed:  # cut: the connection must not be reused
                    raise ConnectionAbortedError("the page was stored while it was relayed")
                self.ex.response.seek(pos)
                data = self.ex.response.read(min(_CHUNK, self.ex.response_length - pos))
            if not data:
                return
            pos += len(data)
            yield data


class BrowserResources:
    """The proxy's handler: answers each request the browser makes (see the module doc)."""

    def __init__(
        self,
        *,
        fetcher: Fetcher,
        store: Store,
        catalog: Catalog,
        crawl_id: int,
        opts: CaptureOptions,
        browser: BrowserOptions,
        archive_dir: Path,
        on_truncated: Callable[[Exchange], None],
        on_skipped: Callable[[str, str], None],
        limits: Limits,
    ) -> None:
        self.fetcher = fetcher
        self.on_skipped = on_skipped
        self.limits = limits
        self.store = store
        self.catalog = catalog
        self.crawl_id = crawl_id
        self.opts = opts
        self.browser = browser
        self.archive_dir = archive_dir
        self.on_truncated = on_truncated
        self.counters = Counters()
        #: what the User-Agent of every request a page makes contains (its archiver suffix)
        self.page_agent = opts.full_user_agent
        self._lock = threading.Lock()
        self._preloaded: dict[str, _Spool] = {}
        self._inflight: dict[str, threading.Event] = {}
        # hosts on loopback or private networks the crawl's own pages are on (tests, intranets)
        self._private_ok: set[str] = set()
        # what static parsing finds in each stylesheet fetched: with the page's own HTML, the
        # measure of what the browser found beyond static capture
        self._css_refs: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def static_closure(self, urls: Iterable[str]) -> set[str]:
        """``urls`` and, through the stylesheets among them, what static parsing reaches."""
        reached = set(urls)
        todo = list(reached)
        while todo:
            with self._lock:
                refs = self._css_refs.get(todo.pop(), ())
            for ref in refs:
                if ref not in reached:
                    reached.add(ref)
                    todo.append(ref)
        return reached

    # -- the pages themselves --------------------------------------------------------------

    def preload(self, url: str, ex: Exchange) -> None:
        """Answer the browser's requests for ``url`` with ``ex``, the page as archiver stores
        it, until :meth:`unload`."""
        host = urlsplit(url).hostname or ""
        with self._lock:
            self._preloaded[_match_key(url)] = _Spool(ex)
            if not _is_public(host):
                self._private_ok.add(host)

    def unload(self, url: str) -> None:
        """Stop answering from the page's exchange (before it is stored)."""
        with self._lock:
            spool = self._preloaded.pop(_match_key(url), None)
        if spool is not None:
            spool.close()

    # -- answering -------------------------------------------------------------------------

    def handle(self, request: ProxyRequest) -> Reply:
        if self.page_agent not in (request.header("User-Agent") or ""):
            # Chromium's own traffic (sign-in, autofill, updates): no page asked for it
            self.counters.add("browser_own")
            log.debug("refused Chromium's own request %s %s", request.method, request.url)
            return synthetic(403, "Forbidden", "archiver records only what pages request")
        if "websocket" in (request.header("Upgrade") or "").lower():
            self.counters.add("websockets_skipped")
            return synthetic(403, "Forbidden", "archiver does not record WebSockets")
        method = request.method
        try:
            url = normalize_url(request.url)
        except CaptureError as exc:
            return synthetic(400, "Bad Request", f"archiver cannot fetch this URL: {exc.reason}")
        host = urlsplit(url).hostname or ""
        if not _is_public(host) and host not in self._private_ok:
            self.counters.add("refused")
            log.warning("refused %s: a private or loopback address, asked by a page", url)
            return synthetic(
                403,
                "Forbidden",
                "archiver does not fetch private network addresses for pages",
                method,
            )
        if method == "GET":
            return self._get(url, request)
        if method == "POST":
            if self.browser.post == "skip":
                self.counters.add("posts_skipped")
                return synthetic(
                    403, "Forbidden", "archiver skips POST requests (post='skip')", method
                )
            return self._send(url, request, record=True)
        if method in ("HEAD", "OPTIONS"):
            return self._send(url, request, record=False)
        self.counters.add("refused")
        return synthetic(
            405, "Method Not Allowed", f"archiver does not send {method} requests", method
        )

    def _get(self, url: str, request: ProxyRequest) -> Reply:
        with self._lock:
            spool = self._preloaded.get(_match_key(url))
        if spool is not None:
            return self._relay(spool, "GET")
        event = self._claim(url)
        try:
            known = self.catalog.captured(self.crawl_id, url)
            if known is not None:
                state, record = known
                if record is not None:
                    reply = self._from_archive(record)
                    if reply is not None:
                        self.counters.add("from_archive")
                        return reply
                    # stored, but not readable back: pass the live answer on, unrecorded
                    return self._send(url, request, record=False)
                if state == "skipped":
                    return synthetic(403, "Forbidden", "archiver: disallowed by robots.txt")
                if state == "failed":
                    return synthetic(502, "Bad Gateway", "archiver: failed earlier in this run")
                if state == "pending" and self.catalog.queue_kind(self.crawl_id, url) not in (
                    "requisite",
                    "frame",
                ):
                    # a page, feed or sitemap of the crawl: stored (and read) in its own turn
                    return self._send(url, request, record=False)
            return self._fetch_and_store(url, request)
        finally:
            with self._lock:
                del self._inflight[url]
            event.set()

    @contextmanager
    def claimed(self, url: str) -> Iterator[str]:
        """For the crawl's own workers: hold ``url`` against the browser's fetching it too.

        Yields the URL's state in the queue: ``pending`` while it still needs fetching, else
        what the browser's fetch of it came to (``done``, ``failed``, ``skipped``)."""
        event = self._claim(url)
        try:
            known = self.catalog.captured(self.crawl_id, url)
            yield "pending" if known is None else known[0]
        finally:
            with self._lock:
                del self._inflight[url]
            event.set()

    def _claim(self, url: str) -> threading.Event:
        """Become the one request fetching ``url``, waiting for another one first."""
        while True:
            with self._lock:
                other = self._inflight.get(url)
                if other is None:
                    mine = self._inflight[url] = threading.Event()
                    return mine
            other.wait(_WAIT_FOR_OTHER)

    def _entry(self, url: str, request: ProxyRequest) -> QueueEntry:
        dest = (request.header("Sec-Fetch-Dest") or "").lower()
        referer = request.header("Referer")
        parent = None
        if referer:
            try:
                parent = normalize_url(referer)
            except CaptureError:
                parent = None
        kind = "frame" if dest in _DOCUMENTS else "requisite"
        return QueueEntry(url=url, kind=kind, depth=1, origin=url, parent=parent)

    def _fetch_and_store(self, url: str, request: ProxyRequest) -> Reply:
        entry = self._entry(url, request)
        if self.limits.full(url):
            return synthetic(503, "Service Unavailable", "archiver: the crawl's max_urls reached")
        refusal = self.fetcher.refusal(url)
        if refusal is not None:
            state, reason = refusal
            self.counters.add("robots_blocked")
            self.store.finish(entry, state=state, reason=reason, queued=False)
            if state == "skipped":
                self.on_skipped(url, reason)
            return synthetic(403, "Forbidden", f"archiver: {reason}")
        try:
            with self.fetcher.hosts.browser_slot(url):
                ex = self.fetcher.fetch(url, Request("GET", forwarded_headers(request)))
        except FetchError as exc:
            self.store.finish(entry, state="failed", reason=exc.reason, queued=False)
            return synthetic(502, "Bad Gateway", f"archiver: {exc.reason}")
        try:
            self._store(entry, ex)
        except BaseException:
            ex.close()
            raise
        self.counters.add("fetched")
        return self._relay(_Spool(ex), "GET", close=ex.close)

    def _store(self, entry: QueueEntry, ex: Exchange) -> None:
        """Store what the server answered.  An HTTP error is kept as the reader's browser got
        it (a missing favicon.ico, a broken image): the capture of that exchange succeeded, so
        it is no failure of the run; the page's metadata lists its status."""
        self.on_truncated(ex)
        extra = None
        discovered: list[QueueEntry] = []
        reason = None
        if ex.status >= 400:
            self.counters.add("http_errors")
            reason = f"HTTP {ex.status} {ex.reason}".strip()
        elif ex.status not in REDIRECTS:  # a redirect: the browser asks for the target itself
            found = discover(entry, ex, self.opts)
            self.limits.note_all(found.dropped)
            found.entries = self.limits.admit(found.entries)
            if ex.content_type == "text/css":
                with self._lock:
                    self._css_refs[entry.url] = tuple(u for u, _ in found.requisites)
                    while len(self._css_refs) > _CSS_REFS_KEPT:
                        self._css_refs.popitem(last=False)
            if self.browser.static_requisites:
                discovered = found.entries
            if entry.kind == "frame":
                extra = links_metadata(ex, found, entry.parent, "frame")

        self.store.commit(
            entry,
            ex,
            state="done",
            reason=reason,
            discovered=discovered,
            extra=extra,
            queued=False,
        )

    def _send(self, url: str, request: ProxyRequest, *, record: bool) -> Reply:
        """Fetch a request that is not a stored GET, relay it, and record it if asked."""
        refusal = self.fetcher.refusal(url)
        if refusal is not None:
            self.counters.add("robots_blocked")
            return synthetic(403, "Forbidden", f"archiver: {refusal[1]}", request.method)
        try:
            with self.fetcher.hosts.browser_slot(url):
                ex = self.fetcher.fetch(
                    url, Request(request.method, forwarded_headers(request), request.body)
                )
        except FetchError as exc:
            return synthetic(502, "Bad Gateway", f"archiver: {exc.reason}", request.method)
        try:
            if record:
                self.on_truncated(ex)
                self.store.write_plain(ex)
                self.counters.add("posts_recorded")
            else:
                self.counters.add("relayed")
        except BaseException:
            ex.close()
            raise
        return self._relay(_Spool(ex), request.method, close=ex.close)

    def _relay(self, spool: _Spool, method: str, close: Callable[[], None] | None = None) -> Reply:
        head = spool.head()
        complete = not spool.ex.truncated
        return Reply(
            spool.chunks(),
            reusable=reply_reusable(head, method=method, complete=complete),
            close=close,
        )

    def _from_archive(self, record: StoredRecord) -> Reply | None:
        """The stored response as it was received (a revisit: its head, the original's body);
        None when it cannot be read back."""
        opened: list[IO[bytes]] = []

        def close() -> None:
            for handle in opened:
                handle.close()

        try:
            opened.append(open_warc(self.archive_dir, record.filename))
            block = read_block(opened[0], record.offset)
            first = next(block.chunks, b"")
            end = _head_end(first)
            if end < 0:
                close()
                return None
            head = first[:end]
            complete = "WARC-Truncated" not in block.headers
            reusable = reply_reusable(head, method="GET", complete=complete)
            if record.type != "revisit":
                return Reply(_chain([first], block.chunks), reusable=reusable, close=close)
            original = self.catalog.record(record.refers_to or "")
            if original is None:
                close()
                return None
            opened.append(open_warc(self.archive_dir, original.filename))
            body = _after_head(read_block(opened[1], original.offset).chunks)
            return Reply(_chain([head], body), reusable=reusable, close=close)
        except Exception as exc:  # WARCError, zlib.error, OSError: the live answer instead
            log.warning("cannot answer %s from %s: %r", record.url, record.filename, exc)
            close()
            return None


def _chain(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


def _head_end(data: bytes) -> int:
    """Where the HTTP head in ``data`` ends (after its blank line), or -1."""
    ends = [(i + n) for i, n in ((data.find(b"\r\n\r\n"), 4), (data.find(b"\n\n"), 2)) if i >= 0]
    return min(ends) if ends else -1


def _after_head(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The body of an HTTP response block: what follows its first blank line."""
    buf = b""
    for chunk in chunks:
        buf += chunk
        end = _head_end(buf)
        if end >= 0:
            yield buf[end:]
            break
    yield from chunks


def _match_key(url: str) -> str:
    """``url`` with percent-encoding settled, to match a page to the form Chromium asks for it
    in (it escapes ``'`` in a query, normalize_url does not)."""
    return unquote(url)


def _is_public(host: str) -> bool:
    """Whether ``host`` may be on the public Internet: not loopback, private or link-local
    (an IP literal of those, or ``localhost``).  Names are not resolved here."""
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return True
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
    )
