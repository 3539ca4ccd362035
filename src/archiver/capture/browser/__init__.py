"""Browser capture: pages loaded in headless Chromium, every request recorded by archiver.

:class:`BrowserCapture` is one more producer of exchanges for the crawl: for a page that
static capture fetched, it loads the page in Chromium (through the recording proxy, which
answers every request with what archiver's own client fetched and stored), then stores the
page with the evidence of what the browser did.  See docs/capture.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from archiver.capture.browser.chromium import capture_tag, find_chromium, reap
from archiver.capture.browser.driver import Browser, PageResult
from archiver.capture.browser.evidence import evidence_records
from archiver.capture.browser.mitm import RunKey
from archiver.capture.browser.proxy import RecordingProxy
from archiver.capture.browser.resources import BrowserResources
from archiver.capture.discover import Found
from archiver.capture.exchange import Exchange
from archiver.capture.fetcher import Fetcher
from archiver.capture.limits import Limits
from archiver.capture.store import PageRow, Store
from archiver.capture.urls import normalize_url
from archiver.catalog import Catalog, QueueEntry
from archiver.errors import CaptureError
from archiver.model import BrowserOptions, BrowserSummary, CaptureOptions
from archiver.warc.writer import RecordSpec

__all__ = ["BrowserCapture"]

log = logging.getLogger(__name__)


class BrowserCapture:
    """The browser side of a capture run: proxy, Chromium, and storing what pages loaded."""

    def __init__(
        self,
        *,
        opts: CaptureOptions,
        browser: BrowserOptions,
        store: Store,
        fetcher: Fetcher,
        catalog: Catalog,
        crawl_id: int,
        collection: Path,
        archive_dir: Path,
        on_truncated: Callable[[Exchange], None],
        on_skipped: Callable[[str, str], None],
        limits: Limits,
    ) -> None:
        self.opts = opts
        self.browser_opts = browser
        self.store = store
        self.algorithm = opts.digest_algorithm
        self.tag = capture_tag(collection)
        self.resources = BrowserResources(
            fetcher=fetcher,
            store=store,
            catalog=catalog,
            crawl_id=crawl_id,
            opts=opts,
            browser=browser,
            archive_dir=archive_dir,
            on_truncated=on_truncated,
            on_skipped=on_skipped,
            limits=limits,
        )
        self._key: RunKey | None = None
        self._proxy: RecordingProxy | None = None
        self._browser: Browser | None = None
        self.stopping = False
        self._lock = threading.Lock()  # the counts below, added to from every worker
        self.pages = 0
        self.timeouts = 0
        self.beyond_static = 0
        self.screenshots = 0

    def start(self) -> BrowserCapture:
        """Find Chromium, kill what a killed run on this collection left, start everything.

        Raises :class:`~archiver.errors.BrowserError` when Chromium cannot be found or started.
        """
        executable = find_chromium(self.browser_opts.executable)
        if reap(self.tag):
            log.warning("killed Chromium processes an earlier, killed capture had left")
        try:
            self._key = RunKey(self.tag)
            self._proxy = RecordingProxy(self.resources.handle, self._key).start()
            self._browser = Browser(
                self.browser_opts,
                executable=executable,
                proxy_port=self._proxy.port,
                spki=self._key.spki,
                tag=self.tag,
                agent_suffix=self.opts.full_user_agent,
            ).start()
        except BaseException:
            self.close()
            raise
        return self

    def abort(self) -> None:
        """The run is stopping: kill Chromium now (page loads under way end at once)."""
        self.stopping = True
        if self._browser is not None:
            self._browser.abort()
        reap(self.tag)

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._proxy is not None:
            self._proxy.stop()
        if self._key is not None:
            self._key.close()
        reap(self.tag)

    def summary(self) -> BrowserSummary:
        counts = self.resources.counters.as_dict()
        return BrowserSummary(
            chromium=self._browser.version if self._browser else "",
            pages=self.pages,
            timeouts=self.timeouts,
            beyond_static=self.beyond_static,
            screenshots=self.screenshots,
            restarts=self._browser.restarts if self._browser else 0,
            **counts,
        )

    def capture_page(self, entry: QueueEntry, ex: Exchange, found: Found) -> bool:
        """Load the page ``ex`` holds in Chromium and store it with what the browser did;
        whether the page counts as captured (False: it hit the time limit or crashed)."""
        assert self._browser is not None
        self.resources.preload(ex.url, ex)
        try:
            result = self._browser.load(ex.url)
        finally:
            self.resources.unload(ex.url)
        if self.stopping:  # cut short: the page stays pending, loaded again by the next run
            return False
        if result.error:
            log.warning("%s: %s", ex.url, result.error)
        static = self.resources.static_closure([ex.url, *(u for u, _ in found.requisites)])
        beyond = len(_beyond_static(result, static))
        with self._lock:
            self.pages += 1
            self.timeouts += 1 if result.error else 0
            self.screenshots += 1 if result.screenshot is not None else 0
            self.beyond_static += beyond
        outlinks = _outlinks(found, result)
        chromium = self._browser.version

        def extra(response: RecordSpec) -> list[RecordSpec]:
            return evidence_records(
                ex,
                response,
                result,
                chromium=chromium,
                outlinks=outlinks,
                requisites=found.requisites,
                via=entry.parent,
                algorithm=self.algorithm,
                title=found.title or result.title,
            )

        state = "failed" if result.error else "done"
        self.store.commit(
            entry,
            ex,
            state=state,
            reason=f"browser: {result.error}" if result.error else None,
            discovered=found.entries if self.browser_opts.static_requisites else (),
            page=PageRow(found.title or result.title),
            extra=extra,
        )
        return state == "done"


def _normal(url: str) -> str | None:
    try:
        return normalize_url(url)
    except CaptureError:
        return None


def _beyond_static(result: PageResult, static: set[str]) -> set[str]:
    """URLs the browser loaded that static parsing of the page did not find."""
    loaded = {_normal(r.url) for r in result.resources}
    return {u for u in loaded if u is not None and u not in static}


def _outlinks(found: Found, result: PageResult) -> list[tuple[str, str]]:
    """The page's links: those in the HTML as served, then those only the rendered DOM has."""
    out = list(found.outlinks)
    seen = {u for u, _ in out}
    for link in result.outlinks:
        url = _normal(link)
        if url is not None and url not in seen:
            seen.add(url)
            out.append((url, "dom"))
    return out
