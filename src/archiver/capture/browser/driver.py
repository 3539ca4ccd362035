"""Headless Chromium driven by Playwright: load a page, behave like a reader, keep evidence.

One Chromium serves the whole run, from a thread of its own running Playwright's asyncio API;
the crawl's worker threads call :meth:`Browser.load` and wait.  Pages load in ``tabs`` tabs,
each a browser context of its own (service workers blocked, the HTTP cache off) kept from page
to page; between two pages a tab goes to ``about:blank`` and forgets the cookies and stored
data of the page before, so every page loads as a first-time reader sees it.  The browser is
told to send everything through archiver's recording proxy
(:func:`~archiver.capture.browser.chromium.browser_args`), so it never reaches the network
itself.

Loading a page: navigate and wait for ``load``; scroll down one viewport at a time, pausing
so lazy loaders fire, and again while the page grows ("load more on scroll"), waiting after
each pass until no request has been in flight for half a second; scroll back to the top;
then take the rendered DOM, a full-page PNG screenshot and the links.  The whole visit is
bounded by the page time limit: a page that reaches it is stopped, and what it had loaded
and rendered by then is still returned.

A renderer crash is retried once in a fresh context; a browser that crashes or stops
answering is killed (with its whole process group) and started again, and the page retried.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import logging
import math
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from archiver.capture.browser.chromium import browser_args, reap
from archiver.errors import BrowserError
from archiver.model import BrowserOptions

__all__ = ["Browser", "LoadedResource", "PageResult"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_LAUNCH_TIMEOUT = 60.0
#: Past twice the page time limit and this many seconds without an answer, the browser is taken
#: for hung: it is killed and started again.
_HUNG_GRACE = 60.0
_QUIET = 0.5  # seconds without a request in flight that count as "the network is idle"
_SETTLE = 0.1  # back at the top: only what is already loaded shows, a short wait suffices
_SCROLL_PAUSE_MS = 50
_SCROLL_ROUNDS = 8  # passes to the bottom while the page keeps growing
_MAX_SCREENSHOT_HEIGHT = 16384  # Chromium's largest texture
_MAX_OUTLINKS = 5000

# Scrolls one viewport at a time to the bottom (or until the budget runs out), pausing so
# IntersectionObservers and scroll handlers run; returns what it did and the page height.
_SCROLL_JS = """
async ({pause, maxSteps, maxMs}) => {
  const root = document.scrollingElement || document.documentElement;
  const started = performance.now();
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const atBottom = () => window.scrollY + window.innerHeight >= root.scrollHeight - 2;
  let steps = 0;
  while (steps < maxSteps && performance.now() - started < maxMs && !atBottom()) {
    window.scrollBy(0, Math.max(200, window.innerHeight - 40));
    steps += 1;
    await sleep(pause);
  }
  return {steps, bottom: atBottom(), height: root.scrollHeight};
}
"""
_HEIGHT_JS = "(document.scrollingElement || document.documentElement).scrollHeight"
# The DOM as serialised HTML (with its doctype), the title and the links, in one round trip.
_RENDERED_JS = """
() => {
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : "";
  const root = document.documentElement;
  return {
    html: root ? doctype + root.outerHTML : "",
    title: document.title,
    links: Array.from(document.querySelectorAll('a[href], area[href]'), (a) => a.href),
  };
}
"""


@dataclass(frozen=True)
class LoadedResource:
    """One request the page made, as the browser saw it end."""

    url: str
    method: str
    #: the resource type Chromium gives (document, stylesheet, image, font, script, fetch, …)
    type: str
    status: int | None
    #: why it failed (``net::ERR_…``), when it did
    failure: str | None = None


@dataclass
class PageResult:
    """What loading one page in the browser gave."""

    url: str
    final_url: str = ""
    title: str | None = None
    resources: list[LoadedResource] = field(default_factory=list)
    dom: str | None = None
    screenshot: bytes | None = None
    outlinks: list[str] = field(default_factory=list)
    #: why the page failed (time limit, crash); None when it loaded
    error: str | None = None
    seconds: float = 0.0
    scroll_steps: int = 0


@dataclass
class _Tab:
    generation: int
    context: Any
    page: Any
    session: Any
    tracker: _Tracker


class _Crashed(Exception):
    """The page's renderer or the whole browser went away during the visit."""


class _Tracker:
    """Counts a page's requests in flight and lists the ones that ended."""

    def __init__(self, page: Any) -> None:
        self.inflight: set[Any] = set()
        self.changed = time.monotonic()
        self.resources: list[LoadedResource] = []
        self.crashed = False
        self._status: dict[Any, int] = {}
        page.on("request", self._started)
        page.on("response", self._response)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._failed)
        page.on("crash", self._crash)

    def reset(self) -> None:
        """Forget the last page's requests: the tab's next page starts from nothing."""
        self.inflight = set()
        self.resources = []
        self._status = {}
        self.changed = time.monotonic()

    def _started(self, request: Any) -> None:
        if request.url.startswith(("http:", "https:")):
            self.inflight.add(request)
            self.changed = time.monotonic()

    def _ended(self, request: Any, status: int | None, failure: str | None) -> None:
        if request in self.inflight:
            self.inflight.discard(request)
            self.changed = time.monotonic()
            self.resources.append(
                LoadedResource(request.url, request.method, request.resource_type, status, failure)
            )

    def _response(self, response: Any) -> None:
        self._status[response.request] = response.status

    def _finished(self, request: Any) -> None:
        self._ended(request, self._status.pop(request, None), None)

    def _failed(self, request: Any) -> None:
        self._status.pop(request, None)
        self._ended(request, None, request.failure or "failed")

    def _crash(self, _page: Any) -> None:
        self.crashed = True

    async def quiet(self, limit: float, window: float = _QUIET) -> None:
        """Wait until no request has been in flight for ``window`` seconds, counted from now at
        the earliest (what was just done may start a request a frame later), or ``limit``."""
        called = time.monotonic()
        until = called + max(limit, window)
        while time.monotonic() < until and not self.crashed:
            now = time.monotonic()
            if not self.inflight and now - max(self.changed, called) >= window:
                return
            await asyncio.sleep(0.04)


class Browser:
    """One headless Chromium shared by ``tabs`` tabs; :meth:`load` is called from any thread."""

    def __init__(
        self,
        opts: BrowserOptions,
        *,
        executable: str,
        proxy_port: int,
        spki: str,
        tag: str,
        agent_suffix: str,
    ) -> None:
        self.opts = opts
        self.executable = executable
        self.tag = tag
        self.agent_suffix = agent_suffix
        self.args = browser_args(
            proxy_port=proxy_port,
            spki=spki,
            tag=tag,
            width=opts.viewport_width,
            height=opts.viewport_height,
        )
        self.version = ""
        self.restarts = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="archiver-browser")
        self._thread.daemon = True
        self._pw: Any = None
        self._browser: Any = None
        self._user_agent = ""
        self._generation = 0
        self._pages_since_launch = 0
        self._active = 0
        self._idle: list[_Tab] = []
        self._cond: asyncio.Condition | None = None
        self._stale = False  # crashed, hung or disconnected: start a new one before the next page
        self._stopping = False
        self._restart_lock = threading.Lock()

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> Browser:
        self._thread.start()
        try:
            self._call(self._launch(), _LAUNCH_TIMEOUT)
        except BaseException:
            self.close()
            raise
        return self

    def _call(self, coro: Coroutine[Any, Any, _T], timeout: float) -> _T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    async def _launch(self) -> None:
        try:
            from playwright.async_api import async_playwright
        except ImportError as exc:  # pragma: no cover - a dependency of archiver
            raise BrowserError("browser capture needs the 'playwright' package") from exc
        if self._cond is None:
            self._cond = asyncio.Condition()
        if self._pw is None:
            self._pw = await async_playwright().start()
        try:
            self._browser = await self._pw.chromium.launch(
                executable_path=self.executable,
                args=self.args,
                headless=True,
                handle_sigint=False,
                handle_sigterm=False,
                handle_sighup=False,
                timeout=_LAUNCH_TIMEOUT * 1000,
            )
        except Exception as exc:
            raise BrowserError(f"cannot start Chromium ({self.executable}): {exc}") from exc
        self._browser.on("disconnected", self._disconnected)
        self.version = f"Chromium/{self._browser.version}"
        major = self._browser.version.split(".", 1)[0]
        # what Chromium says of itself without "Headless", then who archives
        self._user_agent = (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{major}.0.0.0 Safari/537.36 {self.agent_suffix}"
        )
        self._generation += 1
        self._pages_since_launch = 0
        self._stale = False
        log.info("started %s (%s)", self.version, self.executable)

    def _disconnected(self, _browser: Any) -> None:
        self._stale = True

    def close(self) -> None:
        """Close the browser (killing it if it does not close) and stop the thread."""
        if self._thread.is_alive():
            try:
                self._call(self._shutdown(), 20)
            except Exception as exc:
                log.warning("closing Chromium: %r", exc)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._thread.is_alive() and not self._loop.is_closed():
            self._loop.close()
        reap(self.tag)

    async def _shutdown(self) -> None:
        if self._browser is not None:
            try:
                await asyncio.wait_for(self._browser.close(), 10)
            except Exception:
                reap(self.tag)
        if self._pw is not None:
            await self._pw.stop()
            self._pw = None

    # -- pages -----------------------------------------------------------------------------

    def load(self, url: str) -> PageResult:
        """Load ``url`` and return what the page loaded and rendered (never raises for the
        page's own faults: they are in :attr:`PageResult.error`)."""
        # A visit lasts at most: the behaviours (the page limit less the reserve), the DOM and
        # the screenshot (a reserve each), the check that the browser answers, closing a tab.
        reserve = _reserve(self.opts.page_timeout)
        visit_limit = self.opts.page_timeout + reserve + 30 + _HUNG_GRACE
        # Before that, the page may wait for a tab: for the other tabs' pages, or a restart.
        tab_limit = 2 * visit_limit
        result = PageResult(url=url, final_url=url)
        for attempt in (1, 2):
            if self._stopping:
                result.error = "the capture was stopped"
                return result
            started = threading.Event()
            future = asyncio.run_coroutine_threadsafe(self._visit(url, started), self._loop)
            try:
                if not started.wait(tab_limit):
                    raise TimeoutError
                return future.result(visit_limit)
            except (TimeoutError, concurrent.futures.TimeoutError):
                future.cancel()
                result.error = "the browser stopped answering"
                self._kill("hung")
            except _Crashed as exc:
                result.error = str(exc)
                log.warning("%s: %s (attempt %d)", url, exc, attempt)
            except BrowserError as exc:
                result.error = str(exc)
                self._kill("could not be used")
        return result

    def abort(self) -> None:
        """The run is stopping: kill Chromium, and start no page (nor Chromium) again."""
        self._stopping = True
        self._stale = True
        reap(self.tag)

    def _kill(self, why: str) -> None:
        with self._restart_lock:
            log.warning("Chromium %s: killing it; it is started again for the next page", why)
            self._stale = True
            reap(self.tag)

    async def _acquire(self) -> _Tab:
        """A tab of the current browser for one page (started, or started again, as needed)."""
        assert self._cond is not None
        async with self._cond:
            while self._active >= self.opts.tabs:
                await self._cond.wait()
            if self._stopping:
                raise _Crashed("the capture was stopped")
            stale = self._stale or self._browser is None or not self._browser.is_connected()
            if stale or self._pages_since_launch >= self.opts.restart_after:
                while self._active > 0:  # the other tabs finish their pages first
                    await self._cond.wait()
                await self._relaunch()
            self._active += 1
            self._pages_since_launch += 1
            tab = self._idle.pop() if self._idle else None
        if tab is None:
            try:
                tab = await self._open_tab()
            except BaseException:
                await self._release(None)
                raise
        return tab

    async def _release(self, tab: _Tab | None) -> None:
        assert self._cond is not None
        async with self._cond:
            self._active -= 1
            if tab is not None and tab.generation == self._generation and not self._stale:
                self._idle.append(tab)
            self._cond.notify_all()

    async def _open_tab(self) -> _Tab:
        """A browser context with one page, kept for the pages that follow (a new context per
        page would start a renderer process per page: measured, 2.4 times the wall time)."""
        browser = self._browser
        try:
            context = await browser.new_context(
                viewport={"width": self.opts.viewport_width, "height": self.opts.viewport_height},
                user_agent=self._user_agent,
                service_workers="block",
                accept_downloads=False,
            )
            page = await context.new_page()
            context.on("page", _close_popup)
            session = await context.new_cdp_session(page)
            # every request reaches the proxy, which answers from the archive what it holds
            await session.send("Network.enable")
            await session.send("Network.setCacheDisabled", {"cacheDisabled": True})
        except Exception as exc:
            self._stale = True
            raise _Crashed(f"the browser could not open a tab: {_short(exc)}") from exc
        return _Tab(self._generation, context, page, session, _Tracker(page))

    async def _relaunch(self) -> None:
        old, self._browser = self._browser, None
        self._idle.clear()  # their contexts go with the old browser
        if old is not None:
            try:
                await asyncio.wait_for(old.close(), 10)
            except Exception:
                reap(self.tag)
            self.restarts += 1
        await self._launch()

    async def _visit(self, url: str, started: threading.Event) -> PageResult:
        tab = await self._acquire()
        started.set()
        keep: _Tab | None = None
        try:
            result = await self._in_tab(tab, url)
            # a page that failed may have left its tab in any state: the next page gets a new
            # one; the tab of a page that loaded is left for a blank page, and forgets it
            if not (tab.tracker.crashed or result.error) and await self._forget(tab, result):
                keep = tab
            return result
        finally:
            if keep is None:
                await _close_quietly(tab.context)
            await self._release(keep)

    async def _forget(self, tab: _Tab, result: PageResult) -> bool:
        """Leave the page (its scripts stop) and clear what it stored: cookies, and local,
        session and other storage of every origin it loaded from; whether that worked."""
        origins = {_origin(r.url) for r in result.resources} | {_origin(result.final_url)}
        try:
            await asyncio.wait_for(tab.page.goto("about:blank"), 5)
            await asyncio.wait_for(tab.context.clear_cookies(), 5)
            for origin in sorted(o for o in origins if o):
                await asyncio.wait_for(
                    tab.session.send(
                        "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
                    ),
                    5,
                )
        except Exception as exc:
            log.debug("tab not reused: %s", _short(exc))
            return False
        return not tab.tracker.crashed

    async def _in_tab(self, tab: _Tab, url: str) -> PageResult:
        started = time.monotonic()
        result = PageResult(url=url, final_url=url)
        page, tracker = tab.page, tab.tracker
        tracker.reset()
        reserve = _reserve(self.opts.page_timeout)
        try:
            await asyncio.wait_for(
                self._behave(page, tracker, url, result), self.opts.page_timeout - reserve
            )
        except asyncio.TimeoutError:
            result.error = (
                f"the page did not finish within the {self.opts.page_timeout:g} s limit; "
                "what it loaded by then is kept"
            )
        except Exception as exc:
            if tracker.crashed or not self._browser.is_connected():
                raise _Crashed(f"Chromium crashed loading the page: {_short(exc)}") from exc
            result.error = f"the browser could not load the page: {_short(exc)}"
        if tracker.crashed or not self._browser.is_connected():
            raise _Crashed("Chromium crashed loading the page")
        await self._evidence(tab, result, reserve)
        if (result.error or result.dom is None) and not await self._responsive():
            self._stale = True
            reap(self.tag)
            raise _Crashed("Chromium stopped answering; it was killed and is started again")
        result.resources = list(tracker.resources)
        result.resources += [
            LoadedResource(r.url, r.method, r.resource_type, None, "still loading")
            for r in tracker.inflight
        ]
        result.seconds = time.monotonic() - started
        return result

    async def _responsive(self) -> bool:
        """Whether the browser process itself still answers (a page may hang, the browser not)."""
        try:
            session = await asyncio.wait_for(self._browser.new_browser_cdp_session(), 5)
            await asyncio.wait_for(session.send("Browser.getVersion"), 5)
            await asyncio.wait_for(session.detach(), 5)
        except Exception as exc:
            log.warning("Chromium does not answer: %s", _short(exc))
            return False
        return True

    async def _behave(self, page: Any, tracker: _Tracker, url: str, result: PageResult) -> None:
        await page.goto(url, wait_until="load", timeout=0)
        if not self.opts.scroll:
            await tracker.quiet(self.opts.idle_timeout)
            return
        for _round in range(_SCROLL_ROUNDS):
            done = await page.evaluate(
                _SCROLL_JS, {"pause": _SCROLL_PAUSE_MS, "maxSteps": 200, "maxMs": 20000}
            )
            result.scroll_steps += int(done["steps"])
            await tracker.quiet(self.opts.idle_timeout)
            if not done["bottom"]:
                break  # the scroll budget ran out
            height = await page.evaluate(_HEIGHT_JS)
            if height <= done["height"]:
                break  # reaching the bottom loaded nothing more
        await page.evaluate("window.scrollTo(0, 0)")
        await tracker.quiet(self.opts.idle_timeout, _SETTLE)

    async def _evidence(self, tab: _Tab, result: PageResult, reserve: float) -> None:
        """DOM, title and links, then the screenshot, each bounded: a page stuck in one still
        yields the other."""
        page = tab.page
        result.final_url = page.url
        try:
            rendered = await asyncio.wait_for(page.evaluate(_RENDERED_JS), reserve)
        except Exception as exc:
            log.warning("%s: no rendered DOM: %s", result.url, _short(exc))
        else:
            if self.opts.dom:
                result.dom = str(rendered.get("html") or "") or None
            result.title = str(rendered.get("title") or "") or None
            links = [u for u in rendered.get("links") or () if isinstance(u, str)]
            links = [u for u in links if u.startswith(("http:", "https:"))]
            result.outlinks = list(dict.fromkeys(links))[:_MAX_OUTLINKS]
        if self.opts.screenshot:
            try:
                result.screenshot = await asyncio.wait_for(_screenshot(tab.session), reserve)
            except Exception as exc:
                log.warning("%s: no screenshot: %s", result.url, _short(exc))


async def _screenshot(session: Any) -> bytes:
    """A PNG of the whole page (up to 16,384 px high), encoded for speed."""
    metrics = await session.send("Page.getLayoutMetrics")
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    width = max(1, math.ceil(size["width"]))
    height = max(1, min(math.ceil(size["height"]), _MAX_SCREENSHOT_HEIGHT))
    shot = await session.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "optimizeForSpeed": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
    )
    return base64.b64decode(shot["data"])


def _reserve(page_timeout: float) -> float:
    """Seconds of the page limit kept for the DOM and the screenshot, each."""
    return min(15.0, page_timeout / 4)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


async def _close_quietly(context: Any) -> None:
    try:
        await asyncio.wait_for(context.close(), 10)
    except Exception as exc:
        log.debug("closing a browser context: %r", exc)


_POPUPS_CLOSING: set[asyncio.Future[Any]] = set()


def _close_popup(page: Any) -> None:
    """A page the visited page opened (``window.open``): closed, never visited."""
    closing = asyncio.ensure_future(page.close())
    _POPUPS_CLOSING.add(closing)  # held until done: the loop keeps only weak references
    closing.add_done_callback(_POPUPS_CLOSING.discard)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
