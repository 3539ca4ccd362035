"""Frozen value types shared by the capture layers and their callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from archiver._version import __version__

__all__ = [
    "DEFAULT_USER_AGENT",
    "DOM_PREFIX",
    "SCREENSHOT_PREFIX",
    "BrowserOptions",
    "BrowserSummary",
    "CaptureOptions",
    "CaptureSummary",
    "Failure",
    "LimitHit",
    "RecordLocation",
    "Seed",
]

DEFAULT_USER_AGENT = f"archiver/{__version__} (+https://pypi.org/project/archiver/)"

#: WARC-Target-URI prefixes of a browser capture's evidence records (``resource``, concurrent
#: to the page's response): its full-page screenshot (the prefix Browsertrix uses) and its
#: rendered DOM
SCREENSHOT_PREFIX = "urn:screenshot:"
DOM_PREFIX = "urn:dom:"

SeedKind = Literal["page", "feed", "sitemap"]


@dataclass(frozen=True)
class Seed:
    """Where a crawl starts: a page, or a feed or sitemap whose entries are pages.

    >>> Seed("https://example.org/feed/", kind="feed")
    Seed(url='https://example.org/feed/', kind='feed')
    """

    url: str
    kind: SeedKind = "page"

    @classmethod
    def page(cls, url: str) -> Seed:
        return cls(url, "page")

    @classmethod
    def feed(cls, url: str) -> Seed:
        return cls(url, "feed")

    @classmethod
    def sitemap(cls, url: str) -> Seed:
        return cls(url, "sitemap")


@dataclass(frozen=True)
class BrowserOptions:
    """How pages are loaded in headless Chromium, recorded through archiver's own client.

    >>> CaptureOptions(browser=BrowserOptions(tabs=4)).browser.tabs
    4
    """

    #: The Chromium executable; None looks for ``$ARCHIVER_CHROMIUM``, then ``chromium``
    #: (``chromium-browser``, ``google-chrome``) on PATH.
    executable: str | None = None
    #: Pages loaded at once, each in a tab of its own (every page starts without cookies).
    tabs: int = 2
    #: Seconds from navigation to the page's evidence.  A page that takes longer fails with
    #: that reason; what it loaded until then is kept.
    page_timeout: float = 60.0
    #: Scroll through each page in steps of one viewport, so that lazy loaders fire.
    scroll: bool = True
    #: Longest wait, in seconds, for the network to go quiet after loading and after scrolling.
    idle_timeout: float = 10.0
    #: Store a full-page PNG screenshot (``urn:screenshot:<url>``).
    screenshot: bool = True
    #: Store the rendered DOM (``urn:dom:<url>``).
    dom: bool = True
    viewport_width: int = 1280
    viewport_height: int = 800
    #: POST requests the pages make: ``record`` them (request body kept), or ``skip`` them.
    post: Literal["record", "skip"] = "record"
    #: Also fetch what static parsing finds on each page but the browser did not load (the
    #: other widths of a ``srcset``, print stylesheets), so replay at another size works.
    static_requisites: bool = True
    #: Start a fresh Chromium after this many pages (bounds its memory on long runs).
    restart_after: int = 100


@dataclass(frozen=True)
class CaptureOptions:
    """Everything that shapes a capture run.  All fields have archivist-friendly defaults."""

    #: User-Agent header; ``contact`` (a URL or e-mail) is appended as ``(+contact)``.
    user_agent: str = DEFAULT_USER_AGENT
    contact: str | None = None
    #: Operator named in every warcinfo record (person or institution).
    operator: str | None = None
    #: Worker threads fetching at once.
    workers: int = 8
    #: At most this many requests in flight to one host.
    per_host: int = 2
    #: Minimum seconds between the starts of two requests to one host.
    host_delay: float = 0.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    #: Retries after the first attempt, on connection errors, 429 and 5xx.
    retries: int = 3
    #: First backoff in seconds; doubles with each retry, with jitter.
    backoff: float = 0.5
    #: Longest wait honoured from a Retry-After header, in seconds.
    max_retry_after: float = 120.0
    max_redirects: int = 10
    #: A response body is cut at this many bytes and marked ``WARC-Truncated: length``.
    max_response_size: int = 100 * 1024 * 1024
    #: A response still arriving after this many seconds is cut and marked ``WARC-Truncated:
    #: time`` (a slow drip within the read timeout is otherwise waited for).  A URL's retries
    #: all fit in this time too.
    max_response_time: float = 900.0
    #: A response whose status line and headers are not complete this many seconds after the
    #: request is a failure, not retried (a server dripping its headers byte by byte).
    header_timeout: float = 60.0
    #: A WARC file is closed and a new one begun once it reaches this size.
    warc_max_size: int = 1024 * 1024 * 1024
    #: Fetch what each page needs to render (images, CSS, scripts, …).
    requisites: bool = True
    requisites_any_host: bool = False
    obey_robots: bool = True
    #: Store a payload seen before (same digest) as a small ``revisit`` record.
    dedup: bool = True
    #: Keep feed and sitemap entries whose date is on or after this day.
    since: date | None = None
    verify_tls: bool = True
    #: Digest algorithm for WARC-Block-Digest / WARC-Payload-Digest.
    digest_algorithm: Literal["sha256", "sha1"] = "sha256"
    #: Load each page in headless Chromium and keep whatever it fetches (None: static parsing).
    browser: BrowserOptions | None = None
    #: Limits against crawler traps and runaway input; a run that reaches one says so (its
    #: summary's ``limits``) and exits 1.  Requisites of requisites (a page is 0, its images
    #: and style sheets 1, what a style sheet imports 2, …) deeper than this are not queued.
    max_depth: int = 5
    #: Sitemap indexes naming sitemap indexes: nesting deeper than this is not followed.
    max_sitemap_depth: int = 5
    #: Links kept per document (each of its requisites, frames and outlinks).
    max_links_per_page: int = 10_000
    #: URLs queued in one crawl, all kinds together.
    max_urls: int = 2_000_000

    @property
    def full_user_agent(self) -> str:
        if self.contact:
            return f"{self.user_agent} (+{self.contact})"
        return self.user_agent


@dataclass(frozen=True)
class Failure:
    """A URL that could not be captured, and why."""

    url: str
    reason: str
    status: int | None = None


@dataclass(frozen=True)
class LimitHit:
    """A limit a run reached: what was left out because of it."""

    #: the option (``max_depth``, ``max_sitemap_depth``, ``max_links_per_page``, ``max_urls``)
    limit: str
    value: int
    #: URLs not queued (links not kept, for ``max_links_per_page``)
    dropped: int
    #: one URL that was not queued, or the document whose links were cut
    example: str


@dataclass(frozen=True)
class RecordLocation:
    """Where a record sits: WARC file name (no folder), offset and length of its gzip member."""

    filename: str
    offset: int
    length: int


@dataclass(frozen=True)
class BrowserSummary:
    """What the browser did in one run (counts of this run only)."""

    #: the Chromium that loaded the pages (``Chromium/156.0.8078.114``)
    chromium: str
    #: pages loaded in the browser, and of those, pages that hit the time limit
    pages: int = 0
    timeouts: int = 0
    #: requests the browser made that archiver fetched (and stored) for it
    fetched: int = 0
    #: requests answered from what this run had stored already (no second fetch)
    from_archive: int = 0
    #: URLs the browser loaded that static parsing of the page's HTML and CSS did not find
    beyond_static: int = 0
    screenshots: int = 0
    #: POST requests recorded / skipped; WebSocket handshakes refused (never recorded)
    posts_recorded: int = 0
    posts_skipped: int = 0
    websockets_skipped: int = 0
    #: HEAD and OPTIONS (CORS preflight) requests fetched and passed on, not recorded
    relayed: int = 0
    #: requests with other methods (PUT, DELETE, PATCH, …), refused and never sent
    refused: int = 0
    #: requests not made because robots.txt disallows them
    robots_blocked: int = 0
    #: requests of Chromium's own that no page made (sign-in, autofill, updates): refused
    browser_own: int = 0
    #: responses with an HTTP error status (4xx, 5xx) the browser got, stored as they came;
    #: no failure of the run (the page's metadata record lists each with its status)
    http_errors: int = 0
    #: Chromium restarts (crashes, hangs, and the restarts that bound its memory)
    restarts: int = 0


@dataclass(frozen=True)
class CaptureSummary:
    """What one :func:`archiver.capture` run did."""

    collection: Path
    pages: int
    requisites: int
    records: int
    revisits: int
    bytes: int
    failures: tuple[Failure, ...] = field(default_factory=tuple)
    #: URLs deliberately not fetched (robots.txt), with the reason.
    skipped: tuple[Failure, ...] = field(default_factory=tuple)
    #: Responses stored but cut at the size or time limit (``WARC-Truncated``).
    truncated: tuple[Failure, ...] = field(default_factory=tuple)
    warc_files: tuple[str, ...] = field(default_factory=tuple)
    seconds: float = 0.0
    resumed: bool = False
    #: what the browser did, for a run with ``CaptureOptions(browser=...)``
    browser: BrowserSummary | None = None
    #: limits the run reached (see the ``max_*`` options): what they left out
    limits: tuple[LimitHit, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Whether everything was captured, and captured whole: no URL failed (robots.txt
        unreachable included), no response was cut at a size or time limit, and no limit left
        a URL out."""
        return not self.failures and not self.truncated and not self.limits
